"""Module versions of the functional ops, with PyTorch's constructor arguments and seeded init."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backends import Backend, get_backend
from ._args import pair
from .activations import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, silu, softmax, softplus, tanh
from .conv import ALGORITHMS, conv2d
from .init import Seed, as_generator, uniform_fan_in
from .linear import flatten, linear
from .module import Module
from .padding import check_mode
from .pooling import avg_pool2d, blur_pool2d, global_avg_pool2d, global_max_pool2d, max_pool2d

__all__ = [
    "ELU",
    "GELU",
    "AvgPool2d",
    "BlurPool2d",
    "Conv2d",
    "Flatten",
    "GlobalAvgPool2d",
    "GlobalMaxPool2d",
    "Identity",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MaxPool2d",
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


class Conv2d(Module):
    """``torch.nn.Conv2d``: weight (out, in/groups, kh, kw) and bias drawn from
    U(-1/√fan_in, 1/√fan_in) with ``seed`` (int, Generator, or None for fresh entropy)."""

    param_names = ("weight", "bias")

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        seed: Seed = None,
        dtype: Any = np.float32,
        backend: str | Backend | None = None,
        algorithm: str = "auto",
    ) -> None:
        self.in_channels = _positive(in_channels, "in_channels")
        self.out_channels = _positive(out_channels, "out_channels")
        self.groups = _positive(groups, "groups")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}"
            )
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.dilation = pair(dilation, "dilation")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"padding must be 'valid', 'same', an int or a pair, got {padding!r}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError("padding='same' needs stride=1, as in PyTorch")
            self.padding: Any = padding
        else:
            self.padding = pair(padding, "padding", minimum=0)
        self.padding_mode = check_mode(padding_mode)
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
        self.algorithm = algorithm
        rng = as_generator(seed)
        kh, kw = self.kernel_size
        fan_in = in_channels // groups * kh * kw
        target = get_backend(backend)
        self.weight = target.asarray(
            uniform_fan_in(rng, (out_channels, in_channels // groups, kh, kw), fan_in, dtype)
        )
        self.bias = target.asarray(uniform_fan_in(rng, (out_channels,), fan_in, dtype)) if bias else None

    def forward(self, x: Any) -> Any:
        return conv2d(
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


class MaxPool2d(_Stateless):
    """``torch.nn.MaxPool2d`` (see :func:`equicheck.nn.max_pool2d`)."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__(
            kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode
        )

    def forward(self, x: Any) -> Any:
        return max_pool2d(x, **self.kwargs)


class AvgPool2d(_Stateless):
    """``torch.nn.AvgPool2d`` (see :func:`equicheck.nn.avg_pool2d`)."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
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
        return avg_pool2d(x, **self.kwargs)


class BlurPool2d(_Stateless):
    """Anti-aliased down-sampling (see :func:`equicheck.nn.blur_pool2d`)."""

    def __init__(
        self, filter_size: int = 3, stride: int | tuple[int, int] = 2, padding_mode: str = "reflect"
    ) -> None:
        check_mode(padding_mode)
        super().__init__(filter_size=filter_size, stride=stride, padding_mode=padding_mode)

    def forward(self, x: Any) -> Any:
        return blur_pool2d(x, **self.kwargs)


class GlobalAvgPool2d(_Stateless):
    """Mean over the grid: (N, C, H, W) -> (N, C) (or (N, C, 1, 1) with keepdims)."""

    def __init__(self, keepdims: bool = False) -> None:
        super().__init__(keepdims=keepdims)

    def forward(self, x: Any) -> Any:
        return global_avg_pool2d(x, **self.kwargs)


class GlobalMaxPool2d(_Stateless):
    """Maximum over the grid: (N, C, H, W) -> (N, C) (or (N, C, 1, 1) with keepdims)."""

    def __init__(self, keepdims: bool = False) -> None:
        super().__init__(keepdims=keepdims)

    def forward(self, x: Any) -> Any:
        return global_max_pool2d(x, **self.kwargs)


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
