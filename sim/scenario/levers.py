"""Lever arithmetic: schedules, direction shares, whole-unit counts and the spending plan.

Pure functions over numbers and arrays; the scenario schema (``sim.scenario.schema``) declares the levers and
the model reads the resulting :class:`Plan`. Spending is what the scenario appropriates: every lever's
yearly cost is fixed by the scenario file, so the reported total is exactly the sum over levers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def schedule(years: np.ndarray, start: int, end: int, ramp_years: int) -> np.ndarray:
    """Fraction of a lever's full amount in force each year.

    Zero before ``start`` and after ``end``; a linear ramp reaches the full amount in year
    ``start + ramp_years``.

    Example:
        >>> schedule(np.arange(2024, 2029), 2025, 2027, 1).tolist()
        [0.0, 0.5, 1.0, 1.0, 0.0]
    """
    years = np.asarray(years)
    active = (years >= start) & (years <= end)
    ramp = np.minimum(1.0, (years - start + 1) / (ramp_years + 1))
    return np.where(active, ramp, 0.0)


def shares_by_year(
    years: np.ndarray,
    default: np.ndarray,
    changes: list[tuple[int, np.ndarray]],
) -> np.ndarray:
    """Direction shares for each year: the default, replaced from each change's year on.

    Returns:
        Array (n_years, n_directions); each row sums to 1.
    """
    out = np.tile(default, (len(years), 1)).astype(float)
    for year, shares in sorted(changes, key=lambda c: c[0]):
        out[np.asarray(years) >= year] = shares
    return out


def apportion_counts(rate: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Turn a fractional yearly rate into whole units per year and direction.

    The running total is rounded down (2.5 a year gives 2, 3, 2, 3, ...) and each new unit goes to
    the direction furthest behind its running share (largest remainder), so counts are deterministic
    and never taken back.

    Args:
        rate: Units per year, shape (n_years,).
        shares: Direction shares per year, shape (n_years, n_directions).

    Returns:
        Integer array (n_years, n_directions).

    Example:
        >>> apportion_counts(np.array([1.5, 1.5]), np.array([[0.5, 0.5], [0.5, 0.5]])).tolist()
        [[1, 0], [1, 1]]
    """
    rate = np.asarray(rate, dtype=float)
    n_years, n_dir = shares.shape
    total_cum = np.floor(np.cumsum(rate) + 1e-9).astype(int)
    target_cum = np.cumsum(rate[:, None] * shares, axis=0)
    realised = np.zeros(n_dir, dtype=int)
    out = np.zeros((n_years, n_dir), dtype=int)
    for t in range(n_years):
        new = total_cum[t] - realised.sum()
        for _ in range(new):
            d = int(np.argmax(target_cum[t] - realised))
            realised[d] += 1
            out[t, d] += 1
    return out


def institute_costs(decided: np.ndarray, setup: float, operating: float, build_years: int) -> np.ndarray:
    """Yearly cost of organisations decided each year: set-up spread evenly over the build years
    (all in the decision year when there are none), running cost from the opening year on.

    Args:
        decided: Units decided per year and direction, shape (n_years, n_directions).

    Example:
        >>> institute_costs(np.array([[1.0], [0.0], [0.0], [0.0]]), 4.0, 1.0, 2)[:, 0].tolist()
        [2.0, 2.0, 1.0, 1.0]
    """
    n_years = len(decided)
    out = np.zeros_like(decided, dtype=float)
    for t in range(n_years):
        if build_years == 0:
            out[t] += decided[t] * setup
        else:
            out[t:t + build_years] += decided[t] * setup / build_years
        out[t + build_years:] += decided[t] * operating
    return out


def stochastic_round(expected: np.ndarray, uniform: float) -> np.ndarray:
    """Whole units with the given expectations, rounded together by systematic sampling.

    Each element gets its floor or its ceiling, with the expectation it was given, and the total is the
    total expectation rounded down or up: e.g. a budget cap that leaves 0.6 of a scenario in each of
    three directions delivers one or two scenarios (expected 1.8), never three, and never floors every
    unit away. Whole expectations come back unchanged whatever the uniform draw.

    Args:
        expected: Expected units, e.g. by direction.
        uniform: One draw in [0, 1) (from the caller's random stream).

    Example:
        >>> stochastic_round(np.array([0.6, 0.6, 0.8]), 0.5).tolist()
        [1, 0, 1]
        >>> stochastic_round(np.array([2.0, 0.0, 1.0]), 0.99).tolist()
        [2, 0, 1]
    """
    expected = np.asarray(expected, dtype=float)
    cumulative = np.floor(np.cumsum(expected) + 1e-9 + float(uniform) * (1.0 - 2e-9))
    return np.diff(cumulative, prepend=np.floor(1e-9 + float(uniform) * (1.0 - 2e-9))).astype(np.int64)


# --------------------------------------------------------------------------------- the typed plan
#
# What each lever delivers to the model, as typed fields: money by year and direction (after the
# budget cap), unit counts per year and direction (expected whole units; fractional only where a
# budget cap scaled them, and then rounded stochastically by the model), unit costs and terms. The
# model reads only these (``model.plan.<lever>.<field>``), never the scenario's lever objects, so the
# budget cap reaches every lever that costs money. Arrays have shape (n_years, n_directions), index 0 =
# the scenario's start year.


@dataclass(frozen=True)
class MoneyPlan:
    """A lever that is money by year and direction."""

    money_100m_yuan: np.ndarray


@dataclass(frozen=True)
class RdGrantsPlan(MoneyPlan):
    max_share_of_own_rd: float


@dataclass(frozen=True)
class BasicResearchPlan(MoneyPlan):
    pass


