"""The experiment engine: the only code that runs the model in a loop.

Ensembles (``weilai run``), sensitivity sweeps (``weilai sweep``, :mod:`sim.sweep`), comparisons and
calibration all go through :func:`run_design`. A :class:`Design` lists sample points (a base scenario
plus dotted-path values set on it) and a number of replicates; every point runs the same replicate
seeds (common random numbers). The seeds come from ``SeedSequence(base_seed).spawn`` and are all
drawn before any work is dispatched, so a serial, parallel, resumed or Dask run gives bit-identical
rows, and every row carries its scenario, sample, replicate and seed.

Execution (same results on each):

* ``workers=1``: in this process, one run after another;
* default: a process pool on all local cores, nothing to set up;
* ``scheduler="tcp://host:8786"`` (or a ``distributed.Client``): a Dask distributed cluster.

Runs go out in chunks. A run that raises is recorded in the store's ``failures/`` (its keys, seed,
parameters and error) and the batch goes on; a worker process that dies is replaced and the runs it
held are retried one at a time, so only the run that kills its worker is recorded as failed. Finished
runs reach the disk within ``flush_seconds``; running the same command again resumes, running only
what is missing, and ``retry_failures=True`` reruns only the recorded failures.

The model is any function ``model(scenario, seed) -> DataFrame`` with columns ``year, direction,
district, indicator, value`` (city totals have ``direction == "all"``); it defaults to
:func:`sim.model.simulate`. If it takes a ``detail`` keyword it is passed the design's detail.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib
import inspect
import json
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.draws import draws_fingerprint
from sim.errors import InputError
from sim.scenario import Scenario
from sim.seeds import replicate_seeds
from sim.store import RESULT_SCHEMA, ResultStore, code_version, process_alive

ModelFn = Callable[..., pd.DataFrame]
Detail = Literal["full", "directions", "city"]
MODEL_COLUMNS = ["year", "direction", "district", "indicator", "value"]
DETAILS: tuple[str, ...] = ("full", "directions", "city")


FORKSERVER_PRELOAD = ("__main__", "numpy", "pandas", "pyarrow", "pydantic", "mesa")
CHUNK_SECONDS = 2.0  # automatic chunks hold about this much work (s): progress and Ctrl-C stay responsive
MAX_CHUNK = 256      # runs per chunk at most

TARGET_TABLE_COLUMNS = ["scenario", "target", "indicator", "year", "comparator", "threshold", "clause",
                        "n_replicates", "median", "p05", "p95", "probability", "probability_low",
                        "probability_high", "first_year_median_meets"]


class CodeVersionWarning(UserWarning):
    """A store is being resumed by a different code version than the one that created it."""


# ------------------------------------------------------------------------------------------ design


@dataclass(frozen=True)
class Point:
    """One sample point of a design: a base scenario with some values set on it.

    Attributes:
        sample: Sample id, unique within the design (the ``sample`` column of the results).
        scenario: Label written in the ``scenario`` column (the scenario or sweep name).
        values: Dotted scenario paths and their values, applied with :meth:`Scenario.with_values`
            (empty for a plain ensemble).
        base: Index of the base scenario in :attr:`Design.scenarios`.
    """

    sample: int
    scenario: str
    values: Mapping[str, float] = field(default_factory=dict)
    base: int = 0


@dataclass(frozen=True)
class Run:
    """One model run: a sample point, a replicate number and that replicate's seed."""

    sample: int
    replicate: int
    seed: int


