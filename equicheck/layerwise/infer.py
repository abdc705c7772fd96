"""Which action a layer's output carries: declared, carried through, implied by the layer's
type, or inferred from the candidates that fit the output's shape.

Candidates for an output of shape (N, C, H, W): ``spatial`` (a trivial fiber; with
``stride=s`` when the grid is s times smaller than the model's input; through
:func:`upsampled` when it is f times larger: an upsampling layer moves its output by f·shift),
``regular`` on the
channel axis in both orientations and both layouts (when C is a multiple of the group's
orientations), and ``trivial`` (invariant). An output without a grid (N, C), or a 1×1 grid,
has ``trivial`` and ``regular(spatial=false)``. The expected action is the declared one, else
what the layer's type implies (a lifting or group convolution of equicheck.nn: regular),
else the input's action carried to the output's shape.

An action that fits where the expected one does not is an *explanation* when it is of
another kind (a lifting layer turns a spatial input into a regular output; pooling makes it
invariant) and a *break* when it is the expected kind done another way, or a regular action
rolled clockwise where the convention is counter-clockwise: an orientation axis that only fits
when rolled the other way is the bug, not the layer's contract.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from ..actions import Action, Field, Regular, from_name, via
from ..errors import EquicheckError, SpecError
from ..groups import Element, GridElement, Group

__all__ = [
    "DEFAULT_AXES",
    "candidates",
    "carried",
    "implied_by_type",
    "is_variant",
    "prepared",
    "stride_of",
    "upsampled",
    "upsampling_of",
]


#: The grid axes of channels-first arrays (N, C, H, W); a channels-last model's input action
#: names its own (``spatial(axes=(1, 2))``), and its outputs are read on those.
DEFAULT_AXES = (-2, -1)


def _grid(shape: Sequence[int], axes: tuple[int, int] = DEFAULT_AXES) -> tuple[int, int] | None:
    n = len(shape)
    if n < 3 or any(not -n <= a < n for a in axes):
        return None
    h, w = int(shape[axes[0]]), int(shape[axes[1]])
    return None if h == 1 and w == 1 else (h, w)


def _spatial_name(stride: int, axes: tuple[int, int]) -> str:
    params = [f"axes=[{axes[0]}, {axes[1]}]"] if tuple(axes) != DEFAULT_AXES else []
    params += [f"stride={stride}"] if stride > 1 else []
    return f"spatial({', '.join(params)})" if params else "spatial"


def stride_of(
    shape: Sequence[int], model_grid: tuple[int, int] | None, axes: tuple[int, int] = DEFAULT_AXES
) -> int:
    """How many times smaller the output's grid is than the model input's (1 when not a whole
    number, e.g. an upsampled or 'valid' output)."""
    grid = _grid(shape, axes)
    if grid is None or model_grid is None:
        return 1
    (h0, w0), (h, w) = model_grid, grid
    if h and w and h0 % h == 0 and w0 % w == 0 and h0 // h == w0 // w:
        return h0 // h
    return 1


def upsampling_of(
    shape: Sequence[int], model_grid: tuple[int, int] | None, axes: tuple[int, int] = DEFAULT_AXES
) -> int:
    """How many times larger the output's grid is than the model input's (1 when it is not
    larger by one whole factor on both axes)."""
    grid = _grid(shape, axes)
    if grid is None or model_grid is None:
        return 1
    (h0, w0), (h, w) = model_grid, grid
    if h > h0 and h % h0 == 0 and w % w0 == 0 and h // h0 == w // w0:
        return h // h0
    return 1


class _ShiftsTimes:
    """The homomorphism of an f-times upsampled grid: a shift by d moves it by f·d (turns and
    flips about the centre unchanged)."""

    def __init__(self, factor: int) -> None:
        self.factor = factor
        self.__name__ = f"shifts_times_{factor}"

    def __call__(self, g: Element) -> Element:
        if isinstance(g, GridElement):
            return GridElement(g.k, g.flipped, g.dy * self.factor, g.dx * self.factor)
        if not (getattr(g, "dy", 0) or getattr(g, "dx", 0)):
            return g
        try:  # a continuous element: its sub-pixel shift scaled the same way
            return dataclasses.replace(g, dy=g.dy * self.factor, dx=g.dx * self.factor)
        except TypeError:
            raise EquicheckError(f"{g!r} moves an upsampled grid by a shift that is not known") from None


def upsampled(name: str, factor: int) -> str | Action:
    """The action ``name`` on a grid ``factor`` times larger than the model's input."""
    if factor == 1 or name == "trivial" or "spatial=false" in name:
        return name
    return via(name, _ShiftsTimes(factor))


