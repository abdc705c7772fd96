"""The honest verdict under SO(2): judged against the interpolation floor, with defaults.

The four verdicts of issue 8 in both float32 and float64, the figures a result must state,
'inconclusive' only for a floor that is truly too high, exact elements inside SO(2), curves,
the engine paths (batched, given inputs, inside @given, replay).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

import equicheck
from equicheck import check_equivariance
from equicheck.actions import interpolation
from equicheck.engine.verdict import KAPPA


def iso_blur(x):
    return ndimage.gaussian_filter(x, 2.0, mode="constant")


def aniso_blur(x):  # 10% anisotropy
    return ndimage.gaussian_filter(x, (2.0, 2.2), mode="constant")


K3 = np.random.default_rng(3).standard_normal((3, 3))


def random_conv(x):
    return ndimage.correlate(x, K3.astype(x.dtype), mode="constant")


def gradient_magnitude(x):  # cusps wherever the gradient vanishes
    return ndimage.gaussian_gradient_magnitude(x, 1.0, mode="constant")


EXPECTED = [
    (iso_blur, "passed"),
    (aniso_blur, "failed"),
    (random_conv, "failed"),
    (gradient_magnitude, "passed"),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("f", "verdict"), EXPECTED, ids=[f.__name__ for f, _ in EXPECTED])
def test_so2_verdicts_with_defaults(f, verdict, dtype):
    result = check_equivariance(f, "so2", dtypes=(dtype,), seed=11, replay_dir=None)
    assert result.verdict == verdict, result.message
    info = result.extra["interpolation_floor"]
    assert {"floor", "error", "ratio", "element", "kappa", "pairs", "decided"} <= set(info)
    assert "interpolation floor" in result.tolerance_rule and f"{KAPPA:g} x" in result.tolerance_rule
    assert not result.exact
    if verdict == "passed":
        assert info["ratio"] <= KAPPA and result.max_error <= result.tolerance
        assert info["decided"] >= 0.1 * info["pairs"]
    else:
        assert info["ratio"] > 5 * KAPPA  # far above the floor, not a borderline call
        assert "interpolation floor" in result.message and result.counterexample is not None
    curve = result.extra["curve"]
    assert curve["parameter"] == "angle" and len(curve["values"]) == len(curve["errors"]) == len(
        curve["floor"]
    )
    assert curve["errors"][0] == 0.0


def test_gradient_magnitude_is_not_mistaken_for_a_violation_under_search_pressure():
    # more examples and another seed: the search pushes toward the worst cusps
    result = check_equivariance(gradient_magnitude, "so2", seed=5, max_examples=200, replay_dir=None)
    assert result.verdict == "passed", result.message
    assert result.extra["interpolation_floor"]["ratio"] < KAPPA


def test_exact_elements_inside_so2_keep_the_exact_rule():
    result = check_equivariance(aniso_blur, "so2", elements=["rotate(degrees=90.0)"], seed=0, replay_dir=None)
    assert result.verdict == "failed" and result.worst_element == "rotate(degrees=90.0)"
    assert "interpolation_floor" not in result.extra  # no interpolated element, no floor
    ok = check_equivariance(iso_blur, "cn(n=4)", replay_dir=None, max_examples=5)
    assert ok.passed and ok.exact and ok.max_error < 1e-5


def test_inconclusive_only_when_the_floor_is_too_high_and_says_what_would_decide():
    result = check_equivariance(
        np.square, "so2", families=["noise"], seed=0, max_examples=30, replay_dir=None
    )
    assert result.verdict == "inconclusive" and not result.passed
    assert "too high" in result.message and "smoother" in result.message and "larger grid" in result.message
    equicheck.assert_equivariant(
        np.square, "so2", families=["noise"], seed=0, max_examples=10, replay_dir=None
    )


def test_engine_paths_batched_given_inputs_and_replay(tmp_path):
    def batched_iso(x):
        return ndimage.gaussian_filter(x, (0, 0, 2, 2), mode="constant")

    def batched_aniso(x):
        return ndimage.gaussian_filter(x, (0, 0, 2, 2.2), mode="constant")

    kw = dict(input_shape=(2, 1, None, None), batched=True, seed=0, max_examples=25)
    assert check_equivariance(batched_iso, "so2", replay_dir=None, **kw).passed
    bad = check_equivariance(batched_aniso, "so2", replay_dir=tmp_path, **kw)
    assert bad.verdict == "failed" and bad.counterexample.path
    again = equicheck.replay(bad.counterexample.path, batched_aniso)
    assert again.verdict == "failed"

    x = interpolation.smooth_disk(np.random.default_rng(0), (24, 24))
    assert check_equivariance(
        iso_blur, "o2", inputs=[x, 2 * x], seed=1, max_examples=10, replay_dir=None
    ).passed


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 1000))
def test_inside_a_users_given(seed):
    x = interpolation.smooth_disk(np.random.default_rng(seed), (24, 24))
    assert check_equivariance(iso_blur, "so2", inputs=x, replay_dir=None).passed
    assert check_equivariance(aniso_blur, "so2", inputs=x, replay_dir=None).verdict == "failed"


@pytest.mark.parametrize(
    ("group", "f", "verdict"),
    [
        ("scaling", np.tanh, "passed"),
        ("scaling", iso_blur, "failed"),  # a blur of fixed width in pixels does not scale
        ("subpixel", lambda x: ndimage.correlate(x, K3, mode="wrap"), "passed"),  # exact: both diagonal
        ("cn(n=8)", gradient_magnitude, "passed"),
        ("dn(n=8)", random_conv, "failed"),
        ("e2", iso_blur, "passed"),
    ],
)
def test_other_groups(group, f, verdict):
    result = check_equivariance(f, group, seed=2, max_examples=40, replay_dir=None)
    assert result.verdict == verdict, result.message


def test_error_curve_helper():
    from equicheck.metrics import error_curve

    x = interpolation.smooth_disk(np.random.default_rng(4), (24, 24))
    curve = error_curve(aniso_blur, "so2", x)
    errors = dict(zip(curve["values"], curve["errors"]))
    floors = dict(zip(curve["values"], curve["floor"]))
    assert errors[0.0] == 0.0 and errors[45.0] > 10 * floors[45.0]
    assert errors[180.0] < 1e-9  # sigma (2, 2.2) is symmetric under the half turn, exactly
