"""What the forecast rests on: Sobol' total indices of the parameters on the targets, and how the
target probabilities move across the prior range of the most influential ones.

A small Sobol' sweep of the baseline (through the project's sweep engine, :mod:`sim.analysis.sweep`,
and its analysis, :mod:`sim.analysis.sensitivity`) over the parameters named in ``[identification]`` of
``calibration/settings.toml``, every other input from the calibration's own draws (a copy of the
baseline scenario that points at them). For the ``top`` parameters with the largest total index on the
probability of meeting any target, the sweep's own runs are split into the low, middle and high third of
the parameter's prior range (on the prior's unit scale), and the share of runs meeting each target is
reported per third: a marginal dose-response over the prior, averaged over every other input. Together
with the calibration's range ratios this says which targets rest on parameters the data pin down and
which on assumptions. ``weilai calibrate`` (:mod:`sim.commands.calibrate`) hands
:func:`target_sensitivity` to the calibration, which runs it after its draws exist.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.sensitivity import analyze_store
from sim.analysis.sweep import SobolOptions, Sweep, SweepSpec, run_sweep
from sim.analysis.targets import load_targets
from sim.core.paths import SCENARIOS_DIR
from sim.model.model import simulate

LEVELS = ("low", "mid", "high")  # thirds of the prior range, on its unit scale


def scenario_with_draws(draws: Path, folder: Path, base: str = "baseline") -> Path:
    """A copy of a scenario file that uses these draws, both written into ``folder`` (a scenario may
    name draws beside it, wherever the folder is); returns the scenario's path."""
    import shutil

    text = (SCENARIOS_DIR / f"{base}.toml").read_text(encoding="utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "draws.csv"
    if draws.resolve() != copy.resolve():
        shutil.copyfile(draws, copy)
    path = folder / f"{base}_with_draws.toml"
    path.write_text(f'parameter_draws = "{copy.resolve().as_posix()}"\n' + text, encoding="utf-8")
    return path


def target_sensitivity(draws: Path, folder: Path, factors: list[str], samples: int, *, top: int = 5,
                       seed: int = 2024, workers: int = 2, population_scale: float = 1.0) -> pd.DataFrame:
    """Run (or resume) the identification sweep and tabulate target probabilities by prior third.

    Args:
        draws: The calibration's draws file.
        folder: Where the scenario copy and the sweep's store go.
        factors: Full factor names of the parameters to vary (``parameters.*``; per-direction entries
            are grouped by direction).
        samples: Sobol' base samples N (a power of 2).
        top: How many parameters (largest total index over the targets) to tabulate.
        seed: The sweep's seed.
        workers: Local processes.
        population_scale: Model population scale (1 = the data; smaller only for tests and quick mode,
            where absolute thresholds make the probabilities indicative only).

    Returns:
        One row per (parameter, target, level): parameter, sobol_total (its largest total index over
        the targets), target, level (low/mid/high third of the prior), runs, probability.
    """
    scenario = scenario_with_draws(draws, folder)
    spec = SweepSpec(name="calibration_identification", scenario=str(scenario), method="sobol", samples=samples,
                     seed=seed, factors=factors, group_directions=True, outputs=[], years=[2035], targets=True,
                     detail="city", sobol=SobolOptions(second_order=False, num_resamples=100, conf_level=0.95))
    sweep = Sweep(spec, None)
    store = run_sweep(sweep, folder / "sweep", workers=workers, progress=False,
                      model=functools.partial(simulate, population_scale=population_scale))
    result = analyze_store(store, convergence=False, write=False, keep_unreliable=True)
    indices = result.indices
    totals = indices[(indices["index"] == "ST") & indices["output"].str.startswith("P(")]
    by_factor = totals.groupby("factor")["value"].max().sort_values(ascending=False)
    chosen = by_factor.head(top)

    samples_table = pd.read_parquet(store.path / "samples.parquet")
    group_of = dict(zip([f.name for f in sweep.factors], sweep.group_of or [f.name for f in sweep.factors]))
    samples_table["group"] = samples_table["factor"].map(group_of)
    unit = samples_table.groupby(["sample", "group"])["unit"].mean().unstack("group")
    targets = load_targets().target
    rows = store.results(indicators=sorted({t.indicator for t in targets}))
    rows = rows[rows["direction"] == "all"]
    out = []
    for factor, total in chosen.items():
        third = np.minimum((unit[factor].to_numpy() * 3).astype(int), 2)
        level_of = pd.Series(np.array(LEVELS)[third], index=unit.index)
        for t in targets:
            at = rows[(rows["indicator"] == t.indicator) & (rows["year"] == t.year)]
            if at.empty:
                continue
            met = pd.Series(t.met(at["value"].to_numpy()), index=at["sample"].to_numpy())
            by_level = met.groupby(level_of.reindex(met.index).to_numpy()).agg(["mean", "size"])
            for level in LEVELS:
                if level in by_level.index:
                    out.append({"parameter": factor, "sobol_total": float(total), "target": t.id, "level": level,
                                "runs": int(by_level.loc[level, "size"]),
                                "probability": float(by_level.loc[level, "mean"])})
    return pd.DataFrame(out, columns=["parameter", "sobol_total", "target", "level", "runs", "probability"])
