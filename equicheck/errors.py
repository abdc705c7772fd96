"""Named errors: every failure a user can cause has a class and a message that says what to do."""

from __future__ import annotations

__all__ = [
    "BackendUnavailableError",
    "DtypeError",
    "EquicheckError",
    "EquivarianceError",
    "FunctionError",
    "KeywordError",
    "OptionError",
    "ReplayError",
    "ShapeError",
    "SpecError",
]


class EquicheckError(Exception):
    """Base class of every error equicheck raises for bad input or an unusable setup."""


class ShapeError(EquicheckError, ValueError):
    """An array's shape does not fit the group or action (e.g. quarter turns on a non-square grid)."""


class SpecError(EquicheckError, ValueError):
    """A group or action name (``'p4m'``, ``'translation(step=2)'``) could not be understood."""


class OptionError(EquicheckError, ValueError):
    """An option's value (command line, ini file or keyword) is not one the option allows."""


class KeywordError(EquicheckError, TypeError):
    """A keyword the function does not take (``max_example=``); the message names the closest one."""


class DtypeError(EquicheckError, TypeError):
    """An input is not a numeric array (strings, Python objects): equicheck compares numbers."""


class ReplayError(EquicheckError):
    """A counterexample file cannot be replayed: missing, empty, truncated, not an equicheck
    ``.npz``, or its metadata is unreadable; the message names the file and what is wrong."""


class BackendUnavailableError(EquicheckError):
    """A backend was asked for but cannot run here (library missing, or no usable device)."""


class FunctionError(EquicheckError):
    """The function under check raised; the message names the element and input that did it."""


class EquivarianceError(AssertionError):
    """Raised by the assertions when f(ρ_in(g)·x) differs from ρ_out(g)·f(x) beyond tolerance."""

    def __init__(self, message: str, result: object | None = None) -> None:
        super().__init__(message)
        #: The :class:`~equicheck.CheckResult` behind the failure (for programmatic use).
        self.result = result
