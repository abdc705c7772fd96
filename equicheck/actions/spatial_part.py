"""The spatial part of an action: how an element moves the entries over 1, 2 or 3 grid axes.

Which code moves an array is looked up by the element's type in one explicit table
(:data:`SPATIAL_ACTIONS`): exact grid elements by index permutation, continuous elements by
:mod:`equicheck.actions.interpolation`. Extensions add their element types with
:func:`register_spatial`. A spatial part moves the last ``dims`` axes of the group it is bound
to (:meth:`Spatial.on_dims`) unless ``axes=`` names others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..backends import Backend
from ..errors import EquicheckError, ShapeError
from ..groups import Element, Group
from ..groups.continuous import ContinuousElement, UpsampleElement
from ..groups.grid import GridElement
from ..groups.lattice import SignalElement, VolumeElement, element_dims, index_matrix, index_shift
from ..groups.rotations import Rotation
from . import interpolation
from .kernels import apply_grid_element, apply_lattice, erode, normalise_axis

__all__ = ["SPATIAL_ACTIONS", "Spatial", "SpatialImpl", "default_axes", "register_spatial"]

#: apply(element, x, axes, boundary, backend) -> the moved array (``spacing=`` passed when set)
ApplyFn = Callable[..., Any]
#: mask(element, grid, margin, boundary, backend) -> boolean grid array, or None (all valid)
MaskFn = Callable[..., Any]


def default_axes(dims: int) -> tuple[int, ...]:
    """The last ``dims`` axes: ``(-1,)``, ``(-2, -1)``, ``(-3, -2, -1)``."""
    return tuple(range(-dims, 0))


def apply_affine(
    g: Element, x: Any, axes: tuple[int, ...], boundary: str, backend: Backend, spacing: Any = None
) -> Any:
    """An element ``p ↦ c + s·M·(p - c) + t`` of any grid (continuous 2-D elements, 1-D and 3-D
    elements, Rotations): an index permutation when it acts exactly on this grid (every pair
    of axes it exchanges equal in size and spacing), else interpolated."""
    if not interpolation.acts_exactly(g, tuple(int(x.shape[a]) for a in axes), spacing):
        return interpolation.apply_resampled(g, x, axes, boundary, backend, spacing=spacing)
    return apply_lattice(index_matrix(g), index_shift(g), x, axes, boundary, backend)


def exact_mask(g: Element, grid: tuple[int, ...], margin: int, boundary: str, backend: Backend) -> Any:
    """The entries an exact element keeps comparable: all but the zero-filled region (on
    ``'zeros'``) and ``margin`` entries from the border; None when that is every entry."""
    zero_fill = boundary == "zeros"
    unshifted = isinstance(g, Rotation) or (hasattr(g, "shift") and not any(g.shift))
    if margin <= 0 and (not zero_fill or unshifted):  # a turn or flip about the centre fills nothing
        return None
    xp = backend.xp
    ones = xp.ones(grid, dtype=xp.float32)
    here = tuple(range(len(grid)))
    moved = _implementation(g).apply(g, ones, here, boundary, backend) if zero_fill else ones
    valid = moved > 0.5
    return erode(xp, valid, margin) if margin > 0 else valid


def affine_mask(
    g: Element, grid: tuple[int, ...], margin: int, boundary: str, backend: Backend, spacing: Any = None
) -> Any:
    """The valid mask of an element moved by :func:`apply_affine`: as any exact element's, or
    the interpolated one's."""
    if interpolation.acts_exactly(g, grid, spacing):
        return exact_mask(g, grid, margin, boundary, backend)
    return interpolation.resampled_mask(g, grid, margin, boundary, backend, spacing=spacing)


@dataclass(frozen=True)
class SpatialImpl:
    """How elements of one type move a grid, and (optionally) which entries stay comparable.
    ``takes_spacing``: ``apply`` and ``mask`` take ``spacing=`` (they resample in physical
    units); the others are index permutations, for which the spatial part checks the spacing
    (:meth:`Spatial.check_group`)."""

    apply: ApplyFn
    mask: MaskFn | None = None
    takes_spacing: bool = False


