"""Indicators of one model year, by direction ("all" = city total) and, for a few, by district.

Every indicator is declared once, in ``sim/data/<region>/indicators.toml`` (labels, unit, kind, scope,
definition, thresholds); this module computes the declared ones from the model's state. Cumulative
indicators (breakthroughs, standards, platforms, scenarios, high-end products) count events from the
targets' base year (2024) on; their yearly flows (``<name>_in_year``), new listings and invention
patents granted are counted in every simulated year from the scenario's start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.districts import MUNICIPAL, NATIONAL, PROVINCIAL
from agents.firms import HIGH_TECH

if TYPE_CHECKING:
    from sim.model.state import ModelState  # the model's state (FutureIndustryModel is one)

VALUE_ADDED_RATIO = 0.226  # above-size industry, Ningbo 2020: 4042 / 17887.1 (sim/data/ningbo/facts.csv, arithmetic)

def head_mask(model: ModelState, rows: np.ndarray) -> np.ndarray:
    """Which of these firms are head enterprises (indicators.toml ``head_enterprises``)."""
    rule = model.region.indicators["head_enterprises"]
    f = model.firms
    return (f.revenue[rows] >= rule["revenue_min_100m_yuan"]) & (f.relative_tech[rows] >= rule["relative_tech_min"])


def chain_leader_mask(model: ModelState, rows: np.ndarray, partners: np.ndarray) -> np.ndarray:
    rule = model.region.indicators["chain_leaders"]
    f = model.firms
    return ((f.revenue[rows] >= rule["revenue_min_100m_yuan"])
            & (f.relative_tech[rows] >= rule["relative_tech_min"])
            & (partners[rows] >= rule["partners_min"]))


def ecosystem_mask(model: ModelState, rows: np.ndarray, partners: np.ndarray) -> np.ndarray:
    rule = model.region.indicators["ecosystem_enterprises"]
    return (model.firms.revenue[rows] >= rule["revenue_min_100m_yuan"]) & (partners[rows] >= rule["partners_min"])


def year_indicators(model: ModelState) -> tuple[dict[str, np.ndarray], dict[str, float],
                                                         dict[str, np.ndarray]]:
    """Indicators of the model's current year.

    Returns:
        (by_direction, city_only, by_district): ``by_direction[name]`` is an array over directions,
        ``city_only[name]`` a number, ``by_district[name]`` an array (n_directions, n_districts).
    """
    region, f, n_dir = model.region, model.firms, model.region.n_directions
    rows = f.live()
    d = f.direction[rows]
    partners = model.partner_counts()

    def per_direction(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(d, weights=weights, minlength=n_dir).astype(float)

    revenue = per_direction(f.revenue[rows])
    heads = per_direction(head_mask(model, rows).astype(float))
    zones = model.zone_levels()  # (n_dir, n_dist)
    out: dict[str, np.ndarray] = {
        "firms": per_direction(),
        "revenue_100m_yuan": revenue,
        "value_added_100m_yuan": revenue * VALUE_ADDED_RATIO,
        "employees": per_direction(f.employees[rows]),
        "researchers": per_direction(f.researchers[rows]) + model.institute_researchers(),
        "rd_spend_100m_yuan": per_direction(f.rd_spend[rows]),
        "talent_pool": model.talent.total(),
        "talent_inflow": model.talent.inflow.copy(),
        "talent_outflow": model.talent.outflow.copy(),
        "high_tech_firms": per_direction((f.stage[rows] >= HIGH_TECH).astype(float)),
        "head_enterprises": heads,
        "chain_leaders": per_direction(chain_leader_mask(model, rows, partners).astype(float)),
        "ecosystem_enterprises": per_direction(ecosystem_mask(model, rows, partners).astype(float)),
        "new_star_enterprises": per_direction((f.new_star_until[rows] >= model.year).astype(float)),
        "listed_firms": per_direction(f.listed[rows].astype(float)),
        "equity_invested_100m_yuan": model.equity_invested_this_year(),
        "entries": model.year_events["entries"].copy(),
        "funded_firms": per_direction(((model.year - f.funded_year[rows]) <= 2).astype(float)),
        "exits": model.year_events["exits"].copy(),
        "municipal_pilot_zones": model.municipal_zones().sum(axis=1).astype(float),
        "provincial_pilot_zones": (zones >= PROVINCIAL).sum(axis=1).astype(float),
        "national_pilot_zones": (zones >= NATIONAL).sum(axis=1).astype(float),
    }
    for lever, paid in model.spent.items():  # money each lever paid out this year, as delivered
        out[f"spending_{lever}"] = paid.copy()
    for name in ("breakthroughs", "standards", "innovation_platforms", "application_scenarios",
                 "high_end_products", "tech_transfers", "spinoffs"):
        out[name] = model.cumulative[name].copy()
        out[f"{name}_in_year"] = model.year_events[name].copy()
    out["listings"] = model.year_events["listings"].copy()
    out["invention_patents_granted"] = model.year_events["invention_patents_granted"].copy()
    young = model.year_events["young_at_start"]
    rates = {"young_firm_exit_rate": (model.year_events["young_exits"], young),
             "firm_technology": (per_direction(f.relative_tech[rows]), per_direction())}

    cluster = region.indicators["representative_clusters"]
    has_zone = (zones >= MUNICIPAL).any(axis=1)
    representative = ((revenue >= cluster["revenue_min_100m_yuan"])
                      & (heads >= cluster["head_enterprises_min"]) & has_zone)
    big = revenue >= region.indicators["clusters_100bn"]["revenue_min_100m_yuan"]
    gdp = model.gdp()
    city = {
        "representative_clusters": float(representative.sum()),
        "clusters_100bn": float(big.sum()),
        "future_industry_va_share": float(revenue.sum() * VALUE_ADDED_RATIO / gdp),
        "spending_100m_yuan": model.spending_this_year(),
        "gdp_100m_yuan": float(gdp),
    }
    cell = d.astype(np.int64) * region.n_districts + f.district[rows]
    size = n_dir * region.n_districts
    by_district = {
        "firms": np.bincount(cell, minlength=size).reshape(n_dir, -1).astype(float),
        "revenue_100m_yuan": np.bincount(cell, weights=f.revenue[rows], minlength=size).reshape(n_dir, -1),
        "researchers": np.bincount(cell, weights=f.researchers[rows], minlength=size).reshape(n_dir, -1),
    }
    for name, (num, den) in rates.items():  # ratios: the city value is the ratio of the totals
        out[name] = np.divide(num, den, out=np.zeros(n_dir), where=den > 0)
        city[name] = float(num.sum() / den.sum()) if den.sum() > 0 else 0.0
    return out, city, by_district
