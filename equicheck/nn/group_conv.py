"""Group convolutions for p4 and p4m (Cohen & Welling 2016) and for the cube groups p432 and
pm3m (their 3-D analogues: 24 rotations, or 48 symmetries with reflections), as ordinary
convolutions with expanded filters.

Feature maps use the layout of :func:`equicheck.actions.regular`: channel
``field·|P| + j`` holds orientation ``h_j`` of the point group P (``group.point_elements``:
``rot90(k=j)`` for C4; ``rot90(k=j % 4) * flip('x')**(j // 4)`` for D4; the cube's rotations,
identity first, for cube24 and, for cube48, those then each times the inversion), and an
element g moves the channel of h to that of g·h while turning the grid. The orientation
list and the permutation of it are taken from that action itself, so the two can never
disagree.

* lifting: ``out[f, j] = x ⋆ (h_j · w[f])`` (the filter turned by h_j);
* group: ``out[f, j] = Σ_{c,l} x[c, l] ⋆ (h_j · w[f, c, index(h_j⁻¹ h_l)])``.

Both are then one :func:`conv2d` / :func:`conv3d` call (any algorithm, padding mode, stride,
dilation). Equivariance is exact for odd square (cubic) kernels with 'same'-size output on
square (cubic) grids (circular padding: everywhere; zero padding: away from the border).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..actions import Regular, Spatial
from ..actions.kernels import apply_lattice
from ..backends import Backend, get_backend
from ..errors import ShapeError
from ..groups import GridElement, Group, from_name
from ..groups.lattice import index_matrix
from ..groups.rotations import Rotation
from ._args import float_dtype, ntuple, require_grid, resolve
from .conv import ALGORITHMS, conv2d, conv3d
from .init import Seed, as_generator, uniform_fan_in
from .module import Module
from .padding import check_mode

__all__ = [
    "GroupConv2d",
    "GroupConv3d",
    "LiftingConv2d",
    "LiftingConv3d",
    "OrientationPool",
    "expand_group_weight",
    "expand_lifting_weight",
    "group_conv2d",
    "group_conv3d",
    "lifting_conv2d",
    "lifting_conv3d",
    "orientation_pool",
    "orientations",
]

#: What an orientation of a group on a grid of 2 or 3 axes is.
_ORIENTATION_TYPES = {2: GridElement, 3: Rotation}
_EXAMPLES = {2: "'p4' or 'p4m'", 3: "'p432' / 'cube24' or 'pm3m' / 'cube48'"}


def orientations(group: str | Group) -> tuple[Any, ...]:
    """The point-group elements h_0, h_1, ... in channel order (4 for p4/c4, 8 for p4m/d4,
    24 for p432/cube24, 48 for pm3m/cube48)."""
    g = from_name(group)
    dims = getattr(g, "dims", 2)
    kind = _ORIENTATION_TYPES.get(dims)
    point = g.point_elements
    if kind is None or not point or len(point) < 2 or not all(isinstance(e, kind) for e in point):
        raise ValueError(
            f"group convolutions need a grid group with orientations such as {_EXAMPLES[2]} (2-D) or "
            f"{_EXAMPLES[3]} (3-D), got {g.name}"
        )
    elems = Regular().prepare(g).elements
    assert elems is not None
    return tuple(elems)


def _orientations_on(group: str | Group, dims: int, what: str) -> tuple[Any, ...]:
    """:func:`orientations`, checked to be those of a group on grids of ``dims`` axes."""
    g = from_name(group)
    hs = orientations(g)
    if getattr(g, "dims", 2) != dims:
        other = {2: "3", 3: "2"}[dims]
        raise ValueError(
            f"{what} needs a group on {dims}-D grids such as {_EXAMPLES[dims]}; {g.name} acts on "
            f"{getattr(g, 'dims', 2)}-D grids (use the {other}d version)"
        )
    return hs


def _turn(h: Any, w: Any, backend: Backend) -> Any:
    """The filter moved by h over its last 2 or 3 axes (the index permutation the actions use)."""
    if isinstance(h, GridElement):
        return Spatial().apply(h, w, backend, "wrap")
    axes = tuple(range(w.ndim - 3, w.ndim))
    return apply_lattice(index_matrix(h), (0, 0, 0), w, axes, "wrap", backend)


def _cubic(weight: Any, dims: int) -> None:
    sides = tuple(int(s) for s in weight.shape[-dims:])
    if len(set(sides)) != 1:
        shape = "square" if dims == 2 else "cubic"
        turns = "quarter turns" if dims == 2 else "the cube's rotations"
        raise ShapeError(
            f"group convolutions turn their filters by {turns}, which needs {shape} kernels; "
            f"got {'x'.join(map(str, sides))}"
        )


def _group_dims(group: str | Group) -> int:
    return int(getattr(from_name(group), "dims", 2))


def expand_lifting_weight(weight: Any, group: str | Group = "p4") -> Any:
    """(F, C, k, k) filters -> (F·|P|, C, k, k): filter f turned by each orientation h_j
    ((F, C, k, k, k) -> (F·|P|, C, k, k, k) for a cube group)."""
    backend, xp = resolve(weight)
    group = from_name(group)
    dims = _group_dims(group)
    hs = _orientations_on(group, dims, "expand_lifting_weight")
    if getattr(weight, "ndim", None) != dims + 2:
        sides = ", ".join(["k"] * dims)
        raise ShapeError(
            f"lifting weight must have shape (out_fields, in_channels, {sides}), "
            f"got {getattr(weight, 'shape', None)}"
        )
    _cubic(weight, dims)
    f, c, k = (int(s) for s in weight.shape[:3])
    turn, _ = _gather(hs, k, dims)
    p, taps = turn.shape
    flat = xp.take(xp.reshape(weight, (f, c, taps)), xp.asarray(turn.reshape(-1)), axis=2)  # (F, C, P·taps)
    turned = xp.permute_dims(xp.reshape(flat, (f, c, p, taps)), (0, 2, 1, 3))
    return xp.reshape(turned, (f * p, c, *(k,) * dims))


def expand_group_weight(weight: Any, group: str | Group = "p4") -> Any:
    """(F, C, |P|, k, k) filters on the group -> (F·|P|, C·|P|, k, k) plain conv filters
    ((F, C, |P|, k, k, k) -> (F·|P|, C·|P|, k, k, k) for a cube group)."""
    backend, xp = resolve(weight)
    group = from_name(group)
    dims = _group_dims(group)
    hs = _orientations_on(group, dims, "expand_group_weight")
    p = len(hs)
    if getattr(weight, "ndim", None) != dims + 3 or int(weight.shape[2]) != p:
        sides = ", ".join(["k"] * dims)
        raise ShapeError(
            f"group-conv weight must have shape (out_fields, in_fields, {p}, {sides}) for {p} "
            f"orientations, got {getattr(weight, 'shape', None)}"
        )
    _cubic(weight, dims)
    f, c, _, k = (int(s) for s in weight.shape[:4])
    _, table = _gather(hs, k, dims)
    taps = k**dims
    flat = xp.take(xp.reshape(weight, (f, c, p * taps)), xp.asarray(table.reshape(-1)), axis=2)
    moved = xp.permute_dims(xp.reshape(flat, (f, c, p, p, taps)), (0, 2, 1, 3, 4))  # (F, P, C, P, taps)
    return xp.reshape(moved, (f * p, c * p, *(k,) * dims))


@functools.lru_cache(maxsize=32)
def _gather(elements: tuple[Any, ...], size: int, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat gather indices that expand filters of ``size`` taps per axis (cached: computing
    48 × 48 products of rotations costs more than a small convolution).

    ``turn[j, t]``: the entry of the base filter that the filter turned by h_j holds at tap t
    (the index permutation the spatial action applies, applied to the tap numbers).
    ``group[j, l, t] = src_j[l]·size^dims + turn[j, t]``: the same for a filter on the group,
    whose orientation axis the regular action permutes (out[l] = in[src_j[l]],
    src_j[l] = index(h_j⁻¹ h_l)).
    """
    host = get_backend("numpy")
    numbers = np.arange(size**dims).reshape((size,) * dims)
    turn = np.stack([np.asarray(_turn(h, numbers, host)).reshape(-1) for h in elements])
    action = Regular(elements=elements)
    src = np.asarray([action.permutation(h) for h in elements], dtype=np.int64)
    group = src[:, :, None] * size**dims + turn[:, None, :]
    return turn.astype(np.int64), group


