"""Exact groups of the square grid: integer translations, quarter turns, flips and products.

Every element is ``x ↦ A·(x - c) + c + t`` on grid positions ``x = (y, x)`` (row first),
where ``A`` is one of the 8 integer matrices of D4, ``c`` the centre of the grid and ``t``
an integer shift; it acts on an array as an index permutation (np.flip, np.rot90, np.roll).

Conventions (also in docs/concepts.md):

* ``shift(dy, dx)`` moves content *down* by ``dy`` rows and *right* by ``dx`` columns,
  like ``np.roll(x, (dy, dx), axis=(-2, -1))``.
* ``rot90(k)`` turns content by ``k`` quarter turns counter-clockwise as an image is shown
  (row 0 on top), like ``np.rot90(x, k, axes=(-2, -1))``.
* ``flip(axis='x')`` mirrors left-right (reverses the column axis); ``'y'`` mirrors
  top-bottom; ``'diag'`` swaps rows and columns (transpose); ``'antidiag'`` the other diagonal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from ..errors import ShapeError
from ..spec import Spec
from .base import Element, Grid, Group

__all__ = [
    "GridElement",
    "GridGroup",
    "check_shift_options",
    "shift_count",
    "shift_values",
    "c2",
    "c4",
    "d4",
    "flip",
    "flips",
    "identity",
    "p4",
    "p4m",
    "rot90",
    "shift",
    "translation",
]

Matrix = tuple[tuple[int, int], tuple[int, int]]


def _matmul(a: Matrix, b: Matrix) -> Matrix:
    return (
        (a[0][0] * b[0][0] + a[0][1] * b[1][0], a[0][0] * b[0][1] + a[0][1] * b[1][1]),
        (a[1][0] * b[0][0] + a[1][1] * b[1][0], a[1][0] * b[0][1] + a[1][1] * b[1][1]),
    )


_ROT: Matrix = ((0, -1), (1, 0))  # content at (y, x) relative to the centre goes to (-x, y)
_FLIP: Matrix = ((1, 0), (0, -1))  # reverses the column axis
_EYE: Matrix = ((1, 0), (0, 1))


def _point_matrix(k: int, flipped: bool) -> Matrix:
    m = _FLIP if flipped else _EYE
    for _ in range(k % 4):
        m = _matmul(_ROT, m)
    return m


_DECODE = {_point_matrix(k, f): (k, f) for f in (False, True) for k in range(4)}

# Names of the four reflections: rot90(k) * flip('x') for k = 0, 1, 2, 3.
_FLIP_NAMES = {0: "x", 1: "diag", 2: "y", 3: "antidiag"}
_FLIP_K = {v: k for k, v in _FLIP_NAMES.items()}


@dataclass(frozen=True, repr=False)
class GridElement(Element):
    """``shift(dy, dx) * rot90(k) * flip('x')**flipped``: flip first, then turn, then shift."""

    k: int = 0
    flipped: bool = False
    dy: int = 0
    dx: int = 0

    def __post_init__(self) -> None:
        for name in ("k", "dy", "dx"):
            value = getattr(self, name)
            if type(value) is not int:
                try:
                    as_int = int(value)
                except (TypeError, ValueError):
                    as_int = None
                if as_int is None or as_int != value:
                    raise TypeError(f"{name} must be an integer, got {value!r}")
                object.__setattr__(self, name, as_int)
        object.__setattr__(self, "k", self.k % 4)
        object.__setattr__(self, "flipped", bool(self.flipped))

    @property
    def matrix(self) -> Matrix:
        """The linear part ``A`` acting on (row, column) offsets from the grid centre."""
        return _point_matrix(self.k, self.flipped)

    @property
    def shift(self) -> tuple[int, int]:
        return (self.dy, self.dx)

    @property
    def point(self) -> GridElement:
        """The element without its shift (its image in D4)."""
        return GridElement(self.k, self.flipped)

    @property
    def is_identity(self) -> bool:
        return self.k == 0 and not self.flipped and self.dy == 0 and self.dx == 0

    def __mul__(self, other: Any) -> GridElement:
        if not isinstance(other, GridElement):
            return NotImplemented
        a = self.matrix
        ty = self.dy + a[0][0] * other.dy + a[0][1] * other.dx
        tx = self.dx + a[1][0] * other.dy + a[1][1] * other.dx
        k, f = _DECODE[_matmul(a, other.matrix)]
        return GridElement(k, f, ty, tx)

    def inverse(self) -> GridElement:
        a = self.matrix
        inv = ((a[0][0], a[1][0]), (a[0][1], a[1][1]))  # orthogonal: inverse = transpose
        k, f = _DECODE[inv]
        ty = -(inv[0][0] * self.dy + inv[0][1] * self.dx)
        tx = -(inv[1][0] * self.dy + inv[1][1] * self.dx)
        return GridElement(k, f, ty, tx)

    def __repr__(self) -> str:
        parts = []
        if self.dy or self.dx:
            parts.append(f"shift(dy={self.dy}, dx={self.dx})")
        if self.flipped:
            parts.append(f"flip(axis={_FLIP_NAMES[self.k]!r})")
        elif self.k:
            parts.append(f"rot90(k={self.k})")
        return " * ".join(parts) if parts else "identity()"


def _shifted(dy: int, dx: int, point: GridElement) -> GridElement:
    return shift(dy, dx) * point


def identity() -> GridElement:
    """The identity element."""
    return GridElement()


def shift(dy: int = 0, dx: int = 0) -> GridElement:
    """Move content down by ``dy`` rows and right by ``dx`` columns."""
    return GridElement(0, False, dy, dx)


def rot90(k: int = 1) -> GridElement:
    """``k`` quarter turns counter-clockwise (as ``np.rot90``)."""
    return GridElement(k, False)


def flip(axis: str = "x") -> GridElement:
    """A mirror: ``'x'`` left-right, ``'y'`` top-bottom, ``'diag'`` transpose, ``'antidiag'``."""
    if axis not in _FLIP_K:
        raise ValueError(f"flip axis must be one of {sorted(_FLIP_K)}, got {axis!r}")
    return GridElement(_FLIP_K[axis], True)


def check_shift_options(step: Any, max_shift: Any) -> None:
    """ValueError unless ``step`` is a positive integer and ``max_shift`` None or >= 0."""
    if isinstance(step, bool) or not isinstance(step, int) or step < 1:
        raise ValueError(f"step must be a positive integer, got {step!r}")
    if max_shift is not None and (
        isinstance(max_shift, bool) or not isinstance(max_shift, int) or max_shift < 0
    ):
        raise ValueError(f"max_shift must be a non-negative integer, got {max_shift!r}")


def shift_values(n: int, step: int, cyclic: bool, max_shift: int | None) -> list[int]:
    """Shifts along one axis of size n, smallest magnitude first (one per residue if cyclic)."""
    s = step
    limit = n // 2 if max_shift is None else min(max_shift, n // 2)
    if cyclic:
        reps = {((v + n // 2) % n) - n // 2 if n > 1 else 0 for v in range(0, n, s)}
        reps = {v for v in reps if abs(v) <= limit} if max_shift is not None else reps
    else:
        reps = {v for v in range(-limit, limit + 1) if v % s == 0}
    return sorted(reps, key=lambda v: (abs(v), v < 0))


def shift_count(n: int, step: int, cyclic: bool, max_shift: int | None) -> int:
    """``len(shift_values(...))``, counted without listing (grids may be huge)."""
    s = step
    limit = n // 2 if max_shift is None else min(max_shift, n // 2)
    if not cyclic:
        return 2 * (limit // s) + 1
    if n <= 1:
        return 1
    if max_shift is None:
        return len(range(0, n, s))
    lo, hi = max(-limit, -(n // 2)), min(limit, n - 1 - n // 2)  # the centred residues kept
    return hi // s + (-lo) // s + 1 if n % s == 0 else len(shift_values(n, step, cyclic, max_shift))


_POINT_GROUPS: dict[str, tuple[GridElement, ...]] = {
    "trivial": (identity(),),
    "c2": (identity(), rot90(2)),
    "c4": tuple(rot90(k) for k in range(4)),
    "flip-x": (identity(), flip("x")),
    "flip-y": (identity(), flip("y")),
    "flips": (identity(), flip("x"), flip("y"), rot90(2)),
    "d4": tuple(rot90(k) for k in range(4)) + tuple(flip(a) for a in ("x", "diag", "y", "antidiag")),
}


class GridGroup(Group):
    """A subgroup of Z² ⋊ D4 acting exactly on a grid: translations and/or a point group.

    Use the constructors (:func:`translation`, :func:`c4`, :func:`d4`, :func:`p4`, ...)
    rather than this class directly.
    """

    exact = True

    def __init__(
        self,
        spec: Spec,
        point: str = "trivial",
        translations: bool = False,
        step: int = 1,
        cyclic: bool = True,
        max_shift: int | None = None,
    ) -> None:
        if point not in _POINT_GROUPS:
            raise ValueError(f"unknown point group {point!r}")
        check_shift_options(step, max_shift)
        self._spec = spec
        self.point = point
        self.point_elements = _POINT_GROUPS[point]
        self.translations = translations
        self.step = step
        self.cyclic = bool(cyclic)
        self.max_shift = max_shift

    @property
    def spec(self) -> Spec:
        return self._spec

    @property
    def identity(self) -> GridElement:
        return GridElement()

    @property
    def needs_square(self) -> bool:
        return any(e.k % 2 for e in self.point_elements)

    def contains(self, element: Element) -> bool:
        if not isinstance(element, GridElement):
            return False
        if element.point not in self.point_elements:
            return False
        if not self.translations:
            return element.dy == 0 and element.dx == 0
        return element.dy % self.step == 0 and element.dx % self.step == 0

    def check_grid(self, grid: Grid, *, stride: int = 1) -> None:
        if len(grid) != 2 or any(not isinstance(n, int) or n < 1 for n in grid):
            raise ShapeError(f"{self.name} acts on a 2-D grid of positive sizes, got {grid!r}")
        h, w = grid
        if self.needs_square and h != w:
            raise ShapeError(
                f"{self.name} contains quarter turns, which need a square grid; got {h}x{w}. "
                "Crop or pad the input to a square, or use a group without quarter turns "
                "(e.g. 'flips' or 'translation')."
            )
        step = self.step // stride if self.step % stride == 0 else self.step
        if self.translations and step > 1 and (h % step or w % step):
            raise ShapeError(
                f"{self.name} shifts by multiples of {step} on this grid, which needs grid sizes "
                f"divisible by {step}; got {h}x{w}"
            )

    def _shift_range(self, n: int) -> list[int]:
        return shift_values(n, self.step, self.cyclic, self.max_shift)

    def _shift_count(self, n: int) -> int:
        return shift_count(n, self.step, self.cyclic, self.max_shift)

    def elements(self, grid: Grid | None = None) -> Sequence[GridElement] | None:
        if not self.translations:
            return self.point_elements
        if grid is None:
            return None
        self.check_grid(grid)
        shifts = [shift(dy, dx) for dy in self._shift_range(grid[0]) for dx in self._shift_range(grid[1])]
        shifts.sort(key=lambda e: (abs(e.dy) + abs(e.dx), abs(e.dy)))
        return [t * p for t in shifts for p in self.point_elements]

    def order(self, grid: Grid | None = None) -> float:
        """Counted, not enumerated: a 224x224 grid has 401,408 elements of p4m."""
        if not self.translations:
            return len(self.point_elements)
        if grid is None:
            return math.inf
        self.check_grid(grid)
        shifts = self._shift_count(grid[0]) * self._shift_count(grid[1])
        return shifts * len(self.point_elements)

    def strategy(self, grid: Grid | None = None) -> st.SearchStrategy[GridElement]:
        point = st.sampled_from(self.point_elements)
        if not self.translations:
            return point
        if grid is not None:
            self.check_grid(grid)
        size_y, size_x = grid if grid is not None else (16, 16)

        def axis(n: int) -> st.SearchStrategy[int]:
            values = self._shift_range(n)
            lo, hi = min(values) // self.step, max(values) // self.step
            return st.integers(lo, hi).map(lambda i: i * self.step)

        return st.builds(_shifted, axis(size_y), axis(size_x), point)

    def generators(self, grid: Grid | None = None) -> list[Element]:
        gens: list[Element] = []
        if self.translations:
            gens += [shift(self.step, 0), shift(0, self.step)]
        gens += [e for e in self.point_elements[1:] if e in (rot90(1), flip("x"), flip("y"), rot90(2))]
        return gens


def _spec(name: str, **params: Any) -> Spec:
    return Spec(name, (), {k: v for k, v in params.items() if v is not None})


def translation(step: int = 1, cyclic: bool = True, max_shift: int | None = None) -> GridGroup:
    """Integer shifts (multiples of ``step``) on two axes; cyclic (Z_H×Z_W) or with zero fill.

    With ``cyclic=False`` the action fills entering entries with zeros, so results are judged
    away from the border (see the ``margin`` keyword of the check).
    """
    spec = _spec(
        "translation",
        step=step if step != 1 else None,
        cyclic=None if cyclic else False,
        max_shift=max_shift,
    )
    return GridGroup(spec, "trivial", True, step, cyclic, max_shift)


def c2() -> GridGroup:
    """Half turns {identity, rot90(k=2)}."""
    return GridGroup(Spec("c2"), "c2")


def c4() -> GridGroup:
    """Quarter turns C4 (needs square grids)."""
    return GridGroup(Spec("c4"), "c4")


def flips(axis: str | None = None) -> GridGroup:
    """Mirrors: one axis (``'x'`` or ``'y'``) or, by default, both (with the half turn)."""
    if axis is None:
        return GridGroup(Spec("flips"), "flips")
    if axis not in ("x", "y"):
        raise ValueError(f"flips(axis=...) takes 'x' or 'y', got {axis!r}")
    return GridGroup(Spec("flips", (), {"axis": axis}), f"flip-{axis}")


def d4() -> GridGroup:
    """The 8 symmetries of the square: quarter turns and mirrors (needs square grids)."""
    return GridGroup(Spec("d4"), "d4")


def p4(step: int = 1, cyclic: bool = True, max_shift: int | None = None) -> GridGroup:
    """Translations and quarter turns about the grid centre (Z² ⋊ C4)."""
    spec = _spec(
        "p4", step=step if step != 1 else None, cyclic=None if cyclic else False, max_shift=max_shift
    )
    return GridGroup(spec, "c4", True, step, cyclic, max_shift)


def p4m(step: int = 1, cyclic: bool = True, max_shift: int | None = None) -> GridGroup:
    """Translations, quarter turns and mirrors (Z² ⋊ D4)."""
    spec = _spec(
        "p4m", step=step if step != 1 else None, cyclic=None if cyclic else False, max_shift=max_shift
    )
    return GridGroup(spec, "d4", True, step, cyclic, max_shift)
