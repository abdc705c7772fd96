"""Finding the function or model a command names: ``MODULE:NAME`` or ``path/to/file.py:NAME``.

``equicheck check`` imports the user's code through :func:`load_target`; everything that can go
wrong (no such module or file, an import that raises, a missing or non-callable name, a
factory that raises) is a :class:`~equicheck.cli.base.UsageError` that says what to do.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from .base import UsageError

__all__ = ["load_target", "replay_line"]


def _split_target(target: str) -> tuple[str, str]:
    module, sep, attr = target.rpartition(":")
    if len(module) == 1 and module.isalpha() and os.name == "nt":  # C:path.py without a name
        sep = ""
    if not sep or not module or not attr:
        raise UsageError(
            f"cannot read {target!r}: write MODULE:NAME (e.g. mypackage.models:net) or path/to/file.py:NAME"
        )
    return module, attr


def _import_file(path: Path) -> Any:
    if not path.is_file():
        raise UsageError(f"no such file: {str(path)!r}")
    name = "equicheck_user_" + "".join(ch if ch.isalnum() else "_" for ch in path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import {str(path)!r}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # like `python file.py`: its own folder first
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    finally:
        try:
            sys.path.remove(folder)
        except ValueError:
            pass
    return module


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if "importlib" not in f.filename and not f.filename.startswith("<frozen")]
    if not user:
        return ""
    last = user[-1]
    return f" (at {last.filename}:{last.lineno})"


def load_target(target: str) -> tuple[Any, str]:
    """The object named by ``MODULE:NAME`` or ``path/to/file.py:NAME`` (``NAME`` may be
    dotted, and ``NAME()`` calls a factory without arguments), and a name for reports."""
    module_name, attr = _split_target(target)
    is_file = module_name.endswith(".py") or "/" in module_name or os.sep in module_name
    try:
        if is_file:
            module = _import_file(Path(module_name))
            label = Path(module_name).stem
        else:
            if os.getcwd() not in sys.path and "" not in sys.path:
                sys.path.insert(0, os.getcwd())  # as `python -m` would: the working folder first
            label = module_name
            module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if not is_file and (module_name == missing or module_name.startswith(missing + ".")):
            raise UsageError(
                f"cannot import module {module_name!r}: no module named {missing!r} "
                f"(run from the folder that contains it, install it, or give a file path: "
                f"path/to/{module_name.replace('.', '/')}.py:{attr})"
            ) from None
        raise UsageError(
            f"importing {module_name!r} failed: {type(exc).__name__}: {exc}{_where(exc)}"
        ) from None
    except SyntaxError as exc:
        raise UsageError(f"importing {module_name!r} failed: SyntaxError: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - anything the user's module raises while importing
        raise UsageError(
            f"importing {module_name!r} failed: {type(exc).__name__}: {exc}{_where(exc)}"
        ) from None
    call = attr.endswith("()")
    path = attr[:-2] if call else attr
    obj: Any = module
    for i, part in enumerate(path.split(".")):
        if not part.isidentifier():
            raise UsageError(f"bad name {attr!r} in {target!r}: {part!r} is not a Python identifier")
        if not hasattr(obj, part):
            where = module_name if i == 0 else ".".join(path.split(".")[:i])
            names = (
                sorted(n for n, v in vars(obj).items() if not n.startswith("_") and callable(v))
                if hasattr(obj, "__dict__")
                else []
            )
            hint = f"; callables there: {', '.join(names[:20])}" if names else ""
            raise UsageError(f"{where!r} has no attribute {part!r}{hint}")
        obj = getattr(obj, part)
    if not call:
        _refuse_factory(obj, module_name, path)
    if call:
        try:
            obj = obj()
        except Exception as exc:  # noqa: BLE001 - the user's factory
            raise UsageError(f"calling {path}() failed: {type(exc).__name__}: {exc}{_where(exc)}") from None
    if not callable(obj):
        raise UsageError(f"{target!r} is a {type(obj).__name__}, not a function or model")
    return obj, f"{label}.{path}"


def _refuse_factory(obj: Any, module_name: str, path: str) -> None:
    """A :class:`UsageError` for a target that builds the model instead of being it: a class,
    or a function that takes no arguments (a factory), with the target that checks what it
    builds (``NAME()``)."""
    fixed = f"{module_name}:{path}()"
    if inspect.isclass(obj):
        raise UsageError(
            f"{path} is a class: equicheck checks an instance of it, not the class. Write {fixed} "
            "to build one without arguments, or name a factory function that returns one"
        )
    if inspect.isfunction(obj):
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            return
        if not params:
            raise UsageError(
                f"{path} is a factory (it takes no arguments, so it cannot be f(x)): to check the model "
                f"it returns, write {fixed}"
            )


def replay_line(target: str, path: str) -> str:
    """The Python line that replays a counterexample of ``target`` (``MODULE:NAME``,
    ``file.py:NAME``, ``NAME()`` for a factory): the object as an expression, and its import."""
    module_name, attr = _split_target(target)
    is_file = module_name.endswith(".py") or "/" in module_name or os.sep in module_name
    module = Path(module_name).stem if is_file else module_name
    if not all(part.isidentifier() for part in module.split(".")):
        return f"equicheck.replay({path!r}, f)  # f: the object {target} names"
    where = f" (from {str(Path(module_name).parent)!r})" if is_file else ""
    return f"equicheck.replay({path!r}, {module}.{attr})  # after: import equicheck, {module}{where}"
