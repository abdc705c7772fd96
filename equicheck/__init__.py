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

from .check import check_equivariance, load_counterexample, recording, replay  # noqa: E402
from .result import CheckResult, Counterexample, ElementError  # noqa: E402

__all__ += [
    "CheckResult",
    "Counterexample",
    "ElementError",
    "check_equivariance",
    "load_counterexample",
    "recording",
    "replay",
]
from .assertions import assert_equivariant, assert_invariant  # noqa: E402

__all__ += ["assert_equivariant", "assert_invariant"]
