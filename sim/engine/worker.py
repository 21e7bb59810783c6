"""The worker: runs one chunk of a design in a process (or in this one) and keys its rows."""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.engine.design import MODEL_COLUMNS, ModelFn, Point, Run
from sim.engine.store import RESULT_SCHEMA, process_alive
from sim.scenario.schema import Scenario

# ------------------------------------------------------------------------------------------ worker


@dataclass(frozen=True)
class ChunkJob:
    """What a worker needs for a chunk of runs (the base scenarios travel separately)."""

    model: ModelFn
    pass_detail: bool
    detail: str
    indicators: tuple[str, ...] | None
    points: Mapping[int, Point]
    runs: tuple[Run, ...]
    run_timeout: float | None = None


@dataclass
class ChunkResult:
    """Rows of the runs of a chunk that finished, and records of those that failed."""

    table: pa.Table | None
    ok: list[tuple[int, int]]
    failures: list[dict[str, Any]]
    seconds: float
    cpu_seconds: float = 0.0


class RunTimeoutError(TimeoutError):
    """A run went past the design's per-run time limit (recorded as a failure; the batch goes on)."""


@contextmanager
def time_limit(seconds: float | None):
    """Raise :class:`RunTimeoutError` in the block after ``seconds`` of wall time.

    Uses a POSIX interval timer, so it works where runs execute on a process's main thread: in this
    process (``workers=1``) and in the local pool's workers. Elsewhere (Windows, threads, Dask
    workers, which run tasks on threads) there is no limit and the block runs to its end.
    """
    usable = (seconds is not None and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def expired(signum, frame):  # noqa: ARG001 - signal handler signature
        raise RunTimeoutError(f"the run took longer than its time limit of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    assert seconds is not None  # usable says so
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_chunk(job: ChunkJob, scenarios: Sequence[Scenario]) -> ChunkResult:
    """Run a chunk of runs; a run that raises becomes a failure record, the others go on.

    Args:
        job: Model, detail, the points of these runs, and the runs.
        scenarios: The design's base scenarios.

    Returns:
        Rows (Arrow table of :data:`~sim.engine.store.RESULT_SCHEMA`) of the runs that finished, their keys
        and the failure records of the others.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    frames: list[pd.DataFrame] = []
    finished: list[Run] = []
    failures: list[dict[str, Any]] = []
    built: dict[int, Scenario | BaseException] = {}
    for run in job.runs:
        point = job.points[run.sample]
        try:
            if run.sample not in built:
                try:
                    base = scenarios[point.base]
                    built[run.sample] = base.with_values(dict(point.values)) if point.values else base
                except Exception as exc:  # noqa: BLE001 - a bad point fails its runs, not the batch
                    built[run.sample] = exc
            scenario = built[run.sample]
            if isinstance(scenario, BaseException):
                raise scenario
            with time_limit(job.run_timeout):
                frame = (job.model(scenario, run.seed, detail=job.detail) if job.pass_detail
                         else job.model(scenario, run.seed))
            if not isinstance(frame, pd.DataFrame):
                raise TypeError(f"the model returned {type(frame).__name__}, not a DataFrame")
            missing = [c for c in MODEL_COLUMNS if c not in frame.columns]
            if missing:
                raise ValueError(f"the model's table lacks columns {missing}")
            frames.append(frame if list(frame.columns) == MODEL_COLUMNS else frame[MODEL_COLUMNS])
            finished.append(run)
        except Exception as exc:  # noqa: BLE001 - recorded, the batch goes on
            failures.append(failure_record(point, run, exc))
    table, ok = None, []
    if frames:
        table, bad = _keyed_table(frames, finished, job)
        for run, problem in bad.items():
            failures.append(failure_record(job.points[run.sample], run, ValueError(problem)))
        ok = [(r.sample, r.replicate) for r in finished if r not in bad]
    return ChunkResult(table, ok, failures, time.perf_counter() - started, time.process_time() - cpu_started)


def _keyed_table(frames: list[pd.DataFrame], runs: list[Run], job: ChunkJob) -> tuple[pa.Table | None, dict]:
    """The model's rows of a chunk's runs, filtered to the design's detail and indicators, with keys.

    Returns:
        The table (None if no run kept rows) and {run: problem} of runs whose rows are unusable
        (none left after filtering, or a non-finite value).
    """
    lengths = np.array([len(f) for f in frames])
    rows = pd.concat(frames, ignore_index=True)
    owner = np.repeat(np.arange(len(frames)), lengths)
    keep = np.ones(len(rows), dtype=bool)
    if job.detail == "city":
        keep &= (rows["direction"] == "all").to_numpy()
    elif job.detail == "directions":
        keep &= (rows["district"] == "all").to_numpy()
    if job.indicators is not None:
        keep &= rows["indicator"].isin(job.indicators).to_numpy()
    values = rows["value"].to_numpy(dtype=float)
    bad: dict[Run, str] = {}
    kept = np.bincount(owner[keep], minlength=len(frames))
    for i in np.flatnonzero(kept == 0):
        bad[runs[i]] = "the model returned no rows" + (" of the requested indicators" if job.indicators else "")
    nonfinite = keep & ~np.isfinite(values)
    for i in np.unique(owner[nonfinite]):
        first = np.flatnonzero(nonfinite & (owner == i))[0]
        where = rows.iloc[first][["year", "direction", "indicator"]].to_dict()
        bad[runs[i]] = f"the model returned a non-finite value at {where}"
    if bad:
        keep &= ~np.isin(owner, [runs.index(r) for r in bad])
    if not keep.any():
        return None, bad
    sel = rows.loc[keep] if not keep.all() else rows
    owner = owner[keep]
    key = {name: np.array([getattr(r, name) for r in runs])[owner] for name in ("sample", "replicate", "seed")}
    labels = np.array([job.points[r.sample].scenario for r in runs], dtype=object)[owner]
    table = pa.table({
        "scenario": pa.array(labels, type=pa.string()),
        "sample": pa.array(key["sample"], type=pa.int32()),
        "replicate": pa.array(key["replicate"], type=pa.int32()),
        "seed": pa.array(key["seed"], type=pa.int64()),
        "year": pa.array(sel["year"].to_numpy(dtype=np.int16), type=pa.int16()),
        "direction": pa.array(sel["direction"].astype(str).to_numpy(dtype=object), type=pa.string()),
        "district": pa.array(sel["district"].astype(str).to_numpy(dtype=object), type=pa.string()),
        "indicator": pa.array(sel["indicator"].astype(str).to_numpy(dtype=object), type=pa.string()),
        "value": pa.array(values[keep], type=pa.float64()),
    }, schema=RESULT_SCHEMA)
    return table, bad


def failure_record(point: Point, run: Run, exc: BaseException | str) -> dict[str, Any]:
    if isinstance(exc, BaseException):
        error = f"{type(exc).__name__}: {exc}"
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-6:])
    else:
        error, trace = exc, ""
    return {
        "sample": run.sample, "replicate": run.replicate, "seed": run.seed,
        "scenario": point.scenario, "parameters": dict(point.values),
        "error": error, "traceback": trace, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def ping() -> int:
    return os.getpid()


def init_worker(parent_pid: int) -> None:
    """Set up a pool worker.

    Ctrl-C is left to the parent, which lets the chunks in progress finish and stops. A watchdog
    thread ends the worker when the parent is gone (killed), so no orphan keeps computing.
    """
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if not process_alive(parent_pid):
                os._exit(1)

    threading.Thread(target=watch, name="weilai-parent-watchdog", daemon=True).start()
