"""Argument checking shared by the layers: PyTorch's meanings, messages that say what to do."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backends import Backend, get_backend
from ..errors import ShapeError

__all__ = [
    "GRID_AXES",
    "contiguous",
    "float_dtype",
    "materialize",
    "ntuple",
    "pair",
    "require_4d",
    "require_grid",
    "resolve",
]

#: The names of a batch's axes for grids of 1, 2 and 3 dimensions (PyTorch's N, C, L / H, W / D, H, W).
GRID_AXES = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}

_TUPLE_WORDS = {
    1: "an int or a 1-tuple of ints",
    2: "an int or a pair of ints",
    3: "an int or a triple of ints",
}


def ntuple(value: Any, name: str, dims: int, minimum: int = 1) -> tuple[int, ...]:
    """``value`` as one int per grid axis: an int means the same on every axis (as PyTorch)."""
    words = _TUPLE_WORDS.get(dims, f"an int or a tuple of {dims} ints")
    if isinstance(value, bool):
        raise TypeError(f"{name} must be {words}, got {value!r}")
    if isinstance(value, int) or (hasattr(value, "__index__") and not isinstance(value, (tuple, list))):
        out = (int(value),) * dims
    elif isinstance(value, (tuple, list)) and len(value) == dims:
        if any(isinstance(v, bool) or not hasattr(v, "__index__") for v in value):
            raise TypeError(f"{name} must be {words}, got {value!r}")
        out = tuple(int(v) for v in value)
    else:
        raise TypeError(f"{name} must be {words}, got {value!r}")
    if min(out) < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return out


def pair(value: Any, name: str, minimum: int = 1) -> tuple[int, int]:
    """``value`` as (rows, columns): an int means the same on both axes (as PyTorch)."""
    rows, cols = ntuple(value, name, 2, minimum)
    return rows, cols


def require_grid(x: Any, dims: int, what: str) -> None:
    """Raise ShapeError unless ``x`` is a batch (N, C, *grid) with a grid of ``dims`` axes."""
    if getattr(x, "ndim", None) != dims + 2:
        shape = getattr(x, "shape", None)
        one = {1: "signal", 2: "image", 3: "volume"}.get(dims, "grid")
        raise ShapeError(
            f"{what} expects an input of shape {GRID_AXES[dims]}, got shape {shape}; "
            f"add a batch axis with x[None] for a single {one}"
        )


def require_4d(x: Any, what: str) -> None:
    """Raise ShapeError unless ``x`` is a batch of images (N, C, H, W)."""
    require_grid(x, 2, what)


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
    """A fresh C-ordered (N, C, *grid) array from a strided view, adding ``bias`` per channel in
    the same pass (one read of the view, one write)."""
    out = xp.empty(view.shape, dtype=view.dtype)
    if bias is None:
        out[...] = view
        return out
    per_channel = xp.reshape(bias, (1, -1) + (1,) * (len(view.shape) - 2))
    if getattr(xp, "__name__", "") in ("numpy", "cupy"):
        xp.add(view, per_channel, out=out)
    else:  # the array API has no out= arguments
        out[...] = view + per_channel
    return out
