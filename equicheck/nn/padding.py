"""Padding of the grid axes: the four modes of PyTorch's ``Conv2d(padding_mode=...)``.

Every mode is an index gather (``xp.take``), so it runs on any backend and keeps the dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ShapeError
from ._args import resolve

__all__ = ["PADDING_MODES", "pad2d"]

#: The padding modes, named as in PyTorch's Conv2d.
PADDING_MODES = ("zeros", "circular", "reflect", "replicate")


def check_mode(mode: str) -> str:
    if mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {', '.join(map(repr, PADDING_MODES))}, got {mode!r}")
    return mode


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
    if mode == "reflect" and (max(top, bottom) >= h or max(left, right) >= w):
        raise ShapeError(
            f"reflect padding of {pads} needs each pad smaller than the grid {h}x{w}; "
            "use padding_mode='replicate' or 'circular', or a larger input"
        )
    if mode == "circular" and (max(top, bottom) > h or max(left, right) > w):
        raise ShapeError(
            f"circular padding of {pads} needs each pad at most the grid size {h}x{w} (as PyTorch)"
        )
    if min(h, w) == 0:
        raise ShapeError(f"cannot pad an empty grid ({h}x{w}) with mode {mode!r}")
    rows = xp.asarray(_indices(h, top, bottom, mode))
    cols = xp.asarray(_indices(w, left, right, mode))
    return xp.take(xp.take(x, rows, axis=x.ndim - 2), cols, axis=x.ndim - 1)
