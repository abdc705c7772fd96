"""What a sweep checks, by reference: ``package.module:name`` or a factory call
``package.module:make_model(width=16, checkpoint="ckpt.pt")``.

A worker rebuilds the object from its reference instead of receiving a pickled model. The
reference is read with :mod:`ast` (never ``eval``): the part after ``:`` is a dotted name,
optionally called with literal arguments (numbers, strings, booleans, None, lists, tuples,
dicts). The client hashes the module's file (found without importing it) and every file a
factory argument names, for the cache key.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EquicheckError

__all__ = ["SweepError", "Target", "file_digest", "on_path", "parse_target"]


class SweepError(EquicheckError, ValueError):
    """A sweep cannot run as given (a bad sweep file, target, group, keyword or executor
    option); raised before any cell runs, with what to do."""


@dataclass(frozen=True)
class Target:
    """A parsed reference: ``module:dotted.name`` and, for a factory, its literal arguments."""

    module: str
    name: str
    call: bool = False
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = field(default=())

    @property
    def text(self) -> str:
        """The reference in one canonical spelling (the cache key and the report use it)."""
        if not self.call:
            return f"{self.module}:{self.name}"
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs]
        return f"{self.module}:{self.name}({', '.join(parts)})"

    def __str__(self) -> str:
        return self.text

    def path_arguments(self) -> list[str]:
        """The string arguments of a factory (nested ones too): those naming files are hashed."""
        found: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, str):
                found.append(value)
            elif isinstance(value, (list, tuple)):
                for v in value:
                    walk(v)
            elif isinstance(value, dict):
                for v in value.values():
                    walk(v)

        walk(list(self.args) + [v for _, v in self.kwargs])
        return found

    def load(self) -> Any:
        """Import the module and return the object (calling the factory): runs on a worker."""
        obj: Any = importlib.import_module(self.module)
        for part in self.name.split("."):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise AttributeError(f"{self.module}:{self.name}: no attribute {part!r}") from None
        if self.call:
            obj = obj(*self.args, **dict(self.kwargs))
        return obj

    def module_file(self) -> Path | None:
        """The module's source file, found without running it (parent packages are imported,
        as Python must to find a submodule); None when it has no file."""
        try:
            spec = importlib.util.find_spec(self.module)
        except (ImportError, ValueError) as exc:
            raise SweepError(f"cannot find module {self.module!r} of target {self.text!r}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - a parent package that raises while importing
            raise SweepError(
                f"cannot find module {self.module!r} of target {self.text!r}: importing its package "
                f"raised {type(exc).__name__}: {exc}"
            ) from None
        if spec is None:
            raise SweepError(
                f"cannot find module {self.module!r} of target {self.text!r}: install it, run from the "
                "folder that holds it, or list that folder in the sweep's `path`"
            )
        origin = spec.origin
        return Path(origin) if origin and Path(origin).is_file() else None


def _literal(node: ast.expr, where: str) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise SweepError(
            f"target {where!r}: factory arguments must be literals (numbers, strings, True/False/None, "
            f"lists, tuples, dicts), not {ast.unparse(node)!r}"
        ) from None


def _dotted(node: ast.expr, where: str) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value, where)}.{node.attr}"
    raise SweepError(
        f"target {where!r}: after ':' write a name (model, Class.method) or a factory call "
        f"(make_model(width=16)), not {ast.unparse(node)!r}"
    )


def parse_target(text: Any) -> Target:
    """``"pkg.mod:make(width=16)"`` as a :class:`Target`; :class:`SweepError` if unreadable."""
    if isinstance(text, Target):
        return text
    if not isinstance(text, str):
        raise SweepError(f"a target is a string such as 'package.module:name', got {text!r}")
    module, sep, rest = text.strip().partition(":")
    if not sep or not module or not rest.strip():
        raise SweepError(
            f"cannot read target {text!r}: write package.module:name or package.module:factory(arg=1)"
        )
    if not all(part.isidentifier() for part in module.split(".")):
        raise SweepError(f"target {text!r}: {module!r} is not a module name (dotted Python identifiers)")
    try:
        body = ast.parse(rest.strip(), mode="eval").body
    except SyntaxError as exc:
        raise SweepError(f"cannot read target {text!r}: {exc.msg}") from None
    if not isinstance(body, ast.Call):
        return Target(module, _dotted(body, text))
    if any(isinstance(a, ast.Starred) for a in body.args) or any(k.arg is None for k in body.keywords):
        raise SweepError(f"target {text!r}: *args and **kwargs are not allowed; name each argument")
    args = tuple(_literal(a, text) for a in body.args)
    kwargs = tuple((k.arg, _literal(k.value, text)) for k in body.keywords if k.arg is not None)
    return Target(module, _dotted(body.func, text), True, args, kwargs)


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def on_path(folders: Sequence[str]) -> Iterator[None]:
    """``folders`` first on ``sys.path`` inside the block (to find the targets' modules)."""
    added = [f for f in folders if f not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for folder in added:
            try:
                sys.path.remove(folder)
            except ValueError:
                pass
