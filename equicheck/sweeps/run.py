"""Running a sweep: skip the cached cells, run the others on an executor, bring each
counterexample file home, cache each finished cell, and merge the results.

Each finished cell is saved as it arrives (its counterexample file first, then its cache
entry), so a sweep stopped by Ctrl-C or a killed client leaves a consistent cache, and
``KeyboardInterrupt`` ends the run with a partial :class:`SweepResult`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..report.atomic import atomic_write_bytes
from ..result import CheckResult
from .cache import Cache
from .executors import Executor
from .result import SweepResult
from .spec import Cell, Sweep
from .worker import Payload, Task

__all__ = ["default_cache_dir", "run_sweep"]

#: Verdicts ``rerun_failed`` runs again.
FAILED = ("failed", "error")


def default_cache_dir(name: str) -> Path:
    """``.equicheck/sweeps/<name>`` in the working folder."""
    return Path(".equicheck") / "sweeps" / name


def _progress(total: int, label: str, enabled: bool | None) -> Any:
    """A tqdm bar on a terminal (stderr), nothing elsewhere; equicheck's own line where tqdm
    is not installed. Either has ``update(n)`` and ``close()``."""
    if enabled is None:
        isatty = getattr(sys.stderr, "isatty", None)
        enabled = bool(isatty and isatty()) and not os.environ.get("EQUICHECK_NO_PROGRESS")
    try:
        from tqdm import tqdm
    except ImportError:
        from ..progress import Progress

        class Line(Progress):
            def update(self, n: int = 1) -> None:
                self.advance(n)

        return Line(total, label, enabled=enabled)
    return tqdm(total=total, desc=label, unit="cell", file=sys.stderr, disable=not enabled, leave=False)


def _home(payload: Payload, cell: Cell, folder: Path) -> dict[str, Any]:
    """The result dict with its counterexample written here (atomically) and named by path."""
    data = dict(payload["result"])
    files: dict[str, bytes] = payload.get("files") or {}
    counterexample = data.get("counterexample")
    if counterexample and files:
        name, content = next(iter(files.items()))
        path = atomic_write_bytes(folder / "counterexamples" / name, content)
        counterexample = dict(counterexample, path=str(path))
        counterexample["replay"] = f"equicheck.replay({str(path)!r}, f)  # f: what {cell.target.text} names"
        data["counterexample"] = counterexample
    return data


def _finished(data: dict[str, Any], cell: Cell, sweep: Sweep, cached: bool) -> CheckResult:
    result = CheckResult.from_dict(data)
    result.test_id = cell.label
    result.extra = dict(result.extra)
    result.extra["sweep"] = {
        "name": sweep.name,
        "target": cell.target.text,
        "group": cell.group,
        "cached": cached,
    }
    return result


def run_sweep(
    sweep: Sweep,
    executor: Executor,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    cache: bool = True,
    rerun_failed: bool = False,
    progress: bool | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
    command: str | None = None,
) -> SweepResult:
    """Run ``sweep`` on ``executor`` (started here if needed, always closed); see the module
    docstring. ``cache=False`` neither reads nor writes the cache; ``rerun_failed`` runs the
    cached failed and error cells again; ``on_result`` sees each result as it arrives."""
    folder = Path(cache_dir) if cache_dir is not None else (sweep.cache_dir or default_cache_dir(sweep.name))
    store = Cache(folder, sweep, read=cache, write=cache)
    results: dict[int, CheckResult] = {}
    pending: list[int] = []
    for index, cell in enumerate(sweep.cells):
        data = store.get(cell)
        if data is not None and not (rerun_failed and data.get("verdict") in FAILED):
            results[index] = _finished(data, cell, sweep, cached=True)
        else:
            pending.append(index)
    cached = len(results)
    tasks = [Task(sweep.cells[i], sweep.path, sweep.timeout) for i in pending]
    stopped = None
    try:
        if tasks:
            executor.start()
            bar = _progress(len(tasks), f"sweep {sweep.name}", progress)
            try:
                for position, payload in executor.run(tasks):
                    index = pending[position]
                    cell = sweep.cells[index]
                    data = _home(payload, cell, folder)
                    store.put(cell, data)
                    results[index] = _finished(data, cell, sweep, cached=False)
                    bar.update(1)
                    if on_result is not None:
                        on_result(results[index])
            finally:
                bar.close()
    except KeyboardInterrupt:
        stopped = "KeyboardInterrupt"
    finally:
        executor.close()
    return SweepResult(
        sweep.name,
        [results[i] for i in sorted(results)],
        len(sweep.cells),
        cached=cached,
        executor=executor.name,
        stopped=stopped,
        command=command,
    )
