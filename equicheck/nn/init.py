"""Seeded initialisation: the same weights from the same seed, on any backend.

Values are drawn on the host with a NumPy ``Generator`` and then moved to the backend, so a
seed gives identical networks on the CPU and the GPU.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["as_generator", "uniform_fan_in"]

Seed = int | np.random.Generator | None


def as_generator(seed: Seed) -> np.random.Generator:
    """A Generator from an int seed, a Generator (used as is, so layers can share one) or None
    (fresh OS entropy: not reproducible)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise TypeError(f"seed must be an int, a numpy.random.Generator or None, got {seed!r}")


def uniform_fan_in(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, dtype: Any) -> np.ndarray:
    """U(-1/√fan_in, 1/√fan_in): PyTorch's default for Conv2d and Linear (kaiming_uniform with
    a=√5 gives the same bound), so activations keep their scale through depth."""
    bound = 1.0 / math.sqrt(max(fan_in, 1))
    return rng.uniform(-bound, bound, size=shape).astype(dtype)