@dataclass(frozen=True)
class Design:
    """Which runs exist: sample points x replicates, and what each run keeps.

    Attributes:
        kind: ``ensemble``, ``sweep``, ``comparison``, ``calibration``... (stored in the manifest).
        scenarios: Base scenarios the points refer to.
        points: Sample points, in sample order.
        replicates: Replicates per point; replicate ``r`` has the same seed at every point.
        base_seed: Base of ``SeedSequence(base_seed).spawn``.
        detail: ``full`` (all rows), ``directions`` (no per-district rows) or ``city`` (city totals).
        indicators: Keep only these indicators (None: all).
        extendable: True if more replicates may be added to the same store later (ensembles); the
            replicate count is then not part of the design's identity.
        spec: More facts that define the design (e.g. a sweep's method and factors); compared when a
            store is reopened.
    """

    kind: str
    scenarios: tuple[Scenario, ...]
    points: tuple[Point, ...]
    replicates: int
    base_seed: int
    detail: Detail = "full"
    indicators: tuple[str, ...] | None = None
    extendable: bool = False
    spec: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.detail not in DETAILS:
            raise InputError("unknown detail", key="detail", value=self.detail, allowed=", ".join(DETAILS))
        if self.replicates < 1:
            raise InputError("at least one replicate is needed", key="replicates", value=self.replicates,
                             allowed="1 or more")
        if self.base_seed < 0:
            raise InputError("the seed must not be negative", key="seed", value=self.base_seed,
                             allowed="0 or more")
        samples = [p.sample for p in self.points]
        if len(set(samples)) != len(samples):
            raise ValueError("sample ids of a design must be unique")

    @functools.cached_property
    def seeds(self) -> list[int]:
        """Replicate seeds, drawn once from ``SeedSequence(base_seed).spawn(replicates)``."""
        return replicate_seeds(self.base_seed, self.replicates)

    def runs(self) -> list[Run]:
        """Every run of the design, point by point, replicates in order."""
        seeds = self.seeds
        return [Run(p.sample, r, seeds[r]) for p in self.points for r in range(self.replicates)]

    def identity(self, model: str) -> dict[str, Any]:
        """What a store compares on reopening: everything that decides which runs exist and what
        they compute (not the execution: workers, scheduler, chunking)."""
        points = [[p.sample, p.scenario, p.base, sorted((k, float(v)) for k, v in p.values.items())]
                  for p in self.points]
        ident = {
            "model": model,
            "scenarios": [s.content_hash() for s in self.scenarios],
            "points": len(self.points),
            "points_hash": hashlib.sha256(json.dumps(points).encode()).hexdigest()[:16],
            "base_seed": self.base_seed,
            "detail": self.detail,
            "indicators": sorted(self.indicators) if self.indicators else None,
            "spec": dict(self.spec),
            "parameter_draws": sorted({draws_fingerprint(s.parameter_draws) for s in self.scenarios}),
        }
        if not self.extendable:
            ident["replicates"] = self.replicates
        return ident


def ensemble_design(scenario: Scenario, replicates: int, seed: int, *, detail: Detail = "full",
                    indicators: Sequence[str] | None = None) -> Design:
    """The design of a seeded ensemble of one scenario (sample 0, replicates 0..n-1).

    Args:
        scenario: The scenario.
        replicates: Number of replicates.
        seed: Base seed of the replicate seeds.
        detail: Rows to keep (see :class:`Design`).
        indicators: Keep only these indicators (None: all).
    """
    return Design(kind="ensemble", scenarios=(scenario,), points=(Point(0, scenario.name),),
                  replicates=replicates, base_seed=seed, detail=detail,
                  indicators=tuple(indicators) if indicators else None, extendable=True)


def scenarios_design(scenarios: Sequence[Scenario], replicates: int, seed: int, *, detail: Detail = "full",
                     indicators: Sequence[str] | None = None, kind: str = "comparison") -> Design:
    """Several scenarios, one sample each (sample ``i`` = ``scenarios[i]``), with common random numbers.

    Replicate ``r`` has the same seed in every scenario, so differences between scenarios are not
    blurred by different random draws. The basis of scenario comparisons.

    Args:
        scenarios: The scenarios (distinct names).
        replicates: Replicates per scenario.
        seed: Base seed.
        detail, indicators: As in :class:`Design`.
        kind: Store kind written in the manifest.
    """
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError("scenarios need distinct names", key="scenario", value=names,
                         allowed="one entry per scenario")
    points = tuple(Point(i, s.name, {}, base=i) for i, s in enumerate(scenarios))
    return Design(kind=kind, scenarios=tuple(scenarios), points=points, replicates=replicates,
                  base_seed=seed, detail=detail, indicators=tuple(indicators) if indicators else None,
                  extendable=True)


def delivered_spending(store: ResultStore) -> pd.DataFrame:
    """What each lever paid out in a store's runs (the model's ``spending_<lever>`` indicators, mean over
    replicates); this is the store's ``spending.parquet``. See :meth:`ResultStore.delivered_spending`."""
    from sim.scenario import lever_projects

    return store.delivered_spending(lever_projects())


