"""How good an emulator is: its predictions against reference ensembles of the model on held-out mixes.

A reference store is a sweep over the same inputs with its own points and its own replicate seeds
(``scenarios/sweeps/emulator/reference.toml``), many replicates per point. Per mix and target, the
reference probability is the share of replicates meeting the target. Reported (``accuracy.json`` and
``accuracy.md`` beside the emulator):

* mean absolute error of the target probabilities; the reference's own sampling error (mean binomial
  standard error) and a noise-corrected root-mean-square error (the squared error minus the
  reference's unbiased binomial variance), since with few replicates a part of the error is the
  reference's, not the emulator's;
* coverage: share of (mix, target) pairs whose reference lies in the emulator's 95% interval widened
  by the reference's own sampling error, and in the emulator's interval alone;
* quantile coverage: share of reference replicates between the predicted 5% and 95% quantiles
  (nominal 90%) and below the predicted median (nominal 50%);
* ranking of whole mixes: the expected number of targets met (sum of the probabilities) of each mix on
  the emulator against the reference's mean count, with the Spearman rank correlation over the mixes and
  the share of pairs of mixes the emulator orders as the reference does, among the pairs the reference
  tells apart (difference beyond twice its standard error). An allocation search ranks mixes by this sum,
  so a small error per target can still order mixes wrongly when the errors of 14 targets add up;
* prediction time of all targets and quantiles for one mix (median of repeated calls).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.decision.emulator import Emulator, training_data
from sim.analysis.targets import load_targets
from sim.core.errors import InputError

GOAL_MAE = 0.05
GOAL_REPLICATES = 400
GOAL_MIXES = 20
GOAL_MS = 50.0


def accuracy_report(emu: Emulator, reference: str | Path) -> dict[str, Any]:
    """Compare the emulator with a reference store; returns the report (also kept in ``emu.accuracy``)."""
    targets = load_targets()
    ref = training_data([reference], targets)
    if ref.factors != emu.input_names:
        raise InputError("the reference sweep has other inputs than the emulator", file=reference, key="factors",
                         allowed=", ".join(emu.input_names))
    points = pd.DataFrame({"g": ref.groups})
    first = points.groupby("g").head(1).index.to_numpy()
    x = ref.x[first]
    groups = ref.groups[first]
    n_rep = points.groupby("g").size().reindex(groups).to_numpy()
    probs, quants = emu.predict_matrix(x)
    rows = []
    for j, t in enumerate(emu.targets):
        met = pd.Series(ref.met[t["id"]]).groupby(ref.groups).mean().reindex(groups).to_numpy()
        for k in range(len(groups)):
            p_ref, n = float(met[k]), int(n_rep[k])
            p_hat = float(probs[k, j])
            se_ref = math.sqrt(((p_ref * n + 1) / (n + 2)) * (1 - (p_ref * n + 1) / (n + 2)) / n)
            rows.append({"mix": int(groups[k]), "target": t["id"], "p_reference": p_ref, "p_emulator": p_hat,
                         "n_replicates": n, "abs_error": abs(p_hat - p_ref), "sigma": t["sigma"],
                         "in_interval": abs(p_hat - p_ref) <= 1.96 * t["sigma"],
                         "in_interval_with_reference_error":
                             abs(p_hat - p_ref) <= 1.96 * math.sqrt(t["sigma"] ** 2 + se_ref ** 2),
                         "unbiased_reference_variance": p_ref * (1 - p_ref) / max(n - 1, 1)})
    table = pd.DataFrame(rows)
    mse = float(np.mean(table["abs_error"] ** 2))
    noise = float(np.mean(table["unbiased_reference_variance"]))
    quantile_rows = []
    for q in emu.quantiles:
        if q["q"] != 0.5:
            continue
        key = (q["indicator"], q["year"])
        if key not in ref.values:
            continue
        cols = {spec["q"]: i for i, spec in enumerate(emu.quantiles) if (spec["indicator"], spec["year"]) == key}
        low, mid, high = quants[:, cols[0.05]], quants[:, cols[0.5]], quants[:, cols[0.95]]
        index = {g: k for k, g in enumerate(groups)}
        at = np.array([index[g] for g in ref.groups])
        y = ref.values[key]
        quantile_rows.append({"indicator": key[0], "year": int(key[1]),
                              "share_in_5_95": float(np.mean((y >= low[at]) & (y <= high[at]))),
                              "share_below_median": float(np.mean(y < mid[at]))})
    ranking = _ranking(emu, ref, groups, probs)
    timing = prediction_time_ms(emu, x[0])
    per_target = table.groupby("target", sort=False).agg(
        mae=("abs_error", "mean"), max_error=("abs_error", "max"), p_reference_mean=("p_reference", "mean"),
        coverage=("in_interval_with_reference_error", "mean")).reset_index()
    summary = {
        "mixes": len(groups),
        "replicates_per_mix": int(np.min(n_rep)),
        "mae": float(table["abs_error"].mean()),
        "rmse": math.sqrt(mse),
        "reference_standard_error_mean": float(np.mean(np.sqrt(table["unbiased_reference_variance"]))),
        "rmse_noise_corrected": math.sqrt(max(mse - noise, 0.0)),
        "coverage_95_with_reference_error": float(table["in_interval_with_reference_error"].mean()),
        "coverage_95_emulator_interval_only": float(table["in_interval"].mean()),
        "quantile_share_in_5_95_mean": (float(np.mean([r["share_in_5_95"] for r in quantile_rows]))
                                        if quantile_rows else None),
        "prediction_ms_all_targets": timing,
        "goals": {
            "mae_at_most": GOAL_MAE, "mae_met": float(table["abs_error"].mean()) <= GOAL_MAE,
            "replicates_per_mix_at_least": GOAL_REPLICATES, "replicates_met": int(np.min(n_rep)) >= GOAL_REPLICATES,
            "mixes_at_least": GOAL_MIXES, "mixes_met": len(groups) >= GOAL_MIXES,
            "prediction_ms_at_most": GOAL_MS, "prediction_met": timing <= GOAL_MS,
        },
        "reference_store": str(reference),
    }
    summary["ranking"] = ranking
    report = {"summary": summary, "per_target": per_target.to_dict(orient="records"), "quantiles": quantile_rows}
    emu.accuracy = report
    return report


def _ranking(emu: Emulator, ref, groups: np.ndarray, probs: np.ndarray) -> dict[str, Any]:
    """How the emulator orders the held-out mixes by expected targets met, against the reference."""
    from scipy.stats import spearmanr

    counts = pd.Series(np.sum([ref.met[t["id"]] for t in emu.targets], axis=0), dtype=float)
    by_mix = counts.groupby(ref.groups)
    mean = by_mix.mean().reindex(groups).to_numpy()
    se = (by_mix.std(ddof=1) / np.sqrt(by_mix.size())).reindex(groups).to_numpy()
    predicted = probs.sum(axis=1)
    agree = told_apart = 0
    for i in range(len(groups)):
        for j in range(i + 1, len(groups)):
            diff = mean[i] - mean[j]
            if abs(diff) > 2 * math.hypot(se[i], se[j]):
                told_apart += 1
                agree += int(np.sign(predicted[i] - predicted[j]) == np.sign(diff))
    rho = float(spearmanr(predicted, mean).statistic) if len(groups) > 2 else math.nan
    return {"expected_met_mae": float(np.mean(np.abs(predicted - mean))),
            "expected_met_bias": float(np.mean(predicted - mean)),
            "spearman": rho, "pairs_told_apart": told_apart,
            "pairs_ordered_as_reference": (agree / told_apart) if told_apart else math.nan}


def prediction_time_ms(emu: Emulator, x: np.ndarray, repeats: int = 200) -> float:
    """Median wall time (ms) of one prediction of all targets and quantiles."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        emu.predict_matrix(x[None, :])
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)


