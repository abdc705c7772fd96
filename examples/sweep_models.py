"""The models of the example sweep (examples/sweep.toml), and a script that runs it.

A sweep names its targets by reference (``sweep_models:make_blur(width=3)``), so workers
build them from this module instead of receiving pickled models. Two of them are
equivariant under the sweep's groups, one is not (a planted failure):

    python examples/sweep_models.py             # the sweep through the Python API, serially
    equicheck sweep examples/sweep.toml         # the same from the shell, on a process pool
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def make_blur(width: int = 3):
    """A box blur of odd ``width`` with circular padding: equivariant to shifts, quarter
    turns and flips (its kernel is symmetric)."""

    def blur(x):
        out = np.zeros_like(x)
        half = width // 2
        for dy in range(-half, half + 1):
            for dx in range(-half, half + 1):
                out += np.roll(x, (dy, dx), axis=(-2, -1))
        return out / width**2

    return blur


def gradient_x(x):
    """A horizontal difference: commutes with shifts, not with quarter turns (planted failure)."""
    return x - np.roll(x, 1, axis=-1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=None, help="inputs per check (default: the file's)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import equicheck
    from equicheck.sweeps import read_sweep

    spec = read_sweep(Path(__file__).with_name("sweep.toml"))
    if args.examples is not None:
        from dataclasses import replace

        cells = tuple(
            replace(c, keywords=tuple({**dict(c.keywords), "max_examples": args.examples}.items()))
            for c in spec.cells
        )
        spec = replace(spec, cells=cells)
    result = equicheck.sweep(spec, serial=True, cache=False, progress=False)
    for r in result.results:
        print(f"{r.verdict.upper():8} {r.test_id}")
    print(result.summary())
    # the planted failure: the difference fails under c4 and flips, everything else holds
    unexpected = [
        r.test_id
        for r in result.results
        if r.passed == ("gradient_x" in r.function and r.group != "translation")
    ]
    if unexpected:
        print("UNEXPECTED:", ", ".join(unexpected))
        return 1
    print("as expected: the blur holds everywhere, the difference fails under rotations and flips")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
