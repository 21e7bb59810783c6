"""One starting point: the 2024 start state of every draw, set from that draw's own hindcast.

Forward runs start in 2024 from ``sim/data/ningbo/initial_state.csv`` (the 2024 rows), scaled by the
start-state parameters (``initial_firms_scale``, ``initial_revenue_scale``, ``initial_high_tech_share``,
``initial_listed_share``). The calibration's hindcast (2019-2024) ends somewhere else unless those
parameters are chosen to agree with it. For each draw, :func:`start_values` picks them so that the
forward model's state at the start of 2024 equals given targets in city firms, revenue, certified
high-tech firms, listed firms and head enterprises. The calibration (``Calibration.draws``) calls it
twice: with the state the draw's hindcast reached at the end of 2023 (the same moment), then with that
state corrected for the first year (:func:`first_year`, :func:`corrected_target`), so that the forward
runs' 2024 state, after their first year, meets the hindcast's 2024 state, where the hindcast ends:

- the two scales are ratios of the hindcast's totals to the initial-state totals;
- the two shares are ratios of the hindcast's counts to the counts of firms *eligible* in the 2024
  initial population (certification rules; the listing rule), counted on the model's own initial state
  built with both shares at 1. The certified share may exceed 1: certificates last three years, so the
  hindcast holds certified firms that are no longer eligible, and the start state then certifies some
  of those too (``FutureIndustryModel._initial_certificates``);
- head enterprises: the leading group's relative technology (``leader_relative_tech``, per direction)
  is scaled by one common factor, and the size tail exponent (``initial_size_tail_exponent``: how many
  firms reach the head enterprises' revenue) is chosen on a grid over its prior range, so that the
  initial population holds as many head enterprises as the hindcast (one model construction per
  exponent, about 0.1 s each; relative technology is proportional to the leaders', so one construction
  serves every factor). Both matter: in many draws the hindcast holds more firms above 10亿 than a
  population built with the draw's own exponent, so technology alone cannot reach its count.

Every value is clipped to its prior range (so the draws stay inside the parameter space); the report
says how many were clipped.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sim.inputs.region import Region
from sim.inputs.space import resolve_values
from sim.model.indicators import head_mask, year_indicators
from sim.model.model import FutureIndustryModel
from sim.scenario.schema import Scenario

QUANTITIES = ("firms", "revenue_100m_yuan", "high_tech_firms", "listed_firms", "head_enterprises")
START_YEAR = 2024
TOLERANCE = 0.10  # forward and hindcast medians must agree within this relative difference
# grid of the common factor on leader_relative_tech, with 1 (the draw's own values) exactly on it
LEADER_FACTORS = np.union1d(np.exp(np.linspace(np.log(0.3), np.log(3.0), 81)), [1.0])
TAIL_EXPONENT = "initial_size_tail_exponent"  # with the leaders' technology, sets the head enterprises (firm sizes)
TAIL_GRID = 6  # points of its grid over the prior range (besides the draw's own value)
FIRST_YEAR_BOUNDS = (0.67, 1.5)  # bounds of the first-year correction of a start target (corrected_target)


def start_values(region: Region, scenario: Scenario, draw: Mapping[str, float], target: Mapping[str, float],
                 roles: Mapping[str, str], seed: int, population_scale: float = 1.0) -> tuple[dict[str, float], int]:
    """Start-state values for 2024 that reproduce target city totals (a hindcast's end-of-2023 state, or
    that state corrected for the first year).

    Args:
        region: The region (initial state, parameter space).
        scenario: The forward scenario (start year 2024).
        draw: The draw's other parameter values (full factor names), used to build the initial state.
        target: The target city totals by quantity (at ``population_scale``).
        roles: Parameter short name -> the quantity it reproduces (``[start_2024]`` of the settings); head
            enterprises may have two: the leaders' relative technology and the size tail exponent.
        seed: Seed of the model constructions that count eligible firms and head enterprises.
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

    by_quantity: dict[str, list[str]] = {}
    for short, quantity in roles.items():
        by_quantity.setdefault(quantity, []).append(short)
    one = {quantity: shorts[0] for quantity, shorts in by_quantity.items() if len(shorts) == 1}
    if "firms" in one:
        put(one["firms"], target["firms"] / (region.initial(START_YEAR, "firms").sum() * population_scale))
    if "revenue_100m_yuan" in one:
        put(one["revenue_100m_yuan"], target["revenue_100m_yuan"]
            / (region.initial(START_YEAR, "revenue_100m_yuan").sum() * population_scale))
    counted = {"high_tech_firms", "listed_firms", "head_enterprises"} & set(by_quantity)
    if not counted:
        return values, clipped
    shares = {f"parameters.{one[q]}": 1.0 for q in counted - {"head_enterprises"}}

    def build(extra: Mapping[str, float]) -> FutureIndustryModel:
        return _model(region, scenario, {**draw, **values, **shares, **extra}, seed, population_scale)

    if "head_enterprises" in counted:
        model, n_clipped, achieved = _match_heads(build, space, by_quantity["head_enterprises"], draw,
                                                  target["head_enterprises"], values)
        clipped += n_clipped
        values["achieved_head_enterprises"] = achieved
    else:
        model = build({})
    f, rows = model.firms, model.firms.live()
    eligible = {"high_tech_firms": float(f.high_tech[rows].sum()), "listed_firms": float(f.listed[rows].sum())}
    for quantity in sorted(counted - {"head_enterprises"}):
        put(one[quantity], target[quantity] / eligible[quantity] if eligible[quantity] > 0 else 1.0)
    return values, clipped


