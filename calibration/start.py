"""One starting point: the 2024 start state of every draw, set from that draw's own hindcast.

Forward runs start in 2024 from ``sim/data/ningbo/initial_state.csv`` (the 2024 rows), scaled by the
start-state parameters (``initial_firms_scale``, ``initial_revenue_scale``, ``initial_high_tech_share``,
``initial_listed_share``). The calibration's hindcast (2019-2024) ends somewhere else unless those
parameters are chosen to agree with it. For each draw, :func:`start_values` picks them so that the
forward model's state at the start of 2024 equals the state the draw's hindcast reached at the end of
2023 (the same moment), in city firms, revenue, certified high-tech firms and listed firms:

- the two scales are ratios of the hindcast's totals to the initial-state totals;
- the two shares are ratios of the hindcast's counts to the counts of firms *eligible* in the 2024
  initial population (certification rules; the listing rule), counted on the model's own initial state
  built with both shares at 1 (one model construction per draw, about 0.1 s);
- head enterprises: the leading group's relative technology (``leader_relative_tech``, per direction)
  is scaled by one common factor, chosen on a grid so that the initial population holds as many head
  enterprises as the hindcast (relative technology is proportional to it, so the same construction
  serves every grid point).

Every value is clipped to its prior range (so the draws stay inside the parameter space); the report
says how many were clipped.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sim.inputs.region import Region
from sim.inputs.space import resolve_values
from sim.model.indicators import head_mask
from sim.model.model import FutureIndustryModel
from sim.scenario.schema import Scenario

QUANTITIES = ("firms", "revenue_100m_yuan", "high_tech_firms", "listed_firms", "head_enterprises")
START_YEAR = 2024
TOLERANCE = 0.10  # forward and hindcast medians must agree within this relative difference
LEADER_FACTORS = np.exp(np.linspace(np.log(0.3), np.log(3.0), 81))  # grid of the common factor on leader_relative_tech


def start_values(region: Region, scenario: Scenario, draw: Mapping[str, float], target: Mapping[str, float],
                 roles: Mapping[str, str], seed: int, population_scale: float = 1.0) -> tuple[dict[str, float], int]:
    """Start-state values for 2024 that reproduce a hindcast's end-of-2023 state.

    Args:
        region: The region (initial state, parameter space).
        scenario: The forward scenario (start year 2024).
        draw: The draw's other parameter values (full factor names), used to build the initial state.
        target: The hindcast's city totals at the end of 2023 by quantity (at ``population_scale``).
        roles: Parameter short name -> the quantity it reproduces (``[start_2024]`` of the settings).
        seed: Seed of the model construction that counts eligible firms.
        population_scale: The population scale the hindcast ran at.

    Returns:
        (full factor name -> value, number of values clipped to their prior range).
    """
    space = region.space
    values: dict[str, float] = {}
    clipped = 0

    def put(short: str, value: float) -> None:
        nonlocal clipped
        factor = space.factors[f"parameters.{short}"]
        inside = float(np.clip(value, factor.low, factor.high))
        clipped += int(not np.isclose(inside, value, rtol=1e-9))
        values[factor.name] = inside

    by_quantity = {quantity: short for short, quantity in roles.items()}
    if "firms" in by_quantity:
        put(by_quantity["firms"], target["firms"] / (region.initial(START_YEAR, "firms").sum() * population_scale))
    if "revenue_100m_yuan" in by_quantity:
        put(by_quantity["revenue_100m_yuan"], target["revenue_100m_yuan"]
            / (region.initial(START_YEAR, "revenue_100m_yuan").sum() * population_scale))
    counted = {"high_tech_firms", "listed_firms", "head_enterprises"} & set(by_quantity)
    if counted:
        trial = {**draw, **values, **{f"parameters.{by_quantity[q]}": 1.0 for q in counted}}
        resolved = resolve_values(space, scenario.uncertainties, scenario.parameters, trial)
        model = FutureIndustryModel(scenario, seed, values=resolved, population_scale=population_scale)
        f, rows = model.firms, model.firms.live()
        eligible = {"high_tech_firms": float(f.high_tech[rows].sum()), "listed_firms": float(f.listed[rows].sum())}
        for quantity in sorted(counted - {"head_enterprises"}):
            put(by_quantity[quantity], target[quantity] / eligible[quantity] if eligible[quantity] > 0 else 1.0)
        if "head_enterprises" in counted:
            n_clipped, achieved = _match_heads(model, rows, space, by_quantity["head_enterprises"],
                                               target["head_enterprises"], values)
            clipped += n_clipped
            values["achieved_head_enterprises"] = achieved
    return values, clipped


def _match_heads(model: FutureIndustryModel, rows: np.ndarray, space, short: str, target: float,
                 values: dict[str, float]) -> tuple[int, float]:
    """Scale the per-direction ``short`` (the leading group's relative technology) by the common factor of
    :data:`LEADER_FACTORS` whose initial population holds the number of head enterprises closest to
    ``target``; writes the per-direction values into ``values``, returns how many were clipped and the
    head count reached (counts are lumpy in small populations: the closest attainable one is taken)."""
    f = model.firms
    entry = space.entries[f"parameters.{short}"]
    current = np.asarray(getattr(model.values, short), dtype=float)
    low = np.array([fac.low for fac in entry.factors])
    high = np.array([fac.high for fac in entry.factors])
    base = f.relative_tech[rows].copy()
    direction = f.direction[rows]
    best: tuple[float, np.ndarray, float] | None = None
    best_gap = np.inf
    for k in LEADER_FACTORS:
        chosen = np.clip(current * k, low, high)
        f.relative_tech[rows] = base * (chosen / current)[direction]
        gap = abs(float(head_mask(model, rows).sum()) - target)
        if best is None or gap < best_gap - 1e-9 or (
                abs(gap - best_gap) <= 1e-9 and abs(np.log(k)) < abs(np.log(best[0]))):
            best, best_gap = (k, chosen, float(head_mask(model, rows).sum())), gap
    f.relative_tech[rows] = base
    assert best is not None  # LEADER_FACTORS is not empty
    k, chosen, achieved = best
    for fac, value in zip(entry.factors, chosen):
        values[fac.name] = float(value)
    return int(np.sum(~np.isclose(chosen, current * k, rtol=1e-9))), achieved


def start_table(hindcast: pd.DataFrame, forward: pd.DataFrame, year: int = START_YEAR) -> pd.DataFrame:
    """Medians of the hindcast's and the forward runs' city state in ``year``, and their agreement.

    Args:
        hindcast: City rows of the posterior-predictive hindcast (columns sample, year, indicator, value;
            optionally weight).
        forward: City rows of forward runs with the draws (columns replicate or sample, year, indicator, value).

    Returns:
        One row per quantity of :data:`QUANTITIES`: hindcast_median, forward_median, relative_difference
        (forward / hindcast - 1), within (|difference| <= :data:`TOLERANCE`).
    """
    from calibration.abc import weighted_quantile

    rows = []
    for quantity in QUANTITIES:
        h = hindcast[(hindcast["indicator"] == quantity) & (hindcast["year"] == year)]
        w = h["weight"].to_numpy(dtype=float) if "weight" in h else np.ones(len(h))
        h_median = weighted_quantile(h["value"].to_numpy(dtype=float), w, 0.5) if len(h) else np.nan
        fw = forward[(forward["indicator"] == quantity) & (forward["year"] == year)]["value"]
        f_median = float(np.median(fw)) if len(fw) else np.nan
        difference = f_median / h_median - 1.0 if h_median > 0 else np.nan
        rows.append({"quantity": quantity, "year": year, "hindcast_median": h_median, "forward_median": f_median,
                     "relative_difference": difference,
                     "within": bool(np.isfinite(difference) and abs(difference) <= TOLERANCE)})
    return pd.DataFrame(rows)
