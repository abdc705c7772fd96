"""Pooling: max / average (PyTorch's arguments), blur pooling, global pooling.

Window reductions are written as a loop over the kernel taps of strided views (kh·kw
vectorised operations over the whole output), which is fast for the small windows pooling
uses and runs on any backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ShapeError
from ._args import float_dtype, pair, require_4d, resolve
from .conv import conv2d
from .padding import check_mode, pad2d

__all__ = [
    "avg_pool2d",
    "binomial_filter",
    "blur_pool2d",
    "global_avg_pool2d",
    "global_max_pool2d",
    "max_pool2d",
    "pool_output_size",
]


def pool_output_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output length; with ceil_mode the last window must start inside the
    input or the left padding."""
    span = n + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _window_args(
    x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool, what: str
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
    require_4d(x, what)
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None else pair(stride, "stride")
    p = pair(padding, "padding", minimum=0)
    d = pair(dilation, "dilation")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{what}: padding {p} must be at most half the kernel size {k} (as PyTorch)")
    h, w = int(x.shape[2]), int(x.shape[3])
    out = (
        pool_output_size(h, k[0], s[0], p[0], d[0], ceil_mode),
        pool_output_size(w, k[1], s[1], p[1], d[1], ceil_mode),
    )
    if out[0] <= 0 or out[1] <= 0:
        raise ShapeError(
            f"{what}: the input grid {h}x{w} is smaller than the window {k} (dilation {d}, "
            f"padding {p}); use a smaller kernel_size or pad the input"
        )
    return k, s, p, d, out


def _windows(
    xp: Any, xpad: Any, k: tuple[int, int], s: tuple[int, int], d: tuple[int, int], out: tuple[int, int]
) -> Any:
    """Yield one strided view per kernel tap: view[..., y, x] = xpad[..., y*s + i*d, x*s + j*d]."""
    for i in range(k[0]):
        for j in range(k[1]):
            r0, c0 = i * d[0], j * d[1]
            r1, c1 = r0 + (out[0] - 1) * s[0] + 1, c0 + (out[1] - 1) * s[1] + 1
            yield xpad[..., r0 : r1 : s[0], c0 : c1 : s[1]]


def _extended_pads(
    size: tuple[int, int],
    k: tuple[int, int],
    s: tuple[int, int],
    p: tuple[int, int],
    d: tuple[int, int],
    out: tuple[int, int],
) -> tuple[int, int, int, int]:
    """Pads (top, bottom, left, right) so that every window of the output lies in the array."""
    bottom = max(p[0], (out[0] - 1) * s[0] + d[0] * (k[0] - 1) + 1 - size[0] - p[0])
    right = max(p[1], (out[1] - 1) * s[1] + d[1] * (k[1] - 1) + 1 - size[1] - p[1])
    return (p[0], bottom, p[1], right)


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
    backend, xp = resolve(x)
    float_dtype(xp, x)
    k, s, p, d, out = _window_args(x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    pads = _extended_pads((int(x.shape[2]), int(x.shape[3])), k, s, p, d, out)
    xpad = pad2d(x, pads, "zeros", value=-float("inf"))
    result = None
    for view in _windows(xp, xpad, k, s, d, out):
        result = xp.asarray(view, copy=True) if result is None else xp.maximum(result, view)
    return result


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
    backend, xp = resolve(x)
    dtype = float_dtype(xp, x)
    k, s, p, d, out = _window_args(x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    h, w = int(x.shape[2]), int(x.shape[3])
    pads = _extended_pads((h, w), k, s, p, d, out)
    xpad = pad2d(x, pads, "zeros")
    total = None
    for view in _windows(xp, xpad, k, s, d, out):
        total = xp.asarray(view, copy=True) if total is None else total + view
    if divisor_override is not None:
        bad = isinstance(divisor_override, bool) or not isinstance(divisor_override, int)
        if bad or divisor_override < 1:
            raise ValueError(f"divisor_override must be a positive int, got {divisor_override!r}")
        return total / xp.asarray(divisor_override, dtype=dtype)
    # Count entries per window on the host (a small grid), then move it over.
    mask = np.zeros((h + pads[0] + pads[1], w + pads[2] + pads[3]))
    if count_include_pad:
        mask[: h + 2 * p[0], : w + 2 * p[1]] = 1.0
    else:
        mask[p[0] : p[0] + h, p[1] : p[1] + w] = 1.0
    count = sum(_windows(np, mask, k, s, d, out))
    return total / xp.asarray(count, dtype=dtype)


def binomial_filter(size: int) -> np.ndarray:
    """The normalised 2-D binomial filter of ``size`` taps per axis ([1,2,1]⊗[1,2,1]/16 for 3)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"filter_size must be a positive int, got {size!r}")
    row = np.array([1.0])
    for _ in range(size - 1):
        row = np.convolve(row, [1.0, 1.0])
    kernel = np.outer(row, row)
    return kernel / kernel.sum()


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
    backend, xp = resolve(x)
    require_4d(x, "blur_pool2d")
    dtype = float_dtype(xp, x)
    check_mode(padding_mode)
    st = pair(stride, "stride")
    c = int(x.shape[1])
    filt = binomial_filter(filter_size)
    weight = xp.asarray(np.broadcast_to(filt, (c, 1, filter_size, filter_size)).copy(), dtype=dtype)
    before, after = (filter_size - 1) // 2, filter_size // 2
    pads = (before, after, before, after)
    h, w = int(x.shape[2]), int(x.shape[3])
    if padding_mode == "reflect" and (after >= h or after >= w):
        padding_mode = "replicate"  # too small to mirror: repeat the edge instead
    xpad = pad2d(x, pads, padding_mode)
    return conv2d(xpad, weight, stride=st, groups=c)


def global_avg_pool2d(x: Any, keepdims: bool = False) -> Any:
    """Mean over the grid: (N, C, H, W) -> (N, C), or (N, C, 1, 1) with ``keepdims``."""
    backend, xp = resolve(x)
    require_4d(x, "global_avg_pool2d")
    float_dtype(xp, x)
    return xp.mean(x, axis=(2, 3), keepdims=keepdims)


def global_max_pool2d(x: Any, keepdims: bool = False) -> Any:
    """Maximum over the grid: (N, C, H, W) -> (N, C), or (N, C, 1, 1) with ``keepdims``."""
    backend, xp = resolve(x)
    require_4d(x, "global_max_pool2d")
    float_dtype(xp, x)
    return xp.max(x, axis=(2, 3), keepdims=keepdims)