def run_scenarios(scenarios: Sequence[Scenario], replicates: int, seed: int, out: str | Path, *,
                  detail: Detail = "full", **run_options: Any) -> ResultStore:
    """Run several scenarios with common random numbers into one store, with their spending plans.

    Args:
        scenarios, replicates, seed, detail: As in :func:`scenarios_design`.
        out: Store folder (resumed if it holds the same design; more replicates extend it).
        **run_options: As in :func:`run_design`.

    Returns:
        The store; the ``scenario`` column names each scenario, ``sample`` is its position.
    """
    design = scenarios_design(scenarios, replicates, seed, detail=detail)
    store = run_design(design, out, manifest={
        "name": " vs ".join(s.name for s in scenarios),
        "scenarios": {s.name: s.model_dump(mode="json") for s in scenarios},
        "scenario_hashes": {s.name: s.content_hash() for s in scenarios},
        "scenario_files": {s.name: str(s.source) if s.source else None for s in scenarios}}, **run_options)
    store.write_spending(delivered_spending(store))
    return store


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
        Rows (Arrow table of :data:`~sim.store.RESULT_SCHEMA`) of the runs that finished, their keys
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
            failures.append(_failure_record(point, run, exc))
    table, ok = None, []
    if frames:
        table, bad = _keyed_table(frames, finished, job)
        for run, problem in bad.items():
            failures.append(_failure_record(job.points[run.sample], run, ValueError(problem)))
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


def _failure_record(point: Point, run: Run, exc: BaseException | str) -> dict[str, Any]:
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


def _ping() -> int:
    return os.getpid()


def _worker_init(parent_pid: int) -> None:
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


# ------------------------------------------------------------------------------------------ executors


@dataclass
class _Chunk:
    runs: tuple[Run, ...]


class _WorkerLost(Exception):
    """The process running a chunk died (crash, ``os._exit``, killed, lost Dask worker)."""


class _SerialExecutor:
    """Runs chunks in this process, one at a time."""

    capacity = 1
    description = "1 process"

    def __init__(self, scenarios: Sequence[Scenario]) -> None:
        self._scenarios = scenarios
        self._queue: deque[tuple[_Chunk, ChunkJob]] = deque()

    def submit(self, chunk: _Chunk, job: ChunkJob) -> None:
        self._queue.append((chunk, job))

    @property
    def inflight(self) -> int:
        return len(self._queue)

    def wait(self) -> list[tuple[list[_Chunk], ChunkResult | BaseException]]:
        chunk, job = self._queue.popleft()
        return [([chunk], run_chunk(job, self._scenarios))]

    def close(self, interrupted: bool) -> list[tuple[list[_Chunk], ChunkResult | BaseException]]:
        self._queue.clear()
        return []


class _PoolExecutor:
    """A local process pool (forkserver start, so no threads or locks are inherited)."""

    def __init__(self, scenarios: Sequence[Scenario], workers: int) -> None:
        self._scenarios = tuple(scenarios)
        self.workers = workers
        self.capacity = 2 * workers
        self.description = f"{workers} local processes"
        self._futures: dict[Future, _Chunk] = {}
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("forkserver")
        # The fork server imports the heavy libraries once, so workers forked from it start in a
        # fraction of a second. The project's own modules are not preloaded: a worker imports them
        # afresh, so a model edited in a notebook is never run from a stale copy. (The server starts
        # with the first pool of this process; later changes of the list are ignored.)
        context.set_forkserver_preload(list(FORKSERVER_PRELOAD))
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                         initializer=_worker_init, initargs=(os.getpid(),))
        try:  # a pool whose workers cannot even start would otherwise fail every run one by one
            self._pool.submit(_ping).result()
        except BrokenProcessPool:
            raise RuntimeError(
                "the worker processes could not start (see the messages above). A script that runs "
                "the engine must guard its top level with `if __name__ == \"__main__\":`, and cannot "
                "be read from standard input; or use workers=1") from None

    def submit(self, chunk: _Chunk, job: ChunkJob) -> None:
        self._futures[self._pool.submit(run_chunk, job, self._scenarios)] = chunk

    @property
    def inflight(self) -> int:
        return len(self._futures)

    def wait(self) -> list[tuple[list[_Chunk], ChunkResult | BaseException]]:
        done, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
        events: list[tuple[list[_Chunk], ChunkResult | BaseException]] = []
        broken = False
        for future in done:
            chunk = self._futures.pop(future)
            try:
                events.append(([chunk], future.result()))
            except BrokenProcessPool:
                broken = True
                self._futures[future] = chunk
            except Exception as exc:  # noqa: BLE001 - e.g. the model cannot be unpickled
                events.append(([chunk], exc))
        if broken:
            # A worker died: every chunk still held by the pool is lost with it; which one killed
            # the worker is unknown, so the caller reruns them one at a time.
            lost = []
            for future, chunk in self._futures.items():
                if future.done() and not future.cancelled() and future.exception() is None:
                    events.append(([chunk], future.result()))
                else:
                    lost.append(chunk)
            self._futures.clear()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._start()
            events.append((lost, _WorkerLost("a worker process died")))
        return events

    def close(self, interrupted: bool) -> list[tuple[list[_Chunk], ChunkResult | BaseException]]:
        # On Ctrl-C the workers ignore SIGINT and finish the chunk in hand; those results are kept.
        self._pool.shutdown(wait=True, cancel_futures=True)
        events = []
        for future, chunk in self._futures.items():
            if future.done() and not future.cancelled() and future.exception() is None:
                events.append(([chunk], future.result()))
        self._futures.clear()
        return events


