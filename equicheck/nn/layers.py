"""Module versions of the functional ops, with PyTorch's constructor arguments and seeded init."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backends import Backend, get_backend
from ._args import ntuple
from .activations import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, silu, softmax, softplus, tanh
from .conv import ALGORITHMS, conv1d, conv2d, conv3d
from .init import Seed, as_generator, uniform_fan_in
from .linear import flatten, linear
from .module import Module
from .padding import check_mode
from .pooling import (
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    blur_pool1d,
    blur_pool2d,
    blur_pool3d,
    global_avg_pool1d,
    global_avg_pool2d,
    global_avg_pool3d,
    global_max_pool1d,
    global_max_pool2d,
    global_max_pool3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
)

__all__ = [
    "ELU",
    "GELU",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "BlurPool1d",
    "BlurPool2d",
    "BlurPool3d",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "Flatten",
    "GlobalAvgPool1d",
    "GlobalAvgPool2d",
    "GlobalAvgPool3d",
    "GlobalMaxPool1d",
    "GlobalMaxPool2d",
    "GlobalMaxPool3d",
    "Identity",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
]


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


class _ConvNd(Module):
    """``torch.nn.Conv1d`` / ``Conv2d`` / ``Conv3d`` on a grid of ``dims`` axes."""

    param_names = ("weight", "bias")
    dims = 2
    conv = staticmethod(conv2d)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] | str = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        seed: Seed = None,
        dtype: Any = np.float32,
        backend: str | Backend | None = None,
        algorithm: str = "auto",
    ) -> None:
        d = self.dims
        self.in_channels = _positive(in_channels, "in_channels")
        self.out_channels = _positive(out_channels, "out_channels")
        self.groups = _positive(groups, "groups")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}"
            )
        self.kernel_size = ntuple(kernel_size, "kernel_size", d)
        self.stride = ntuple(stride, "stride", d)
        self.dilation = ntuple(dilation, "dilation", d)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"padding must be 'valid', 'same', an int or a tuple, got {padding!r}")
            if padding == "same" and self.stride != (1,) * d:
                raise ValueError("padding='same' needs stride=1, as in PyTorch")
            self.padding: Any = padding
        else:
            self.padding = ntuple(padding, "padding", d, minimum=0)
        self.padding_mode = check_mode(padding_mode)
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
        self.algorithm = algorithm
        rng = as_generator(seed)
        fan_in = in_channels // groups * math.prod(self.kernel_size)
        target = get_backend(backend)
        self.weight = target.asarray(
            uniform_fan_in(rng, (out_channels, in_channels // groups, *self.kernel_size), fan_in, dtype)
        )
        self.bias = target.asarray(uniform_fan_in(rng, (out_channels,), fan_in, dtype)) if bias else None

    def forward(self, x: Any) -> Any:
        return self.conv(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            self.padding_mode,
            algorithm=self.algorithm,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding!r}, dilation={self.dilation}, groups={self.groups}, "
            f"bias={self.bias is not None}, padding_mode={self.padding_mode!r}"
        )


class Conv1d(_ConvNd):
    """``torch.nn.Conv1d``: weight (out, in/groups, k), initialised as :class:`Conv2d`."""

    dims = 1
    conv = staticmethod(conv1d)


class Conv2d(_ConvNd):
    """``torch.nn.Conv2d``: weight (out, in/groups, kh, kw) and bias drawn from
    U(-1/√fan_in, 1/√fan_in) with ``seed`` (int, Generator, or None for fresh entropy)."""

    dims = 2
    conv = staticmethod(conv2d)


class Conv3d(_ConvNd):
    """``torch.nn.Conv3d``: weight (out, in/groups, kd, kh, kw), initialised as :class:`Conv2d`."""

    dims = 3
    conv = staticmethod(conv3d)


class Linear(Module):
    """``torch.nn.Linear``: weight (out_features, in_features), seeded like :class:`Conv2d`."""

    param_names = ("weight", "bias")

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        seed: Seed = None,
        dtype: Any = np.float32,
        backend: str | Backend | None = None,
    ) -> None:
        self.in_features = _positive(in_features, "in_features")
        self.out_features = _positive(out_features, "out_features")
        rng = as_generator(seed)
        target = get_backend(backend)
        self.weight = target.asarray(uniform_fan_in(rng, (out_features, in_features), in_features, dtype))
        self.bias = target.asarray(uniform_fan_in(rng, (out_features,), in_features, dtype)) if bias else None

    def forward(self, x: Any) -> Any:
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


class _Stateless(Module):
    """A module that only stores keyword arguments for its functional op."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())


