"""Seeded ensembles of a scenario and their target tables (fixed size or adaptive)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.core.errors import InputError
from sim.engine.design import Detail, ModelFn, delivered_spending, ensemble_design
from sim.engine.runner import run_design
from sim.engine.store import ResultStore
from sim.scenario.schema import Scenario

TARGET_TABLE_COLUMNS = ["scenario", "target", "indicator", "year", "comparator", "threshold", "clause",
                        "n_replicates", "median", "p05", "p95", "probability", "probability_low",
                        "probability_high", "first_year_median_meets"]


# ------------------------------------------------------------------------------------------ ensembles


def run_ensemble(
    scenario: Scenario,
    replicates: int,
    seed: int,
    out: str | Path,
    *,
    model: ModelFn | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    detail: Detail = "full",
    retry_failures: bool = False,
    progress: bool = True,
    targets: Any = None,
    run_timeout: float | None = None,
    **run_options: Any,
) -> ResultStore:
    """Run (or extend, or resume) a seeded ensemble of a scenario and write its target table.

    The store gets the tidy Parquet parts, ``spending.parquet`` (the scenario's spending plan),
    ``targets.csv`` (:func:`sim.analysis.targets.evaluate_targets` over replicates ``0..replicates-1``) and a
    manifest with the resolved scenario, its content hash, seeds, code and package versions and the
    wall time of each session. A store made with fewer replicates of the same scenario and seed is
    extended; replicate ``r`` always has the same seed.

    Args:
        scenario: The scenario.
        replicates: Number of replicates (0 .. replicates-1).
        seed: Base seed of the replicate seeds.
        out: Store folder.
        model, workers, scheduler, retry_failures, progress, run_timeout: As in :func:`run_design`.
        detail: Rows kept per run (``full``, ``directions``, ``city``).
        targets: A :class:`sim.analysis.targets.Targets` (default: the region's targets file).
        **run_options: More options of :func:`run_design` (``scheduler_source``, ``security``).

    Returns:
        The result store.
    """
    design = ensemble_design(scenario, replicates, seed, detail=detail)
    store = run_design(design, out, model=model, workers=workers, scheduler=scheduler,
                       retry_failures=retry_failures, progress=progress, run_timeout=run_timeout, **run_options,
                       manifest={"name": scenario.name, "scenario": scenario.model_dump(mode="json"),
                                 "scenario_hash": scenario.content_hash(),
                                 "scenario_file": str(scenario.source) if scenario.source else None},
                       label=f"{scenario.name} x{replicates}")
    store.write_spending(delivered_spending(store))
    table = ensemble_targets(store, replicates, targets)
    table.to_csv(store.path / "targets.csv", index=False)
    return store


def ensemble_targets(store: ResultStore, replicates: int | None = None, targets: Any = None) -> pd.DataFrame:
    """The target table (:func:`sim.analysis.targets.evaluate_targets`) of an ensemble store.

    Args:
        store: The store.
        replicates: Use replicates ``0..replicates-1`` only (None: all in the store).
        targets: Targets (default: the region's).
    """
    from sim.analysis.targets import evaluate_targets, load_targets

    targets = targets or load_targets()
    indicators = sorted({t.indicator for t in targets.target})
    if not store.part_files():  # every run failed: a table of the targets with no replicates
        label = store.manifest.get("name", "")
        table = pd.DataFrame([{"scenario": label, "target": t.id, "indicator": t.indicator, "year": t.year,
                               "comparator": t.comparator, "threshold": t.threshold, "clause": t.clause,
                               "n_replicates": 0} for t in targets.target])
        return table.reindex(columns=TARGET_TABLE_COLUMNS)
    where = f" AND replicate < {int(replicates)}" if replicates is not None else ""
    quoted = ", ".join("'" + i.replace("'", "''") + "'" for i in indicators)
    rows = store.sql(
        "SELECT scenario, sample, replicate, year, direction, indicator, value FROM results "
        f"WHERE direction = 'all' AND district = 'all' AND indicator IN ({quoted}){where} "
        "ORDER BY scenario, sample, replicate, year, indicator").df()
    return evaluate_targets(rows, targets)


def run_adaptive_ensemble(
    scenario: Scenario,
    seed: int,
    out: str | Path,
    *,
    ci_width: float,
    initial: int = 20,
    batch: int = 20,
    max_replicates: int = 1000,
    targets: Any = None,
    **run_options: Any,
) -> ResultStore:
    """Add seeded replicates until every target probability's 95% interval is narrow enough.

    Starts with ``initial`` replicates and adds ``batch`` more while the widest Wilson interval of the
    probability of meeting a target (high minus low) exceeds ``ci_width`` and fewer than
    ``max_replicates`` have run. Replicate ``r`` always has the same seed, so the decision sequence,
    and the result, are the same when the command is run again or resumed.

    Args:
        scenario: The scenario.
        seed: Base seed.
        out: Store folder.
        ci_width: Widest acceptable 95% interval of a target probability (0-1).
        initial: Replicates of the first batch.
        batch: Replicates added per step.
        max_replicates: Cap on replicates.
        targets: Targets to watch (default: the region's).
        **run_options: ``model``, ``workers``, ``scheduler``, ``detail``, ``progress`` as in
            :func:`run_ensemble`.

    Returns:
        The store; ``manifest["adaptive"]`` holds the widest interval after each step and why it stopped.
    """
    if not 0 < ci_width < 1:
        raise InputError("the interval width must be between 0 and 1", key="--ci-width", value=ci_width,
                         allowed="e.g. 0.1")
    if initial < 1 or batch < 1 or max_replicates < 1:
        raise InputError("replicate counts must be positive", key="--replicates/--batch/--max-replicates",
                         value=(initial, batch, max_replicates), allowed="1 or more")
    from sim.analysis.targets import load_targets

    targets = targets or load_targets()
    n = min(initial, max_replicates)
    history: list[dict[str, Any]] = []
    while True:
        store = run_ensemble(scenario, n, seed, out, targets=targets, **run_options)
        table = ensemble_targets(store, n, targets)
        judged = table[table["n_replicates"] > 0]
        widths = judged["probability_high"] - judged["probability_low"]
        widest = float(widths.max()) if len(widths) else float("nan")
        target = str(judged.loc[widths.idxmax(), "target"]) if len(widths) else None
        history.append({"replicates": n, "widest_interval": widest, "widest_target": target})
        if len(widths) and widest <= ci_width:
            reason = f"every target probability's 95% interval is at most {ci_width:g} wide"
            break
        if n >= max_replicates:
            reason = f"reached the cap of {max_replicates} replicates"
            break
        n = min(n + batch, max_replicates)
    store.update_manifest(adaptive={"ci_width": ci_width, "initial": initial, "batch": batch,
                                    "max_replicates": max_replicates, "replicates": n,
                                    "stopped_because": reason, "steps": history})
    return store