class _DaskExecutor:
    """A Dask distributed cluster: chunks are tasks; a lost worker's tasks are rescheduled by Dask."""

    def __init__(self, scenarios: Sequence[Scenario], scheduler: Any) -> None:
        from distributed import Client, as_completed

        if isinstance(scheduler, Client):
            self.client, self._own = scheduler, False
        else:
            try:
                self.client, self._own = Client(scheduler, timeout="30s"), True
            except (OSError, ValueError, TypeError) as exc:
                raise InputError(f"cannot reach the Dask scheduler ({exc})", key="--scheduler",
                                 value=str(scheduler), allowed="an address like tcp://host:8786") from None
        try:
            self.client.wait_for_workers(1, timeout=120)
        except TimeoutError:
            if self._own:
                self.client.close()
            raise InputError("no Dask worker connected to the scheduler within 2 minutes",
                             key="--scheduler", value=str(self.client.scheduler.address),
                             allowed="a scheduler with workers (dask worker ADDRESS)") from None
        [self._scenarios] = self.client.scatter([tuple(scenarios)], broadcast=True, hash=False)
        self._as_completed = as_completed()
        self._futures: dict[Any, _Chunk] = {}
        self._threads_checked = 0.0
        self._capacity = 2
        self.description = f"Dask cluster at {self.client.scheduler.address}"

    @property
    def capacity(self) -> int:
        now = time.monotonic()
        if now - self._threads_checked > 5:
            self._capacity = max(2, 2 * sum(self.client.nthreads().values()))
            self._threads_checked = now
        return self._capacity

    def submit(self, chunk: _Chunk, job: ChunkJob) -> None:
        future = self.client.submit(run_chunk, job, self._scenarios, pure=False,
                                    key=f"weilai-chunk-{uuid.uuid4().hex}")
        self._futures[future] = chunk
        self._as_completed.add(future)

    @property
    def inflight(self) -> int:
        return len(self._futures)

    def wait(self) -> list[tuple[list[_Chunk], ChunkResult | BaseException]]:
        from distributed import KilledWorker

        future = next(self._as_completed)
        chunk = self._futures.pop(future)
        if future.status == "error":
            exc = future.exception()
            outcome = _WorkerLost(str(exc)) if isinstance(exc, KilledWorker) else exc
        else:
            outcome = future.result()
        future.release()
        return [([chunk], outcome)]

    def close(self, interrupted: bool) -> list[tuple[list[_Chunk], ChunkResult | BaseException]]:
        events = []
        for future, chunk in self._futures.items():
            if future.status == "finished":
                events.append(([chunk], future.result()))
            else:
                future.cancel()
        self._futures.clear()
        if self._own:
            self.client.close()
        return events


# ------------------------------------------------------------------------------------------ runner


def default_model() -> ModelFn:
    """The project's model, :func:`sim.model.simulate`."""
    try:
        from sim.model import simulate
    except ImportError as exc:  # pragma: no cover - only before the model exists
        raise RuntimeError(f"the model (sim.model.simulate) cannot be imported: {exc}") from exc
    return simulate


def model_name(model: ModelFn) -> str:
    """Import name ``module:qualname`` of a model function (through ``functools.partial``)."""
    inner = model
    while isinstance(inner, functools.partial):
        inner = inner.func
    return f"{getattr(inner, '__module__', '?')}:{getattr(inner, '__qualname__', repr(inner))}"


def load_model(ref: str) -> ModelFn:
    """A model function from ``module:function`` (``--model`` on the command line)."""
    module_name, _, attr = ref.partition(":")
    try:
        module = importlib.import_module(module_name)
        model = functools.reduce(getattr, attr.split("."), module) if attr else None
    except (ImportError, AttributeError) as exc:
        raise InputError(f"cannot load the model ({exc})", key="--model", value=ref,
                         allowed="module:function, importable here") from None
    if not callable(model):
        raise InputError("not a function", key="--model", value=ref, allowed="module:function")
    return model


