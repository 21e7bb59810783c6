"""Lever amounts as decision variables: which levers there are, their yearly level in a scenario, what
a change costs, and scenarios with levers set or scaled.

The levers a decision can move are the ``[levers.*]`` entries of the region's parameter space (each
a dotted path into a scenario, a unit and a range), so another city or a new lever is data. A lever's
*level* in a scenario is its written amount (or count) times the mean over the scenario's years of
the multiple in force (schedule, ramp, step ``changes`` and a budget cap's scaling): a constant
amount has level = amount; ``changes = [{year = 2025, scale = 2}]`` on 6亿 over 2024-2035 gives
(6 + 11 x 12) / 12 = 11.5. Costs come from the scenario's spending plan (:meth:`Scenario.plan`),
never from nominal amounts.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np

from sim.core.errors import InputError
from sim.inputs.region import load_region
from sim.inputs.space import Factor
from sim.scenario.schema import Scenario

MONEY_UNIT_PREFIX = "100m_yuan"


@dataclass(frozen=True)
class LeverFactor:
    """A lever as a decision variable.

    Attributes:
        name: Factor name in the parameter space (``levers.rd_grants``).
        short: Name without the section (``rd_grants``).
        lever: The scenario lever it sets (``rd_grants``; ``talent_programme`` for the talent tiers).
        attribute: The field it sets (``amount_100m_yuan_per_year``, ``young_talent_per_year``...).
        factor: The parameter-space factor (range, unit).
    """

    name: str
    short: str
    lever: str
    attribute: str
    factor: Factor

    @property
    def is_money(self) -> bool:
        """True if the lever is an amount of money (亿元 per year), False for counts."""
        return self.factor.unit.startswith(MONEY_UNIT_PREFIX)

    @property
    def path(self) -> str:
        return self.factor.path


def lever_factors(region_name: str = "ningbo") -> list[LeverFactor]:
    """Every lever factor declared in the region's parameter space, in file order."""
    space = load_region(region_name).space
    out = []
    for name, factor in space.factors.items():
        if factor.section != "levers":
            continue
        parts = factor.path.split(".")
        out.append(LeverFactor(name=name, short=name.split(".", 1)[1], lever=parts[1], attribute=parts[2],
                               factor=factor))
    return out


