"""equicheck: state f(ρ_in(g)·x) == ρ_out(g)·f(x) once and have it tested properly.

The public API lives here and in the submodules named in ``__all__`` (groups, actions,
strategies, backends, nn, adapters, report); see docs/reference.md.
"""

from __future__ import annotations

from . import actions, backends, groups, strategies
from .assertions import assert_equivariant, assert_invariant
from .backends import Backend, get_backend, use_backend
from .check import check_equivariance, recording
from .errors import (
    BackendUnavailableError,
    EquicheckError,
    EquivarianceError,
    FunctionError,
    ShapeError,
    SpecError,
)
from .lie import lie_derivative, lie_derivatives
from .metrics import error_curve, prediction_consistency
from .replay import load_counterexample, replay
from .result import CheckResult, Counterexample, ElementError

__version__ = "0.1.0"

__all__ = [
    "Backend",
    "BackendUnavailableError",
    "CheckResult",
    "Counterexample",
    "ElementError",
    "EquicheckError",
    "EquivarianceError",
    "FunctionError",
    "ShapeError",
    "SpecError",
    "__version__",
    "actions",
    "assert_equivariant",
    "assert_invariant",
    "backends",
    "check_equivariance",
    "error_curve",
    "get_backend",
    "groups",
    "lie_derivative",
    "lie_derivatives",
    "load_counterexample",
    "prediction_consistency",
    "recording",
    "replay",
    "strategies",
    "use_backend",
]


def __getattr__(name: str) -> object:
    # equicheck.nn, .adapters and .report load on first use (they pull in more of SciPy,
    # matplotlib, Jinja2), so `import equicheck` stays light.
    if name in ("nn", "adapters", "report"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'equicheck' has no attribute {name!r}")
