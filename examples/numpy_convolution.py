"""Check a plain NumPy/SciPy convolution: which padding keeps which symmetry.

A convolution commutes with shifts only where its padding does: circular padding (wrap)
keeps every cyclic shift, zero padding keeps shifts only away from the border, and a kernel
with the symmetries of the square keeps quarter turns and flips as well.

Run: python examples/numpy_convolution.py [--examples N]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from scipy import signal

import equicheck

SMOOTH = np.outer([1.0, 4.0, 6.0, 4.0, 1.0], [1.0, 4.0, 6.0, 4.0, 1.0]) / 256  # D4-symmetric
EDGE = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])  # an x-derivative (Sobel)


def conv_wrap(x: np.ndarray) -> np.ndarray:
    """'same'-size convolution on a torus: equivariant to every cyclic shift."""
    return signal.convolve2d(x, SMOOTH, mode="same", boundary="wrap").astype(x.dtype)


def conv_zeros(x: np.ndarray) -> np.ndarray:
    """Zero padding: equivariant to shifts only at least 2 entries (the kernel radius) inside."""
    return signal.convolve2d(x, SMOOTH, mode="same", boundary="fill").astype(x.dtype)


def edges(x: np.ndarray) -> np.ndarray:
    """An x-derivative: a quarter turn of the input turns it into a y-derivative, not itself."""
    return signal.convolve2d(x, EDGE, mode="same", boundary="wrap").astype(x.dtype)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50, help="inputs per check (default 50)")
    args = parser.parse_args(argv)
    n = args.examples
    checks: list[tuple[str, Any, str, dict[str, Any], str]] = [
        # (what, function, group, keywords, expected verdict)
        ("wrap padding, cyclic shifts", conv_wrap, "translation", {}, "passed"),
        ("wrap padding, shifts, turns and flips", conv_wrap, "p4m", {}, "passed"),
        ("zero padding, cyclic shifts", conv_zeros, "translation", {}, "failed"),
        (
            "zero padding, zero-filled shifts, margin 2",
            conv_zeros,
            "translation(cyclic=false)",
            {"margin": 2},
            "passed",
        ),
        ("edge filter, quarter turns", edges, "c4", {}, "failed"),
    ]
    unexpected = 0
    for what, f, group, kwargs, expected in checks:
        result = equicheck.check_equivariance(f, group, max_examples=n, seed=0, replay_dir=None, **kwargs)
        mark = "as expected" if result.verdict == expected else f"UNEXPECTED (expected {expected})"
        unexpected += result.verdict != expected
        print(f"{what:45s} {result.verdict.upper():7s} max error {result.max_error:.2g} ({mark})")
        ce = result.counterexample
        if ce is not None:
            print(f"{'':45s} counterexample: {ce.element} on {ce.input}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    raise SystemExit(main())
