"""Executors: serial (this process), a local process pool, a Dask distributed cluster.

Same results on each; a worker process that dies is replaced and its runs retried one at a time.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import uuid
from collections import deque
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from sim.core.errors import InputError
from sim.engine.design import Run
from sim.engine.worker import ChunkJob, ChunkResult, init_worker, ping, run_chunk
from sim.scenario.schema import Scenario

FORKSERVER_PRELOAD = ("__main__", "numpy", "pandas", "pyarrow", "pydantic", "mesa")


# ------------------------------------------------------------------------------------------ executors


@dataclass
class Chunk:
    runs: tuple[Run, ...]
    alone: bool = False  # sent while nothing else was in flight: if its worker dies, it is the cause


class WorkerLost(Exception):
    """The process running a chunk died (crash, ``os._exit``, killed, lost Dask worker)."""


class SerialExecutor:
    """Runs chunks in this process, one at a time."""

    capacity = 1
    description = "1 process"

    def __init__(self, scenarios: Sequence[Scenario]) -> None:
        self._scenarios = scenarios
        self._queue: deque[tuple[Chunk, ChunkJob]] = deque()

    def submit(self, chunk: Chunk, job: ChunkJob) -> None:
        self._queue.append((chunk, job))

    @property
    def inflight(self) -> int:
        return len(self._queue)

    def wait(self) -> list[tuple[list[Chunk], ChunkResult | BaseException]]:
        chunk, job = self._queue.popleft()
        return [([chunk], run_chunk(job, self._scenarios))]

    def close(self) -> list[tuple[list[Chunk], ChunkResult | BaseException]]:
        self._queue.clear()
        return []


class PoolExecutor:
    """A local process pool (forkserver start, so no threads or locks are inherited)."""

    def __init__(self, scenarios: Sequence[Scenario], workers: int) -> None:
        self._scenarios = tuple(scenarios)
        self.workers = workers
        self.capacity = 2 * workers
        self.description = f"{workers} local processes"
        self._futures: dict[Future, Chunk] = {}
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("forkserver")
        # The fork server imports the heavy libraries once, so workers forked from it start in a
        # fraction of a second. The project's own modules are not preloaded: a worker imports them
        # afresh, so a model edited in a notebook is never run from a stale copy. (The server starts
        # with the first pool of this process; later changes of the list are ignored.)
        context.set_forkserver_preload(list(FORKSERVER_PRELOAD))
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                         initializer=init_worker, initargs=(os.getpid(),))
        try:  # a pool whose workers cannot even start would otherwise fail every run one by one
            self._pool.submit(ping).result()
        except BrokenProcessPool:
            raise RuntimeError(
                "the worker processes could not start (see the messages above). A script that runs "
                "the engine must guard its top level with `if __name__ == \"__main__\":`, and cannot "
                "be read from standard input; or use workers=1") from None

    def submit(self, chunk: Chunk, job: ChunkJob) -> None:
        self._futures[self._pool.submit(run_chunk, job, self._scenarios)] = chunk

    @property
    def inflight(self) -> int:
        return len(self._futures)

    def wait(self) -> list[tuple[list[Chunk], ChunkResult | BaseException]]:
        done, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
        events: list[tuple[list[Chunk], ChunkResult | BaseException]] = []
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
            events.append((lost, WorkerLost("a worker process died")))
        return events

    def close(self) -> list[tuple[list[Chunk], ChunkResult | BaseException]]:
        # On Ctrl-C the workers ignore SIGINT and finish the chunk in hand; those results are kept.
        self._pool.shutdown(wait=True, cancel_futures=True)
        events = []
        for future, chunk in self._futures.items():
            if future.done() and not future.cancelled() and future.exception() is None:
                events.append(([chunk], future.result()))
        self._futures.clear()
        return events


class DaskExecutor:
    """A Dask distributed cluster: chunks are tasks; a lost worker's tasks are rescheduled by Dask."""

    def __init__(self, scenarios: Sequence[Scenario], scheduler: Any, own: bool = False,
                 source: str = "--scheduler") -> None:
        from distributed import Client, as_completed

        if isinstance(scheduler, Client):
            self.client, self._own = scheduler, own
        else:
            self.client, self._own = connect_scheduler(scheduler, source), True
        try:
            self.client.wait_for_workers(1, timeout=120)
        except TimeoutError:
            if self._own:
                self.client.close()
            raise InputError("no Dask worker connected to the scheduler within 2 minutes",
                             key="--scheduler", value=str(getattr(self.client.scheduler, "address", None)),
                             allowed="a scheduler with workers (dask worker ADDRESS)") from None
        self._scenario_tuple = tuple(scenarios)
        self._scatter()
        self._as_completed = as_completed()
        self._futures: dict[Any, Chunk] = {}
        self._threads_checked = 0.0
        self._capacity = 2
        self.description = f"Dask cluster at {getattr(self.client.scheduler, 'address', None)}"

    def _scatter(self) -> None:
        [self._scenarios] = self.client.scatter([self._scenario_tuple], broadcast=True, hash=False)
        self._lost_since_scatter = False

    @property
    def capacity(self) -> int:
        now = time.monotonic()
        if now - self._threads_checked > 5:
            self._capacity = max(2, 2 * sum(self.client.nthreads().values()))
            self._threads_checked = now
        return self._capacity

    def submit(self, chunk: Chunk, job: ChunkJob) -> None:
        if self._lost_since_scatter:  # the scattered scenarios may have gone with a lost worker
            self._scatter()
        future = self.client.submit(run_chunk, job, self._scenarios, pure=False,
                                    key=f"weilai-chunk-{uuid.uuid4().hex}")
        self._futures[future] = chunk
        self._as_completed.add(future)

    @property
    def inflight(self) -> int:
        return len(self._futures)

    def wait(self) -> list[tuple[list[Chunk], ChunkResult | BaseException]]:
        from distributed import KilledWorker

        future = next(self._as_completed)
        chunk = self._futures.pop(future)
        outcome = _dask_outcome(future, KilledWorker)
        if isinstance(outcome, WorkerLost):
            self._lost_since_scatter = True
        future.release()
        return [([chunk], outcome)]

    def close(self) -> list[tuple[list[Chunk], ChunkResult | BaseException]]:
        events = []
        for future, chunk in self._futures.items():
            if future.status == "finished":
                outcome = _dask_outcome(future, Exception)
                if not isinstance(outcome, WorkerLost):
                    events.append(([chunk], outcome))
            else:
                future.cancel()
        self._futures.clear()
        if self._own:
            self.client.close()
        return events