def _accepts_detail(model: ModelFn) -> bool:
    try:
        params = inspect.signature(model).parameters
    except (TypeError, ValueError):
        return False
    return "detail" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_design(
    design: Design,
    out: str | Path,
    *,
    model: ModelFn | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    chunk_size: int | None = None,
    retry_failures: bool = False,
    progress: bool = True,
    flush_seconds: float = 10.0,
    manifest: Mapping[str, Any] | None = None,
    label: str | None = None,
    on_open: Callable[[ResultStore], None] | None = None,
    run_timeout: float | None = None,
) -> ResultStore:
    """Run every run of a design that is not yet in the store at ``out`` (resuming if it exists).

    Args:
        design: The runs (see :class:`Design`).
        out: Result store folder; created if new, resumed if it holds this design.
        model: ``model(scenario, seed[, detail=...]) -> DataFrame``; default :func:`sim.model.simulate`.
            Must be importable by worker processes (a module-level function or a
            ``functools.partial`` of one).
        workers: Local processes; ``None`` = all cores, ``1`` = in this process. Ignored with a scheduler.
        scheduler: Dask scheduler address (``tcp://host:8786``) or a ``distributed.Client``.
        chunk_size: Runs per task (default: automatic, about 2 s of work each, judged from the runs
            finished so far).
        retry_failures: Rerun only the runs recorded as failed (they are skipped otherwise).
        progress: Show a progress bar (terminal or notebook, via ``tqdm.auto``).
        flush_seconds: Finished runs are written to a Parquet part at least this often (seconds).
        manifest: More manifest entries written when the store is created (documentation).
        label: Text of the progress bar.
        on_open: Called with the store once it is open (and checked, and locked), before any run:
            for tables that describe the design (a sweep's ``samples.parquet``).
        run_timeout: Seconds a run may take; a run past it is recorded as failed
            (:class:`RunTimeoutError`) and the batch goes on (retry it with ``retry_failures`` and a
            longer limit). Enforced in this process and in the local pool, not on Dask workers.

    Returns:
        The result store. The session's facts are appended to ``manifest["sessions"]``: runs
        planned, done and failed, worker deaths, wall_seconds, worker_seconds and worker_cpu_seconds
        (summed over the runs), engine_cpu_seconds (the dispatching process; includes the runs when
        ``workers=1``), the executor and the chunk sizes.

    Raises:
        StoreMismatchError: if ``out`` holds a store of a different design.
        InputError: if another process is writing the store, or the scheduler cannot be reached.
    """
    model = model or default_model()
    name = model_name(model)
    all_runs = design.runs()
    identity = design.identity(name)
    extra = {"n_runs": len(all_runs), "replicates": design.replicates, "seeds": design.seeds,
             "model": name, "calibration": "; ".join(identity["parameter_draws"]), **(manifest or {})}
    store = ResultStore.open_or_create(out, design.kind, identity, extra=extra)
    with store.writer_lock():
        created_by = store.manifest.get("code_version")
        now_version = code_version()
        if created_by and created_by != now_version:
            warnings.warn(f"{store.path} was created by code {created_by}; resuming with {now_version}",
                          CodeVersionWarning, stacklevel=2)
        if on_open is not None:
            on_open(store)
        if design.extendable:
            old = store.manifest
            if design.replicates > int(old.get("replicates", 0)):
                store.update_manifest(n_runs=len(all_runs), replicates=design.replicates, seeds=design.seeds)
        done = store.completed()
        failed = store.failed_keys() - done
        if retry_failures:
            todo = [r for r in all_runs if (r.sample, r.replicate) in failed]
        else:
            todo = [r for r in all_runs if (r.sample, r.replicate) not in done
                    and (r.sample, r.replicate) not in failed]
        if scheduler is not None and todo:
            executor: Any = _DaskExecutor(design.scenarios, scheduler)
        else:
            n_workers = max(1, workers or default_workers())
            n_workers = min(n_workers, max(1, len(todo)))
            executor = _SerialExecutor(design.scenarios) if n_workers == 1 else \
                _PoolExecutor(design.scenarios, n_workers)
        store.start_session(len(todo), len(done) + len(failed), executor.description, retry=retry_failures)
        session = _execute(design, store, todo, executor, model, chunk_size, progress, flush_seconds,
                           label or f"{design.kind} {store.path.name}", failed, run_timeout)
        session.update(already_done=len(done), previously_failed=len(failed), retry_failures=retry_failures,
                       run_timeout_seconds=run_timeout)
        store.record_session(**session)
    return store


