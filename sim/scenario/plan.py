"""The plan: a scenario's yearly amounts by lever and direction, and its spending table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.inputs.region import Region
from sim.scenario.lever_schemas import Lever, MoneyLever
from sim.scenario.levers import Plan, apportion_counts, shares_by_year

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario


def build_plan(scenario: Scenario, region: Region) -> Plan:
    """Yearly lever amounts by direction and the spending table, with the budget cap applied."""
    years = scenario.years
    n_dir = region.n_directions
    default = _share_vector(scenario.priorities.shares, region)
    changes = [(c.year, _share_vector(c.shares, region)) for c in scenario.priorities.changes]
    priority = shares_by_year(years, default, changes)
    start, end = scenario.start_year, scenario.end_year
    levers = scenario.levers

    def shares_of(lever: Lever) -> np.ndarray:
        if lever.allocation is None:
            return priority
        return np.tile(_share_vector(lever.allocation, region), (len(years), 1))

    money: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}
    rows: list[tuple[int, str, str, float]] = []  # year, lever, direction, value

    def spend(name: str, by_dir: np.ndarray) -> None:
        for t, year in enumerate(years):
            for d, direction in enumerate(region.directions):
                rows.append((int(year), name, direction, float(by_dir[t, d])))

    for name, lever in levers.items():
        frac = lever.fraction(years, start, end)
        if isinstance(lever, MoneyLever):
            amounts = lever.amount_100m_yuan_per_year * frac[:, None] * shares_of(lever)
            money[name] = amounts
            spend(name, amounts)

    platforms = levers.new_platforms
    founded = apportion_counts(platforms.platforms_per_year * platforms.fraction(years, start, end),
                               shares_of(platforms))
    counts["new_platforms"] = founded
    operating = np.cumsum(founded, axis=0) - founded  # platforms founded in earlier years
    spend("new_platforms", founded * platforms.setup_cost_100m_yuan
          + operating * platforms.operating_cost_100m_yuan_per_year)

    scen = levers.application_scenarios
    opened = apportion_counts(scen.scenarios_per_year * scen.fraction(years, start, end), shares_of(scen))
    counts["application_scenarios"] = opened
    spend("application_scenarios", opened * scen.cost_100m_yuan_per_scenario)

    talent = levers.talent_programme
    frac = talent.fraction(years, start, end)
    tshares = shares_of(talent)
    talent_cost = np.zeros((len(years), n_dir))
    for tier in ("top_scientists", "leading_talent", "young_talent"):
        n = apportion_counts(getattr(talent, f"{tier}_per_year") * frac, tshares)
        counts[f"talent_{tier}"] = n
        unit = getattr(talent, "cost_100m_yuan_per_" + tier.removesuffix("s"))
        talent_cost += n * unit
    retention = talent.retention_support_100m_yuan_per_year * frac[:, None] * tshares
    money["talent_retention"] = retention
    spend("talent_programme", talent_cost + retention)

    zones = levers.pilot_zones
    zone_counts = np.zeros((len(years), n_dir), dtype=int)
    for d in zones.designations:
        zone_counts[years == d.year, region.direction_index(d.direction)] += 1
    counts["pilot_zones"] = zone_counts
    active = np.cumsum(zone_counts, axis=0)
    spend("pilot_zones", active * zones.support_100m_yuan_per_zone_per_year
          * zones.fraction(years, start, end)[:, None])

    spending = pd.DataFrame(rows, columns=["year", "lever", "direction", "value"])
    project = {name: type(lever).PROJECT for name, lever in levers.items()}
    spending["project"] = spending["lever"].map(project)

    scale = np.ones(len(years))
    cap = scenario.budget.cap_100m_yuan_per_year
    if cap is not None and scenario.budget.on_exceed == "scale":
        totals = spending.groupby("year")["value"].sum().reindex(years).to_numpy()
        scale = np.where(totals > cap, cap / np.maximum(totals, 1e-12), 1.0)
        spending["value"] *= spending["year"].map(dict(zip(years.tolist(), scale))).to_numpy()
        money = {k: v * scale[:, None] for k, v in money.items()}
        counts = {k: v if k == "pilot_zones" else np.floor(v * scale[:, None] + 1e-9).astype(int)
                  for k, v in counts.items()}
    return Plan(years=years, money=money, counts=counts, spending=spending, scale=scale)


def _share_vector(shares: dict[str, float] | None, region: Region) -> np.ndarray:
    if shares is None:
        return np.full(region.n_directions, 1.0 / region.n_directions)
    return np.array([shares.get(d, 0.0) for d in region.directions])
