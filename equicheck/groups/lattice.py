"""Groups of 1-D signals and 3-D volumes: shifts, reflections, the cube's symmetries, and the
elements that interpolated groups of those grids share.

Coordinates (also in docs/concepts.md): a 1-D grid has one axis ``t``; a 3-D grid is stored
``(z, y, x)`` — ``x`` the last axis, as in 2-D and PyTorch's ``(D, H, W)``. Elements act about
the grid centre ``c = (n - 1) / 2`` of each axis: ``p ↦ c + s·M·(p - c) + t``.

* 1-D: :class:`SignalElement` — ``shift(dt=3) * flip(axis='t')``, ``subshift(dt=0.25)``,
  ``scale(factor=1.1, dims=1)``.
* 3-D: the symmetries of the cube *are* :class:`~equicheck.groups.rotations.Rotation` s (the one
  O(3) type, on (x, y, z) coordinates): ``rotation(maps='x->-y, y->x, z->z')``. With a shift
  or a scale they are :class:`VolumeElement` s: ``shift(dz=1, dy=0, dx=-2) * rotation(...)``.

Exact groups (index permutations; names in the grammar of :mod:`equicheck.spec`):

=========================================== ======================================================
``translation(dims=1)``, ``(dims=3)``        integer shifts (``step``, ``cyclic``, ``max_shift``)
``flips(dims=1)``                            the reversal of the axis
``dihedral(...)``                            1-D shifts and the reversal (D∞ on a ring)
``flips(dims=3)``                            the 8 mirrors of the three axes and their products
``cube24()``, ``cube48()``                   the 24 rotations of the cube; with reflections, 48
``p432(...)``, ``pm3m(...)``                 translations times cube24 / cube48 (3-D p4, p4m)
=========================================== ======================================================
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ..errors import ShapeError
from ..spec import Spec
from . import continuous, grid
from .base import Element, Grid, Group
from .rotations import Rotation, inversion, rotation

__all__ = [
    "SignalElement",
    "VolumeElement",
    "LatticeGroup",
    "CUBE24",
    "CUBE48",
    "cube24",
    "cube48",
    "dihedral",
    "element_dims",
    "flip",
    "flips",
    "index_linear",
    "index_matrix",
    "p432",
    "pm3m",
    "scale",
    "shift",
    "subshift",
    "translation",
    "volume",
]

_SHIFT_TOL = 1e-7
#: (z, y, x) array order <-> (x, y, z) coordinates of a Rotation.
_REVERSE = np.eye(3)[::-1]


def _fraction(value: Any, what: str) -> Fraction:
    f = continuous.exact_fraction(value, what)
    if f <= 0:
        raise ValueError(f"{what} must be positive, got {value!r}")
    return f


def _real(value: Any, what: str) -> float:
    return continuous.rounded_shift(value, what)


def _integer(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return int(value)
        raise TypeError(f"{what} must be an integer, got {value!r} (use subshift for fractions)")
    return int(value)


def _number(v: Fraction | float) -> str:
    return repr(float(v))


# --- 1-D ------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class SignalElement(Element):
    """``subshift(dt) * scale(factor, dims=1) * flip(axis='t')**flipped`` on a 1-D grid:
    reverse first, then scale about the centre, then move by ``dt`` entries (towards higher t)."""

    flipped: bool = False
    factor: Fraction = Fraction(1)
    dt: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "flipped", bool(self.flipped))
        object.__setattr__(self, "factor", _fraction(self.factor, "factor"))
        object.__setattr__(self, "dt", _real(self.dt, "dt"))

    dims = 1

    @property
    def matrix(self) -> tuple[tuple[float]]:
        """The orthogonal part (the reversal) on offsets from the centre."""
        return ((-1.0,),) if self.flipped else ((1.0,),)

    @property
    def shift(self) -> tuple[float]:
        return (self.dt,)

    @property
    def point(self) -> SignalElement:
        """The element without scale and shift: the identity or the reversal."""
        return SignalElement(self.flipped)

    @property
    def exact(self) -> bool:
        return self.factor == 1 and float(self.dt).is_integer()

    @property
    def is_identity(self) -> bool:
        return not self.flipped and self.factor == 1 and self.dt == 0

    def _linear(self) -> Fraction:
        return -self.factor if self.flipped else self.factor

    def __mul__(self, other: Any) -> SignalElement:
        if not isinstance(other, SignalElement):
            return NotImplemented
        dt = self.dt + float(self._linear()) * other.dt
        return SignalElement(self.flipped != other.flipped, self.factor * other.factor, dt)

    def inverse(self) -> SignalElement:
        lin = 1 / self._linear()
        return SignalElement(self.flipped, 1 / self.factor, -float(lin) * self.dt)

    def divide_shift(self, stride: int) -> SignalElement:
        """The element as a stride-``stride`` layer's output sees it (shift divided)."""
        return SignalElement(self.flipped, self.factor, self.dt / stride)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SignalElement):
            return NotImplemented
        return (
            self.flipped == other.flipped
            and self.factor == other.factor
            and abs(self.dt - other.dt) <= _SHIFT_TOL
        )

    def __hash__(self) -> int:
        return hash((self.flipped, self.factor))

    def __repr__(self) -> str:
        parts = []
        if self.dt:
            whole = float(self.dt).is_integer()
            parts.append(f"shift(dt={int(self.dt)})" if whole else f"subshift(dt={_number(self.dt)})")
        if self.factor != 1:
            parts.append(f"scale(factor={_number(self.factor)}, dims=1)")
        if self.flipped:
            parts.append("flip(axis='t')")
        return " * ".join(parts) if parts else "shift(dt=0)"


