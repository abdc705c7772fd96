"""Hypothesis strategies for point clouds (families that break real models).

A cloud is described by a small :class:`CloudSpec` (family, number of points, seed, offset)
that Hypothesis draws and shrinks, and is expanded by NumPy's generator, as for arrays in
:mod:`equicheck.strategies`. Families, simplest first (what shrinking moves toward):

* ``blob``: a Gaussian blob about the origin;
* ``lattice``: points of a cubic lattice (spacing 1.5): ties in distances and angles;
* ``ring``: a regular polygon in the xy-plane (one more point on the axis when n > 3):
  a symmetric configuration;
* ``collinear``, ``coplanar``: points on a random line or plane (degenerate frames);
* ``close_pair``: a blob whose points 0 and 1 sit :data:`MIN_DISTANCE` apart;
* ``far``: a blob moved 10 or 100 away from the origin (float32 loses digits there).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from .errors import EquicheckError
from .options import dtypes as dtype_names

__all__ = [
    "CLOUD_FAMILIES",
    "MIN_DISTANCE",
    "CloudSpec",
    "cells",
    "cloud_specs",
    "clouds",
    "make_cell",
    "make_cloud",
    "point_counts",
]

#: Point-cloud families, simplest first.
CLOUD_FAMILIES: tuple[str, ...] = ("blob", "lattice", "ring", "collinear", "coplanar", "close_pair", "far")
#: The distance between the two nearly coincident points of the ``close_pair`` family.
MIN_DISTANCE = 1e-2


@dataclass(frozen=True)
class CloudSpec:
    """Everything needed to rebuild one drawn cloud (and to describe it in a report).

    ``shape`` is ``(..., n, dim)``: leading axes (a batch) hold independent clouds."""

    shape: tuple[int, ...]
    dtype: str
    family: str
    seed: int
    exponent: int = 0  # far family: the cloud sits 10**exponent from the origin

    def describe(self) -> str:
        extra = f", 1e{self.exponent} from the origin" if self.family == "far" else ""
        return f"{self.family} cloud {self.dtype}{list(self.shape)} seed={self.seed}{extra}"


def _random_unit(rng: np.random.Generator, dim: int) -> np.ndarray:
    v = rng.standard_normal(dim)
    return v / np.linalg.norm(v)


def _one_cloud(rng: np.random.Generator, n: int, dim: int, family: str, exponent: int) -> np.ndarray:
    if family == "lattice":
        side = max(1, math.ceil(n ** (1 / dim)))
        grid = np.stack(np.meshgrid(*[np.arange(side)] * dim, indexing="ij"), axis=-1).reshape(-1, dim)
        return 1.5 * (grid[:n] - (side - 1) / 2)
    if family == "ring":
        ring = min(n, 3) if n <= 3 else n - 1
        angles = 2 * np.pi * np.arange(ring) / ring
        pts = np.zeros((n, dim))
        pts[:ring, 0], pts[:ring, 1] = np.cos(angles), np.sin(angles)
        if n > ring and dim == 3:
            pts[ring:, 2] = 1.0
        return pts
    blob = rng.standard_normal((n, dim))
    if family == "collinear":
        return np.outer(blob[:, 0], _random_unit(rng, dim)) + rng.standard_normal(dim)
    if family == "coplanar" and dim == 3:
        u = _random_unit(rng, dim)
        w = _random_unit(rng, dim)
        w -= u * (u @ w)
        w /= np.linalg.norm(w)
        return np.outer(blob[:, 0], u) + np.outer(blob[:, 1], w)
    if family == "close_pair" and n >= 2:
        blob[1] = blob[0] + MIN_DISTANCE * _random_unit(rng, dim)
    if family == "far":
        blob = blob + 10.0**exponent * _random_unit(rng, dim)
    return blob


def make_cloud(spec: CloudSpec) -> np.ndarray:
    """Expand a spec into a host array of its dtype (deterministic for a given spec)."""
    *lead, n, dim = spec.shape
    rng = np.random.default_rng(spec.seed)
    count = math.prod(lead)
    clouds_ = [_one_cloud(rng, n, dim, spec.family, spec.exponent) for _ in range(count)]
    out = np.stack(clouds_) if clouds_ else np.zeros((0, n, dim))
    return out.reshape(spec.shape).astype(spec.dtype)


def _families(families: Sequence[str] | None) -> tuple[str, ...]:
    if families is None:
        return CLOUD_FAMILIES
    chosen = tuple(families)
    bad = [f for f in chosen if f not in CLOUD_FAMILIES]
    if bad or not chosen:
        raise EquicheckError(
            f"unknown point-cloud families {bad or chosen!r}; known: {', '.join(CLOUD_FAMILIES)}"
        )
    return chosen


def cloud_specs(
    shape: Sequence[int], dtypes: Sequence[str] = ("float64",), families: Sequence[str] | None = None
) -> st.SearchStrategy[CloudSpec]:
    """Specs of clouds of ``shape`` ``(..., n, dim)``; shrinks toward a blob, seed 0, the first dtype."""
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2 or shape[-1] not in (2, 3) or min(shape) < 1:
        raise EquicheckError(f"a point cloud has shape (..., n, 2 or 3) with n >= 1, got {shape}")
    names = dtype_names(dtypes)
    chosen = _families(families)
    # two draws (family, seed) per cloud: the dtype is fixed when one is given, the far family's
    # distance (10 or 100) comes from the seed
    return st.builds(
        lambda dtype, family, seed: CloudSpec(shape, dtype, family, seed, 1 + seed % 2),
        st.sampled_from(names) if len(names) > 1 else st.just(names[0]),
        st.sampled_from(chosen),
        st.integers(0, 2**32 - 1),
    )


def clouds(
    shape: Sequence[int], dtypes: Sequence[str] = ("float64",), families: Sequence[str] | None = None
) -> st.SearchStrategy[np.ndarray]:
    """Point clouds of ``shape`` ``(..., n, dim)`` as arrays; shrinks as :func:`cloud_specs`."""
    return cloud_specs(shape, dtypes, families).map(make_cloud)


def point_counts(low: int = 1, high: int = 16) -> st.SearchStrategy[int]:
    """The number of points n; shrinks toward ``low`` (the fewest points)."""
    if not 1 <= low <= high:
        raise EquicheckError(f"point counts need 1 <= low <= high, got ({low}, {high})")
    return st.integers(low, high)


def make_cell(seed: int, dim: int = 3, dtype: Any = np.float64) -> np.ndarray:
    """A periodic cell (lattice vectors as rows): seed 0 is the cube of side 4; others are
    sheared, well-conditioned cells of side about 4."""
    if seed == 0:
        return (4.0 * np.eye(dim)).astype(dtype)
    rng = np.random.default_rng(seed)
    return (4.0 * np.eye(dim) + rng.uniform(-1.0, 1.0, (dim, dim))).astype(dtype)


def cells(dim: int = 3, dtype: Any = np.float64) -> st.SearchStrategy[np.ndarray]:
    """Periodic cells; shrinks toward the cube of side 4."""
    return st.integers(0, 2**32 - 1).map(lambda s: make_cell(s, dim, dtype))
