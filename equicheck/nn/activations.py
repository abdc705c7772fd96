"""Element-wise activations and softmax, dtype-preserving, on any backend."""

from __future__ import annotations

import math
from typing import Any

from ._args import float_dtype, resolve

__all__ = [
    "elu",
    "gelu",
    "leaky_relu",
    "log_softmax",
    "relu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
]


def _prep(x: Any) -> tuple[Any, Any]:
    backend, xp = resolve(x)
    float_dtype(xp, x)
    return backend, xp


def relu(x: Any) -> Any:
    """max(x, 0)."""
    _, xp = _prep(x)
    return xp.maximum(x, xp.zeros((), dtype=x.dtype))


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Any:
    """x where x >= 0, else negative_slope·x."""
    _, xp = _prep(x)
    return xp.where(x >= 0, x, x * negative_slope)


def elu(x: Any, alpha: float = 1.0) -> Any:
    """x where x > 0, else alpha·(exp(x) - 1)."""
    _, xp = _prep(x)
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, xp.zeros((), dtype=x.dtype))))


def _erf(backend: Any, xp: Any, x: Any) -> Any:
    """erf through the backend's SciPy-like special functions, else a series-accurate fallback."""
    if backend.name == "numpy":
        import scipy.special

        return scipy.special.erf(x)
    if backend.name == "cupy":  # pragma: no cover - needs a GPU
        import cupyx.scipy.special

        return cupyx.scipy.special.erf(x)
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): enough for float32 elsewhere.
    t = 1.0 / (1.0 + 0.3275911 * xp.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return xp.sign(x) * (1.0 - poly * xp.exp(-x * x))


def gelu(x: Any, approximate: str = "none") -> Any:
    """x·Φ(x) with the exact normal CDF (``approximate='none'``) or PyTorch's tanh form."""
    backend, xp = _prep(x)
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + xp.tanh(inner))
    if approximate != "none":
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    out = 0.5 * x * (1.0 + _erf(backend, xp, x * (1.0 / math.sqrt(2.0))))
    return out.astype(x.dtype) if out.dtype != x.dtype else out


def tanh(x: Any) -> Any:
    """Hyperbolic tangent."""
    _, xp = _prep(x)
    return xp.tanh(x)


def sigmoid(x: Any) -> Any:
    """1 / (1 + exp(-x)), computed as (1 + tanh(x/2)) / 2: no overflow for large |x|."""
    _, xp = _prep(x)
    return 0.5 * (1.0 + xp.tanh(0.5 * x))


def silu(x: Any) -> Any:
    """x·sigmoid(x) (also called swish)."""
    return x * sigmoid(x)


def softplus(x: Any, beta: float = 1.0) -> Any:
    """log(1 + exp(beta·x)) / beta, overflow-free."""
    _, xp = _prep(x)
    return xp.logaddexp(xp.zeros((), dtype=x.dtype), beta * x) / beta


def softmax(x: Any, axis: int = 1) -> Any:
    """exp(x) normalised along ``axis`` (the channel axis by default, as ``dim=1`` in PyTorch);
    the maximum is subtracted first so large inputs do not overflow."""
    _, xp = _prep(x)
    shifted = x - xp.max(x, axis=axis, keepdims=True)
    e = xp.exp(shifted)
    return e / xp.sum(e, axis=axis, keepdims=True)


def log_softmax(x: Any, axis: int = 1) -> Any:
    """log(softmax(x)) along ``axis``, computed stably."""
    _, xp = _prep(x)
    shifted = x - xp.max(x, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))
