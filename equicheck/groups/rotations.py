"""SO(3) and O(3): the one rotation type of 3-D (point clouds, volumes, the cube's symmetries),
and its 2-D counterpart for point sets in the plane.

A :class:`Rotation` is an orthogonal 3x3 matrix with determinant +-1, stored as a unit
quaternion ``(w, x, y, z)`` (``w >= 0``) and a parity: ``proper=False`` means the rotation
followed by the inversion ``-I`` (which commutes with everything). The matrix is computed from
the quaternion, and snapped to exact integers when it is a signed permutation (the 24/48
elements of the cube's groups), so 180-degree turns, coordinate-plane reflections and the
inversion are exact. Reprs read back to the same matrix, bit for bit:

* ``rotation()``                                  the identity
* ``rotation(maps='x->y, y->-x, z->z')``          a signed permutation: where each axis goes
* ``inversion()``                                 ``-I``
* ``rotation(quaternion=[w, x, y, z])``           any rotation (floats in full precision)
* ``rotation(quaternion=[...]) * inversion()``    any improper element of O(3)

``rotation(axis=[0, 0, 1], degrees=90.0)`` builds one from an axis and an angle; reports show
:attr:`Rotation.axis_angle`. ``g * h`` is "h first, then g": ``(g * h).matrix == g.matrix @ h.matrix``.

:class:`PlaneRotation` is O(2) on 2-D coordinates ``(x, y)``: ``turn(degrees=30.0)``
counter-clockwise, ``turn(degrees=30.0, mirrored=true)`` reflects ``y -> -y`` first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .base import Element

__all__ = [
    "AXES",
    "PlaneRotation",
    "Rotation",
    "coordinate_reflections",
    "half_turns",
    "haar_rotation",
    "inversion",
    "rotation",
    "turn",
]

AXES = "xyz"
#: Matrices within this of a signed permutation are snapped to it (exact cube elements).
_SNAP = 1e-15
#: Quaternions within this of unit norm are kept bit for bit (so reprs read back exactly).
_UNIT = 1e-12

Quaternion = tuple[float, float, float, float]


def _canonical(q: Sequence[float]) -> Quaternion:
    """``q`` with unit norm (kept as given when already within 1e-12) and ``w >= 0`` (q and -q
    are the same rotation; the first non-zero component is made positive)."""
    w, x, y, z = (float(v) for v in q)
    if not all(math.isfinite(v) for v in (w, x, y, z)):
        raise ValueError(f"quaternion must be finite, got {list(q)!r}")
    norm = math.sqrt(w * w + x * x + y * y + z * z)
    if norm == 0:
        raise ValueError("quaternion must not be zero")
    if abs(norm - 1) > _UNIT:
        w, x, y, z = w / norm, x / norm, y / norm, z / norm
    lead = next((v for v in (w, x, y, z) if v != 0), 1.0)
    if lead < 0:
        w, x, y, z = -w, -x, -y, -z
    return (w + 0.0, x + 0.0, y + 0.0, z + 0.0)  # + 0.0: no negative zeros


def _quaternion_matrix(q: Quaternion) -> np.ndarray:
    w, x, y, z = q
    m = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )
    snapped = np.rint(m)
    if np.all(np.abs(m - snapped) <= _SNAP):
        return snapped + 0.0
    return m


def _matrix_quaternion(m: np.ndarray) -> Quaternion:
    """The unit quaternion of a proper rotation matrix (Shepperd's method: stable everywhere)."""
    t = np.trace(m)
    d = np.diag(m)
    k = int(np.argmax([t, *d]))
    if k == 0:
        s = math.sqrt(1 + t) * 2
        q = (0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s)
    elif k == 1:
        s = math.sqrt(1 + m[0, 0] - m[1, 1] - m[2, 2]) * 2
        q = ((m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s)
    elif k == 2:
        s = math.sqrt(1 + m[1, 1] - m[0, 0] - m[2, 2]) * 2
        q = ((m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s)
    else:
        s = math.sqrt(1 + m[2, 2] - m[0, 0] - m[1, 1]) * 2
        q = ((m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s)
    return _canonical(q)


@dataclass(frozen=True, eq=False, repr=False)
class Rotation(Element):
    """An element of O(3): ``quaternion`` (w, x, y, z), then the inversion unless ``proper``.

    Equal elements have equal matrices (compared exactly) and hash alike. ``rotation`` is the
    3x3 matrix (what actions use); ``translation`` and ``permutation`` are None, so a rotation
    acts like any other element of the groups on coordinates (:mod:`equicheck.groups.points`).
    """

    quaternion: Quaternion = (1.0, 0.0, 0.0, 0.0)
    proper: bool = True

    def __post_init__(self) -> None:
        if len(self.quaternion) != 4:
            raise ValueError(f"quaternion must have 4 components (w, x, y, z), got {self.quaternion!r}")
        object.__setattr__(self, "quaternion", _canonical(self.quaternion))
        object.__setattr__(self, "proper", bool(self.proper))
        m = _quaternion_matrix(self.quaternion) * (1.0 if self.proper else -1.0) + 0.0  # no -0.0
        m.flags.writeable = False
        object.__setattr__(self, "_matrix", m)
        object.__setattr__(self, "_signed", bool(np.all(np.rint(m) == m)))  # read on every move

    # --- what actions read ------------------------------------------------------------------
    @property
    def matrix(self) -> np.ndarray:
        """The orthogonal 3x3 matrix (read-only, float64); ``det = +1`` when proper."""
        return self._matrix  # type: ignore[attr-defined,no-any-return]

    @property
    def rotation(self) -> np.ndarray:
        return self.matrix

    @property
    def dim(self) -> int:
        return 3

    @property
    def exact(self) -> bool:
        """Whether it moves a volume by an index permutation (a symmetry of the cube)."""
        return self.signed_permutation

    @property
    def signed_permutation(self) -> bool:
        """Whether the matrix is a signed permutation (exact integers; a symmetry of the cube)."""
        return self._signed  # type: ignore[attr-defined,no-any-return]

    @property
    def axis_angle(self) -> tuple[tuple[float, float, float], float]:
        """``(axis, degrees)`` of the proper part, angle in [0, 180]; axis z for the identity."""
        w, x, y, z = self.quaternion
        v = math.sqrt(x * x + y * y + z * z)
        if v == 0:
            return (0.0, 0.0, 1.0), 0.0
        return (x / v, y / v, z / v), math.degrees(2 * math.atan2(v, w))

    def describe(self) -> str:
        """Axis and angle in words, for reports: ``'rotation by 90.0° about (0, 0, 1)'``."""
        (ax, ay, az), deg = self.axis_angle
        text = "identity" if deg == 0 else f"rotation by {deg:.4g}° about ({ax:.3g}, {ay:.3g}, {az:.3g})"
        if not self.proper:
            text = "inversion" if deg == 0 else text + ", then inversion"
        return text

    # --- group law ----------------------------------------------------------------------------
    @property
    def is_identity(self) -> bool:
        return self.proper and bool(np.array_equal(self.matrix, np.eye(3)))

    def __mul__(self, other: Any) -> Rotation:
        if not isinstance(other, Rotation):
            return NotImplemented
        a, b = self.quaternion, other.quaternion
        q = (
            a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
            a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
            a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
            a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0],
        )
        return Rotation(q, self.proper == other.proper)

    def inverse(self) -> Rotation:
        w, x, y, z = self.quaternion
        return Rotation((w, -x, -y, -z), self.proper)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rotation):
            return NotImplemented
        return bool(np.array_equal(self.matrix, other.matrix))

    def __hash__(self) -> int:
        return hash(self.matrix.tobytes())

    def __repr__(self) -> str:
        m = self.matrix
        if self.signed_permutation:
            if np.array_equal(m, np.eye(3)):
                return "rotation()"
            if np.array_equal(m, -np.eye(3)):
                return "inversion()"
            return f"rotation(maps={_maps_text(m)!r})"
        text = f"rotation(quaternion=[{', '.join(repr(v) for v in self.quaternion)}])"
        return text if self.proper else text + " * inversion()"


def _maps_text(m: np.ndarray) -> str:
    """``'x->y, y->-x, z->z'``: where each axis goes (the columns of a signed permutation)."""
    parts = []
    for j in range(3):
        i = int(np.flatnonzero(m[:, j])[0])
        parts.append(f"{AXES[j]}->{'-' if m[i, j] < 0 else ''}{AXES[i]}")
    return ", ".join(parts)


def _maps_matrix(text: str) -> np.ndarray:
    """The signed permutation matrix written as ``'x->y, y->-x, z->z'``."""
    m = np.zeros((3, 3))
    seen: set[str] = set()
    for part in text.split(","):
        src, sep, dst = part.strip().partition("->")
        src, dst = src.strip(), dst.strip()
        sign = -1.0 if dst.startswith("-") else 1.0
        dst = dst.lstrip("+-")
        if not sep or src not in AXES or dst not in AXES or len(src) != 1 or len(dst) != 1 or src in seen:
            raise ValueError(
                f"maps must say where each of x, y, z goes, e.g. 'x->y, y->-x, z->z'; got {text!r}"
            )
        seen.add(src)
        m[AXES.index(dst), AXES.index(src)] = sign
    if (
        len(seen) != 3
        or not np.array_equal(np.abs(m).sum(axis=0), np.ones(3))
        or not np.array_equal(np.abs(m).sum(axis=1), np.ones(3))
    ):
        raise ValueError(f"maps must send x, y, z to three different axes, got {text!r}")
    return m


def _from_matrix(m: np.ndarray) -> Rotation:
    det = float(np.linalg.det(m))
    proper = det > 0
    return Rotation(_matrix_quaternion(m if proper else -m), proper)


def rotation(
    axis: Sequence[float] | None = None,
    degrees: float | None = None,
    quaternion: Sequence[float] | None = None,
    maps: str | None = None,
    matrix: Any = None,
) -> Rotation:
    """An element of O(3), given in one of four ways (none: the identity):

    ``axis`` and ``degrees`` (counter-clockwise about ``axis`` seen from its tip; right hand),
    ``quaternion`` ``[w, x, y, z]`` (any non-zero norm), ``maps`` a signed permutation
    (``'x->y, y->-x, z->z'``; determinant -1 allowed), or ``matrix`` an orthogonal 3x3 array.
    """
    given = [
        n
        for n, v in (
            ("axis/degrees", axis if axis is not None else degrees),
            ("quaternion", quaternion),
            ("maps", maps),
            ("matrix", matrix),
        )
        if v is not None
    ]
    if len(given) > 1:
        raise ValueError(f"give the rotation one way, not {' and '.join(given)}")
    if quaternion is not None:
        return Rotation(tuple(quaternion))  # type: ignore[arg-type]
    if maps is not None:
        if not isinstance(maps, str):
            raise TypeError(f"maps must be a string such as 'x->y, y->-x, z->z', got {maps!r}")
        return _from_matrix(_maps_matrix(maps))
    if matrix is not None:
        m = np.asarray(matrix, dtype=float)
        if m.shape != (3, 3) or not np.all(np.isfinite(m)):
            raise ValueError(f"matrix must be a finite 3x3 array, got shape {m.shape}")
        if not np.allclose(m @ m.T, np.eye(3), atol=1e-9):
            raise ValueError("matrix must be orthogonal (R @ R.T == I to 1e-9)")
        return _from_matrix(m)
    if axis is None and degrees is None:
        return Rotation()
    if axis is None or degrees is None:
        raise ValueError("give both axis and degrees (e.g. axis=[0, 0, 1], degrees=90.0)")
    a = np.asarray(axis, dtype=float)
    if a.shape != (3,) or not np.all(np.isfinite(a)) or not np.any(a):
        raise ValueError(f"axis must be a non-zero 3-vector, got {axis!r}")
    if isinstance(degrees, bool) or not isinstance(degrees, (int, float, np.integer, np.floating)):
        raise TypeError(f"degrees must be a number, got {degrees!r}")
    if not math.isfinite(float(degrees)):
        raise ValueError(f"degrees must be finite, got {degrees!r}")
    half = math.radians(float(degrees)) / 2
    a = a / np.linalg.norm(a)
    s = math.sin(half)
    if float(degrees) % 360 == 180:  # exact half turns: cos(pi/2) is not 0 in floats
        return Rotation((0.0, *(float(v) for v in a)))  # type: ignore[arg-type]
    return Rotation((math.cos(half), *(float(v) * s for v in a)))  # type: ignore[arg-type]


def inversion() -> Rotation:
    """``-I``: every coordinate changes sign (a point reflection through the origin)."""
    return Rotation(proper=False)


def haar_rotation(rng: np.random.Generator, improper: bool = False) -> Rotation:
    """A rotation drawn uniformly (Haar measure) with NumPy's generator: a normalised Gaussian
    quaternion; with ``improper``, an element of O(3) (inverted with probability 1/2)."""
    q = rng.standard_normal(4)
    return Rotation(tuple(q.tolist()), not (improper and rng.integers(2)))  # type: ignore[arg-type]


def half_turns() -> list[Rotation]:
    """The 180-degree turns about x, y and z (where sign conventions of axes break)."""
    return [rotation(maps=m) for m in ("x->x, y->-y, z->-z", "x->-x, y->y, z->-z", "x->-x, y->-y, z->z")]


def coordinate_reflections() -> list[Rotation]:
    """The reflections through the planes x=0, y=0, z=0, and the inversion (parity breaks)."""
    planes = ("x->-x, y->y, z->z", "x->x, y->-y, z->z", "x->x, y->y, z->-z")
    return [rotation(maps=m) for m in planes] + [inversion()]


# --- the plane ------------------------------------------------------------------------------------
def _cos_sin(degrees: float) -> tuple[float, float]:
    if degrees % 90 == 0:
        return ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[int(degrees // 90) % 4]
    r = math.radians(degrees)
    return math.cos(r), math.sin(r)


@dataclass(frozen=True, repr=False)
class PlaneRotation(Element):
    """An element of O(2) on coordinates ``(x, y)``: mirror ``y -> -y`` first when ``mirrored``,
    then turn counter-clockwise by ``degrees`` (kept in (-180, 180]); quarter turns are exact."""

    degrees: float = 0.0
    mirrored: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.degrees, bool) or not isinstance(
            self.degrees, (int, float, np.integer, np.floating)
        ):
            raise TypeError(f"degrees must be a number, got {self.degrees!r}")
        deg = float(self.degrees)
        if not math.isfinite(deg):
            raise ValueError(f"degrees must be finite, got {self.degrees!r}")
        deg = math.fmod(deg, 360.0)
        if deg > 180:
            deg -= 360
        elif deg <= -180:
            deg += 360
        object.__setattr__(self, "degrees", deg + 0.0)
        object.__setattr__(self, "mirrored", bool(self.mirrored))

    @property
    def matrix(self) -> np.ndarray:
        c, s = _cos_sin(self.degrees)
        m = np.array([[c, -s], [s, c]])
        return m @ np.diag([1.0, -1.0]) if self.mirrored else m

    @property
    def rotation(self) -> np.ndarray:
        return self.matrix

    @property
    def proper(self) -> bool:
        return not self.mirrored

    @property
    def dim(self) -> int:
        return 2

    def describe(self) -> str:
        return f"turn by {self.degrees:.4g}°" + (" after mirroring y" if self.mirrored else "")

    @property
    def is_identity(self) -> bool:
        return self.degrees == 0 and not self.mirrored

    def __mul__(self, other: Any) -> PlaneRotation:
        if not isinstance(other, PlaneRotation):
            return NotImplemented
        deg = self.degrees - other.degrees if self.mirrored else self.degrees + other.degrees
        return PlaneRotation(deg, self.mirrored != other.mirrored)

    def inverse(self) -> PlaneRotation:
        return PlaneRotation(self.degrees if self.mirrored else -self.degrees, self.mirrored)

    def __repr__(self) -> str:
        return f"turn(degrees={self.degrees!r}" + (", mirrored=true)" if self.mirrored else ")")


def turn(degrees: float = 0.0, mirrored: bool = False) -> PlaneRotation:
    """Turn 2-D coordinates counter-clockwise by ``degrees`` (after mirroring y when ``mirrored``)."""
    return PlaneRotation(degrees, mirrored)
