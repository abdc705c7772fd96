"""Interpolated spatial actions of continuous groups, their valid masks, and band-limited inputs.

How an element ``g`` (see :mod:`equicheck.groups.continuous`) moves an array, in this order:

1. **Exact when exact is possible.** A quarter turn, flip or integer shift (``g.as_grid()``)
   is applied as the index permutation of the grid groups: no interpolation, no floor.
2. **Fourier phase shift** for a pure translation on a cyclic group (``subpixel``):
   ``backend.ndimage.fourier_shift`` on the 2-D FFT of the grid axes, real part kept. Exact for
   band-limited periodic signals; on even sizes the Nyquist component is damped by
   ``cos(π·shift)`` (it has no sub-pixel shift that stays real).
3. **Spline resampling** otherwise: ``backend.ndimage.affine_transform`` with a B-spline of
   order :data:`DEFAULT_ORDER` (3, cubic; change with :func:`interpolation_order`), prefiltered
   along the grid axes only, zero fill outside the grid (``mode='grid-constant'``) or
   ``'grid-wrap'`` on cyclic groups. Output value at ``p`` is the input at ``g⁻¹·p``.

Transforms run in float64 (so the action adds no rounding of its own to the verdict) and return
the input's dtype. The same code runs on NumPy (scipy.ndimage) and CuPy (cupyx.scipy.ndimage):
only ``backend.xp``, ``backend.ndimage`` and ``backend.fft`` are used.

The valid mask of an interpolated element keeps the entries ``p`` with ``p`` and ``g⁻¹·p``
inside the region every element keeps: the inscribed disk (radius ``(min(H, W) - 1)/2``) for
elements that turn by other than quarter turns, the grid otherwise, both shrunk by one entry
(the spline's reach into the zero fill) and by the check's ``margin``. Inputs drawn for such
groups come from the ``smooth-disk`` family: band-limited noise tapered smoothly to zero at
that disk, so that turning it loses nothing at the corners.
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
from ..groups.continuous import ContinuousElement, UpsampleElement
from .kernels import apply_grid_element

__all__ = [
    "DEFAULT_ORDER",
    "TIMING",
    "apply_continuous",
    "apply_upsample",
    "disk_taper",
    "fourier_shift",
    "half_pixel_shift",
    "interpolation_order",
    "probe_round_trip",
    "resample",
    "smooth_disk",
    "valid_mask",
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
def _to_stack(xp: Any, x: Any, axes: tuple[int, int]) -> tuple[Any, tuple[int, ...], list[int]]:
    """``x`` as a float64 (B, H, W) stack over its grid axes, and how to undo that."""
    a, b = (int(ax) % x.ndim for ax in axes)
    rest = [i for i in range(x.ndim) if i not in (a, b)]
    perm = rest + [a, b]
    moved = xp.permute_dims(x, tuple(perm)) if perm != list(range(x.ndim)) else x
    front = tuple(moved.shape[:-2])
    stack = xp.reshape(moved, (-1, moved.shape[-2], moved.shape[-1]))
    if stack.dtype != xp.float64:
        stack = xp.astype(stack, xp.float64)
    return stack, front, perm


def _from_stack(xp: Any, y: Any, front: tuple[int, ...], perm: list[int], dtype: Any) -> Any:
    y = xp.reshape(y, (*front, y.shape[-2], y.shape[-1]))
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
    shift: tuple[float, float],
    axes: tuple[int, int],
    backend: Backend,
    boundary: str = "zeros",
    order: int | None = None,
) -> Any:
    """``out(p) = x(L⁻¹·(p - c - t) + c)`` over the grid axes: the spline resampling behind
    every interpolated element (``L`` 2x2 on (row, column) offsets, ``c`` the grid centre)."""
    xp, nd = backend.xp, backend.ndimage
    order = current_order() if order is None else order
    stack, front, perm = _to_stack(xp, x, axes)
    h, w = stack.shape[-2:]
    lin = np.asarray(linear, dtype=np.float64)
    inv = np.linalg.inv(lin)
    c = np.array([(h - 1) / 2.0, (w - 1) / 2.0])
    off = c - inv @ (c + np.asarray(shift, dtype=np.float64))
    mode = _mode(boundary)
    npad = 0
    coeffs = stack
    if order > 1:
        if mode == "grid-constant":
            npad = 12  # as scipy: pad so the prefilter sees the zero fill, not a mirror
            coeffs = xp.pad(stack, ((0, 0), (npad, npad), (npad, npad)))
        for ax in (1, 2):
            coeffs = nd.spline_filter1d(coeffs, order, axis=ax, output=np.float64, mode=mode)
    matrix = xp.asarray(inv) if backend.name != "numpy" else inv
    offset = (float(off[0] + npad), float(off[1] + npad))
    # one 2-D transform per slice: a 3-D spline would also interpolate across the stack axis
    out = xp.empty(stack.shape, dtype=xp.float64)
    for i in range(stack.shape[0]):
        out[i, ...] = nd.affine_transform(
            coeffs[i], matrix, offset=offset, output_shape=(h, w), order=order, mode=mode, prefilter=False
        )
    return _from_stack(xp, out, front, perm, x.dtype)


@_timed
def fourier_shift(x: Any, shift: tuple[float, float], axes: tuple[int, int], backend: Backend) -> Any:
    """Move content by (dy, dx) pixels by a phase ramp in the 2-D Fourier domain (cyclic)."""
    xp = backend.xp
    stack, front, perm = _to_stack(xp, x, axes)
    spectrum = backend.fft.fft2(stack, axes=(-2, -1))
    moved = backend.ndimage.fourier_shift(spectrum, (0.0, float(shift[0]), float(shift[1])))
    out = xp.real(backend.fft.ifft2(moved, axes=(-2, -1)))
    return _from_stack(xp, out, front, perm, x.dtype)


# --- the spatial actions of continuous elements ------------------------------------------------
def apply_continuous(
    g: ContinuousElement, x: Any, axes: tuple[int, int], boundary: str, backend: Backend
) -> Any:
    """The spatial action of a continuous element: exact, Fourier or spline (module docstring)."""
    exact = g.as_grid()
    if exact is not None:
        return apply_grid_element(exact, x, axes, boundary, backend)
    if boundary == "wrap" and g.degrees == 0 and not g.flipped and g.factor == 1:
        return fourier_shift(x, (g.dy, g.dx), axes, backend)
    return resample(x, g.linear, (g.dy, g.dx), axes, backend, boundary)


def apply_resampled(
    g: Any, x: Any, axes: tuple[int, ...], boundary: str, backend: Backend, spacing: Any = None
) -> Any:
    """The interpolated action of a 1-D or 3-D element (spline, or Fourier for pure shifts)."""
    raise EquicheckError(f"interpolated 1-D/3-D elements are not supported yet: {g!r}")


def resampled_mask(
    g: Any, grid: tuple[int, ...], margin: int, boundary: str, backend: Backend, spacing: Any = None
) -> Any:
    """Entries where an interpolated 1-D or 3-D element keeps ``f(g·x)`` and ``g·f(x)`` comparable."""
    raise EquicheckError(f"interpolated 1-D/3-D elements are not supported yet: {g!r}")


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


def valid_mask(g: Any, grid: tuple[int, int], margin: int, boundary: str, backend: Backend) -> Any:
    """Entries where ``f(g·x)`` and ``g·f(x)`` are comparable (module docstring); None: all."""
    xp = backend.xp
    h, w = grid
    yy, xx = np.mgrid[:h, :w].astype(np.float64)

    def box(py: Any, px: Any, r: float) -> Any:
        eps = 1e-9
        return (py >= r - eps) & (py <= h - 1 - r + eps) & (px >= r - eps) & (px <= w - 1 - r + eps)

    exact = isinstance(g, UpsampleElement) or g.as_grid() is not None
    pure_shift = not exact and g.degrees == 0 and not g.flipped and g.factor == 1
    if isinstance(g, UpsampleElement) or (boundary == "wrap" and (exact or pure_shift)):
        return None if margin <= 0 else xp.asarray(box(yy, xx, margin))
    c = ((h - 1) / 2.0, (w - 1) / 2.0)
    inv = g.inverse()
    lin = inv.linear
    qy = lin[0][0] * (yy - c[0]) + lin[0][1] * (xx - c[1]) + c[0] + inv.dy
    qx = lin[1][0] * (yy - c[0]) + lin[1][1] * (xx - c[1]) + c[1] + inv.dx
    if exact:
        keep = box(yy, xx, margin) & box(qy, qx, margin)
        return None if bool(keep.all()) else xp.asarray(keep)
    rim = 1 + margin
    if g.degrees % 90:
        radius = (min(h, w) - 1) / 2.0 - rim + 1e-9
        keep = (np.hypot(yy - c[0], xx - c[1]) <= radius) & (np.hypot(qy - c[0], qx - c[1]) <= radius)
    else:
        keep = box(yy, xx, rim) & box(qy, qx, rim)
    return xp.asarray(keep)


# --- the probes behind the interpolation floor ------------------------------------------------------
def half_pixel_shift(x: Any, axes: tuple[int, int], backend: Backend, order: int | None = None) -> Any:
    """``x`` moved half a pixel down and right by a B-spline of ``order``: the phase at which
    interpolation errs most (every new sample lies midway between old ones)."""
    return resample(x, ((1.0, 0.0), (0.0, 1.0)), (0.5, 0.5), axes, backend, "zeros", order)


def probe_round_trip(x: Any, axes: tuple[int, int], backend: Backend, kind: str = "spline") -> Any:
    """``x`` moved by half a pixel diagonally and back (Fourier or spline).

    Half a pixel is the phase where interpolation errs most, so ``|probe(x) - x| / 2``
    estimates the worst single-step resampling error of ``x`` for any element (the floor of
    Fourier shifts, :mod:`equicheck.engine.floor`); unlike a round trip ``g⁻¹·(g·x)`` it does not
    shrink near exact elements, where first-order errors cancel."""
    if kind == "fourier":
        there = fourier_shift(x, (0.5, 0.5), axes, backend)
        return fourier_shift(there, (-0.5, -0.5), axes, backend)
    eye = ((1.0, 0.0), (0.0, 1.0))
    there = resample(x, eye, (0.5, 0.5), axes, backend)
    return resample(there, eye, (-0.5, -0.5), axes, backend)


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


def _lowpass(rng: np.random.Generator, shape: tuple[int, ...], cutoff: float, work: Any) -> np.ndarray:
    x = rng.standard_normal(shape)
    if len(shape) < 2 or min(shape[-2:]) < 3:
        return x.astype(work)
    h, w = shape[-2:]
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    gain = np.exp(-(fy**2 + fx**2) / (2 * cutoff**2))
    return np.fft.irfft2(np.fft.rfft2(x) * gain, s=(h, w))


def smooth_disk(rng: np.random.Generator, shape: tuple[int, ...], work: Any = np.float64) -> np.ndarray:
    """The ``smooth-disk`` family: Gaussian low-passed noise (cut-off 0.08 cycles per entry),
    tapered to zero at the inscribed disk, scaled to unit standard deviation."""
    y = _lowpass(rng, shape, 0.08, work)
    if len(shape) >= 2 and min(shape[-2:]) >= 3:
        y = y * disk_taper(*shape[-2:])
    std = float(y.std())
    y = y / std if std > 0 else y
    return y.astype(work)
