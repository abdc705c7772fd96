"""What every adapter shares: declarations, the adapted-function type, framework detection.

Why recognise frameworks by name: ``adapt`` runs on every check, and importing PyTorch or JAX
costs seconds. An object counts as PyTorch/JAX when its class (or, for plain functions, its
``__module__``) comes from that library, or when the user declared it with
:func:`torch_function`, :func:`torch_model` or :func:`jax_function`.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

from ..backends import Backend
from ..errors import EquicheckError

__all__ = [
    "Adapted",
    "AdapterUnavailableError",
    "Declared",
    "framework_of",
    "jax_function",
    "missing_framework",
    "torch_function",
    "torch_model",
    "tree_map",
]


class AdapterUnavailableError(EquicheckError, ImportError):
    """A model's framework (PyTorch, JAX) is needed but not installed."""


class Declared:
    """A callable declared as PyTorch or JAX code, with the options its adapter takes.

    Calling it calls the original unchanged, so declaring a function does not alter it.
    """

    framework: str = ""

    def __init__(self, fn: Callable[..., Any], **options: Any) -> None:
        if not callable(fn):
            raise TypeError(f"expected a function or model, got {fn!r}")
        self.fn = fn
        self.options = options
        self.__wrapped__ = fn  # inspect.signature sees the original's parameters
        self.__doc__ = getattr(fn, "__doc__", None)
        # Reports name the user's function (or the model's class), not this wrapper.
        for attr in ("__module__", "__name__", "__qualname__"):
            value = getattr(fn, attr, None) or getattr(type(fn), attr, None)
            if value is not None:
                setattr(self, attr, value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        opts = "".join(f", {k}={v!r}" for k, v in self.options.items() if v is not None)
        return f"{self.framework}_function({self.fn!r}{opts})"


class _DeclaredTorch(Declared):
    framework = "torch"


class _DeclaredJax(Declared):
    framework = "jax"


def torch_function(fn: Callable[..., Any] | None = None, *, device: Any = None, dtype: Any = None) -> Any:
    """Declare ``fn`` as a PyTorch function (takes and returns tensors); usable as a decorator.

    ``device``: where input tensors are made (default: the CPU for the NumPy backend, the
    current GPU for CuPy). ``dtype``: a torch dtype floating inputs are cast to (default: kept).
    """
    if fn is None:
        return lambda f: _DeclaredTorch(f, device=device, dtype=dtype)
    return _DeclaredTorch(fn, device=device, dtype=dtype)


def torch_model(
    model: Callable[..., Any], *, train: bool | None = None, device: Any = None, dtype: Any = None
) -> Declared:
    """A ``torch.nn.Module`` with options: ``train=True`` checks it in training mode (no
    warning; buffers such as batch-norm statistics are restored after each call),
    ``train=False`` in eval mode without a warning, ``None`` (default) in eval mode with a
    warning if it was in training mode. ``device``/``dtype`` override the ones read from its
    parameters."""
    return _DeclaredTorch(model, train=train, device=device, dtype=dtype)


def jax_function(fn: Callable[..., Any] | None = None, *, device: Any = None) -> Any:
    """Declare ``fn`` as a JAX function (takes and returns ``jax.Array``); usable as a decorator.

    ``device``: a ``jax.Device`` for the inputs (default: JAX's default device; CuPy arrays
    are passed by DLPack where JAX runs on the same GPU).
    """
    if fn is None:
        return lambda f: _DeclaredJax(f, device=device)
    return _DeclaredJax(fn, device=device)


class Adapted:
    """``f`` wrapped to take and return arrays of ``backend``; ``original`` is the user's ``f``."""

    framework: str = ""

    def __init__(self, original: Callable[..., Any], backend: Backend) -> None:
        self.original = original
        self.backend = backend
        self.__wrapped__ = original

    def __call__(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - subclasses
        raise NotImplementedError

    @property
    def device(self) -> str:
        """Where the model runs, for reports (``'cpu'``, ``'cuda:0'``)."""
        return "cpu"

    def in_float64(self) -> Callable[..., Any] | None:
        """This model computing in float64, for the check's rounding estimate (how far the
        model's own rounding moves its outputs), or None when there is no such version."""
        return None

    def info(self) -> dict[str, Any]:
        """Framework, version and device, for reports (PyTorch adds its TF32 switches)."""
        return {"framework": self.framework, "device": self.device}

    def __repr__(self) -> str:
        what = repr(self.original)
        if "\n" in what or len(what) > 80:  # a module's repr lists every layer
            what = f"{type(self.original).__name__}(...)"
        return f"<{self.framework} model {what} on {self.device}, {self.backend.name} arrays>"


_ROOTS = {"torch": "torch", "jax": "jax", "jaxlib": "jax", "flax": "jax", "equinox": "jax"}


def _root(module: object) -> str | None:
    return _ROOTS.get(module.split(".", 1)[0]) if isinstance(module, str) else None


def framework_of(f: object) -> str | None:
    """``'torch'``, ``'jax'`` or None: which framework ``f`` belongs to, read from names only
    (so asking never imports a framework)."""
    if isinstance(f, Adapted):
        return f.framework
    if isinstance(f, Declared):
        return f.framework
    if isinstance(f, functools.partial):
        return framework_of(f.func)
    if not any(name in sys.modules for name in ("torch", "jax", "jaxlib")):
        return None  # nothing of theirs can exist yet
    for cls in type(f).__mro__:
        found = _root(cls.__module__)
        if found:
            return found
    owner = getattr(f, "__self__", None)  # a bound method such as model.forward
    if owner is not None and not isinstance(owner, type) and owner is not f:
        for cls in type(owner).__mro__:
            found = _root(cls.__module__)
            if found:
                return found
    return _root(getattr(f, "__module__", None))


def tree_map(fn: Callable[[Any], Any], tree: Any, leaf: Callable[[Any], bool]) -> Any:
    """Apply ``fn`` to the leaves of nested tuples, lists and dicts (namedtuples keep their type)."""
    if leaf(tree):
        return fn(tree)
    if isinstance(tree, dict):
        return type(tree)((k, tree_map(fn, v, leaf)) for k, v in tree.items())
    if isinstance(tree, tuple):
        items = [tree_map(fn, v, leaf) for v in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)
    if isinstance(tree, list):
        return [tree_map(fn, v, leaf) for v in tree]
    return tree


def missing_framework(framework: str, extra: str) -> AdapterUnavailableError:
    return AdapterUnavailableError(
        f"checking a {framework} model needs {framework}, which is not installed: "
        f'pip install "equicheck[{extra}]"'
    )
