"""equicheck: state f(ρ_in(g)·x) == ρ_out(g)·f(x) once and have it tested properly.

The public API lives here and in the submodules named in ``__all__`` (groups, actions,
strategies, backends, nn, adapters, report); see docs/reference.md.

``import equicheck`` is light: every public name below is loaded from its module on first
use (PEP 562), so the command line and the report writers never pay for Hypothesis, SciPy or
matplotlib unless a check or a figure needs them. :data:`_LAZY` is the one table of what
lives where.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import errors
from .errors import (  # noqa: F401 - re-exported: the root's eager names
    BackendUnavailableError,
    DtypeError,
    EquicheckError,
    EquivarianceError,
    FunctionError,
    KeywordError,
    OptionError,
    ReplayError,
    ShapeError,
    SpecError,
)

__version__ = "0.2.0"

#: Public name -> (module, attribute); attribute None: the name is the module itself.
_LAZY: dict[str, tuple[str, str | None]] = {
    "actions": ("equicheck.actions", None),
    "adapters": ("equicheck.adapters", None),
    "backends": ("equicheck.backends", None),
    "groups": ("equicheck.groups", None),
    "nn": ("equicheck.nn", None),
    "report": ("equicheck.report", None),
    "strategies": ("equicheck.strategies", None),
    "Backend": ("equicheck.backends", "Backend"),
    "get_backend": ("equicheck.backends", "get_backend"),
    "use_backend": ("equicheck.backends", "use_backend"),
    "assert_equivariant": ("equicheck.assertions", "assert_equivariant"),
    "assert_invariant": ("equicheck.assertions", "assert_invariant"),
    "check_equivariance": ("equicheck.engine", "check_equivariance"),
    "recording": ("equicheck.engine", "recording"),
    "replay": ("equicheck.engine", "replay"),
    "load_counterexample": ("equicheck.engine", "load_counterexample"),
    "locate": ("equicheck.layerwise", "locate"),
    "LocateResult": ("equicheck.layerwise", "LocateResult"),
    "sweep": ("equicheck.sweeps", "sweep"),
    "SweepResult": ("equicheck.sweeps", "SweepResult"),
    "lie_derivative": ("equicheck.lie", "lie_derivative"),
    "lie_derivatives": ("equicheck.lie", "lie_derivatives"),
    "error_curve": ("equicheck.metrics", "error_curve"),
    "prediction_consistency": ("equicheck.metrics", "prediction_consistency"),
    "CheckResult": ("equicheck.result", "CheckResult"),
    "Counterexample": ("equicheck.result", "Counterexample"),
    "ElementError": ("equicheck.result", "ElementError"),
}

__all__ = sorted([*errors.__all__, "__version__", *_LAZY])


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'equicheck' has no attribute {name!r}")
    module = importlib.import_module(target[0])
    value = module if target[1] is None else getattr(module, target[1])
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
