"""Sensitivity indices, their convergence and target probabilities, from a sweep's result store.

Analysis only reads what a sweep stored (results, ``samples.parquet``, the manifest); it never runs
the model. For each output indicator and year of interest, the output of a sample point is the mean
over its replicates (which share seeds across points: common random numbers); the probability of
meeting each target is also an output, named ``P(<target id>)`` (the share of a point's replicates
that meet it). SALib's
analysers then give, with explicit seeds:

* ``sobol``: S1, ST (and S2) with bootstrap confidence intervals;
* ``morris``: mu* (with interval), sigma, mu;
* ``rbd_fast``: S1; ``delta``: delta and S1; ``pawn``: median, mean, min, max and CV of KS statistics.

Convergence: the same indices from the first half of the sample (N/2 Sobol' base points, half the
Morris trajectories, half the Latin-hypercube rows) against the whole.

A store with missing or failed runs is analysed only with ``allow_partial``: whole independent
blocks (a Sobol' base point with its cross-samples, a Morris trajectory) with a missing run are left
out, which keeps every estimator valid on fewer samples.

Output files (long form, read by the charts):
``indices.parquet``: method, output, year, factor, index, value, conf;
``convergence.parquet``: method, output, year, factor, index, value_half, value_full, change (absolute),
relative_change (change / the output's largest index of that kind), n_half, n_full;
``sweep_targets.csv``: share of the sampled points meeting each target, with a Wilson interval (every
point runs the same replicate seeds: with one replicate the share is conditional on that seed's random
numbers and calibration draw; it ranks the design space, it is not a forecast probability).
"""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.core.errors import InputError
from sim.engine.store import ResultStore

INDEX_COLUMNS = ["method", "output", "year", "factor", "index", "value", "conf"]
CONVERGENCE_COLUMNS = ["method", "output", "year", "factor", "index", "value_half", "value_full", "change",
                       "relative_change", "n_half", "n_full"]
NEARLY_CONSTANT = 0.95  # an output whose most common value holds this share of the points is left out
MAIN_INDEX = {"sobol": "ST", "morris": "mu_star", "rbd_fast": "S1", "delta": "delta", "pawn": "median"}


@dataclass
class SensitivityResult:
    """What :func:`analyze_store` found.

    Attributes:
        indices: Long table (:data:`INDEX_COLUMNS`).
        convergence: Indices at half and full sample size (:data:`CONVERGENCE_COLUMNS`).
        targets: Probability of meeting each target over the sweep's points, with a 95% interval.
        coverage: Runs planned and used, blocks used, and notes (outputs skipped and why).
    """

    indices: pd.DataFrame
    convergence: pd.DataFrame
    targets: pd.DataFrame
    coverage: dict[str, Any] = field(default_factory=dict)


