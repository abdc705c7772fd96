"""Cells on a Dask cluster, through ``dask.distributed.Client``: an existing scheduler (its
address or its scheduler file) or a ``LocalCluster`` started here on 127.0.0.1.

Dask (the ``equicheck[dask]`` extra) is imported only in this module's functions. Every
cell is submitted at once and Dask schedules them; a worker that dies mid-cell has its cell
rescheduled by the scheduler; a cell Dask gives up on (``KilledWorker``, after
``distributed.scheduler.allowed-failures`` deaths of workers that held it, queued or
running) runs once more alone at the end, and becomes an ``error``/``crash`` row only if it
kills its worker again. A cell that overran the sweep's timeout has its worker restarted
(``Client.restart_workers``; retired instead where the worker has no nanny).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from .executors import Executor
from .targets import SweepError
from .worker import Payload, Task, error_payload, private_storage, run_cell, warm

__all__ = ["Dask", "require_dask", "run_on_dask_worker"]


def require_dask() -> None:
    """:class:`ImportError` with the install line when ``distributed`` is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ImportError("Dask executors need dask.distributed: pip install 'equicheck[dask]'") from None


def run_on_dask_worker(task: Task) -> Payload:
    """:func:`~equicheck.sweeps.worker.run_cell` on a Dask worker, naming the worker when
    it must be restarted."""
    import warnings

    # the worker's own threads use the `random` module while Hypothesis watches it
    warnings.filterwarnings("ignore", message="Do not use the `random` module inside strategies")
    private_storage()
    payload = run_cell(task)
    if payload.get("restart"):
        from distributed import get_worker

        payload["worker"] = get_worker().address
    return payload


class Dask(Executor):
    """A Dask client: ``address`` or ``scheduler_file`` of a running scheduler, ``local=N``
    to start a LocalCluster of N single-threaded worker processes, or ``client`` (yours,
    left open)."""

    name = "dask"

    def __init__(
        self,
        *,
        address: str | None = None,
        scheduler_file: str | None = None,
        local: int | None = None,
        client: Any = None,
    ) -> None:
        self.address = address
        self.scheduler_file = scheduler_file
        self.local = local
        self.client = client
        self.own_client = client is None
        self.cluster: Any = None
        self.workers = local or 0

    def start(self) -> None:
        if self.client is not None:
            self.workers = len(self.client.scheduler_info().get("workers", {})) or self.workers
            return
        import logging

        from distributed import Client, LocalCluster

        if self.local is not None:
            self.cluster = LocalCluster(
                n_workers=self.local,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.CRITICAL,  # a crashing cell becomes an error row, not log lines
            )
            self.client = Client(self.cluster)
            self.client.wait_for_workers(self.local)
        else:
            where = (
                self.address if self.scheduler_file is None else f"the scheduler file {self.scheduler_file}"
            )
            try:
                if self.scheduler_file is not None:
                    self.client = Client(scheduler_file=self.scheduler_file)
                else:
                    self.client = Client(self.address)
            except (OSError, TimeoutError, ValueError) as exc:
                raise SweepError(
                    f"cannot connect to the Dask scheduler at {where}: {type(exc).__name__}: {exc} "
                    "(is it running, and reachable from here?)"
                ) from None
        self.workers = len(self.client.scheduler_info().get("workers", {}))

    def warm_up(self) -> None:
        self.start()
        self.client.run(warm)

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Payload]]:
        from distributed import as_completed, wait

        self.start()
        client = self.client
        run_id = uuid.uuid4().hex[:8]
        futures = {
            client.submit(run_on_dask_worker, task, key=f"equicheck-cell-{run_id}-{i}", pure=False): i
            for i, task in enumerate(tasks)
        }
        killed: list[int] = []
        try:
            for future in as_completed(list(futures)):
                index = futures[future]
                payload = None if _killed(future) else self._payload(future, tasks[index], first=True)
                if payload is None:  # given up on, now or while its result was fetched
                    killed.append(index)
                    continue
                yield index, payload
            # A worker's death counts against every cell it held, queued ones too: each cell
            # given up on runs once more, alone, so only a cell that kills its worker by
            # itself becomes a crash row (the process pool does the same).
            for index in killed:
                key = f"equicheck-cell-{run_id}-{index}-alone"
                future = client.submit(run_on_dask_worker, tasks[index], key=key, pure=False)
                futures[future] = index
                wait([future])
                last = self._payload(future, tasks[index])
                assert last is not None  # only the first pass defers
                yield index, last
        finally:
            unfinished = [f for f in futures if not f.done()]
            if unfinished:
                client.cancel(unfinished)

    def _payload(self, future: Any, task: Task, first: bool = False) -> Payload | None:
        """The cell's row; None on the ``first`` pass when Dask gave up on it (a worker that
        held it, or its result, died: it runs once more alone)."""
        from distributed import KilledWorker

        try:
            payload: Payload = future.result()
        except KilledWorker as exc:
            if first:
                return None
            message = (
                f"the cell killed the workers that ran it ({exc}); Dask gave up on it after "
                "distributed.scheduler.allowed-failures deaths (e.g. the target called os._exit or "
                "crashed the interpreter)"
            )
            return error_payload(task.cell, "crash", message)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - cancelled, lost, or raised on the worker
            return error_payload(
                task.cell, "exception", f"the cell failed on Dask: {type(exc).__name__}: {exc}"
            )
        worker = payload.pop("worker", None)
        if payload.get("restart") and worker is not None:
            self._restart(worker)
        return payload

    def _restart(self, worker: str) -> None:
        try:
            self.client.restart_workers([worker])
        except Exception:  # noqa: BLE001 - no nanny to restart it: retire it instead
            try:
                self.client.retire_workers([worker])
            except Exception:  # noqa: BLE001 - gone already
                pass

    def close(self) -> None:
        if self.own_client and self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


def _killed(future: Any) -> bool:
    """Whether Dask gave up on the cell because workers died while they held it."""
    from distributed import KilledWorker

    return future.status == "error" and isinstance(future.exception(), KilledWorker)
