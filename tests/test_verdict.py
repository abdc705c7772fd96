"""The verdict path, unit by unit: tolerance resolution, limits, the floor rule, decide(), and
the error measures. Every threshold is tested just above and just below."""

from __future__ import annotations

import math

import numpy as np
import pytest

from equicheck.engine import verdict as V
from equicheck.engine.compare import input_scale, largest_error, relative_rms, rms, stacked_errors
from equicheck.engine.floor import FloorPair, FloorStats
from equicheck.engine.tolerance import DEFAULT_TOLERANCES, default_tolerance, dtype_name

F32, F64 = DEFAULT_TOLERANCES["float32"], DEFAULT_TOLERANCES["float64"]


# --- tolerances ----------------------------------------------------------------------------------
def test_the_least_precise_floating_dtype_sets_the_default():
    assert default_tolerance("float64", "float32") == ("float32", F32)
    assert default_tolerance(np.dtype("float64"), np.dtype("float32")) == ("float32", F32)
    assert default_tolerance("float64") == ("float64", F64)
    assert default_tolerance("int32", "bool") == ("float64", F64)  # no floating dtype
    assert default_tolerance("float16", "bfloat16")[0] == "bfloat16"
    assert default_tolerance("float32", tf32=True)[0] == "tf32"
    assert default_tolerance("float64", tf32=True)[0] == "float64"
    assert dtype_name("torch.float32") == "float32" and dtype_name("double") == "float64"
    assert dtype_name("half") == "float16" and dtype_name("int8") == "int8"


def test_resolve_takes_the_users_values_where_given():
    t = V.resolve_tolerance(None, None, "float32", "float64")
    assert (t.dtype, t.rtol, t.atol, t.user_rtol, t.user_atol) == (
        "float32",
        F32.rtol,
        F32.atol,
        False,
        False,
    )
    assert t.low_precision and t.rule() == F32.rule("float32")
    u = V.resolve_tolerance(1e-3, None, "float32")
    assert (u.rtol, u.atol, u.user_rtol, u.user_atol) == (1e-3, F32.atol, True, False)
    assert not u.low_precision  # a user rtol is never widened by a rounding allowance
    assert "user tolerance rtol=0.001" in u.rule()
    w = V.resolve_tolerance(None, 0.5, "float64")
    assert (w.rtol, w.atol, w.user_atol) == (F64.rtol, 0.5, True) and "user tolerance" in w.rule()
    assert not V.resolve_tolerance(None, None, "float64").low_precision
    assert V.resolve_tolerance(0, 0, "float32").rtol == 0.0


def test_the_error_floor_follows_the_input_scale():
    t = V.resolve_tolerance(1e-4, 1e-6, "float64")
    assert t.floor(2.0) == pytest.approx(1e-6 / 1e-4 * 2.0, rel=1e-12)
    assert t.floor(1.0) == pytest.approx(1e-2, rel=1e-12)
    assert V.resolve_tolerance(0.0, 1.0, "float64").floor(5.0) == 0.0  # rtol 0: no floor


def test_exceeds_is_strict_and_ratio_handles_zero_limits():
    assert not V.exceeds(1.0, 1.0)
    assert V.exceeds(math.nextafter(1.0, 2.0), 1.0)
    assert not V.exceeds(math.nextafter(1.0, 0.0), 1.0)
    assert V.ratio(2.0, 4.0) == 0.5
    assert V.ratio(0.0, 0.0) == 0.0 and V.ratio(1e-30, 0.0) == math.inf


def test_the_rounding_allowance_is_measured_and_capped():
    rtol = 1e-5
    assert V.rounding_allowance(rtol, 2e-6) == pytest.approx(1.5 * 2e-6)
    assert V.rounding_allowance(rtol, 1e-3) == pytest.approx(10 * rtol)  # the cap
    below_cap = 10 * rtol / 1.5 * (1 - 1e-9)
    assert V.rounding_allowance(rtol, below_cap) < 10 * rtol
    assert V.rounding_allowance(rtol, 10 * rtol / 1.5 * (1 + 1e-9)) == pytest.approx(10 * rtol)
    assert V.rounding_allowance(rtol, 0.0) == 0.0