def _execute(design: Design, store: ResultStore, todo: list[Run], executor: Any, model: ModelFn,
             chunk_size: int | None, progress: bool, flush_seconds: float, label: str,
             previously_failed: set[tuple[int, int]], run_timeout: float | None = None) -> dict[str, Any]:
    """The dispatch loop: chunks out, rows and failures to disk, lost chunks isolated and retried."""
    from tqdm.auto import tqdm

    started_wall = time.time()
    started = time.perf_counter()
    points = {p.sample: p for p in design.points}
    pass_detail = _accepts_detail(model)
    pending: deque[Run] = deque(todo)
    slots = max(1, executor.capacity // 2)
    timing = {"runs": 0, "seconds": 0.0}
    sizes: list[int] = []

    def next_chunk() -> _Chunk:
        """The next runs to send: ``chunk_size`` of them, or (automatic) about CHUNK_SECONDS of work
        judged from the runs finished so far, starting with single runs, at most 1/4 of what is left
        per worker so that every worker gets work until the end."""
        if chunk_size is not None:
            size = chunk_size
        elif timing["runs"] == 0:
            size = 1
        else:
            per_run = timing["seconds"] / timing["runs"]
            size = round(CHUNK_SECONDS / max(per_run, 1e-6))
            size = min(size, MAX_CHUNK, math.ceil(len(pending) / (4 * slots)))
        size = max(1, size)
        sizes.append(size)
        return _Chunk(tuple(pending.popleft() for _ in range(min(size, len(pending)))))

    suspects: deque[_Chunk] = deque()  # chunks held by a worker that died: rerun one at a time

    def job(chunk: _Chunk) -> ChunkJob:
        return ChunkJob(model=model, pass_detail=pass_detail, detail=design.detail,
                        indicators=design.indicators,
                        points={r.sample: points[r.sample] for r in chunk.runs}, runs=chunk.runs,
                        run_timeout=run_timeout)

    buffer: list[pa.Table] = []
    buffered_rows = 0
    to_clear: list[tuple[int, int]] = []
    counts = {"runs_ok": 0, "runs_failed": 0, "worker_deaths": 0, "parts_written": 0}
    last_flush = time.monotonic()
    worker_seconds = worker_cpu_seconds = 0.0
    cpu_started = time.process_time()
    bar = tqdm(total=len(todo), unit="run", desc=label, disable=not progress, dynamic_ncols=True,
               smoothing=0.05)

    def flush() -> None:
        nonlocal buffer, buffered_rows, last_flush, to_clear
        if buffer:
            store.write_part(pa.concat_tables(buffer))
            counts["parts_written"] += 1
            for key in to_clear:
                store.clear_failure(*key)
        buffer, buffered_rows, to_clear, last_flush = [], 0, [], time.monotonic()

    def take(chunks: list[_Chunk], outcome: ChunkResult | BaseException) -> None:
        nonlocal buffered_rows, worker_seconds, worker_cpu_seconds
        if isinstance(outcome, ChunkResult):
            if outcome.table is not None:
                buffer.append(outcome.table)
                buffered_rows += outcome.table.num_rows
            to_clear.extend(key for key in outcome.ok if key in previously_failed)
            for record in outcome.failures:
                store.write_failure(record["sample"], record["replicate"], record)
            counts["runs_ok"] += len(outcome.ok)
            counts["runs_failed"] += len(outcome.failures)
            worker_seconds += outcome.seconds
            worker_cpu_seconds += outcome.cpu_seconds
            timing["runs"] += len(outcome.ok) + len(outcome.failures)
            timing["seconds"] += outcome.seconds
            bar.update(len(outcome.ok) + len(outcome.failures))
        elif isinstance(outcome, _WorkerLost):
            counts["worker_deaths"] += 1
            if len(chunks) > 1:  # lost together: the culprit is one of them, rerun each alone
                suspects.extend(chunks)
                return
            [chunk] = chunks
            if len(chunk.runs) > 1:
                suspects.extendleft(reversed([_Chunk((r,)) for r in chunk.runs]))
                return
            run = chunk.runs[0]
            record = _failure_record(points[run.sample], run,
                                     f"WorkerLost: the process running it died ({outcome})")
            store.write_failure(run.sample, run.replicate, record)
            counts["runs_failed"] += 1
            bar.update(1)
        else:
            for chunk in chunks:
                for run in chunk.runs:
                    store.write_failure(run.sample, run.replicate,
                                        _failure_record(points[run.sample], run, outcome))
                    counts["runs_failed"] += 1
                bar.update(len(chunk.runs))
        if bar.total:
            bar.set_postfix(failed=counts["runs_failed"], refresh=False)

    interrupted = False
    try:
        while pending or suspects or executor.inflight:
            if suspects:
                if not executor.inflight:
                    chunk = suspects.popleft()
                    executor.submit(chunk, job(chunk))
            else:
                while pending and executor.inflight < executor.capacity:
                    chunk = next_chunk()
                    executor.submit(chunk, job(chunk))
            for chunks, outcome in executor.wait():
                take(chunks, outcome)
            if buffered_rows >= 500_000 or time.monotonic() - last_flush >= flush_seconds:
                flush()
    except KeyboardInterrupt:
        interrupted = True
        print("\nweilai: stopping; keeping the runs already finished ...", file=sys.stderr)
        raise
    finally:
        try:
            for chunks, outcome in executor.close(interrupted):
                take(chunks, outcome)
        finally:
            flush()
            bar.close()
            wall = time.perf_counter() - started
            if interrupted:
                store.record_session(started=time.strftime("%Y-%m-%dT%H:%M:%S%z",
                                                           time.localtime(started_wall)),
                                     wall_seconds=wall, interrupted=True, executor=executor.description,
                                     runs_planned=len(todo), **counts)
    wall = time.perf_counter() - started
    return {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started_wall)),
        "wall_seconds": wall,
        "runs_planned": len(todo),
        "executor": executor.description,
        "chunk_size": chunk_size or (f"auto {min(sizes)}-{max(sizes)}" if sizes else "auto"),
        "worker_seconds": worker_seconds,
        "worker_cpu_seconds": worker_cpu_seconds,
        "engine_cpu_seconds": time.process_time() - cpu_started,
        "interrupted": False,
        **counts,
    }


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
) -> ResultStore:
    """Run (or extend, or resume) a seeded ensemble of a scenario and write its target table.

    The store gets the tidy Parquet parts, ``spending.parquet`` (what the levers paid out, as delivered),
    ``targets.csv`` (:func:`sim.targets.evaluate_targets` over replicates ``0..replicates-1``) and a
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
        targets: A :class:`sim.targets.Targets` (default: the region's targets file).

    Returns:
        The result store.
    """
    design = ensemble_design(scenario, replicates, seed, detail=detail)
    store = run_design(design, out, model=model, workers=workers, scheduler=scheduler,
                       retry_failures=retry_failures, progress=progress, run_timeout=run_timeout,
                       manifest={"name": scenario.name, "scenario": scenario.model_dump(mode="json"),
                                 "scenario_hash": scenario.content_hash(),
                                 "scenario_file": str(scenario.source) if scenario.source else None},
                       label=f"{scenario.name} x{replicates}")
    store.write_spending(delivered_spending(store))
    table = ensemble_targets(store, replicates, targets)
    table.to_csv(store.path / "targets.csv", index=False)
    return store


