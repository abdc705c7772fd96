"""JAX functions as functions of backend arrays.

Why so little: JAX functions are pure (no modes, no gradients unless asked), so the adapter
only moves arrays: host arrays are put on JAX's device, CuPy arrays are passed by DLPack
without a copy where JAX runs on the GPU, and ``jax.Array`` outputs come back as backend
arrays. Note that JAX computes in float32 unless ``jax_enable_x64`` is set: float64 inputs
are then rounded (JAX warns), and the check's tolerance follows the float32 outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..backends import Backend
from .base import Adapted, missing_framework, tree_map

try:
    import jax
    import jax.numpy as jnp
except ImportError as _exc:  # pragma: no cover - exercised only without jax
    raise missing_framework("JAX", "jax") from _exc

__all__ = ["JaxAdapted", "adapt_jax"]


class JaxAdapted(Adapted):
    """A JAX callable taking and returning arrays of one backend."""

    framework = "jax"

    def __init__(self, fn: Callable[..., Any], backend: Backend, *, device: Any = None) -> None:
        super().__init__(fn, backend)
        self.jax_device = device if device is not None else jax.devices()[0]
        self._cupy = backend.xp if backend.name == "cupy" else None

    @property
    def device(self) -> str:
        return f"{self.jax_device.platform}:{self.jax_device.id}"

    def info(self) -> dict[str, Any]:
        out = super().info()
        out["version"] = jax.__version__
        out["x64"] = bool(jax.config.read("jax_enable_x64"))
        return out

    def _is_input_array(self, x: Any) -> bool:
        return isinstance(x, np.ndarray) or self.backend.is_array(x)

    def _to_jax(self, x: Any) -> Any:
        cp = self._cupy
        if cp is not None and isinstance(x, cp.ndarray) and self.jax_device.platform == "gpu":
            return jnp.from_dlpack(cp.ascontiguousarray(x))
        return jax.device_put(self.backend.to_host(x), self.jax_device)

    def _from_jax(self, y: Any) -> Any:
        cp = self._cupy
        if cp is not None and all(d.platform == "gpu" for d in y.devices()):
            return cp.from_dlpack(y)
        return self.backend.asarray(np.array(y))  # a writable copy: jax.Arrays are immutable

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args, kwargs = tree_map(self._to_jax, (args, kwargs), self._is_input_array)
        out = self.original(*args, **kwargs)
        return tree_map(self._from_jax, out, lambda v: isinstance(v, jax.Array))


def adapt_jax(fn: Callable[..., Any], backend: Backend, *, device: Any = None) -> JaxAdapted:
    """Wrap a JAX function for ``backend`` arrays (see :mod:`equicheck.adapters`)."""
    return JaxAdapted(fn, backend, device=device)
