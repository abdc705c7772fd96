"""Sweeps: many checks (targets x groups x actions x dtypes x seeds x keywords) run as one, on
a local process pool (the default), in this process, or on a Dask cluster, cached cell by
cell and merged into one report with a matrix view (docs/sweeps.md).

    import equicheck
    result = equicheck.sweep(["models:small", "models:make(width=16)"], ["c4", "flips"],
                             seeds=[0, 1], check={"max_examples": 20}, workers=2)
    result = equicheck.sweep("sweep.toml", dask_local=2, report=["sweep.html"])

Modules, top to bottom: ``run`` (the loop: cache, executor, counterexamples home),
``dask_executor`` (Dask, imported on use), ``executors`` (serial, process pool), ``worker``
(one cell where it runs) and ``cache``, ``result`` and ``spec`` (cells, sweep files),
``targets`` (references read with ``ast``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import EquicheckError
from ..result import CheckResult
from .dask_executor import Dask, require_dask
from .executors import Executor, ProcessPool, Serial
from .result import SweepResult
from .run import default_cache_dir, run_sweep
from .spec import Cell, Sweep, checked_name, checked_timeout, make_sweep, read_sweep
from .targets import SweepError, Target, parse_target

__all__ = [
    "Cell",
    "Dask",
    "Executor",
    "ProcessPool",
    "Serial",
    "Sweep",
    "SweepError",
    "SweepInterrupted",
    "SweepResult",
    "Target",
    "default_cache_dir",
    "make_executor",
    "make_sweep",
    "parse_target",
    "read_sweep",
    "run_sweep",
    "sweep",
]


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep: ``result`` is the partial :class:`SweepResult` (its report was
    written to the ``.partial`` paths, its finished cells are cached)."""

    def __init__(self, result: SweepResult, written: list[Path]) -> None:
        super().__init__(result.summary())
        self.result = result
        self.written = written


def make_executor(
    *,
    workers: int | None = None,
    serial: bool = False,
    scheduler: str | None = None,
    scheduler_file: str | os.PathLike[str] | None = None,
    dask_local: int | None = None,
    client: Any = None,
    path: Sequence[str] = (),
) -> Executor:
    """The executor the options name (at most one of them; none: a process pool of one
    worker per CPU). :class:`SweepError` for conflicting or bad options, before any work."""
    chosen = {
        "workers": workers is not None,
        "serial": bool(serial),
        "scheduler": scheduler is not None,
        "scheduler_file": scheduler_file is not None,
        "dask_local": dask_local is not None,
        "client": client is not None,
    }
    named = [k for k, v in chosen.items() if v]
    if len(named) > 1:
        raise SweepError(f"choose one executor: {' and '.join(named)} were both given")
    for key, value in (("workers", workers), ("dask_local", dask_local)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise SweepError(f"{key} must be a whole number >= 1, got {value!r}")
    if serial:
        return Serial()
    if scheduler is None and scheduler_file is None and dask_local is None and client is None:
        return ProcessPool(workers, path)
    try:
        require_dask()
    except ImportError as exc:
        raise SweepError(str(exc)) from None
    if scheduler_file is not None and not Path(scheduler_file).is_file():
        raise SweepError(
            f"no such scheduler file: {str(scheduler_file)!r} (dask scheduler --scheduler-file writes it)"
        )
    return Dask(
        address=scheduler,
        scheduler_file=None if scheduler_file is None else str(scheduler_file),
        local=dask_local,
        client=client,
    )


def sweep(
    targets: Any,
    groups: Any = None,
    *,
    actions: Any = None,
    dtypes: Any = None,
    seeds: Any = None,
    check: Mapping[str, Any] | None = None,
    grid: Mapping[str, Sequence[Any]] | None = None,
    name: str | None = None,
    path: Sequence[str | os.PathLike[str]] = (),
    version: str | None = None,
    timeout: float | None = None,
    workers: int | None = None,
    serial: bool = False,
    scheduler: str | None = None,
    scheduler_file: str | os.PathLike[str] | None = None,
    dask_local: int | None = None,
    client: Any = None,
    cache_dir: str | os.PathLike[str] | None = None,
    cache: bool = True,
    rerun_failed: bool = False,
    report: Sequence[str | os.PathLike[str]] = (),
    progress: bool | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
    command: str | None = None,
) -> SweepResult:
    """Run every check of a grid and return the merged :class:`SweepResult`.

    ``targets`` is a list of references (``"pkg.mod:name"``, ``"pkg.mod:make(width=16)"``), a
    :class:`Sweep`, or the path of a sweep file (``.toml``; then ``groups`` and the grid
    keywords come from the file, and ``name``/``timeout`` given here override it). Executor:
    ``workers=N`` (process pool; the default, one worker per CPU), ``serial=True``,
    ``scheduler=ADDRESS``, ``scheduler_file=PATH``, ``dask_local=N`` or ``client=`` a
    ``dask.distributed.Client``. ``report`` paths (``.json``, ``.html``, ``.md``) are written
    at the end; ``on_result`` sees each cell's result as it arrives. Bad input raises
    :class:`SweepError` before any cell runs; Ctrl-C raises :class:`SweepInterrupted` after
    writing the partial report. See docs/sweeps.md.
    """
    from ..report import check_path

    if isinstance(targets, Sweep):
        spec = targets
    elif isinstance(targets, (str, os.PathLike)) and str(targets).endswith(".toml"):
        given = {
            "groups": groups,
            "actions": actions,
            "dtypes": dtypes,
            "seeds": seeds,
            "check": check,
            "grid": grid,
            "version": version,
        }
        extra = [k for k, v in given.items() if v is not None] + (["path"] if path else [])
        if extra:
            raise SweepError(f"{targets}: a sweep file sets {', '.join(extra)}; write them in the file")
        spec = read_sweep(targets)
    else:
        spec = make_sweep(
            targets,
            groups,
            actions=actions,
            dtypes=dtypes,
            seeds=seeds,
            check=check,
            grid=grid,
            name=name or "sweep",
            path=path,
            version=version,
            timeout=timeout,
            cache_dir=cache_dir,
        )
    if name is not None:
        spec = replace(spec, name=checked_name(name))
    if timeout is not None:
        spec = replace(spec, timeout=checked_timeout(timeout))
    try:
        paths = [check_path(p) for p in report]
    except EquicheckError as exc:
        raise SweepError(str(exc)) from None
    executor = make_executor(
        workers=workers,
        serial=serial,
        scheduler=scheduler,
        scheduler_file=scheduler_file,
        dask_local=dask_local,
        client=client,
        path=spec.path,
    )
    result = run_sweep(
        spec,
        executor,
        cache_dir=cache_dir,
        cache=cache,
        rerun_failed=rerun_failed,
        progress=progress,
        on_result=on_result,
        command=command,
    )
    result.written = result.write(paths) if paths else []
    if result.stopped:
        raise SweepInterrupted(result, result.written)
    return result
