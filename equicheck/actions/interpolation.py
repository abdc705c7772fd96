"""Interpolated spatial actions of continuous groups, their valid masks, and band-limited inputs.

How an element ``g`` moves an array over its d = 1, 2 or 3 grid axes (2-D elements:
:mod:`equicheck.groups.continuous`; 1-D and 3-D: :mod:`equicheck.groups.lattice`, drawn by
:mod:`equicheck.groups.resampled`), in this order:

1. **Exact when exact is possible.** A quarter turn, flip or integer shift (``g.as_grid()``,
   ``g.exact``) is applied as the index permutation of the grid groups: no interpolation, no floor.
2. **Fourier phase shift** for a pure translation on a cyclic group (``subpixel``):
   ``backend.ndimage.fourier_shift`` on the FFT of the grid axes, real part kept. Exact for
   band-limited periodic signals; on even sizes the Nyquist component is damped by
   ``cos(π·shift)`` (it has no sub-pixel shift that stays real).
3. **Spline resampling** otherwise: ``backend.ndimage.affine_transform`` with a B-spline of
   order :data:`DEFAULT_ORDER` (3, cubic; change with :func:`interpolation_order`), prefiltered
   along the grid axes only, zero fill outside the grid (``mode='grid-constant'``) or
   ``'grid-wrap'`` on cyclic groups; one d-dimensional transform per slice of the stack.
   Output value at ``p`` is the input at ``g⁻¹·p``. With ``spacing=`` turns and
   scalings act in physical units: the matrix on entries is ``S⁻¹·L·S``, ``S = diag(spacing)``.

Transforms run in float64 (so the action adds no rounding of its own to the verdict) and return
the input's dtype. The same code runs on NumPy (scipy.ndimage) and CuPy (cupyx.scipy.ndimage):
only ``backend.xp``, ``backend.ndimage`` and ``backend.fft`` are used.

The valid mask of an interpolated element keeps the entries ``p`` with ``p`` and ``g⁻¹·p``
inside the region every element keeps: the inscribed disk (radius ``(min(H, W) - 1)/2``; the
ball of a volume, round in physical units) for elements that turn by other than quarter turns,
the grid otherwise, both shrunk by one entry (the spline's reach into the zero fill) and by the
check's ``margin``. Inputs drawn for such groups come from the ``smooth-disk`` family:
band-limited noise tapered smoothly to zero at that disk (ball, or both ends of a signal), so
that turning it loses nothing at the corners.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..backends import Backend
from ..errors import EquicheckError
from ..groups.continuous import UpsampleElement
from ..groups.lattice import index_linear, index_matrix, index_shift

__all__ = [
    "DEFAULT_ORDER",
    "TIMING",
    "acts_exactly",
    "apply_resampled",
    "ball_taper",
    "apply_upsample",
    "disk_taper",
    "fourier_shift",
    "half_pixel_shift",
    "interpolation_order",
    "probe_round_trip",
    "resample",
    "resampled_mask",
    "smooth_disk",
    "upsample_mask",
]

#: Order of the B-spline used by interpolated actions (3: cubic). See :func:`interpolation_order`.
DEFAULT_ORDER = 3
_ORDER = [DEFAULT_ORDER]

#: Seconds spent in interpolated transforms (and calls), for benchmarks: reset it by assigning 0.
TIMING: dict[str, float] = {"seconds": 0.0, "calls": 0.0}


@contextmanager
def interpolation_order(order: int) -> Iterator[None]:
    """Use B-splines of ``order`` (0-5) for interpolated actions inside the block."""
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 5:
        raise EquicheckError(f"interpolation order must be an integer in 0..5, got {order!r}")
    _ORDER.append(order)
    try:
        yield
    finally:
        _ORDER.pop()


def current_order() -> int:
    """The spline order interpolated actions use now."""
    return _ORDER[-1]


# --- moving grid axes to the end and back ------------------------------------------------------
def _to_stack(xp: Any, x: Any, axes: tuple[int, ...]) -> tuple[Any, tuple[int, ...], list[int]]:
    """``x`` as a float64 (B, *grid) stack over its d grid axes, and how to undo that."""
    grid_axes = [int(ax) % x.ndim for ax in axes]
    rest = [i for i in range(x.ndim) if i not in grid_axes]
    perm = rest + grid_axes
    moved = xp.permute_dims(x, tuple(perm)) if perm != list(range(x.ndim)) else x
    d = len(grid_axes)
    front = tuple(moved.shape[: x.ndim - d])
    stack = xp.reshape(moved, (-1, *moved.shape[x.ndim - d :]))
    if stack.dtype != xp.float64:
        stack = xp.astype(stack, xp.float64)
    return stack, front, perm


def _from_stack(xp: Any, y: Any, front: tuple[int, ...], perm: list[int], dtype: Any) -> Any:
    y = xp.reshape(y, (*front, *y.shape[1:]))
    if perm != list(range(len(perm))):
        inv = [0] * len(perm)
        for i, p in enumerate(perm):
            inv[p] = i
        y = xp.permute_dims(y, tuple(inv))
    if getattr(dtype, "kind", "f") in "fc" and y.dtype != dtype:
        y = xp.astype(y, dtype)
    return y


def _timed(fn: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            out = fn(*args, **kwargs)
            backend = kwargs.get("backend") or next((a for a in args if isinstance(a, Backend)), None)
            if backend is not None:
                backend.synchronize()
            return out
        finally:
            TIMING["seconds"] += time.perf_counter() - start
            TIMING["calls"] += 1

    wrapper.__doc__ = fn.__doc__
    wrapper.__name__ = fn.__name__
    return wrapper


# --- the resampling primitives ------------------------------------------------------------------
def _mode(boundary: str) -> str:
    return "grid-wrap" if boundary == "wrap" else "grid-constant"


@_timed
def resample(
    x: Any,
    linear: Any,
    shift: tuple[float, ...],
    axes: tuple[int, ...],
    backend: Backend,
    boundary: str = "zeros",
    order: int | None = None,
) -> Any:
    """``out(p) = x(L⁻¹·(p - c - t) + c)`` over the d grid axes (d = 1, 2, 3): the spline
    resampling behind every interpolated element (``L`` d x d on offsets in array order, ``t``
    the shift in entries, ``c`` the grid centre)."""
    xp, nd = backend.xp, backend.ndimage
    order = current_order() if order is None else order
    stack, front, perm = _to_stack(xp, x, axes)
    grid = tuple(stack.shape[1:])
    d = len(grid)
    inv = np.linalg.inv(np.asarray(linear, dtype=np.float64).reshape(d, d))
    c = (np.asarray(grid, dtype=np.float64) - 1) / 2.0
    off = c - inv @ (c + np.asarray(shift, dtype=np.float64))
    mode = _mode(boundary)
    npad = 0
    coeffs = stack
    if order > 1:
        if mode == "grid-constant":
            npad = 12  # as scipy: pad so the prefilter sees the zero fill, not a mirror
            coeffs = xp.pad(stack, ((0, 0),) + ((npad, npad),) * d)
        for ax in range(1, d + 1):
            coeffs = nd.spline_filter1d(coeffs, order, axis=ax, output=np.float64, mode=mode)
    matrix = xp.asarray(inv) if backend.name != "numpy" else inv
    offset = tuple(float(v + npad) for v in off)
    # one d-dimensional transform per slice: a (d+1)-D spline would also mix the stack axis
    out = xp.empty(stack.shape, dtype=xp.float64)
    for i in range(stack.shape[0]):
        out[i, ...] = nd.affine_transform(
            coeffs[i], matrix, offset=offset, output_shape=grid, order=order, mode=mode, prefilter=False
        )
    return _from_stack(xp, out, front, perm, x.dtype)


@_timed
def fourier_shift(x: Any, shift: tuple[float, ...], axes: tuple[int, ...], backend: Backend) -> Any:
    """Move content by ``shift`` entries along the grid axes (array order) by a phase ramp in
    the Fourier domain of those axes (cyclic)."""
    xp = backend.xp
    stack, front, perm = _to_stack(xp, x, axes)
    grid_axes = tuple(range(1, stack.ndim))
    spectrum = backend.fft.fftn(stack, axes=grid_axes)
    moved = backend.ndimage.fourier_shift(spectrum, (0.0, *(float(v) for v in shift)))
    out = xp.real(backend.fft.ifftn(moved, axes=grid_axes))
    return _from_stack(xp, out, front, perm, x.dtype)


# --- the spatial actions of continuous elements ------------------------------------------------
def index_linear_physical(g: Any, spacing: Any = None) -> np.ndarray:
    """The linear part of a grid element on grid offsets in array order, acting in
    physical units: ``S⁻¹·L·S`` with ``S = diag(spacing)`` (``L`` itself without spacing)."""
    linear = index_linear(g)
    if spacing is None:
        return linear
    s = np.asarray(spacing, dtype=np.float64)
    return (linear * s[None, :]) / s[:, None]


def acts_exactly(g: Any, grid: tuple[int, ...], spacing: Any = None) -> bool:
    """Whether the exact element ``g`` may move this grid by an index permutation: every pair
    of axes it exchanges has equal sizes and equal spacing. Otherwise (a quarter turn of a
    volume with unequal sides or anisotropic voxels) it must be resampled like any turn."""
    if not g.exact:
        return False
    m = np.abs(index_matrix(g))
    for j in range(len(grid)):
        i = int(np.argmax(m[j]))
        if i != j and (grid[i] != grid[j] or (spacing is not None and spacing[i] != spacing[j])):
            return False
    return True


def apply_resampled(
    g: Any, x: Any, axes: tuple[int, ...], boundary: str, backend: Backend, spacing: Any = None
) -> Any:
    """The interpolated action of a grid element: a Fourier phase shift for a pure shift
    on ``'wrap'``, else spline resampling; turns and scalings in physical units (``spacing``)."""
    linear = index_linear_physical(g, spacing)
    shift = index_shift(g)
    if boundary == "wrap" and np.array_equal(linear, np.eye(len(axes))):
        return fourier_shift(x, shift, axes, backend)
    return resample(x, linear, shift, axes, backend, boundary)


def _inside_box(p: np.ndarray, grid: tuple[int, ...], r: float) -> np.ndarray:
    """Positions ``p`` (d, ...) at least ``r`` entries inside the grid along every axis."""
    eps = 1e-9
    keep = np.ones(p.shape[1:], dtype=bool)
    for i, n in enumerate(grid):
        keep &= (p[i] >= r - eps) & (p[i] <= n - 1 - r + eps)
    return keep


def _inside_ball(p: np.ndarray, grid: tuple[int, ...], rim: float, spacing: Any) -> np.ndarray:
    """Positions inside the ball inscribed in the grid (physical units: an ellipsoid in entries
    when the spacing differs), shrunk by ``rim`` entries along every axis."""
    s = np.ones(len(grid)) if spacing is None else np.asarray(spacing, dtype=np.float64)
    n = np.asarray(grid, dtype=np.float64)
    radius = float(np.min((n - 1) / 2.0 * s))
    semi = radius / s - rim
    if np.any(semi <= 0):
        return np.zeros(p.shape[1:], dtype=bool)
    c = (n - 1) / 2.0
    total = sum(((p[i] - c[i]) / semi[i]) ** 2 for i in range(len(grid)))
    return np.asarray(total <= 1 + 1e-9)


def resampled_mask(
    g: Any, grid: tuple[int, ...], margin: int, boundary: str, backend: Backend, spacing: Any = None
) -> Any:
    """Entries where an interpolated grid element keeps ``f(g·x)`` and ``g·f(x)`` comparable
    (None: all): ``p`` and ``g⁻¹·p`` inside the inscribed ball for turns that are not signed
    permutations, inside the grid otherwise, shrunk by one entry (the spline's reach) and
    ``margin``; Fourier shifts wrap and keep everything but the margin."""
    xp = backend.xp
    grid = tuple(int(n) for n in grid)
    d = len(grid)
    linear = index_linear_physical(g, spacing)
    shift = np.asarray(index_shift(g), dtype=np.float64)
    p = np.indices(grid, dtype=np.float64)
    if boundary == "wrap" and np.array_equal(linear, np.eye(d)):
        return None if margin <= 0 else xp.asarray(_inside_box(p, grid, margin))
    c = ((np.asarray(grid, dtype=np.float64) - 1) / 2.0).reshape((d,) + (1,) * d)
    inv = np.linalg.inv(linear)
    q = np.tensordot(inv, p - c - shift.reshape(c.shape), axes=1) + c
    rim = 1 + margin
    turn = index_matrix(g)
    if not np.array_equal(turn, np.rint(turn)):  # a turn other than a cube symmetry
        keep = _inside_ball(p, grid, rim, spacing) & _inside_ball(q, grid, rim, spacing)
    else:
        keep = _inside_box(p, grid, rim) & _inside_box(q, grid, rim)
    return xp.asarray(keep)


def apply_upsample(g: UpsampleElement, x: Any, axes: tuple[int, int], boundary: str, backend: Backend) -> Any:
    """Repeat entries ``k`` times along both grid axes (``1/k``: keep every k-th); exact."""
    xp = backend.xp
    f = g.factor
    if f == 1:
        return x
    if f.denominator == 1:
        k = int(f)
        for ax in axes:
            x = xp.repeat(x, k, axis=ax)
        return x
    k = f.denominator
    index = [slice(None)] * x.ndim
    for ax in axes:
        index[ax] = slice(None, None, k)
    return x[tuple(index)]


def upsample_mask(
    g: UpsampleElement, grid: tuple[int, ...], margin: int, boundary: str, backend: Backend
) -> Any:
    """Entries of an up-sampled grid compared: all but ``margin`` entries from the border."""
    if margin <= 0:
        return None
    return backend.xp.asarray(_inside_box(np.indices(grid, dtype=np.float64), tuple(grid), margin))


# --- the probes behind the interpolation floor ------------------------------------------------------
def half_pixel_shift(x: Any, axes: tuple[int, ...], backend: Backend, order: int | None = None) -> Any:
    """``x`` moved half an entry along every grid axis (down and right in 2-D) by a B-spline of
    ``order``: the phase at which interpolation errs most (every new sample lies midway
    between old ones)."""
    d = len(axes)
    return resample(x, np.eye(d), (0.5,) * d, axes, backend, "zeros", order)


def probe_round_trip(x: Any, axes: tuple[int, ...], backend: Backend, kind: str = "spline") -> Any:
    """``x`` moved by half an entry along every grid axis and back (Fourier or spline).

    Half a pixel is the phase where interpolation errs most, so ``|probe(x) - x| / 2``
    estimates the worst single-step resampling error of ``x`` for any element (the floor of
    Fourier shifts, :mod:`equicheck.engine.floor`); unlike a round trip ``g⁻¹·(g·x)`` it does not
    shrink near exact elements, where first-order errors cancel."""
    d = len(axes)
    if kind == "fourier":
        there = fourier_shift(x, (0.5,) * d, axes, backend)
        return fourier_shift(there, (-0.5,) * d, axes, backend)
    eye = np.eye(d)
    there = resample(x, eye, (0.5,) * d, axes, backend)
    return resample(there, eye, (-0.5,) * d, axes, backend)


# --- band-limited inputs ---------------------------------------------------------------------------
def disk_taper(h: int, w: int, width: float | None = None) -> np.ndarray:
    """1 inside the inscribed disk, falling to 0 at its rim with a raised cosine of ``width``
    entries (default: a quarter of the radius, at least 3)."""
    radius = (min(h, w) - 1) / 2.0 - 1.0
    width = max(3.0, radius / 4) if width is None else width
    yy, xx = np.mgrid[:h, :w]
    r = np.hypot(yy - (h - 1) / 2.0, xx - (w - 1) / 2.0)
    t = np.clip((radius - r) / width, 0.0, 1.0)
    return np.sin(t * math.pi / 2) ** 2


def ball_taper(grid: tuple[int, ...], width: float | None = None, spacing: Any = None) -> np.ndarray:
    """:func:`disk_taper` on a grid of any number of axes: 1 inside the inscribed ball (an
    interval in 1-D), falling to 0 at its rim with a raised cosine. With ``spacing`` the ball
    is round in physical units (an ellipsoid in entries); the rim and width are then in units
    of the finest step."""
    if len(grid) == 2 and spacing is None:
        return disk_taper(*grid, width=width)
    s = np.ones(len(grid)) if spacing is None else np.asarray(spacing, dtype=np.float64)
    n = np.asarray(grid, dtype=np.float64)
    step = float(s.min())
    radius = float(np.min((n - 1) / 2.0 * s)) - step
    width = max(3.0 * step, radius / 4) if width is None else width * step
    column = (-1,) + (1,) * len(grid)
    offsets = (np.indices(grid, dtype=np.float64) - ((n - 1) / 2.0).reshape(column)) * s.reshape(column)
    r = np.sqrt(np.sum(offsets**2, axis=0))
    t = np.clip((radius - r) / width, 0.0, 1.0)
    return np.sin(t * math.pi / 2) ** 2


def _lowpass(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    cutoff: float,
    work: Any,
    dims: int = 2,
    spacing: Any = None,
) -> np.ndarray:
    x = rng.standard_normal(shape)
    if len(shape) < dims or min(shape[len(shape) - dims :]) < 3:
        return x.astype(work)
    grid = tuple(shape[len(shape) - dims :])
    axes = tuple(range(-dims, 0))
    gain = np.exp(-gaussian_frequencies(grid, spacing=spacing) / (2 * cutoff**2))
    return np.fft.irfftn(np.fft.rfftn(x, axes=axes) * gain, s=grid, axes=axes)


def gaussian_frequencies(grid: tuple[int, ...], dtype: Any = np.float64, spacing: Any = None) -> np.ndarray:
    """``|f|²`` on the half spectrum of ``rfftn`` over a grid, in cycles per entry; with
    ``spacing``, in cycles per coarsest step (physical frequencies times the largest spacing),
    so that a cut-off keeps only what the coarsest axis can carry in every direction."""
    d = len(grid)
    scale = np.ones(d) if spacing is None else float(max(spacing)) / np.asarray(spacing, dtype=np.float64)
    total: Any = 0
    for i, n in enumerate(grid):
        f = (np.fft.rfftfreq(n) if i == d - 1 else np.fft.fftfreq(n)).astype(dtype)
        if spacing is not None:
            f = f * dtype(scale[i])
        total = total + f.reshape((1,) * i + (-1,) + (1,) * (d - 1 - i)) ** 2
    return np.asarray(total)


def smooth_disk(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    work: Any = np.float64,
    dims: int = 2,
    spacing: Any = None,
) -> np.ndarray:
    """The ``smooth-disk`` family: Gaussian low-passed noise (cut-off 0.08 cycles per entry)
    over the last ``dims`` axes, tapered to zero at the inscribed disk (the interval of a 1-D
    signal, the ball of a volume), scaled to unit standard deviation. With ``spacing``
    (anisotropic voxels) the cut-off is 0.08 cycles per coarsest step in every direction and
    the ball is round in physical units: a turn moves no detail onto the coarse axis that it
    cannot carry, and nothing out of the region every turn keeps."""
    y = _lowpass(rng, shape, 0.08, work, dims, spacing)
    if len(shape) >= dims and min(shape[len(shape) - dims :]) >= 3:
        y = y * ball_taper(tuple(shape[len(shape) - dims :]), spacing=spacing)
    std = float(y.std())
    y = y / std if std > 0 else y
    return y.astype(work)
