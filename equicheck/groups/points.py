"""Groups on coordinates: rotations, Euclidean motions and permutations of points or nodes.

Every element of these groups exposes, as plain NumPy, what an action needs:

* ``rotation``: the (d, d) orthogonal matrix, or None (no rotation part);
* ``translation``: the (d,) vector, or None;
* ``permutation``: a tuple ``p`` that sends point (node) ``i`` to position ``p[i]``, or None:
  ``x_new[p[i]] = x[i]``, i.e. ``x_new = np.take(x, np.argsort(p), axis=point_axis)``.

On positions an element acts as ``x -> R x + t`` and moves the points; ``g * h`` is "h first,
then g". :mod:`equicheck.groups.rotations` holds the O(3)/O(2) part (a pure rotation element
of ``so3``/``o3`` is a :class:`~equicheck.groups.rotations.Rotation`); the other groups here
have :class:`Motion` elements, which print as a product of their parts, translation first::

    translate(x=0.5, y=-1.0, z=2.0) * rotation(quaternion=[...]) * permute(p=[1, 0, 2])

Names in the grammar of :mod:`equicheck.spec` (n, the number of points, comes from the input:
the size of the point axis of the first input whose action has one, e.g. ``positions``):

=============================== =========================================================
``so3``, ``o3``                  rotations (and reflections) of 3-D coordinates
``so2_points``, ``o2_points``    the same for 2-D coordinates ``(x, y)``
``translations3``                real translations of 3-D coordinates (``translations2``: 2-D)
``se3``, ``e3``                  rotations (and reflections) and translations (``se2_points``, ``e2_points``)
``perm``                         the permutations S_n of the n points (nodes)
``product(e3, perm)``            a product of the above (E(3) x S_n: an atomistic system)
=============================== =========================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import permutations
from types import SimpleNamespace
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ..errors import ShapeError
from ..spec import Spec
from .base import Element, Grid, Group
from .rotations import (
    PlaneRotation,
    Rotation,
    coordinate_reflections,
    haar_rotation,
    half_turns,
    inversion,
    rotation,
    turn,
)

__all__ = [
    "Motion",
    "PointGroup",
    "e2_points",
    "e3",
    "motion",
    "o2_points",
    "o3",
    "perm",
    "permute",
    "product",
    "se2_points",
    "se3",
    "so2_points",
    "so3",
    "translate",
    "translations2",
    "translations3",
]

Orthogonal = Rotation | PlaneRotation
#: Translation lengths drawn, in the order shrinking prefers (far moves stress float32).
TRANSLATION_LENGTHS = (1.0, 0.1, 10.0, 100.0)


def _permutation(p: Sequence[Any]) -> tuple[int, ...]:
    out = []
    for v in p:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"a permutation lists integers, got {list(p)!r}")
        out.append(int(v))
    if sorted(out) != list(range(len(out))):
        raise ValueError(f"p must hold each of 0..{len(out) - 1} exactly once, got {out!r}")
    return tuple(out)


def _vector(t: Sequence[Any]) -> tuple[float, ...]:
    values = tuple(float(v) + 0.0 for v in t)
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"a translation must be finite, got {list(t)!r}")
    return values


@dataclass(frozen=True, eq=False, repr=False)
class Motion(Element):
    """``translate(t) * orthogonal * permute(p)``: permute the points, turn, then translate.

    Identity parts are stored as None. Equal to a :class:`Rotation` with the same matrix when
    it has no other part."""

    orthogonal: Orthogonal | None = None
    offset: tuple[float, ...] | None = None
    perm: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.orthogonal is not None and self.orthogonal.is_identity:
            object.__setattr__(self, "orthogonal", None)
        if self.offset is not None:
            offset = _vector(self.offset)
            if self.orthogonal is not None and len(offset) != self.orthogonal.dim:
                raise ValueError(
                    f"a {len(offset)}-D translation cannot follow a {self.orthogonal.dim}-D rotation"
                )
            object.__setattr__(self, "offset", offset if any(offset) else None)
        if self.perm is not None:
            p = _permutation(self.perm)
            object.__setattr__(self, "perm", None if p == tuple(range(len(p))) else p)

    # --- what actions read --------------------------------------------------------------------
    @property
    def rotation(self) -> np.ndarray | None:
        return None if self.orthogonal is None else self.orthogonal.matrix

    @property
    def translation(self) -> np.ndarray | None:
        return None if self.offset is None else np.array(self.offset)

    @property
    def permutation(self) -> tuple[int, ...] | None:
        return self.perm

    @property
    def proper(self) -> bool:
        return self.orthogonal is None or self.orthogonal.proper

    def describe(self) -> str:
        """The parts in words, for reports."""
        parts = []
        if self.perm is not None:
            moved = [i for i, j in enumerate(self.perm) if i != j]
            parts.append(f"permutation of points {moved}" if len(moved) > 2 else f"swap of points {moved}")
        if self.orthogonal is not None:
            parts.append(self.orthogonal.describe())
        if self.offset is not None:
            parts.append(f"translation by {np.linalg.norm(self.offset):.4g}")
        return ", then ".join(parts) or "identity"

    # --- group law ------------------------------------------------------------------------------
    @property
    def is_identity(self) -> bool:
        return self.orthogonal is None and self.offset is None and self.perm is None

    def __mul__(self, other: Any) -> Motion:
        other = _as_motion(other)
        if other is None:
            return NotImplemented
        a, b = self.orthogonal, other.orthogonal
        if a is not None and b is not None and type(a) is not type(b):
            raise ValueError("cannot compose a 2-D and a 3-D rotation")
        orth = b if a is None else a if b is None else a * b
        offset = self.offset
        if other.offset is not None:
            moved = other.offset if a is None else tuple((a.matrix @ np.array(other.offset)).tolist())
            offset = moved if offset is None else tuple(u + v for u, v in zip(offset, moved, strict=True))
        return Motion(orth, offset, _compose(self.perm, other.perm))

    def __rmul__(self, other: Any) -> Motion:
        left = _as_motion(other)
        if left is None:
            return NotImplemented
        return left * self

    def inverse(self) -> Motion:
        orth = None if self.orthogonal is None else self.orthogonal.inverse()
        offset = None
        if self.offset is not None:
            t = np.array(self.offset)
            offset = tuple((-(t if orth is None else orth.matrix @ t)).tolist())
        perm_inv = None if self.perm is None else tuple(np.argsort(self.perm).tolist())
        return Motion(orth, offset, perm_inv)

    def _key(self) -> tuple[Any, ...]:
        return (self.orthogonal, self.offset, self.perm)

    def __eq__(self, other: object) -> bool:
        o = _as_motion(other)
        if o is None:
            return NotImplemented
        return self._key() == o._key()

    def __hash__(self) -> int:
        if self.offset is None and self.perm is None:
            return hash(self.orthogonal if self.orthogonal is not None else Rotation())
        return hash(self._key())

    def __repr__(self) -> str:
        parts = []
        if self.offset is not None:
            names = "xyz"
            parts.append(
                "translate(" + ", ".join(f"{names[i]}={v!r}" for i, v in enumerate(self.offset)) + ")"
            )
        if self.orthogonal is not None:
            parts.append(repr(self.orthogonal))
        if self.perm is not None:
            parts.append(f"permute(p={list(self.perm)!r})")
        return " * ".join(parts) if parts else "motion()"


def _as_motion(x: Any) -> Motion | None:
    if isinstance(x, Motion):
        return x
    if isinstance(x, (Rotation, PlaneRotation)):
        return Motion(x)
    return None


def _compose(p: tuple[int, ...] | None, q: tuple[int, ...] | None) -> tuple[int, ...] | None:
    """``q`` first, then ``p``: point i goes to ``q[i]``, then to ``p[q[i]]``."""
    if p is None or q is None:
        return q if p is None else p
    if len(p) != len(q):
        raise ValueError(f"cannot compose permutations of {len(p)} and {len(q)} points")
    return tuple(p[i] for i in q)


#: Axes of the small turns the search tries (shrinking prefers x).
SMALL_AXES = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (1.0, 1.0, 1.0))


@cache
def _small_rotation(k: int, flips: int) -> Rotation:
    """The k-th small turn: 1..179 degrees (slowest), about the axes, then the inversion."""
    inverted, k = k % flips, k // flips
    axis, degrees = SMALL_AXES[k % len(SMALL_AXES)], 1 + k // len(SMALL_AXES)
    r = rotation(axis=axis, degrees=float(degrees))
    return r * inversion() if inverted else r


def _axis_translation(k: int, d: int) -> tuple[float, ...]:
    """The k-th shift along an axis: +x, -x, +y, ... for each length in turn."""
    length = TRANSLATION_LENGTHS[k // (2 * d)]
    axis, sign = (k % (2 * d)) // 2, -1.0 if k % 2 else 1.0
    return tuple(sign * length if j == axis else 0.0 for j in range(d))


class _RandomParts:
    """The random parts of a list of ``size`` elements, all from one seed (one draw), so that
    changing one element's kind leaves the others as they were. Only the parts the group has
    are computed (``d``: None without rotations and translations; ``n``: None without
    permutations)."""

    def __init__(self, seed: int, size: int, d: int | None, n: int | None) -> None:
        rng = np.random.default_rng(seed)
        self.uniform = rng.random((size, 3))  # flip, angle, length
        self.gaussian = rng.standard_normal((size, 4 + (d or 0))) if d else None
        self.shuffles = np.argsort(rng.random((size, n)), axis=1) if n else None

    def of(self, e: int) -> SimpleNamespace:
        """The random draws of element ``e``."""
        u = self.uniform[e]
        out = SimpleNamespace(
            flip=u[0] < 0.5, angle=360.0 * float(u[1]) - 180.0, length=int(u[2] * len(TRANSLATION_LENGTHS))
        )
        if self.gaussian is not None:
            out.quaternion = self.gaussian[e, :4]
            direction = self.gaussian[e, 4:]
            out.direction = direction / np.linalg.norm(direction) if direction.size else direction
        if self.shuffles is not None:
            p = self.shuffles[e]
            out.shuffle = p if (p != np.arange(len(p))).any() else np.roll(p, 1)  # never the identity
        return out


# --- element constructors (names in element reprs) ---------------------------------------------------
def translate(x: float = 0.0, y: float = 0.0, z: float | None = None) -> Motion:
    """Move coordinates by ``(x, y, z)`` (2-D ``(x, y)`` when z is not given)."""
    return Motion(offset=(x, y) if z is None else (x, y, z))


def permute(p: Sequence[int] = ()) -> Motion:
    """Send point (node) ``i`` to position ``p[i]``: ``x_new[p[i]] = x[i]``."""
    return Motion(perm=tuple(p))


def motion() -> Motion:
    """The identity of the groups on coordinates."""
    return Motion()


# --- the groups --------------------------------------------------------------------------------------
class PointGroup(Group):
    """A group acting on coordinates in ``dim`` dimensions and/or on the order of points.

    ``rotations``: None, ``'proper'`` (SO(d)) or ``'all'`` (O(d)); ``translations``: real
    translations; ``permutations``: S_n, with n taken from the input (``grid`` is ``(n,)``:
    the size of the point axis, see :meth:`check_grid`). Use the constructors (:func:`so3`,
    :func:`e3`, :func:`perm`, :func:`product`, ...)."""

    exact = True
    cyclic = False
    interpolation = "exact"

    def __init__(
        self,
        spec: Spec,
        dim: int | None,
        rotations: str | None = None,
        translations: bool = False,
        permutations: bool = False,
    ) -> None:
        if rotations not in (None, "proper", "all"):
            raise ValueError(f"rotations must be None, 'proper' or 'all', got {rotations!r}")
        if (rotations or translations) and dim not in (2, 3):
            raise ValueError(f"coordinates have 2 or 3 dimensions, got {dim!r}")
        self._spec = spec
        self.dim = dim if (rotations or translations) else None
        self.rotations = rotations
        self.translations = bool(translations)
        self.permutations = bool(permutations)

    @property
    def spec(self) -> Spec:
        return self._spec

    @property
    def identity(self) -> Element:
        if self.rotations and not self.translations and not self.permutations:
            return rotation() if self.dim == 3 else Motion()
        return Motion()

    def contains(self, element: Element) -> bool:
        m = _as_motion(element)
        if m is None:
            return False
        if m.orthogonal is not None:
            if self.rotations is None or m.orthogonal.dim != self.dim:
                return False
            if self.rotations == "proper" and not m.orthogonal.proper:
                return False
        if m.offset is not None and (not self.translations or len(m.offset) != self.dim):
            return False
        return m.perm is None or self.permutations

    # --- n, the number of points -------------------------------------------------------------------
    def points(self, grid: Grid | tuple[int, ...] | None) -> int | None:
        """The number of points n the permutations act on (None: the group has no permutations)."""
        if not self.permutations:
            return None
        if grid is None or len(grid) != 1:
            raise ShapeError(
                f"{self.name} permutes the points (nodes) of an input, but no input says which axis "
                "enumerates them: declare it with a point action, e.g. in_action='positions' or "
                "'points(axis=0)' (see docs/points.md)"
            )
        return int(grid[0])

    def check_grid(self, grid: Grid | tuple[int, ...], *, stride: int = 1) -> None:
        """Groups on coordinates act on any input; with permutations, ``grid`` must be ``(n,)``."""
        self.points(grid)

    def order(self, grid: Grid | tuple[int, ...] | None = None) -> float:
        if self.rotations or self.translations:
            return float("inf")
        if not self.permutations or grid is None or len(grid) != 1:
            return 1.0 if not self.permutations else float("inf")
        return float(math.factorial(int(grid[0])))

    def elements(self, grid: Grid | tuple[int, ...] | None = None) -> Sequence[Element] | None:
        """All n! permutations (identity first) for ``perm`` on n points; None otherwise."""
        if self.rotations or self.translations:
            return None
        if not self.permutations:
            return (Motion(),)
        if grid is None or len(grid) != 1:
            return None
        return tuple(Motion(perm=p) for p in permutations(range(int(grid[0]))))

    # --- drawing -------------------------------------------------------------------------------------
    # A drawn element is few Hypothesis draws (each costs tens of microseconds, and the search
    # draws thousands): one small integer that says which parts it has and of which kind, one
    # index for each part of an enumerated kind (a special rotation, a small turn, a shift
    # along an axis, a swap), and one seed per list of elements for all the random parts (Haar
    # rotations, shifts anywhere, shuffles). Every draw shrinks toward 0, i.e. toward the
    # first of each kind: a half turn about x, a 1-degree turn about x, a unit shift along x,
    # swapping points 0 and 1, with the rotation alone.
    def _parts(self, n: int | None) -> list[str]:
        parts = (["rotation"] if self.rotations else []) + (["translation"] if self.translations else [])
        return parts + (["permutation"] if n is not None and n >= 2 else [])

    def _rotation_kinds(self) -> list[tuple[int, Callable[[int, Any], Orthogonal]]]:
        """(count, build) per kind of rotation: the specials, the small turns, the random ones;
        ``build(i, random)`` gives the i-th of the kind (``random``: this element's draws)."""
        improper = self.rotations == "all"
        if self.dim == 2:
            specials = [turn(180.0), turn(90.0)] + ([turn(0.0, True), turn(90.0, True)] if improper else [])
            return [
                (len(specials), lambda i, r: specials[i]),
                (179, lambda i, r: turn(float(i + 1))),
                (1, lambda i, r: turn(float(r.angle), improper and bool(r.flip))),
            ]
        specials3 = half_turns() + (coordinate_reflections() if improper else [])
        flips = 2 if improper else 1
        return [
            (len(specials3), lambda i, r: specials3[i]),
            (179 * len(SMALL_AXES) * flips, lambda i, r: _small_rotation(i, flips)),
            (1, lambda i, r: Rotation(tuple(r.quaternion.tolist()), not (improper and r.flip))),
        ]

    def _translation_kinds(self) -> list[tuple[int, Callable[[int, Any], tuple[float, ...]]]]:
        d = int(self.dim or 3)
        return [
            (2 * d * len(TRANSLATION_LENGTHS), lambda i, r: _axis_translation(i, d)),
            (1, lambda i, r: tuple((r.direction * TRANSLATION_LENGTHS[r.length]).tolist())),
        ]

    def _permutation_kinds(self, n: int) -> list[tuple[int, Callable[[int, Any], tuple[int, ...]]]]:
        pairs = [(i, j) for j in range(1, n) for i in range(j)]  # (0, 1) first, then (0, 2), (1, 2) ...

        def swap(k: int, r: Any) -> tuple[int, ...]:
            i, j = pairs[k]
            p = list(range(n))
            p[i], p[j] = j, i
            return tuple(p)

        return [(len(pairs), swap), (1, lambda i, r: tuple(r.shuffle.tolist()))]

    def element_lists(
        self, grid: Grid | tuple[int, ...] | None, size: int
    ) -> st.SearchStrategy[list[Element]]:
        """Lists of up to ``size`` distinct elements (``size`` drawn; those that coincide, as
        when shrinking makes them all the simplest, are kept once).

        Rotations: the sign-breaking ones (half turns, coordinate-plane reflections, the
        inversion), small turns about the axes, Haar-uniform ones; translations along an axis
        or anywhere (lengths 1, 0.1, 10, 100); transpositions of two points or any
        permutation. In a product each element has a non-empty subset of the parts."""
        n = self.points(grid)
        names = self._parts(n)
        if not names:
            return st.just([Motion()])
        kinds = {
            "rotation": self._rotation_kinds() if self.rotations else [],
            "translation": self._translation_kinds() if self.translations else [],
            "permutation": self._permutation_kinds(n) if n is not None and n >= 2 else [],
        }
        per_part = [kinds[name] for name in names]
        # two draws per element, whatever it is (so that shrinking one draw never shifts the
        # others): a code for which parts (a non-empty subset; 0 = the first part alone) and
        # the kind of each, in mixed radix with the subset as the lowest digit; and an index
        # into the enumerated kinds (modulo each kind's count: 0 is the first of every kind)
        subsets = 2 ** len(names) - 1
        codes = subsets * math.prod(len(k) for k in per_part)
        largest = max(count for part in per_part for count, _ in part)
        seeds, code_of, index_of = (
            st.integers(0, 2**32 - 1),
            st.integers(0, codes - 1),
            st.integers(0, largest - 1),
        )
        rotations_only = names == ["rotation"]
        d = self.dim if (self.rotations or self.translations) else None
        shuffled = n if "permutation" in names else None

        @st.composite
        def draw_list(draw: Callable[..., Any]) -> list[Element]:
            random = _RandomParts(draw(seeds), size, d, shuffled)
            out: dict[Element, None] = {}
            for e in range(size):
                code, index, drawn = draw(code_of), draw(index_of), random.of(e)
                subset, code = code % subsets + 1, code // subsets
                values: dict[str, Any] = {}
                for bit, (name, part_kinds) in enumerate(zip(names, per_part)):
                    kind, code = code % len(part_kinds), code // len(part_kinds)
                    if subset >> bit & 1:
                        count, build = part_kinds[kind]
                        values[name] = build(index % count, drawn)
                if rotations_only:
                    out[values["rotation"]] = None
                    continue
                m = Motion(values.get("rotation"), values.get("translation"), values.get("permutation"))
                if not m.is_identity:
                    out[m] = None
            return list(out) or [self.generators(grid)[0]]

        return draw_list()

    def strategy(self, grid: Grid | tuple[int, ...] | None = None) -> st.SearchStrategy[Element]:
        """One element, drawn as in :meth:`element_lists` (never the identity)."""
        return self.element_lists(grid, 1).map(lambda els: els[0])

    def sample(
        self, rng: np.random.Generator, n: int, grid: Grid | tuple[int, ...] | None = None
    ) -> list[Element]:
        """``n`` elements drawn with NumPy (Haar rotations, Gaussian translations, uniform
        permutations), the identity first, then a half turn about x and (O(3)) the inversion."""
        found = self.elements(grid) if self.order(grid) <= 10_000 else None
        if found is not None:
            idx = sorted(set(rng.choice(len(found), size=min(n, len(found)), replace=False).tolist()) | {0})
            return [found[i] for i in idx]
        points = self.points(grid)
        out: list[Element] = [self.identity]
        if self.rotations and self.dim == 3:
            out += half_turns()[:1] + ([inversion()] if self.rotations == "all" else [])
        for _ in range(max(n - len(out), 0)):
            r: Any = None
            if self.rotations and self.dim == 3:
                r = haar_rotation(rng, self.rotations == "all")
            elif self.rotations:
                r = turn(float(rng.uniform(-180, 180)), self.rotations == "all" and bool(rng.integers(2)))
            t = tuple(rng.standard_normal(int(self.dim or 3)).tolist()) if self.translations else None
            p = tuple(rng.permutation(points).tolist()) if points else None
            m = Motion(r, t, p)
            out.append(m.orthogonal if (m.offset is None and m.perm is None and m.orthogonal) else m)
        return out

    def generators(self, grid: Grid | tuple[int, ...] | None = None) -> list[Element]:
        gens: list[Element] = []
        if self.rotations and self.dim == 3:
            gens += [rotation(axis=a, degrees=1.0) for a in ((1, 0, 0), (0, 1, 0), (0, 0, 1))]
        elif self.rotations:
            gens.append(turn(1.0))
        if self.rotations == "all":
            gens.append(coordinate_reflections()[0] if self.dim == 3 else turn(0.0, True))
        if self.translations:
            d = int(self.dim or 3)
            gens += [Motion(offset=tuple(float(i == j) for j in range(d))) for i in range(d)]
        n = self.points(grid) if self.permutations and grid is not None and len(grid) == 1 else None
        if n is not None and n > 1:
            gens.append(permute([1, 0, *range(2, n)]))
            if n > 2:
                gens.append(permute([*range(1, n), 0]))
        return gens

    def curve_elements(self, points: int = 24) -> tuple[str, list[tuple[float, Element]]] | None:
        """Rotations swept over a full turn about a fixed generic axis (an error curve)."""
        if not self.rotations:
            return None
        values = [360.0 * i / points for i in range(points + 1)]
        if self.dim == 2:
            return "angle", [(v, turn(v)) for v in values]
        axis = (1.0, 2.0, 3.0)
        return "angle", [(v, rotation(axis=axis, degrees=v)) for v in values]


# --- constructors (the names of the grammar) ------------------------------------------------------------
def so3() -> PointGroup:
    """Rotations of 3-D coordinates (about the origin)."""
    return PointGroup(Spec("so3"), 3, rotations="proper")


def o3() -> PointGroup:
    """Rotations and reflections of 3-D coordinates (O(3) = SO(3) x {I, -I})."""
    return PointGroup(Spec("o3"), 3, rotations="all")


def so2_points() -> PointGroup:
    """Rotations of 2-D coordinates (x, y) (point sets; ``so2`` is for grids)."""
    return PointGroup(Spec("so2_points"), 2, rotations="proper")


def o2_points() -> PointGroup:
    """Rotations and reflections of 2-D coordinates (x, y)."""
    return PointGroup(Spec("o2_points"), 2, rotations="all")


def translations3() -> PointGroup:
    """Real translations of 3-D coordinates."""
    return PointGroup(Spec("translations3"), 3, translations=True)


def translations2() -> PointGroup:
    """Real translations of 2-D coordinates."""
    return PointGroup(Spec("translations2"), 2, translations=True)


def se3() -> PointGroup:
    """Rotations and translations of 3-D coordinates (rigid motions)."""
    return PointGroup(Spec("se3"), 3, rotations="proper", translations=True)


def e3() -> PointGroup:
    """E(3): rotations, reflections and translations of 3-D coordinates."""
    return PointGroup(Spec("e3"), 3, rotations="all", translations=True)


def se2_points() -> PointGroup:
    """Rotations and translations of 2-D coordinates."""
    return PointGroup(Spec("se2_points"), 2, rotations="proper", translations=True)


def e2_points() -> PointGroup:
    """E(2) on 2-D coordinates: rotations, reflections and translations."""
    return PointGroup(Spec("e2_points"), 2, rotations="all", translations=True)


def perm() -> PointGroup:
    """S_n: the permutations of the n points (nodes) of the input (n from its point axis)."""
    return PointGroup(Spec("perm"), None, permutations=True)


def product(*factors: Any) -> PointGroup:
    """The direct product of groups on coordinates, e.g. ``product(e3, perm)`` (E(3) x S_n)."""
    if len(factors) < 2:
        raise ValueError("product needs at least two groups, e.g. product(e3, perm)")
    point_groups = [_factor(f) for f in factors]
    dims = {g.dim for g in point_groups if g.dim is not None}
    if len(dims) > 1:
        raise ValueError(f"cannot combine groups of {sorted(dims)}-D coordinates")
    rotations = [g.rotations for g in point_groups if g.rotations]
    if (
        len(rotations) > 1
        or sum(g.translations for g in point_groups) > 1
        or sum(g.permutations for g in point_groups) > 1
    ):
        raise ValueError("each part (rotations, translations, permutations) may come from one factor only")
    spec = Spec("product", tuple(g.spec for g in point_groups), {})
    return PointGroup(
        spec,
        dims.pop() if dims else None,
        rotations=rotations[0] if rotations else None,
        translations=any(g.translations for g in point_groups),
        permutations=any(g.permutations for g in point_groups),
    )


def _factor(factor: Any) -> PointGroup:
    """One factor of :func:`product`: a group on coordinates, or its name."""
    if isinstance(factor, PointGroup):
        return factor
    name = factor.name if isinstance(factor, Spec) and not factor.args and not factor.params else factor
    if not isinstance(name, str) or name not in GROUPS or name == "product":
        known = ", ".join(n for n in GROUPS if n != "product")
        raise ValueError(f"product combines groups on coordinates ({known}); got {factor!r}")
    return GROUPS[name]()  # type: ignore[return-value]


GROUPS: dict[str, Callable[..., Group]] = {
    "so3": so3,
    "o3": o3,
    "so2_points": so2_points,
    "o2_points": o2_points,
    "translations3": translations3,
    "translations2": translations2,
    "se3": se3,
    "e3": e3,
    "se2_points": se2_points,
    "e2_points": e2_points,
    "perm": perm,
    "product": product,
}
ELEMENTS: dict[str, Callable[..., Element]] = {
    "rotation": rotation,
    "inversion": inversion,
    "turn": turn,
    "translate": translate,
    "permute": permute,
    "motion": motion,
}