def prepared(name: str | Action, group: Group, shape: Sequence[int]) -> Action | None:
    """The action bound to ``group`` for arrays of ``shape``, or None when it cannot act there."""
    try:
        action = from_name(name)
        return action.prepare(group, tuple(shape))
    except SpecError:
        # a strided output under a group with shifts by 1: bind it anyway; the shifts that are
        # not multiples of the stride cannot move it (their comparisons are left out)
        spatial = action.spatial
        if spatial is None or spatial.stride == 1 or not isinstance(action, Field):
            return None
        try:
            fiber = action.fiber.prepare(group) if action.fiber is not None else None
            if fiber is not None:
                fiber.check_shape(tuple(shape))
        except (EquicheckError, ValueError):
            return None
        return Field(spatial, fiber, group)
    except (EquicheckError, ValueError):
        return None


def _orientations(group: Group) -> int:
    return len(group.point_elements or ())


def _regular_names(shape: Sequence[int], group: Group, spatial: bool, stride: int) -> list[str]:
    p = _orientations(group)
    if p < 2 or len(shape) < 2 or int(shape[1]) % p:
        return []
    extra = "" if spatial else ", spatial=false"
    extra += f", stride={stride}" if spatial and stride > 1 else ""
    return [
        f"regular(axis=1{extra})",
        f"regular(axis=1, orientation=cw{extra})",
        f"regular(axis=1, layout=orientation{extra})",
        f"regular(axis=1, layout=orientation, orientation=cw{extra})",
    ]


def candidates(
    shape: Sequence[int],
    group: Group,
    model_grid: tuple[int, int] | None,
    axes: tuple[int, int] = DEFAULT_AXES,
) -> list[str | Action]:
    """The actions (names, or upsampled ones) that fit an output of ``shape`` (module docstring);
    orientation channels on axis 1 only for channels-first grids."""
    first = tuple(axes) == DEFAULT_AXES
    if _grid(shape, axes) is None:
        return ["trivial", *(_regular_names(shape, group, False, 1) if first else [])]
    s = stride_of(shape, model_grid, axes)
    up = upsampling_of(shape, model_grid, axes)
    regular = _regular_names(shape, group, True, s) if first else []
    return [upsampled(n, up) for n in [_spatial_name(s, axes), *regular]] + ["trivial"]


def _same_fiber_name(
    action: Action, shape: Sequence[int], group: Group, grid: bool, stride: int, axes: tuple[int, int]
) -> str:
    fiber = action.fiber
    first = tuple(axes) == DEFAULT_AXES
    if first and isinstance(fiber, Regular) and len(shape) >= 2 and _orientations(group) >= 2:
        if int(shape[1]) % _orientations(group) == 0:
            params = ["axis=1"]
            if fiber.layout != "field":
                params.append(f"layout={fiber.layout}")
            if fiber.orientation != "ccw":
                params.append(f"orientation={fiber.orientation}")
            if not grid:
                params.append("spatial=false")
            elif stride > 1:
                params.append(f"stride={stride}")
            return f"regular({', '.join(params)})"
    if not grid:
        return "trivial"
    return _spatial_name(stride, axes)


def carried(
    in_action: Action,
    in_shape: Sequence[int],
    shape: Sequence[int],
    model_grid: tuple[int, int] | None,
    group: Group,
    axes: tuple[int, int] = DEFAULT_AXES,
) -> str | Action:
    """The input's action carried to an output of ``shape``: the same fiber where the channels
    allow it, the grid's stride updated; no grid left: trivial (or regular without a grid)."""
    grid = _grid(shape, axes) is not None
    if in_action.spatial is None and in_action.fiber is None:
        return "trivial"
    if not grid and in_action.spatial is not None and isinstance(in_action.fiber, Regular):
        if len(in_shape) >= 2 and len(shape) >= 2 and in_shape[1] != shape[1]:
            return "trivial"
    name = _same_fiber_name(in_action, shape, group, grid, stride_of(shape, model_grid, axes), axes)
    return upsampled(name, upsampling_of(shape, model_grid, axes))


def implied_by_type(
    layer: Any, shape: Sequence[int], group: Group, model_grid: tuple[int, int] | None
) -> str | Action | None:
    """What equicheck.nn's own layer types promise for their outputs (None: nothing known)."""
    from ..nn import GroupConv2d, LiftingConv2d, OrientationPool

    s, up = stride_of(shape, model_grid), upsampling_of(shape, model_grid)
    if isinstance(layer, (LiftingConv2d, GroupConv2d)):
        return upsampled("regular(axis=1)" if s == 1 else f"regular(axis=1, stride={s})", up)
    if isinstance(layer, OrientationPool):
        return upsampled("spatial" if s == 1 else f"spatial(stride={s})", up)
    return None


def is_variant(found: Action, expected: Action) -> bool:
    """Whether ``found`` is the expected regular action done another way (rolled the other
    way round, or the other layout), or a clockwise regular action where the convention is
    counter-clockwise: a break at the layer, not an explanation."""
    fiber = found.fiber
    if not isinstance(fiber, Regular):
        return False
    want = expected.fiber
    if isinstance(want, Regular):
        return (fiber.orientation, fiber.layout) != (want.orientation, want.layout)
    return fiber.orientation == "cw"
