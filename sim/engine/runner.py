"""The experiment engine: the only code that runs the model in a loop.

Ensembles (``weilai run``), sensitivity sweeps (``weilai sweep``, :mod:`sim.analysis.sweep`), comparisons and
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
:func:`sim.model.model.simulate`. If it takes a ``detail`` keyword it is passed the design's detail.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
import os
import sys
import time
import warnings
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from sim.core.errors import InputError
from sim.engine.design import (
    Design,
    Detail,
    ModelFn,
    Run,
    delivered_spending,
    scenarios_design,
)
from sim.engine.executors import (
    Chunk,
    DaskExecutor,
    PoolExecutor,
    SerialExecutor,
    WorkerLost,
    connect_scheduler,
)
from sim.engine.store import RESULT_SCHEMA, ResultStore, code_version
from sim.engine.worker import ChunkJob, ChunkResult, failure_record
from sim.scenario.schema import Scenario

CHUNK_SECONDS = 2.0  # automatic chunks hold about this much work (s): progress and Ctrl-C stay responsive
MAX_CHUNK = 256      # runs per chunk at most
FIRST_FLUSH_SECONDS = 2.0  # finished runs of a new session are on disk within about this many seconds



class CodeVersionWarning(UserWarning):
    """A store is being resumed by a different code version than the one that created it."""


# ------------------------------------------------------------------------------------------ runner


def default_model() -> ModelFn:
    """The project's model, :func:`sim.model.model.simulate`."""
    try:
        from sim.model.model import simulate
    except ImportError as exc:  # pragma: no cover - only before the model exists
        raise RuntimeError(f"the model (sim.model.model.simulate) cannot be imported: {exc}") from exc
    return simulate


