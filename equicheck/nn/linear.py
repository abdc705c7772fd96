"""Dense layers and flattening: the head of a network."""

from __future__ import annotations

from typing import Any

from ..errors import ShapeError
from ._args import float_dtype, resolve

__all__ = ["flatten", "linear"]


def linear(x: Any, weight: Any, bias: Any = None) -> Any:
    """``x @ weight.T + bias`` over the last axis, as ``torch.nn.functional.linear``.

    weight has shape (out_features, in_features); x has shape (..., in_features).
    """
    backend, xp = resolve(x, weight, bias)
    x, weight = (a if backend.is_array(a) else backend.asarray(a) for a in (x, weight))
    if bias is not None and not backend.is_array(bias):
        bias = backend.asarray(bias)
    dtype = float_dtype(xp, x, weight, bias)
    if getattr(weight, "ndim", None) != 2:
        raise ShapeError(
            f"linear weight must have shape (out_features, in_features), got {getattr(weight, 'shape', None)}"
        )
    if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ShapeError(
            f"linear expects inputs with {weight.shape[1]} features on the last axis, got shape "
            f"{tuple(x.shape)}; flatten the feature maps first (equicheck.nn.flatten)"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ShapeError(f"bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    out = xp.matmul(xp.asarray(x, dtype=dtype), xp.asarray(weight.T, dtype=dtype))
    if bias is not None:
        out = out + xp.asarray(bias, dtype=dtype)
    return out


def flatten(x: Any, start_axis: int = 1, end_axis: int = -1) -> Any:
    """Merge axes ``start_axis..end_axis`` into one (by default all but the batch axis)."""
    backend, xp = resolve(x)
    nd = x.ndim
    if nd == 0:
        raise ShapeError("cannot flatten a 0-d array")
    start, end = start_axis % nd, end_axis % nd
    if start > end:
        raise ValueError(f"start_axis {start_axis} comes after end_axis {end_axis} for {nd} axes")
    shape = tuple(x.shape)
    merged = 1
    for s in shape[start : end + 1]:
        merged *= int(s)
    return xp.reshape(x, shape[:start] + (merged,) + shape[end + 1 :])
