"""Fiber parts of actions: how an element mixes the entries of one channel axis.

``Regular`` permutes orientation channels by the group law, ``Vector`` turns pairs of
channels with the grid, ``Matrix`` applies a user representation ρ(g).
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..backends import Backend
from ..errors import EquicheckError, ShapeError
from ..groups import Element, Group
from ..groups.grid import GridElement
from ..groups.lattice import element_dims, index_matrix
from .irreps import Irreps
from .kernels import apply_linear, normalise_axis

__all__ = ["Fiber", "IrrepsField", "Matrix", "Regular", "Vector"]


class Fiber(ABC):
    """Mixes the entries of one channel axis according to the element's point part."""

    name: str = "fiber"

    def __init__(self, axis: int | None = None) -> None:
        if axis is not None and (isinstance(axis, bool) or not isinstance(axis, int)):
            raise ValueError(f"axis must be an integer, got {axis!r}")
        self.requested_axis = axis
        self.dims = 2

    @property
    def axis(self) -> int:
        """The channel axis: as given, else the one before the grid axes (-3 in 2-D, -4 in 3-D)."""
        return self.requested_axis if self.requested_axis is not None else -(self.dims + 1)

    def on_dims(self, dims: int) -> Fiber:
        """A copy for a group acting on ``dims`` grid axes (the default axis moves with them)."""
        if dims == self.dims:
            return self
        out = copy.copy(self)
        out.dims = dims
        return out

    def params(self) -> dict[str, Any]:
        a = self.requested_axis
        return {} if a is None or a == -(self.dims + 1) else {"axis": a}

    def prepare(self, group: Group) -> Fiber:
        """A copy ready for ``group`` (resolves what depends on it); raise if it cannot act."""
        return self

    @abstractmethod
    def channels(self) -> int:
        """The number of channels one field takes (the axis size must be a multiple)."""

    def check_shape(self, shape: Sequence[int]) -> None:
        ax = normalise_axis(self.axis, len(shape), f"{self.name} fiber")
        d = self.channels()
        if shape[ax] % d:
            raise ShapeError(
                f"the {self.name} action needs axis {self.axis} to hold fields of {d} channels, "
                f"but it has size {shape[ax]} (shape {tuple(shape)}); check the axis= argument"
            )

    @abstractmethod
    def apply(self, g: Element, x: Any, backend: Backend) -> Any: ...


class Regular(Fiber):
    """The regular representation: |P| orientation channels permuted by the group law.

    Channel ``j`` of a field holds orientation ``h_j`` (``rot90(k=j)`` for C4; for D4,
    ``rot90(k=j % 4) * flip('x')**(j // 4)``); ``g`` moves the channel of ``h`` to that of
    ``g·h`` (for C4 a cyclic roll by k). ``orientation='cw'`` relabels ``h_j`` as
    ``rot90(k=-j)``; ``layout='field'`` stores a field's orientations contiguously
    (channel = field·|P| + j, as GrouPy and escnn), ``'orientation'`` stores
    channel = j·fields + field.
    """

    name = "regular"

    def __init__(
        self,
        axis: int | None = None,
        layout: str = "field",
        orientation: str = "ccw",
        elements: Sequence[Element] | None = None,
    ) -> None:
        super().__init__(axis)
        if layout not in ("field", "orientation"):
            raise ValueError(f"layout must be 'field' or 'orientation', got {layout!r}")
        if orientation not in ("ccw", "cw"):
            raise ValueError(f"orientation must be 'ccw' or 'cw', got {orientation!r}")
        self.layout = layout
        self.orientation = orientation
        self.elements = tuple(elements) if elements is not None else None
        self._permutations: dict[Element, list[int]] = {}

    def params(self) -> dict[str, Any]:
        out = super().params()
        if self.layout != "field":
            out["layout"] = self.layout
        if self.orientation != "ccw":
            out["orientation"] = self.orientation
        return out

    def prepare(self, group: Group) -> Regular:
        if self.elements is not None:
            return self
        point = group.point_elements
        if not point or len(point) < 2:
            raise EquicheckError(
                "the regular action needs a group with orientations (c4, d4, p4, p4m, dihedral, cube24, "
                f"pm3m, ...), got {group.name}"
            )
        elems = list(point)
        if self.orientation == "cw":
            elems = [_reverse_rotation(e) for e in elems]
        out = Regular(self.requested_axis, self.layout, self.orientation, elems)
        out.dims = self.dims
        return out

    def channels(self) -> int:
        if self.elements is None:
            raise EquicheckError("regular action used before prepare(group)")
        return len(self.elements)

    def permutation(self, g: Element) -> list[int]:
        """``src`` such that ``out[j] = in[src[j]]`` for one field."""
        assert self.elements is not None
        p = getattr(g, "point", g)
        known = self._permutations.get(p)  # |P| products each: 48 x 48 for the cube's group
        if known is not None:
            return known
        index = {e: i for i, e in enumerate(self.elements)}
        inv = p.inverse()
        try:
            src = [index[inv * h] for h in self.elements]
        except KeyError:
            raise EquicheckError(f"{g!r} does not permute the orientations {list(self.elements)}") from None
        self._permutations[p] = src
        return src

    def apply(self, g: Element, x: Any, backend: Backend) -> Any:
        src = self.permutation(g)
        if src == list(range(len(src))):
            return x
        xp = backend.xp
        ax = self.axis % x.ndim
        n, d = x.shape[ax], len(src)
        fields = n // d
        if self.layout == "field":
            idx = [f * d + src[j] for f in range(fields) for j in range(d)]
        else:
            idx = [src[j] * fields + f for j in range(d) for f in range(fields)]
        return xp.take(x, xp.asarray(np.asarray(idx, dtype=np.int64)), axis=ax)


