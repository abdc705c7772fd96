"""Continuous groups of the plane acting on a grid: rotations by any angle, mirrors, scalings,
sub-pixel translations and their products, plus integer up-sampling.

Every element is ``p ↦ s·R(θ)·M^f·(p - c) + c + t`` on grid positions ``p = (row, col)``:
``M`` mirrors left-right (reverses the column axis, as ``flip('x')``), ``R(θ)`` turns by ``θ``
degrees counter-clockwise as an image is shown (row 0 on top; ``R(90) == rot90(k=1)``),
``s`` scales about the grid centre ``c`` and ``t = (dy, dx)`` moves content down/right by a
real number of pixels. Elements print as products of the simple factors, shift first::

    subshift(dy=0.5, dx=-0.25) * scale(factor=1.25) * rotate(degrees=30.0) * mirror()

and :func:`equicheck.groups.element_from_repr` reads that back. Angles and scale factors are
kept as exact fractions (the nearest with denominator <= 10**6), so ``C_N`` composes exactly
for any ``N`` (``rotate(degrees=360/7)`` seven times is the identity) and reprs round-trip.

Why one element class for all of them: products (E(2), rotation-scaling) and the regular
action of ``C_N``/``D_N`` need a single composition law; a group only restricts which
elements its strategy draws and which it ``contains``.

Names in the grammar of :mod:`equicheck.spec` (defaults omitted from a group's name):

=============================== ===================================================== ==========
name                            elements                                              exact
=============================== ===================================================== ==========
``so2``                         ``rotate(degrees=θ)``, any θ                           no
``o2``                          rotations and ``rotate(...) * mirror()``               no
``cn(n=8)``                     rotations by multiples of 360/n                        n | 4
``dn(n=8)``                     ``cn(n)`` and its n mirrors                            n | 4
``scaling(min=0.8, max=1.25)``  ``scale(factor=s)``, s drawn in [min, max]             no
``subpixel(max_shift=1.0)``     ``subshift(dy, dx)`` (Fourier shift, cyclic)           no
``se2(max_shift=2.0)``          rotations and interpolated sub-pixel shifts            no
``e2(max_shift=2.0)``           ``se2`` and mirrors (E(2) on a grid)                   no
``rotscale(min=.., max=..)``    rotations times scalings                               no
``upsampling(max=4)``           ``upsample(factor=k)``: repeat entries k times         yes
=============================== ===================================================== ==========

``exact`` groups act by index permutations only (the engine judges them with dtype
tolerances); the others interpolate and are judged against the interpolation floor
(:mod:`equicheck.floor`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ..errors import ShapeError
from ..spec import Spec
from .base import Element, Grid, Group
from .grid import GridElement

__all__ = [
    "exact_fraction",
    "rounded_shift",
    "ContinuousElement",
    "ContinuousGroup",
    "UpsampleElement",
    "UpsamplingGroup",
    "cn",
    "dn",
    "e2",
    "mirror",
    "o2",
    "rotate",
    "rotscale",
    "scale",
    "scaling",
    "se2",
    "so2",
    "subpixel",
    "subshift",
    "upsample",
    "upsampling",
]

_DENOMINATOR = 10**6
_SHIFT_TOL = 1e-7
Matrix = tuple[tuple[float, float], tuple[float, float]]


def exact_fraction(value: Any, what: str) -> Fraction:
    """An exact fraction for an angle or factor (floats snap to denominator <= 10**6)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, np.integer, np.floating)):
        raise TypeError(f"{what} must be a number, got {value!r}")
    if isinstance(value, Fraction):
        return value.limit_denominator(_DENOMINATOR)
    if isinstance(value, (int, np.integer)):
        return Fraction(int(value))
    if not math.isfinite(float(value)):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return Fraction(float(value)).limit_denominator(_DENOMINATOR)


