"""adapt() without any framework: plain functions pass through, frameworks are never imported,
and a declared model whose framework is missing gets a clear error."""

from __future__ import annotations

import subprocess
import sys
import types
from collections import namedtuple
from typing import Any

import numpy as np
import pytest

import equicheck
from equicheck.adapters import (
    AdapterUnavailableError,
    adapt,
    framework_of,
    jax_function,
    torch_function,
    torch_model,
)
from equicheck.adapters.base import tree_map


def double(x: Any) -> Any:
    return 2 * x


class Callable:
    def __call__(self, x: Any) -> Any:
        return x


@pytest.mark.parametrize("f", [np.sin, double, Callable(), lambda x: x])
def test_plain_functions_come_back_unchanged(f: Any) -> None:
    assert framework_of(f) is None
    assert adapt(f, "numpy") is f
    assert adapt(f, equicheck.get_backend("numpy")) is f


def test_adapt_imports_no_framework() -> None:
    code = (
        "import sys, numpy as np\n"
        "from equicheck.adapters import adapt, framework_of, torch_function\n"
        "assert adapt(np.sin, 'numpy') is np.sin\n"
        "assert framework_of(lambda x: x) is None\n"
        "assert framework_of(torch_function(np.cos)) == 'torch'\n"
        "bad = [m for m in ('torch', 'jax', 'jaxlib', 'cupy') if m in sys.modules]\n"
        "assert not bad, f'adapt imported {bad}'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def _fake_object(module: str) -> Any:
    cls = type("Thing", (), {"__module__": module, "__call__": lambda self, x: x})
    return cls()


@pytest.mark.parametrize(
    ("module", "framework"),
    [
        ("torch.nn.modules.module", "torch"),
        ("torch.jit._script", "torch"),
        ("jaxlib._jax", "jax"),
        ("jax._src.pjit", "jax"),
        ("flax.nnx", "jax"),
        ("torchvision.models", None),
        ("mylib.torch", None),
    ],
)
def test_framework_read_from_class_names(
    monkeypatch: pytest.MonkeyPatch, module: str, framework: Any
) -> None:
    monkeypatch.setitem(sys.modules, "torch", sys.modules.get("torch", types.ModuleType("torch")))
    obj = _fake_object(module)
    assert framework_of(obj) == framework
    bound = types.MethodType(lambda self, x: x, obj)  # e.g. model.forward
    assert framework_of(bound) == framework


def test_declarations_call_the_original_unchanged() -> None:
    f = torch_function(double)
    assert f(3) == 6 and f.fn is double and framework_of(f) == "torch"
    assert "torch_function(" in repr(f)

    @torch_function(dtype=None)
    def g(x: Any) -> Any:
        """Doc."""
        return x + 1

    assert g(1) == 2 and g.__doc__ == "Doc." and g.__wrapped__.__name__ == "g"
    j = jax_function(double)
    assert j(2) == 4 and framework_of(j) == "jax"
    assert jax_function()(double)(1) == 2
    with pytest.raises(TypeError, match="expected a function"):
        torch_function(3)  # type: ignore[arg-type]


def test_tree_map_keeps_structure() -> None:
    Pair = namedtuple("Pair", "a b")
    tree = {"x": [1, (2, 3)], "p": Pair(4, "s")}
    out = tree_map(lambda v: v * 10, tree, lambda v: isinstance(v, int))
    assert out == {"x": [10, (20, 30)], "p": Pair(40, "s")}
    assert type(out["p"]) is Pair


@pytest.mark.parametrize(
    ("declare", "module", "extra"),
    [(torch_function, "torch", "torch"), (torch_model, "torch", "torch"), (jax_function, "jax", "jax")],
)
def test_missing_framework_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, declare: Any, module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # `import torch` / `import jax` fails
    monkeypatch.delitem(sys.modules, f"equicheck.adapters.{module}", raising=False)
    with pytest.raises(AdapterUnavailableError) as info:
        adapt(declare(double), "numpy")
    assert f'pip install "equicheck[{extra}]"' in str(info.value)
    assert isinstance(info.value, equicheck.EquicheckError)
    assert isinstance(info.value, ImportError)