#: Element type -> its spatial implementation. Looked up along the element's class hierarchy.
SPATIAL_ACTIONS: dict[type, SpatialImpl] = {
    GridElement: SpatialImpl(apply_grid_element),
    UpsampleElement: SpatialImpl(interpolation.apply_upsample, interpolation.upsample_mask),
    ContinuousElement: SpatialImpl(apply_affine, affine_mask, takes_spacing=True),
    SignalElement: SpatialImpl(apply_affine, affine_mask, takes_spacing=True),
    VolumeElement: SpatialImpl(apply_affine, affine_mask, takes_spacing=True),
    Rotation: SpatialImpl(apply_affine, affine_mask, takes_spacing=True),
}


def register_spatial(
    element_type: type, apply: ApplyFn, mask: MaskFn | None = None, takes_spacing: bool = False
) -> None:
    """Teach :class:`Spatial` to move arrays by elements of ``element_type`` (and, optionally,
    which entries stay comparable after the move: ``mask``; ``takes_spacing``: both take
    ``spacing=``)."""
    SPATIAL_ACTIONS[element_type] = SpatialImpl(apply, mask, takes_spacing)


def _implementation(g: Element) -> SpatialImpl:
    for cls in type(g).__mro__:
        impl = SPATIAL_ACTIONS.get(cls)
        if impl is not None:
            return impl
    raise EquicheckError(f"no spatial action is known for elements like {g!r}")


