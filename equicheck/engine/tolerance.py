"""Default tolerances per dtype, and dtype names across array libraries.

The error these tolerances bound (see :mod:`equicheck.engine.compare`) is, per sample::

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

__all__ = [
    "DEFAULT_TOLERANCES",
    "Tolerance",
    "default_tolerance",
    "dtype_name",
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


#: C-style names some libraries print for their dtypes.
_ALIASES = {"float": "float64", "double": "float64", "half": "float16"}


def dtype_name(dtype: Any) -> str:
    """A dtype's short name (``'float32'``) whatever library it comes from."""
    name = str(getattr(dtype, "name", dtype)).replace("torch.", "").replace("jnp.", "")
    return _ALIASES.get(name, name)


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