# --- the interpolation floor rule ----------------------------------------------------------------
def test_a_pair_is_judged_against_its_floor_never_below_rtol():
    p = V.judge_pair("g", error=0.03, floor=0.01, rtol=1e-5)
    assert (p.floor, p.ratio) == (0.01, pytest.approx(3.0))
    q = V.judge_pair("g", error=3e-5, floor=1e-9, rtol=1e-5)
    assert q.floor == 1e-5 and q.ratio == pytest.approx(3.0)
    assert V.judge_pair("g", 0.0, 0.0, 0.0).ratio == 0.0
    assert V.judge_pair("g", 1.0, 0.0, 0.0).ratio == math.inf


def test_a_pair_decides_when_kappa_floor_is_within_the_resolution():
    edge = V.RESOLUTION / V.KAPPA
    assert V.judge_pair("g", 0.0, edge * (1 - 1e-9), 0.0).decided
    assert not V.judge_pair("g", 0.0, edge * (1 + 1e-9), 0.0).decided


def test_the_pair_limit_encodes_ratio_above_kappa():
    for ratio_wanted in (V.KAPPA * (1 - 1e-9), V.KAPPA * (1 + 1e-9), 0.5, 10.0):
        pair = FloorPair("g", error=ratio_wanted * 0.01, floor=0.01, ratio=ratio_wanted, decided=True)
        err = 0.7  # the engine's own error measure, any value
        limit = V.pair_limit(err, pair, rtol=1e-9)
        assert V.exceeds(err, limit) == (ratio_wanted > V.KAPPA)
        assert err / limit == pytest.approx(ratio_wanted / V.KAPPA)
    zero = FloorPair("g", 0.0, 0.01, 0.0, True)
    assert V.pair_limit(0.2, zero, rtol=0.5) == 0.5 and V.pair_limit(0.7, zero, rtol=0.5) == 0.7


# --- decide() ------------------------------------------------------------------------------------
def _seen(err: float = 1e-6, limit: float | None = None, dtype: str = "float64") -> V.Observed:
    seen = V.Observed()
    seen.dtypes.add(dtype)
    seen.record("shift(dy=1)", err)
    seen.record("shift(dy=1)", err / 2)
    seen.consider(
        err, limit if limit is not None else V.resolve_tolerance(None, None, dtype).rtol, dtype, "g", "x"
    )
    return seen


def _decide(seen: V.Observed, **kw):
    args = dict(
        rtol=None,
        atol=None,
        margin=0,
        seen=seen,
        floors=None,
        floor_kind="spline",
        failure_kind=None,
        failure_message=None,
        failure_error=None,
        function="f",
        group="c4",
    )
    args.update(kw)
    return V.decide(**args)


def test_decide_passes_and_reports_the_worst_error():
    d = _decide(_seen(2e-10))
    assert d.verdict == "passed" and d.max_error == 2e-10 and d.tolerance == F64.rtol
    assert d.dtype == "float64" and d.atol == F64.atol and d.message is None
    assert [(e.element, e.max_error, e.inputs) for e in d.errors] == [("shift(dy=1)", 2e-10, 2)]
    assert d.worst_element == "g"


def test_decide_fails_errs_and_keeps_the_failures_error():
    d = _decide(_seen(1e-10), failure_kind="mismatch", failure_message="boom", failure_error=0.5)
    assert d.verdict == "failed" and d.message == "boom"
    assert d.max_error == 0.5  # the worst error seen was below the limit: the failure's is shown
    e = _decide(_seen(0.3), failure_kind="mismatch", failure_message="boom", failure_error=0.5)
    assert e.max_error == 0.3  # above the limit already: the largest seen stays
    assert _decide(_seen(), failure_kind="exception", failure_message="raised").verdict == "error"
    assert _decide(_seen(), failure_kind="non-finite", failure_message="nan").verdict == "failed"