def model_name(model: ModelFn) -> str:
    """Identity of a model function: import name ``module:qualname``, with the arguments bound by
    ``functools.partial`` (``sim.model.model:simulate(population_scale=10)``), so that a store refuses
    runs of another model.

    Keywords listed in the function's ``execution_keywords`` attribute (fault injection, logging:
    things that do not change what a successful run computes) are left out.
    """
    inner, args, keywords = model, [], {}
    while isinstance(inner, functools.partial):
        args = list(inner.args) + args
        keywords = {**inner.keywords, **keywords}
        inner = inner.func
    name = f"{getattr(inner, '__module__', '?')}:{getattr(inner, '__qualname__', repr(inner))}"
    ignored = set(getattr(inner, "execution_keywords", ()))
    bound = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in sorted(keywords.items()) if k not in ignored]
    return f"{name}({', '.join(bound)})" if bound else name


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
    scheduler_source: str = "scheduler",
    security: Any = None,
) -> ResultStore:
    """Run every run of a design that is not yet in the store at ``out`` (resuming if it exists).

    Args:
        design: The runs (see :class:`Design`).
        out: Result store folder; created if new, resumed if it holds this design.
        model: ``model(scenario, seed[, detail=...]) -> DataFrame``; default :func:`sim.model.model.simulate`.
            Must be importable by worker processes (a module-level function or a
            ``functools.partial`` of one).
        workers: Local processes; ``None`` = all cores, ``1`` = in this process. Ignored with a scheduler.
        scheduler: Dask scheduler address (``tcp://host:8786``, ``tls://host:8786``) or a
            ``distributed.Client``. An address is connected to before the store is created.
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
        scheduler_source: Where the scheduler address came from (named in errors).
        security: ``distributed.security.Security`` for a TLS scheduler (default: Dask's configuration).

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
    client, own_client = scheduler, False
    if scheduler is not None and not hasattr(scheduler, "submit"):  # an address: connect before writing
        client, own_client = connect_scheduler(str(scheduler), scheduler_source, security), True
    try:
        return _run_in_store(design, out, identity, extra, model, workers, client, own_client, chunk_size,
                             retry_failures, progress, flush_seconds, label, on_open, run_timeout)
    finally:
        if own_client:
            client.close()


def _run_in_store(design: Design, out: str | Path, identity: dict[str, Any], extra: dict[str, Any],
                  model: ModelFn, workers: int | None, scheduler: Any, own_client: bool, chunk_size: int | None,
                  retry_failures: bool, progress: bool, flush_seconds: float, label: str | None,
                  on_open: Callable[[ResultStore], None] | None, run_timeout: float | None) -> ResultStore:
    all_runs = design.runs()
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
            executor: Any = DaskExecutor(design.scenarios, scheduler, own=False)
        else:
            n_workers = max(1, workers or default_workers())
            n_workers = min(n_workers, max(1, len(todo)))
            executor = SerialExecutor(design.scenarios) if n_workers == 1 else \
                PoolExecutor(design.scenarios, n_workers)
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

    def next_chunk() -> Chunk:
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
        return Chunk(tuple(pending.popleft() for _ in range(min(size, len(pending)))))

    suspects: deque[Chunk] = deque()  # chunks held by a worker that died: rerun one at a time

    def job(chunk: Chunk) -> ChunkJob:
        return ChunkJob(model=model, pass_detail=pass_detail, detail=design.detail,
                        indicators=design.indicators,
                        points={r.sample: points[r.sample] for r in chunk.runs}, runs=chunk.runs,
                        run_timeout=run_timeout)

    buffer: list[pa.Table] = []
    buffered_rows = 0
    to_clear: list[tuple[int, int]] = []
    counts = {"runs_ok": 0, "runs_failed": 0, "worker_deaths": 0, "parts_written": 0}
    # the first finished runs reach the disk within FIRST_FLUSH_SECONDS, later ones every flush_seconds
    last_flush = time.monotonic() - max(0.0, flush_seconds - FIRST_FLUSH_SECONDS)
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

    def take(chunks: list[Chunk], outcome: ChunkResult | BaseException) -> None:
        nonlocal buffered_rows, worker_seconds, worker_cpu_seconds
        outcome = _checked_outcome(chunks, outcome)
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
        elif isinstance(outcome, WorkerLost):
            counts["worker_deaths"] += 1
            if len(chunks) > 1:  # lost together: the culprit is one of them, rerun each alone
                suspects.extend(chunks)
                return
            [chunk] = chunks
            if len(chunk.runs) > 1:
                suspects.extendleft(reversed([Chunk((r,)) for r in chunk.runs]))
                return
            if not chunk.alone:  # other tasks were running (a Dask worker's queue dies with it): rerun alone
                suspects.append(chunk)
                return
            run = chunk.runs[0]
            record = failure_record(points[run.sample], run,
                                     f"WorkerLost: the process running it died ({outcome})")
            store.write_failure(run.sample, run.replicate, record)
            counts["runs_failed"] += 1
            bar.update(1)
        else:
            for chunk in chunks:
                for run in chunk.runs:
                    store.write_failure(run.sample, run.replicate,
                                        failure_record(points[run.sample], run, outcome))
                    counts["runs_failed"] += 1
                bar.update(len(chunk.runs))
        if bar.total:
            bar.set_postfix(failed=counts["runs_failed"], refresh=False)

    interrupted = False
    try:
        while pending or suspects or executor.inflight:
            if suspects:
                if not executor.inflight:
                    chunk = Chunk(suspects.popleft().runs, alone=True)
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
            for chunks, outcome in executor.close():
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




def _checked_outcome(chunks: list[Chunk], outcome: Any) -> ChunkResult | BaseException:
    """A task's outcome as the runner expects it; anything else (a result of another type, rows of
    another schema or for runs the chunk did not hold) becomes an exception, recorded as the
    failure of the chunk's runs rather than stopping the batch."""
    if isinstance(outcome, BaseException):
        return outcome
    if not isinstance(outcome, ChunkResult):
        return TypeError(f"a task returned {type(outcome).__name__}, not the engine's ChunkResult")
    keys = {(r.sample, r.replicate) for chunk in chunks for r in chunk.runs}
    reported = set(map(tuple, outcome.ok)) | {(f.get("sample"), f.get("replicate")) for f in outcome.failures
                                              if isinstance(f, dict)}
    if not reported <= keys or not all(isinstance(f, dict) for f in outcome.failures):
        return ValueError("a task reported runs its chunk did not hold")
    if outcome.table is not None:
        if not isinstance(outcome.table, pa.Table) or not outcome.table.schema.equals(RESULT_SCHEMA):
            return TypeError("a task returned rows that are not the engine's result table")
    return outcome


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