class _MaxPool(_Stateless):
    """``torch.nn.MaxPool1d`` / ``2d`` / ``3d`` (see :func:`equicheck.nn.max_pool2d`)."""

    pool = staticmethod(max_pool2d)

    def __init__(
        self,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] | None = None,
        padding: int | tuple[int, ...] = 0,
        dilation: int | tuple[int, ...] = 1,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__(
            kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode
        )

    def forward(self, x: Any) -> Any:
        return self.pool(x, **self.kwargs)


class MaxPool1d(_MaxPool):
    """``torch.nn.MaxPool1d`` (see :func:`equicheck.nn.max_pool1d`)."""

    pool = staticmethod(max_pool1d)


class MaxPool2d(_MaxPool):
    """``torch.nn.MaxPool2d`` (see :func:`equicheck.nn.max_pool2d`)."""

    pool = staticmethod(max_pool2d)


class MaxPool3d(_MaxPool):
    """``torch.nn.MaxPool3d`` (see :func:`equicheck.nn.max_pool3d`)."""

    pool = staticmethod(max_pool3d)


class AvgPool1d(_Stateless):
    """``torch.nn.AvgPool1d`` (see :func:`equicheck.nn.avg_pool1d`)."""

    def __init__(
        self,
        kernel_size: int | tuple[int],
        stride: int | tuple[int] | None = None,
        padding: int | tuple[int] = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__(
            kernel_size=kernel_size,
            stride=stride,
            padding=padding,
            ceil_mode=ceil_mode,
            count_include_pad=count_include_pad,
        )

    def forward(self, x: Any) -> Any:
        return avg_pool1d(x, **self.kwargs)


class _AvgPool(_Stateless):
    """``torch.nn.AvgPool2d`` / ``3d`` (see :func:`equicheck.nn.avg_pool2d`)."""

    pool = staticmethod(avg_pool2d)

    def __init__(
        self,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] | None = None,
        padding: int | tuple[int, ...] = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__(
            kernel_size=kernel_size,
            stride=stride,
            padding=padding,
            ceil_mode=ceil_mode,
            count_include_pad=count_include_pad,
            divisor_override=divisor_override,
        )

    def forward(self, x: Any) -> Any:
        return self.pool(x, **self.kwargs)


class AvgPool2d(_AvgPool):
    """``torch.nn.AvgPool2d`` (see :func:`equicheck.nn.avg_pool2d`)."""

    pool = staticmethod(avg_pool2d)


class AvgPool3d(_AvgPool):
    """``torch.nn.AvgPool3d`` (see :func:`equicheck.nn.avg_pool3d`)."""

    pool = staticmethod(avg_pool3d)


class _BlurPool(_Stateless):
    """Anti-aliased down-sampling (see :func:`equicheck.nn.blur_pool2d`)."""

    pool = staticmethod(blur_pool2d)

    def __init__(
        self, filter_size: int = 3, stride: int | tuple[int, ...] = 2, padding_mode: str = "reflect"
    ) -> None:
        check_mode(padding_mode)
        super().__init__(filter_size=filter_size, stride=stride, padding_mode=padding_mode)

    def forward(self, x: Any) -> Any:
        return self.pool(x, **self.kwargs)


class BlurPool1d(_BlurPool):
    """Anti-aliased down-sampling of signals (see :func:`equicheck.nn.blur_pool1d`)."""

    pool = staticmethod(blur_pool1d)


class BlurPool2d(_BlurPool):
    """Anti-aliased down-sampling (see :func:`equicheck.nn.blur_pool2d`)."""

    pool = staticmethod(blur_pool2d)


class BlurPool3d(_BlurPool):
    """Anti-aliased down-sampling of volumes (see :func:`equicheck.nn.blur_pool3d`)."""

    pool = staticmethod(blur_pool3d)


class _GlobalPool(_Stateless):
    pool = staticmethod(global_avg_pool2d)

    def __init__(self, keepdims: bool = False) -> None:
        super().__init__(keepdims=keepdims)

    def forward(self, x: Any) -> Any:
        return self.pool(x, **self.kwargs)


class GlobalAvgPool1d(_GlobalPool):
    """Mean over the signal: (N, C, L) -> (N, C) (or (N, C, 1) with keepdims)."""

    pool = staticmethod(global_avg_pool1d)


class GlobalAvgPool2d(_GlobalPool):
    """Mean over the grid: (N, C, H, W) -> (N, C) (or (N, C, 1, 1) with keepdims)."""

    pool = staticmethod(global_avg_pool2d)


class GlobalAvgPool3d(_GlobalPool):
    """Mean over the volume: (N, C, D, H, W) -> (N, C) (or (N, C, 1, 1, 1) with keepdims)."""

    pool = staticmethod(global_avg_pool3d)


class GlobalMaxPool1d(_GlobalPool):
    """Maximum over the signal: (N, C, L) -> (N, C) (or (N, C, 1) with keepdims)."""

    pool = staticmethod(global_max_pool1d)


class GlobalMaxPool2d(_GlobalPool):
    """Maximum over the grid: (N, C, H, W) -> (N, C) (or (N, C, 1, 1) with keepdims)."""

    pool = staticmethod(global_max_pool2d)


class GlobalMaxPool3d(_GlobalPool):
    """Maximum over the volume: (N, C, D, H, W) -> (N, C) (or (N, C, 1, 1, 1) with keepdims)."""

    pool = staticmethod(global_max_pool3d)


class Flatten(_Stateless):
    """Merge axes start_axis..end_axis (all but the batch axis by default)."""

    def __init__(self, start_axis: int = 1, end_axis: int = -1) -> None:
        super().__init__(start_axis=start_axis, end_axis=end_axis)

    def forward(self, x: Any) -> Any:
        return flatten(x, **self.kwargs)


class Identity(_Stateless):
    """Returns its input (a placeholder in a Sequential)."""

    def forward(self, x: Any) -> Any:
        return x


class ReLU(_Stateless):
    """max(x, 0)."""

    def forward(self, x: Any) -> Any:
        return relu(x)


class LeakyReLU(_Stateless):
    """x, or negative_slope·x below zero."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__(negative_slope=negative_slope)

    def forward(self, x: Any) -> Any:
        return leaky_relu(x, **self.kwargs)


class ELU(_Stateless):
    """x, or alpha·(exp(x) - 1) below zero."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__(alpha=alpha)

    def forward(self, x: Any) -> Any:
        return elu(x, **self.kwargs)


class GELU(_Stateless):
    """x·Φ(x); ``approximate='tanh'`` for PyTorch's tanh form."""

    def __init__(self, approximate: str = "none") -> None:
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        super().__init__(approximate=approximate)

    def forward(self, x: Any) -> Any:
        return gelu(x, **self.kwargs)


class Tanh(_Stateless):
    """Hyperbolic tangent."""

    def forward(self, x: Any) -> Any:
        return tanh(x)


class Sigmoid(_Stateless):
    """Logistic function."""

    def forward(self, x: Any) -> Any:
        return sigmoid(x)


class SiLU(_Stateless):
    """x·sigmoid(x)."""

    def forward(self, x: Any) -> Any:
        return silu(x)


class Softplus(_Stateless):
    """log(1 + exp(beta·x)) / beta."""

    def __init__(self, beta: float = 1.0) -> None:
        super().__init__(beta=beta)

    def forward(self, x: Any) -> Any:
        return softplus(x, **self.kwargs)


class Softmax(_Stateless):
    """Softmax along ``axis`` (channels by default)."""

    def __init__(self, axis: int = 1) -> None:
        super().__init__(axis=axis)

    def forward(self, x: Any) -> Any:
        return softmax(x, **self.kwargs)


class LogSoftmax(_Stateless):
    """log(softmax) along ``axis`` (channels by default)."""

    def __init__(self, axis: int = 1) -> None:
        super().__init__(axis=axis)

    def forward(self, x: Any) -> Any:
        return log_softmax(x, **self.kwargs)
