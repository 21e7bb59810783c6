"""Scenario comparison with common random numbers: ``weilai compare A B``.

Both scenarios run the same replicate seeds through the experiment engine
(:func:`sim.engine.runner.run_scenarios`: one design, A = sample 0, B = sample 1), so replicate r of A
and of B share every random draw their levers do not touch. Per target
the comparison gives each scenario's probability of meeting it, the paired difference P(B) - P(A)
with Newcombe's interval (:func:`sim.analysis.targets.paired_difference_interval`), the exact McNemar
p-value of the paired outcomes and its Holm adjustment over the targets (``p_holm``), and the two
scenarios' costs (total city spending over the run, 亿元). The table is written as ``comparison.csv`` in
the store and printed.

A target differs *clearly* between the scenarios when its Holm-adjusted p-value is below 0.05
(:func:`clear_direction`): one rule for the briefing's headline, its bullets, its summary and the
comparison chart, corrected for testing 14 targets at once. Tables written before ``p_holm`` existed
fall back to the per-target 95% interval excluding zero.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.analysis.targets import (
    Targets,
    evaluate_targets,
    holm_levels,
    load_targets,
    mcnemar_p,
    paired_difference_interval,
)
from sim.core.errors import InputError
from sim.engine.runner import run_scenarios
from sim.engine.store import ResultStore
from sim.scenario.schema import Scenario

COLUMNS = ["scenario_a", "scenario_b", "target", "indicator", "year", "threshold", "probability_a",
           "probability_b", "difference", "difference_low", "difference_high", "p_value", "p_holm",
           "cost_a_100m_yuan", "cost_b_100m_yuan"]


def compare_store(store: ResultStore, a: Scenario, b: Scenario, targets: Targets | None = None,
                  replicates: int | None = None) -> pd.DataFrame:
    """The comparison table of a comparison store (reads stored results only).

    Args:
        store: A store holding both scenarios' runs on common seeds.
        a, b: The scenarios (differences are B - A).
        targets: Targets (default: the region's).
        replicates: Use replicates ``0..replicates-1`` only (None: all in the store).

    Returns:
        One row per target with the columns of :data:`COLUMNS`.
    """
    targets = targets or load_targets()
    indicators = sorted({t.indicator for t in targets.target})
    results = store.results(indicators=indicators, city_only=True)
    results = results[results["district"] == "all"]
    if replicates is not None:
        results = results[results["replicate"] < replicates]
    evaluated = evaluate_targets(results, targets).set_index(["scenario", "target"])
    cost_a, cost_b = (_delivered_cost(store, s) for s in (a, b))
    rows = []
    for t in targets.target:
        at_year = results[(results["indicator"] == t.indicator) & (results["year"] == t.year)]
        by_rep = at_year.pivot_table(index="replicate", columns="scenario", values="value")
        paired = by_rep.dropna()
        if a.name in paired and b.name in paired:
            met_a, met_b = t.met(paired[a.name].to_numpy()), t.met(paired[b.name].to_numpy())
            diff, low, high = paired_difference_interval(met_a, met_b)
            p_value = mcnemar_p(met_a, met_b)
        else:
            diff, low, high, p_value = float("nan"), -1.0, 1.0, 1.0
        rows.append({
            "scenario_a": a.name, "scenario_b": b.name, "target": t.id, "indicator": t.indicator,
            "year": t.year, "threshold": t.threshold,
            "probability_a": evaluated.loc[(a.name, t.id), "probability"],
            "probability_b": evaluated.loc[(b.name, t.id), "probability"],
            "difference": diff, "difference_low": low, "difference_high": high, "p_value": p_value,
            "cost_a_100m_yuan": cost_a, "cost_b_100m_yuan": cost_b,
        })
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "p_holm"])
    table["p_holm"] = holm_levels(table["p_value"].to_numpy(dtype=float))[0]
    return table[COLUMNS]


def uses_holm(table: pd.DataFrame) -> bool:
    """True if :func:`clear_direction` judges this table by its Holm-adjusted p-values (else by intervals)."""
    return "p_holm" in table and bool(table["p_holm"].notna().all())


def clear_direction(table: pd.DataFrame, alpha: float = 0.05) -> pd.Series:
    """+1 where B is clearly more likely to meet a target than A, -1 where clearly less, else 0.

    Clear: Holm-adjusted McNemar p below ``alpha`` (the sign from ``difference``, B - A as the table
    gives it); without a ``p_holm`` column, the per-target interval excludes zero.
    """
    if uses_holm(table):
        sign = pd.Series(0, index=table.index)
        clear = table["p_holm"] < alpha
        sign[clear & (table["difference"] > 0)] = 1
        sign[clear & (table["difference"] < 0)] = -1
        return sign
    return pd.Series((table["difference_low"] > 0).astype(int) - (table["difference_high"] < 0).astype(int),
                     index=table.index)


def _delivered_cost(store: ResultStore, scenario: Scenario) -> float:
    """City spending over the run as the model delivered it (mean over replicates, 100m yuan)."""
    spent = store.results(indicators=["spending_100m_yuan"], city_only=True)
    spent = spent[(spent["scenario"] == scenario.name) & (spent["district"] == "all")]
    if spent.empty:  # runs that did not keep the spending indicator: the plan
        return float(scenario.plan().total_spending().sum())
    return float(spent.groupby("replicate")["value"].sum().mean())


def run_comparison(a: Scenario, b: Scenario, replicates: int, seed: int, out: str | Path,
                   **options) -> tuple[ResultStore, pd.DataFrame]:
    """Run (or resume) both scenarios with common seeds; write and return the comparison table.

    Args:
        a, b: The scenarios (B is compared with A: differences are B - A).
        replicates: Replicates of each.
        seed: Base seed.
        out: Store folder.
        **options: Execution options of :func:`sim.engine.runner.run_design` (workers, scheduler, ...).
    """
    if a.name == b.name:
        raise InputError("the two scenarios have the same name", key="scenario", value=a.name,
                         allowed="two different scenarios")
    store = run_scenarios((a, b), replicates, seed, out, detail="directions",
                          label=f"{a.name} vs {b.name} x{replicates}", **options)
    table = compare_store(store, a, b, replicates=replicates)
    table.to_csv(store.path / "comparison.csv", index=False)
    return store, table


def format_comparison(table: pd.DataFrame) -> str:
    """Plain-text comparison table for the terminal."""
    a, b = table["scenario_a"].iloc[0], table["scenario_b"].iloc[0]
    lines = [f"A = {a}   B = {b}   (same seeds; difference = P(B) - P(A), Newcombe 95% interval)",
             f"{'target':<28}{'P(A)':>7}{'P(B)':>7}{'B - A':>8}{'95% interval':>18}"]
    lines.append("-" * len(lines[-1]))
    for row in table.itertuples():
        lines.append(f"{row.target:<28}{row.probability_a:>7.2f}{row.probability_b:>7.2f}{row.difference:>+8.2f}"
                     f"{f'{row.difference_low:+.2f} to {row.difference_high:+.2f}':>18}")
    cost_a, cost_b = table["cost_a_100m_yuan"].iloc[0], table["cost_b_100m_yuan"].iloc[0]
    lines.append(f"cost over the run (亿元): A {cost_a:,.1f}   B {cost_b:,.1f}   B - A {cost_b - cost_a:+,.1f}")
    return "\n".join(lines)
