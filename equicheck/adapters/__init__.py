"""Adapters: check the models users already have (PyTorch modules and functions, JAX functions).

The check engine works on backend arrays (NumPy on the CPU, CuPy on the GPU) and calls
``adapt(f, backend)`` on every function before use. For a PyTorch or JAX callable, ``adapt``
returns a wrapper that turns backend arrays into tensors on the model's device (zero-copy
DLPack between CuPy and a CUDA model), runs the model the way a check needs it (eval mode,
no gradients) and turns the outputs back into backend arrays; any other ``f`` comes back
unchanged.

Frameworks are recognised by name (:func:`framework_of`), so asking never imports one; mark a
plain Python function that calls torch/jax inside with :func:`torch_function` or
:func:`jax_function`.

PyTorch Geometric's ``Data`` and ``Batch`` objects: :mod:`equicheck.adapters.pyg` (imported on
use) turns them into dicts of arrays and back, and wraps models that take one ``Data``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..backends import Backend, get_backend
from .base import (
    Adapted,
    AdapterUnavailableError,
    Declared,
    framework_of,
    jax_function,
    torch_function,
    torch_model,
)

__all__ = [
    "Adapted",
    "AdapterUnavailableError",
    "Declared",
    "adapt",
    "framework_of",
    "jax_function",
    "torch_function",
    "torch_model",
]


def adapt(
    f: Callable[..., Any], backend: Backend | str | None = None, *, train: bool | None = None
) -> Callable[..., Any]:
    """``f`` as a function of ``backend`` arrays: PyTorch and JAX callables are wrapped (see the
    module docstring), anything else is returned unchanged.

    ``train`` applies to PyTorch modules (see :func:`torch_model`); an option given to
    :func:`torch_model` wins over it. Raises AdapterUnavailableError when ``f`` was declared
    for a framework that is not installed.
    """
    kind = framework_of(f)
    if kind is None:
        return f
    b = get_backend(backend)
    if isinstance(f, Adapted):
        if f.backend is b and train is None:
            return f
        f = f.original
    options: dict[str, Any] = {}
    if isinstance(f, Declared):
        options = dict(f.options)
        f = f.fn
    if kind == "torch":
        if options.get("train") is None:
            options["train"] = train
        from .torch import adapt_torch

        return adapt_torch(f, b, **options)
    from .jax import adapt_jax

    return adapt_jax(f, b, **options)