def _reverse_rotation(e: Element) -> Element:
    if isinstance(e, GridElement):
        return GridElement(-e.k, e.flipped, e.dy, e.dx)
    return e.inverse() if not getattr(e, "flipped", False) else e


class Vector(Fiber):
    """Channel groups that turn with the grid: 2 components in 2-D (e.g. an image gradient),
    3 in 3-D (a flow or displacement field), 1 in 1-D (a signed quantity the reversal negates).

    ``components`` names the order of the stored components: by default the grid's own order
    (``'yx'`` in 2-D, ``'zyx'`` in 3-D, ``'t'`` in 1-D); ``'xy'`` or ``'xyz'`` (or any order of
    the letters) otherwise. ``y_up=True`` (2-D) says the y component points up (against the row
    axis), as in most geometric code; the default follows array indices (rows grow downwards).
    """

    name = "vector"

    def __init__(self, axis: int | None = None, components: str | None = None, y_up: bool = False) -> None:
        super().__init__(axis)
        if components is not None and (
            not isinstance(components, str) or sorted(components) not in (["x", "y"], ["x", "y", "z"], ["t"])
        ):
            raise ValueError(
                "components must name each grid coordinate once ('yx', 'xy', 'zyx', 'xyz', ...), "
                f"got {components!r}"
            )
        self.components = components
        self.y_up = bool(y_up)

    def params(self) -> dict[str, Any]:
        out = super().params()
        if self.components is not None and self.components != _GRID_ORDER.get(self.dims):
            out["components"] = self.components
        if self.y_up:
            out["y_up"] = True
        return out

    def _order(self) -> str:
        return self.components if self.components is not None else _GRID_ORDER[self.dims]

    def prepare(self, group: Group) -> Vector:
        if self.y_up and self.dims != 2:
            raise ShapeError(
                f"y_up=True says which way y points on a 2-D grid, but the group acts on "
                f"{self.dims}-D grids: drop y_up and say the stored order with components= "
                f"(e.g. {_GRID_ORDER[self.dims]!r})"
            )
        if len(self._order()) != self.dims:
            raise ShapeError(
                f"the vector action stores components {self._order()!r}, but the group acts on "
                f"{self.dims}-D grids: give {self.dims} components (e.g. {_GRID_ORDER[self.dims]!r})"
            )
        return self

    def channels(self) -> int:
        return len(self._order())

    def matrix(self, g: Element) -> np.ndarray:
        a = index_matrix(g)  # on grid offsets in array order
        if self.y_up:
            s = np.diag([-1.0, 1.0])
            a = s @ a @ s
        grid_order = _GRID_ORDER[a.shape[0]]
        order = self._order()
        if order != grid_order:
            p = np.zeros((len(order), len(order)))
            for i, c in enumerate(order):
                p[i, grid_order.index(c)] = 1.0
            a = p @ a @ p.T
        return a

    def apply(self, g: Element, x: Any, backend: Backend) -> Any:
        if element_dims(g) is None:
            raise EquicheckError(f"the vector action needs elements of a grid group, got {g!r}")
        return apply_linear(backend.xp, x, self.matrix(g), self.axis)