# --- 3-D ------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class VolumeElement(Element):
    """``subshift(dz, dy, dx) * scale(factor, dims=3) * point`` on a 3-D grid stored (z, y, x):
    turn by the :class:`Rotation` ``point`` about the centre, scale, then move by ``shift``
    (array order). Built by :func:`volume`, which returns the bare Rotation when there is no
    shift and no scale (so the cube's elements are Rotations, equal and with the same repr)."""

    point: Rotation = Rotation()
    factor: Fraction = Fraction(1)
    shift: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        if not isinstance(self.point, Rotation):
            raise TypeError(f"point must be a Rotation, got {self.point!r}")
        object.__setattr__(self, "factor", _fraction(self.factor, "factor"))
        if len(self.shift) != 3:
            raise ValueError(f"a volume shift has 3 components (dz, dy, dx), got {self.shift!r}")
        object.__setattr__(self, "shift", tuple(_real(v, n) for v, n in zip(self.shift, ("dz", "dy", "dx"))))

    dims = 3

    @property
    def matrix(self) -> np.ndarray:
        """The orthogonal part on (x, y, z) coordinates (the Rotation's matrix)."""
        return self.point.matrix

    @property
    def rotation(self) -> np.ndarray:
        return self.point.matrix

    @property
    def exact(self) -> bool:
        return (
            self.factor == 1
            and self.point.signed_permutation
            and all(float(v).is_integer() for v in self.shift)
        )

    @property
    def is_identity(self) -> bool:
        return self.point.is_identity and self.factor == 1 and not any(self.shift)

    def __mul__(self, other: Any) -> Element:
        if isinstance(other, Rotation):
            other = VolumeElement(other)
        if not isinstance(other, VolumeElement):
            return NotImplemented
        lin = float(self.factor) * index_matrix(self.point)
        t = np.asarray(self.shift) + lin @ np.asarray(other.shift)
        return volume(self.point * other.point, self.factor * other.factor, tuple(t.tolist()))

    def __rmul__(self, other: Any) -> Element:
        if isinstance(other, Rotation):
            return VolumeElement(other) * self
        return NotImplemented

    def inverse(self) -> Element:
        point = self.point.inverse()
        factor = 1 / self.factor
        t = -(float(factor) * index_matrix(point)) @ np.asarray(self.shift)
        return volume(point, factor, tuple(t.tolist()))

    def divide_shift(self, stride: int) -> Element:
        return volume(self.point, self.factor, tuple(v / stride for v in self.shift))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rotation):
            other = VolumeElement(other)
        if not isinstance(other, VolumeElement):
            return NotImplemented
        return (
            self.point == other.point
            and self.factor == other.factor
            and all(abs(a - b) <= _SHIFT_TOL for a, b in zip(self.shift, other.shift))
        )

    def __hash__(self) -> int:
        return hash(self.point) if self.factor == 1 else hash((self.point, self.factor))

    def describe(self) -> str:
        shown = tuple(int(v) if float(v).is_integer() else v for v in self.shift)
        parts = [f"shift (dz, dy, dx) = {shown}"] if any(self.shift) else []
        if self.factor != 1:
            parts.append(f"scale by {float(self.factor):.4g}")
        if not self.point.is_identity:
            parts.append(self.point.describe())
        return ", ".join(parts) or "identity"

    def __repr__(self) -> str:
        parts = []
        if any(self.shift):
            if self.factor == 1 and all(float(v).is_integer() for v in self.shift):
                dz, dy, dx = (int(v) for v in self.shift)
                parts.append(f"shift(dz={dz}, dy={dy}, dx={dx})")
            else:
                dz, dy, dx = (_number(v) for v in self.shift)
                parts.append(f"subshift(dz={dz}, dy={dy}, dx={dx})")
        if self.factor != 1:
            parts.append(f"scale(factor={_number(self.factor)}, dims=3)")
        if not self.point.is_identity or not parts:
            parts.append(repr(self.point))
        return " * ".join(parts)