@dataclass(frozen=True)
class TechTransferPlan(MoneyPlan):
    pass


@dataclass(frozen=True)
class FirstOfAKindPlan(MoneyPlan):
    cost_100m_yuan_per_product: float


@dataclass(frozen=True)
class InvestmentAttractionPlan(MoneyPlan):
    pass


@dataclass(frozen=True)
class TalentAttractionPlan(MoneyPlan):
    pass


@dataclass(frozen=True)
class GuidanceFundPlan(MoneyPlan):
    n_sub_funds: int
    stage_shares: tuple[float, float, float]  # seed, early, growth
    deployment_years: int


@dataclass(frozen=True)
class AngelFundPlan(MoneyPlan):
    pass


@dataclass(frozen=True)
class LoanInterestSubsidiesPlan(MoneyPlan):
    max_per_firm_100m_yuan: float


@dataclass(frozen=True)
class DirectSubsidiesPlan(MoneyPlan):
    per_firm_100m_yuan: float


@dataclass(frozen=True)
class IncumbentDiversificationPlan(MoneyPlan):
    cost_100m_yuan_per_firm: float


@dataclass(frozen=True)
class NewPlatformsPlan:
    founded: np.ndarray  # expected platforms founded per year and direction
    setup_cost_100m_yuan: float
    operating_cost_100m_yuan_per_year: float


@dataclass(frozen=True)
class ApplicationScenariosPlan:
    opened: np.ndarray  # expected scenarios opened per year and direction
    cost_100m_yuan_per_scenario: float
    contract_years: int


@dataclass(frozen=True)
class TalentProgrammePlan:
    top_scientists: np.ndarray  # expected recruits per year and direction, by tier
    leading_talent: np.ndarray
    young_talent: np.ndarray
    cost_100m_yuan_per_top_scientist: float
    cost_100m_yuan_per_leading_talent: float
    cost_100m_yuan_per_young_talent: float
    retention_100m_yuan: np.ndarray  # retention support money by year and direction


@dataclass(frozen=True)
class ZoneDesignation:
    year: int
    district: int  # index into the region's districts
    direction: int  # index into the region's directions


@dataclass(frozen=True)
class PilotZonesPlan:
    designations: tuple[ZoneDesignation, ...]
    support_100m_yuan_per_zone: np.ndarray  # (n_years,): support paid per zone in force (cap applied)


@dataclass(frozen=True)
class MajorProjectsPlan(MoneyPlan):
    cost_100m_yuan_per_project: float


@dataclass(frozen=True)
class InstitutesPlan:
    """Research organisations or industrial platforms decided per year and direction (expected units);
    each opens ``build_years`` after its decision, its set-up paid evenly over the build years (in the
    decision year if there are none), its running cost from its opening on."""

    decided: np.ndarray
    setup_cost_100m_yuan: float
    operating_cost_100m_yuan_per_year: float
    build_years: int
    kind: str


@dataclass(frozen=True)
class IpServicesPlan(MoneyPlan):
    pass


@dataclass(frozen=True)
class IndustryCollegesPlan:
    founded: np.ndarray  # expected colleges founded per year and direction
    operating_cost_100m_yuan_per_year: float
    graduates_per_college_per_year: float
    training_years: int


@dataclass(frozen=True)
class BondFinancePlan(MoneyPlan):
    max_per_firm_100m_yuan: float


@dataclass(frozen=True)
class SandboxPlan:
    coverage: np.ndarray  # share of each direction under a sandbox, 0-1, by year (cap applied)
    cost_100m_yuan_per_direction_per_year: float


@dataclass(frozen=True)
class ComputeInfrastructurePlan(MoneyPlan):
    pass


@dataclass(frozen=True)
class Plan:
    """What the levers put into the model, year by year (index 0 = the scenario's start year).

    One typed field per lever (see the classes above); the model reads nothing else of the levers.

    Attributes:
        years: The simulated years.
        spending: The planned spending: tidy table (year, lever, project, direction, value) in 100m
            yuan, with the budget cap applied (expected cost where units are rounded stochastically).
            What the model actually pays is recorded by the model (indicators ``spending_*``).
        scale: Budget scaling applied per year (1.0 where the cap was not binding).
    """

    years: np.ndarray
    spending: pd.DataFrame
    scale: np.ndarray
    rd_grants: RdGrantsPlan
    basic_research: BasicResearchPlan
    new_platforms: NewPlatformsPlan
    tech_transfer: TechTransferPlan
    application_scenarios: ApplicationScenariosPlan
    first_of_a_kind: FirstOfAKindPlan
    pilot_zones: PilotZonesPlan
    investment_attraction: InvestmentAttractionPlan
    incumbent_diversification: IncumbentDiversificationPlan
    talent_programme: TalentProgrammePlan
    talent_attraction: TalentAttractionPlan
    guidance_fund: GuidanceFundPlan
    angel_fund: AngelFundPlan
    loan_interest_subsidies: LoanInterestSubsidiesPlan
    direct_subsidies: DirectSubsidiesPlan
    major_projects: MajorProjectsPlan
    big_science: InstitutesPlan
    rd_institutions: InstitutesPlan
    industry_platforms: InstitutesPlan
    ip_services: IpServicesPlan
    industry_colleges: IndustryCollegesPlan
    bond_finance: BondFinancePlan
    sandbox: SandboxPlan
    compute_infrastructure: ComputeInfrastructurePlan

    def total_spending(self) -> pd.Series:
        """Total planned spending per year (100m yuan)."""
        return self.spending.groupby("year")["value"].sum().reindex(self.years, fill_value=0.0)