def rounded_shift(value: Any, what: str) -> float:
    """A shift in pixels, rounded to 1e-9 so that compositions stay hashable and comparable."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, np.integer, np.floating)):
        raise TypeError(f"{what} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{what} must be finite, got {value!r}")
    v = round(v, 9)
    return 0.0 if v == 0 else v


def _cos_sin(degrees: Fraction) -> tuple[float, float]:
    if degrees % 90 == 0:
        return ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[int(degrees // 90) % 4]
    r = math.radians(float(degrees))
    return math.cos(r), math.sin(r)


def _number(v: Fraction | float) -> str:
    return repr(float(v))


@dataclass(frozen=True, repr=False, eq=False)
class ContinuousElement(Element):
    """``subshift(dy, dx) * scale(factor) * rotate(degrees) * mirror()**flipped``.

    Applied to positions: mirror first, then turn, then scale about the grid centre, then
    shift. ``matrix`` is the orthogonal part (rotation and mirror) that vector fields use;
    ``linear`` includes the scale. Angles and factors compare exactly; shifts (which pick up
    irrational cosines under composition) compare to within 1e-7 pixel, and the hash leaves
    them out so that equal elements hash alike.
    """

    degrees: Fraction = Fraction(0)
    flipped: bool = False
    factor: Fraction = Fraction(1)
    dy: float = 0.0
    dx: float = 0.0

    def __post_init__(self) -> None:
        deg = exact_fraction(self.degrees, "degrees") % 360
        if deg > 180:
            deg -= 360
        factor = exact_fraction(self.factor, "factor")
        if factor <= 0:
            raise ValueError(f"scale factor must be positive, got {self.factor!r}")
        object.__setattr__(self, "degrees", deg)
        object.__setattr__(self, "factor", factor)
        object.__setattr__(self, "flipped", bool(self.flipped))
        object.__setattr__(self, "dy", rounded_shift(self.dy, "dy"))
        object.__setattr__(self, "dx", rounded_shift(self.dx, "dx"))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ContinuousElement):
            return NotImplemented
        return (
            self.degrees == other.degrees
            and self.flipped == other.flipped
            and self.factor == other.factor
            and abs(self.dy - other.dy) <= _SHIFT_TOL
            and abs(self.dx - other.dx) <= _SHIFT_TOL
        )

    def __hash__(self) -> int:
        return hash((self.degrees, self.flipped, self.factor))

    # --- geometry -------------------------------------------------------------------------
    @property
    def matrix(self) -> Matrix:
        """Rotation·mirror on (row, column) offsets (no scale): how vector components turn."""
        c, s = _cos_sin(self.degrees)
        if self.flipped:
            return ((c, s), (s, -c))
        return ((c, -s), (s, c))

    @property
    def linear(self) -> Matrix:
        """The full linear part ``s·R(θ)·M^f`` acting on (row, column) offsets from the centre."""
        f = float(self.factor)
        m = self.matrix
        return ((f * m[0][0], f * m[0][1]), (f * m[1][0], f * m[1][1]))

    @property
    def shift(self) -> tuple[float, float]:
        return (self.dy, self.dx)

    @property
    def point(self) -> ContinuousElement:
        """The element without scale and shift: its image in O(2) (orientation channels)."""
        return ContinuousElement(self.degrees, self.flipped)

    @property
    def is_identity(self) -> bool:
        return self.degrees == 0 and not self.flipped and self.factor == 1 and not self.dy and not self.dx

    @property
    def exact(self) -> bool:
        return self.as_grid() is not None

    def as_grid(self) -> GridElement | None:
        """The equal exact grid element (quarter turns, flips, integer shifts), or None."""
        if self.degrees % 90 or self.factor != 1 or self.dy % 1 or self.dx % 1:
            return None
        return GridElement(int(self.degrees // 90) % 4, self.flipped, int(self.dy), int(self.dx))

    # --- group law ------------------------------------------------------------------------
    def __mul__(self, other: Any) -> ContinuousElement:
        if isinstance(other, GridElement):
            other = from_grid(other)
        if not isinstance(other, ContinuousElement):
            return NotImplemented
        a = self.linear
        ty = self.dy + a[0][0] * other.dy + a[0][1] * other.dx
        tx = self.dx + a[1][0] * other.dy + a[1][1] * other.dx
        deg = self.degrees - other.degrees if self.flipped else self.degrees + other.degrees
        return ContinuousElement(deg, self.flipped != other.flipped, self.factor * other.factor, ty, tx)

    def __rmul__(self, other: Any) -> ContinuousElement:
        if isinstance(other, GridElement):
            return from_grid(other) * self
        return NotImplemented

    def inverse(self) -> ContinuousElement:
        inv = ContinuousElement(
            self.degrees if self.flipped else -self.degrees, self.flipped, 1 / self.factor
        )
        a = inv.linear
        ty = -(a[0][0] * self.dy + a[0][1] * self.dx)
        tx = -(a[1][0] * self.dy + a[1][1] * self.dx)
        return ContinuousElement(inv.degrees, inv.flipped, inv.factor, ty, tx)

    def divide_shift(self, stride: int) -> ContinuousElement:
        """The element as a stride-``stride`` layer's output sees it (shift divided)."""
        return ContinuousElement(self.degrees, self.flipped, self.factor, self.dy / stride, self.dx / stride)

    def __repr__(self) -> str:
        parts = []
        if self.dy or self.dx:
            parts.append(f"subshift(dy={_number(self.dy)}, dx={_number(self.dx)})")
        if self.factor != 1:
            parts.append(f"scale(factor={_number(self.factor)})")
        if self.degrees or not (parts or self.flipped):
            parts.append(f"rotate(degrees={_number(self.degrees)})")
        if self.flipped:
            parts.append("mirror()")
        return " * ".join(parts)


