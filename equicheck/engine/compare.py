"""Comparing f(g·x) with g·f(x): the error measures, computed for many elements at once.

The exact rule's error of one sample (one batch entry) is::

    error = max |a - b| / max(scale, floor)
    scale = max(max |a|, max |b|)          over the entries compared
    floor = (atol / rtol) * max |x|        x: the example's inputs (1 if they are all zero)

with ``a = f(ρ_in(g)·x)`` and ``b = ρ_out(g)·f(x)``. Interpolated elements are measured by
the relative RMS over the valid mask (:func:`relative_rms`), see
:mod:`equicheck.engine.floor`. Everything runs on the backend's array namespace; only the
per-sample figures reach the host.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["input_rms", "input_scale", "largest_error", "relative_rms", "rms", "stacked_errors", "to_host"]


def stacked_errors(xp: Any, a: Any, b: Any, mask: Any, samples: int, floor: float) -> tuple[Any, Any]:
    """The error of every sample of several comparisons at once.

    ``a`` and ``b`` have a leading axis of comparisons (one per element); each comparison
    holds ``samples`` samples along its next axis (1: the whole output is one sample).
    ``mask`` (boolean, same shape, or None) selects the entries compared. Returns float64
    arrays ``(error, finite)`` of shape (comparisons, samples); ``finite`` is False where a
    NaN or inf reached the maxima (the caller decides what that means).

    Differences are taken in the outputs' own floating dtype (exact for values this close,
    and cheap); the per-sample maxima are combined in float64.
    """
    with np.errstate(invalid="ignore", over="ignore"):  # NaN and inf are flagged, not warned about
        return _stacked_errors(xp, a, b, mask, samples, floor)


def _stacked_errors(xp: Any, a: Any, b: Any, mask: Any, samples: int, floor: float) -> tuple[Any, Any]:
    n = a.shape[0]
    if a.size == 0:
        zeros = xp.zeros((n, samples), dtype=xp.float64)
        return zeros, xp.ones((n, samples), dtype=xp.bool)
    if xp.isdtype(a.dtype, "complex floating") or xp.isdtype(b.dtype, "complex floating"):
        # complex outputs: moduli of the difference and of each side
        a, b = xp.astype(a, xp.complex128), xp.astype(b, xp.complex128)
        diff, a, b = xp.abs(a - b), xp.abs(a), xp.abs(b)
    else:
        if not xp.isdtype(a.dtype, "real floating") or a.dtype != b.dtype:
            a, b = xp.astype(a, xp.float64), xp.astype(b, xp.float64)
        diff = a - b
    if mask is not None:
        zero = xp.zeros((), dtype=diff.dtype)
        diff, a, b = xp.where(mask, diff, zero), xp.where(mask, a, zero), xp.where(mask, b, zero)

    def largest_magnitude(v: Any) -> Any:
        # max |v| per sample without a temporary: max(max v, -min v)
        v = xp.reshape(v, (n, samples, -1))
        return xp.maximum(xp.max(v, axis=-1), -xp.min(v, axis=-1))

    max_diff = largest_magnitude(diff)
    scale = xp.maximum(largest_magnitude(a), largest_magnitude(b))
    finite = xp.logical_and(xp.isfinite(max_diff), xp.isfinite(scale))
    max_diff = xp.astype(max_diff, xp.float64)
    denom = xp.maximum(xp.astype(scale, xp.float64), xp.asarray(floor, dtype=xp.float64))
    err = (
        max_diff / xp.where(denom > 0, denom, xp.ones_like(denom)) + 0.0
    )  # denom 0: max_diff is 0; + 0.0: no -0
    return xp.where(finite, err, xp.zeros_like(err)), finite


def input_scale(xp: Any, arrays: list[Any]) -> float:
    """Largest finite magnitude among the inputs (1.0 when they are all zero)."""
    best = 0.0
    for x in arrays:
        if getattr(x, "size", 0) == 0 or not hasattr(x, "dtype"):
            continue
        try:
            v = float(xp.max(xp.abs(x)))
        except (TypeError, ValueError):
            continue
        if np.isfinite(v):
            best = max(best, v)
    return best if best > 0 else 1.0


def largest_error(xp: Any, a: Any, b: Any, mask: Any, samples: int, floor: float) -> float:
    """The largest per-sample error of one comparison (NaN/inf entries must be masked)."""
    err, _ = stacked_errors(
        xp, a[None, ...], b[None, ...], None if mask is None else mask[None, ...], samples, floor
    )
    return float(xp.max(err))


def to_host(v: Any) -> np.ndarray:
    """A backend array as a NumPy array (CuPy arrays through ``.get()``)."""
    try:
        return np.asarray(v)
    except (TypeError, ValueError):
        return v.get()


def _sums(xp: Any, d: Any, mask: Any, per_sample: bool) -> tuple[np.ndarray, np.ndarray]:
    """(sum of d² over the mask, entries counted) per sample, on the host."""
    if xp.isdtype(d.dtype, "complex floating"):
        d = xp.abs(d)
    d = xp.astype(d, xp.float64) if d.dtype != xp.float64 else d
    sq = d * d
    m = xp.ones(d.shape, dtype=xp.bool) if mask is None else xp.broadcast_to(mask, d.shape)
    sq = xp.where(m, sq, xp.zeros_like(sq))
    count = xp.astype(m, xp.float64)
    if per_sample and d.ndim:
        axes = tuple(range(1, d.ndim))
        s, c = xp.sum(sq, axis=axes), xp.sum(count, axis=axes)
    else:
        s, c = xp.reshape(xp.sum(sq), (1,)), xp.reshape(xp.sum(count), (1,))
    return np.asarray(to_host(s), dtype=np.float64), np.asarray(to_host(c), dtype=np.float64)


def rms(xp: Any, d: Any, mask: Any, per_sample: bool) -> np.ndarray:
    """``sqrt(mean over the mask of d²)``, per sample (leading axis) or over everything."""
    s, c = _sums(xp, d, mask, per_sample)
    return np.sqrt(s / np.maximum(c, 1.0))


def relative_rms(xp: Any, a: Any, b: Any, mask: Any = None, per_sample: bool = False) -> np.ndarray:
    """``rms(a - b) / max(rms(a), rms(b))`` over ``mask`` (0 where both are 0), per sample."""
    num = rms(xp, xp.astype(a, xp.float64) - xp.astype(b, xp.float64), mask, per_sample)
    den = np.maximum(rms(xp, a, mask, per_sample), rms(xp, b, mask, per_sample))
    return num / np.where(den > 0, den, 1.0)  # den 0: num is 0 too


def input_rms(xp: Any, case: dict[Any, Any]) -> float:
    """The largest RMS among the floating inputs (the scale of the absolute floor)."""
    best = 0.0
    for v in case.values():
        if getattr(v, "size", 0) and xp.isdtype(v.dtype, ("real floating", "complex floating")):
            best = max(best, float(rms(xp, v, None, False)[0]))
    return best if np.isfinite(best) else 0.0