def test_decide_holds_the_worst_example_to_its_own_limit():
    seen = _seen(3e-5, limit=4e-5, dtype="float32")
    d = _decide(seen)
    assert d.tolerance == 4e-5  # the rounding allowance granted to the worst example
    assert _decide(seen, rtol=1e-3).tolerance == 1e-3  # a user rtol is never replaced
    seen.dtypes.add("float64")
    d = _decide(seen, margin=2)
    assert d.dtype == "float32" and "each example judged by its own dtype" in d.rule
    assert "within 2 of the border" in d.rule
    seen.rounding_bound, seen.non_finite = 4e-5, 3
    d = _decide(seen)
    assert d.extra == {"rounding_allowance": 4e-5, "non_finite_outputs": 3}
    assert "allowed up to 4e-05" in d.rule


def _floors(pairs: int, decided: int, worst_ratio: float = 1.0) -> FloorStats:
    stats = FloorStats()
    for i in range(pairs):
        pair = FloorPair(f"rotate(degrees={i})", 0.01 * worst_ratio, 0.01, worst_ratio, i < decided)
        stats.record(pair, {0: np.zeros(1)}, bad=V.exceeds(pair.ratio, V.KAPPA))
    return stats


@pytest.mark.parametrize(
    "pairs, decided, verdict",
    [
        (30, 3, "passed"),
        (30, 2, "inconclusive"),
        (40, 4, "passed"),
        (40, 3, "inconclusive"),
        (2, 2, "inconclusive"),
    ],
)
def test_a_check_with_too_few_deciding_pairs_is_inconclusive(pairs, decided, verdict):
    d = _decide(_seen(1e-12), floors=_floors(pairs, decided))
    assert d.verdict == verdict
    assert d.extra["interpolation_floor"]["pairs"] == pairs
    if verdict == "inconclusive":
        assert d.message.startswith("INCONCLUSIVE f under c4")
    else:
        assert d.message is None and "worst ratio to the interpolation floor" in d.summary_suffix


def test_an_interpolated_failure_says_its_ratio_and_reports_the_worst_pair():
    # the engine held the interpolated element's own error (0.04) to pair_limit = 0.04·3/4
    d = _decide(
        _seen(0.04, limit=0.03),
        floors=_floors(5, 5, worst_ratio=4.0),
        failure_kind="mismatch",
        failure_message="f(g·x) != g·f(x)",
        failure_error=0.04,
    )
    assert d.verdict == "failed" and "4.0x the interpolation floor" in d.message
    assert d.max_error == pytest.approx(0.04) and d.tolerance == pytest.approx(V.KAPPA * 0.01)
    assert d.worst_element == "rotate(degrees=0)"  # a tie with the exact measure: the pair is named
    assert d.extra["interpolation_floor"]["counterexample"]["ratio"] == 4.0
    assert d.rule.startswith("interpolated elements")


# --- the error measures ------------------------------------------------------------------------------
def test_stacked_errors_are_relative_to_the_larger_side_or_the_floor():
    a = np.array([[[1.0, 2.0, -4.0]], [[0.0, 0.0, 0.0]]])
    b = np.array([[[1.0, 2.5, -4.0]], [[0.0, 0.0, 1e-3]]])
    err, finite = stacked_errors(np, a, b, None, 1, floor=0.1)
    assert err.shape == (2, 1) and finite.all()
    assert err[0, 0] == pytest.approx(0.5 / 4.0) and err[1, 0] == pytest.approx(1e-3 / 0.1)
    err, _ = stacked_errors(np, a, b, None, 1, floor=0.0)
    assert err[1, 0] == pytest.approx(1.0)
    mask = np.array([[[True, False, True]], [[True, True, True]]])
    err, _ = stacked_errors(np, a, b, mask, 1, floor=0.1)
    assert err[0, 0] == 0.0
    same, _ = stacked_errors(np, a, a.copy(), None, 1, floor=0.0)
    assert not same.any()


