"""Padding of the grid axes (1, 2 or 3 of them): the four modes of PyTorch's ``padding_mode``.

Written with slice assignments and ``xp.take`` only, so it runs on any backend and keeps the
dtype. Thin pads (the usual 1-3 entries) copy the interior once and then each border row and
column (plane) from its source (a gather over the whole grid measured ~10x slower on NumPy).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ShapeError
from ._args import resolve

__all__ = ["PADDING_MODES", "check_pad_limits", "pad2d", "pad_nd"]

#: The padding modes, named as in PyTorch's Conv2d.
PADDING_MODES = ("zeros", "circular", "reflect", "replicate")


def check_mode(mode: str) -> str:
    if mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {', '.join(map(repr, PADDING_MODES))}, got {mode!r}")
    return mode


def check_pad_limits(grid: tuple[int, ...], pads: tuple[int, ...], mode: str) -> None:
    """Raise ShapeError where PyTorch refuses a padding: reflect needs pad < size, circular
    pad <= size, and neither can pad an empty grid. ``pads`` is (before, after) per axis."""
    sizes = "x".join(map(str, grid))
    for n, before, after in zip(grid, pads[0::2], pads[1::2]):
        if mode == "reflect" and max(before, after) >= n:
            raise ShapeError(
                f"reflect padding of {pads} needs each pad smaller than the grid {sizes}; "
                "use padding_mode='replicate' or 'circular', or a larger input"
            )
        if mode == "circular" and max(before, after) > n:
            raise ShapeError(
                f"circular padding of {pads} needs each pad at most the grid size {sizes} (as PyTorch)"
            )
    if mode != "zeros" and min(grid) == 0:
        raise ShapeError(f"cannot pad an empty grid ({sizes}) with mode {mode!r}")


def _indices(n: int, before: int, after: int, mode: str) -> np.ndarray:
    idx = np.arange(-before, n + after)
    if mode == "circular":
        return idx % n
    if mode == "replicate":
        return np.clip(idx, 0, n - 1)
    # reflect: mirror about the edge entries without repeating them (as numpy 'reflect').
    period = 2 * (n - 1)
    if period == 0:
        return np.zeros_like(idx)
    idx = np.abs(idx) % period
    return np.where(idx >= n, period - idx, idx)


def pad2d(x: Any, pads: tuple[int, int, int, int], mode: str = "zeros", value: float = 0.0) -> Any:
    """Pad the last two axes by ``(top, bottom, left, right)`` with ``mode`` (see :func:`pad_nd`)."""
    if len(pads) != 4:
        raise ValueError(f"pad2d takes pads (top, bottom, left, right), got {pads!r}")
    return pad_nd(x, pads, mode, value)


def pad_nd(x: Any, pads: tuple[int, ...], mode: str = "zeros", value: float = 0.0) -> Any:
    """Pad the last ``len(pads) // 2`` axes by ``pads`` = (before, after) per axis, in array
    order (``(top, bottom, left, right)`` for an image, ``(front, back, top, bottom, left,
    right)`` for a volume).

    ``'zeros'`` fills with ``value``; ``'circular'`` wraps; ``'reflect'`` mirrors without
    repeating the edge (needs padding < size, as PyTorch); ``'replicate'`` repeats the edge.
    """
    check_mode(mode)
    backend, xp = resolve(x)
    pads = tuple(int(p) for p in pads)
    if len(pads) % 2 or len(pads) // 2 > getattr(x, "ndim", 0):
        raise ValueError(f"pads must hold (before, after) for some of the last axes of x, got {pads!r}")
    if min(pads, default=0) < 0:
        raise ValueError(f"padding must be non-negative, got {pads!r}")
    if not any(pads):
        return x
    d = len(pads) // 2
    lead = tuple(int(s) for s in x.shape[: x.ndim - d])
    grid = tuple(int(s) for s in x.shape[x.ndim - d :])
    before, after = pads[0::2], pads[1::2]
    shape = (*lead, *(n + b + a for n, b, a in zip(grid, before, after)))
    inner = tuple(slice(b, b + n) for n, b in zip(grid, before))
    if mode == "zeros":
        out = xp.full(shape, value, dtype=x.dtype)
        out[(..., *inner)] = x
        return out
    check_pad_limits(grid, pads, mode)
    sources = [_indices(n, b, a, mode) for n, b, a in zip(grid, before, after)]
    if sum(pads) > _MAX_SLICED_PADS:
        for axis, idx in enumerate(sources):
            x = xp.take(x, xp.asarray(idx), axis=len(lead) + axis)
        return x
    out = xp.empty(shape, dtype=x.dtype)
    out[(..., *inner)] = x
    # Axis by axis, each border slice is copied from its source slice of the padded array:
    # axes already padded are taken whole (so corners come along), later ones their interior.
    for axis in range(d):
        done = (slice(None),) * axis
        later = inner[axis + 1 :]
        n, b, a = grid[axis], before[axis], after[axis]
        for r in [*range(b), *range(b + n, b + n + a)]:
            src = b + int(sources[axis][r])
            out[(..., *done, r, *later)] = out[(..., *done, src, *later)]
    return out


#: Up to this many padded slices in all, border slices are copied one by one.
_MAX_SLICED_PADS = 16
