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
from sim.engine.worker import ChunkJob, ChunkResult, _ping, _worker_init, run_chunk
from sim.scenario.schema import Scenario

FORKSERVER_PRELOAD = ("__main__", "numpy", "pandas", "pyarrow", "pydantic", "mesa")


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
