"""Ningbo's established manufacturers as a reservoir of entrants to the nine directions.

传统优势企业布局未来产业赛道: the city's above-size manufacturers outside the nine directions (new
materials, automotive parts, electrical equipment, electronics, equipment, biomedicine...) can open a
business in an adjacent direction. Each year every manufacturer still outside a direction enters it
with a small hazard (:func:`sim.model.rules.diversification_hazard`), raised by the city's demand for the
direction's products (application scenarios, first-of-a-kind support) and by pilot zones; the
diversification programme (lever ``incumbent_diversification``) supports a number of them each year
(money / cost per firm), each of which enters with a chance that falls as the readiest firms have
already moved (:func:`sim.model.rules.programme_success`). Entrants bring an established business: revenue,
a share of the parent's revenue (parents' revenues are Pareto above the size line), an R&D stock at
the steady state of their R&D, a productivity drawn above the direction's average
(more productive firms diversify), the parent's age and some of its cash. They are firms of origin
``DIVERSIFIED`` and can become head enterprises, ecosystem enterprises and chain leaders like any other.

The reservoir sizes are data (``initial_state.csv``, quantity ``adjacent_manufacturers``) times the
uncertainty ``incumbent_reservoir_scale``; every behavioural number is a parameter of
``parameter_space.toml`` (docs/ODD.md, "Incumbent diversification").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.districts import LEVEL_EFFECT
from agents.firms import DIVERSIFIED
from sim.model import rules
from sim.model.streams import generator

if TYPE_CHECKING:
    from sim.model.model import FutureIndustryModel

PARENT_AGE_YEARS = (8, 30)  # ages of the parent manufacturers, uniform (assumption)
SIZE_LINE_100M_YUAN = 0.2   # China's statistical size line for industry (规模以上: sales >= 20m yuan)
ENTRY_SHARE_SD = 0.8        # log-sd of the new business's first-year revenue over the parent's (assumption)
PARENT_CASH_SHARE = 0.2     # parent money brought for the new business, share of its revenue (assumption)
_SLOT_STREAM = 0xD1F5       # separates the manufacturers' own draws from the model's yearly streams


def reservoir_tail_exponent(output_100m_yuan: float, firms: float) -> float:
    """Pareto tail exponent of manufacturers' revenues above the size line that gives their sourced mean
    revenue (output over firms): a Pareto with minimum m and exponent a has mean m a / (a - 1).

    Example:
        >>> round(reservoir_tail_exponent(24300.0, 10000.0), 3)
        1.09
    """
    mean = output_100m_yuan / firms
    if mean <= SIZE_LINE_100M_YUAN:
        raise ValueError(f"mean revenue {mean:.3g}亿 must exceed the size line {SIZE_LINE_100M_YUAN}亿")
    return mean / (mean - SIZE_LINE_100M_YUAN)


def sourced_tail_exponent(facts: pd.DataFrame, year: int) -> float | None:
    """:func:`reservoir_tail_exponent` from a region's facts: above-size industrial output and firm count
    of one and the same year, the year nearest ``year`` that has both (the earlier on a tie); None if
    no year has both.

    Example:
        >>> facts = pd.DataFrame({"indicator": ["industrial_output_above_size"] * 2 + ["industrial_firms_above_size"],
        ...                       "year": [2020, 2022, 2022], "value": [17887.1, 24300.0, 10000.0]})
        >>> round(sourced_tail_exponent(facts, 2019), 3)  # 2022 is the only year with both, not 2020's output
        1.09
    """
    output = facts[facts["indicator"] == "industrial_output_above_size"].set_index("year")["value"]
    count = facts[facts["indicator"] == "industrial_firms_above_size"].set_index("year")["value"]
    both = sorted(set(output.index) & set(count.index))
    if not both:
        return None
    nearest = min(both, key=lambda y: (abs(y - year), y))
    return reservoir_tail_exponent(float(output[nearest]), float(count[nearest]))


class IncumbentReservoir:
    """Established manufacturers that may enter each direction, one slot per manufacturer.

    Common random numbers: every manufacturer (slot) has its own revenue and readiness (log revenue
    + Gumbel noise: the programme supports the best placed first), its own yearly entry and success
    draws, and its own attributes if it enters (share of its revenue, age, productivity, district), all
    derived from (replicate seed, direction, slot). Two scenarios with the same seed therefore see the same
    manufacturers enter unless a lever changes their hazard or supports them, and an extra entrant leaves the others'
    draws untouched.

    Attributes:
        initial: Manufacturers able to enter, by direction, at the start.
        left: Those still outside, by direction.
        supported: Firms supported by the programme this year, by direction (units delivered).
        entered: Entrants this year, by direction (spontaneous + supported).
    """

    def __init__(self, model: FutureIndustryModel) -> None:
        v = model.values
        counts = model.region.initial(model.year, "adjacent_manufacturers")
        self.initial = np.round(counts * v.incumbent_reservoir_scale * model.population_scale)
        self.seed = model.seed
        n_dir = model.region.n_directions
        self.inside = [np.zeros(int(n), dtype=bool) for n in self.initial]
        # each manufacturer's own revenue: Pareto above the size line, with the tail exponent that gives
        # the mean revenue of Ningbo's above-size industrial firms (facts.csv: output over firms in the
        # sourced years nearest the start, 2.43万亿 over 10,000+ firms in 2022, i.e. 2.43亿 and exponent
        # 1.09; :func:`reservoir_tail_exponent`), not the nine directions' own size tail. The programme supports the
        # manufacturers best placed to enter first: larger ones, with noise (log revenue + Gumbel).
        # Larger manufacturers diversify more often (hazard x (revenue / size line)^elasticity, normalised
        # to a mean of 1 over the reservoir, so diversification_hazard stays the average hazard).
        # Each manufacturer sits in a home district, where its new business opens: the policy's named
        # districts of the direction hold named_district_share of them, as of the initial firms.
        self.parent_revenue, self.readiness, self.size_factor, self.home = [], [], [], []
        sourced = sourced_tail_exponent(model.region.facts, model.year)
        # a region without these statistics: its firms' own size tail (an assumption, ODD)
        self.tail_exponent = v.initial_size_tail_exponent if sourced is None else sourced
        for d, n in enumerate(self.initial):
            gen = generator(self.seed, _SLOT_STREAM, d)
            named = model.region.named[d]
            share = v.named_district_share
            p = np.where(named, share / named.sum(), (1 - share) / max(1, (~named).sum()))
            parent = SIZE_LINE_100M_YUAN * (gen.pareto(self.tail_exponent, int(n)) + 1.0)
            self.parent_revenue.append(parent)
            self.readiness.append(np.log(parent) + gen.gumbel(size=int(n)))
            factor = (parent / SIZE_LINE_100M_YUAN) ** v.diversification_size_elasticity
            self.size_factor.append(factor / factor.mean() if len(factor) else factor)
            self.home.append(gen.choice(len(p), size=int(n), p=p / p.sum()))
        self.supported = np.zeros(n_dir)
        self.entered = np.zeros(n_dir)

    @property
    def left(self) -> np.ndarray:
        """Manufacturers still outside each direction."""
        return np.array([float((~inside).sum()) for inside in self.inside])

    def step(self, model: FutureIndustryModel) -> None:
        """Entry of this year's diversifying manufacturers (called in the model's entry step)."""
        v = model.values
        n_dir = model.region.n_directions
        scenarios = model.plan.application_scenarios
        demand = (model.this_year(model.plan.first_of_a_kind.money_100m_yuan)
                  + model.this_year(scenarios.opened) * scenarios.cost_100m_yuan_per_scenario)
        zones = model.zone_levels()
        plan = model.plan.incumbent_diversification
        money = model.this_year(plan.money_100m_yuan)
        rng = model.stream("diversification")  # only for rounding the programme's units
        offered = np.array([rules.integer_draw(m / plan.cost_100m_yuan_per_firm, rng) for m in money])
        self.supported[:] = 0.0
        self.entered[:] = 0.0
        for d in range(n_dir):
            inside = self.inside[d]
            if len(inside) == 0:
                continue
            draws = generator(self.seed, _SLOT_STREAM, d, model.year).random((2, len(inside)))
            zone_strength = LEVEL_EFFECT[zones[d, self.home[d]]] * model._zone_support_factor(d)
            hazard = rules.diversification_hazard(v.diversification_hazard, demand[d], v.diversification_demand_pull,
                                                  zone_strength, v.pilot_zone_entry_effect)
            spontaneous = ~inside & (draws[0] < np.minimum(1.0, hazard * self.size_factor[d]))
            outside = np.flatnonzero(~inside & ~spontaneous)
            chosen = (outside[np.argsort(-self.readiness[d][outside], kind="stable")[: int(offered[d])]]
                      if offered[d] > 0 else outside[:0])
            success = rules.programme_success(v.diversification_programme_success,
                                              np.array(len(outside), dtype=float), np.array(self.initial[d]))
            programme = chosen[draws[1][chosen] < success]
            self.supported[d] = len(chosen)
            slots = np.sort(np.concatenate([np.flatnonzero(spontaneous), programme]))
            inside[slots] = True
            self.entered[d] = len(slots)
            self._enter(model, d, slots)
        # the programme pays its grant to every manufacturer it supported this year (delivered units)
        model.pay("incumbent_diversification", self.supported * plan.cost_100m_yuan_per_firm)

    def _enter(self, model: FutureIndustryModel, d: int, slots: np.ndarray) -> None:
        """These manufacturers open their businesses in direction ``d``, in slot order. Each takes its
        attributes from its own generator (seeded by its slot), so whether one enters cannot change
        another's draws."""
        if len(slots) == 0:
            return
        v, f = model.values, model.firms
        share, age, productivity = np.empty(len(slots)), np.empty(len(slots), dtype=int), np.empty(len(slots))
        draws = np.empty((3, len(slots)))
        for k, slot in enumerate(slots):
            rng = generator(self.seed, _SLOT_STREAM, d, int(slot), 1)
            share[k] = v.diversified_entry_share * np.exp(ENTRY_SHARE_SD * rng.standard_normal())
            age[k] = rng.integers(PARENT_AGE_YEARS[0], PARENT_AGE_YEARS[1] + 1)
            productivity[k] = v.productivity_dispersion * (v.diversifier_productivity_premium + rng.standard_normal())
            draws[:, k] = rules.firm_draws(rng, 1, v.productivity_dispersion)[:, 0]
            draws[1, k] = productivity[k]  # the parent's productivity premium, from the firm's first year
        revenue = self.parent_revenue[d][slots] * np.minimum(1.0, share)
        rows = model._add_firms(d, revenue, age, DIVERSIFIED, knowledge=None, cash=PARENT_CASH_SHARE * revenue,
                                district=self.home[d][slots], rng=None, draws=draws,
                                group=f"diversified:{d}", members=slots)
        f.knowledge[rows] = f.rd_spend[rows] / v.knowledge_depreciation
        model.year_events["entries"][d] += len(slots)
