"""Networks under continuous groups, Lie derivatives, and classifier invariance measures."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from equicheck import check_equivariance, nn
from equicheck.actions import interpolation
from equicheck.engine.verdict import KAPPA
from equicheck.lie import GENERATORS, lie_derivative, lie_derivatives
from equicheck.metrics import error_curve, prediction_consistency

X = interpolation.smooth_disk(np.random.default_rng(0), (1, 1, 32, 32)).astype(np.float32)


def p4_cnn():
    return nn.Sequential(
        nn.LiftingConv2d(1, 4, 3, padding=1, group="p4", seed=0),
        nn.ReLU(),
        nn.GroupConv2d(4, 4, 3, padding=1, group="p4", seed=1),
        nn.ReLU(),
        nn.OrientationPool("p4"),
    )


def standard_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, seed=0), nn.ReLU(), nn.Conv2d(8, 4, 3, padding=1, seed=1)
    )


def test_p4_cnn_is_exact_on_quarter_turns_and_its_error_grows_between_them():
    f = p4_cnn()
    exact = check_equivariance(f, "c4", input_shape=(1, 1, None, None), max_examples=10, replay_dir=None)
    assert exact.passed and exact.max_error < 1e-5
    curve = error_curve(f, "so2", X)
    err = dict(zip(curve["values"], curve["errors"]))
    floor = dict(zip(curve["values"], curve["floor"]))
    for quarter in (0.0, 90.0, 180.0, 270.0, 360.0):
        assert err[quarter] < 1e-5
    assert err[15.0] > 100 * err[90.0] and err[30.0] > err[15.0] and err[45.0] > err[15.0]
    assert err[45.0] > 1.5 * floor[45.0]  # well above what resampling explains
    assert err[135.0] == pytest.approx(err[45.0], rel=0.2)  # the pattern repeats every quarter turn


def test_standard_cnn_fails_so2_far_above_the_floor():
    result = check_equivariance(
        standard_cnn(), "so2", input_shape=(1, 1, None, None), seed=0, max_examples=30, replay_dir=None
    )
    assert result.verdict == "failed"
    assert result.extra["interpolation_floor"]["ratio"] > 3 * KAPPA


# --- Lie derivatives --------------------------------------------------------------------------------
X2 = interpolation.smooth_disk(np.random.default_rng(1), (32, 32))


def iso(x):
    return ndimage.gaussian_filter(x, 2.0, mode="constant")


def aniso(x):
    return ndimage.gaussian_filter(x, (2.0, 2.2), mode="constant")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lie_derivative_separates_isotropic_from_anisotropic(dtype):
    x = X2.astype(dtype)
    good = lie_derivatives(iso, x)
    bad = lie_derivatives(aniso, x)
    assert set(good) == set(GENERATORS)
    assert good["rotation"].value < 1e-3 and bad["rotation"].value > 2e-2
    assert bad["rotation"].value > 50 * good["rotation"].value
    assert bad["rotation"].value > 10 * bad["rotation"].floor
    for t in ("translation_y", "translation_x"):  # any convolution commutes with translations
        assert good[t].value < 1e-4 and bad[t].value < 1e-4
    assert good["scaling"].value > 0.1  # a blur of fixed width is not scale-equivariant


def test_lie_derivative_vector_fields_and_errors():
    from equicheck.errors import EquicheckError

    def gradient(x):  # (H, W) -> (2, H, W), (row, column) components: rotation-equivariant
        return np.stack([ndimage.gaussian_filter(x, 2.0, order=o, mode="constant") for o in ((1, 0), (0, 1))])

    field = lie_derivative(gradient, X2, "rotation", out_action="vector(axis=0)")
    scalar = lie_derivative(gradient, X2, "rotation", out_action="spatial")  # wrong: components do not turn
    assert field.value < 1e-3 < 0.1 < scalar.value
    with pytest.raises(EquicheckError):
        lie_derivative(iso, X2, "shear")
    with pytest.raises(EquicheckError):
        lie_derivative(iso, X2, "rotation", method="autodiff")  # not a torch/JAX function


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.func's own internals
def test_lie_derivative_autodiff_matches_finite_differences():
    torch = pytest.importorskip("torch")
    g = np.exp(-np.add.outer(np.arange(-6, 7) ** 2, np.arange(-6, 7) ** 2) / 8.0)
    conv = torch.nn.Conv2d(1, 1, 13, padding=6, bias=False).eval()
    with torch.no_grad():
        conv.weight[:] = torch.as_tensor(g / g.sum(), dtype=torch.float32)[None, None]
    x = X2.astype(np.float32)[None, None]
    fd = lie_derivatives(conv, x, ("rotation", "translation_x"))
    ad = lie_derivatives(conv, x, ("rotation", "translation_x"), method="autodiff")
    assert ad["rotation"].method == "autodiff"
    assert ad["rotation"].value == pytest.approx(fd["rotation"].value, abs=1e-4)
    assert ad["rotation"].value < 5e-3  # a Gaussian cut to a 13x13 square is nearly isotropic


# --- classifiers ---------------------------------------------------------------------------------------
def invariant_classifier(x):  # rotation-invariant features -> logits (batch, 3)
    feats = np.stack(
        [np.mean(x, axis=(-2, -1)), np.mean(x**2, axis=(-2, -1)), np.mean(np.abs(x), axis=(-2, -1))], -1
    )
    return feats.reshape(x.shape[0], -1) @ np.array([[1.0, -1.0, 0.5], [0.3, 0.2, -0.4], [-0.5, 0.1, 0.6]])


def positional_classifier(x):  # weights depend on position: not invariant
    h, w = x.shape[-2:]
    weights = np.stack([np.linspace(-1, 1, w)[None, :] * np.ones((h, 1)), np.ones((h, w)) * 0.1])
    return np.einsum("nchw,khw->nk", x, weights)


def test_prediction_consistency_and_top_probability_change():
    xs = interpolation.smooth_disk(np.random.default_rng(3), (16, 1, 24, 24))
    good = prediction_consistency(invariant_classifier, "so2", xs, n_elements=6)
    bad = prediction_consistency(positional_classifier, "so2", xs, n_elements=6)
    assert good["consistency"] > 0.9 and good["top_prob_change"] < 0.05
    assert bad["consistency"] < 0.9 and bad["top_prob_change"] > good["top_prob_change"]
    assert len(good["per_element"]) == 6
    exact = prediction_consistency(positional_classifier, "c4", xs)
    assert set(exact["per_element"]) == {"rot90(k=1)", "rot90(k=2)", "rot90(k=3)"}


def test_invariance_check_of_a_classifier_reports_consistency():
    result = check_equivariance(
        invariant_classifier,
        "so2",
        invariant=True,
        input_shape=(4, 1, None, None),
        batched=True,
        seed=0,
        max_examples=10,
        replay_dir=None,
    )
    assert result.passed, result.message
    assert result.extra["classifier"]["consistency"] > 0.9


def test_lie_derivative_autodiff_with_jax():
    jax = pytest.importorskip("jax")
    from equicheck.adapters import jax_function

    g = np.exp(-np.add.outer(np.arange(-6, 7) ** 2, np.arange(-6, 7) ** 2) / 8.0).astype(np.float32)

    @jax_function
    def blur(x):
        return jax.scipy.signal.convolve2d(x, g / g.sum(), mode="same")

    x = X2.astype(np.float32)
    ad = lie_derivative(blur, x, "rotation", method="autodiff")
    fd = lie_derivative(blur, x, "rotation")
    assert ad.method == "autodiff" and ad.value == pytest.approx(fd.value, abs=1e-4)
