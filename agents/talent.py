"""Talent flows: stocks by direction and tier, inflows, outflows to competing cities, matching.

Tiers: leading talent (领军人才), researchers and engineers, and graduates in training; top
scientists (顶尖科学家) are individual agents (:class:`TopScientist`). Each year: graduates arrive
(a share of the city's arriving graduates, raised by graduate-attraction money), programme recruits
arrive (Yongjiang programme counts from the scenario), graduates become researchers (half a year's
cohort per year), and each tier loses a share to other cities (scaled by the talent-competition
uncertainty; recruits leave at their own retention rate, lowered by retention support).

Stocks are conserved: stock' = stock + inflow - outflow for the sum of the tiers, which the tests check.
Firms and institutes hire researchers from the direction's researcher stock; talent not hired stays
in the pool. Talent by district is where it works (see the model's district indicators).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

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
        self.arriving = np.zeros_like(self.researchers)

    def arrive(self, researchers: np.ndarray) -> None:
        """Researchers who come to the city with a new institute, by direction; they join the
        researcher stock (and this year's inflow) at the next :meth:`step`."""
        self.arriving = self.arriving + np.asarray(researchers, dtype=float)

    def total(self) -> np.ndarray:
        """All talent by direction (the conserved stock)."""
        return self.researchers + self.leading + self.graduates

    def productivity(self) -> np.ndarray:
        """Knowledge productivity multiplier: 1 + gain x share of recruits among researchers."""
        recruits = self.recruits_leading + self.recruits_young
        return 1.0 + self.gain * recruits / np.maximum(self.researchers + self.leading, 1.0)

    def step(self, graduates_in: np.ndarray, leading_in: np.ndarray, young_in: np.ndarray,
             outflow_rate: float, recruit_leave_rate: np.ndarray, productivity_gain: float) -> None:
        """One year of flows.

        Args:
            graduates_in: Graduates entering future-industry R&D, by direction.
            leading_in, young_in: Programme recruits arriving, by direction.
            outflow_rate: Share of researchers and graduates leaving this year (competition included).
            recruit_leave_rate: Share of programme recruits leaving, by direction.
            productivity_gain: Extra knowledge productivity of recruit-led teams.
        """
        self.gain = productivity_gain
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

    def hire(self, institute_demand: np.ndarray, firm_demand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Match demand for researchers to the stock: institutes first, then firms.

        Returns:
            (fill rate of institutes, fill rate of firms), each in [0, 1] by direction.
        """
        supply = self.researchers + self.leading
        inst = np.minimum(institute_demand, supply)
        firms = np.minimum(firm_demand, supply - inst)
        self.employed = inst + firms
        inst_fill = np.divide(inst, institute_demand, out=np.ones_like(inst), where=institute_demand > 0)
        firm_fill = np.divide(firms, firm_demand, out=np.ones_like(firms), where=firm_demand > 0)
        return inst_fill, firm_fill


class TopScientist(mesa.Agent):
    """A top scientist recruited by the talent programme, hosted by an institute.

    Each year the scientist stays with the recruit retention rate; while in Ningbo the host gains
    ``top_scientist_breakthrough_gain`` breakthroughs a year, and with a small probability the
    scientist founds a firm (a spin-off with a large knowledge endowment).
    """

    FOUNDING_PROBABILITY = 0.04  # per year (assumption)

    def __init__(self, model: FutureIndustryModel, direction: int, host: Institute, arrived: int) -> None:
        super().__init__(model)
        self.direction = direction
        self.host = host
        self.arrived = arrived

    def step(self) -> None:
        model = self.model
        leave = model.recruit_leave_rate()[self.direction]
        if model.stream("talent").random() < leave:
            model.talent_departures_top[self.direction] += 1
            self.remove()
            return
        if model.stream("talent").random() < self.FOUNDING_PROBABILITY:
            model.pending_spinoffs.append((self.direction, self.host.district, 1, f"top_scientist_{self.unique_id}"))
