"""The spatial part of an action: how an element moves the entries over two grid axes.

Which code moves an array is looked up by the element's type in one explicit table
(:data:`SPATIAL_ACTIONS`): exact grid elements by index permutation, continuous elements by
:mod:`equicheck.actions.interpolation`. Extensions add their element types with
:func:`register_spatial`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..backends import Backend
from ..errors import EquicheckError, ShapeError
from ..groups import Element
from ..groups.continuous import ContinuousElement, UpsampleElement
from ..groups.grid import GridElement
from . import interpolation
from .kernels import apply_grid_element, erode, normalise_axis

__all__ = ["SPATIAL_ACTIONS", "Spatial", "SpatialImpl", "register_spatial"]

#: apply(element, x, axes, boundary, backend) -> the moved array
ApplyFn = Callable[[Any, Any, tuple[int, int], str, Backend], Any]
#: mask(element, grid, margin, boundary, backend) -> boolean (H, W) array, or None (all valid)
MaskFn = Callable[[Any, tuple[int, int], int, str, Backend], Any]


@dataclass(frozen=True)
class SpatialImpl:
    """How elements of one type move a grid, and (optionally) which entries stay comparable."""

    apply: ApplyFn
    mask: MaskFn | None = None


#: Element type -> its spatial implementation. Looked up along the element's class hierarchy.
SPATIAL_ACTIONS: dict[type, SpatialImpl] = {
    GridElement: SpatialImpl(apply_grid_element),
    ContinuousElement: SpatialImpl(interpolation.apply_continuous, interpolation.valid_mask),
    UpsampleElement: SpatialImpl(interpolation.apply_upsample, interpolation.valid_mask),
}


def register_spatial(element_type: type, apply: ApplyFn, mask: MaskFn | None = None) -> None:
    """Teach :class:`Spatial` to move arrays by elements of ``element_type`` (and, optionally,
    which entries stay comparable after the move: ``mask``)."""
    SPATIAL_ACTIONS[element_type] = SpatialImpl(apply, mask)


def _implementation(g: Element) -> SpatialImpl:
    for cls in type(g).__mro__:
        impl = SPATIAL_ACTIONS.get(cls)
        if impl is not None:
            return impl
    raise EquicheckError(f"no spatial action is known for elements like {g!r}")


class Spatial:
    """Moves entries over the grid axes ``axes`` (rows, columns).

    ``boundary`` is ``'wrap'`` (cyclic) or ``'zeros'`` (entries shifted in are zero); None
    takes the group's. ``stride`` divides shifts (a stride-s layer's output).
    """

    def __init__(self, axes: Sequence[int] = (-2, -1), stride: int = 1, boundary: str | None = None) -> None:
        axes = tuple(int(a) for a in axes)
        if len(axes) != 2 or axes[0] == axes[1]:
            raise ValueError(f"spatial axes must be two distinct axes, got {axes!r}")
        if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
            raise ValueError(f"stride must be a positive integer, got {stride!r}")
        if boundary not in (None, "wrap", "zeros"):
            raise ValueError(f"boundary must be 'wrap' or 'zeros', got {boundary!r}")
        self.axes = axes
        self.stride = stride
        self.boundary = boundary

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.axes != (-2, -1):
            out["axes"] = list(self.axes)
        if self.stride != 1:
            out["stride"] = self.stride
        if self.boundary is not None:
            out["boundary"] = self.boundary
        return out

    def grid_axes(self, ndim: int) -> tuple[int, int]:
        a, b = (normalise_axis(ax, ndim, "spatial") for ax in self.axes)
        if a == b:
            raise ShapeError(f"spatial axes {self.axes} name the same axis of a {ndim}-D array")
        return a, b

    def grid(self, shape: Sequence[int]) -> tuple[int, int]:
        a, b = self.grid_axes(len(shape))
        return int(shape[a]), int(shape[b])

    def map_element(self, g: Element) -> Element:
        """The homomorphism behind ``stride``: shifts divided by the stride."""
        if self.stride == 1:
            return g
        if isinstance(g, GridElement):
            if g.dy % self.stride or g.dx % self.stride:
                raise EquicheckError(
                    f"{g!r} is not a multiple of the stride {self.stride}: a stride-"
                    f"{self.stride} output moves only under shifts by multiples of "
                    f"{self.stride}; check with translation(step={self.stride})"
                )
            return GridElement(g.k, g.flipped, g.dy // self.stride, g.dx // self.stride)
        scaled = getattr(g, "divide_shift", None)
        if scaled is None:
            raise EquicheckError(f"stride {self.stride} is not defined for {g!r}")
        return scaled(self.stride)

    def apply(self, g: Element, x: Any, backend: Backend, boundary: str) -> Any:
        g = self.map_element(g)
        return _implementation(g).apply(g, x, self.grid_axes(x.ndim), boundary, backend)

    def valid_mask(
        self, g: Element, shape: Sequence[int], margin: int, boundary: str, backend: Backend
    ) -> Any:
        """Boolean (H, W) mask of the grid entries where ``f(g·x)`` and ``g·f(x)`` are comparable
        after this part moved them (None: all): the zero-filled region and ``margin`` excluded."""
        mapped = self.map_element(g)
        custom = _implementation(mapped).mask
        if custom is not None:  # interpolated elements
            return custom(mapped, self.grid(shape), margin, boundary, backend)
        zero_fill = boundary == "zeros"
        if not zero_fill and margin <= 0:
            return None
        xp = backend.xp
        h, w = self.grid(shape)
        ones = xp.ones((h, w), dtype=xp.float32)
        moved = _implementation(mapped).apply(mapped, ones, (0, 1), boundary, backend) if zero_fill else ones
        valid = moved > 0.5
        if margin > 0:
            valid = erode(xp, valid, margin)
        return valid