def test_stacked_errors_per_sample_and_non_finite_flags():
    a = np.zeros((1, 2, 3))
    b = a.copy()
    b[0, 1, 2] = 1.0
    err, _ = stacked_errors(np, a, b, None, 2, floor=0.5)
    assert err[0].tolist() == [0.0, 1.0]
    b[0, 0, 0] = np.nan
    err, finite = stacked_errors(np, a, b, None, 2, floor=0.5)
    assert finite.tolist() == [[False, True]] and err[0, 0] == 0.0
    assert largest_error(np, a[0], b[0] * 0, None, 2, 1.0) == 0.0
    empty, ok = stacked_errors(np, np.zeros((2, 0)), np.zeros((2, 0)), None, 1, 1.0)
    assert empty.shape == (2, 1) and not empty.any() and ok.all()
    ints, _ = stacked_errors(np, np.array([[1, 2]]), np.array([[1, 4]]), None, 1, 0.0)
    assert ints[0, 0] == pytest.approx(0.5)


def test_input_scale_and_rms_measures():
    assert input_scale(np, [np.array([1.0, -3.0]), np.array([2.0])]) == 3.0
    assert input_scale(np, [np.zeros(3)]) == 1.0 and input_scale(np, [np.array([np.inf, 2.0])]) == 1.0
    d = np.array([[3.0, 4.0], [0.0, 0.0]])
    assert rms(np, d, None, True).tolist() == pytest.approx([math.sqrt(12.5), 0.0])
    assert rms(np, d, np.array([[True, False], [True, True]]), True)[0] == pytest.approx(3.0)
    assert relative_rms(np, np.ones(4), np.ones(4))[0] == 0.0
    assert relative_rms(np, np.ones(4), 2 * np.ones(4))[0] == pytest.approx(0.5)
    assert relative_rms(np, np.zeros(4), np.zeros(4))[0] == 0.0


# --- what mutation testing asked for (docs/mutation.md) ----------------------------------------------
def test_dtype_names_across_libraries():
    for given, name in [
        ("float", "float64"),
        ("double", "float64"),
        ("half", "float16"),
        ("torch.float64", "float64"),
        ("torch.half", "float16"),
        ("jnp.float32", "float32"),
        ("torch.int64", "int64"),
        ("uint8", "uint8"),
        (np.dtype("float32"), "float32"),
        ("bfloat16", "bfloat16"),
    ]:
        assert dtype_name(given) == name, given


def test_ratio_observed_and_pairs_keep_their_fields():
    assert V.ratio(1.0, 0.5) == 2.0
    seen = V.Observed()
    assert seen.consider(1.0, 2.0, "float32", "a", "x1") is True
    assert seen.consider(1.0, 2.0, "float64", "b", "x2") is False  # a tie keeps the first
    assert seen.consider(0.5, 2.0, "float64", "c", "x3") is False
    assert (seen.max_error, seen.worst_limit, seen.worst_dtype, seen.worst_element, seen.worst_input) == (
        1.0,
        2.0,
        "float32",
        "a",
        "x1",
    )
    assert seen.consider(3.0, 2.0, "float64", "d", "x4") is True and seen.max_ratio == 1.5
    p = V.judge_pair("rotate(degrees=30)", error=0.03, floor=0.01, rtol=1e-5)
    assert (p.element, p.error) == ("rotate(degrees=30)", 0.03)
    assert V.judge_pair("g", 0.0, V.RESOLUTION / V.KAPPA, 0.0).decided  # exactly at the edge


def test_decide_sorts_and_caps_element_errors_and_respects_the_users_atol():
    seen = _seen(1e-12)
    for i in range(2100):
        seen.record(f"shift(dx={i})", i * 1e-13)
    d = _decide(seen, atol=0.25)
    assert len(d.errors) == 2000
    assert [e.max_error for e in d.errors] == sorted((e.max_error for e in d.errors), reverse=True)
    assert d.errors[0].element == "shift(dx=2099)" and d.atol == 0.25
    single = _decide(_seen(1e-12))
    assert "each example judged" not in single.rule and "border" not in single.rule
    assert "rounding_allowance" not in single.extra and "allowed up to" not in single.rule