def from_grid(g: GridElement) -> ContinuousElement:
    """The continuous element equal to an exact grid element."""
    return ContinuousElement(Fraction(90 * g.k), g.flipped, Fraction(1), g.dy, g.dx)


def rotate(degrees: float | Fraction = 0.0) -> ContinuousElement:
    """Turn content by ``degrees`` counter-clockwise about the grid centre (as shown, row 0 on top)."""
    return ContinuousElement(exact_fraction(degrees, "degrees"))


def scale(factor: float | Fraction = 1.0) -> ContinuousElement:
    """Magnify content by ``factor`` about the grid centre (``factor > 1`` zooms in)."""
    return ContinuousElement(factor=exact_fraction(factor, "factor"))


def subshift(dy: float = 0.0, dx: float = 0.0) -> ContinuousElement:
    """Move content down by ``dy`` and right by ``dx`` pixels (any real numbers)."""
    return ContinuousElement(dy=dy, dx=dx)


def mirror() -> ContinuousElement:
    """Mirror left-right (reverse the column axis), like ``flip(axis='x')``."""
    return ContinuousElement(flipped=True)


# --- integer up-sampling ---------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class UpsampleElement(Element):
    """Repeat every entry ``factor`` times along both grid axes (``factor = 1/k``: keep every
    k-th entry). Changes the grid size; exact (an index map), so it has no interpolation floor."""

    factor: Fraction = Fraction(1)

    def __post_init__(self) -> None:
        f = exact_fraction(self.factor, "factor")
        if f <= 0 or (f.numerator != 1 and f.denominator != 1):
            raise ValueError(f"upsample factor must be a positive integer or 1/integer, got {self.factor!r}")
        object.__setattr__(self, "factor", f)

    @property
    def matrix(self) -> Matrix:
        return ((1.0, 0.0), (0.0, 1.0))

    @property
    def point(self) -> UpsampleElement:
        return UpsampleElement()

    @property
    def is_identity(self) -> bool:
        return self.factor == 1

    def __mul__(self, other: Any) -> UpsampleElement:
        if not isinstance(other, UpsampleElement):
            return NotImplemented
        return UpsampleElement(self.factor * other.factor)

    def inverse(self) -> UpsampleElement:
        return UpsampleElement(1 / self.factor)

    def __repr__(self) -> str:
        f = self.factor
        return f"upsample(factor={f.numerator if f.denominator == 1 else float(f)!r})"


