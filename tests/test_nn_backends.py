"""equicheck.nn on a backend that is not NumPy.

``array_api_strict`` (nothing beyond the array API standard) stands in for CuPy on machines
without a GPU; where a GPU is usable the same tests run on CuPy. Results must be arrays of
that backend and agree with NumPy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import equicheck.nn as nn
from equicheck import backends
from equicheck.backends import Backend, get_backend

xs = pytest.importorskip("array_api_strict")
StrictArray = type(xs.asarray(0.0))


@pytest.fixture(params=["strict", pytest.param("cupy", marks=pytest.mark.gpu)])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Backend:
    if request.param == "cupy":
        return get_backend("cupy")
    b = Backend("strict", xs, array_types=(StrictArray,))
    monkeypatch.setitem(backends._FACTORIES, "strict", lambda: b)
    monkeypatch.setitem(backends._OWNERS, "strict", b.is_array)
    monkeypatch.setitem(backends._CACHE, "strict", b)
    return b


CASES: list[tuple[str, Callable[..., Any], dict[str, Any]]] = [
    ("conv direct", nn.conv2d, {"padding": 1, "algorithm": "direct"}),
    ("conv im2col", nn.conv2d, {"padding": "same", "algorithm": "direct"}),
    ("conv strided", nn.conv2d, {"stride": 2, "padding": 1, "dilation": 2, "padding_mode": "circular"}),
    ("conv grouped", nn.conv2d, {"groups": 2, "padding": (1, 0), "padding_mode": "reflect"}),
    ("conv rows", nn.conv2d, {"padding": 1, "algorithm": "rows"}),
    ("conv taps strided", nn.conv2d, {"stride": 2, "padding": 1, "algorithm": "taps"}),
    ("conv im2col grouped", nn.conv2d, {"groups": 2, "padding": 1, "dilation": 2, "algorithm": "im2col"}),
]


@pytest.mark.parametrize(("label", "fn", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_conv2d_runs_on_the_backend(backend: Backend, label: str, fn: Any, kwargs: dict[str, Any]) -> None:
    rng = np.random.default_rng(0)
    c_in = 2 if label == "conv im2col" else 4
    x = rng.standard_normal((2, c_in, 9, 8)).astype(np.float32)
    groups = kwargs.get("groups", 1)
    w = rng.standard_normal((6, c_in // groups, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    want = fn(x, w, b, **kwargs)
    got = fn(backend.asarray(x), backend.asarray(w), backend.asarray(b), **kwargs)
    assert backend.is_array(got)
    assert got.dtype == backend.xp.float32
    np.testing.assert_allclose(backend.to_host(got), want, rtol=1e-5, atol=1e-5)


def test_layers_and_group_convs_run_on_the_backend(backend: Backend) -> None:
    net = nn.Sequential(
        nn.LiftingConv2d(3, 2, 3, group="p4m", padding=1, padding_mode="circular", seed=0),
        nn.GELU(),
        nn.GroupConv2d(2, 2, 3, group="p4m", padding=1, seed=1),
        nn.OrientationPool("p4m"),
        nn.MaxPool2d(2),
        nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False),
        nn.GlobalAvgPool2d(),
        nn.Flatten(),
        nn.Linear(2, 3, seed=2),
        nn.LogSoftmax(),
    )
    x = np.random.default_rng(1).standard_normal((2, 3, 10, 10)).astype(np.float32)
    want = net(x)
    net.to(backend)
    assert all(backend.is_array(p) for p in net.parameters())
    got = net(backend.asarray(x))
    assert backend.is_array(got)
    np.testing.assert_allclose(backend.to_host(got), want, rtol=1e-4, atol=1e-5)