def _model(region: Region, scenario: Scenario, values: Mapping[str, float], seed: int,
           population_scale: float) -> FutureIndustryModel:
    """The forward model built (not run) with these parameter values (full factor names)."""
    resolved = resolve_values(region.space, scenario.uncertainties, scenario.parameters, dict(values))
    return FutureIndustryModel(scenario, seed, values=resolved, population_scale=population_scale)


def _match_heads(build, space, shorts: list[str], draw: Mapping[str, float], target: float,
                 values: dict[str, float]) -> tuple[FutureIndustryModel, int, float]:
    """Head enterprises: the per-direction leaders' relative technology (scaled by one common factor of
    :data:`LEADER_FACTORS`) and, if it is among ``shorts``, the size tail exponent (a grid over its prior
    range, and the draw's own value), chosen so that the initial population holds the number of head
    enterprises closest to ``target``. Among equally close choices: the exponent nearest the draw's own,
    then the factor nearest 1. Counts are lumpy in small populations: the closest attainable one is taken.
    Writes the chosen values into ``values``; returns the model built with the chosen exponent (for the
    eligible counts), how many values were clipped and the head count reached."""
    tech = next(s for s in shorts if s != TAIL_EXPONENT)
    entry = space.entries[f"parameters.{tech}"]
    low = np.array([fac.low for fac in entry.factors])
    high = np.array([fac.high for fac in entry.factors])
    exponents: list[float | None] = [None]
    if TAIL_EXPONENT in shorts:
        factor = space.factors[f"parameters.{TAIL_EXPONENT}"]
        own = float(draw.get(factor.name, factor.default))
        exponents = sorted({own, *np.linspace(factor.low, factor.high, TAIL_GRID).tolist()})
    best: tuple[float, float, float] | None = None
    chosen_model, chosen_tech, chosen_exponent, achieved = None, None, None, np.nan
    for exponent in exponents:
        model = build({} if exponent is None else {f"parameters.{TAIL_EXPONENT}": exponent})
        f, rows = model.firms, model.firms.live()
        current = np.asarray(getattr(model.values, tech), dtype=float)
        base = f.relative_tech[rows].copy()
        direction = f.direction[rows]
        distance = 0.0 if exponent is None else abs(exponent - own)
        for k in LEADER_FACTORS:
            candidate = np.clip(current * k, low, high)
            f.relative_tech[rows] = base * (candidate / current)[direction]
            heads = float(head_mask(model, rows).sum())
            key = (abs(heads - target), distance, abs(float(np.log(k))))
            if best is None or key < best:
                best, chosen_model, achieved = key, model, heads
                chosen_tech, chosen_exponent, chosen_k = candidate, exponent, k
        f.relative_tech[rows] = base
    assert chosen_model is not None and chosen_tech is not None  # the grids are not empty
    for fac, value in zip(entry.factors, chosen_tech):
        values[fac.name] = float(value)
    if chosen_exponent is not None:
        values[f"parameters.{TAIL_EXPONENT}"] = float(chosen_exponent)
    current = np.asarray(getattr(chosen_model.values, tech), dtype=float)
    return chosen_model, int(np.sum(~np.isclose(chosen_tech, current * chosen_k, rtol=1e-9))), achieved


def first_year(region: Region, scenario: Scenario, draw: Mapping[str, float], values: Mapping[str, float],
               seed: int, population_scale: float = 1.0) -> tuple[dict[str, float], dict[str, float]]:
    """The forward model's city totals of :data:`QUANTITIES` at its start and after its first year.

    Args:
        region: The region (parameter space).
        scenario: The forward scenario (start year 2024).
        draw: The draw's other parameter values (full factor names).
        values: Its start-state values (from :func:`start_values`).
        seed: Seed of the model.
        population_scale: The population scale.

    Returns:
        (quantity -> start total, quantity -> total after the first year).
    """
    model = _model(region, scenario, {**draw, **values}, seed, population_scale)

    def totals() -> dict[str, float]:
        by_direction, _, _ = year_indicators(model)
        return {q: float(np.sum(by_direction[q])) for q in QUANTITIES}

    start = totals()
    model.step()
    return start, totals()


def corrected_target(target: Mapping[str, float], hindcast_next: Mapping[str, float], start: Mapping[str, float],
                     after: Mapping[str, float]) -> dict[str, float]:
    """Start targets corrected for the first year: the hindcast's end-of-2023 totals times its 2024
    growth over the forward model's first-year growth, so that the forward runs' 2024 state (after their
    first year) meets the hindcast's 2024 state, where the hindcast ends. Each ratio is bounded to
    :data:`FIRST_YEAR_BOUNDS` (a single construction's first year is noisy in small counts).

    Example:
        >>> corrected_target({"head_enterprises": 14.0}, {"head_enterprises": 17.0},
        ...                  {"head_enterprises": 14.0}, {"head_enterprises": 15.0})["head_enterprises"]
        15.866666666666667
    """
    out = {}
    for q, value in target.items():
        ratio = 1.0
        if q in start and value > 0 and start[q] > 0 and after[q] > 0:
            ratio = (hindcast_next[q] / value) / (after[q] / start[q])
        out[q] = value * float(np.clip(ratio, *FIRST_YEAR_BOUNDS))
    return out


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