def ensemble_targets(store: ResultStore, replicates: int | None = None, targets: Any = None) -> pd.DataFrame:
    """The target table (:func:`sim.targets.evaluate_targets`) of an ensemble store.

    Args:
        store: The store.
        replicates: Use replicates ``0..replicates-1`` only (None: all in the store).
        targets: Targets (default: the region's).
    """
    from sim.targets import evaluate_targets, load_targets

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
    from sim.targets import load_targets

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


# ------------------------------------------------------------------------------------------ CLI


def add_execution_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``weilai run`` and ``weilai sweep``."""
    parser.add_argument("--workers", type=int, default=None,
                        help="local processes (default: all cores; 1 = this process only)")
    parser.add_argument("--scheduler", default=None,
                        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 "
                             "(default: $WEILAI_SCHEDULER, else local processes)")
    parser.add_argument("--retry-failures", action="store_true",
                        help="rerun only the runs recorded as failed in the store")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--run-timeout", type=float, default=None, metavar="SECONDS",
                        help="a run taking longer is recorded as failed and the batch goes on "
                             "(local processes; default: no limit)")
    parser.add_argument("--model", default=None, metavar="MODULE:FUNCTION",
                        help="advanced: another model function (default sim.model:simulate)")


def execution_options(args: argparse.Namespace, config_scheduler: str | None = None) -> dict[str, Any]:
    """Keyword arguments of :func:`run_design` from the shared command-line options."""
    if args.workers is not None and args.workers < 1:
        raise InputError("at least one worker is needed", key="--workers", value=args.workers,
                         allowed="1 or more")
    if args.run_timeout is not None and not args.run_timeout > 0:
        raise InputError("the time limit of a run must be positive", key="--run-timeout", value=args.run_timeout,
                         allowed="seconds > 0")
    scheduler = args.scheduler or config_scheduler or os.environ.get("WEILAI_SCHEDULER") or None
    return {
        "model": load_model(args.model) if args.model else None,
        "workers": args.workers,
        "scheduler": scheduler,
        "retry_failures": args.retry_failures,
        "progress": not args.no_progress,
        "run_timeout": args.run_timeout,
    }


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai run``."""
    parser.add_argument("scenario", help="scenario file or name (e.g. baseline)")
    parser.add_argument("--replicates", type=int, default=50,
                        help="replicates (default 50; with --ci-width: the first batch)")
    parser.add_argument("--seed", type=int, default=2024, help="base seed (default 2024)")
    parser.add_argument("--out", default=None, help="result store folder (default results/<scenario>)")
    parser.add_argument("--detail", choices=DETAILS, default="full",
                        help="rows kept per run: full, directions (no districts), city (totals only)")
    parser.add_argument("--ci-width", type=float, default=None,
                        help="adaptive: add replicates until every target probability's 95%% interval "
                             "is at most this wide (e.g. 0.1)")
    parser.add_argument("--batch", type=int, default=20, help="adaptive: replicates added per step")
    parser.add_argument("--max-replicates", type=int, default=1000, help="adaptive: cap on replicates")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="labels of the target table and charts")
    parser.add_argument("--no-charts", action="store_true", help="do not write the target board and fan charts")
    add_execution_arguments(parser)