def volume(point: Rotation | None = None, factor: Any = 1, shift: Sequence[float] = (0, 0, 0)) -> Element:
    """A 3-D element; the bare Rotation when it has no shift and no scale."""
    point = Rotation() if point is None else point
    element = VolumeElement(point, factor, tuple(shift))  # type: ignore[arg-type]
    if element.factor == 1 and not any(element.shift):
        return point
    return element


# --- what every grid element is, as matrices in array order ----------------------------------------
def element_dims(g: Element) -> int | None:
    """The number of grid axes ``g`` moves (None: not a grid element)."""
    if isinstance(g, (grid.GridElement, continuous.ContinuousElement, continuous.UpsampleElement)):
        return 2
    if isinstance(g, SignalElement):
        return 1
    if isinstance(g, (VolumeElement, Rotation)):
        return 3
    return getattr(g, "dims", None)


def index_matrix(g: Element) -> np.ndarray:
    """The orthogonal part of ``g`` as a (d, d) matrix on grid offsets in array order."""
    if isinstance(g, Rotation):
        return _REVERSE @ g.matrix @ _REVERSE
    if isinstance(g, VolumeElement):
        return _REVERSE @ g.point.matrix @ _REVERSE
    return np.asarray(g.matrix, dtype=np.float64)


def index_linear(g: Element) -> np.ndarray:
    """The whole linear part (orthogonal part times the scale) in array order."""
    factor = float(getattr(g, "factor", 1))
    return factor * index_matrix(g)


def index_shift(g: Element) -> tuple[float, ...]:
    """The shift of ``g`` in array order (zeros for a bare Rotation)."""
    if isinstance(g, Rotation):
        return (0.0, 0.0, 0.0)
    return tuple(float(v) for v in g.shift)


# --- the cube's symmetries ------------------------------------------------------------------------
def _signed_permutations() -> list[Rotation]:
    out = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1.0, -1.0), repeat=3):
            m = np.zeros((3, 3))
            for j in range(3):
                m[perm[j], j] = signs[j]
            out.append(rotation(matrix=m))
    return out


def _cube_order(r: Rotation) -> tuple[float, str]:
    """Identity first, then by angle (90°, 120°, 180°), then by repr: the documented order."""
    return (round(r.axis_angle[1], 6), repr(r))


#: The 24 rotations of the cube (identity first; quarter turns, third turns, half turns).
CUBE24: tuple[Rotation, ...] = tuple(sorted((r for r in _signed_permutations() if r.proper), key=_cube_order))
#: The 48 symmetries: CUBE24, then each of them times the inversion (orientation j + 24).
CUBE48: tuple[Rotation, ...] = CUBE24 + tuple(r * inversion() for r in CUBE24)
#: The 8 mirrors of the three axes and their products (diagonal ±1 matrices).
_AXIS_FLIPS: tuple[Rotation, ...] = tuple(
    rotation(matrix=np.diag(signs))
    for signs in (
        (1, 1, 1),
        (-1, 1, 1),
        (1, -1, 1),
        (1, 1, -1),
        (-1, -1, 1),
        (-1, 1, -1),
        (1, -1, -1),
        (-1, -1, -1),
    )
)


