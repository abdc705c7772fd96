"""Option values, validated in one place: the command line, the pytest plugin and the input
strategies all read their options through these functions.

Each validator takes a value as a command line or an ini file gives it (a string) or as
Python code does (an int, a float, a sequence), and returns it normalised, or raises
:class:`~equicheck.errors.OptionError`. ``name`` is how the message names the option (``"the
seed"``, ``"ini option equicheck_seed"``, ``"dtypes"``); every message says the option, the
offending value and what is allowed, in one of two shapes:

    NAME = 'VALUE': expected WHAT IS ALLOWED          (a value that cannot be read)
    NAME must be RULE, got VALUE; expected ALLOWED    (a value read, but not allowed)

This module imports only the standard library and :mod:`equicheck.errors`, so the lightest
callers (``equicheck --help``, pytest's option parsing) can use it.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import inspect
import math
import operator
import sys
from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar

from .errors import KeywordError, OptionError

__all__ = [
    "DTYPES",
    "argparse_type",
    "backend_name",
    "checked_keywords",
    "did_you_mean",
    "dtypes",
    "max_bytes",
    "non_negative_int",
    "positive_int",
    "reject_unknown_keywords",
    "seed",
    "shape",
    "size_range",
    "timeout",
    "tolerance",
    "whole_number",
]

#: The dtype names equicheck draws inputs in: what ``dtypes=``, ``--dtype`` and
#: ``--equicheck-dtype`` accept (NumPy's names; complex inputs have a zero imaginary part).
DTYPES: tuple[str, ...] = (
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
)

#: Words that leave a grid axis of a shape for the check to draw.
_DRAWN_AXIS = ("None", "none", "_", "?", "*")

_T = TypeVar("_T")


def _unreadable(name: str, value: Any, allowed: str) -> OptionError:
    return OptionError(f"{name} = {value!r}: expected {allowed}")


def _not_allowed(name: str, rule: str, shown: Any, allowed: str) -> OptionError:
    return OptionError(f"{name} must be {rule}, got {shown}; expected {allowed}")


# --- numbers -------------------------------------------------------------------------------------
def _integer(value: Any, low: int, name: str, unreadable: str) -> int:
    if isinstance(value, bool):  # True is an int to Python, not a number to a user
        raise _unreadable(name, value, unreadable)
    try:
        number = int(value.strip()) if isinstance(value, str) else operator.index(value)
    except (TypeError, ValueError):  # operator.index takes ints and NumPy integers, not floats
        raise _unreadable(name, value, unreadable) from None
    if number < low:
        raise _not_allowed(name, f"at least {low}", number, f"a number >= {low}")
    return number


def whole_number(value: Any, *, low: int = 0, name: str = "the value") -> int:
    """``value`` as an int of at least ``low``: an int (not a bool) or its decimal text."""
    return _integer(value, low, name, f"a whole number >= {low}")


def positive_int(value: Any, *, name: str = "the value") -> int:
    """A whole number >= 1 (e.g. the number of examples)."""
    return _integer(value, 1, name, "a whole number >= 1")


def non_negative_int(value: Any, *, name: str = "the value") -> int:
    """A whole number >= 0 (e.g. a margin)."""
    return _integer(value, 0, name, "a whole number >= 0")


def seed(value: Any, *, name: str = "the seed") -> int:
    """A seed: a whole number >= 0 (what NumPy's generators and Hypothesis both take)."""
    return _integer(value, 0, name, "an integer seed >= 0")


def _finite(value: Any, name: str, allowed: str, positive: bool) -> float:
    """``value`` as a finite float, at least 0 (above 0 when ``positive``)."""
    if isinstance(value, bool):
        raise _unreadable(name, value, allowed)
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise _unreadable(name, value, allowed) from None
    if not math.isfinite(number):
        raise _not_allowed(name, "finite", number, allowed)
    if number < 0 or (positive and number == 0):
        raise _not_allowed(name, "> 0" if positive else ">= 0", number, allowed)
    return abs(number)  # -0.0 becomes 0.0


def tolerance(value: Any, *, name: str = "the tolerance") -> float:
    """A tolerance (rtol, atol): a finite number >= 0, as a float (``-0.0`` becomes ``0.0``)."""
    return _finite(value, name, "a finite number >= 0 such as 1e-5", positive=False)


def timeout(value: Any, *, name: str = "the timeout") -> float | None:
    """A time limit in seconds: a finite number > 0, as a float, or None (also the text
    ``none``, ``off`` or an empty string) for no limit."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "off")):
        return None
    return _finite(value, name, "a number of seconds > 0 such as 10, or none for no limit", positive=True)


def max_bytes(value: Any, *, name: str = "max_bytes") -> int | None:
    """A memory budget in bytes: a whole number >= 1, or None for the default."""
    if value is None:
        return None
    return _integer(value, 1, name, "a whole number of bytes >= 1, or None for the default")


# --- dtypes, shapes, backends --------------------------------------------------------------------
def _dtype_name(item: Any) -> str | None:
    """The name of one dtype given as text, or as a NumPy dtype or type where NumPy is loaded."""
    if isinstance(item, str):
        return item.strip()
    numpy = sys.modules.get("numpy")  # a NumPy dtype given means NumPy is loaded: no import here
    if numpy is None:
        return None
    try:
        return str(numpy.dtype(item).name)
    except TypeError:
        return None


def dtypes(value: Any, *, name: str = "dtypes") -> tuple[str, ...]:
    """Dtype names to draw inputs in, each one of :data:`DTYPES`, each once, at least one.

    ``value``: comma-separated text (``"float32,float64"``), one name, or a sequence of names
    (or of NumPy dtypes and types, where NumPy is loaded). Returns the names in the order
    given (the first is what shrinking moves toward)."""
    allowed = "at least one dtype name, e.g. float32 or float32,float64"
    if isinstance(value, str):
        items: list[Any] = [part for part in value.split(",") if part.strip()]
    elif hasattr(value, "__iter__"):
        items = list(value)
    else:
        items = [value]
    if not items:
        raise _unreadable(name, value, allowed)
    names: list[str] = []
    for item in items:
        dtype = _dtype_name(item)
        if dtype not in DTYPES:
            raise OptionError(
                f"{name}: {dtype if dtype is not None else item!r} is not a dtype equicheck can draw; "
                f"expected one of {', '.join(DTYPES)} (comma-separated)"
            )
        if dtype in names:
            raise _not_allowed(name, "given once each", f"{dtype!r} twice in {value!r}", "each dtype once")
        names.append(dtype)
    return tuple(names)


def shape(value: Any, *, name: str = "input shape") -> tuple[int | None, ...]:
    """An input shape: ``"2,3,32,32"``, ``"2x3x32x32"``, ``"(2, 3, None, None)"`` or a sequence
    of sizes; ``None`` (or ``_``, ``?``, ``*`` in text) leaves a grid axis for the check to draw.
    Sizes are >= 1; at least one size."""
    allowed = (
        "sizes separated by commas, e.g. 2,3,32,32, with None (or _) for grid axes the check should draw"
    )
    if isinstance(value, str):
        body = value.strip().strip("()[]").strip()
        parts: list[Any] = (
            [p.strip() for p in body.replace("x", ",").replace("X", ",").split(",")] if body else []
        )
    elif isinstance(value, Sequence):
        parts = list(value)
    else:
        raise _unreadable(name, value, allowed)
    if not parts:
        raise OptionError(f"{name} = {value!r}: expected at least one size, e.g. 2,3,32,32")
    sizes: list[int | None] = []
    for part in parts:
        if part is None or part in _DRAWN_AXIS:
            sizes.append(None)
            continue
        try:
            size = int(part) if isinstance(part, str) else operator.index(part)
        except (TypeError, ValueError):
            raise OptionError(f"bad {name} {value!r}: {part!r} is not a size; expected {allowed}") from None
        if size < 1:
            raise OptionError(f"bad {name} {value!r}: sizes must be >= 1, got {size}; expected {allowed}")
        sizes.append(size)
    return tuple(sizes)


def size_range(value: Any, *, name: str = "sizes") -> tuple[int, int]:
    """The smallest and largest grid size to draw: two whole numbers >= 1, low <= high, as
    a pair (``(4, 24)``) or text (``"4,24"``)."""
    allowed = "two whole numbers low, high with 1 <= low <= high, e.g. (4, 24)"
    if isinstance(value, str):
        parts: list[Any] = [p.strip() for p in value.strip().strip("()[]").split(",")]
    elif isinstance(value, Sequence):
        parts = list(value)
    else:
        raise _unreadable(name, value, allowed)
    if len(parts) != 2:
        raise _unreadable(name, value, allowed)
    sizes = []
    for part in parts:
        try:
            sizes.append(_integer(part, 1, name, allowed))
        except OptionError:
            raise OptionError(
                f"{name} = {value!r}: {part!r} is not a whole number >= 1; expected {allowed}"
            ) from None
    low, high = sizes
    if low > high:
        raise _not_allowed(name, "low <= high", f"low {low} > high {high}", allowed)
    return low, high


def backend_name(value: Any, *, known: Sequence[str] | None = None, name: str = "backend") -> str:
    """A backend's name (``"numpy"``, ``"cupy"``), one of ``known`` when that is given.

    Whether the backend can run here is the registry's question
    (:func:`equicheck.backends.get_backend`), asked when it is used."""
    text = value.strip() if isinstance(value, str) else None
    if not text or not text.replace("_", "").replace("-", "").isalnum():
        raise _unreadable(name, value, "a backend name such as numpy or cupy")
    if known is not None and text not in known:
        raise OptionError(f"unknown {name} {text!r}; known backends: {', '.join(known)}")
    return text


# --- names ---------------------------------------------------------------------------------------
def did_you_mean(word: str, known: Collection[str], hints: dict[str, str] | None = None) -> str:
    """``" (did you mean 'c4'?)"`` for a misspelt ``word``: a name of ``known`` equal to it but
    for case, else the closest ones (``difflib``), else ``hints[word]`` (what a word that is
    no name means, e.g. ``'rotation'``); ``""`` when nothing fits."""
    folded = [k for k in known if k.lower() == word.lower()]
    hint = (hints or {}).get(word.lower())
    if folded:
        return f" (did you mean {folded[0]!r}? names are case-sensitive)"
    if hint is not None:
        return f" (did you mean {hint}?)"
    close = difflib.get_close_matches(word, list(known), n=2)
    if close:
        return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
    return ""


# --- keywords ------------------------------------------------------------------------------------
def reject_unknown_keywords(given: Collection[str], known: Collection[str], *, where: str) -> None:
    """Raise :class:`~equicheck.errors.KeywordError` for a keyword of ``given`` not in ``known``,
    suggesting the closest known name (``max_example`` -> ``did you mean 'max_examples'?``)."""
    unknown = [k for k in given if k not in known]
    if not unknown:
        return
    parts = []
    for word in unknown:
        close = difflib.get_close_matches(word, list(known), n=1)
        parts.append(f"{word!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    plural = "s" if len(unknown) > 1 else ""
    raise KeywordError(
        f"{where}() got unexpected keyword argument{plural} {', '.join(parts)}; "
        f"its keywords are {', '.join(sorted(known))}"
    )


_F = TypeVar("_F", bound=Callable[..., Any])


def checked_keywords(func: _F) -> _F:
    """Decorate ``func`` so that an unknown keyword raises :class:`~equicheck.errors.KeywordError`
    with the closest known name, before ``func`` runs. ``inspect.signature`` still shows
    ``func``'s own signature (``functools.wraps``)."""
    parameters = inspect.signature(func).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return func
    known = frozenset(
        p.name
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    )
    where = func.__name__

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not known.issuperset(kwargs):
            reject_unknown_keywords(kwargs, known, where=where)
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# --- for argparse --------------------------------------------------------------------------------
def argparse_type(validator: Callable[..., _T], /, **keywords: Any) -> Callable[[str], _T]:
    """``type=`` of an argparse option (the command line's, pytest's): ``validator(text,
    **keywords)``, its OptionError raised as argparse.ArgumentTypeError (which argparse shows
    as ``argument --OPTION: MESSAGE``)."""

    def convert(text: str) -> _T:
        try:
            return validator(text, **keywords)
        except OptionError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = getattr(validator, "__name__", "value")
    return convert