def test_decide_without_any_comparison_uses_the_inputs_dtypes():
    seen = V.Observed()
    seen.dtypes.update({"float32", "float64"})
    d = _decide(seen, failure_kind="exception", failure_message="f raised")
    assert (d.verdict, d.dtype, d.tolerance, d.max_error) == ("error", "float32", F32.rtol, 0.0)
    user = _decide(seen, rtol=1e-3, atol=0.25, failure_kind="exception", failure_message="f raised")
    assert (user.tolerance, user.atol) == (1e-3, 0.25)
    assert _decide(V.Observed()).dtype == "float64"


def test_the_failures_error_replaces_a_worst_error_at_the_limit():
    seen = _seen(1e-9)  # exactly at the float64 limit: not above it
    assert _decide(seen, failure_kind="mismatch", failure_message="m", failure_error=0.5).max_error == 0.5
    assert _decide(seen, failure_kind="shape", failure_message="m", failure_error=0.5).max_error == 1e-9
    assert _decide(seen, failure_kind="mismatch", failure_message="m", failure_error=None).max_error == 1e-9


def test_decide_states_the_interpolation_floor_in_full():
    floors = _floors(40, 40)
    floors.record(FloorPair("rotate(degrees=77.5)", 0.002, 0.001, 2.0, True), {0: np.zeros(1)}, bad=False)
    seen = _seen(1e-12)
    d = _decide(seen, floors=floors, floor_kind="fourier", rtol=1e-3)
    info = d.extra["interpolation_floor"]
    assert info["interpolation"] == "fourier" and info["kappa"] == V.KAPPA
    assert info["resolution"] == V.RESOLUTION and info["metric"].startswith("relative RMS")
    assert info["order"] == 3 and info["pairs"] == 41 and info["decided"] == 41
    assert (info["element"], info["error"], info["floor"], info["ratio"]) == (
        "rotate(degrees=77.5)",
        0.002,
        0.001,
        2.0,
    )
    assert info["median_floor"] == pytest.approx(0.01)
    assert info["per_element"][0] == {
        "element": "rotate(degrees=77.5)",
        "error": 0.002,
        "floor": 0.001,
        "ratio": 2.0,
        "inputs": 1,
    }
    assert [row["ratio"] for row in info["per_element"]] == sorted(
        (row["ratio"] for row in info["per_element"]), reverse=True
    )
    assert "counterexample" not in info
    assert "Fourier phase shift" in d.rule and "never below rtol=0.001" in d.rule
    assert d.rule.endswith(V.resolve_tolerance(1e-3, None, "float64").rule())
    # the interpolated pair (ratio 2 of KAPPA 3) is worse than the exact error: it is reported
    assert (d.max_error, d.tolerance, d.worst_element) == (
        0.002,
        pytest.approx(V.KAPPA * 0.001),
        "rotate(degrees=77.5)",
    )
    assert ("rotate(degrees=77.5)", 0.002) in [(e.element, e.max_error) for e in d.errors]
    assert d.errors[0].max_error == 0.01  # sorted by error: the floor's pairs with 0.01 first
    assert any(e.element == "shift(dy=1)" for e in d.errors)  # exact elements stay listed
    assert "worst ratio to the interpolation floor 2.00 (allowed 3)" in d.summary_suffix
    spline = _decide(seen, floors=_floors(40, 40))
    assert "B-spline order 3" in spline.rule and "S3" in spline.rule and "S5" in spline.rule
    assert spline.worst_element == "rotate(degrees=0)"  # ratio 1/3 beats the exact 1e-12/1e-9


def test_an_inconclusive_message_says_why_and_what_would_decide():
    d = _decide(_seen(1e-12), floors=_floors(40, 3))
    assert "on 37 of 40 (input, element) pairs" in d.message
    assert "median floor 0.01" in d.message and "smaller than 0.03" in d.message
    assert "interpolation_order(5)" in d.message


