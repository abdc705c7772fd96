"""Where checks ran: machine, Python and library versions, for the report's ``environments``.

Versions come from installed package metadata, so capturing them imports nothing heavy
(no CuPy, PyTorch or JAX import just to write a report).
"""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any

__all__ = ["LIBRARIES", "capture"]

#: Distributions whose versions a report records when they are installed.
LIBRARIES: tuple[str, ...] = (
    "equicheck",
    "numpy",
    "scipy",
    "hypothesis",
    "pytest",
    "pytest-xdist",
    "cupy",
    "cupy-cuda12x",
    "cupy-cuda11x",
    "torch",
    "jax",
    "jaxlib",
    "array-api-compat",
    "matplotlib",
    "jinja2",
)


def _versions(names: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def _hypothesis_profile() -> str | None:
    if "hypothesis" not in sys.modules:
        return None
    from hypothesis import settings

    get_name = getattr(settings, "get_current_profile_name", None)
    return get_name() if get_name is not None else None


def capture(**extra: Any) -> dict[str, Any]:
    """This process's environment as a JSON-able dict; ``extra`` keys are added as given."""
    env: dict[str, Any] = {
        "machine": {
            "hostname": platform.node(),
            "system": platform.system(),
            "release": platform.release(),
            "architecture": platform.machine(),
            "processor": platform.processor(),
            "cpus": os.cpu_count(),
        },
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
        },
        "libraries": _versions(LIBRARIES),
        "hypothesis_profile": _hypothesis_profile(),
        "ci": bool(os.environ.get("CI")),
    }
    env.update(extra)
    return env
