"""Activations, dense layers, modules: formulas, PyTorch agreement, seeds, parameter counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special

import equicheck.nn as nn
from equicheck.errors import ShapeError

X = np.linspace(-30, 30, 301).astype(np.float32)


@pytest.mark.parametrize(
    ("fn", "formula"),
    [
        (nn.relu, lambda x: np.maximum(x, 0)),
        (lambda x: nn.leaky_relu(x, 0.1), lambda x: np.where(x >= 0, x, 0.1 * x)),
        (nn.elu, lambda x: np.where(x > 0, x, np.expm1(x))),
        (nn.gelu, lambda x: 0.5 * x * (1 + scipy.special.erf(x / math.sqrt(2)))),
        (
            lambda x: nn.gelu(x, "tanh"),
            lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
        ),
        (nn.tanh, np.tanh),
        (nn.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
        (nn.silu, lambda x: x / (1 + np.exp(-x))),
        (nn.softplus, lambda x: np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)),
    ],
)
def test_activations_follow_their_formula_and_keep_float32(fn, formula):
    got = fn(X)
    assert got.dtype == np.float32
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, formula(X.astype(np.float64)), rtol=2e-6, atol=2e-6)


def test_softmax_is_stable_and_normalised():
    x = np.array([[1000.0, 1001.0, 1002.0], [-5.0, 0.0, 5.0]], dtype=np.float32)
    s = nn.softmax(x, axis=1)
    assert s.dtype == np.float32
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.exp(nn.log_softmax(x, axis=1)), s, rtol=1e-5)
    np.testing.assert_allclose(s[0], scipy.special.softmax([0.0, 1.0, 2.0]), rtol=1e-6)


def test_activations_match_torch():
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(X)
    F = torch.nn.functional
    np.testing.assert_allclose(nn.gelu(X), F.gelu(t).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        nn.gelu(X, "tanh"), F.gelu(t, approximate="tanh").numpy(), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(nn.silu(X), F.silu(t).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nn.elu(X), F.elu(t).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nn.softplus(X), F.softplus(t).numpy(), rtol=1e-5, atol=1e-6)


def test_linear_and_flatten():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    flat = nn.flatten(x)
    assert flat.shape == (2, 60)
    assert nn.flatten(x, 2).shape == (2, 3, 20)
    w = rng.standard_normal((7, 60)).astype(np.float32)
    b = rng.standard_normal(7).astype(np.float32)
    out = nn.linear(flat, w, b)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, flat.astype(np.float64) @ w.T + b, rtol=1e-4, atol=1e-4)
    with pytest.raises(ShapeError, match="flatten"):
        nn.linear(x, w)
    with pytest.raises(ValueError, match="start_axis"):
        nn.flatten(x, 3, 1)


def small_cnn(seed):
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, seed=seed),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding="same", groups=2, padding_mode="reflect", seed=seed + 1),
        nn.GELU(),
        nn.BlurPool2d(),
        nn.AvgPool2d(2, ceil_mode=True),
        nn.GlobalAvgPool2d(),
        nn.Flatten(),
        nn.Linear(16, 10, seed=seed + 2),
        nn.Softmax(),
    )


def test_seeded_networks_are_reproducible_and_counted():
    a, b, c = small_cnn(0), small_cnn(0), small_cnn(5)
    for (name_a, pa), (name_b, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert name_a == name_b
        np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(a.parameters()[0], c.parameters()[0])
    expected = (3 * 8 * 9 + 8) + (8 // 2 * 16 * 9 + 16) + (16 * 10 + 10)
    assert a.num_parameters() == expected
    assert [n for n, _ in a.named_parameters()] == [
        "0.weight",
        "0.bias",
        "3.weight",
        "3.bias",
        "9.weight",
        "9.bias",
    ]
    x = np.random.default_rng(1).standard_normal((2, 3, 16, 16)).astype(np.float32)
    y = a(x)
    assert y.shape == (2, 10) and y.dtype == np.float32
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)
    assert "Conv2d(3, 8" in repr(a)
    assert len(a) == 11 and isinstance(a[0], nn.Conv2d) and len(a[:3]) == 3


def test_a_shared_generator_draws_different_layers():
    rng = np.random.default_rng(0)
    one, two = nn.Conv2d(2, 2, 3, seed=rng), nn.Conv2d(2, 2, 3, seed=rng)
    assert not np.array_equal(one.weight, two.weight)


def test_parameter_counts_match_torch():
    torch = pytest.importorskip("torch")
    ours = [
        nn.Conv2d(6, 12, (3, 5), groups=3, seed=0),
        nn.Conv2d(4, 4, 3, bias=False, seed=0),
        nn.Linear(7, 3, seed=0),
    ]
    theirs = [
        torch.nn.Conv2d(6, 12, (3, 5), groups=3),
        torch.nn.Conv2d(4, 4, 3, bias=False),
        torch.nn.Linear(7, 3),
    ]
    for o, t in zip(ours, theirs):
        assert o.num_parameters() == sum(p.numel() for p in t.parameters())
        assert [tuple(p.shape) for p in o.parameters()] == [tuple(p.shape) for p in t.parameters()]


def test_init_bound_is_one_over_sqrt_fan_in():
    layer = nn.Conv2d(4, 64, 3, seed=0, dtype=np.float64)
    bound = 1 / math.sqrt(4 * 9)
    assert np.abs(layer.weight).max() <= bound
    assert np.abs(layer.weight).max() > 0.9 * bound
    assert layer.weight.dtype == np.float64


def test_module_arguments_are_checked_up_front():
    with pytest.raises(ValueError, match="groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding"):
        nn.Conv2d(3, 4, 3, padding="full")
    with pytest.raises(ValueError, match="circular"):
        nn.Conv2d(3, 4, 3, padding_mode="wrap")
    with pytest.raises(TypeError, match="seed"):
        nn.Linear(3, 4, seed="abc")
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="in_channels"):
        nn.Conv2d(0, 4, 3)


def test_to_moves_parameters_to_a_backend():
    net = nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.Linear(2, 2, seed=0))
    assert net.to("numpy") is net
    assert all(isinstance(p, np.ndarray) for p in net.parameters())
