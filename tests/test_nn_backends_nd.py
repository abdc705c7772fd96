"""conv1d / conv3d, 1-D and 3-D pooling and the cube-group layers on a backend that is not
NumPy: ``array_api_strict`` (nothing beyond the array API standard) stands in for CuPy on
machines without a GPU; where a GPU is usable the same tests run on CuPy. Results must be
arrays of that backend and agree with NumPy."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import equicheck.nn as nn
from equicheck import backends
from equicheck.backends import Backend, get_backend

xs = pytest.importorskip("array_api_strict", reason="stands in for a GPU array library")
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


CASES: list[tuple[str, int, dict[str, Any]]] = [
    ("1d rows", 1, {"padding": 1, "algorithm": "rows"}),
    ("1d strided circular", 1, {"stride": 2, "padding": 2, "dilation": 2, "padding_mode": "circular"}),
    ("1d depthwise", 1, {"groups": 4, "padding": "same", "padding_mode": "reflect"}),
    ("3d auto", 3, {"padding": 1}),
    ("3d im2col strided", 3, {"stride": (2, 1, 2), "padding": 1, "algorithm": "im2col"}),
    ("3d taps replicate", 3, {"padding": (1, 0, 1), "padding_mode": "replicate", "algorithm": "taps"}),
    ("3d grouped dilated", 3, {"groups": 2, "padding": 2, "dilation": 2, "padding_mode": "circular"}),
]


@pytest.mark.parametrize(("label", "dims", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_conv_runs_on_the_backend(backend: Backend, label: str, dims: int, kwargs: dict[str, Any]) -> None:
    rng = np.random.default_rng(0)
    size = (11,) if dims == 1 else (5, 6, 5)
    x = rng.standard_normal((2, 4, *size)).astype(np.float32)
    groups = kwargs.get("groups", 1)
    w = rng.standard_normal((4, 4 // groups, *(3,) * dims)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    conv = {1: nn.conv1d, 3: nn.conv3d}[dims]
    want = conv(x, w, b, **kwargs)
    got = conv(backend.asarray(x), backend.asarray(w), backend.asarray(b), **kwargs)
    assert backend.is_array(got)
    assert got.dtype == backend.xp.float32
    np.testing.assert_allclose(backend.to_host(got), want, rtol=1e-5, atol=1e-5)


def test_1d_layers_run_on_the_backend(backend: Backend) -> None:
    net = nn.Sequential(
        nn.Conv1d(3, 4, 5, padding=2, padding_mode="circular", seed=0),
        nn.ReLU(),
        nn.MaxPool1d(3, 2, 1, ceil_mode=True),
        nn.AvgPool1d(2, count_include_pad=False, padding=1),
        nn.BlurPool1d(),
        nn.GlobalMaxPool1d(),
    )
    x = np.random.default_rng(1).standard_normal((2, 3, 20)).astype(np.float32)
    want = net(x)
    net.to(backend)
    got = net(backend.asarray(x))
    assert backend.is_array(got)
    np.testing.assert_allclose(backend.to_host(got), want, rtol=1e-5, atol=1e-5)


def test_cube_group_cnn_and_3d_pooling_run_on_the_backend(backend: Backend) -> None:
    net = nn.Sequential(
        nn.LiftingConv3d(2, 1, 3, group="pm3m", padding=1, padding_mode="circular", seed=0),
        nn.GELU(),
        nn.GroupConv3d(1, 1, 3, group="pm3m", padding=1, seed=1),
        nn.OrientationPool("pm3m"),
        nn.MaxPool3d(2),
        nn.AvgPool3d(2, ceil_mode=True, divisor_override=3),
        nn.BlurPool3d(stride=1, padding_mode="replicate"),
        nn.GlobalAvgPool3d(),
    )
    x = np.random.default_rng(2).standard_normal((1, 2, 6, 6, 6)).astype(np.float32)
    want = net(x)
    net.to(backend)
    got = net(backend.asarray(x))
    assert backend.is_array(got)
    np.testing.assert_allclose(backend.to_host(got), want, rtol=1e-4, atol=1e-5)
