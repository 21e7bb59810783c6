"""Talent flows: stocks by direction and tier, inflows, outflows to competing cities, matching.

Tiers: leading talent (领军人才), researchers and engineers, and graduates in training; top
scientists (顶尖科学家) are individual agents (:class:`TopScientist`). Each year: graduates arrive
(a share of the city's arriving graduates, raised by graduate-attraction money), programme recruits
arrive (Yongjiang programme counts from the scenario), graduates become researchers (half a year's
cohort per year), and each tier loses a share to other cities (scaled by the talent-competition
uncertainty; recruits leave at their own retention rate, lowered by retention support).

Stocks are conserved: stock' = stock + inflow - outflow for the sum of the tiers, which the tests check.
Firms and institutes hire researchers from the direction's researcher stock, sharing a scarce stock
in proportion to their demand (nobody hires first); unfilled demand draws researchers from outside
within the year (``talent_supply_response`` of the shortage), who join the stock and this year's
inflow. Talent not hired stays in the pool. Talent by district is where it works (see the model's
district indicators). The productivity gain of programme recruits saturates with their share of
the researchers (``recruit_share_half``): the first recruits are the most selected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model.rules import outside_hires, saturating, scarce_talent_fill

if TYPE_CHECKING:
    from agents.institutes import Institute
    from sim.model.model import FutureIndustryModel

GRADUATE_PROMOTION_RATE = 0.5  # share of graduates in training who become researchers each year (assumption)
LEADING_OUTFLOW_FACTOR = 0.5   # leading talent leaves at half the researchers' rate (assumption)


class TalentPool:
    """Talent stocks and flows of one region, arrays of shape (n_directions,).

    Attributes:
        leading: Leading talent (领军人才), including programme recruits of that tier.
        researchers: Researchers and engineers, including young-talent recruits.
        graduates: Graduates in their first years, not yet counted as researchers.
        recruits_leading, recruits_young: Programme recruits still in Ningbo (subsets of the above).
        inflow, outflow: Flows of the last year, summed over tiers.
        employed: Researchers employed by firms and institutes after the last matching.
    """

    def __init__(self, researchers: np.ndarray, leading: np.ndarray, graduates: np.ndarray) -> None:
        self.researchers = researchers.astype(float)
        self.leading = leading.astype(float)
        self.graduates = graduates.astype(float)
        self.recruits_leading = np.zeros_like(self.researchers)
        self.recruits_young = np.zeros_like(self.researchers)
        self.inflow = np.zeros_like(self.researchers)
        self.outflow = np.zeros_like(self.researchers)
        self.employed = np.zeros_like(self.researchers)
        self.gain = 0.0
        self.share_half = np.inf
        self.outside_hired = np.zeros_like(self.researchers)
        self.arriving = np.zeros_like(self.researchers)

    def arrive(self, researchers: np.ndarray) -> None:
        """Researchers who come to the city with a new institute, by direction; they join the
        researcher stock (and this year's inflow) at the next :meth:`step`."""
        self.arriving = self.arriving + np.asarray(researchers, dtype=float)

    def total(self) -> np.ndarray:
        """All talent by direction (the conserved stock)."""
        return self.researchers + self.leading + self.graduates

    def productivity(self) -> np.ndarray:
        """Knowledge productivity multiplier: 1 + gain x saturating(share of recruits among researchers).

        ``saturating(s, half) = s / (1 + s / half)`` (see :func:`sim.model.rules.saturating`): with the
        default half-saturation share, doubling a large programme less than doubles its gain.
        """
        recruits = self.recruits_leading + self.recruits_young
        share = recruits / np.maximum(self.researchers + self.leading, 1.0)
        return 1.0 + self.gain * saturating(share, self.share_half)

    def step(self, graduates_in: np.ndarray, leading_in: np.ndarray, young_in: np.ndarray,
             outflow_rate: float, recruit_leave_rate: np.ndarray, productivity_gain: float,
             recruit_share_half: float = np.inf) -> None:
        """One year of flows.

        Args:
            graduates_in: Graduates entering future-industry R&D, by direction.
            leading_in, young_in: Programme recruits arriving, by direction.
            outflow_rate: Share of researchers and graduates leaving this year (competition included).
            recruit_leave_rate: Share of programme recruits leaving, by direction.
            productivity_gain: Extra knowledge productivity of recruit-led teams.
            recruit_share_half: Recruit share at which their gain is half of the linear one.
        """
        self.gain = productivity_gain
        self.share_half = recruit_share_half
        promoted = GRADUATE_PROMOTION_RATE * self.graduates
        leaving_graduates = outflow_rate * self.graduates
        leaving_recruits_leading = recruit_leave_rate * self.recruits_leading
        leaving_recruits_young = recruit_leave_rate * self.recruits_young
        leaving_leading = (outflow_rate * LEADING_OUTFLOW_FACTOR * (self.leading - self.recruits_leading)
                           + leaving_recruits_leading)
        leaving_researchers = (outflow_rate * (self.researchers - self.recruits_young)
                               + leaving_recruits_young)
        self.graduates = self.graduates + graduates_in - promoted - leaving_graduates
        self.researchers = self.researchers + promoted + young_in + self.arriving - leaving_researchers
        self.leading = self.leading + leading_in - leaving_leading
        self.recruits_leading = self.recruits_leading + leading_in - leaving_recruits_leading
        self.recruits_young = self.recruits_young + young_in - leaving_recruits_young
        self.inflow = graduates_in + leading_in + young_in + self.arriving
        self.arriving = np.zeros_like(self.researchers)
        self.outflow = leaving_leading + leaving_researchers + leaving_graduates

    def hire(self, institute_demand: np.ndarray, firm_demand: np.ndarray,
             supply_response: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Match demand for researchers to the stock, by direction.

        First, ``supply_response`` of the shortage (demand above the stock) is hired from outside
        the city; they join the researcher stock and this year's inflow. Then institutes and firms
        share the stock in proportion to their demand (:func:`sim.model.rules.scarce_talent_fill`).

        Returns:
            (fill rate of institutes, fill rate of firms), each in [0, 1] by direction; equal
            where talent is scarce.
        """
        demand = institute_demand + firm_demand
        hired = outside_hires(demand, self.researchers + self.leading, supply_response)
        self.outside_hired = hired
        self.researchers = self.researchers + hired
        self.inflow = self.inflow + hired
        fill = scarce_talent_fill(self.researchers + self.leading, institute_demand, firm_demand)
        self.employed = fill * demand
        return fill.copy(), fill.copy()


class TopScientist(mesa.Agent):
    """A top scientist recruited by the talent programme, hosted by an institute.

    Each year the scientist stays with the recruit retention rate; while in Ningbo the host gains
    ``top_scientist_breakthrough_gain`` breakthroughs a year, and with a small probability the
    scientist founds a firm (a spin-off with a large knowledge endowment).
    """

    FOUNDING_PROBABILITY = 0.04  # per year (assumption)

    def __init__(self, model: FutureIndustryModel, direction: int, host: Institute, arrived: int,
                 serial: int = 0) -> None:
        super().__init__(model)
        self.direction = direction
        self.host = host
        self.arrived = arrived
        self.serial = serial  # k-th recruit of its direction in its arrival year: its key for random draws

    def step(self) -> None:
        """Leave (with the recruits' leave rate) or, while staying, found a firm with a small probability.

        The two uniforms come from the model's per-scientist draws (:meth:`FutureIndustryModel.scientist_uniforms`),
        keyed by (arrival year, direction, serial), so another scenario's extra recruits do not
        change this scientist's fate.
        """
        model = self.model
        leave = model.recruit_leave_rate()[self.direction]
        u_leave, u_found = model.scientist_uniforms(self)
        if u_leave < leave:
            model.talent_departures_top[self.direction] += 1
            self.remove()
            return
        if u_found < self.FOUNDING_PROBABILITY:
            key = f"top_scientist_{self.direction}_{self.arrived}_{self.serial}"  # stable whatever other agents exist
            model.pending_spinoffs.append((self.direction, self.host.district, 1, key))
