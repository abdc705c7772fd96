"""Pooling on grids of 1, 2 or 3 axes: max / average (PyTorch's arguments), blur pooling,
global pooling.

Window reductions are written as a loop over the kernel taps of strided views (one
vectorised operation over the whole output per tap), which is fast for the small windows
pooling uses and runs on any backend.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..errors import ShapeError
from ._args import float_dtype, ntuple, require_grid, resolve
from .conv import conv1d, conv2d, conv3d
from .padding import check_mode, pad_nd

__all__ = [
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "binomial_filter",
    "blur_pool1d",
    "blur_pool2d",
    "blur_pool3d",
    "global_avg_pool1d",
    "global_avg_pool2d",
    "global_avg_pool3d",
    "global_max_pool1d",
    "global_max_pool2d",
    "global_max_pool3d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "pool_output_size",
]

_Ints = tuple[int, ...]


def pool_output_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output length; with ceil_mode the last window must start inside the
    input or the left padding."""
    span = n + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _window_args(
    x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool, what: str, dims: int
) -> tuple[_Ints, _Ints, _Ints, _Ints, _Ints]:
    """Kernel, stride, padding, dilation and output size, checked as PyTorch checks them."""
    require_grid(x, dims, what)
    k = ntuple(kernel_size, "kernel_size", dims)
    s = k if stride is None else ntuple(stride, "stride", dims)
    p = ntuple(padding, "padding", dims, minimum=0)
    d = ntuple(dilation, "dilation", dims)
    if any(pa > ka // 2 for pa, ka in zip(p, k)):
        raise ValueError(f"{what}: padding {p} must be at most half the kernel size {k} (as PyTorch)")
    size = tuple(int(n) for n in x.shape[2:])
    out = tuple(pool_output_size(*args, ceil_mode) for args in zip(size, k, s, p, d))
    if min(out) <= 0:
        raise ShapeError(
            f"{what}: the input grid {'x'.join(map(str, size))} is smaller than the window {k} "
            f"(dilation {d}, padding {p}); use a smaller kernel_size or pad the input"
        )
    return k, s, p, d, out


def _windows(xpad: Any, k: _Ints, s: _Ints, d: _Ints, out: _Ints) -> Iterator[Any]:
    """One strided view per kernel tap t: view[..., y] = xpad[..., y·s + t·d] on every grid axis."""
    for t in itertools.product(*(range(ka) for ka in k)):
        yield xpad[
            (..., *(slice(i * da, i * da + (m - 1) * sa + 1, sa) for i, da, m, sa in zip(t, d, out, s)))
        ]


def _extended_pads(size: _Ints, k: _Ints, s: _Ints, p: _Ints, d: _Ints, out: _Ints) -> _Ints:
    """Pads (before, after) per axis so that every window of the output lies in the array."""
    pads: list[int] = []
    for n, ka, sa, pa, da, m in zip(size, k, s, p, d, out):
        pads += [pa, max(pa, (m - 1) * sa + da * (ka - 1) + 1 - n - pa)]
    return tuple(pads)


def _max_pool(
    x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool, dims: int
) -> Any:
    backend, xp = resolve(x)
    float_dtype(xp, x)
    k, s, p, d, out = _window_args(
        x, kernel_size, stride, padding, dilation, ceil_mode, f"max_pool{dims}d", dims
    )
    pads = _extended_pads(tuple(int(n) for n in x.shape[2:]), k, s, p, d, out)
    xpad = pad_nd(x, pads, "zeros", value=-float("inf"))
    result = None
    for view in _windows(xpad, k, s, d, out):
        result = xp.asarray(view, copy=True) if result is None else xp.maximum(result, view)
    return result


def _avg_pool(
    x: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
    dims: int,
) -> Any:
    backend, xp = resolve(x)
    dtype = float_dtype(xp, x)
    what = f"avg_pool{dims}d"
    k, s, p, d, out = _window_args(x, kernel_size, stride, padding, 1, ceil_mode, what, dims)
    if divisor_override is not None:
        bad = isinstance(divisor_override, bool) or not isinstance(divisor_override, int)
        if bad or divisor_override < 1:
            raise ValueError(f"divisor_override must be a positive int, got {divisor_override!r}")
    size = tuple(int(n) for n in x.shape[2:])
    pads = _extended_pads(size, k, s, p, d, out)
    xpad = pad_nd(x, pads, "zeros")
    total = None
    for view in _windows(xpad, k, s, d, out):
        total = xp.asarray(view, copy=True) if total is None else total + view
    if divisor_override is not None:
        return total / xp.asarray(divisor_override, dtype=dtype)
    # Count entries per window on the host (one grid's worth), then move it over.
    mask = np.zeros(tuple(n + pads[2 * a] + pads[2 * a + 1] for a, n in enumerate(size)))
    if count_include_pad:
        mask[tuple(slice(0, n + 2 * pa) for n, pa in zip(size, p))] = 1.0
    else:
        mask[tuple(slice(pa, pa + n) for n, pa in zip(size, p))] = 1.0
    count = sum(_windows(mask, k, s, d, out))
    return total / xp.asarray(count, dtype=dtype)


def max_pool1d(
    x: Any,
    kernel_size: int | tuple[int],
    stride: int | tuple[int] | None = None,
    padding: int | tuple[int] = 0,
    dilation: int | tuple[int] = 1,
    ceil_mode: bool = False,
) -> Any:
    """Maximum over each window of a batch of signals (N, C, L), as
    ``torch.nn.functional.max_pool1d`` (see :func:`max_pool2d`)."""
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, 1)


