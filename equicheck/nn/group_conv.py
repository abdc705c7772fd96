"""Group convolutions for p4 and p4m (Cohen & Welling 2016), as ordinary convolutions with
expanded filters.

Feature maps use the layout of :func:`equicheck.actions.regular`: channel
``field·|P| + j`` holds orientation ``h_j`` of the point group P (``rot90(k=j)`` for C4;
``rot90(k=j % 4) * flip('x')**(j // 4)`` for D4), and an element g moves the channel of h
to that of g·h while turning the grid. The orientation list is taken from that action
itself, so the two can never disagree.

* lifting: ``out[f, j] = x ⋆ (h_j · w[f])`` (the filter turned by h_j);
* group: ``out[f, j] = Σ_{c,l} x[c, l] ⋆ (h_j · w[f, c, index(h_j⁻¹ h_l)])``.

Both are then one :func:`conv2d` call (any algorithm, padding mode, stride, dilation).
Equivariance is exact for odd square kernels with 'same'-size output on square grids
(circular padding: everywhere; zero padding: away from the border).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..actions import Regular, Spatial
from ..backends import Backend, get_backend
from ..errors import ShapeError
from ..groups import GridElement, Group, from_name
from ._args import float_dtype, pair, require_4d, resolve
from .conv import ALGORITHMS, conv2d
from .init import Seed, as_generator, uniform_fan_in
from .module import Module
from .padding import check_mode

__all__ = [
    "GroupConv2d",
    "LiftingConv2d",
    "OrientationPool",
    "expand_group_weight",
    "expand_lifting_weight",
    "group_conv2d",
    "lifting_conv2d",
    "orientation_pool",
    "orientations",
]


def orientations(group: str | Group) -> tuple[GridElement, ...]:
    """The point-group elements h_0, h_1, ... in channel order (4 for p4/c4, 8 for p4m/d4)."""
    g = from_name(group)
    elems = Regular().prepare(g).elements
    assert elems is not None
    if not all(isinstance(e, GridElement) for e in elems):
        raise ValueError(f"group convolutions need a grid group such as 'p4' or 'p4m', got {g.name}")
    return tuple(e for e in elems if isinstance(e, GridElement))


def _turn(h: GridElement, w: Any, backend: Backend) -> Any:
    """The filter moved by h over its last two axes (same index permutation as the actions)."""
    return Spatial().apply(h, w, backend, "wrap")


def _square(weight: Any) -> None:
    kh, kw = int(weight.shape[-2]), int(weight.shape[-1])
    if kh != kw:
        raise ShapeError(
            f"group convolutions turn their filters by quarter turns, which needs square kernels; "
            f"got {kh}x{kw}"
        )


def expand_lifting_weight(weight: Any, group: str | Group = "p4") -> Any:
    """(F, C, k, k) filters -> (F·|P|, C, k, k): filter f turned by each orientation h_j."""
    backend, xp = resolve(weight)
    if getattr(weight, "ndim", None) != 4:
        raise ShapeError(
            "lifting weight must have shape (out_fields, in_channels, k, k), "
            f"got {getattr(weight, 'shape', None)}"
        )
    _square(weight)
    hs = orientations(group)
    turned = xp.stack([_turn(h, weight, backend) for h in hs], axis=1)
    f, p, c, k, _ = turned.shape
    return xp.reshape(turned, (f * p, c, k, k))


def expand_group_weight(weight: Any, group: str | Group = "p4") -> Any:
    """(F, C, |P|, k, k) filters on the group -> (F·|P|, C·|P|, k, k) plain conv filters."""
    backend, xp = resolve(weight)
    hs = orientations(group)
    p = len(hs)
    if getattr(weight, "ndim", None) != 5 or int(weight.shape[2]) != p:
        raise ShapeError(
            f"group-conv weight must have shape (out_fields, in_fields, {p}, k, k) for {len(hs)} "
            f"orientations, got {getattr(weight, 'shape', None)}"
        )
    _square(weight)
    index = {h: i for i, h in enumerate(hs)}
    blocks = []
    for h in hs:
        inv = h.inverse()
        perm = np.asarray([index[inv * hl] for hl in hs], dtype=np.int64)
        permuted = xp.take(weight, xp.asarray(perm), axis=2)
        blocks.append(_turn(h, permuted, backend))
    stacked = xp.stack(blocks, axis=1)  # (F, P, C, P, k, k)
    f, _, c, _, k, _ = stacked.shape
    return xp.reshape(stacked, (f * p, c * p, k, k))


def _expand_bias(xp: Any, bias: Any, p: int) -> Any:
    if bias is None:
        return None
    return xp.reshape(xp.stack([bias] * p, axis=1), (-1,))


def lifting_conv2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    group: str | Group = "p4",
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
    padding_mode: str = "zeros",
    *,
    algorithm: str = "auto",
) -> Any:
    """Image (N, C, H, W) -> group features (N, F·|P|, Ho, Wo) in the regular layout.

    weight: (F, C, k, k); bias: (F,) shared by a field's orientations (so it stays equivariant).
    Other arguments as :func:`conv2d`.
    """
    backend, xp = resolve(x, weight, bias)
    require_4d(x, "lifting_conv2d")
    p = len(orientations(group))
    if bias is not None and tuple(bias.shape) != (int(weight.shape[0]),):
        raise ShapeError(
            f"bias must have shape ({weight.shape[0]},), one per output field, got {tuple(bias.shape)}"
        )
    return conv2d(
        x,
        expand_lifting_weight(weight, group),
        _expand_bias(xp, bias, p),
        stride,
        padding,
        dilation,
        1,
        padding_mode,
        algorithm=algorithm,
    )


def group_conv2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    group: str | Group = "p4",
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
    padding_mode: str = "zeros",
    *,
    algorithm: str = "auto",
) -> Any:
    """Group features (N, C·|P|, H, W) -> (N, F·|P|, Ho, Wo), both in the regular layout.

    weight: (F, C, |P|, k, k); bias: (F,). Other arguments as :func:`conv2d`.
    """
    backend, xp = resolve(x, weight, bias)
    require_4d(x, "group_conv2d")
    p = len(orientations(group))
    if getattr(weight, "ndim", None) == 5 and int(x.shape[1]) != int(weight.shape[1]) * p:
        raise ShapeError(
            f"group_conv2d: the weight expects {int(weight.shape[1])} input fields × {p} orientations "
            f"= {int(weight.shape[1]) * p} channels, but the input has {int(x.shape[1])}"
        )
    if bias is not None and tuple(bias.shape) != (int(weight.shape[0]),):
        raise ShapeError(
            f"bias must have shape ({weight.shape[0]},), one per output field, got {tuple(bias.shape)}"
        )
    return conv2d(
        x,
        expand_group_weight(weight, group),
        _expand_bias(xp, bias, p),
        stride,
        padding,
        dilation,
        1,
        padding_mode,
        algorithm=algorithm,
    )


def orientation_pool(x: Any, group: str | Group = "p4", mode: str = "max") -> Any:
    """(N, F·|P|, H, W) -> (N, F, H, W): max or mean over each field's orientations, which
    leaves features that only move with the grid (invariant fibers)."""
    backend, xp = resolve(x)
    require_4d(x, "orientation_pool")
    float_dtype(xp, x)
    p = len(orientations(group))
    n, c, h, w = (int(s) for s in x.shape)
    if c % p:
        raise ShapeError(
            f"orientation_pool: {c} channels is not a whole number of fields of {p} orientations"
        )
    fields = xp.reshape(x, (n, c // p, p, h, w))
    if mode == "max":
        return xp.max(fields, axis=2)
    if mode == "mean":
        return xp.mean(fields, axis=2)
    raise ValueError(f"mode must be 'max' or 'mean', got {mode!r}")


class _GroupConvBase(Module):
    param_names = ("weight", "bias")

    def _setup(
        self,
        group: str | Group,
        kernel_size: int,
        stride: Any,
        padding: Any,
        dilation: Any,
        padding_mode: str,
        algorithm: str,
    ) -> None:
        self.group = from_name(group)
        self.orientations = orientations(self.group)
        k = pair(kernel_size, "kernel_size")
        if k[0] != k[1]:
            raise ValueError(f"group convolutions need a square kernel, got kernel_size={kernel_size!r}")
        self.kernel_size = k[0]
        self.stride = pair(stride, "stride")
        self.padding = padding if isinstance(padding, str) else pair(padding, "padding", minimum=0)
        self.dilation = pair(dilation, "dilation")
        self.padding_mode = check_mode(padding_mode)
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
        self.algorithm = algorithm

    def _kwargs(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "padding_mode": self.padding_mode,
            "algorithm": self.algorithm,
        }


class LiftingConv2d(_GroupConvBase):
    """Image -> p4/p4m features: ``in_channels`` image channels to ``out_fields`` fields of
    |P| orientation channels each (weight (out_fields, in_channels, k, k))."""

    def __init__(
        self,
        in_channels: int,
        out_fields: int,
        kernel_size: int,
        group: str | Group = "p4",
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        seed: Seed = None,
        dtype: Any = np.float32,
        backend: str | Backend | None = None,
        algorithm: str = "auto",
    ) -> None:
        self._setup(group, kernel_size, stride, padding, dilation, padding_mode, algorithm)
        self.in_channels, self.out_fields = int(in_channels), int(out_fields)
        k = self.kernel_size
        rng = as_generator(seed)
        target = get_backend(backend)
        fan_in = in_channels * k * k
        self.weight = target.asarray(uniform_fan_in(rng, (out_fields, in_channels, k, k), fan_in, dtype))
        self.bias = target.asarray(uniform_fan_in(rng, (out_fields,), fan_in, dtype)) if bias else None

    @property
    def out_channels(self) -> int:
        return self.out_fields * len(self.orientations)

    def forward(self, x: Any) -> Any:
        return lifting_conv2d(x, self.weight, self.bias, **self._kwargs())

    def extra_repr(self) -> str:
        k, name = self.kernel_size, self.group.name
        return f"{self.in_channels}, {self.out_fields}, kernel_size={k}, group={name!r}"


class GroupConv2d(_GroupConvBase):
    """p4/p4m features -> p4/p4m features: ``in_fields`` to ``out_fields`` fields
    (weight (out_fields, in_fields, |P|, k, k))."""

    def __init__(
        self,
        in_fields: int,
        out_fields: int,
        kernel_size: int,
        group: str | Group = "p4",
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        seed: Seed = None,
        dtype: Any = np.float32,
        backend: str | Backend | None = None,
        algorithm: str = "auto",
    ) -> None:
        self._setup(group, kernel_size, stride, padding, dilation, padding_mode, algorithm)
        self.in_fields, self.out_fields = int(in_fields), int(out_fields)
        k = self.kernel_size
        p = len(self.orientations)
        rng = as_generator(seed)
        target = get_backend(backend)
        fan_in = in_fields * p * k * k
        shape = (out_fields, in_fields, p, k, k)
        self.weight = target.asarray(uniform_fan_in(rng, shape, fan_in, dtype))
        self.bias = target.asarray(uniform_fan_in(rng, (out_fields,), fan_in, dtype)) if bias else None

    def forward(self, x: Any) -> Any:
        return group_conv2d(x, self.weight, self.bias, **self._kwargs())

    def extra_repr(self) -> str:
        k, name = self.kernel_size, self.group.name
        return f"{self.in_fields}, {self.out_fields}, kernel_size={k}, group={name!r}"


class OrientationPool(Module):
    """Max (or mean) over each field's orientation channels (see :func:`orientation_pool`)."""

    def __init__(self, group: str | Group = "p4", mode: str = "max") -> None:
        if mode not in ("max", "mean"):
            raise ValueError(f"mode must be 'max' or 'mean', got {mode!r}")
        self.group = from_name(group)
        orientations(self.group)
        self.mode = mode

    def forward(self, x: Any) -> Any:
        return orientation_pool(x, self.group, self.mode)

    def extra_repr(self) -> str:
        return f"group={self.group.name!r}, mode={self.mode!r}"
