"""Groups and their elements. Nothing here touches arrays.

Look a group up by name with :func:`from_name` (``'p4m'``, ``'translation(step=2)'``), or
call its constructor. Elements print as expressions (``shift(dy=1, dx=-2) * rot90(k=1)``)
that :func:`element_from_repr` reads back.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from typing import Any

from ..errors import SpecError
from ..spec import Spec, bare_word, parse_spec
from .base import Element, Grid, Group
from .grid import (
    GridElement,
    GridGroup,
    c2,
    c4,
    d4,
    flip,
    flips,
    identity,
    p4,
    p4m,
    rot90,
    shift,
    translation,
)

__all__ = [
    "Element",
    "Grid",
    "GridElement",
    "GridGroup",
    "Group",
    "available",
    "c2",
    "c4",
    "d4",
    "element_from_dict",
    "element_from_repr",
    "flip",
    "flips",
    "from_dict",
    "from_name",
    "identity",
    "p4",
    "p4m",
    "register_element",
    "register_group",
    "rot90",
    "shift",
    "translation",
]

_GROUPS: dict[str, Callable[..., Group]] = {}
_ELEMENTS: dict[str, Callable[..., Element]] = {}


def register_group(name: str, constructor: Callable[..., Group]) -> None:
    """Make ``constructor`` reachable as ``from_name(name)`` (and from the CLI, marker, reports)."""
    _GROUPS[name] = constructor


def register_element(name: str, constructor: Callable[..., Element]) -> None:
    """Allow ``name(...)`` in element reprs read by :func:`element_from_repr`."""
    _ELEMENTS[name] = constructor


def available() -> list[str]:
    """Names of the registered groups."""
    return sorted(_GROUPS)


def _call(kind: str, table: dict[str, Callable[..., Any]], spec: Spec) -> Any:
    if spec.name not in table:
        raise SpecError(f"unknown {kind} {spec.name!r}; known {kind}s: {', '.join(sorted(table))}")
    constructor = table[spec.name]
    args = [bare_word(a) for a in spec.args]
    params = {k: bare_word(v) for k, v in spec.params.items()}
    try:
        inspect.signature(constructor).bind(*args, **params)
    except TypeError as exc:
        sig = inspect.signature(constructor)
        raise SpecError(f"bad parameters for {kind} {spec.name!r}: {exc}; it takes {sig}") from None
    try:
        return constructor(*args, **params)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"bad parameters for {kind} {str(spec)!r}: {exc}") from None


def from_name(name: str | Spec | Group) -> Group:
    """The group called ``name`` in the name grammar, e.g. ``'p4m'`` or ``'translation(step=2)'``."""
    if isinstance(name, Group):
        return name
    return _call("group", _GROUPS, parse_spec(name))


def from_dict(data: dict[str, Any] | str) -> Group:
    """Inverse of ``Group.to_dict()``."""
    return _call("group", _GROUPS, Spec.from_dict(data))


def element_from_repr(text: str) -> Element:
    """Read an element's repr back (``'shift(dy=1, dx=-2) * rot90(k=1)'``); runs no code."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise SpecError(f"cannot parse element {text!r}: {exc.msg}") from None

    def walk(n: ast.AST) -> Element:
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult):
            return walk(n.left) * walk(n.right)
        if isinstance(n, ast.Call):
            spec = parse_spec(ast.unparse(n))
            return _call("element", _ELEMENTS, spec)
        raise SpecError(f"unsupported expression {ast.unparse(n)!r} in element {text!r}")

    return walk(node)


def element_from_dict(data: dict[str, Any] | str) -> Element:
    """Inverse of ``Element.to_dict()``."""
    return element_from_repr(data if isinstance(data, str) else data["repr"])


for _name, _ctor in {
    "translation": translation,
    "c2": c2,
    "c4": c4,
    "flips": flips,
    "d4": d4,
    "p4": p4,
    "p4m": p4m,
}.items():
    register_group(_name, _ctor)

for _name, _ctor in {"identity": identity, "shift": shift, "rot90": rot90, "flip": flip}.items():
    register_element(_name, _ctor)

# --- continuous groups (rotations by any angle, scalings, sub-pixel shifts): groups/continuous.py
from . import continuous  # noqa: E402

for _group_name, _group_ctor in continuous.GROUPS.items():
    register_group(_group_name, _group_ctor)
for _element_name, _element_ctor in continuous.ELEMENTS.items():
    register_element(_element_name, _element_ctor)
