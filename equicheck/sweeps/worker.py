"""One cell, run where a worker runs it: rebuild the target from its reference, run one full
check, and return plain data (the result as a dict, the counterexample file's bytes).

Nothing stays on the worker: the counterexample is saved to a temporary folder, read back
and deleted; the check runs with ``database=None`` (no Hypothesis database on workers).
What the target does wrong (fails to import, raises while built or checked) becomes an
``error`` result, never an exception. With a per-cell timeout the check runs in a daemon
thread: a cell that overruns is answered at once with an ``error``/``timeout`` result that
asks for its worker to be restarted (a Python thread cannot be stopped).
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..result import CheckResult
from .spec import Cell

__all__ = [
    "THREAD_VARIABLES",
    "Task",
    "error_payload",
    "error_result",
    "limit_threads",
    "private_storage",
    "run_cell",
    "start_worker",
    "warm",
]

#: Environment variables that cap BLAS and OpenMP threads in processes started after them.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

#: A payload: {"result": CheckResult.to_dict(), "files": {name: bytes}, "restart": bool}.
Payload = dict[str, Any]


@dataclass(frozen=True)
class Task:
    """What a worker gets: the cell, the folders to import from, the per-cell timeout."""

    cell: Cell
    path: tuple[str, ...] = ()
    timeout: float | None = None


def start_worker(path: tuple[str, ...] = ()) -> None:
    """Prepare a worker process: one BLAS/OpenMP thread, the sweep's folders on sys.path,
    Hypothesis's storage in a temporary folder (see :func:`private_storage`)."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    private_storage()
    for folder in reversed(path):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    limit_threads()


def private_storage() -> None:
    """Point Hypothesis's storage (its cache of source constants; the database is off
    anyway) at a temporary folder of this process, removed when it exits, so a worker
    leaves nothing in its working folder. Call before Hypothesis first writes there."""
    if "HYPOTHESIS_STORAGE_DIRECTORY" in os.environ:
        return
    import atexit
    import shutil

    folder = tempfile.mkdtemp(prefix="equicheck-hypothesis-")
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = folder
    atexit.register(shutil.rmtree, folder, True)


def limit_threads() -> None:
    """One thread for the BLAS and OpenMP libraries loaded so far (threadpoolctl), and for
    PyTorch if it is loaded."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with SciPy's usual installs
        pass
    else:
        threadpool_limits(limits=1)
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def warm(pause: float = 0.0) -> int:
    """Load the engine (what a worker's first cell would pay); ``pause`` so that every idle
    worker of a pool takes one such call. Returns the process id."""
    import time

    from .. import engine  # noqa: F401 - loaded for its cost

    time.sleep(pause)
    return os.getpid()


def error_result(cell: Cell, kind: str, message: str, elapsed: float = 0.0) -> CheckResult:
    """An ``error`` result for a cell that gave no check result of its own (its target could
    not be built, the cell timed out, its worker died)."""
    nan = math.nan
    return CheckResult(
        function=cell.target.text,
        group=cell.group,
        in_actions=[cell.in_action],
        out_actions=["trivial" if cell.invariant else (cell.out_action or cell.in_action)],
        verdict="error",
        max_error=nan,
        tolerance=nan,
        atol=nan,
        tolerance_rule="not checked: " + kind,
        dtype=cell.dtype,
        failure_kind=kind,
        message=message,
        seed=cell.seed,
        elapsed=elapsed,
    )


def error_payload(cell: Cell, kind: str, message: str, *, restart: bool = False) -> Payload:
    return {"result": error_result(cell, kind, message).to_dict(), "files": {}, "restart": restart}


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f" (at {last.filename}:{last.lineno})"


def _check(cell: Cell, folder: str) -> Payload:
    """The cell's check, its counterexample read back from ``folder``."""
    from hypothesis import settings

    from ..adapters import adapt
    from ..engine import check_equivariance
    from ..engine.search import DEFAULT_SETTINGS
    from ..errors import EquicheckError

    try:
        obj = cell.target.load()
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - whatever the user's module or factory raises
        what = "building" if cell.target.call else "importing"
        return error_payload(
            cell, "import", f"{what} {cell.target.text} failed: {type(exc).__name__}: {exc}{_where(exc)}"
        )
    limit_threads()  # the target may have loaded PyTorch or another BLAS
    keywords = cell.check_keywords()
    try:
        f = adapt(obj, keywords.get("backend"))
        result = check_equivariance(
            f, replay_dir=folder, settings=settings(DEFAULT_SETTINGS, database=None), **keywords
        )
    except EquicheckError as exc:
        return error_payload(cell, "usage", f"{type(exc).__name__}: {exc}")
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the check refused or f broke it: an error row
        return error_payload(cell, "exception", f"{type(exc).__name__}: {exc}{_where(exc)}")
    files: dict[str, bytes] = {}
    ce = result.counterexample
    if ce is not None and ce.path:
        source = Path(ce.path)
        files[source.name] = source.read_bytes()
        ce.path = source.name  # the client writes it and sets the path it has there
    return {"result": result.to_dict(), "files": files, "restart": False}


def _run(cell: Cell) -> Payload:
    with tempfile.TemporaryDirectory(prefix="equicheck-cell-") as folder:
        return _check(cell, folder)


def run_cell(task: Task) -> Payload:
    """Run one cell and return its payload; never raises for what the target does."""
    for folder in reversed(task.path):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    if task.timeout is None:
        return _run(task.cell)
    warm()  # a new worker loads the engine first: the timeout is for the cell's own work
    box: list[Payload] = []
    failed: list[BaseException] = []

    def work() -> None:
        try:
            box.append(_run(task.cell))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            failed.append(exc)

    thread = threading.Thread(target=work, name="equicheck-cell", daemon=True)
    thread.start()
    thread.join(task.timeout)
    if thread.is_alive():
        message = (
            f"the cell did not finish within {task.timeout:g} s (the sweep's timeout); "
            "its worker is restarted"
        )
        return error_payload(task.cell, "timeout", message, restart=True)
    if failed:
        raise failed[0]
    return box[0]
