"""The backend protocol: an array namespace with its ndimage/fft/signal and host moves.

Everything above the backends (actions, the check, ``equicheck.nn``) writes array code
against ``backend.xp`` using functions of the Python array API standard (``flip``, ``roll``,
``take``, ``permute_dims``, ``reshape``, ``concat``, ``stack``, ``tensordot``, ...), and
reaches resampling, FFTs and signal routines through ``backend.ndimage``, ``backend.fft``
and ``backend.signal``. A new backend fills in this class; nothing else changes.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["Backend"]


class Backend:
    """An array library as equicheck uses it.

    Parameters
    ----------
    name : the registry name (``"numpy"``, ``"cupy"``).
    xp : the array namespace.
    ndimage, fft, signal : SciPy-compatible modules for this namespace, or None if absent.
    array_types : the array classes that belong to this backend (for selection by array).
    """

    def __init__(
        self,
        name: str,
        xp: ModuleType,
        *,
        ndimage: ModuleType | None = None,
        fft: ModuleType | None = None,
        signal: ModuleType | None = None,
        array_types: tuple[type, ...] = (),
    ) -> None:
        self.name = name
        self.xp = xp
        self._ndimage = ndimage
        self._fft = fft
        self._signal = signal
        self.array_types = array_types

    # --- the SciPy-like companions ------------------------------------------------------
    def _require(self, module: ModuleType | None, what: str) -> ModuleType:
        if module is None:
            from ..errors import BackendUnavailableError

            raise BackendUnavailableError(
                f"the {self.name!r} backend has no {what}; use the 'numpy' or 'cupy' backend"
            )
        return module

    @property
    def ndimage(self) -> ModuleType:
        return self._require(self._ndimage, "ndimage module (interpolated transforms)")

    @property
    def fft(self) -> ModuleType:
        return self._require(self._fft, "fft module")

    @property
    def signal(self) -> ModuleType:
        return self._require(self._signal, "signal module")

    # --- arrays ---------------------------------------------------------------------------
    def is_array(self, x: object) -> bool:
        """Whether ``x`` is an array of this backend (and so needs no transfer)."""
        return isinstance(x, self.array_types)

    def asarray(self, x: Any, dtype: Any = None) -> Any:
        """``x`` as an array of this backend; host arrays are moved to the device."""
        if self.is_array(x):
            return x if dtype is None else self.xp.astype(x, dtype)
        if not isinstance(x, np.ndarray) and hasattr(x, "__dlpack__") and not np.isscalar(x):
            x = self.to_host(x)
        return self.xp.asarray(np.asarray(x) if not self.is_array(x) else x, dtype=dtype)

    def to_host(self, x: Any) -> np.ndarray:
        """A NumPy copy (or view) of ``x`` on the host."""
        if isinstance(x, np.ndarray):
            return x
        try:
            return np.asarray(x)
        except (TypeError, ValueError, RuntimeError):
            return np.from_dlpack(x)

    def copy(self, x: Any) -> Any:
        return self.xp.asarray(x, copy=True)

    def synchronize(self) -> None:
        """Wait for queued device work (no-op on the CPU); used around timings."""

    @property
    def device(self) -> str:
        """A short description of where arrays live (``"cpu"``, ``"cuda:0 (NVIDIA H100)"``)."""
        return "cpu"

    def info(self) -> dict[str, Any]:
        """Versions and device, for reports."""
        return {
            "backend": self.name,
            "device": self.device,
            "xp": getattr(self.xp, "__name__", str(self.xp)),
            "version": getattr(self.xp, "__version__", None),
        }

    def __repr__(self) -> str:
        return f"<equicheck backend {self.name!r} on {self.device}>"
