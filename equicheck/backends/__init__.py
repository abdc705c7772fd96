"""Backends: which array library runs transforms and convolutions, and how to pick one.

``get_backend()`` answers, in order: an explicit name or Backend, the backend of the arrays
given, the one set with :func:`use_backend`, else ``"numpy"``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import BackendUnavailableError, EquicheckError
from .base import Backend

__all__ = [
    "Backend",
    "available_backends",
    "backend_for",
    "get_backend",
    "register_backend",
    "use_backend",
]

_FACTORIES: dict[str, Callable[[], Backend]] = {}
# Predicates that recognise a backend's arrays without importing its library.
_OWNERS: dict[str, Callable[[object], bool]] = {}
_CACHE: dict[str, Backend] = {}
_CURRENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("equicheck_backend", default=None)


def register_backend(name: str, factory: Callable[[], Backend], owns: Callable[[object], bool]) -> None:
    """Register a backend: ``factory()`` builds it (may raise BackendUnavailableError);
    ``owns(x)`` says whether an array belongs to it, without importing its library."""
    _FACTORIES[name] = factory
    _OWNERS[name] = owns
    _CACHE.pop(name, None)


def _by_name(name: str) -> Backend:
    if name not in _FACTORIES:
        raise EquicheckError(f"unknown backend {name!r}; known backends: {', '.join(sorted(_FACTORIES))}")
    if name not in _CACHE:
        _CACHE[name] = _FACTORIES[name]()
    return _CACHE[name]


def backend_for(*arrays: Any) -> Backend | None:
    """The backend that owns these arrays, or None for plain Python/NumPy-convertible data.

    Raises EquicheckError when arrays of two backends are mixed.
    """
    found: set[str] = set()
    for x in arrays:
        if x is None or isinstance(x, (int, float, complex, bool)):
            continue
        for name, owns in _OWNERS.items():
            if owns(x):
                found.add(name)
                break
    if len(found) > 1:
        raise EquicheckError(f"arrays from several backends were mixed: {sorted(found)}")
    return _by_name(found.pop()) if found else None


def get_backend(backend: str | Backend | None = None, *arrays: Any) -> Backend:
    """Resolve a backend from an explicit choice, the arrays' type, the active setting."""
    if isinstance(backend, Backend):
        return backend
    if backend is not None:
        return _by_name(backend)
    owner = backend_for(*arrays)
    if owner is not None:
        return owner
    return _by_name(_CURRENT.get() or "numpy")


class use_backend:  # noqa: N801 - a function-like context manager, as numpy.errstate
    """Select the default backend: ``use_backend("cupy")`` sets it; ``with use_backend(...)``
    sets it for the block only. Raises BackendUnavailableError at once if it cannot run."""

    def __init__(self, name: str | Backend) -> None:
        backend = get_backend(name)
        if isinstance(name, Backend) and name.name not in _FACTORIES:
            register_backend(name.name, lambda: name, lambda x: name.is_array(x))
        _CACHE.setdefault(backend.name, backend)
        self.backend = backend
        self._token = _CURRENT.set(backend.name)

    def __enter__(self) -> Backend:
        return self.backend

    def __exit__(self, *exc: object) -> None:
        _CURRENT.reset(self._token)


def available_backends() -> dict[str, str | None]:
    """Each registered backend's name and, if it cannot run here, why not (None if usable)."""
    out: dict[str, str | None] = {}
    for name in sorted(_FACTORIES):
        try:
            _by_name(name)
            out[name] = None
        except BackendUnavailableError as exc:
            out[name] = str(exc)
    return out


def _is_numpy(x: object) -> bool:
    import numpy as np

    return isinstance(x, (np.ndarray, np.generic))


def _numpy_factory() -> Backend:
    from .numpy_backend import NumpyBackend

    return NumpyBackend()


def _is_cupy(x: object) -> bool:
    # By the type's module, so that asking never imports CuPy (nor touches a GPU).
    return type(x).__module__.split(".", 1)[0] == "cupy"


def _cupy_factory() -> Backend:
    from .cupy_backend import load

    return load()


register_backend("numpy", _numpy_factory, _is_numpy)
register_backend("cupy", _cupy_factory, _is_cupy)


def iter_backends() -> Iterator[str]:
    yield from sorted(_FACTORIES)
