"""``equicheck sweep sweep.toml``: run every check of a sweep file (docs/sweeps.md).

Light on import: the sweep package (and Dask, for a Dask executor) load when the command
runs. Exit status: 0 when every cell holds (inconclusive cells too, unless ``--strict``),
1 when a cell failed or erred (its target could not be imported, raised, timed out or
crashed its worker), 2 a usage error (nothing ran), 130 interrupted (the partial report and
the cache of the finished cells are kept).
"""

from __future__ import annotations

import argparse

from ..options import argparse_type, positive_int, timeout
from .base import Command, UsageError, command_line

__all__ = ["COMMAND"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="SWEEP.toml", help="the sweep file")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=argparse_type(positive_int, name="the number of workers"),
        metavar="N",
        help="a local process pool of N workers (the default: one per CPU)",
    )
    where.add_argument(
        "--serial", action="store_true", help="run the cells one after another in this process"
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://host:8786"
    )
    where.add_argument("--scheduler-file", metavar="PATH", help="a running Dask scheduler's file")
    where.add_argument(
        "--dask-local",
        type=argparse_type(positive_int, name="the number of Dask workers"),
        metavar="N",
        help="start a Dask LocalCluster of N worker processes on 127.0.0.1",
    )
    parser.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="PATH",
        help="write the merged report to PATH (.json, .html or .md; repeatable)",
    )
    parser.add_argument(
        "--rerun-failed", action="store_true", help="run the cached failed and error cells again"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="run every cell; neither read nor write the cache"
    )
    parser.add_argument(
        "--cache-dir", metavar="DIR", help="the cache folder (default .equicheck/sweeps/NAME)"
    )
    parser.add_argument(
        "--timeout",
        type=argparse_type(timeout, name="the timeout"),
        metavar="SECONDS",
        help="end a cell with an error after this long and restart its worker (default: the file's)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a cell is inconclusive"
    )


def run(args: argparse.Namespace) -> int:
    from ..errors import EquicheckError
    from ..report import format_table
    from ..sweeps import SweepInterrupted, sweep

    try:
        result = sweep(
            args.file,
            workers=args.workers,
            serial=args.serial,
            scheduler=args.scheduler,
            scheduler_file=args.scheduler_file,
            dask_local=args.dask_local,
            cache_dir=args.cache_dir,
            cache=not args.no_cache,
            rerun_failed=args.rerun_failed,
            timeout=args.timeout,
            report=args.report,
            command=command_line(),
        )
    except SweepInterrupted as stop:
        print(stop.result.summary())
        print("interrupted: the finished cells are cached; run the same command again to resume")
        for path in stop.written:
            print(f"wrote {path}")
        return 130
    except EquicheckError as exc:
        raise UsageError(str(exc)) from None
    bad = [r for r in result.results if r.verdict != "passed"]
    if bad:
        for line in format_table(bad):
            print(line)
        for r in bad:
            if r.verdict in ("failed", "error"):
                print(f"\n{r.test_id}: {r.message}")
                if r.counterexample is not None and r.counterexample.replay:
                    print(f"  replay: {r.counterexample.replay}")
        print()
    print(result.summary())
    for path in result.written:
        print(f"wrote {path}")
    return result.exit_code(strict=args.strict)


COMMAND = Command(
    "sweep",
    help="run a sweep file: many checks on a process pool or a Dask cluster",
    description=(
        "Run every cell of a sweep file (targets x groups x actions x dtypes x seeds x keywords), "
        "each one full check, on a local process pool (default), in this process (--serial) or on "
        "Dask (--scheduler, --scheduler-file, --dask-local). Finished cells are cached: a rerun "
        "skips them. Exit status 0 when every cell holds, 1 when a cell failed or erred (could not "
        "import, raised, timed out, crashed its worker), 2 on a usage error, 130 when interrupted "
        "(a partial report is written). See docs/sweeps.md."
    ),
    add_arguments=add_arguments,
    run=run,
)