def _expand_bias(xp: Any, bias: Any, p: int) -> Any:
    if bias is None:
        return None
    return xp.reshape(xp.stack([bias] * p, axis=1), (-1,))


def _check_bias(bias: Any, weight: Any) -> None:
    shape = None if bias is None else tuple(getattr(bias, "shape", np.shape(bias)))
    if shape is not None and shape != (int(weight.shape[0]),):
        raise ShapeError(f"bias must have shape ({weight.shape[0]},), one per output field, got {shape}")


_CONV = {2: conv2d, 3: conv3d}


def _lifting(
    x: Any, weight: Any, bias: Any, group: Any, conv_args: tuple[Any, ...], algorithm: str, dims: int
) -> Any:
    backend, xp = resolve(x, weight, bias)
    what = f"lifting_conv{dims}d"
    require_grid(x, dims, what)
    group = from_name(group)
    p = len(_orientations_on(group, dims, what))
    _check_bias(bias, weight)
    stride, padding, dilation, padding_mode = conv_args
    return _CONV[dims](
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


def _group(
    x: Any, weight: Any, bias: Any, group: Any, conv_args: tuple[Any, ...], algorithm: str, dims: int
) -> Any:
    backend, xp = resolve(x, weight, bias)
    what = f"group_conv{dims}d"
    require_grid(x, dims, what)
    group = from_name(group)
    p = len(_orientations_on(group, dims, what))
    if getattr(weight, "ndim", None) == dims + 3 and int(x.shape[1]) != int(weight.shape[1]) * p:
        raise ShapeError(
            f"{what}: the weight expects {int(weight.shape[1])} input fields × {p} orientations "
            f"= {int(weight.shape[1]) * p} channels, but the input has {int(x.shape[1])}"
        )
    _check_bias(bias, weight)
    stride, padding, dilation, padding_mode = conv_args
    return _CONV[dims](
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
    return _lifting(x, weight, bias, group, (stride, padding, dilation, padding_mode), algorithm, 2)


def lifting_conv3d(
    x: Any,
    weight: Any,
    bias: Any = None,
    group: str | Group = "p432",
    stride: int | tuple[int, int, int] = 1,
    padding: int | tuple[int, int, int] | str = 0,
    dilation: int | tuple[int, int, int] = 1,
    padding_mode: str = "zeros",
    *,
    algorithm: str = "auto",
) -> Any:
    """Volume (N, C, D, H, W) -> cube-group features (N, F·|P|, Do, Ho, Wo) in the regular
    layout (|P| = 24 for p432 / cube24, 48 for pm3m / cube48).

    weight: (F, C, k, k, k); bias: (F,) shared by a field's orientations. Other arguments as
    :func:`conv3d`.
    """
    return _lifting(x, weight, bias, group, (stride, padding, dilation, padding_mode), algorithm, 3)


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
    return _group(x, weight, bias, group, (stride, padding, dilation, padding_mode), algorithm, 2)


def group_conv3d(
    x: Any,
    weight: Any,
    bias: Any = None,
    group: str | Group = "p432",
    stride: int | tuple[int, int, int] = 1,
    padding: int | tuple[int, int, int] | str = 0,
    dilation: int | tuple[int, int, int] = 1,
    padding_mode: str = "zeros",
    *,
    algorithm: str = "auto",
) -> Any:
    """Cube-group features (N, C·|P|, D, H, W) -> (N, F·|P|, Do, Ho, Wo), both in the regular
    layout.

    weight: (F, C, |P|, k, k, k); bias: (F,). Other arguments as :func:`conv3d`.
    """
    return _group(x, weight, bias, group, (stride, padding, dilation, padding_mode), algorithm, 3)


def orientation_pool(x: Any, group: str | Group = "p4", mode: str = "max") -> Any:
    """(N, F·|P|, *grid) -> (N, F, *grid): max or mean over each field's orientations, which
    leaves features that only move with the grid (invariant fibers)."""
    backend, xp = resolve(x)
    group = from_name(group)
    dims = _group_dims(group)
    p = len(orientations(group))
    require_grid(x, dims, "orientation_pool")
    float_dtype(xp, x)
    n, c = int(x.shape[0]), int(x.shape[1])
    if c % p:
        raise ShapeError(
            f"orientation_pool: {c} channels is not a whole number of fields of {p} orientations"
        )
    if mode not in ("max", "mean"):
        raise ValueError(f"mode must be 'max' or 'mean', got {mode!r}")
    fields = xp.reshape(x, (n, c // p, p, *x.shape[2:]))
    return xp.max(fields, axis=2) if mode == "max" else xp.mean(fields, axis=2)


class _GroupConvBase(Module):
    param_names = ("weight", "bias")
    dims = 2
    default_group = "p4"

    def _setup(
        self,
        group: str | Group,
        kernel_size: int | tuple[int, ...],
        stride: Any,
        padding: Any,
        dilation: Any,
        padding_mode: str,
        algorithm: str,
    ) -> None:
        d = self.dims
        self.group = from_name(group)
        self.orientations = _orientations_on(self.group, d, type(self).__name__)
        k = ntuple(kernel_size, "kernel_size", d)
        if len(set(k)) != 1:
            shape = "square" if d == 2 else "cubic"
            raise ValueError(f"group convolutions need a {shape} kernel, got kernel_size={kernel_size!r}")
        self.kernel_size = k[0]
        self.stride = ntuple(stride, "stride", d)
        self.padding = padding if isinstance(padding, str) else ntuple(padding, "padding", d, minimum=0)
        self.dilation = ntuple(dilation, "dilation", d)
        self.padding_mode = check_mode(padding_mode)
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
        self.algorithm = algorithm

    def _conv_args(self) -> tuple[Any, ...]:
        return (self.stride, self.padding, self.dilation, self.padding_mode)

    def _init(
        self, shape: tuple[int, ...], fan_in: int, bias: bool, seed: Seed, dtype: Any, backend: Any
    ) -> None:
        rng = as_generator(seed)
        target = get_backend(backend)
        self.weight = target.asarray(uniform_fan_in(rng, shape, fan_in, dtype))
        self.bias = target.asarray(uniform_fan_in(rng, (shape[0],), fan_in, dtype)) if bias else None


class _Lifting(_GroupConvBase):
    def __init__(
        self,
        in_channels: int,
        out_fields: int,
        kernel_size: int | tuple[int, ...],
        group: str | Group | None = None,
        stride: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] | str = 0,
        dilation: int | tuple[int, ...] = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        seed: Seed = None,
        dtype: Any = np.float32,
        backend: str | Backend | None = None,
        algorithm: str = "auto",
    ) -> None:
        group = self.default_group if group is None else group
        self._setup(group, kernel_size, stride, padding, dilation, padding_mode, algorithm)
        self.in_channels, self.out_fields = int(in_channels), int(out_fields)
        kernel = (self.kernel_size,) * self.dims
        fan_in = in_channels * self.kernel_size**self.dims
        self._init((out_fields, in_channels, *kernel), fan_in, bias, seed, dtype, backend)

    @property
    def out_channels(self) -> int:
        return self.out_fields * len(self.orientations)

    def forward(self, x: Any) -> Any:
        return _lifting(x, self.weight, self.bias, self.group, self._conv_args(), self.algorithm, self.dims)

    def extra_repr(self) -> str:
        k, name = self.kernel_size, self.group.name
        return f"{self.in_channels}, {self.out_fields}, kernel_size={k}, group={name!r}"


class _Group(_GroupConvBase):
    def __init__(
        self,
        in_fields: int,
        out_fields: int,
        kernel_size: int | tuple[int, ...],
        group: str | Group | None = None,
        stride: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] | str = 0,
        dilation: int | tuple[int, ...] = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        seed: Seed = None,
        dtype: Any = np.float32,
        backend: str | Backend | None = None,
        algorithm: str = "auto",
    ) -> None:
        group = self.default_group if group is None else group
        self._setup(group, kernel_size, stride, padding, dilation, padding_mode, algorithm)
        self.in_fields, self.out_fields = int(in_fields), int(out_fields)
        p = len(self.orientations)
        kernel = (self.kernel_size,) * self.dims
        fan_in = in_fields * p * self.kernel_size**self.dims
        self._init((out_fields, in_fields, p, *kernel), fan_in, bias, seed, dtype, backend)

    def forward(self, x: Any) -> Any:
        return _group(x, self.weight, self.bias, self.group, self._conv_args(), self.algorithm, self.dims)

    def extra_repr(self) -> str:
        k, name = self.kernel_size, self.group.name
        return f"{self.in_fields}, {self.out_fields}, kernel_size={k}, group={name!r}"


class LiftingConv2d(_Lifting):
    """Image -> p4/p4m features: ``in_channels`` image channels to ``out_fields`` fields of
    |P| orientation channels each (weight (out_fields, in_channels, k, k))."""

    dims = 2
    default_group = "p4"


class GroupConv2d(_Group):
    """p4/p4m features -> p4/p4m features: ``in_fields`` to ``out_fields`` fields
    (weight (out_fields, in_fields, |P|, k, k))."""

    dims = 2
    default_group = "p4"


class LiftingConv3d(_Lifting):
    """Volume -> cube-group features (p432: 24 orientations, pm3m: 48): ``in_channels`` to
    ``out_fields`` fields of |P| orientation channels each (weight (out_fields, in_channels,
    k, k, k))."""

    dims = 3
    default_group = "p432"


class GroupConv3d(_Group):
    """Cube-group features -> cube-group features: ``in_fields`` to ``out_fields`` fields
    (weight (out_fields, in_fields, |P|, k, k, k))."""

    dims = 3
    default_group = "p432"


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