def _dask_outcome(future: Any, killed_type: type) -> Any:
    """What a finished Dask future means for the runner: its result, the run's exception, or
    :class:`WorkerLost` when its worker died (``KilledWorker``) or the task was cancelled or lost
    with it (``FutureCancelledError``), so the runs are retried alone and a run that keeps killing its
    worker is recorded as failed."""
    import asyncio
    import concurrent.futures

    cancelled = (asyncio.CancelledError, concurrent.futures.CancelledError)
    status = future.status
    if status not in ("finished", "error"):
        return WorkerLost(f"the Dask task was {status} (its worker was lost)")
    try:
        if status == "error":
            exc = future.exception()
            return WorkerLost(str(exc)) if isinstance(exc, killed_type) else exc
        return future.result()
    except cancelled as exc:
        return WorkerLost(f"the Dask task was cancelled ({type(exc).__name__}: its worker was lost)")
    except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be unpickled here
        return exc


SCHEDULER_PATTERN = r"^(tcp|tls|ucx|ws|wss)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.\-_]*):[0-9]{1,5}$"
CONNECT_SECONDS = 30


def check_scheduler_address(address: Any, source: str = "--scheduler", file: str | None = None) -> None:
    """Refuse a scheduler address that is not ``protocol://host:port`` (before anything is written).

    Args:
        address: The address.
        source: Where it came from (``--scheduler``, ``WEILAI_SCHEDULER``, ``execution.scheduler``).
        file: The sweep file, when it came from one.
    """
    import re

    allowed = "protocol://host:port, e.g. tcp://10.0.0.5:8786 or tls://host:8786"
    if not isinstance(address, str) or not re.match(SCHEDULER_PATTERN, address.strip()):
        raise InputError("not a Dask scheduler address", file=file, key=source, value=address, allowed=allowed)
    port = int(address.rsplit(":", 1)[1])
    if not 1 <= port <= 65535:
        raise InputError("port out of range", file=file, key=source, value=address, allowed="ports 1 to 65535")


def connect_scheduler(address: str, source: str = "--scheduler", security: Any = None) -> Any:
    """A ``distributed.Client`` for a scheduler address; an unreachable one is an InputError naming
    where the address came from.

    Args:
        address: ``tcp://host:port`` or ``tls://host:port``.
        source: Where the address came from (named in errors).
        security: A ``distributed.security.Security`` (TLS certificates); default: Dask's configuration.
    """
    from distributed import Client

    check_scheduler_address(address, source)
    kwargs = {"security": security} if security is not None else {}
    try:
        return Client(address.strip(), timeout=f"{CONNECT_SECONDS}s", **kwargs)
    except (OSError, ValueError, TypeError, TimeoutError) as exc:
        raise InputError(f"cannot reach the Dask scheduler ({str(exc).splitlines()[0][:200]})", key=source,
                         value=address, allowed="a running scheduler at protocol://host:port") from None
