"""Where cells run: in this process, one after another (:class:`Serial`), or on a local
process pool (:class:`ProcessPool`, ``concurrent.futures``). The Dask executor lives in
:mod:`.dask_executor`. Each executor's ``run(tasks)`` yields ``(index, payload)`` as cells
finish, in any order, and turns its own faults into ``error`` payloads.

The process pool starts workers with ``spawn`` (no state inherited from the client), one
BLAS/OpenMP thread each, and keeps one cell in flight per worker, so that a cell's loss
can be told apart. ``concurrent.futures`` breaks the whole pool when a worker dies: the pool
is rebuilt and every cell that was in flight is resubmitted once, alone, so that a cell that
kills its worker again is known (an ``error``/``crash`` row) and the others are not blamed.
A cell that timed out asks for its worker to be restarted: the pool is replaced (the old
one's workers exit once idle; the overrun thread dies with its process).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .worker import Payload, Task, error_payload, run_cell, start_worker, warm

__all__ = ["Executor", "ProcessPool", "Serial", "default_workers"]


def default_workers() -> int:
    """The CPUs this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - macOS and Windows
        return max(os.cpu_count() or 1, 1)


class Executor:
    """What runs cells: ``start()``, ``run(tasks)``, ``close()``; a context manager."""

    name = "executor"
    workers = 1

    def start(self) -> None:
        """Start the workers (the sweep calls this before the first cell)."""

    def warm_up(self) -> None:
        """Have every worker load the engine (benchmarks time warm workers)."""

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Payload]]:
        raise NotImplementedError

    def close(self) -> None:
        """Stop the workers; cells still running are abandoned."""

    def __enter__(self) -> Executor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Serial(Executor):
    """Every cell in this process, one after another (BLAS threads 1 meanwhile). A cell that
    overruns the timeout is abandoned in its thread, which runs on until the sweep ends."""

    name = "serial"

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Payload]]:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover
            from contextlib import nullcontext as threadpool_limits  # type: ignore[assignment]
        with threadpool_limits(limits=1):
            for index, task in enumerate(tasks):
                yield index, run_cell(task)


class ProcessPool(Executor):
    """A ``concurrent.futures.ProcessPoolExecutor`` of ``workers`` spawned processes."""

    name = "process pool"

    def __init__(self, workers: int | None = None, path: Sequence[str] = ()) -> None:
        self.workers = workers if workers is not None else default_workers()
        self.path = tuple(path)
        self.pool: ProcessPoolExecutor | None = None
        self.retired: list[ProcessPoolExecutor] = []

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_worker,
            initargs=(self.path,),
        )

    def start(self) -> None:
        if self.pool is None:
            self.pool = self._new_pool()

    def _replace(self, old: ProcessPoolExecutor) -> None:
        """A fresh pool for the next cells; the old one's workers exit once idle."""
        if old is not self.pool:
            return
        old.shutdown(wait=False, cancel_futures=True)
        self.retired.append(old)
        self.pool = self._new_pool()

    def warm_up(self) -> None:
        self.start()
        assert self.pool is not None
        futures = [self.pool.submit(warm, 0.2) for _ in range(self.workers)]
        for future in futures:
            future.result()

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Payload]]:
        self.start()
        waiting: deque[int] = deque(range(len(tasks)))
        suspects: deque[int] = deque()  # in flight when the pool broke: rerun alone, once
        running: dict[Future[Payload], tuple[int, ProcessPoolExecutor, bool]] = {}
        while waiting or suspects or running:
            if suspects:
                if not running:
                    index = suspects.popleft()
                    running[self._submit(tasks[index])] = (index, self.pool, True)  # type: ignore[assignment]
            else:
                while waiting and len(running) < self.workers:
                    index = waiting.popleft()
                    running[self._submit(tasks[index])] = (index, self.pool, False)  # type: ignore[assignment]
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                index, pool, alone = running.pop(future)
                try:
                    payload = future.result()
                except CancelledError:  # queued on a pool replaced meanwhile: run it on the new one
                    waiting.appendleft(index)
                    continue
                except BrokenProcessPool:
                    self._replace(pool)
                    if alone:
                        message = (
                            "the worker process died while running this cell (twice: the second "
                            "time alone in the pool), e.g. the target called os._exit or crashed "
                            "the interpreter"
                        )
                        yield index, error_payload(tasks[index].cell, "crash", message)
                    else:
                        suspects.append(index)
                    continue
                except (Exception, SystemExit) as exc:  # noqa: BLE001 - raised on the worker, sent back
                    message = f"the cell raised on its worker: {type(exc).__name__}: {exc}"
                    yield index, error_payload(tasks[index].cell, "exception", message)
                    continue
                if payload.get("restart"):
                    self._replace(pool)
                yield index, payload

    def _submit(self, task: Task) -> Future[Payload]:
        assert self.pool is not None
        try:
            return self.pool.submit(run_cell, task)
        except BrokenProcessPool:  # it broke since the last look: its cells are handled as they come
            self._replace(self.pool)
            return self.pool.submit(run_cell, task)

    def close(self) -> None:
        pools: list[Any] = [*self.retired, self.pool]
        for pool in pools:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
                stop = getattr(pool, "terminate_workers", None)  # Python 3.14+
                if stop is not None:
                    stop()
        self.pool = None
        self.retired = []