def analyze_store(
    store: ResultStore | str | Path,
    *,
    outputs: list[str] | None = None,
    years: list[int] | None = None,
    methods: list[str] | None = None,
    allow_partial: bool = False,
    convergence: bool = True,
    write: bool = True,
    out: str | Path | None = None,
    keep_unreliable: bool = False,
) -> SensitivityResult:
    """Sensitivity indices per output and year, convergence, and target probabilities of a sweep.

    Args:
        store: A sweep's store (or its folder).
        outputs: Indicators to analyse (default: the sweep's outputs).
        years: Years of interest (default: the sweep's years).
        methods: Analysers to apply (default: the sweep's method; a Latin-hypercube sweep can add
            ``rbd_fast``, ``delta``, ``pawn``).
        allow_partial: Analyse a store with missing or failed runs on its complete blocks.
        convergence: Also compute the indices on the first half of the sample.
        write: Write ``indices.parquet``, ``convergence.parquet``, ``sweep_targets.csv`` and
            ``analysis.json`` to ``out``.
        out: Folder for those files (default: the store folder).
        keep_unreliable: Keep the indices of nearly constant outputs (95% of the points or more share
            one value, e.g. a count that almost never changes), whose estimates are noise; by default
            they are left out and named in the notes.

    Raises:
        InputError: if the store is not a sweep, an output or year was not stored, or runs are
            missing without ``allow_partial``.
    """
    from SALib.analyze import delta, morris, pawn, rbd_fast, sobol  # noqa: F401 - checked up front

    from sim.analysis.sweep import LATIN_METHODS, SweepSpec
    from sim.analysis.targets import load_targets, wilson_interval

    store = store if isinstance(store, ResultStore) else ResultStore(store)
    manifest = store.manifest
    if manifest.get("kind") != "sweep":
        raise InputError("not a sweep's store", file=store.path, value=manifest.get("kind"),
                         allowed="a folder written by weilai sweep")
    spec = SweepSpec.model_validate(manifest["sweep"])
    factors: list[str] = manifest["factors"]
    groups: list[str] | None = manifest.get("groups")
    block = int(manifest["block_size"])
    problem = {"num_vars": len(factors), "names": factors, "bounds": [[0.0, 1.0]] * len(factors)}
    if groups:
        problem["groups"] = groups
    stored_outputs = manifest["outputs"]
    outputs = list(outputs or stored_outputs)
    for name in outputs:
        if name not in stored_outputs:
            raise InputError("output not stored by this sweep", file=store.path, key="outputs", value=name,
                             allowed=", ".join(stored_outputs))
    years = list(years or spec.years)
    methods = list(methods or ["delta" if spec.method == "lhs" else spec.method])
    for m in methods:
        allowed = ("rbd_fast", "delta", "pawn") if spec.method in LATIN_METHODS else (spec.method,)
        if m not in allowed:
            raise InputError("method does not fit this sweep's sample", file=store.path, key="methods",
                             value=m, allowed=", ".join(allowed))
        if groups and m in ("rbd_fast", "delta"):
            raise InputError("this method takes no groups", file=store.path, key="methods", value=m,
                             allowed="sobol, morris, pawn")

    samples = store.read_table("samples.parquet")
    unit = samples.pivot(index="sample", columns="factor", values="unit")[factors]
    n_samples = len(unit)
    x_unit = unit.to_numpy()
    replicates = spec.replicates
    targets = load_targets().target if spec.targets else []
    stored_indicators = set(manifest.get("design", {}).get("indicators") or [])
    targets = [t for t in targets if not stored_indicators or t.indicator in stored_indicators]
    query_years = sorted(set(years) | {t.year for t in targets})
    indicators = sorted(set(outputs) | {t.indicator for t in targets})
    rows = _city_rows(store, indicators, query_years)

    # Which sample points have every replicate; which blocks are complete.
    counts = rows.groupby("sample")["replicate"].nunique() if len(rows) else pd.Series(dtype=int)
    complete_point = np.zeros(n_samples, dtype=bool)
    complete_point[counts.index[counts.to_numpy() == replicates].to_numpy(dtype=int)] = True
    n_blocks = n_samples // block
    block_ok = complete_point[: n_blocks * block].reshape(n_blocks, block).all(axis=1)
    coverage: dict[str, Any] = {
        "samples": n_samples, "replicates": replicates, "runs_planned": n_samples * replicates,
        "runs_found": int(rows.groupby(["sample", "replicate"]).ngroups) if len(rows) else 0,
        "block_size": block, "blocks": n_blocks, "blocks_complete": int(block_ok.sum()), "notes": [],
    }
    if not block_ok.all():
        missing = n_blocks - int(block_ok.sum())
        if not allow_partial:
            raise InputError(
                f"{missing} of {n_blocks} blocks of the sample lack runs "
                f"({coverage['runs_found']} of {coverage['runs_planned']} runs stored)", file=store.path,
                allowed="finish the sweep (same command resumes; --retry-failures reruns failed runs), "
                        "or analyze with --allow-partial")
        coverage["notes"].append(f"partial: {missing} incomplete blocks left out")
    if not block_ok.any():
        raise InputError("no complete block of runs to analyse", file=store.path,
                         allowed="run the sweep further first")
    use_rows = np.repeat(block_ok, block)
    use_rows = np.concatenate([use_rows, np.zeros(n_samples - n_blocks * block, dtype=bool)])
    half_blocks = np.flatnonzero(block_ok)[: int(block_ok.sum()) // 2]
    half_rows = np.zeros(n_samples, dtype=bool)
    for b in half_blocks:
        half_rows[b * block:(b + 1) * block] = True

    # Outputs: mean value per point; share of replicates meeting each target.
    series: list[tuple[str, int, np.ndarray]] = []
    means = rows.groupby(["indicator", "year", "sample"])["value"].mean()
    for indicator in outputs:
        for year in years:
            y = np.full(n_samples, np.nan)
            try:
                part = means.loc[(indicator, year)]
            except KeyError:
                coverage["notes"].append(f"{indicator} {year}: no rows stored")
                continue
            y[part.index.to_numpy(dtype=int)] = part.to_numpy()
            series.append((indicator, year, y))
    target_rows = []
    for t in targets:
        at = rows[(rows["indicator"] == t.indicator) & (rows["year"] == t.year)]
        if at.empty:
            coverage["notes"].append(f"{t.id}: indicator not stored")
            continue
        met = at.assign(met=t.met(at["value"].to_numpy()))
        share = met.groupby("sample")["met"].mean()
        y = np.full(n_samples, np.nan)
        y[share.index.to_numpy(dtype=int)] = share.to_numpy()
        series.append((f"P({t.id})", t.year, y))
        base = met[met["sample"].isin(_base_points(spec.method, block, use_rows))]
        hits, n = int(base["met"].sum()), len(base)
        low, high = wilson_interval(hits, n)
        target_rows.append({"target": t.id, "indicator": t.indicator, "year": t.year,
                            "comparator": t.comparator, "threshold": t.threshold, "runs": n,
                            "probability": hits / n if n else math.nan, "probability_low": low,
                            "probability_high": high, "clause": t.clause})

    seed = int(spec.seed) + 1  # SALib treats seed 0 as "no seed"
    index_frames, conv_frames = [], []
    for method in methods:
        options = getattr(spec, method)
        for output, year, y in series:
            full = _indices(method, options, problem, x_unit[use_rows], y[use_rows], seed)
            if full is None:
                coverage["notes"].append(f"{method} {output} {year}: output constant over the sample")
                continue
            values, counts = np.unique(y[use_rows], return_counts=True)
            if counts.max() >= NEARLY_CONSTANT * counts.sum():
                share = counts.max() / counts.sum()
                note = (f"{method} {output} {year}: output nearly constant ({share:.1%} of points share the "
                        f"value {values[counts.argmax()]:g}); its indices are unreliable")
                if not keep_unreliable:
                    coverage["notes"].append(note + " and left out")
                    continue
                coverage["notes"].append(note)
            if full["value"].isna().any():
                coverage["notes"].append(f"{method} {output} {year}: some indices undefined (constant sub-samples)")
            full.insert(0, "year", year)
            full.insert(0, "output", output)
            full.insert(0, "method", method)
            index_frames.append(full)
            if convergence and half_rows.sum() >= 2 * block:
                half = _indices(method, options, problem, x_unit[half_rows], y[half_rows], seed)
                if half is None:
                    continue
                merged = full.merge(half[["factor", "index", "value"]], on=["factor", "index"],
                                    suffixes=("_full", "_half"))
                merged["change"] = (merged["value_full"] - merged["value_half"]).abs()
                # Relative to the largest index of its kind for this output: unitless for Morris too.
                scale = merged.groupby("index")["value_full"].transform(lambda v: v.abs().max())
                merged["relative_change"] = merged["change"] / scale.where(scale > 0)
                merged["n_half"] = int(half_rows.sum())
                merged["n_full"] = int(use_rows.sum())
                conv_frames.append(merged[CONVERGENCE_COLUMNS])
    indices = pd.concat(index_frames, ignore_index=True) if index_frames else pd.DataFrame(columns=INDEX_COLUMNS)
    conv = pd.concat(conv_frames, ignore_index=True) if conv_frames else pd.DataFrame(columns=CONVERGENCE_COLUMNS)
    indices["year"] = indices["year"].astype("int64")
    conv["year"] = conv["year"].astype("int64")
    result = SensitivityResult(indices[INDEX_COLUMNS], conv, pd.DataFrame(target_rows), coverage)
    if write:
        folder = Path(out) if out else store.path
        folder.mkdir(parents=True, exist_ok=True)
        target_store = ResultStore(folder)
        target_store.write_table("indices.parquet", result.indices)
        target_store.write_table("convergence.parquet", result.convergence)
        result.targets.to_csv(folder / "sweep_targets.csv", index=False)
        (folder / "analysis.json").write_text(json.dumps(coverage, indent=2, ensure_ascii=False),
                                              encoding="utf-8")
    return result


def _city_rows(store: ResultStore, indicators: list[str], years: list[int]) -> pd.DataFrame:
    if not store.part_files():
        return pd.DataFrame(columns=["sample", "replicate", "year", "indicator", "value"])
    quoted = ", ".join("'" + i.replace("'", "''") + "'" for i in indicators)
    return store.sql(
        "SELECT sample, replicate, year, indicator, value FROM results "
        f"WHERE direction = 'all' AND district = 'all' AND indicator IN ({quoted}) "
        f"AND year IN ({', '.join(str(int(y)) for y in years)}) "
        "ORDER BY sample, replicate, indicator, year").df()


def _base_points(method: str, block: int, use_rows: np.ndarray) -> np.ndarray:
    """Points that sample the factor space independently: Sobol' A-matrix rows, else all rows."""
    rows = np.flatnonzero(use_rows)
    if method == "sobol":
        rows = rows[rows % block == 0]
    return rows


def _indices(method: str, options: Any, problem: dict, x: np.ndarray, y: np.ndarray,
             seed: int) -> pd.DataFrame | None:
    """One SALib analysis as long rows (factor, index, value, conf); None for a constant output."""
    from SALib.analyze import delta, morris, pawn, rbd_fast, sobol
    from SALib.util import extract_group_names

    if not np.all(np.isfinite(y)) or np.ptp(y) == 0:
        return None
    names, _ = extract_group_names(problem)
    out: list[tuple[str, str, float, float]] = []
    with warnings.catch_warnings():
        # Constant sub-samples are reported in the analysis notes rather than as warnings.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        if method == "sobol":
            si = sobol.analyze(problem, y, calc_second_order=options.second_order,
                               num_resamples=options.num_resamples, conf_level=options.conf_level, seed=seed)
            for i, name in enumerate(names):
                out.append((name, "S1", si["S1"][i], si["S1_conf"][i]))
                out.append((name, "ST", si["ST"][i], si["ST_conf"][i]))
            if options.second_order:
                for i in range(len(names)):
                    for j in range(i + 1, len(names)):
                        out.append((f"{names[i]}:{names[j]}", "S2", si["S2"][i, j], si["S2_conf"][i, j]))
        elif method == "morris":
            si = morris.analyze(problem, x, y, num_resamples=options.num_resamples,
                                conf_level=options.conf_level, num_levels=options.num_levels, seed=seed)
            for i, name in enumerate(names):
                out.append((name, "mu_star", si["mu_star"][i], si["mu_star_conf"][i]))
                out.append((name, "sigma", si["sigma"][i], math.nan))
                out.append((name, "mu", si["mu"][i], math.nan))
        elif method == "rbd_fast":
            si = rbd_fast.analyze(problem, x, y, M=options.M, num_resamples=options.num_resamples,
                                  conf_level=options.conf_level, seed=seed)
            for i, name in enumerate(names):
                out.append((name, "S1", si["S1"][i], si["S1_conf"][i]))
        elif method == "delta":
            si = delta.analyze(problem, x, y, num_resamples=options.num_resamples,
                               conf_level=options.conf_level, seed=seed)
            # SALib 1.6 names the classic (bootstrap with replacement) estimate delta_raw; 1.5 delta.
            key = "delta_raw" if "delta_raw" in si else "delta"
            for i, name in enumerate(names):
                out.append((name, "delta", si[key][i], si[key + "_conf"][i]))
                out.append((name, "S1", si["S1"][i], si["S1_conf"][i]))
        elif method == "pawn":
            si = pawn.analyze(problem, x, y, S=options.S, seed=seed)
            for i, name in enumerate(names):
                for key in ("median", "mean", "minimum", "maximum", "CV"):
                    out.append((name, key, si[key][i], math.nan))
        else:  # pragma: no cover - validated earlier
            raise ValueError(method)
    return pd.DataFrame(out, columns=["factor", "index", "value", "conf"]).astype(
        {"value": float, "conf": float})


# ------------------------------------------------------------------------------------------ reporting


_NOTE = re.compile(r"^(?P<method>\S+) (?P<output>.+?) (?P<year>\d{4}): (?P<message>.+)$")


def group_notes(notes: list[str]) -> list[str]:
    """The analysis notes grouped by what they say, each said once: ``method message: output years; ...``.

    A note of the form ``"{method} {output} {year}: {message}"`` joins the others with the same method
    and message (outputs in their first order, years merged per output); other notes are kept as they
    are, duplicates dropped. A message that carries numbers of its own (a share of points) stays apart.
    """
    groups: dict[tuple[str, str], dict[str, list[str]]] = {}
    others: list[str] = []
    for note in notes:
        found = _NOTE.match(note)
        if found is None:
            if note not in others:
                others.append(note)
            continue
        years = groups.setdefault((found["method"], found["message"]), {}).setdefault(found["output"], [])
        if found["year"] not in years:
            years.append(found["year"])
    lines = [f"{method} {message} ({sum(map(len, outputs.values()))}): "
             + "; ".join(f"{output} {', '.join(years)}" for output, years in outputs.items())
             for (method, message), outputs in groups.items()]
    return lines + others


def format_summary(result: SensitivityResult, top: int = 5, notes: bool = True) -> str:
    """The leading factors per output and year, the target probabilities and the convergence check,
    then (with ``notes``) the analysis notes grouped by :func:`group_notes`."""
    lines = []
    cov = result.coverage
    lines.append(f"{cov['runs_found']} of {cov['runs_planned']} runs; {cov['blocks_complete']} of "
                 f"{cov['blocks']} blocks complete")
    idx = result.indices
    for (method, output, year), frame in idx.groupby(["method", "output", "year"], sort=False):
        main = MAIN_INDEX[method]
        ranked = frame[frame["index"] == main].sort_values("value", ascending=False).head(top)
        parts = [f"{r.factor} {r.value:.3f}" + (f"±{r.conf:.3f}" if r.conf == r.conf else "")
                 for r in ranked.itertuples()]
        lines.append(f"{method} {main} {output} {year}: " + "; ".join(parts))
    if not result.convergence.empty:
        conv = result.convergence
        for method, frame in conv.groupby("method"):
            main = frame[frame["index"] == MAIN_INDEX[method]]
            worst = main.sort_values("change", ascending=False).head(1)
            if len(worst):
                w = worst.iloc[0]
                lines.append(
                    f"convergence ({method} {MAIN_INDEX[method]}, n={int(w.n_half)} vs {int(w.n_full)} points): "
                    f"largest change {w.change:.3f} ({w.output} {w.year}, {w.factor}); median change "
                    f"{main['change'].median():.3f}; relative to the output's top factor: median "
                    f"{main['relative_change'].median():.2f}, largest {main['relative_change'].max():.2f}")
    if not result.targets.empty:
        lines.append("share of the sampled points meeting each target (every point runs the same replicate seeds, "
                     "so with one replicate this is conditional on one random-number stream and the calibration "
                     "draw it picks for the parameters not swept; forecast probabilities come from weilai run):")
        for r in result.targets.itertuples():
            lines.append(f"  {r.target:<30} {r.probability:6.2f}  ({r.probability_low:.2f}-{r.probability_high:.2f}, "
                         f"{r.runs} runs)")
    if notes:
        lines += format_notes(cov.get("notes", []))
    return "\n".join(lines)


def format_notes(notes: list[str]) -> list[str]:
    """The lines that print the grouped notes (none when there are none)."""
    grouped = group_notes(notes)
    return [f"notes ({len(notes)}, grouped):"] + [f"  {line}" for line in grouped] if grouped else []
