"""Model runs of the calibration: the one function through which every calibration run goes.

STYLE.md keeps model loops in the experiment layer. Until the project's experiment engine
(``sim.experiment``) is on ``main``, :func:`run_points` is the calibration's only loop over models, so
that switching to the engine is a change of this one function. It runs one model per point, each with
its own seed, and keeps the finished rows on disk: a batch already on disk is read back, not re-run,
so an interrupted calibration resumes where it stopped.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.model import simulate
from sim.scenario import Scenario

ModelFn = Callable[[Scenario, int], pd.DataFrame]
MODEL_COLUMNS = ["year", "direction", "district", "indicator", "value"]
RUN_COLUMNS = ["sample", "seed", *MODEL_COLUMNS]


def hindcast_model(population_scale: float = 1.0, detail: str = "directions") -> ModelFn:
    """The model function of calibration runs: :func:`sim.model.simulate` at a population scale.

    Args:
        population_scale: Multiplies initial firms, revenue and talent (1 = the data; quick mode uses less).
        detail: Rows kept (``directions``: per direction and city totals, no district rows).
    """
    return functools.partial(simulate, detail=detail, population_scale=population_scale)


def run_points(
    scenario: Scenario,
    points: Sequence[Mapping[str, Any]],
    seeds: Sequence[int],
    out: str | Path,
    *,
    model: ModelFn | None = None,
    indicators: Sequence[str] | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Run the model once per point (scenario values set by dotted paths), each with its own seed.

    The rows are written to ``out`` (one Parquet file, written under a temporary name and renamed when
    complete); if ``out`` exists, its rows are returned without running anything.

    Args:
        scenario: The base scenario.
        points: Dotted scenario paths and values per run (see :meth:`Scenario.with_values`).
        seeds: One seed per point.
        out: Parquet file of this batch.
        model: ``model(scenario, seed) -> tidy DataFrame`` (default: :func:`hindcast_model`).
        indicators: Keep only these indicators (None: all).
        workers: Processes (1 = in this process).

    Returns:
        Columns ``sample`` (position in ``points``), ``seed``, ``year``, ``direction``, ``district``,
        ``indicator``, ``value``. A run that raises has no rows; its error is written next to ``out``
        (``<out>.failures.json``) and the batch goes on.
    """
    out = Path(out)
    if out.exists():
        return pd.read_parquet(out)
    if len(points) != len(seeds):
        raise ValueError("one seed per point is needed")
    model = model or hindcast_model()
    keep = tuple(indicators) if indicators else None
    jobs = [(i, dict(points[i]), int(seeds[i])) for i in range(len(points))]
    if workers > 1 and len(jobs) > 1:
        chunks = [jobs[k::workers * 4] for k in range(min(len(jobs), workers * 4))]
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
            parts = list(pool.map(_run_chunk, [(scenario, model, keep, c) for c in chunks]))
    else:
        parts = [_run_chunk((scenario, model, keep, jobs))]
    frames = [f for frame, _ in parts for f in frame]
    failures = [f for _, fail in parts for f in fail]
    rows = (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=RUN_COLUMNS))
    rows = rows.sort_values(["sample", "year", "direction", "indicator"], kind="stable").reset_index(drop=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    if failures:
        out.with_suffix(".failures.json").write_text(json.dumps(failures, indent=2, default=str), encoding="utf-8")
    tmp = out.with_suffix(f".{uuid.uuid4().hex}.tmp")
    rows.to_parquet(tmp, index=False)
    os.replace(tmp, out)
    return rows


def _run_chunk(args: tuple) -> tuple[list[pd.DataFrame], list[dict]]:
    scenario, model, keep, jobs = args
    frames, failures = [], []
    for sample, values, seed in jobs:
        try:
            frame = model(scenario.with_values(values) if values else scenario, seed)
            if keep is not None:
                frame = frame[frame["indicator"].isin(keep)]
            frame = frame[MODEL_COLUMNS].copy()
            if not np.all(np.isfinite(frame["value"].to_numpy(dtype=float))):
                raise ValueError("the model returned a non-finite value")
            frame.insert(0, "seed", np.int64(seed))
            frame.insert(0, "sample", np.int32(sample))
            frames.append(frame)
        except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the batch goes on
            failures.append({"sample": sample, "seed": seed, "values": values,
                             "error": f"{type(exc).__name__}: {exc}",
                             "traceback": "".join(traceback.format_exception(exc)[-4:])})
    return frames, failures