#: The components of a vector in the grid's own order, per number of grid axes.
_GRID_ORDER = {1: "t", 2: "yx", 3: "zyx"}


class Matrix(Fiber):
    """A user representation: ``rho(g)`` is a d×d matrix applied to every field of d channels.

    ``rho`` is a callable or a mapping from elements to matrices. Prefer it for third-party
    conventions not covered by ``regular`` or ``vector``.
    """

    name = "matrix"

    def __init__(self, rho: Callable[[Element], Any] | dict[Element, Any], axis: int | None = None) -> None:
        super().__init__(axis)
        self.rho = rho
        self._d: int | None = None

    def _matrix(self, g: Element) -> np.ndarray:
        p = getattr(g, "point", g)
        if isinstance(self.rho, dict):
            raw = self.rho[p] if p in self.rho else self.rho.get(g)
            if raw is None:
                raise EquicheckError(f"the matrix action has no entry for {p!r}")
        else:
            raw = self.rho(g)
        m = np.asarray(raw, dtype=np.float64)
        if m.ndim != 2 or m.shape[0] != m.shape[1]:
            raise ShapeError(f"rho({g!r}) must be a square matrix, got shape {m.shape}")
        return m

    def prepare(self, group: Group) -> Matrix:
        m = self._matrix(group.identity)
        if not np.allclose(m, np.eye(m.shape[0])):
            raise EquicheckError("rho(identity) must be the identity matrix")
        out = Matrix(self.rho, self.requested_axis)
        out.dims = self.dims
        out._d = m.shape[0]
        return out

    def channels(self) -> int:
        if self._d is None:
            return self._matrix(GridElement()).shape[0]
        return self._d

    def apply(self, g: Element, x: Any, backend: Backend) -> Any:
        return apply_linear(backend.xp, x, self._matrix(g), self.axis)


class IrrepsField(Fiber):
    """Fields of e3nn irreps on a volume (``'1x0e + 1x1o + 1x2e'``): each voxel's features
    turn by the block-diagonal ``D(R)`` of the element's rotation R on (x, y, z) coordinates
    (:meth:`equicheck.actions.irreps.Irreps.matrix`, e3nn's convention; odd parity changes
    sign under reflections). ``1x1o`` is a vector field stored (x, y, z): ``vector(components='xyz')``.
    """

    name = "irreps_field"

    def __init__(self, irreps: Any, axis: int | None = None) -> None:
        super().__init__(axis)
        try:
            self.irreps = irreps if isinstance(irreps, Irreps) else Irreps(irreps)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"bad irreps {irreps!r}: {exc}") from None
        self._matrices: dict[Element, np.ndarray] = {}

    def params(self) -> dict[str, Any]:
        return {"irreps": str(self.irreps), **super().params()}

    def prepare(self, group: Group) -> IrrepsField:
        if group.dims != 3:
            raise EquicheckError(
                f"irreps fields turn with rotations of 3-D coordinates; {group.name} acts on "
                f"{group.dims}-D grids (use a volume group: cube24, cube48, p432, pm3m, so3_volume, ...)"
            )
        return self

    def channels(self) -> int:
        return self.irreps.dim

    def matrix(self, g: Element) -> np.ndarray:
        """``D(R)`` of the element's rotation (kept per rotation: a check reuses a few)."""
        point = getattr(g, "point", g)
        known = self._matrices.get(point)
        if known is None:
            rotation = getattr(point, "rotation", None)
            if rotation is None:
                raise EquicheckError(f"the irreps_field action needs rotations of 3-D coordinates, got {g!r}")
            known = self._matrices[point] = self.irreps.matrix(np.asarray(rotation, dtype=np.float64))
        return known

    def apply(self, g: Element, x: Any, backend: Backend) -> Any:
        return apply_linear(backend.xp, x, self.matrix(g), self.axis)