def test_the_masked_scale_and_zero_outputs():
    a = np.array([[[100.0, 1.0]]])
    b = np.array([[[100.0, 1.1]]])
    err, _ = stacked_errors(np, a, b, np.array([[[False, True]]]), 1, floor=0.0)
    assert err[0, 0] == pytest.approx(0.1 / 1.1)  # the scale is taken inside the mask only
    zero, ok = stacked_errors(np, np.zeros((1, 1, 3)), np.zeros((1, 1, 3)), None, 1, floor=0.0)
    assert zero[0, 0] == 0.0 and ok.all()
    _, ok = stacked_errors(np, np.zeros((2, 0)), np.zeros((2, 0)), None, 1, 1.0)
    assert ok.dtype == np.bool_
    assert (
        largest_error(np, np.array([0.0, 5.0]), np.array([0.0, 0.0]), np.array([True, False]), 1, 1.0) == 0.0
    )
    assert largest_error(np, np.array([0.0, 1e-3]), np.array([0.0, 0.0]), None, 1, 0.5) == pytest.approx(2e-3)


def test_rms_measures_per_sample_and_over_a_mask():
    d = np.array([[3.0, 4.0], [0.0, 0.0]])
    assert rms(np, d, None, False).shape == (1,)
    assert rms(np, d, None, False)[0] == pytest.approx(math.sqrt(25 / 4))
    a = np.array([[0.1, 0.0], [0.2, 0.2]])
    b = np.array([[0.2, 0.0], [0.2, 0.2]])
    per = relative_rms(np, a, b, per_sample=True)
    assert per.tolist() == pytest.approx([0.5, 0.0])  # small magnitudes are not divided by 1
    mask = np.array([[True, False], [True, True]])
    big = np.array([[0.1, 50.0], [0.2, 0.2]])
    assert relative_rms(np, big, b, mask, per_sample=True)[0] == pytest.approx(0.5)
    assert relative_rms(np, b, big, mask, per_sample=True)[0] == pytest.approx(0.5)
    assert input_scale(np, [np.array([0.5])]) == 0.5
    assert input_scale(np, [np.zeros(0), np.array([2.0])]) == 2.0
    assert input_scale(np, [np.array(["text"]), np.array([2.0])]) == 2.0  # unreadable: skipped
    assert input_scale(np, [np.array([0.25, -0.5]), np.array([np.nan]), np.array([0.75])]) == 0.75
    assert input_scale(np, [[1.0, 9.0], np.array([0.5])]) == 0.5  # not an array: ignored


def test_the_floor_rule_names_the_probe_of_each_kind_and_order():
    from equicheck.actions import interpolation_order

    fourier = V.floor_rule("fourier", 1e-5)
    assert "(Fourier phase shift)" in fourier and "P = Fourier half-pixel round trip," in fourier
    assert "(floor = [rms(f(P x) - f(x))" in fourier
    assert "[rms(f(P x) - f(x)) + rms(P f(x) - f(x))] / 2" in fourier and "rtol=1e-05" in fourier
    assert "rms(f(S3 x) - f(S5 x)) + rms(f(S5 x) - S3 f(x))" in V.floor_rule("spline", 1e-5)
    with interpolation_order(1):
        assert "rms(f(S1 x) - f(S3 x))" in V.floor_rule("spline", 1e-5)
    with interpolation_order(4):
        assert "rms(f(S4 x) - f(S5 x))" in V.floor_rule("spline", 1e-5)


def test_the_rule_is_built_in_order():
    seen = _seen(3e-5, limit=4e-5, dtype="float32")
    seen.dtypes.add("float64")
    seen.rounding_bound = 4e-5
    d = _decide(seen, margin=1)
    assert d.rule.startswith(
        F32.rule("float32") + "; each example judged by its own dtype (seen: float32, float64)"
    )
    assert "; entries within 1 of the border" in d.rule and d.rule.endswith("at most 10·rtol) explains them")
    floors = _floors(40, 40)
    i = _decide(seen, floors=floors)
    assert i.rule == V.floor_rule("spline", F32.rtol) + "; " + d.rule.replace(
        "; entries within 1 of the border (and of zero-filled regions) excluded", ""
    )