class Spatial:
    """Moves entries over the grid axes ``axes`` (1, 2 or 3 of them, in the order of the
    group's coordinates; None: the last ``dims`` axes of the group it is bound to).

    ``boundary`` is ``'wrap'`` (cyclic) or ``'zeros'`` (entries shifted in are zero); None
    takes the group's. ``stride`` divides shifts (a stride-s layer's output). ``spacing`` is
    the physical size of a step along each grid axis (anisotropic voxels): exact turns may
    only exchange axes of equal spacing; interpolated elements resample in physical units.
    """

    def __init__(
        self,
        axes: Sequence[int] | None = None,
        stride: int = 1,
        boundary: str | None = None,
        spacing: Sequence[float] | None = None,
        dims: int | None = None,
    ) -> None:
        if axes is not None:
            axes = tuple(int(a) for a in axes)
            if not 1 <= len(axes) <= 3 or len(set(axes)) != len(axes):
                raise ValueError(f"spatial axes must be 1 to 3 distinct axes, got {axes!r}")
        if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
            raise ValueError(f"stride must be a positive integer, got {stride!r}")
        if boundary not in (None, "wrap", "zeros"):
            raise ValueError(f"boundary must be 'wrap' or 'zeros', got {boundary!r}")
        if spacing is not None:
            spacing = tuple(float(v) for v in spacing)
            if not spacing or not all(np.isfinite(v) and v > 0 for v in spacing):
                raise ValueError(
                    f"spacing must be positive finite numbers, one per grid axis, got {spacing!r}"
                )
        self.requested_axes = axes
        self.dims = (
            dims
            if dims is not None
            else (len(axes) if axes is not None else (len(spacing) if spacing else 2))
        )
        self.stride = stride
        self.boundary = boundary
        self.spacing = spacing
        if axes is not None and len(axes) != self.dims:
            raise ShapeError(
                f"the spatial action moves {len(axes)} axes {axes}, but the group acts on "
                f"{self.dims}-D grids: give {self.dims} ax{'is' if self.dims == 1 else 'es'} "
                f"(e.g. axes={default_axes(self.dims)})"
            )
        if spacing is not None and len(spacing) != self.dims:
            raise ShapeError(
                f"spacing= gives {len(spacing)} values, but the grid has {self.dims} axes: give one "
                "spacing per grid axis, in the order of the axes"
            )

    @property
    def axes(self) -> tuple[int, ...]:
        return self.requested_axes if self.requested_axes is not None else default_axes(self.dims)

    def on_dims(self, dims: int) -> Spatial:
        """This part bound to a group acting on ``dims`` grid axes (ShapeError if it cannot)."""
        if dims == self.dims:
            return self
        return Spatial(self.requested_axes, self.stride, self.boundary, self.spacing, dims)

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.requested_axes is not None and self.requested_axes != default_axes(self.dims):
            out["axes"] = list(self.requested_axes)
        if self.stride != 1:
            out["stride"] = self.stride
        if self.boundary is not None:
            out["boundary"] = self.boundary
        if self.spacing is not None:
            out["spacing"] = list(self.spacing)
        return out

    def grid_axes(self, ndim: int) -> tuple[int, ...]:
        if ndim < len(self.axes):
            raise ShapeError(
                f"the spatial action moves {len(self.axes)} grid axes {self.axes} (the group acts on "
                f"{self.dims}-D grids), but the array has only {ndim} axes: give an input with the "
                f"grid on its last {len(self.axes)} axes, or name the grid's axes with axes="
            )
        found = tuple(normalise_axis(ax, ndim, "spatial") for ax in self.axes)
        if len(set(found)) != len(found):
            raise ShapeError(f"spatial axes {self.axes} name the same axis of a {ndim}-D array")
        return found

    def grid(self, shape: Sequence[int]) -> tuple[int, ...]:
        if len(shape) < len(self.axes):
            raise ShapeError(
                f"the spatial action moves {len(self.axes)} grid axes {self.axes} (the group acts on "
                f"{self.dims}-D grids), but the array has only {len(shape)} axes (shape {tuple(shape)})"
            )
        return tuple(int(shape[a]) for a in self.grid_axes(len(shape)))

    def check_group(self, group: Group) -> None:
        """ShapeError when an element of an exact ``group`` would exchange axes of unequal spacing
        (interpolated groups resample such turns in physical units instead)."""
        if self.spacing is None or len(set(self.spacing)) == 1 or not group.exact:
            return
        for p in group.point_elements or ():
            if element_dims(p) != self.dims:
                continue
            m = np.abs(np.asarray(index_matrix(p)))
            for j in range(self.dims):
                i = int(np.argmax(m[j]))
                if m[j, i] > 0.5 and self.spacing[i] != self.spacing[j]:
                    raise ShapeError(
                        f"{group.name} contains {p!r}, which exchanges grid axes {i} and {j} of unequal "
                        f"spacing {self.spacing[i]} and {self.spacing[j]}: an exact turn would stretch "
                        "the data. Resample to isotropic voxels first, or use a group that does not "
                        "exchange those axes (e.g. 'flips(dims=3)' or 'translation(dims=3)')"
                    )

    def moves_exactly(self, g: Element, grid: tuple[int, ...]) -> bool:
        """Whether ``g`` moves this grid by an index permutation (not resampled)."""
        if element_dims(g) is None:
            return bool(g.exact)
        return interpolation.acts_exactly(self.map_element(g), grid, self.spacing)

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
        if isinstance(g, Rotation):
            return g
        scaled = getattr(g, "divide_shift", None)
        if scaled is None:
            raise EquicheckError(f"stride {self.stride} is not defined for {g!r}")
        if g.exact and any(float(v) % self.stride for v in index_shift(g)):
            raise EquicheckError(
                f"{g!r} is not a multiple of the stride {self.stride}: a stride-{self.stride} output "
                f"moves only under shifts by multiples of {self.stride}; check with a group of "
                f"step={self.stride}"
            )
        return scaled(self.stride)

    def _spacing(self, impl: SpatialImpl) -> dict[str, Any]:
        """``spacing=`` for implementations that resample in physical units."""
        return {"spacing": self.spacing} if impl.takes_spacing and self.spacing is not None else {}

    def _checked(self, g: Element) -> None:
        dims = element_dims(g)
        if dims is not None and dims != self.dims and not isinstance(g, UpsampleElement):
            raise ShapeError(
                f"{g!r} moves a {dims}-D grid, but this spatial action moves {self.dims} axes "
                f"{self.axes}; use a group of {self.dims}-D grids or name {dims} axes with axes="
            )

    def apply(self, g: Element, x: Any, backend: Backend, boundary: str) -> Any:
        g = self.map_element(g)
        dims = element_dims(g)
        # an unbound part (spatial().apply(g, x) outside a check) takes the element's grid
        here = self.on_dims(dims) if dims not in (None, self.dims) and self.requested_axes is None else self
        here._checked(g)
        impl = _implementation(g)
        return impl.apply(g, x, here.grid_axes(x.ndim), boundary, backend, **self._spacing(impl))

    def valid_mask(
        self, g: Element, shape: Sequence[int], margin: int, boundary: str, backend: Backend
    ) -> Any:
        """Boolean grid mask of the entries where ``f(g·x)`` and ``g·f(x)`` are comparable
        after this part moved them (None: all): the zero-filled region and ``margin`` excluded."""
        mapped = self.map_element(g)
        impl = _implementation(mapped)
        if impl.mask is not None:
            return impl.mask(mapped, self.grid(shape), margin, boundary, backend, **self._spacing(impl))
        return exact_mask(mapped, self.grid(shape), margin, boundary, backend)