def write_report(emu: Emulator, report: dict[str, Any], folder: str | Path) -> list[Path]:
    """``accuracy.json`` and ``accuracy.md`` beside the emulator."""
    import json

    folder = Path(folder)
    s = report["summary"]
    g = s["goals"]
    ident = emu.identity
    lines = [
        "# Emulator accuracy",
        "",
        f"Emulator trained on {ident['training_points']} sample points, {ident['training_runs']} runs "
        f"({', '.join(map(str, ident['trained_on']))}); model fingerprint `{ident['model_fingerprint']}`, "
        f"code {ident['code_version']}, parameter draws: {ident['calibration']}.",
        "",
        f"Reference: {s['mixes']} held-out lever mixes, {s['replicates_per_mix']} replicates each "
        f"(`{s['reference_store']}`).",
        "",
        "| measure | value | goal |",
        "|---|---|---|",
        f"| mean absolute error of target probabilities | {s['mae']:.3f} | <= {g['mae_at_most']} "
        f"({'met' if g['mae_met'] else 'not met'}) |",
        f"| reference's own sampling error (mean binomial s.e.) | {s['reference_standard_error_mean']:.3f} | <= 0.025 "
        f"(needs {g['replicates_per_mix_at_least']} replicates per mix: "
        f"{'met' if g['replicates_met'] else 'not met'}) |",
        f"| RMSE / RMSE without the reference's noise | {s['rmse']:.3f} / {s['rmse_noise_corrected']:.3f} | |",
        f"| coverage of the 95% interval (with the reference's error) | "
        f"{s['coverage_95_with_reference_error']:.2f} | 0.95 |",
        f"| coverage of the emulator's interval alone | {s['coverage_95_emulator_interval_only']:.2f} | |",
        f"| share of reference replicates between predicted 5% and 95% quantiles | "
        f"{(s['quantile_share_in_5_95_mean'] or float('nan')):.2f} | 0.90 |",
        f"| prediction time, all targets and quantiles | {s['prediction_ms_all_targets']:.3f} ms | "
        f"<= {g['prediction_ms_at_most']:g} ms |",
        f"| held-out mixes | {s['mixes']} | >= {g['mixes_at_least']} |",
        "",
    ]
    r = s.get("ranking")
    if r:
        lines += [
            "Ranking of whole mixes by expected targets met (what an allocation search compares):",
            "",
            "| measure | value |",
            "|---|---|",
            f"| mean absolute error of expected targets met | {r['expected_met_mae']:.2f} |",
            f"| mean bias (emulator - reference) | {r['expected_met_bias']:+.2f} |",
            f"| Spearman rank correlation over the mixes | {r['spearman']:.2f} |",
            f"| pairs of mixes the reference tells apart (beyond 2 s.e.) | {r['pairs_told_apart']} |",
            f"| of those, ordered as the reference orders them | {r['pairs_ordered_as_reference']:.2f} |",
            "",
        ]
    lines += [
        "| target | MAE | max error | mean reference P | coverage |",
        "|---|---|---|---|---|",
    ]
    for row in report["per_target"]:
        lines.append(f"| {row['target']} | {row['mae']:.3f} | {row['max_error']:.3f} | {row['p_reference_mean']:.2f} "
                     f"| {row['coverage']:.2f} |")
    if report["quantiles"]:
        lines += ["", "| indicator | year | share in 5-95% | share below median |", "|---|---|---|---|"]
        for row in report["quantiles"]:
            lines.append(f"| {row['indicator']} | {row['year']} | {row['share_in_5_95']:.2f} | "
                         f"{row['share_below_median']:.2f} |")
    paths = [folder / "accuracy.json", folder / "accuracy.md"]
    paths[0].write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    paths[1].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths
