"""Convolutions and networks on any backend: ``conv2d`` and friends, layers, group convolutions.

Functional ops take and return arrays of the backend of their input (NumPy now, CuPy
unchanged), keep float32 as float32, and use PyTorch's argument names and meanings so
models translate one to one. Layers are small callable objects with seeded initialisation
and parameter counts. See docs/nn.md.
"""

from __future__ import annotations

from .activations import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, silu, softmax, softplus, tanh
from .conv import (
    ALGORITHMS,
    UNROLLINGS,
    choose_algorithm,
    choose_unrolling,
    conv2d,
    conv_output_size,
    resolve_padding,
)
from .group_conv import (
    GroupConv2d,
    LiftingConv2d,
    OrientationPool,
    expand_group_weight,
    expand_lifting_weight,
    group_conv2d,
    lifting_conv2d,
    orientation_pool,
    orientations,
)
from .init import as_generator, uniform_fan_in
from .layers import (
    ELU,
    GELU,
    AvgPool2d,
    BlurPool2d,
    Conv2d,
    Flatten,
    GlobalAvgPool2d,
    GlobalMaxPool2d,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .linear import flatten, linear
from .module import Module, Sequential
from .padding import PADDING_MODES, pad2d
from .pooling import (
    avg_pool2d,
    binomial_filter,
    blur_pool2d,
    global_avg_pool2d,
    global_max_pool2d,
    max_pool2d,
    pool_output_size,
)
from .status import NativeStatus, native_status

__all__ = [
    "ALGORITHMS",
    "ELU",
    "GELU",
    "PADDING_MODES",
    "AvgPool2d",
    "BlurPool2d",
    "Conv2d",
    "Flatten",
    "GlobalAvgPool2d",
    "GlobalMaxPool2d",
    "GroupConv2d",
    "Identity",
    "LeakyReLU",
    "LiftingConv2d",
    "Linear",
    "LogSoftmax",
    "MaxPool2d",
    "Module",
    "NativeStatus",
    "OrientationPool",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "UNROLLINGS",
    "as_generator",
    "avg_pool2d",
    "binomial_filter",
    "blur_pool2d",
    "choose_algorithm",
    "choose_unrolling",
    "conv2d",
    "conv_output_size",
    "elu",
    "expand_group_weight",
    "expand_lifting_weight",
    "flatten",
    "gelu",
    "global_avg_pool2d",
    "global_max_pool2d",
    "group_conv2d",
    "leaky_relu",
    "lifting_conv2d",
    "linear",
    "log_softmax",
    "max_pool2d",
    "native_status",
    "orientation_pool",
    "orientations",
    "pad2d",
    "pool_output_size",
    "relu",
    "resolve_padding",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
    "uniform_fan_in",
]
