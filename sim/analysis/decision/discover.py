"""Scenario discovery: where in a sweep's factor space a target fails.

Every run of a sweep store (sample point x replicate) is a case: the point's factor values, and
whether the target was missed. PRIM (EMA Workbench's ``ema_workbench.analysis.prim``, the reference
implementation in exploratory modelling; BSD licence) peels boxes that hold many failures (coverage:
share of all failures inside the box) at a high failure rate (density); the box chosen is the densest
one that still covers at least ``min_coverage`` of the failures with at most ``max_factors``
restricted factors. Its stability is PRIM's resampling test (how often each restricted factor is
found again on random halves of the cases). CART (scikit-learn's ``DecisionTreeClassifier``, depth
3) gives a second view: its leaves where failure is more common than overall, as boxes.

Reads stored results only; the Chinese sentences are written by
:func:`sim.presentation.discovery.with_sentences`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.core.errors import InputError
from sim.engine.store import ResultStore
from sim.analysis.targets import Target, load_targets

BOX_COLUMNS = ["method", "box", "coverage", "density", "mass", "n_cases", "n_restricted", "factor",
               "low", "high", "range_low", "range_high", "reproduce_coverage_pct", "reproduce_density_pct",
               "attainment_in_box", "attainment_overall"]


@dataclass
class Cases:
    """The cases of a sweep: factor values (rows x factors) and whether the target failed."""

    x: pd.DataFrame
    failed: np.ndarray
    target: Target
    ranges: dict[str, tuple[float, float]]


def sweep_cases(store: ResultStore, target_id: str) -> Cases:
    """Read a sweep store's cases for one target.

    Raises:
        InputError: unknown target, a store that is not a sweep (no factors), or one without the
            target's indicator and year.
    """
    targets = load_targets()
    by_id = {t.id: t for t in targets.target}
    if target_id not in by_id:
        raise InputError("unknown target", key="--target", value=target_id, allowed=", ".join(by_id))
    target = by_id[target_id]
    if not store.manifest_file.exists():
        raise InputError("not a result store", file=store.path, allowed="a folder written by weilai sweep")
    manifest = store.manifest
    if manifest.get("kind") != "sweep" or not (store.path / "samples.parquet").exists():
        raise InputError("the store has no sweep factors to discover scenarios in", file=store.path, key="kind",
                         value=manifest.get("kind"), allowed="a folder written by weilai sweep (samples.parquet)")
    samples = store.read_table("samples.parquet").pivot(index="sample", columns="factor", values="value")
    rows = store.sql(
        "SELECT sample, replicate, value FROM results WHERE direction = 'all' AND district = 'all' "
        f"AND indicator = '{target.indicator}' AND year = {int(target.year)}").df() if store.part_files() else pd.DataFrame()
    if rows.empty:
        raise InputError("the store holds no values of the target's indicator in its year", file=store.path,
                         key="--target", value=f"{target.indicator} {target.year}",
                         allowed="a sweep that stores the target indicators (targets = true)")
    x = samples.loc[rows["sample"]].reset_index(drop=True)
    x = x.loc[:, x.nunique() > 1]
    if x.shape[1] == 0:
        raise InputError("the sweep's factors do not vary", file=store.path, key="factors")
    ranges = {f: (float(x[f].min()), float(x[f].max())) for f in x.columns}  # the sampled range
    return Cases(x=x, failed=~target.met(rows["value"].to_numpy()), target=target, ranges=ranges)


def prim_boxes(cases: Cases, min_coverage: float = 0.4, max_factors: int = 3, resamples: int = 10,
               seed: int = 2024) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """PRIM's box for the failures, its trajectory and the chosen box's index.

    Returns:
        (boxes, trajectory, chosen): boxes in :data:`BOX_COLUMNS` (one row per restricted factor of the
        chosen box), the peeling trajectory (box, coverage, density, mass, res_dim), the chosen index.
    """
    import warnings

    logging.getLogger("EMA").setLevel(logging.WARNING)
    with warnings.catch_warnings():  # the workbench warns at import about optional parallel back-ends
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

    if cases.failed.sum() == 0 or cases.failed.all():
        return pd.DataFrame(columns=BOX_COLUMNS), pd.DataFrame(), -1
    algorithm = prim.Prim(cases.x, cases.failed.astype(bool), peel_alpha=0.1, paste_alpha=0.05, mass_min=0.05)
    box = algorithm.find_box()
    traj = box.peeling_trajectory.reset_index(drop=True)
    traj = traj.assign(box=np.arange(len(traj)))[["box", "coverage", "density", "mass", "res_dim"]]
    eligible = traj[(traj["coverage"] >= min_coverage) & (traj["res_dim"] <= max_factors) & (traj["res_dim"] > 0)]
    if eligible.empty:
        eligible = traj[traj["res_dim"] > 0] if (traj["res_dim"] > 0).any() else traj
    chosen = int(eligible.sort_values(["density", "coverage"], ascending=False).iloc[0]["box"])
    limits = box.box_lims[chosen]
    initial = box.box_lims[0]
    stability = box.resample(chosen, iterations=resamples, rng=seed) if resamples else pd.DataFrame()
    restricted = [f for f in limits.columns if not np.allclose(limits[f].to_numpy(dtype=float),
                                                               initial[f].to_numpy(dtype=float))]
    row = traj.iloc[chosen]
    boxes = _box_rows(cases, "PRIM", 1, restricted, {f: (float(limits[f][0]), float(limits[f][1])) for f in restricted},
                      float(row["coverage"]), float(row["density"]), float(row["mass"]), stability)
    return boxes, traj, chosen


def cart_boxes(cases: Cases, max_depth: int = 3, seed: int = 2024) -> pd.DataFrame:
    """Leaves of a depth-3 classification tree where failure is more common than overall, as boxes."""
    from sklearn.tree import DecisionTreeClassifier

    y = cases.failed.astype(int)
    if y.min() == y.max():
        return pd.DataFrame(columns=BOX_COLUMNS)
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=max(5, len(y) // 20), random_state=seed)
    tree.fit(cases.x.to_numpy(), y)
    t = tree.tree_
    names = list(cases.x.columns)
    overall = y.mean()
    leaves = tree.apply(cases.x.to_numpy())
    out = []

    def walk(node: int, bounds: dict[str, tuple[float, float]]) -> None:
        if t.children_left[node] == -1:
            inside = leaves == node
            density = float(y[inside].mean()) if inside.any() else 0.0
            if density > overall and inside.any():
                coverage = float(y[inside].sum() / y.sum())
                out.append((density, coverage, float(inside.mean()), dict(bounds), int(inside.sum())))
            return
        name, cut = names[t.feature[node]], float(t.threshold[node])
        low, high = bounds.get(name, cases.ranges[name])
        walk(t.children_left[node], {**bounds, name: (low, min(high, cut))})
        walk(t.children_right[node], {**bounds, name: (max(low, cut), high)})

    walk(0, {})
    frames = []
    for i, (density, coverage, mass, bounds, _) in enumerate(sorted(out, key=lambda r: -r[0] * r[1])):
        frames.append(_box_rows(cases, "CART", i + 1, list(bounds), bounds, coverage, density, mass, pd.DataFrame()))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=BOX_COLUMNS)


def _box_rows(cases: Cases, method: str, number: int, factors: list[str], limits: dict[str, tuple[float, float]],
              coverage: float, density: float, mass: float, stability: pd.DataFrame) -> pd.DataFrame:
    overall = 1 - float(cases.failed.mean())
    rows = []
    for f in factors:
        low, high = limits[f]
        rows.append({"method": method, "box": number, "coverage": coverage, "density": density, "mass": mass,
                     "n_cases": int(round(mass * len(cases.failed))), "n_restricted": len(factors), "factor": f,
                     "low": low, "high": high,
                     "range_low": cases.ranges[f][0], "range_high": cases.ranges[f][1],
                     "reproduce_coverage_pct": float(stability.loc[f, "reproduce coverage"]) if f in stability.index else math.nan,
                     "reproduce_density_pct": float(stability.loc[f, "reproduce density"]) if f in stability.index else math.nan,
                     "attainment_in_box": 1 - density, "attainment_overall": overall})
    return pd.DataFrame(rows, columns=BOX_COLUMNS)
