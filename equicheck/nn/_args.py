"""Argument checking shared by the layers: PyTorch's meanings, messages that say what to do."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backends import Backend, get_backend
from ..errors import ShapeError

__all__ = ["contiguous", "float_dtype", "materialize", "pair", "resolve", "require_4d"]


def pair(value: Any, name: str, minimum: int = 1) -> tuple[int, int]:
    """``value`` as (rows, columns): an int means the same on both axes (as PyTorch)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if isinstance(value, int) or (hasattr(value, "__index__") and not isinstance(value, (tuple, list))):
        v = int(value)
        out = (v, v)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        if any(isinstance(v, bool) or not hasattr(v, "__index__") for v in value):
            raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
        out = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(out) < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return out


def require_4d(x: Any, what: str) -> None:
    """Raise ShapeError unless ``x`` is a batch of images (N, C, H, W)."""
    if getattr(x, "ndim", None) != 4:
        shape = getattr(x, "shape", None)
        raise ShapeError(
            f"{what} expects an input of shape (N, C, H, W), got shape {shape}; "
            "add a batch axis with x[None] for a single image"
        )


def float_dtype(xp: Any, *arrays: Any) -> Any:
    """The floating dtype the result takes (NumPy promotion); TypeError for integer data."""
    dtype = xp.result_type(*[a for a in arrays if a is not None])
    isdtype = getattr(xp, "isdtype", None)
    floating = isdtype(dtype, "real floating") if isdtype else np.issubdtype(np.dtype(dtype), np.floating)
    if not floating:
        raise TypeError(
            f"equicheck.nn computes on real floating arrays, got dtype {dtype}; "
            "convert first, e.g. x.astype(np.float32)"
        )
    return dtype


def resolve(*arrays: Any) -> tuple[Backend, Any]:
    """The backend of these arrays and its namespace."""
    backend = get_backend(None, *arrays)
    return backend, backend.xp


def contiguous(xp: Any, a: Any) -> Any:
    """``a`` in C order (a copy only when needed): BLAS operands and results users expect."""
    fn = getattr(xp, "ascontiguousarray", None)
    if fn is not None:
        return fn(a)
    return xp.reshape(xp.asarray(a, copy=True), a.shape)


def materialize(xp: Any, view: Any, bias: Any = None) -> Any:
    """A fresh C-ordered (N, C, H, W) array from a strided view, adding ``bias`` per channel in
    the same pass (one read of the view, one write)."""
    out = xp.empty(view.shape, dtype=view.dtype)
    if bias is None:
        out[...] = view
    elif getattr(xp, "__name__", "") in ("numpy", "cupy"):
        xp.add(view, xp.reshape(bias, (1, -1, 1, 1)), out=out)
    else:  # the array API has no out= arguments
        out[...] = view + xp.reshape(bias, (1, -1, 1, 1))
    return out
