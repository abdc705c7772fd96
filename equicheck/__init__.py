"""equicheck: state f(ρ_in(g)·x) == ρ_out(g)·f(x) once and have it tested properly."""

from __future__ import annotations

from . import actions, backends, groups
from .backends import Backend, get_backend, use_backend
from .errors import (
    BackendUnavailableError,
    EquicheckError,
    EquivarianceError,
    FunctionError,
    ShapeError,
    SpecError,
)

__version__ = "0.1.0"

__all__ = [
    "Backend",
    "BackendUnavailableError",
    "EquicheckError",
    "EquivarianceError",
    "FunctionError",
    "ShapeError",
    "SpecError",
    "__version__",
    "actions",
    "backends",
    "get_backend",
    "groups",
    "use_backend",
]
