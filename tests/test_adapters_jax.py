"""JAX functions through the adapter: jitted functions are recognised, arrays come back."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import equicheck
from equicheck.adapters import adapt, framework_of, jax_function

jax = pytest.importorskip("jax", reason="JAX is an optional extra: pip install 'equicheck[jax]'")
jnp = pytest.importorskip("jax.numpy")

from equicheck.adapters.jax import JaxAdapted  # noqa: E402 - needs jax

NUMPY = equicheck.get_backend("numpy")


def blur(x: Any) -> Any:
    """A circular 3x3 blur with a symmetric kernel: equivariant to p4."""
    out = 4 * x
    for axis in (-2, -1):
        out = out + 2 * (jnp.roll(x, 1, axis) + jnp.roll(x, -1, axis))
    for dy in (1, -1):
        for dx in (1, -1):
            out = out + jnp.roll(x, (dy, dx), (-2, -1))
    return out / 16


def test_jitted_functions_are_recognised() -> None:
    f = jax.jit(blur)
    assert framework_of(f) == "jax" and framework_of(jnp.sin) == "jax"
    assert framework_of(blur) is None, "a plain Python function must be declared"
    g = adapt(f, NUMPY)
    assert isinstance(g, JaxAdapted) and g.device.startswith("cpu")
    y = g(np.ones((1, 5, 5), dtype=np.float32))
    assert isinstance(y, np.ndarray) and y.flags.writeable
    np.testing.assert_allclose(y, 1.0, rtol=1e-6)


def test_declared_functions_and_structured_outputs() -> None:
    @jax_function
    def parts(x: Any) -> Any:
        return {"mean": x.mean(), "pair": (x * 2, "label")}

    out = adapt(parts, NUMPY)(np.arange(4.0, dtype=np.float32))
    assert isinstance(out["mean"], np.ndarray) and float(out["mean"]) == 1.5
    assert isinstance(out["pair"][0], np.ndarray) and out["pair"][1] == "label"


check_equivariance = getattr(equicheck, "check_equivariance", None)
if check_equivariance is None:  # pragma: no cover - while the engine is being written
    from equicheck.engine import check_equivariance


def test_jax_blur_passes_p4() -> None:
    r = check_equivariance(jax.jit(blur), "p4", dtypes=("float32",), max_examples=20, seed=1, replay_dir=None)
    assert r.passed, r


def test_jax_position_dependent_function_fails_c4() -> None:
    @jax_function
    def ramp(x: Any) -> Any:
        return x * jnp.arange(x.shape[-1], dtype=x.dtype)

    r = check_equivariance(ramp, "c4", dtypes=("float32",), seed=1, replay_dir=None)
    assert not r.passed
