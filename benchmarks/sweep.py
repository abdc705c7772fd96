"""Sweep throughput: 16 CPU-bound check cells on 2 workers against serial, for the local process
pool and for a Dask LocalCluster (docs/sweeps.md, figures in docs/benchmarks.md).

Each cell is a real check (``check_equivariance`` under C4 on float64 grids, about one second)
of a stencil repeated until a direct check takes ``--seconds``. BLAS and OpenMP run one thread
in the workers and in the serial baseline. Workers are started and warmed before the clock
starts (start-up is reported on its own line); each figure is the time from the first submit
to the last result, the best of ``--repeat`` rounds (each round runs every executor in turn,
so that a passing load on a shared machine hits them alike). The per-cell overhead of an
executor is measured on tiny cells (one input): ``(wall x workers - direct) / cells``, where
``direct`` calls the check in this process. "Cells at once" is the cells' own times over
the wall time: 2 with 2 workers means the executor kept both busy, so a speedup below 2 is
the machine's (other processes on the cores), not the executor's.

    python benchmarks/sweep.py            # 16 cells of about 1 s (about two minutes)
    python benchmarks/sweep.py --quick    # 16 cells of about 0.2 s, for development

Target: 2 workers >= 1.7x the serial throughput, for the pool and for Dask (2 free cores).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = str(Path(__file__).resolve().parent)
GROUP = "c4"
CHECK = {"max_examples": 10, "sizes": [24, 24]}
TINY = {"max_examples": 1, "sizes": [4, 4]}


def stencil(repeats: int = 1):
    """A symmetric circular 5-point average applied ``repeats`` times: equivariant under C4,
    pure NumPy, one thread, cost proportional to ``repeats`` (the benchmark's cell target)."""

    def f(x):
        y = x
        for _ in range(repeats):
            y = (y + np.roll(y, 1, -1) + np.roll(y, -1, -1) + np.roll(y, 1, -2) + np.roll(y, -1, -2)) / 5
        return y

    return f


def _tasks(repeats: int, cells: int, check: dict):
    from equicheck.sweeps import make_sweep
    from equicheck.sweeps.worker import Task

    spec = make_sweep(
        [f"sweep:stencil(repeats={repeats})"],
        [GROUP],
        seeds=list(range(cells)),
        dtypes=["float64"],
        check=check,
        path=[HERE],
        name="bench",
    )
    return [Task(cell, spec.path) for cell in spec.cells]


def _direct(tasks) -> float:
    """The checks called in this process, one BLAS thread: the cost with no executor."""
    from threadpoolctl import threadpool_limits

    import equicheck

    start = time.perf_counter()
    with threadpool_limits(limits=1):
        for task in tasks:
            f = task.cell.target.load()
            keywords = task.cell.check_keywords()
            result = equicheck.check_equivariance(f, replay_dir=None, **keywords)
            assert result.passed, result.summary()
    return time.perf_counter() - start


def _timed(executor, tasks) -> tuple[float, float]:
    """Seconds from the first submit to the last result, and how many cells ran at once on
    average (the cells' own times over that wall time: the workers kept busy, whatever the
    CPUs they got)."""
    start = time.perf_counter()
    results = list(executor.run(tasks))
    wall = time.perf_counter() - start
    verdicts = {payload["result"]["verdict"] for _, payload in results}
    assert len(results) == len(tasks) and verdicts == {"passed"}, verdicts
    return wall, sum(payload["result"]["elapsed"] for _, payload in results) / wall


def _calibrate(seconds: float) -> int:
    """The number of repeats that makes one direct check take about ``seconds``."""
    probe = 40
    took = min(_direct(_tasks(probe, 1, CHECK)) for _ in range(3))
    return max(1, round(probe * seconds / took))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="cells of about 0.2 s instead of 1 s")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per cell (default 1, quick 0.2)")
    parser.add_argument("--cells", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--repeat", type=int, default=None, help="runs per figure, the best kept (default 2, quick 1)"
    )
    parser.add_argument("--no-dask", action="store_true", help="the process pool only")
    args = parser.parse_args(argv)
    sys.path.insert(0, HERE)
    from equicheck.sweeps import Dask, ProcessPool, Serial

    seconds = args.seconds or (0.2 if args.quick else 1.0)
    repeat = args.repeat or (1 if args.quick else 2)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if load > 0.5:
        print(f"note: load average {load:.1f} before the start: other processes share the CPUs")
    _direct(_tasks(1, 1, TINY))  # load the engine here before anything is timed
    repeats = _calibrate(seconds)
    heavy = _tasks(repeats, args.cells, CHECK)
    tiny = _tasks(1, args.cells, TINY)
    direct_heavy = min(_direct(heavy) for _ in range(repeat))
    direct_tiny = min(_direct(tiny) for _ in range(repeat))
    print(
        f"{args.cells} cells: check_equivariance under {GROUP}, {CHECK['max_examples']} inputs "
        "of 24x24 float64, "
        f"stencil x{repeats}; direct calls {direct_heavy:.2f} s ({direct_heavy / args.cells:.2f} s a cell)"
    )

    executors = [Serial(), ProcessPool(args.workers, [HERE])]
    if not args.no_dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("dask.distributed is not installed: the Dask executor is skipped")
        else:
            executors.append(Dask(local=args.workers))
    startup = {}
    for executor in executors:
        begin = time.perf_counter()
        executor.start()
        executor.warm_up()
        startup[executor.name] = time.perf_counter() - begin
        _timed(executor, tiny)  # every worker has imported the target module and run a check
    # rounds of every executor in turn, the best of each kept: a load that comes and goes
    # on a shared machine then hits them alike
    heavy_wall = {e.name: (float("inf"), 0.0) for e in executors}
    tiny_wall = dict(heavy_wall)
    try:
        for _ in range(repeat):
            for executor in executors:
                heavy_wall[executor.name] = min(heavy_wall[executor.name], _timed(executor, heavy))
                tiny_wall[executor.name] = min(tiny_wall[executor.name], _timed(executor, tiny))
    finally:
        for executor in executors:
            executor.close()
    serial_heavy = heavy_wall["serial"][0]
    rows = [
        (e.name, e.workers, startup[e.name], *heavy_wall[e.name], tiny_wall[e.name][0]) for e in executors
    ]

    print()
    print("| executor | workers | start-up s | 16 cells s | speedup vs serial | cells at once ", end="")
    print("| overhead ms/cell |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    ok = True
    for name, workers, started, wall_heavy, at_once, wall_tiny in rows:
        speedup = serial_heavy / wall_heavy
        overhead = (wall_tiny * workers - direct_tiny) / args.cells * 1000
        print(
            f"| {name} | {workers} | {started:.2f} | {wall_heavy:.2f} | {speedup:.2f}x | {at_once:.2f} "
            f"| {overhead:.1f} |"
        )
        if workers > 1 and speedup < 1.7:
            ok = False
    print()
    print(
        f"direct tiny cells: {direct_tiny / args.cells * 1000:.1f} ms a cell; serial executor: "
        f"{(serial_heavy / direct_heavy):.3f}x the direct time on the heavy cells"
    )
    print("target: 2 workers >= 1.7x serial for every executor: " + ("met" if ok else "NOT met"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