# --- groups -----------------------------------------------------------------------------------------
class LatticeGroup(Group):
    """Integer shifts and/or a point group acting exactly on a 1-D or 3-D grid (the analogue of
    :class:`~equicheck.groups.grid.GridGroup`). Use the constructors (:func:`translation`,
    :func:`cube24`, :func:`p432`, ...)."""

    exact = True

    def __init__(
        self,
        spec: Spec,
        dims: int,
        point: Sequence[Element],
        translations: bool = False,
        step: int = 1,
        cyclic: bool = True,
        max_shift: int | None = None,
    ) -> None:
        if dims not in (1, 3):
            raise ValueError(f"lattice groups act on 1-D or 3-D grids, got dims={dims!r}")
        grid.check_shift_options(step, max_shift)
        self._spec = spec
        self.dims = dims
        self.point_elements = tuple(point)
        self.translations = bool(translations)
        self.step = step
        self.cyclic = bool(cyclic)
        self.max_shift = max_shift

    @property
    def spec(self) -> Spec:
        return self._spec

    @property
    def identity(self) -> Element:
        return self.point_elements[0]

    @property
    def needs_square(self) -> bool:
        """Whether some element exchanges grid axes (then all sides must be equal)."""
        return any(not _diagonal(index_matrix(p)) for p in self.point_elements)

    def _point_of(self, element: Element) -> Element | None:
        if self.dims == 1:
            return element.point if isinstance(element, SignalElement) else None
        if isinstance(element, Rotation):
            return element
        return element.point if isinstance(element, VolumeElement) else None

    def contains(self, element: Element) -> bool:
        point = self._point_of(element)
        if point is None or point not in self.point_elements or not element.exact:
            return False
        shifts = index_shift(element) if self.dims == 3 else element.shift
        if not self.translations:
            return not any(shifts)
        return all(int(v) % self.step == 0 for v in shifts)

    def check_grid(self, grid_: Grid, *, stride: int = 1) -> None:
        what = "signal" if self.dims == 1 else "volume"
        if len(grid_) != self.dims or any(not isinstance(n, int) or n < 1 for n in grid_):
            raise ShapeError(
                f"{self.name} acts on a {self.dims}-D grid ({what}) of positive sizes, got a grid of "
                f"{len(grid_)} axes {tuple(grid_)!r}; a spatial action moves the last "
                f"{'axis' if self.dims == 1 else f'{self.dims} axes'} by default (say others with axes=)"
            )
        if self.needs_square and len(set(grid_)) != 1:
            raise ShapeError(
                f"{self.name} turns the volume, which needs equal sides; got "
                f"{'x'.join(map(str, grid_))}. Crop or pad to a cube, or use a group without turns "
                "(e.g. 'flips(dims=3)' or 'translation(dims=3)')."
            )
        step = self.step // stride if self.step % stride == 0 else self.step
        if self.translations and step > 1 and any(n % step for n in grid_):
            raise ShapeError(
                f"{self.name} shifts by multiples of {step} on this grid, which needs sizes divisible "
                f"by {step}; got {'x'.join(map(str, grid_))}"
            )

    def _element(self, shifts: Sequence[int], point: Element) -> Element:
        if self.dims == 1:
            return SignalElement(dt=shifts[0]) * point
        return volume(None, 1, tuple(shifts)) * point

    def elements(self, grid_: Grid | None = None) -> Sequence[Element] | None:
        if not self.translations:
            return self.point_elements
        if grid_ is None:
            return None
        self.check_grid(grid_)
        axes = [grid.shift_values(n, self.step, self.cyclic, self.max_shift) for n in grid_]
        shifts = sorted(itertools.product(*axes), key=lambda s: (sum(map(abs, s)), tuple(map(abs, s))))
        return [self._element(s, p) for s in shifts for p in self.point_elements]

    def order(self, grid_: Grid | None = None) -> float:
        if not self.translations:
            return len(self.point_elements)
        if grid_ is None:
            return math.inf
        self.check_grid(grid_)
        count = math.prod(grid.shift_count(n, self.step, self.cyclic, self.max_shift) for n in grid_)
        return count * len(self.point_elements)

    def sample(self, rng: Any, n: int, grid_: Grid | None = None) -> list[Element]:
        """Up to ``n`` distinct elements (the identity first) drawn with NumPy's generator, shifts
        drawn per axis: a volume has too many elements to list (p432 on 32³: 786,432)."""
        if not self.translations or grid_ is None or self.order(grid_) <= 4 * n:
            return super().sample(rng, n, grid_)
        axes = [grid.shift_values(m, self.step, self.cyclic, self.max_shift) for m in grid_]
        found = {repr(self.identity): self.identity}
        while len(found) < n:
            shifts = [int(a[rng.integers(len(a))]) for a in axes]
            e = self._element(shifts, self.point_elements[int(rng.integers(len(self.point_elements)))])
            found.setdefault(repr(e), e)
        return list(found.values())

    def strategy(self, grid_: Grid | None = None) -> st.SearchStrategy[Element]:
        """Shrinks toward the identity: the first orientation, then small shifts."""
        point = st.sampled_from(self.point_elements)
        if not self.translations:
            return point
        if grid_ is not None:
            self.check_grid(grid_)
        sizes = grid_ if grid_ is not None else (16,) * self.dims

        def axis(n: int) -> st.SearchStrategy[int]:
            values = grid.shift_values(n, self.step, self.cyclic, self.max_shift)
            lo, hi = min(values) // self.step, max(values) // self.step
            return st.integers(lo, hi).map(lambda i: i * self.step)

        return st.builds(lambda s, p: self._element(s, p), st.tuples(*(axis(n) for n in sizes)), point)

    def generators(self, grid_: Grid | None = None) -> list[Element]:
        gens: list[Element] = []
        if self.translations:
            for i in range(self.dims):
                unit = [0] * self.dims
                unit[i] = self.step
                gens.append(self._element(unit, self.identity))
        return gens + _point_generators(self.point_elements)


