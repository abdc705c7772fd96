"""Check three small image filters against the symmetries of the square grid.

Run: python examples/quickstart.py [--examples N]
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import ndimage

import equicheck

SMOOTH = np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16  # D4-symmetric
SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])  # not rotation-symmetric


def blur_circular(x):
    """A symmetric kernel with circular padding: equivariant to shifts, turns and flips."""
    return ndimage.correlate(x, SMOOTH, mode="wrap")


def blur_zero_padded(x):
    """Zero padding: equivariant to shifts only away from the border."""
    return ndimage.correlate(x, SMOOTH, mode="constant")


def sobel_x(x):
    """An x-derivative: turns with the image only if its output turns into a y-derivative."""
    return ndimage.correlate(x, SOBEL_X, mode="wrap")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100, help="inputs per check (default 100)")
    args = parser.parse_args(argv)
    checks = [
        ("blur_circular under p4m", blur_circular, "p4m", {}),
        ("blur_zero_padded under cyclic shifts", blur_zero_padded, "translation", {}),
        (
            "blur_zero_padded under zero-filled shifts, margin 1",
            blur_zero_padded,
            "translation(cyclic=false)",
            {"margin": 1},
        ),
        ("sobel_x under quarter turns", sobel_x, "c4", {}),
    ]
    for title, f, group, kwargs in checks:
        result = equicheck.check_equivariance(f, group, seed=0, max_examples=args.examples, **kwargs)
        print(
            f"{title}: {result.verdict.upper()} (max error {result.max_error:.3g}, "
            f"tolerance {result.tolerance:.3g}, {result.examples} inputs)"
        )
        if result.counterexample is not None:
            ce = result.counterexample
            print(f"    counterexample: {ce.element} on {ce.input}")
            print(f"    replay: {ce.replay}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
