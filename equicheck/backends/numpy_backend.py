"""The CPU backend: NumPy arrays, scipy.ndimage / scipy.fft / scipy.signal."""

from __future__ import annotations

import numpy as np
import scipy
import scipy.fft
import scipy.ndimage
import scipy.signal

from .base import Backend

__all__ = ["NumpyBackend"]


class NumpyBackend(Backend):
    def __init__(self) -> None:
        super().__init__(
            "numpy",
            np,
            ndimage=scipy.ndimage,
            fft=scipy.fft,
            signal=scipy.signal,
            array_types=(np.ndarray, np.generic),
        )

    def asarray(self, x, dtype=None):  # type: ignore[no-untyped-def]
        return np.asarray(x, dtype=dtype)

    def to_host(self, x):  # type: ignore[no-untyped-def]
        return np.asarray(x)

    def copy(self, x):  # type: ignore[no-untyped-def]
        return np.array(x, copy=True)

    def info(self):  # type: ignore[no-untyped-def]
        out = super().info()
        out["scipy"] = scipy.__version__
        return out