def _point_generators(points: Sequence[Element]) -> list[Element]:
    """The first orientations (in the documented order) that together generate all of them:
    two quarter turns for cube24, and the inversion with them for cube48."""
    gens: list[Element] = []
    reached = {points[0]}
    for p in points[1:]:
        if p in reached:
            continue
        gens.append(p)
        frontier = list(reached)
        while frontier:
            new = {a * b for a in frontier for b in gens} - reached
            reached |= new
            frontier = list(new)
    return gens


def _diagonal(m: np.ndarray) -> bool:
    return bool(np.count_nonzero(m - np.diag(np.diag(m))) == 0)


# --- the names of the grammar (dims=2 keeps the 2-D groups and elements) ---------------------------
def _spec(name: str, dims: int, step: int = 1, cyclic: bool = True, max_shift: int | None = None) -> Spec:
    params: dict[str, Any] = {}
    if dims != 2:
        params["dims"] = dims
    if step != 1:
        params["step"] = step
    if not cyclic:
        params["cyclic"] = False
    if max_shift is not None:
        params["max_shift"] = max_shift
    return Spec(name, (), params)


def _dims(dims: Any, allowed: Sequence[int] = (1, 2, 3)) -> int:
    if isinstance(dims, bool) or dims not in allowed:
        raise ValueError(f"dims must be one of {list(allowed)} (the number of grid axes), got {dims!r}")
    return int(dims)


def translation(step: int = 1, cyclic: bool = True, max_shift: int | None = None, dims: int = 2) -> Group:
    """Integer shifts (multiples of ``step``) of the last ``dims`` axes; cyclic or zero-filled."""
    if _dims(dims) == 2:
        return grid.translation(step, cyclic, max_shift)
    identity = SignalElement() if dims == 1 else Rotation()
    return LatticeGroup(
        _spec("translation", dims, step, cyclic, max_shift), dims, (identity,), True, step, cyclic, max_shift
    )


def flips(axis: str | None = None, dims: int = 2) -> Group:
    """Mirrors: 2-D as before; ``dims=1`` the reversal; ``dims=3`` the 8 products of the three
    axis mirrors (or one mirror: ``axis='x'``, ``'y'`` or ``'z'``)."""
    if _dims(dims) == 2:
        return grid.flips(axis)
    if dims == 1:
        if axis not in (None, "t"):
            raise ValueError(f"a 1-D grid has one axis, 't'; got axis={axis!r}")
        return LatticeGroup(Spec("flips", (), {"dims": 1}), 1, (SignalElement(), SignalElement(True)))
    if axis is None:
        return LatticeGroup(Spec("flips", (), {"dims": 3}), 3, _AXIS_FLIPS)
    if axis not in ("x", "y", "z"):
        raise ValueError(f"flips(dims=3) takes axis 'x', 'y' or 'z', got {axis!r}")
    mirror = rotation(maps=", ".join(f"{a}->{'-' if a == axis else ''}{a}" for a in "xyz"))
    return LatticeGroup(Spec("flips", (), {"axis": axis, "dims": 3}), 3, (Rotation(), mirror))


