"""``equicheck backends``: which backends and devices can run here, and why not."""

from __future__ import annotations

import argparse
from typing import Any

from .base import Command

__all__ = ["COMMAND"]

#: Keys of Backend.info() the table shows in its own way.
INFO_SHOWN = ("usable", "device", "backend", "xp", "version")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON object instead of a table")


def run(args: argparse.Namespace) -> int:
    import json

    from ..backends import available_backends, get_backend
    from ..nn import native_status

    rows: dict[str, dict[str, Any]] = {}
    for name, why in available_backends().items():
        if why is None:
            rows[name] = {"usable": True, **get_backend(name).info()}
        else:
            rows[name] = {"usable": False, "reason": why}
    kernel = native_status()
    kernel_line = (
        f"{kernel.reason}, {kernel.threads} threads"
        if kernel.available
        else f"not in use, conv2d runs its NumPy algorithms: {kernel.reason}"
    )
    if "numpy" in rows:
        rows["numpy"]["conv2d_kernel"] = {
            "available": kernel.available,
            "reason": kernel.reason,
            "threads": kernel.threads,
        }
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    width = max(len(n) for n in rows)
    shown = (*INFO_SHOWN, "conv2d_kernel")
    for name, row in rows.items():
        if row["usable"]:
            versions = [f"{row.get('xp', name)} {row.get('version', '?')}"]
            versions += [f"{k} {v}" for k, v in row.items() if k not in shown]
            print(f"{name:<{width}}  usable on {row.get('device', '?')} ({', '.join(versions)})")
        else:
            print(f"{name:<{width}}  not usable: {row['reason']}")
    print(f"equicheck.nn conv2d on numpy: {kernel_line}")
    return 0


COMMAND = Command(
    "backends",
    help="list the backends (numpy, cupy) and whether they can run here",
    description="List every backend, the device it runs on and its library versions, or "
    "why it cannot run here (library missing, no GPU). Exit status 0.",
    add_arguments=add_arguments,
    run=run,
)