def upsample(factor: float = 2) -> UpsampleElement:
    """Up-sample by repeating entries ``factor`` times (nearest neighbour; exact)."""
    return UpsampleElement(exact_fraction(factor, "factor"))


# --- groups ------------------------------------------------------------------------------------
def _spec(name: str, params: dict[str, Any], defaults: dict[str, Any]) -> Spec:
    return Spec(name, (), {k: v for k, v in params.items() if v != defaults.get(k)})


class ContinuousGroup(Group):
    """A subgroup of the similarity group of the plane, acting on grids by interpolation.

    ``rotations``: None (no turns), ``'any'`` (SO(2)) or an integer N (C_N); ``mirrors``:
    whether mirrored elements belong; ``scales``: None or the (min, max) range drawn;
    ``max_shift``: largest sub-pixel shift drawn (0: none); ``fourier``: shifts act by Fourier
    phase (cyclic, exact for band-limited periodic signals) instead of spline interpolation.
    Use the constructors (:func:`so2`, :func:`cn`, :func:`scaling`, ...).
    """

    def __init__(
        self,
        spec: Spec,
        rotations: str | int | None = None,
        mirrors: bool = False,
        scales: tuple[float, float] | None = None,
        max_shift: float = 0.0,
        fourier: bool = False,
    ) -> None:
        if rotations is not None and rotations != "any":
            if isinstance(rotations, bool) or not isinstance(rotations, int) or rotations < 1:
                raise ValueError(f"n must be a positive integer, got {rotations!r}")
        if scales is not None:
            lo, hi = (float(v) for v in scales)
            if not (0 < lo <= hi) or not math.isfinite(hi):
                raise ValueError(f"scale range needs 0 < min <= max, got min={lo!r}, max={hi!r}")
            scales = (lo, hi)
        if not isinstance(max_shift, (int, float)) or isinstance(max_shift, bool) or max_shift < 0:
            raise ValueError(f"max_shift must be a non-negative number, got {max_shift!r}")
        self._spec = spec
        self.rotations = rotations
        self.mirrors = bool(mirrors)
        self.scales = scales
        self.max_shift = float(max_shift)
        self.fourier = bool(fourier)
        quarter = rotations is None or (rotations != "any" and 4 % int(rotations) == 0)
        #: Exact when every element is a quarter turn / flip (C4, D4 and their subgroups).
        self.exact = quarter and scales is None and self.max_shift == 0
        #: Fourier shifts wrap around; spline resampling fills with zeros.
        self.cyclic = self.fourier
        #: How elements resample arrays: 'exact', 'fourier' or 'spline'.
        self.interpolation = "exact" if self.exact else ("fourier" if self.fourier else "spline")
        #: Drawn grids are at least this large (interpolation floors are meaningless on tiny grids).
        self.min_grid = 1 if self.exact else 16
        #: Value families drawn when the user names none: band-limited where resampling needs it.
        self.families: tuple[str, ...] | None = (
            None if self.exact else (("smooth",) if self.fourier else ("smooth-disk",))
        )
        #: Orientation channels of the regular action (C_N / D_N only).
        self.point_elements: tuple[ContinuousElement, ...] | None = None
        if rotations not in (None, "any"):
            n = int(rotations)  # type: ignore[arg-type]
            turns = tuple(rotate(Fraction(360 * k, n)) for k in range(n))
            self.point_elements = turns + (tuple(t * mirror() for t in turns) if self.mirrors else ())
        elif rotations is None and self.mirrors:
            self.point_elements = (rotate(0), mirror())

    @property
    def spec(self) -> Spec:
        return self._spec

    @property
    def identity(self) -> ContinuousElement:
        return ContinuousElement()

    @property
    def needs_square(self) -> bool:
        """Groups with quarter turns need square grids (they act exactly there, as rot90)."""
        r = self.rotations
        return r == "any" or (isinstance(r, int) and r % 4 == 0)

    def contains(self, element: Element) -> bool:
        if isinstance(element, GridElement):
            element = from_grid(element)
        if not isinstance(element, ContinuousElement):
            return False
        if element.flipped and not self.mirrors:
            return False
        if self.rotations is None and element.degrees != 0:
            return False
        if isinstance(self.rotations, int) and (element.degrees * self.rotations / 360).denominator != 1:
            return False
        if self.scales is None and element.factor != 1:
            return False
        return not ((element.dy or element.dx) and self.max_shift == 0)

    def check_grid(self, grid: Grid, *, stride: int = 1) -> None:
        if len(grid) != 2 or any(not isinstance(n, int) or n < 1 for n in grid):
            raise ShapeError(f"{self.name} acts on a 2-D grid of positive sizes, got {grid!r}")
        h, w = grid
        if self.needs_square and h != w:
            raise ShapeError(
                f"{self.name} contains quarter turns, which need a square grid; got {h}x{w}. "
                "Crop or pad the input to a square."
            )

    def elements(self, grid: Grid | None = None) -> Sequence[ContinuousElement] | None:
        if self.point_elements is not None and self.scales is None and self.max_shift == 0:
            return self.point_elements
        if self.rotations is None and not self.mirrors and self.scales is None and self.max_shift == 0:
            return (self.identity,)
        return None

    # --- drawing elements ----------------------------------------------------------------
    def _angles(self) -> st.SearchStrategy[Fraction]:
        if self.rotations is None:
            return st.just(Fraction(0))
        if self.rotations == "any":  # tenths of a degree, shrinking toward 0
            return st.integers(-1800, 1800).map(lambda k: Fraction(k, 10))
        n = int(self.rotations)
        return st.integers(-(n // 2), n - 1 - n // 2).map(lambda k: Fraction(360 * k, n))

    def _factors(self) -> st.SearchStrategy[Fraction]:
        if self.scales is None:
            return st.just(Fraction(1))
        lo, hi = (round(v * 1000) for v in self.scales)
        return st.integers(lo - 1000, hi - 1000).map(lambda k: Fraction(1000 + k, 1000))

    def _shifts(self) -> st.SearchStrategy[float]:
        if self.max_shift == 0:
            return st.just(0.0)
        m = int(math.floor(self.max_shift * 100))
        return st.integers(-m, m).map(lambda k: k / 100)

    def strategy(self, grid: Grid | None = None) -> st.SearchStrategy[ContinuousElement]:
        """Elements drawn on a fine lattice (0.1°, scale 1e-3, shift 0.01 px) so that reprs read
        well; shrinks toward the identity: angle 0, no mirror, factor 1, no shift."""
        if grid is not None:
            self.check_grid(grid)
        if self.elements(grid) is not None:
            return st.sampled_from(tuple(self.elements(grid) or ()))
        mirrored = st.booleans() if self.mirrors else st.just(False)
        return st.builds(
            lambda deg, f, s, dy, dx: ContinuousElement(deg, f, s, dy, dx),
            self._angles(),
            mirrored,
            self._factors(),
            self._shifts(),
            self._shifts(),
        )

    def sample(self, rng: np.random.Generator, n: int, grid: Grid | None = None) -> list[ContinuousElement]:
        """``n`` elements drawn uniformly (angles, log-scale, shifts) without Hypothesis."""
        found = self.elements(grid)
        if found is not None:
            return list(found)
        out = []
        for _ in range(n):
            if self.rotations == "any":
                deg = Fraction(round(float(rng.uniform(-180, 180)), 2)).limit_denominator(100)
            elif self.rotations is None:
                deg = Fraction(0)
            else:
                n_rot = int(self.rotations)
                deg = Fraction(360 * int(rng.integers(n_rot)), n_rot)
            flipped = bool(self.mirrors and rng.integers(2))
            factor = Fraction(1)
            if self.scales is not None:
                lo, hi = self.scales
                factor = Fraction(round(math.exp(rng.uniform(math.log(lo), math.log(hi))), 3))
            dy = dx = 0.0
            if self.max_shift:
                dy, dx = (round(float(v), 2) for v in rng.uniform(-self.max_shift, self.max_shift, 2))
            out.append(ContinuousElement(deg, flipped, factor, dy, dx))
        return out

    def generators(self, grid: Grid | None = None) -> list[Element]:
        gens: list[Element] = []
        if self.rotations == "any":
            gens.append(rotate(1.0))
        elif isinstance(self.rotations, int) and self.rotations > 1:
            gens.append(rotate(Fraction(360, self.rotations)))
        if self.mirrors:
            gens.append(mirror())
        if self.scales is not None:
            gens.append(scale(self.scales[1]))
        if self.max_shift:
            gens += [subshift(dy=min(0.5, self.max_shift)), subshift(dx=min(0.5, self.max_shift))]
        return gens

    def curve_elements(self, points: int = 24) -> tuple[str, list[tuple[float, ContinuousElement]]]:
        """The one-parameter sweep an error curve is drawn along: (parameter, [(value, element)]).

        Rotation groups sweep the angle over a full turn (quarter turns included), scalings
        the factor over [min, max] (geometric, 1 included), shift groups ``dx``."""
        if self.rotations is not None:
            if self.rotations == "any":
                values = [Fraction(360 * i, points) for i in range(points + 1)]
            else:
                n = int(self.rotations)
                values = [Fraction(360 * i, n) for i in range(n + 1)]
            return "angle", [(float(v), rotate(v)) for v in values]
        if self.scales is not None:
            lo, hi = self.scales
            grid = np.unique(np.concatenate([np.geomspace(lo, hi, points), [1.0]]))
            return "scale", [(float(v), scale(Fraction(round(float(v), 4)))) for v in grid]
        if self.max_shift:
            m = self.max_shift
            return "shift", [
                (round(float(v), 4), subshift(dx=round(float(v), 4))) for v in np.linspace(-m, m, points + 1)
            ]
        return "element", [(float(i), e) for i, e in enumerate(self.elements() or ())]


class UpsamplingGroup(Group):
    """Integer up-sampling ``upsample(factor=k)`` for k = 1..max (exact: entries repeated).

    Not closed in the strict sense (its inverses are down-samplings); the check enumerates
    ``max`` elements. Equivariance holds exactly for pointwise functions and is a useful probe
    of resolution dependence."""

    exact = True
    cyclic = True
    families = None

    def __init__(self, spec: Spec, max_factor: int = 4) -> None:
        if isinstance(max_factor, bool) or not isinstance(max_factor, int) or max_factor < 1:
            raise ValueError(f"max must be a positive integer, got {max_factor!r}")
        self._spec = spec
        self.max_factor = max_factor

    @property
    def spec(self) -> Spec:
        return self._spec

    @property
    def identity(self) -> UpsampleElement:
        return UpsampleElement()

    def contains(self, element: Element) -> bool:
        return isinstance(element, UpsampleElement)

    def check_grid(self, grid: Grid, *, stride: int = 1) -> None:
        if len(grid) != 2 or any(not isinstance(n, int) or n < 1 for n in grid):
            raise ShapeError(f"{self.name} acts on a 2-D grid of positive sizes, got {grid!r}")

    def elements(self, grid: Grid | None = None) -> Sequence[UpsampleElement]:
        return tuple(UpsampleElement(Fraction(k)) for k in range(1, self.max_factor + 1))

    def strategy(self, grid: Grid | None = None) -> st.SearchStrategy[UpsampleElement]:
        """Factors 1..max; shrinks toward 1 (the identity)."""
        return st.sampled_from(tuple(self.elements(grid)))

    def generators(self, grid: Grid | None = None) -> list[Element]:
        return [UpsampleElement(Fraction(2))] if self.max_factor >= 2 else []


# --- constructors (the names of the grammar) ----------------------------------------------------
def so2() -> ContinuousGroup:
    """Rotations by any angle about the grid centre (interpolated; square grids)."""
    return ContinuousGroup(Spec("so2"), rotations="any")


def o2() -> ContinuousGroup:
    """Rotations by any angle and mirrors (interpolated; square grids)."""
    return ContinuousGroup(Spec("o2"), rotations="any", mirrors=True)


def cn(n: int = 8) -> ContinuousGroup:
    """Rotations by multiples of 360/n degrees (exact for n = 1, 2, 4; else interpolated)."""
    return ContinuousGroup(Spec("cn", (), {"n": n}), rotations=n)


def dn(n: int = 8) -> ContinuousGroup:
    """``cn(n)`` and n mirrors (exact for n = 1, 2, 4; else interpolated)."""
    return ContinuousGroup(Spec("dn", (), {"n": n}), rotations=n, mirrors=True)


def scaling(min: float = 0.8, max: float = 1.25) -> ContinuousGroup:  # noqa: A002 - grammar names
    """Scalings about the grid centre; elements drawn with factors in [min, max]."""
    spec = _spec("scaling", {"min": min, "max": max}, {"min": 0.8, "max": 1.25})
    return ContinuousGroup(spec, scales=(min, max))


def rotscale(min: float = 0.8, max: float = 1.25) -> ContinuousGroup:  # noqa: A002
    """Rotations by any angle times scalings in [min, max] (interpolated; square grids)."""
    spec = _spec("rotscale", {"min": min, "max": max}, {"min": 0.8, "max": 1.25})
    return ContinuousGroup(spec, rotations="any", scales=(min, max))


def subpixel(max_shift: float = 1.0) -> ContinuousGroup:
    """Sub-pixel translations by Fourier phase shifts (cyclic; exact for band-limited periodic
    signals). Elements drawn with ``|dy|, |dx| <= max_shift``."""
    spec = _spec("subpixel", {"max_shift": max_shift}, {"max_shift": 1.0})
    return ContinuousGroup(spec, max_shift=max_shift, fourier=True)


def se2(max_shift: float = 2.0) -> ContinuousGroup:
    """Rotations by any angle and real translations (spline-interpolated, zero fill)."""
    spec = _spec("se2", {"max_shift": max_shift}, {"max_shift": 2.0})
    return ContinuousGroup(spec, rotations="any", max_shift=max_shift)


def e2(max_shift: float = 2.0) -> ContinuousGroup:
    """E(2) on a grid: rotations, mirrors and real translations (spline-interpolated)."""
    spec = _spec("e2", {"max_shift": max_shift}, {"max_shift": 2.0})
    return ContinuousGroup(spec, rotations="any", mirrors=True, max_shift=max_shift)


def upsampling(max: int = 4) -> UpsamplingGroup:  # noqa: A002
    """Integer up-sampling by 1..max (entries repeated: exact)."""
    return UpsamplingGroup(_spec("upsampling", {"max": max}, {"max": 4}), max)


GROUPS: dict[str, Callable[..., Group]] = {
    "so2": so2,
    "o2": o2,
    "cn": cn,
    "dn": dn,
    "scaling": scaling,
    "rotscale": rotscale,
    "subpixel": subpixel,
    "se2": se2,
    "e2": e2,
    "upsampling": upsampling,
}
ELEMENTS: dict[str, Callable[..., Element]] = {
    "rotate": rotate,
    "scale": scale,
    "subshift": subshift,
    "mirror": mirror,
    "upsample": upsample,
}