def test_an_interpolated_failure_keeps_its_message_and_the_failing_pair():
    d = _decide(
        _seen(0.04, limit=0.03),
        floors=_floors(5, 5, worst_ratio=4.0),
        failure_kind="mismatch",
        failure_message="f(g·x) != g·f(x) for g = rotate(degrees=4)",
        failure_error=0.04,
    )
    assert d.message.startswith("f(g·x) != g·f(x) for g = rotate(degrees=4) — RMS error 0.04 is 4.0x")
    assert d.extra["interpolation_floor"]["counterexample"] == {
        "element": "rotate(degrees=4)",  # the last pair above KAPPA: the one the shrunk failure met
        "error": 0.04,
        "floor": 0.01,
        "ratio": 4.0,
    }
    assert [e.inputs for e in d.errors] == [1] * 5 + [2]
    twice = _floors(5, 5)
    twice.record(FloorPair("rotate(degrees=1)", 0.001, 0.01, 0.1, True), {0: np.zeros(1)}, bad=False)
    counted = _decide(_seen(1e-12), floors=twice).errors
    assert next(e.inputs for e in counted if e.element == "rotate(degrees=1)") == 2
    # an error of another kind keeps its message, and no pair is named as the counterexample
    e = _decide(
        _seen(1e-12),
        floors=_floors(5, 5, worst_ratio=4.0),
        failure_kind="exception",
        failure_message="f raised ValueError",
    )
    assert e.verdict == "error" and e.message == "f raised ValueError"
    assert "counterexample" not in e.extra["interpolation_floor"]


def test_the_worse_of_exact_and_interpolated_is_reported():
    exact = _seen(2e-9)  # twice the float64 limit; the pairs reach a third of KAPPA
    d = _decide(exact, floors=_floors(40, 40, worst_ratio=1.0), failure_kind="mismatch", failure_message="m")
    assert (d.max_error, d.tolerance, d.worst_element) == (2e-9, F64.rtol, "g")
    zero = _decide(_seen(0.0, limit=0.0), rtol=0.0, floors=_floors(40, 40))
    assert zero.tolerance == 0.0 and zero.max_error == 0.0  # a zero limit: the exact pair stays
    many = FloorStats()
    for i in range(250):
        many.record(FloorPair(f"rotate(degrees={i})", 1e-3, 0.01, 0.1, True), {0: np.zeros(1)}, bad=False)
    assert len(_decide(_seen(1e-12), floors=many).extra["interpolation_floor"]["per_element"]) == 200


def test_scales_inside_the_mask_and_sums_in_float64():
    a = np.array([[[100.0, 2.0]]])
    b = np.array([[[100.0, 1.1]]])
    err, _ = stacked_errors(np, a, b, np.array([[[False, True]]]), 1, floor=0.0)
    assert err[0, 0] == pytest.approx(0.9 / 2.0)
    d = np.array([1e4, 1.0], dtype=np.float32)
    assert rms(np, d, None, False)[0] == pytest.approx(math.sqrt((1e8 + 1) / 2), rel=1e-12)


def test_input_rms_is_the_largest_rms_of_the_floating_inputs():
    from equicheck.engine.compare import input_rms

    case = {0: np.array([3.0, 4.0]), 1: np.array([1.0, 1.0]), "n": np.array([100, 100]), "e": np.zeros(0)}
    assert input_rms(np, case) == pytest.approx(math.sqrt(12.5))
    assert input_rms(np, {0: np.array([1.0, 1.0]), 1: np.array([3.0, 4.0])}) == pytest.approx(math.sqrt(12.5))
    assert input_rms(np, {0: np.array([1 + 1j, 1 - 1j])}) == pytest.approx(math.sqrt(2.0))
    assert input_rms(np, {0: np.array([0.5])}) == 0.5
    assert input_rms(np, {0: np.array([np.inf, 1.0])}) == 0.0
    assert input_rms(np, {"k": np.array([1, 2])}) == 0.0