def max_pool2d(
    x: Any,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    ceil_mode: bool = False,
) -> Any:
    """Maximum over each window, as ``torch.nn.functional.max_pool2d`` (stride defaults to the
    kernel size; padding counts as -inf). NaN in a window gives NaN."""
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, 2)


def max_pool3d(
    x: Any,
    kernel_size: int | tuple[int, int, int],
    stride: int | tuple[int, int, int] | None = None,
    padding: int | tuple[int, int, int] = 0,
    dilation: int | tuple[int, int, int] = 1,
    ceil_mode: bool = False,
) -> Any:
    """Maximum over each window of a batch of volumes (N, C, D, H, W), as
    ``torch.nn.functional.max_pool3d`` (see :func:`max_pool2d`)."""
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, 3)


def avg_pool1d(
    x: Any,
    kernel_size: int | tuple[int],
    stride: int | tuple[int] | None = None,
    padding: int | tuple[int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Any:
    """Mean over each window of a batch of signals, as ``torch.nn.functional.avg_pool1d``
    (which has no ``divisor_override``; see :func:`avg_pool2d`)."""
    return _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1)


def avg_pool2d(
    x: Any,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Any:
    """Mean over each window, as ``torch.nn.functional.avg_pool2d``.

    The divisor counts the window's entries inside the input, plus its zero padding when
    ``count_include_pad`` (never the extra columns ``ceil_mode`` adds); ``divisor_override``
    replaces it.
    """
    return _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2)


def avg_pool3d(
    x: Any,
    kernel_size: int | tuple[int, int, int],
    stride: int | tuple[int, int, int] | None = None,
    padding: int | tuple[int, int, int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Any:
    """Mean over each window of a batch of volumes, as ``torch.nn.functional.avg_pool3d``
    (see :func:`avg_pool2d`)."""
    return _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3)


def binomial_filter(size: int, dims: int = 2) -> np.ndarray:
    """The normalised binomial filter of ``size`` taps per axis on ``dims`` axes
    ([1,2,1]⊗[1,2,1]/16 for size 3 in 2-D; [1,2,1]/4 in 1-D)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"filter_size must be a positive int, got {size!r}")
    if dims not in (1, 2, 3):
        raise ValueError(f"dims must be 1, 2 or 3, got {dims!r}")
    row = np.array([1.0])
    for _ in range(size - 1):
        row = np.convolve(row, [1.0, 1.0])
    kernel = row
    for _ in range(dims - 1):
        kernel = np.multiply.outer(kernel, row)
    return kernel / kernel.sum()


_CONV = {1: conv1d, 2: conv2d, 3: conv3d}


def _blur_pool(x: Any, filter_size: int, stride: Any, padding_mode: str, dims: int) -> Any:
    backend, xp = resolve(x)
    require_grid(x, dims, f"blur_pool{dims}d")
    dtype = float_dtype(xp, x)
    check_mode(padding_mode)
    st = ntuple(stride, "stride", dims)
    c = int(x.shape[1])
    filt = binomial_filter(filter_size, dims)
    weight = xp.asarray(np.broadcast_to(filt, (c, 1, *filt.shape)).copy(), dtype=dtype)
    before, after = (filter_size - 1) // 2, filter_size // 2
    if padding_mode == "reflect" and after >= min(int(n) for n in x.shape[2:]):
        padding_mode = "replicate"  # too small to mirror: repeat the edge instead
    xpad = pad_nd(x, (before, after) * dims, padding_mode)
    return _CONV[dims](xpad, weight, stride=st, groups=c)


def blur_pool1d(
    x: Any, filter_size: int = 3, stride: int | tuple[int] = 2, padding_mode: str = "reflect"
) -> Any:
    """Anti-aliased down-sampling of signals (N, C, L) (see :func:`blur_pool2d`)."""
    return _blur_pool(x, filter_size, stride, padding_mode, 1)


def blur_pool2d(
    x: Any,
    filter_size: int = 3,
    stride: int | tuple[int, int] = 2,
    padding_mode: str = "reflect",
) -> Any:
    """Anti-aliased down-sampling (Zhang 2019, "Making Convolutional Networks Shift-Invariant
    Again"): blur every channel with a binomial filter, then keep every ``stride``-th entry.

    Padding keeps the grid size before subsampling ((size-1)//2 before, the rest after), in
    ``padding_mode`` (reflect by default, as the paper's code). Follow a stride-1
    ``max_pool2d`` with it to get MaxBlurPool.
    """
    return _blur_pool(x, filter_size, stride, padding_mode, 2)


def blur_pool3d(
    x: Any, filter_size: int = 3, stride: int | tuple[int, int, int] = 2, padding_mode: str = "reflect"
) -> Any:
    """Anti-aliased down-sampling of volumes (N, C, D, H, W) (see :func:`blur_pool2d`)."""
    return _blur_pool(x, filter_size, stride, padding_mode, 3)


def _global(x: Any, keepdims: bool, dims: int, kind: str) -> Any:
    backend, xp = resolve(x)
    require_grid(x, dims, f"global_{kind}_pool{dims}d")
    float_dtype(xp, x)
    axes = tuple(range(2, dims + 2))
    return (
        xp.mean(x, axis=axes, keepdims=keepdims) if kind == "avg" else xp.max(x, axis=axes, keepdims=keepdims)
    )


def global_avg_pool1d(x: Any, keepdims: bool = False) -> Any:
    """Mean over the signal: (N, C, L) -> (N, C), or (N, C, 1) with ``keepdims``."""
    return _global(x, keepdims, 1, "avg")


def global_avg_pool2d(x: Any, keepdims: bool = False) -> Any:
    """Mean over the grid: (N, C, H, W) -> (N, C), or (N, C, 1, 1) with ``keepdims``."""
    return _global(x, keepdims, 2, "avg")


def global_avg_pool3d(x: Any, keepdims: bool = False) -> Any:
    """Mean over the volume: (N, C, D, H, W) -> (N, C), or (N, C, 1, 1, 1) with ``keepdims``."""
    return _global(x, keepdims, 3, "avg")


def global_max_pool1d(x: Any, keepdims: bool = False) -> Any:
    """Maximum over the signal: (N, C, L) -> (N, C), or (N, C, 1) with ``keepdims``."""
    return _global(x, keepdims, 1, "max")


def global_max_pool2d(x: Any, keepdims: bool = False) -> Any:
    """Maximum over the grid: (N, C, H, W) -> (N, C), or (N, C, 1, 1) with ``keepdims``."""
    return _global(x, keepdims, 2, "max")


def global_max_pool3d(x: Any, keepdims: bool = False) -> Any:
    """Maximum over the volume: (N, C, D, H, W) -> (N, C), or (N, C, 1, 1, 1) with ``keepdims``."""
    return _global(x, keepdims, 3, "max")