def dihedral(step: int = 1, cyclic: bool = True, max_shift: int | None = None) -> LatticeGroup:
    """Shifts of a 1-D signal and its reversal (the infinite dihedral group; on a ring when cyclic)."""
    spec = _spec("dihedral", 2, step, cyclic, max_shift)
    return LatticeGroup(spec, 1, (SignalElement(), SignalElement(True)), True, step, cyclic, max_shift)


def cube24() -> LatticeGroup:
    """The 24 rotations of the cube (exact on volumes with equal sides)."""
    return LatticeGroup(Spec("cube24"), 3, CUBE24)


def cube48() -> LatticeGroup:
    """The 48 symmetries of the cube: its 24 rotations, and each times the inversion."""
    return LatticeGroup(Spec("cube48"), 3, CUBE48)


def p432(step: int = 1, cyclic: bool = True, max_shift: int | None = None) -> LatticeGroup:
    """Integer translations and the cube's 24 rotations (the 3-D analogue of p4)."""
    return LatticeGroup(_spec("p432", 2, step, cyclic, max_shift), 3, CUBE24, True, step, cyclic, max_shift)


def pm3m(step: int = 1, cyclic: bool = True, max_shift: int | None = None) -> LatticeGroup:
    """Integer translations and the cube's 48 symmetries (the 3-D analogue of p4m)."""
    return LatticeGroup(_spec("pm3m", 2, step, cyclic, max_shift), 3, CUBE48, True, step, cyclic, max_shift)


# --- element names across dimensions -----------------------------------------------------------------
def shift(
    dy: int | None = None, dx: int | None = None, *, dt: int | None = None, dz: int | None = None
) -> Element:
    """An integer shift: ``shift(dy, dx)`` (2-D), ``shift(dt=3)`` (1-D) or
    ``shift(dz=1, dy=0, dx=0)`` (3-D, array order z, y, x)."""
    if dt is not None:
        if dy is not None or dx is not None or dz is not None:
            raise TypeError("shift(dt=...) moves a 1-D signal: give dt alone")
        return SignalElement(dt=_integer(dt, "dt"))
    if dz is not None:
        offsets = tuple(_integer(v or 0, n) for v, n in ((dz, "dz"), (dy, "dy"), (dx, "dx")))
        return volume(None, 1, offsets)
    return grid.shift(0 if dy is None else dy, 0 if dx is None else dx)


def subshift(
    dy: float | None = None, dx: float | None = None, *, dt: float | None = None, dz: float | None = None
) -> Element:
    """A shift by real numbers of entries (interpolated): 2-D, ``dt=`` (1-D) or ``dz=`` (3-D)."""
    if dt is not None:
        if dy is not None or dx is not None or dz is not None:
            raise TypeError("subshift(dt=...) moves a 1-D signal: give dt alone")
        return SignalElement(dt=dt)
    if dz is not None:
        return volume(None, 1, (dz, dy or 0.0, dx or 0.0))
    return continuous.subshift(0.0 if dy is None else dy, 0.0 if dx is None else dx)


def scale(factor: float | Fraction = 1.0, dims: int = 2) -> Element:
    """Magnify content by ``factor`` about the grid centre (``dims=1``: a time scaling)."""
    if _dims(dims) == 2:
        return continuous.scale(factor)
    if dims == 1:
        return SignalElement(factor=factor)
    return volume(None, factor)


def flip(axis: str = "x") -> Element:
    """A mirror: 2-D axes as :func:`equicheck.groups.grid.flip`; ``'t'`` reverses a 1-D signal."""
    if axis == "t":
        return SignalElement(True)
    return grid.flip(axis)


GROUPS = {
    "translation": translation,
    "flips": flips,
    "dihedral": dihedral,
    "cube24": cube24,
    "cube48": cube48,
    "p432": p432,
    "pm3m": pm3m,
}
ELEMENTS = {"shift": shift, "subshift": subshift, "scale": scale, "flip": flip}
