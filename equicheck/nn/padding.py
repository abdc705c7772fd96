"""Padding of the grid axes: the four modes of PyTorch's ``Conv2d(padding_mode=...)``.

Written with slice assignments and ``xp.take`` only, so it runs on any backend and keeps the
dtype. Thin pads (the usual 1-3 entries) copy the interior once and then each border row and
column from its source (a gather over the whole grid measured ~10x slower on NumPy).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ShapeError
from ._args import resolve

__all__ = ["PADDING_MODES", "check_pad_limits", "pad2d"]

#: The padding modes, named as in PyTorch's Conv2d.
PADDING_MODES = ("zeros", "circular", "reflect", "replicate")


def check_mode(mode: str) -> str:
    if mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {', '.join(map(repr, PADDING_MODES))}, got {mode!r}")
    return mode


def check_pad_limits(grid: tuple[int, int], pads: tuple[int, int, int, int], mode: str) -> None:
    """Raise ShapeError where PyTorch refuses a padding: reflect needs pad < size, circular
    pad <= size, and neither can pad an empty grid."""
    h, w = grid
    top, bottom, left, right = pads
    if mode == "reflect" and (max(top, bottom) >= h or max(left, right) >= w):
        raise ShapeError(
            f"reflect padding of {pads} needs each pad smaller than the grid {h}x{w}; "
            "use padding_mode='replicate' or 'circular', or a larger input"
        )
    if mode == "circular" and (max(top, bottom) > h or max(left, right) > w):
        raise ShapeError(
            f"circular padding of {pads} needs each pad at most the grid size {h}x{w} (as PyTorch)"
        )
    if mode != "zeros" and min(h, w) == 0:
        raise ShapeError(f"cannot pad an empty grid ({h}x{w}) with mode {mode!r}")


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
    """Pad the last two axes by ``(top, bottom, left, right)`` with ``mode``.

    ``'zeros'`` fills with ``value``; ``'circular'`` wraps; ``'reflect'`` mirrors without
    repeating the edge (needs padding < size, as PyTorch); ``'replicate'`` repeats the edge.
    """
    check_mode(mode)
    backend, xp = resolve(x)
    top, bottom, left, right = (int(p) for p in pads)
    if min(top, bottom, left, right) < 0:
        raise ValueError(f"padding must be non-negative, got {pads!r}")
    if not (top or bottom or left or right):
        return x
    h, w = x.shape[-2], x.shape[-1]
    if mode == "zeros":
        out = xp.full((*x.shape[:-2], h + top + bottom, w + left + right), value, dtype=x.dtype)
        out[..., top : top + h, left : left + w] = x
        return out
    check_pad_limits((h, w), (top, bottom, left, right), mode)
    rows = _indices(h, top, bottom, mode)
    cols = _indices(w, left, right, mode)
    if top + bottom + left + right > _MAX_SLICED_PADS:
        rows_b, cols_b = xp.asarray(rows), xp.asarray(cols)
        return xp.take(xp.take(x, rows_b, axis=x.ndim - 2), cols_b, axis=x.ndim - 1)
    out = xp.empty((*x.shape[:-2], h + top + bottom, w + left + right), dtype=x.dtype)
    out[..., top : top + h, left : left + w] = x
    for r in [*range(top), *range(top + h, top + h + bottom)]:
        out[..., r, left : left + w] = x[..., int(rows[r]), :]
    for c in [*range(left), *range(left + w, left + w + right)]:  # from padded rows: corners too
        out[..., :, c] = out[..., :, left + int(cols[c])]
    return out


#: Up to this many padded rows + columns, border slices are copied one by one.
_MAX_SLICED_PADS = 16
