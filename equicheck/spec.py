"""The name grammar shared by groups and actions.

A name is a call without the parentheses where nothing is set::

    name                       p4m
    name(key=value, ...)       translation(step=2, cyclic=false)
    name(positional, ...)      field(spatial, regular(axis=1))

Values are integers, floats, ``true``/``false`` (any case), bare words (strings such as
``x``), quoted strings, lists ``[1, 2]`` and nested names. The same structure travels
through JSON as ``{"name": ..., "args": [...], "params": {...}}``. Parsing uses Python's
``ast`` (never ``eval``), so a name from a command line or an ini file runs no code.
"""

from __future__ import annotations

import ast
import keyword
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from .errors import SpecError

__all__ = ["Named", "Spec", "parse_spec"]


@dataclass(frozen=True)
class Spec:
    """A parsed name: ``name``, positional ``args`` and keyword ``params``."""

    name: str
    args: tuple[Any, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [_format_value(a) for a in self.args]
        parts += [f"{k}={_format_value(v)}" for k, v in self.params.items()]
        return f"{self.name}({', '.join(parts)})" if parts else self.name

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.args:
            out["args"] = [a.to_dict() if isinstance(a, Spec) else a for a in self.args]
        if self.params:
            out["params"] = {k: v.to_dict() if isinstance(v, Spec) else v for k, v in self.params.items()}
        return out

    @classmethod
    def from_dict(cls, data: Any) -> Spec:
        if isinstance(data, str):
            return parse_spec(data)
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise SpecError(f"expected {{'name': ..., 'params': {{...}}}} or a string, got {data!r}")

        def value(v: Any) -> Any:
            return cls.from_dict(v) if isinstance(v, dict) else v

        args = tuple(value(a) for a in data.get("args", ()))
        params = {str(k): value(v) for k, v in dict(data.get("params", {})).items()}
        return cls(data["name"], args, params)


def _format_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        plain = v.isidentifier() and not keyword.iskeyword(v) and v.lower() not in ("true", "false", "none")
        return v if plain else repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_format_value(x) for x in v) + "]"
    if v is None:
        return "none"
    return str(v)


def parse_spec(text: str | Spec) -> Spec:
    """Parse ``'translation(step=2)'`` into a :class:`Spec`; raise :class:`SpecError` if malformed."""
    if isinstance(text, Spec):
        return text
    if not isinstance(text, str):
        raise SpecError(f"a group or action name must be a string, got {type(text).__name__}")
    try:
        node = ast.parse(text.strip(), mode="eval").body
        out = _node_to_value(node, text)
    except SyntaxError as exc:
        raise SpecError(f"cannot parse name {_shown(text)}: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise SpecError(f"name {_shown(text)} is nested too deeply to read") from None
    if not isinstance(out, Spec):
        raise SpecError(f"{text!r} is not a name such as 'p4m' or 'translation(step=2)'")
    return out


def _shown(text: str, limit: int = 200) -> str:
    """``text`` as a message shows it: its repr, cut to ``limit`` characters."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"


def _node_to_value(node: ast.AST, text: str) -> Any:
    if isinstance(node, ast.Name):
        low = node.id.lower()
        if low in ("true", "false"):
            return low == "true"
        if low == "none":
            return None
        return Spec(node.id)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _node_to_value(node.operand, text)
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            return -inner
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_node_to_value(e, text) for e in node.elts]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = tuple(_node_to_value(a, text) for a in node.args)
        params = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise SpecError(f"'**' is not allowed in name {text!r}")
            if kw.arg in params:
                raise SpecError(f"{kw.arg!r} is given twice in name {text!r}; give each parameter once")
            params[kw.arg] = _node_to_value(kw.value, text)
        return Spec(node.func.id, args, params)
    raise SpecError(f"unsupported expression {ast.unparse(node)!r} in name {text!r}")


def bare_word(value: Any) -> Any:
    """A bare word parses as a name without parameters; turn it back into a string."""
    if isinstance(value, Spec) and not value.args and not value.params:
        return value.name
    return value


class Named(ABC):
    """Something with a name in the grammar (groups, actions): ``name``, ``spec``, ``to_dict()``."""

    @property
    @abstractmethod
    def spec(self) -> Spec: ...

    @property
    def name(self) -> str:
        """The canonical name, e.g. ``'p4m'`` or ``'regular(axis=1)'``; parses back."""
        return str(self.spec)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, ``{"name": ..., "params": {...}}``."""
        return self.spec.to_dict()