def resolve_levers(names: list[str] | None, region_name: str = "ningbo", key: str = "--levers") -> list[LeverFactor]:
    """Lever factors by short or full name (all if ``names`` is None).

    Raises:
        InputError: for an unknown name, listing the closest and all known names.
    """
    known = lever_factors(region_name)
    if names is None:
        return known
    by_name = {f.short: f for f in known} | {f.name: f for f in known}
    chosen = []
    for name in names:
        if name not in by_name:
            close = difflib.get_close_matches(name, [f.short for f in known], n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise InputError("unknown lever", key=key, value=name,
                             allowed=hint + ", ".join(f.short for f in known))
        if by_name[name] not in chosen:
            chosen.append(by_name[name])
    return chosen


def lever_fraction(scenario: Scenario, lever: LeverFactor) -> np.ndarray:
    """Multiple of the written amount in force each year, including a budget cap's scaling."""
    obj = getattr(scenario.levers, lever.lever)
    frac = obj.fraction(scenario.years, scenario.start_year, scenario.end_year)
    return frac * scenario.plan().scale


def lever_level(scenario: Scenario, lever: LeverFactor) -> float:
    """Mean yearly level of a lever over the scenario's years (amount or count per year)."""
    written = float(getattr(getattr(scenario.levers, lever.lever), lever.attribute))
    return written * float(np.mean(lever_fraction(scenario, lever)))


def total_cost_100m_yuan(scenario: Scenario) -> float:
    """What the scenario's plan spends over all its years (亿元)."""
    return float(scenario.plan().spending["value"].sum())


def cost_by_lever_100m_yuan(scenario: Scenario) -> dict[str, float]:
    """Plan spending over all years by scenario lever (亿元)."""
    return scenario.plan().spending.groupby("lever")["value"].sum().to_dict()


def with_levels(scenario: Scenario, levels: dict[str, float], name: str) -> Scenario:
    """A copy with each lever factor set to a constant yearly level over the whole period.

    The lever's own schedule (start and end year, ramp, step changes) is cleared, so its level is the
    written amount; levers not named are left as they are.

    Args:
        scenario: The base scenario.
        levels: Lever factor name (full or short) -> amount or count per year.
        name: Name of the copy.
    """
    factors = {f.name: f for f in lever_factors(scenario.region)} | {
        f.short: f for f in lever_factors(scenario.region)}
    data = scenario.model_dump(mode="python")
    for key, value in levels.items():
        lever = factors[key]
        entry = data["levers"][lever.lever]
        entry[lever.attribute] = float(value)
        entry.update(start_year=None, end_year=None, ramp_years=0, changes=[])
    data["name"] = name
    return _validated(data, scenario)


def with_designations(scenario: Scenario, designations: list, name: str | None = None) -> Scenario:
    """A copy whose municipal pilot-zone designations are ``designations`` (a list of the lever's
    ``Designation`` entries or their dicts), everything else unchanged.

    Designations are decisions of the city, not items of a budget: a budget split (``weilai allocate``)
    keeps the ones of the plan it is compared with, so that candidates and comparators differ only in money.
    """
    data = scenario.model_dump(mode="python")
    data["levers"]["pilot_zones"]["designations"] = [
        d.model_dump(mode="python") if hasattr(d, "model_dump") else dict(d) for d in designations]
    data["name"] = name or scenario.name
    return _validated(data, scenario)


def scaled(scenario: Scenario, scale: float, name: str, levers: list[str] | None = None) -> Scenario:
    """A copy with every lever (or the named scenario levers) multiplied by ``scale`` in every year.

    Existing step changes are multiplied too, and a change at the start year is added, so the
    lever's whole schedule is scaled (``changes`` on the levers, not a budget cap).
    """
    data = scenario.model_dump(mode="python")
    start = scenario.start_year
    for lever_name, entry in data["levers"].items():
        if levers is not None and lever_name not in levers:
            continue
        changes = [dict(c, scale=min(20.0, c["scale"] * scale)) for c in entry.get("changes", [])]
        if not any(c["year"] <= start for c in changes):
            changes.insert(0, {"year": start, "scale": min(20.0, scale)})
        entry["changes"] = changes
    data["name"] = name
    return _validated(data, scenario)


def scaled_to_cost(scenario: Scenario, cost_100m_yuan: float, name: str, tolerance: float = 0.005) -> Scenario:
    """The scenario with all levers scaled so that its plan spends ``cost_100m_yuan`` over the period.

    Bisection on the scale (plan cost grows with it; counts are rounded, so the match is within
    ``tolerance`` of the cost, or as close as rounding allows).

    Raises:
        InputError: if the cost cannot be reached within the schema's largest step change (x20).
    """
    base_cost = total_cost_100m_yuan(scenario)
    if base_cost <= 0:
        raise InputError("a scenario that spends nothing cannot be scaled to a cost", key="scenario",
                         value=scenario.name, allowed="a scenario with spending")
    if total_cost_100m_yuan(scaled(scenario, 20.0, name)) < cost_100m_yuan:
        raise InputError("the cost is out of reach by scaling this scenario", key="scenario", value=scenario.name,
                         allowed=f"a cost up to 20 x its {base_cost:.1f}亿")
    low, high = 0.0, 20.0
    scale = cost_100m_yuan / base_cost
    for _ in range(40):
        candidate = scaled(scenario, scale, name)
        cost = total_cost_100m_yuan(candidate)
        if abs(cost - cost_100m_yuan) <= tolerance * cost_100m_yuan:
            break
        low, high = (scale, high) if cost < cost_100m_yuan else (low, scale)
        scale = (low + high) / 2
    return candidate


def _validated(data: dict, like: Scenario) -> Scenario:
    from sim.scenario.schema import validate_scenario

    copy = validate_scenario(data, file=like.source)
    copy._source = like.source
    return copy
