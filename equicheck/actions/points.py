"""Actions on point clouds: positions, vectors, pseudovectors, tensors, irreps, scalars, cells.

An element of a group on coordinates (:mod:`equicheck.groups.points`) has a rotation ``R``
(d x d, or None), a translation ``t`` (or None) and a permutation ``p`` of the points (or None).
Each action here moves one array whose last axis (axes, for tensors) holds the components and
whose ``axis`` (None: no point axis) enumerates the points:

=================================== ===========================================================
``positions(axis=-2)``               ``x R^T + t``, points permuted
``vectors(axis=-2)``                 ``x R^T`` (polar vectors: forces, velocities, dipoles)
``pseudovectors(axis=-2)``           ``det(R) x R^T`` (axial vectors: angular momenta, spins)
``tensor(rank=2, pseudo=false)``     ``R`` on each of the last ``rank`` axes (stress: ``axis=None``)
``irreps('2x0e + 1x1o', axis=-2)``   ``x D(R)^T`` with e3nn's basis order and parity
``scalars(axis=-1)``                 only the points move (per-atom energies, charges)
``types(axis=-1)``                   integer atom types: only the points move
``cell()``                           lattice vectors as rows: ``cell R^T`` (not translated)
=================================== ===========================================================

A point axis is how the engine learns n, the number of points: :meth:`PointAction.grid`
returns ``(n,)``. Permutations follow ``x_new[p[i]] = x[i]``. Every transform is exact up to
float rounding (no interpolation); rotations are applied in float64 and cast back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..backends import Backend, get_backend
from ..errors import DtypeError, ShapeError, SpecError
from ..groups import Element, Group
from ..groups.points import PointGroup
from ..spec import Spec
from .base import Action
from .irreps import Irreps, tensor_matrix

__all__ = [
    "KINDS",
    "PointAction",
    "cell",
    "irreps",
    "positions",
    "pseudovectors",
    "scalars",
    "shifts",
    "tensor",
    "types",
    "vectors",
]

#: The kinds of arrays and what the rotation does to them.
KINDS = ("positions", "vectors", "pseudovectors", "tensor", "irreps", "scalars", "types", "cell", "shifts")
#: Matrices kept per prepared action (one per element; cleared when full).
MATRIX_CACHE = 256
#: Kinds whose last axis holds coordinates (its size is the dimension of space).
_COORDINATE_KINDS = ("positions", "vectors", "pseudovectors", "tensor", "cell")


def _axis(axis: Any) -> int | None:
    if axis is None:
        return None
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an integer or None (no point axis), got {axis!r}")
    return int(axis)


class PointAction(Action):
    """How an element of a group on coordinates moves one array (see the module table)."""

    def __init__(
        self,
        kind: str,
        axis: int | None,
        rank: int = 1,
        pseudo: bool = False,
        irreps: Any = None,
        group: Group | None = None,
        ndim: int | None = None,
        links: dict[str, Any] | None = None,
        pbc: Sequence[bool] = (True, True, True),
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
        if isinstance(rank, bool) or not isinstance(rank, int) or rank < 0:
            raise ValueError(f"rank must be a non-negative integer, got {rank!r}")
        self.kind = kind
        self.axis = _axis(axis)
        self.rank = rank
        self.pseudo = bool(pseudo)
        self.irreps = irreps
        self.group = group
        self._ndim = ndim
        self._matrices: dict[Element, np.ndarray | None] = {}
        #: other inputs this action reads, by role ('cell', 'positions', 'edge_index') -> key
        self.links = {k: v for k, v in (links or {}).items() if v is not None}
        self.pbc = tuple(bool(b) for b in pbc)
        if len(self.pbc) not in (2, 3):
            raise ValueError(
                f"pbc says per axis whether the cell is periodic, e.g. [true, true, false]; got {pbc!r}"
            )
        #: the arrays of ``links`` for the current input (see :meth:`bind`)
        self.linked: dict[str, Any] = {}

    # --- names -----------------------------------------------------------------------------------
    @property
    def spec(self) -> Spec:
        defaults: dict[str, Any] = {"axis": -1 if self.kind in ("scalars", "types") else -2}
        if self.kind in ("tensor", "cell", "shifts"):
            defaults["axis"] = None
        params: dict[str, Any] = {}
        if self.kind == "tensor":
            params["rank"] = self.rank
            if self.pseudo:
                params["pseudo"] = True
        if self.axis != defaults["axis"]:
            params["axis"] = self.axis if self.axis is not None else None
        params.update(self.links)
        if self.links and not all(self.pbc):
            params["pbc"] = list(self.pbc)
        args: tuple[Any, ...] = (str(self.irreps),) if self.kind == "irreps" else ()
        return Spec(self.kind, args, params)

    def _copy(self, group: Group | None, ndim: int | None) -> PointAction:
        return PointAction(
            self.kind, self.axis, self.rank, self.pseudo, self.irreps, group, ndim, self.links, self.pbc
        )

    def bind(self, case: Mapping[Any, Any]) -> PointAction:
        """This action reading the inputs it names (the cell to wrap positions into, ...) from
        ``case``: the engine binds every point action to the input it checks."""
        if not self.links:
            return self
        missing = [f"{role}={key!r}" for role, key in self.links.items() if key not in case]
        if missing:
            raise ShapeError(
                f"{self.name} reads the input(s) {', '.join(missing)}, which f does not take; "
                f"f's inputs are {sorted(map(repr, case))}"
            )
        bound = self._copy(self.group, self._ndim)
        bound._matrices = self._matrices
        bound.linked = {role: case[key] for role, key in self.links.items()}
        return bound

    # --- what the engine asks ------------------------------------------------------------------------
    def point_axis(self, ndim: int) -> int | None:
        """The (non-negative) index of the point axis in an array of ``ndim`` axes, or None."""
        if self.axis is None:
            return None
        if not -ndim <= self.axis < ndim:
            raise ShapeError(
                f"{self.name} enumerates points on axis {self.axis}, but the array has only {ndim} axes; "
                f"a quantity of the whole structure (a dipole, a stress) has no point axis: "
                f"{self.kind}(axis=none)"
            )
        return self.axis % ndim

    def grid(self, shape: Sequence[int]) -> tuple[int, ...] | None:
        """``(n,)``: the number of points, which sizes the permutations of the group."""
        ax = self.point_axis(len(shape))
        return None if ax is None else (int(shape[ax]),)

    def component_shape(self, dim: int) -> tuple[int, ...]:
        """The trailing axes one point carries (``(3,)`` for a 3-D vector)."""
        if self.kind in ("positions", "vectors", "pseudovectors"):
            return (dim,)
        if self.kind == "tensor":
            return (dim,) * self.rank
        if self.kind == "cell":
            return (dim, dim)
        if self.kind == "irreps":
            return (int(self.irreps.dim),)
        return ()

    def prepare(self, group: Group, shape: Sequence[int]) -> PointAction:
        if not isinstance(group, PointGroup):
            raise SpecError(
                f"{self.name} acts on coordinates and point order; {group.name} is a group of grids. "
                "Use so3, o3, se3, e3, perm, product(e3, perm), so2_points, ... (docs/points.md)"
            )
        shape = tuple(shape)
        ndim = len(shape)
        dim = group.dim
        if self.kind in _COORDINATE_KINDS and dim is not None:
            tail = self.component_shape(dim)
            if ndim < len(tail) or shape[ndim - len(tail) :] != tail:
                raise ShapeError(
                    f"{self.name} under {group.name} needs arrays ending in {tail} "
                    f"({dim}-D components last), got shape {shape}"
                )
        if self.kind == "irreps":
            if dim not in (None, 3) and group.rotations:
                raise SpecError(f"irreps are representations of O(3); {group.name} acts in {dim}-D")
            if ndim < 1 or shape[-1] != self.irreps.dim:
                raise ShapeError(
                    f"{self.name} needs a last axis of size {self.irreps.dim} (the irreps' dimension), "
                    f"got shape {shape}"
                )
        ax = self.point_axis(ndim)
        if ax is not None and self.kind not in ("scalars", "types"):
            if ax >= ndim - len(self.component_shape(dim or 3)):
                raise ShapeError(
                    f"{self.name}: the point axis {self.axis} falls on the components of shape {shape}; "
                    "the components come last and the points before them"
                )
        return self._copy(group, ndim)

    # --- the transform -------------------------------------------------------------------------------
    def apply(self, g: Element, x: Any, backend: Backend | None = None) -> Any:
        backend = backend or get_backend(None, x)
        xp = backend.xp
        rotation, translation, permutation = g.rotation, g.translation, g.permutation
        if self.kind == "irreps" and rotation is not None:
            x = self._by_blocks(xp, backend, x, self._cached_matrix(g, rotation))
        elif self.kind in ("positions", "vectors", "pseudovectors", "tensor", "cell"):
            matrix = self._cached_matrix(g, rotation)
            if matrix is not None or (translation is not None and self.kind == "positions"):
                x = self._linear(xp, backend, x, matrix, translation if self.kind == "positions" else None)
                if self.kind == "positions" and translation is not None and "cell" in self.linked:
                    x = self._wrap(xp, backend, x, rotation)
        if self.kind == "shifts" and translation is not None:
            x = self._shifted(xp, backend, x, g)
        if permutation is not None and self.axis is not None:
            ax = self.point_axis(x.ndim)
            assert ax is not None
            if len(permutation) != x.shape[ax]:
                raise ShapeError(
                    f"the element permutes {len(permutation)} points but {self.name} has {x.shape[ax]} "
                    f"on axis {self.axis} (shape {tuple(x.shape)}): every point input needs the same n"
                )
            order = backend.asarray(np.argsort(np.asarray(permutation)))
            x = xp.take(x, order, axis=ax)
        return x

    def _cached_matrix(self, g: Element, rotation: np.ndarray | None) -> Any:
        """:meth:`matrix` of ``g`` (for irreps, the Wigner-D block of each term), kept for the
        elements seen last (the same few elements move an input and every output, and
        reappear while Hypothesis shrinks)."""
        cache = self._matrices
        if g not in cache:
            if len(cache) >= MATRIX_CACHE:
                cache.clear()
            r = None if rotation is None else np.asarray(rotation, dtype=np.float64)
            cache[g] = self.irreps.blocks(r) if self.kind == "irreps" and r is not None else self.matrix(r)
        return cache[g]

    def matrix(self, rotation: np.ndarray | None) -> np.ndarray | None:
        """The matrix applied to the last axis (flattened last ``rank`` axes for tensors), or None."""
        if rotation is None:
            return None
        r = np.asarray(rotation, dtype=np.float64)
        if self.kind in ("positions", "vectors"):
            return r
        if self.kind == "pseudovectors":
            return float(np.sign(np.linalg.det(r))) * r
        if self.kind == "cell":
            return r
        if self.kind == "tensor":
            return tensor_matrix(r, self.rank, self.pseudo)
        if self.kind == "irreps":
            return np.asarray(self.irreps.matrix(r), dtype=np.float64)
        return None

    def _by_blocks(self, xp: Any, backend: Backend, x: Any, blocks: Any) -> Any:
        """Irreps features moved term by term: each term's ``mul`` copies of ``2l+1`` entries
        times its Wigner-D block (no dense ``dim x dim`` matrix: 10-20x faster for wide features)."""
        if not xp.isdtype(x.dtype, "real floating"):
            raise DtypeError(
                f"{self.name} rotates its array, which must be real floating point; got dtype {x.dtype}"
            )
        y = xp.astype(x, xp.float64)
        lead = tuple(y.shape[:-1])
        parts = []
        for term, where, block in zip(self.irreps, self.irreps.slices(), blocks):
            chunk = xp.reshape(y[..., where], (*lead, term.mul, 2 * term.l + 1))
            parts.append(xp.reshape(chunk @ backend.asarray(block.T), (*lead, term.dim)))
        return xp.astype(xp.concat(parts, axis=-1), x.dtype)

    # --- periodic cells ------------------------------------------------------------------------------
    def _cell_after(self, xp: Any, backend: Backend, rotation: np.ndarray | None) -> Any:
        """The bound cell as the element leaves it (rows turned: ``cell R^T``), in float64."""
        cell = xp.astype(self.linked["cell"], xp.float64)
        return cell if rotation is None else cell @ backend.asarray(np.asarray(rotation, dtype=np.float64).T)

    def _fractional(self, xp: Any, backend: Backend, y: Any, rotation: np.ndarray | None) -> tuple[Any, Any]:
        """Fractional coordinates of positions ``y`` in the moved cell, and that cell."""
        cell = self._cell_after(xp, backend, rotation)
        return y @ xp.linalg.inv(cell), cell

    def _wrap(self, xp: Any, backend: Backend, x: Any, rotation: np.ndarray | None) -> Any:
        """Positions moved back into the cell along its periodic axes."""
        frac, cell = self._fractional(xp, backend, xp.astype(x, xp.float64), rotation)
        periodic = backend.asarray(np.asarray(self.pbc))
        frac = xp.where(periodic, frac - xp.floor(frac), frac)
        return xp.astype(frac @ cell, x.dtype)

    def _shifted(self, xp: Any, backend: Backend, x: Any, g: Element) -> Any:
        """Integer cell shifts of edges after the positions were wrapped: ``S + k[dst] - k[src]``,
        with ``k`` the lattice vectors each atom was moved back by (edge vectors unchanged)."""
        for role in ("positions", "cell", "edge_index"):
            if role not in self.linked:
                raise ShapeError(
                    f"{self.name} under translations needs positions=, cell= and edge_index= (the inputs "
                    "that say how atoms wrap), e.g. shifts(positions=pos, cell=cell, edge_index=edge_index)"
                )
        rotation = g.rotation
        pos = xp.astype(self.linked["positions"], xp.float64)
        if rotation is not None:
            pos = pos @ backend.asarray(np.asarray(rotation, dtype=np.float64).T)
        pos = pos + backend.asarray(np.asarray(g.translation, dtype=np.float64))  # type: ignore[attr-defined]
        frac, _ = self._fractional(xp, backend, pos, rotation)
        periodic = backend.asarray(np.asarray(self.pbc))
        k = xp.where(periodic, xp.floor(frac), xp.zeros_like(frac))  # (..., n, 3)
        edges = self.linked["edge_index"]  # (..., 2, E)
        k_host = np.asarray(backend.to_host(k))
        e_host = np.asarray(backend.to_host(edges)).astype(np.int64)
        src = np.take_along_axis(k_host, e_host[..., 0, :, None], axis=-2)
        dst = np.take_along_axis(k_host, e_host[..., 1, :, None], axis=-2)
        return xp.astype(x + backend.asarray((dst - src).astype(np.int64)), x.dtype)

    def _linear(self, xp: Any, backend: Backend, x: Any, m: np.ndarray | None, t: Any) -> Any:
        if not xp.isdtype(x.dtype, ("real floating", "complex floating")):
            raise DtypeError(
                f"{self.name} rotates its array, which must be floating point; got dtype {x.dtype} "
                "(integer labels such as atom types: use types())"
            )
        dtype = x.dtype
        y = xp.astype(x, xp.float64)
        if m is not None:
            if self.kind == "tensor":
                flat = (*y.shape[: y.ndim - self.rank], int(m.shape[0]))
                y = xp.reshape(xp.reshape(y, flat) @ backend.asarray(m.T), tuple(x.shape))
            elif self.kind == "cell":
                y = y @ backend.asarray(m.T)  # rows are lattice vectors: cell R^T
            else:
                y = y @ backend.asarray(m.T)
        if t is not None:
            y = y + backend.asarray(np.asarray(t, dtype=np.float64))
        return xp.astype(y, dtype)


# --- constructors (the names of the grammar) ----------------------------------------------------------
def positions(
    axis: int | None = -2, cell: Any = None, pbc: Sequence[bool] = (True, True, True)
) -> PointAction:
    """Coordinates of points, components last: rotated, translated and permuted. With
    ``cell=`` (the key of the input holding the periodic cell, e.g. ``cell=cell`` or
    ``cell=1``) translated positions are wrapped back into the cell along its ``pbc`` axes."""
    return PointAction("positions", axis, links={"cell": cell}, pbc=pbc)


def vectors(axis: int | None = -2) -> PointAction:
    """Polar vectors (forces, velocities), components last: rotated, not translated."""
    return PointAction("vectors", axis)


def pseudovectors(axis: int | None = -2) -> PointAction:
    """Axial vectors (angular momenta, magnetic moments): rotated, times det(R)."""
    return PointAction("pseudovectors", axis)


def tensor(rank: int = 2, pseudo: bool = False, axis: int | None = None) -> PointAction:
    """Cartesian tensors on the last ``rank`` axes (each of size 3): ``R`` on every index
    (times det(R) when ``pseudo``); ``axis``: the point axis of per-point tensors."""
    return PointAction("tensor", axis, rank=rank, pseudo=pseudo)


def irreps(irreps: Any, axis: int | None = -2) -> PointAction:  # noqa: A002 - e3nn's word
    """Features in irreps written as e3nn writes them (``'2x0e + 1x1o + 1x2e'``), last axis."""
    try:
        parsed = irreps if isinstance(irreps, Irreps) else Irreps(irreps)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"bad irreps {irreps!r}: {exc}") from None
    return PointAction("irreps", axis, irreps=parsed)


def scalars(axis: int | None = -1) -> PointAction:
    """Invariant per-point values (energies per atom, charges): only the points move."""
    return PointAction("scalars", axis)


def types(axis: int | None = -1) -> PointAction:
    """Integer atom types (labels): they transform trivially, only the points move."""
    return PointAction("types", axis)


def cell(axis: int | None = None) -> PointAction:
    """A periodic cell, lattice vectors as rows (3, 3): ``cell' = cell R^T``; translations and
    permutations leave it."""
    return PointAction("cell", axis)


def shifts(
    positions: Any = None, cell: Any = None, edge_index: Any = None, pbc: Sequence[bool] = (True, True, True)
) -> PointAction:
    """Integer cell shifts of edges (NequIP's ``edge_cell_shift``, MACE's unit shifts), edge
    vector ``pos[dst] - pos[src] + shift @ cell``: unchanged by rotations; when positions are
    wrapped into the cell under translations they change so that every edge vector stays. The
    keys name the inputs holding the positions, the cell and ``edge_index`` (2, E)."""
    links = {"positions": positions, "cell": cell, "edge_index": edge_index}
    return PointAction("shifts", None, links=links, pbc=pbc)


ACTIONS = {
    "positions": positions,
    "vectors": vectors,
    "pseudovectors": pseudovectors,
    "tensor": tensor,
    "irreps": irreps,
    "scalars": scalars,
    "types": types,
    "cell": cell,
    "shifts": shifts,
}
