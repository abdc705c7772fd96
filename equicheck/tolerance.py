"""Error measures and default tolerances.

The error of one sample (one batch entry) is::

    error = max |a - b| / max(scale, floor)
    scale = max(max |a|, max |b|)          over the entries compared
    floor = (atol / rtol) * max |x|        x: the example's inputs (1 if they are all zero)

with ``a = f(ρ_in(g)·x)`` and ``b = ρ_out(g)·f(x)`` in float64. A sample passes when
``error <= rtol``: relative to the size of the output, and judged absolutely (``atol``
relative to the input's size) where the output is near zero. The floor follows the input's
magnitude so that rounding in outputs that cancel to zero is not taken for a violation, at
any input scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_TOLERANCES",
    "Tolerance",
    "default_tolerance",
    "dtype_name",
    "input_scale",
    "stacked_errors",
]


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float
    #: Why these values (shown in results and reports).
    reason: str

    def rule(self, dtype: str) -> str:
        return (
            f"max|f(g·x) - g·f(x)| <= rtol·max(max|output|, atol/rtol·max|x|) per sample; "
            f"{dtype}: rtol={self.rtol:g}, atol={self.atol:g} ({self.reason})"
        )


#: Defaults per dtype. Margins: about 10x above the rounding of a deep network in that dtype
#: and at least 10x below the smallest violation users ask to see.
DEFAULT_TOLERANCES: dict[str, Tolerance] = {
    "float64": Tolerance(1e-9, 1e-12, "default for float64: ~4e6 ulp, flags violations of 1e-8"),
    "float32": Tolerance(
        5e-5,
        5e-6,
        "default for float32: ~400 ulp; an 8-layer float32 CNN rounds to 6e-6 (median) and "
        "3e-5 (worst of 700) under D4, a violation of 1e-4 is flagged",
    ),
    "float16": Tolerance(1e-2, 1e-3, "default for float16: ~10 ulp (eps 9.8e-4)"),
    "bfloat16": Tolerance(5e-2, 1e-2, "default for bfloat16: ~6 ulp (eps 7.8e-3)"),
    "complex128": Tolerance(1e-9, 1e-12, "as float64"),
    "complex64": Tolerance(5e-5, 5e-6, "as float32"),
    "tf32": Tolerance(5e-3, 5e-4, "float32 with TF32 matmul/conv on a GPU: 10-bit mantissa (eps 9.8e-4)"),
}

_ORDER = ["bfloat16", "float16", "tf32", "float32", "complex64", "float64", "complex128"]


def dtype_name(dtype: Any) -> str:
    """A dtype's short name (``'float32'``) whatever library it comes from."""
    name = str(getattr(dtype, "name", dtype))
    name = name.replace("torch.", "").replace("jnp.", "")
    if name in ("float", "double") or name.startswith("int") or name.startswith("uint"):
        return "float64" if name in ("double", "float") else name
    if name == "half":
        return "float16"
    return name


def default_tolerance(*dtypes: Any, tf32: bool = False) -> tuple[str, Tolerance]:
    """The tolerance of the least precise floating dtype among ``dtypes``."""
    names = [dtype_name(d) for d in dtypes]
    known = [n for n in names if n in DEFAULT_TOLERANCES]
    if tf32 and "float32" in known:
        known.append("tf32")
    if not known:
        # integer or boolean outputs: exact comparison up to float64 rounding
        return "float64", DEFAULT_TOLERANCES["float64"]
    worst = min(known, key=_ORDER.index)
    return worst, DEFAULT_TOLERANCES[worst]


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
    if not xp.isdtype(a.dtype, "real floating") or a.dtype != b.dtype:
        a, b = xp.astype(a, xp.float64), xp.astype(b, xp.float64)
    n = a.shape[0]
    if a.size == 0:
        zeros = xp.zeros((n, samples), dtype=xp.float64)
        return zeros, xp.ones((n, samples), dtype=xp.bool)
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
    safe = xp.where(denom > 0, denom, xp.ones_like(denom))
    err = xp.where(max_diff == 0, xp.zeros_like(max_diff), max_diff / safe)
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