def test_complex_outputs_are_compared_by_modulus():
    a = np.array([[[1 + 1j, 2 + 0j]]])
    b = np.array([[[1 + 2j, 2 + 0j]]])
    err, finite = stacked_errors(np, a, b, None, 1, floor=0.0)
    assert finite.all() and err[0, 0] == pytest.approx(1 / abs(1 + 2j))
    same, _ = stacked_errors(np, a, a.copy(), None, 1, floor=0.0)
    assert same[0, 0] == 0.0
    mixed, _ = stacked_errors(np, np.array([[1.0, 2.0]]), np.array([[1 + 0.5j, 2.0]]), None, 1, floor=0.0)
    assert mixed[0, 0] == pytest.approx(0.25)
    assert rms(np, np.array([3 + 4j]), None, False)[0] == pytest.approx(5.0)


def test_the_documented_thresholds():
    """Module-level constants are out of mutmut's reach: their documented values are pinned
    here (docs/tolerances.md, docs/continuous.md), their effects in tests/test_thresholds.py."""
    from equicheck.engine import evaluate, floor, plan

    assert (V.KAPPA, V.RESOLUTION, V.DECIDED_SHARE) == (3.0, 0.5, 0.1)
    assert (V.ROUNDING_SAFETY, V.ROUNDING_CAP) == (1.5, 10.0)
    assert V.LOW_PRECISION == {"float32", "float16", "bfloat16", "complex64", "tf32"}
    assert V.ERROR_KINDS == {"exception", "timeout"}
    assert (floor.ABS_FLOOR, floor.CURVE_POINTS) == (1e-4, 24)
    assert (evaluate.TARGET_FROM, plan.EXHAUSTIVE_LIMIT) == (0.01, 64)
    table = {k: (t.rtol, t.atol) for k, t in DEFAULT_TOLERANCES.items()}
    assert table == {
        "float64": (1e-9, 1e-12),
        "float32": (5e-5, 5e-6),
        "float16": (1e-2, 1e-3),
        "bfloat16": (5e-2, 1e-2),
        "complex128": (1e-9, 1e-12),
        "complex64": (5e-5, 5e-6),
        "tf32": (5e-3, 5e-4),
    }


def test_non_finite_values_are_flagged_without_warnings():
    import warnings

    a = np.array([[[np.inf, 1.0, np.nan]]])
    b = np.array([[[np.inf, 1.0, 0.0]]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # inf - inf and NaN comparisons must not warn
        err, finite = stacked_errors(np, a, b, None, 1, floor=0.0)
        big, ok = stacked_errors(
            np, np.array([[[3e38]]], np.float32), np.array([[[-3e38]]], np.float32), None, 1, 0.0
        )
    assert not finite.any() and err[0, 0] == 0.0
    assert not ok.any()  # the float32 difference overflows: flagged, not warned about


def test_group_membership_refuses_what_the_group_lacks():
    from equicheck import groups as G
    from equicheck.groups.continuous import mirror, rotate, scale, subshift, upsample

    assert not G.from_name("p4m").contains(rotate(degrees=30))
    assert not G.from_name("translation").contains(upsample(factor=2))
    so2 = G.from_name("so2")
    assert so2.contains(rotate(degrees=30)) and so2.contains(G.rot90(k=1))
    assert not so2.contains(upsample(factor=2))
    assert not so2.contains(mirror()) and G.from_name("o2").contains(mirror())
    assert not so2.contains(scale(factor=2)) and G.from_name("scaling").contains(scale(factor=1.1))
    assert not G.from_name("scaling").contains(rotate(degrees=30))  # a group without rotations
    assert not so2.contains(subshift(dy=0.5)) and not so2.contains(subshift(dx=0.5))
    assert G.from_name("se2").contains(subshift(dy=0.5))
    assert not G.from_name("cn(n=8)").contains(rotate(degrees=30)) and G.from_name("cn(n=8)").contains(
        rotate(degrees=45)
    )
    assert G.from_name("upsampling").contains(upsample(factor=3)) and not G.from_name("upsampling").contains(
        G.rot90()
    )
