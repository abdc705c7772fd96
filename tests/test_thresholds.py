"""End to end, just above and just below every threshold of the verdict: functions whose
violation sits on either side of the limit, so that loosening or swapping any rule fails a
test (tests/mutants/ keeps seven such hand-made mutants; `python tests/mutants/check.py`
applies each and requires these tests to fail)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import ndimage

import equicheck
from equicheck import groups as G
from equicheck.engine.tolerance import DEFAULT_TOLERANCES

F32, F64 = DEFAULT_TOLERANCES["float32"], DEFAULT_TOLERANCES["float64"]


def check(f, group, **kw):
    kw.setdefault("replay_dir", None)
    kw.setdefault("seed", 0)
    return equicheck.check_equivariance(f, group, **kw)


def position_bias(relative: float):
    """x plus a bias that depends on the position: a translation violation of about
    ``relative`` of the output's size (computed in x's dtype)."""

    def f(x):
        ramp = np.linspace(0.0, 1.0, x.shape[-1], dtype=x.dtype)
        return x + x.dtype.type(relative) * np.abs(x).max() * ramp

    return f


# --- the exact rule: error > rtol, with the floor atol/rtol·max|x| ----------------------------------
@pytest.mark.parametrize("relative, passes", [(3e-8, False), (1e-7, False), (2e-10, True)])
def test_float64_violations_around_rtol(relative, passes):
    result = check(position_bias(relative), "translation", dtypes=["float64"], max_examples=20)
    assert result.passed is passes, result.message
    if not passes:
        assert result.failure_kind == "mismatch" and result.max_error > F64.rtol


@pytest.mark.parametrize("factor, passes", [(1.6, False), (3.0, False), (0.5, True)])
def test_float32_violations_around_rtol(factor, passes):
    result = check(position_bias(factor * F32.rtol), "translation", dtypes=["float32"], max_examples=20)
    assert result.passed is passes, result.message
    if not passes:  # f computes the same violation in float64: no rounding allowance excuses it
        assert result.max_error > F32.rtol and result.extra.get("rounding_allowance", 0) < F32.rtol


def test_the_least_precise_dtype_of_inputs_and_outputs_sets_the_tolerance():
    def blur_float32_out_float64(x):
        # float32 arithmetic whose rounding differs under flips; returned as float64
        y = x.astype(np.float32)
        out = 0.3 * np.roll(y, 1, -1) + 0.4 * y + 0.3 * np.roll(y, -1, -1)
        out = 0.3 * np.roll(out, 1, -2) + 0.4 * out + 0.3 * np.roll(out, -1, -2)
        return out.astype(np.float64)

    result = check(blur_float32_out_float64, "d4", dtypes=["float32"], max_examples=30)
    assert result.passed, result.message
    assert result.dtype == "float32" and result.max_error > F64.rtol  # float32 rounding, allowed


def offset_blur(offset: float):
    """A blur of x + offset, minus the offset, in x's dtype: exact in float64, but in float32
    the offset costs about ulp(offset) per entry, and that rounding differs under flips."""

    def f(x):
        y = x + x.dtype.type(offset)
        out = 0.3 * np.roll(y, 1, -1) + 0.4 * y + 0.3 * np.roll(y, -1, -1)
        out = 0.3 * np.roll(out, 1, -2) + 0.4 * out + 0.3 * np.roll(out, -1, -2)
        return out - x.dtype.type(offset)

    return f


@pytest.mark.parametrize("offset, passes", [(300.0, True), (1000.0, True), (3000.0, False), (10000.0, False)])
def test_float32_rounding_above_rtol_is_allowed_up_to_the_cap(offset, passes):
    # 300, 1000: f's own float32 rounding exceeds rtol and is measured against float64 (allowed);
    # 3000: it exceeds the cap of 10 rtol (fails); 10000: far above any allowance (not measured)
    result = check(offset_blur(offset), "d4", dtypes=["float32"], max_examples=30)
    assert result.passed is passes, result.message
    allowance = result.extra.get("rounding_allowance")
    if passes:
        assert allowance is not None and F32.rtol < allowance <= 10 * F32.rtol
    else:
        assert result.max_error > 10 * F32.rtol


# --- non-finite outputs ------------------------------------------------------------------------------
def test_infinities_of_opposite_sign_at_the_same_entries_fail():
    def sign_of_first(x):
        return np.full_like(x, np.inf) * np.sign(x.flat[0])

    result = check(sign_of_first, "translation", families=["noise"], max_examples=50)
    assert result.failure_kind == "non-finite" and "opposite infinities" in result.message


def test_equal_infinities_at_the_same_entries_agree():
    result = check(lambda x: np.where(x > 0, np.inf, -np.inf), "p4m", max_examples=20)
    assert result.passed, result.message
    assert result.extra["non_finite_outputs"] > 0
    assert math.copysign(1.0, result.max_error) == 1.0  # "max error 0", never "-0"


@pytest.mark.parametrize(
    "f", [lambda x: np.full_like(x, np.nan), lambda x: x * np.nan], ids=["full", "times"]
)
def test_nan_for_finite_inputs_fails_unless_allowed(f):
    result = check(f, "p4m", max_examples=5)
    assert result.failure_kind == "non-finite" and "NaN for a finite input" in result.message
    assert check(f, "p4m", max_examples=5, allow_non_finite=True).passed


def test_nan_in_only_some_places_fails_even_when_allowed():
    def nan_in_corner(x):
        y = x.copy()
        y[..., 0, 0] = np.nan
        return y

    assert (
        check(nan_in_corner, "translation", allow_non_finite=True, max_examples=10).failure_kind
        == "non-finite"
    )


def test_nan_in_the_inputs_may_come_back_at_the_same_entries():
    x = np.random.default_rng(0).standard_normal((6, 6))
    x[2, 3] = np.nan
    assert check(np.abs, "p4m", inputs=x).passed


# --- tolerances must be finite -------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [float("inf"), float("nan"), -1e-9, "loose"])
def test_tolerances_must_be_finite_and_non_negative(bad):
    for key in ("rtol", "atol"):
        with pytest.raises(equicheck.OptionError, match=key):
            check(np.abs, "c4", **{key: bad})


# --- group membership ------------------------------------------------------------------------------------
def test_a_group_with_steps_contains_only_multiples_of_the_step():
    group = G.from_name("translation(step=2)")
    assert group.contains(G.shift(dy=2, dx=4)) and group.contains(G.shift(dy=-2, dx=0))
    for dy, dx in [(1, 2), (2, 1), (1, 1), (0, 3)]:
        assert not group.contains(G.shift(dy=dy, dx=dx)), (dy, dx)
    with pytest.raises(equicheck.EquicheckError, match="not in translation"):
        check(np.abs, group, elements=["shift(dy=1, dx=2)"])
    assert not G.from_name("c4").contains(G.shift(dy=1, dx=0))
    assert not G.from_name("p4").contains(G.flip("x"))


# --- nondeterminism just above and below the tolerance ---------------------------------------------------
def jitter(relative: float):
    counter = itertools.count()

    def f(x):  # a different, deterministic-looking perturbation on every call
        return x * (1.0 + relative * (next(counter) % 7 - 3) / 3)

    return f


def test_small_nondeterminism_above_rtol_is_named():
    result = check(jitter(1e-7), "translation", dtypes=["float64"], max_examples=5)
    assert result.failure_kind == "nondeterministic", result.message


def test_nondeterminism_below_rtol_passes():
    assert check(jitter(1e-12), "translation", dtypes=["float64"], max_examples=5).passed


# --- the interpolation floor ------------------------------------------------------------------------------
def smooth_plus_gradient(eps: float):
    """An isotropic smoothing plus eps times a derivative along x: a rotation violation of
    about 1.2 (eps 0.003) and 6-10 (eps 0.03) times the interpolation floor."""

    def f(x):
        y = ndimage.gaussian_filter(x, 1.0, axes=(-2, -1))
        return y + eps * np.gradient(y, axis=-1)

    return f


#: Angles that interpolate (no quarter turn: those are exact, and the exact rule would judge them)
ANGLES = [f"rotate(degrees={a})" for a in (10, 25, 40, 55, 70, 125)]


@pytest.mark.parametrize("seed", [0, 1])
def test_a_violation_a_few_times_the_floor_fails(seed):
    result = check(
        smooth_plus_gradient(0.03), "so2", input_shape=(24, 24), seed=seed, max_examples=30, elements=ANGLES
    )
    info = result.extra["interpolation_floor"]
    assert result.verdict == "failed" and 3.0 < info["ratio"] < 30.0, info["ratio"]


def test_a_violation_near_the_floor_passes():
    result = check(smooth_plus_gradient(0.003), "so2", input_shape=(24, 24), max_examples=30, elements=ANGLES)
    assert result.passed, result.message
    assert result.extra["interpolation_floor"]["ratio"] < 3.0


# --- groups whose elements change the grid size ------------------------------------------------------------
@pytest.mark.parametrize("batched", [False, True])
def test_upsampling_is_checked_end_to_end(batched):
    shape = (2, 1, None, None) if batched else (1, 1, None, None)
    ok = check(np.abs, "upsampling", input_shape=shape, batched=batched, max_examples=10)
    assert ok.passed and ok.elements_checked == 4, ok.message
    bad = check(lambda x: x * x.shape[-1], "upsampling", input_shape=shape, batched=batched, max_examples=10)
    assert bad.failure_kind == "mismatch" and "upsample(factor=" in bad.message
    assert check(np.abs, "upsampling(max=2)", input_shape=shape, batched=batched, max_examples=5).passed
