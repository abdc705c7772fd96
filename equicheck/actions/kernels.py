"""Array kernels that move grids and mix channels: the building blocks of every action.

They are public because the interpolated actions, the interpolation floor and the Lie
derivatives use them too. Each takes the backend's array namespace (array-API functions
only), so the same code runs on NumPy, CuPy and ``array_api_strict``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backends import Backend
from ..errors import ShapeError
from ..groups.grid import GridElement

__all__ = [
    "apply_grid_element",
    "apply_lattice",
    "apply_linear",
    "erode",
    "normalise_axis",
    "shift_zero_fill",
    "swap_axes",
]


def normalise_axis(axis: int, ndim: int, what: str) -> int:
    """``axis`` as a non-negative index into an array of ``ndim`` dimensions (ShapeError if out of range)."""
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{what} axis {axis} is out of range for an array with {ndim} dimensions")
    return axis % ndim


def swap_axes(xp: Any, x: Any, a: int, b: int) -> Any:
    """``x`` with axes ``a`` and ``b`` exchanged (a view where the library allows)."""
    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return xp.permute_dims(x, tuple(perm))


def shift_zero_fill(xp: Any, x: Any, shifts: tuple[int, ...], axes: tuple[int, ...]) -> Any:
    """``x`` moved by ``shifts`` along ``axes``; entries shifted in are zero."""
    out = xp.zeros_like(x)
    dst: list[slice] = [slice(None)] * x.ndim
    src: list[slice] = [slice(None)] * x.ndim
    for s, ax in zip(shifts, axes):
        n = x.shape[ax]
        if abs(s) >= n:
            return out
        dst[ax] = slice(s, n) if s >= 0 else slice(0, n + s)
        src[ax] = slice(0, n - s) if s >= 0 else slice(-s, n)
    out[tuple(dst)] = x[tuple(src)]
    return out


def apply_grid_element(g: GridElement, x: Any, axes: tuple[int, int], boundary: str, backend: Backend) -> Any:
    """An exact grid element (quarter turns, flips, integer shifts) as an index permutation of
    the grid axes ``axes`` (rows, columns); ``boundary`` is ``'wrap'`` or ``'zeros'``."""
    xp = backend.xp
    a, b = axes
    if g.flipped:
        x = xp.flip(x, axis=b)
    if g.k == 1:
        x = swap_axes(xp, xp.flip(x, axis=b), a, b)
    elif g.k == 2:
        x = xp.flip(x, axis=(a, b))
    elif g.k == 3:
        x = xp.flip(swap_axes(xp, x, a, b), axis=b)
    if g.dy or g.dx:
        if boundary == "wrap":
            x = xp.roll(x, (g.dy, g.dx), axis=(a, b))
        else:
            x = shift_zero_fill(xp, x, (g.dy, g.dx), (a, b))
    return x


def apply_linear(xp: Any, x: Any, m: np.ndarray, axis: int) -> Any:
    """The d×d matrix ``m`` applied to every field of d channels along ``axis``."""
    d = m.shape[0]
    ax = axis % x.ndim
    moved = xp.moveaxis(x, ax, -1)
    shape = moved.shape
    fields = xp.reshape(moved, (*shape[:-1], shape[-1] // d, d))
    mat = xp.asarray(m.T, dtype=x.dtype)
    out = xp.reshape(xp.matmul(fields, mat), shape)
    return xp.moveaxis(out, -1, ax)


def apply_lattice(
    matrix: Any, shift: Any, x: Any, axes: tuple[int, ...], boundary: str, backend: Backend
) -> Any:
    """Move the d grid axes ``axes`` of ``x`` by a signed-permutation ``matrix`` (d x d, on
    offsets from the grid centre in array order: content at offset ``i`` goes to ``matrix @ i``),
    then by the integer ``shift`` (``'wrap'`` or ``'zeros'``): transposes, flips, a roll."""
    xp = backend.xp
    m = np.rint(np.asarray(matrix, dtype=np.float64)).astype(np.int64)
    d = len(axes)
    src = [int(np.flatnonzero(m[j])[0]) for j in range(d)]  # output axis j reads input axis src[j]
    if src != list(range(d)):
        perm = list(range(x.ndim))
        for j in range(d):
            perm[axes[j]] = axes[src[j]]
        x = xp.permute_dims(x, tuple(perm))
    flipped = tuple(axes[j] for j in range(d) if m[j, src[j]] < 0)
    if flipped:
        x = xp.flip(x, axis=flipped)
    shifts = tuple(int(v) for v in shift)
    if any(shifts):
        if boundary == "wrap":
            x = xp.roll(x, shifts, axis=tuple(axes))
        else:
            x = shift_zero_fill(xp, x, shifts, tuple(axes))
    return x


def erode(xp: Any, valid: Any, r: int) -> Any:
    """Entries at least ``r`` steps (along every axis, and from the grid border) inside the
    boolean grid mask ``valid`` (any number of axes): a box erosion, one axis at a time."""
    if r <= 0:
        return valid
    if any(2 * r >= n for n in valid.shape):
        return xp.zeros_like(valid)
    out = valid
    for ax in range(valid.ndim):
        along = out
        for s in range(-r, r + 1):
            if s:
                along = xp.logical_and(along, shift_zero_fill(xp, out, (s,), (ax,)))
        out = along
    return out
