"""Interpolated groups of 1-D signals and 3-D volumes: rotations by any angle about any axis,
scalings, sub-sample shifts. Judged against the interpolation floor, as ``so2`` is in 2-D.

=============================================== ===================================================
``so3_volume()``                                 Haar-drawn :class:`Rotation` s about the centre
``o3_volume()``                                  ``so3_volume`` and each times the inversion
``scaling(min=0.8, max=1.25, dims=1|3)``         time scalings (1-D), volume scalings (3-D)
``subpixel(max_shift=1.0, dims=1|3)``            Fourier shifts by real numbers of entries (cyclic)
=============================================== ===================================================

``scaling`` and ``subpixel`` without ``dims`` (or ``dims=2``) are the 2-D groups of
:mod:`equicheck.groups.continuous`, unchanged. The rotation groups need volumes with equal
sides, as ``so2`` needs square images and ``cube24`` cubes: their quarter turns are index
permutations there, judged exactly. The region every turn keeps is the ball inscribed in the
volume (round in physical units with ``spacing=``: an ellipsoid in entries).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ..errors import ShapeError
from ..spec import Spec
from . import continuous
from .base import Element, Grid, Group
from .lattice import SignalElement, VolumeElement, volume
from .rotations import Rotation, haar_rotation, inversion, rotation

__all__ = ["ResampledGroup", "o3_volume", "scaling", "so3_volume", "subpixel"]

#: The axes ``x, y, z`` as vectors of a Rotation's coordinates.
_AXES = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0)}


class ResampledGroup(Group):
    """Interpolated elements of 1-D or 3-D grids (use the constructors: :func:`so3_volume`, ...).

    ``turns``: None, ``'so3'`` or ``'o3'`` (3-D only); ``scales``: None or the (min, max) range
    drawn; ``max_shift``: the largest shift drawn per axis (0: none); ``fourier``: shifts act by
    Fourier phase (cyclic) instead of spline interpolation.
    """

    exact = False
    #: Drawn grids are at least this large along every axis (16³ keeps a volume check fast).
    min_grid = 16
    point_elements = None

    def __init__(
        self,
        spec: Spec,
        dims: int,
        turns: str | None = None,
        scales: tuple[float, float] | None = None,
        max_shift: float = 0.0,
        fourier: bool = False,
    ) -> None:
        if dims not in (1, 3) or (turns is not None and dims != 3):
            raise ValueError(f"resampled groups act on 1-D or 3-D grids (turns on 3-D), got dims={dims!r}")
        if scales is not None:
            lo, hi = (_number(v, n) for v, n in zip(scales, ("min", "max")))
            if not (0 < lo <= hi):
                raise ValueError(f"scale range needs 0 < min <= max, got min={lo!r}, max={hi!r}")
            scales = (lo, hi)
        if _number(max_shift, "max_shift") < 0:
            raise ValueError(f"max_shift must be a non-negative number, got {max_shift!r}")
        self._spec = spec
        self.dims = dims
        self.turns = turns
        self.scales = scales
        self.max_shift = float(max_shift)
        self.fourier = bool(fourier)
        #: Fourier shifts wrap around; spline resampling fills with zeros.
        self.cyclic = self.fourier
        self.interpolation = "fourier" if self.fourier else "spline"
        #: Band-limited inputs, tapered to the inscribed ball for spline resampling.
        self.families: tuple[str, ...] = ("smooth",) if self.fourier else ("smooth-disk",)

    @property
    def spec(self) -> Spec:
        return self._spec

    @property
    def identity(self) -> Element:
        return SignalElement() if self.dims == 1 else Rotation()

    @property
    def needs_square(self) -> bool:
        """Rotation groups draw cubes (where their quarter turns are exact index permutations);
        they take volumes of any sides, on which a turn that exchanges axes of unequal size is
        resampled like any other and judged against the floor."""
        return self.turns is not None

    # --- membership and grids -----------------------------------------------------------------
    def _parts(self, element: Element) -> tuple[Rotation, Fraction, tuple[float, ...]] | None:
        """(point, factor, shift) of a 1-D or 3-D element of the right kind, else None."""
        if self.dims == 1:
            if not isinstance(element, SignalElement) or element.flipped:
                return None
            return Rotation(), element.factor, element.shift
        if isinstance(element, Rotation):
            return element, Fraction(1), (0.0, 0.0, 0.0)
        if isinstance(element, VolumeElement):
            return element.point, element.factor, tuple(element.shift)
        return None

    def contains(self, element: Element) -> bool:
        parts = self._parts(element)
        if parts is None:
            return False
        point, factor, shift = parts
        if self.turns is None and not point.is_identity:
            return False
        if self.turns == "so3" and not point.proper:
            return False
        if self.scales is None and factor != 1:
            return False
        return not (any(shift) and self.max_shift == 0)

    def check_grid(self, grid: Grid, *, stride: int = 1) -> None:
        what = "signal" if self.dims == 1 else "volume"
        sizes_ok = all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in grid)
        if len(grid) != self.dims or not sizes_ok:
            raise ShapeError(
                f"{self.name} acts on a {self.dims}-D grid ({what}) of positive sizes, got a grid of "
                f"{len(grid)} axes {tuple(grid)!r}; a spatial action moves the last {self.dims} axes by "
                f"default (say others with axes=)"
            )

    def elements(self, grid: Grid | None = None) -> Sequence[Element] | None:
        return None

    # --- drawing elements -----------------------------------------------------------------------
    def _element(self, point: Rotation, factor: Fraction, shift: Sequence[float]) -> Element:
        if self.dims == 1:
            return SignalElement(False, factor, shift[0])
        return volume(point, factor, tuple(shift))

    def _points(self) -> st.SearchStrategy[Rotation]:
        """Turns by tenths of a degree about an axis with small integer components (Haar-ish
        coverage); shrinks toward small angles about z, then proper turns."""
        if self.turns is None:
            return st.just(Rotation())
        component = st.integers(-4, 4)
        axis = st.tuples(component, component, component).map(lambda v: v if any(v) else (0, 0, 1))
        angle = st.integers(-1800, 1800).map(lambda k: k / 10)
        improper = st.booleans() if self.turns == "o3" else st.just(False)
        return st.builds(
            lambda a, deg, inv: rotation(axis=list(a), degrees=deg) * (inversion() if inv else Rotation()),
            axis,
            angle,
            improper,
        )

    def _factors(self) -> st.SearchStrategy[Fraction]:
        if self.scales is None:
            return st.just(Fraction(1))
        lo, hi = (round(v * 1000) for v in self.scales)
        return st.integers(lo - 1000, hi - 1000).map(lambda k: Fraction(1000 + k, 1000))

    def _shifts(self) -> st.SearchStrategy[tuple[float, ...]]:
        if self.max_shift == 0:
            return st.just((0.0,) * self.dims)
        m = int(math.floor(self.max_shift * 100))
        one = st.integers(-m, m).map(lambda k: k / 100)
        return st.tuples(*(one for _ in range(self.dims)))

    def strategy(self, grid: Grid | None = None) -> st.SearchStrategy[Element]:
        """Elements on a fine lattice (0.1°, scale 1e-3, shift 0.01 entry) so that reprs read
        well; shrinks toward the identity (no turn, factor 1, no shift)."""
        if grid is not None:
            self.check_grid(grid)
        return st.builds(self._element, self._points(), self._factors(), self._shifts())

    def sample(self, rng: np.random.Generator, n: int, grid: Grid | None = None) -> list[Element]:
        """``n`` elements without Hypothesis: Haar rotations, log-uniform factors, uniform shifts."""
        out = []
        for _ in range(n):
            point = haar_rotation(rng, improper=self.turns == "o3") if self.turns else Rotation()
            factor = Fraction(1)
            if self.scales is not None:
                lo, hi = self.scales
                factor = Fraction(round(math.exp(rng.uniform(math.log(lo), math.log(hi))), 3))
            shift = [0.0] * self.dims
            if self.max_shift:
                shift = [round(float(v), 2) for v in rng.uniform(-self.max_shift, self.max_shift, self.dims)]
            out.append(self._element(point, factor, shift))
        return out

    def generators(self, grid: Grid | None = None) -> list[Element]:
        gens: list[Element] = []
        if self.turns is not None:
            gens += [rotation(axis=list(_AXES[a]), degrees=1.0) for a in "xyz"]
        if self.turns == "o3":
            gens.append(inversion())
        if self.scales is not None:
            top = continuous.exact_fraction(self.scales[1], "max")
            gens.append(self._element(Rotation(), top, [0.0] * self.dims))
        for i in range(self.dims if self.max_shift else 0):
            unit = [0.0] * self.dims
            unit[i] = min(0.5, self.max_shift)
            gens.append(self._element(Rotation(), Fraction(1), unit))
        return gens

    def curve_elements(self, points: int = 24) -> tuple[str, list[tuple[float, Element]]]:
        """Rotations sweep the angle about z over a full turn (quarter turns included), scalings
        the factor over [min, max] (geometric, 1 included), shifts the last axis."""
        if self.turns is not None:
            values = [Fraction(360 * i, points) for i in range(points + 1)]
            return "angle", [(float(v), rotation(axis=list(_AXES["z"]), degrees=float(v))) for v in values]
        if self.scales is not None:
            lo, hi = self.scales
            grid = np.unique(np.concatenate([np.geomspace(lo, hi, points), [1.0]]))
            return "scale", [
                (float(v), self._element(Rotation(), Fraction(round(float(v), 4)), [0.0] * self.dims))
                for v in grid
            ]
        m = self.max_shift
        sweep = []
        for v in np.linspace(-m, m, points + 1):
            shift = [0.0] * self.dims
            shift[-1] = round(float(v), 4)
            sweep.append((shift[-1], self._element(Rotation(), Fraction(1), shift)))
        return "shift", sweep


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, np.integer, np.floating)):
        raise TypeError(f"{what} must be a number, got {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return float(value)


def _dims(dims: Any) -> int:
    if isinstance(dims, bool) or dims not in (1, 2, 3):
        raise ValueError(f"dims must be 1, 2 or 3 (the number of grid axes), got {dims!r}")
    return int(dims)


def _spec(name: str, params: dict[str, Any], defaults: dict[str, Any]) -> Spec:
    return Spec(name, (), {k: v for k, v in params.items() if v != defaults.get(k)})


# --- constructors (the names of the grammar) ----------------------------------------------------
def so3_volume() -> ResampledGroup:
    """Rotations of a volume by any angle about any axis through its centre (spline, zero fill)."""
    return ResampledGroup(Spec("so3_volume"), 3, turns="so3")


def o3_volume() -> ResampledGroup:
    """``so3_volume`` and its elements times the inversion (improper turns)."""
    return ResampledGroup(Spec("o3_volume"), 3, turns="o3")


def scaling(min: float = 0.8, max: float = 1.25, dims: int = 2) -> Group:  # noqa: A002 - grammar names
    """Scalings about the grid centre with factors drawn in [min, max]: 2-D as
    :func:`equicheck.groups.continuous.scaling`; ``dims=1`` time scalings; ``dims=3`` volumes."""
    if _dims(dims) == 2:
        return continuous.scaling(min, max)
    spec = _spec("scaling", {"min": min, "max": max, "dims": dims}, {"min": 0.8, "max": 1.25})
    return ResampledGroup(spec, dims, scales=(min, max))


def subpixel(max_shift: float = 1.0, dims: int = 2) -> Group:
    """Shifts by real numbers of entries, by Fourier phase (cyclic): 2-D as
    :func:`equicheck.groups.continuous.subpixel`; ``dims=1`` (``subshift(dt=...)``) or 3."""
    if _dims(dims) == 2:
        return continuous.subpixel(max_shift)
    spec = _spec("subpixel", {"max_shift": max_shift, "dims": dims}, {"max_shift": 1.0})
    return ResampledGroup(spec, dims, max_shift=max_shift, fourier=True)


GROUPS: dict[str, Callable[..., Group]] = {
    "so3_volume": so3_volume,
    "o3_volume": o3_volume,
    "scaling": scaling,
    "subpixel": subpixel,
}
