"""The GPU backend: CuPy arrays with cupyx.scipy.ndimage / fft / signal.

Why a separate loader: CuPy imports fine on a machine without a GPU and fails only on first
use, and ``cupyx.scipy`` fails to import where the CUDA libraries are missing. :func:`load`
runs those checks once, up front, and turns each failure into a
:class:`~equicheck.BackendUnavailableError` that says what is wrong and what to install.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any

import numpy as np

from ..errors import BackendUnavailableError
from .base import Backend

__all__ = ["INSTALL_HINT", "CupyBackend", "is_cupy_array", "load"]

#: What to run to get a working CuPy (the extra names the CUDA 12 wheel and its libraries).
INSTALL_HINT = 'pip install "equicheck[cupy]" (CuPy\'s cupy-cuda12x wheel with its CUDA libraries)'

# DLPack device types CuPy can view without a copy: CUDA, CUDA managed, ROCm.
_DLPACK_GPU = (2, 10, 13)


def is_cupy_array(x: object) -> bool:
    """Whether ``x`` is a CuPy array, decided from its type's module (never imports CuPy)."""
    return type(x).__module__.split(".", 1)[0] == "cupy"


def _import_cupy() -> ModuleType:
    try:
        return importlib.import_module("cupy")
    except ModuleNotFoundError as exc:
        if exc.name not in (None, "cupy"):
            raise BackendUnavailableError(
                f"the 'cupy' backend cannot start: CuPy is installed but a module it needs is "
                f"missing ({exc}); reinstall with {INSTALL_HINT}"
            ) from exc
        raise BackendUnavailableError(
            f"the 'cupy' backend needs CuPy, which is not installed; install it with "
            f"{INSTALL_HINT}, on a machine with an NVIDIA GPU and driver"
        ) from exc
    except ImportError as exc:
        raise BackendUnavailableError(
            f"the 'cupy' backend cannot start: CuPy is installed but failed to import ({exc}); "
            f"reinstall with {INSTALL_HINT}"
        ) from exc


def _no_gpu_reason(cupy: ModuleType) -> str:
    """Why CUDA sees no device, in CUDA's own words where it gives any."""
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:  # CUDA raises its own error classes
        return str(exc)
    return "no CUDA device found" if count == 0 else "CUDA reports devices but none is usable"


def load() -> CupyBackend:
    """Build the CuPy backend, or raise BackendUnavailableError saying why it cannot run here."""
    cupy = _import_cupy()
    version = getattr(cupy, "__version__", "?")
    if not cupy.cuda.is_available():
        raise BackendUnavailableError(
            f"the 'cupy' backend needs a usable NVIDIA GPU: CuPy {version} is installed but "
            f"found no GPU ({_no_gpu_reason(cupy)}). Install an NVIDIA GPU driver or run on a "
            f"machine that has a GPU, or use the 'numpy' backend"
        )
    try:
        ndimage = importlib.import_module("cupyx.scipy.ndimage")
        fft = importlib.import_module("cupyx.scipy.fft")
        signal = importlib.import_module("cupyx.scipy.signal")
    except ImportError as exc:
        raise BackendUnavailableError(
            f"the 'cupy' backend cannot start: CuPy {version} sees a GPU but cupyx.scipy failed "
            f"to import ({exc}); the CUDA libraries are probably missing: {INSTALL_HINT}"
        ) from exc
    try:
        # The first kernel compiles through NVRTC: fail here, not in the middle of a check.
        cupy.arange(4, dtype=cupy.float32).sum().item()
    except Exception as exc:  # CUDA/NVRTC raise their own error classes
        raise BackendUnavailableError(
            f"the 'cupy' backend cannot start: CuPy {version} sees a GPU but cannot run a "
            f"kernel on it ({type(exc).__name__}: {exc}); {INSTALL_HINT}"
        ) from exc
    return CupyBackend(cupy, ndimage, fft, signal)


class CupyBackend(Backend):
    """CuPy on the current CUDA device; transforms and comparisons stay on the GPU."""

    def __init__(self, cupy: ModuleType, ndimage: ModuleType, fft: ModuleType, signal: ModuleType) -> None:
        super().__init__("cupy", cupy, ndimage=ndimage, fft=fft, signal=signal, array_types=(cupy.ndarray,))
        self._cupy = cupy

    def is_array(self, x: object) -> bool:
        return isinstance(x, self._cupy.ndarray)

    def asarray(self, x: Any, dtype: Any = None) -> Any:
        """``x`` on the GPU: CuPy arrays as they are, GPU tensors of other libraries by DLPack
        without a copy, host data by one transfer."""
        cp = self._cupy
        if isinstance(x, cp.ndarray):
            return x if dtype is None else x.astype(dtype, copy=False)
        if not isinstance(x, np.ndarray) and hasattr(x, "__dlpack_device__"):
            try:
                on_gpu = int(x.__dlpack_device__()[0]) in _DLPACK_GPU
            except Exception:  # a foreign library's own error
                on_gpu = False
            if on_gpu:
                out = cp.from_dlpack(x)
                return out if dtype is None else out.astype(dtype, copy=False)
            x = np.from_dlpack(x)
        return cp.asarray(np.asarray(x), dtype=dtype)

    def to_host(self, x: Any) -> np.ndarray:
        """A NumPy copy of ``x`` (one device-to-host transfer for a CuPy array)."""
        if isinstance(x, self._cupy.ndarray):
            return x.get()
        return super().to_host(x)

    def copy(self, x: Any) -> Any:
        return self._cupy.array(x, copy=True)

    def synchronize(self) -> None:
        """Wait for all queued work on the current device (used around timings)."""
        self._cupy.cuda.Device().synchronize()

    @property
    def device(self) -> str:
        dev = self._cupy.cuda.Device()
        return f"cuda:{dev.id} ({_device_name(self._cupy, dev.id)})"

    def info(self) -> dict[str, Any]:
        out = super().info()
        cp = self._cupy
        dev = cp.cuda.Device()
        out["gpu"] = _device_name(cp, dev.id)
        out["compute_capability"] = str(dev.compute_capability)
        out["cuda_runtime"] = _cuda_version(cp.cuda.runtime.runtimeGetVersion())
        out["cuda_driver"] = _cuda_version(cp.cuda.runtime.driverGetVersion())
        # CuPy uses TF32 in matmul/convolutions only when CUPY_TF32=1 (float32 then rounds to
        # 10-bit mantissas): reports must say so, since it changes float32 tolerances.
        out["tf32"] = os.environ.get("CUPY_TF32", "0") == "1"
        return out


def _device_name(cupy: ModuleType, device_id: int) -> str:
    name = cupy.cuda.runtime.getDeviceProperties(device_id)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def _cuda_version(v: int) -> str:
    return f"{v // 1000}.{(v % 1000) // 10}"