def write_charts(store: ResultStore, lang: str) -> list[Path]:
    """The target board and key fan charts of an ensemble (PNG, SVG, HTML in ``<store>/charts``).

    Chinese labels need a CJK font for PNG and SVG; without one, the message says how to get one and
    the charts are written with English labels instead, so the run still ends with a chart.
    """
    from sim.charts import write_run_charts
    from sim.fonts import CjkFontMissingError

    try:
        files = write_run_charts(store.path, lang=lang)
    except CjkFontMissingError as exc:
        print(f"weilai: {exc.message()}\nweilai: writing the charts with English labels instead", file=sys.stderr)
        files = write_run_charts(store.path, lang="en")
    pngs = [f for f in files if f.suffix == ".png"]
    print(f"charts: {', '.join(str(f) for f in pngs)} (SVG and HTML beside them)")
    return files


def cli_main(args: argparse.Namespace) -> int:
    """``weilai run``: a seeded ensemble; writes the store, prints the target table, draws the charts."""
    from sim.scenario import load_scenario
    from sim.targets import format_target_table, load_targets

    if args.replicates < 1:
        raise InputError("at least one replicate is needed", key="--replicates", value=args.replicates,
                         allowed="1 or more")
    if args.seed < 0:
        raise InputError("the seed must not be negative", key="--seed", value=args.seed, allowed="0 or more")
    scenario = load_scenario(args.scenario)
    out = Path(args.out) if args.out else Path("results") / scenario.name
    options = execution_options(args)
    targets = load_targets()
    started = time.perf_counter()
    if args.ci_width is not None:
        store = run_adaptive_ensemble(scenario, args.seed, out, ci_width=args.ci_width,
                                      initial=args.replicates, batch=args.batch,
                                      max_replicates=args.max_replicates, targets=targets,
                                      detail=args.detail, **options)
        adaptive = store.manifest["adaptive"]
        n = adaptive["replicates"]
        print(f"adaptive: stopped at {n} replicates: {adaptive['stopped_because']}")
    else:
        n = args.replicates
        store = run_ensemble(scenario, n, args.seed, out, detail=args.detail, targets=targets, **options)
    status = store.status()
    if status["runs_done"]:
        table = ensemble_targets(store, n, targets)
        print(format_target_table(table[table["n_replicates"] > 0], lang=args.lang))
        if not args.no_charts:
            write_charts(store, args.lang)
    print(f"{status['runs_done']} runs in {out} ({time.perf_counter() - started:.1f} s this session); "
          "targets.csv, spending.parquet, manifest.json written")
    print(f"parameters: {store.manifest.get('calibration', 'not recorded')}")
    return report_failures(store)


def report_failures(store: ResultStore) -> int:
    """Print the failed runs (if any) and the command's exit status: 0, or 1 if runs failed."""
    done = store.completed()
    failures = [f for f in store.failures() if (f["sample"], f["replicate"]) not in done]
    if not failures:
        return 0
    first = failures[0]
    print(f"weilai: {len(failures)} runs FAILED; the first (sample {first['sample']}, replicate "
          f"{first['replicate']}, seed {first['seed']}): {first['error'].splitlines()[0][:200]}\n"
          f"  records in {store.path / 'failures'}; rerun only them with the same command and "
          "--retry-failures", file=sys.stderr)
    return 1
