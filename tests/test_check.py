"""The checker passes correct functions and fails planted bugs, with its default budget."""

from __future__ import annotations

import checkfuncs as cf
import numpy as np
import pytest

import equicheck
from equicheck import actions as A


def check(f, group, **kw):
    kw.setdefault("replay_dir", None)
    return equicheck.check_equivariance(f, group, **kw)


# --- correct functions pass ---------------------------------------------------------------
@pytest.mark.parametrize(
    "f, group, kw",
    [
        (cf.circular_conv, "translation", {}),
        (cf.symmetric_conv, "d4", {}),
        (cf.symmetric_conv, "p4m", {}),
        (cf.lr_symmetric_conv, "flips(axis=x)", {}),
        (cf.zero_padded_conv, "translation(cyclic=false)", {"margin": 1}),
        (cf.lifting_p4, "p4", {"out_action": A.regular(axis=0)}),
        (cf.gradient, "p4m", {"out_action": A.vector(axis=0)}),
        (cf.stride2, "translation(step=2)", {"out_action": A.spatial(stride=2)}),
        (cf.global_mean, "p4m", {"out_action": A.trivial()}),
        (cf.global_max_of_conv, "p4m", {"out_action": "trivial"}),
        (cf.relative_perturbation(1e-6), "translation", {"dtypes": ["float32"]}),
        (cf.deep_float32_net, "d4", {"dtypes": ["float32"], "max_examples": 30}),
    ],
    ids=lambda v: getattr(v, "__name__", None) or (v if isinstance(v, str) else None),
)
def test_correct_functions_pass(f, group, kw):
    result = check(f, group, **kw)
    assert result.passed, result.message
    assert result.max_error <= result.tolerance
    assert result.examples >= 10


# --- broken ones fail, with a minimal counterexample -------------------------------------
@pytest.mark.parametrize(
    "f, group, kw",
    [
        (cf.zero_padded_conv, "translation", {}),
        (cf.circular_conv, "c4", {}),
        (cf.circular_conv, "flips", {}),
        (cf.lr_symmetric_conv, "flips(axis=y)", {}),
        (cf.lr_symmetric_conv, "d4", {}),
        (cf.lifting_p4, "p4", {"out_action": A.spatial()}),
        (cf.lifting_p4, "p4", {"out_action": A.regular(axis=0, orientation="cw")}),
        (cf.gradient, "d4", {"out_action": A.vector(axis=0, components="xy")}),
        (cf.stride2, "translation", {"out_action": A.spatial()}),
        (cf.position_bias, "translation", {"dtypes": ["float32"]}),
        (cf.position_bias, "translation", {"dtypes": ["float64"]}),
        (cf.relative_perturbation(1e-4), "translation", {"dtypes": ["float32"]}),
        (cf.bug_on_odd_sizes, "translation", {}),
        (cf.bug_on_sparse_inputs, "translation", {}),
        (cf.bug_on_large_magnitudes, "translation", {}),
    ],
    ids=lambda v: getattr(v, "__name__", None) or (v if isinstance(v, str) else None),
)
def test_broken_functions_fail(f, group, kw):
    result = check(f, group, **kw)
    assert not result.passed
    assert result.verdict == "failed" and result.failure_kind == "mismatch"
    assert result.max_error > result.tolerance
    ce = result.counterexample
    assert ce is not None and ce.error > result.tolerance
    assert equicheck.groups.element_from_repr(ce.element) != equicheck.groups.identity()


def test_zero_padding_shrinks_to_a_one_pixel_shift_on_a_small_image():
    result = check(cf.zero_padded_conv, "translation")
    ce = result.counterexample
    g = equicheck.groups.element_from_repr(ce.element)
    assert abs(g.dy) + abs(g.dx) == 1
    assert ce.input_shapes == [[4, 4]]  # the smallest grid drawn
    assert ce.input.startswith("noise")
    # the error map shows the violation sits at the border
    emap = ce.arrays["error_map"]
    assert emap.shape == (4, 4)
    assert result.max_error >= ce.error


def test_error_map_shows_border_effects_on_a_larger_image():
    x = np.random.default_rng(0).standard_normal((16, 16))
    result = check(cf.zero_padded_conv, "translation", inputs=x, elements=["shift(dy=0, dx=1)"])
    emap = result.counterexample.arrays["error_map"]
    interior = emap[2:-2, 2:-2]
    assert interior.max() < 1e-12 < emap[:, 0].max()


def test_odd_size_bug_counterexample_is_odd():
    result = check(cf.bug_on_odd_sizes, "translation")
    assert result.counterexample.input_shapes[0][-1] % 2 == 1


def test_sparse_bug_counterexample_is_sparse():
    result = check(cf.bug_on_sparse_inputs, "translation")
    assert result.counterexample.input.startswith("sparse")


def test_large_magnitude_counterexample_is_extreme():
    result = check(cf.bug_on_large_magnitudes, "translation")
    assert "extreme" in result.counterexample.input or "mixed" in result.counterexample.input


# --- protection against f -------------------------------------------------------------------
@pytest.mark.parametrize(
    "f, kind, says",
    [
        (cf.mutates_input, "mutates-input", "in place"),
        (cf.nondeterministic, "nondeterministic", ""),
        (cf.nan_in_corner, "non-finite", "NaN"),
    ],
    ids=["mutating-input", "nondeterminism", "non-finite-outputs"],
)
def test_misbehaving_f_is_reported_distinctly(f, kind, says):
    result = check(f, "translation")
    assert result.failure_kind == kind
    assert says in result.message


def test_batched_nondeterminism_is_told_from_batch_mixing():
    # f(x alone) differs from f(x in the batch): a second call of x alone says why
    result = check(cf.nondeterministic, "translation", batched=True, input_shape=(3, None, None))
    assert result.failure_kind == "nondeterministic", result.message


def test_batch_mixing_is_reported():
    result = check(cf.batch_norm_like, "translation", batched=True, input_shape=(3, None, None))
    assert result.failure_kind == "batch-mixing"
    ok = check(cf.batched_conv, "translation", batched=True, input_shape=(3, None, None))
    assert ok.passed
    # all transformed inputs went through f in one call per input (plus the first checks)
    assert ok.evaluations <= ok.examples + 3


def test_exception_in_f_names_element_and_shape():
    result = check(cf.raises_on_odd, "translation")
    assert result.verdict == "error" and result.failure_kind == "exception"
    assert "ValueError" in result.message and "input shapes" in result.message
    with pytest.raises(equicheck.FunctionError, match="odd sizes are not supported"):
        equicheck.assert_equivariant(cf.raises_on_odd, "translation", replay_dir=None)


def test_shape_change_is_reported():
    def transpose_bug(x):
        return cf.circular_conv(x)[..., :-1, :]

    result = check(transpose_bug, "c4")
    assert result.failure_kind == "shape"


# --- inputs the user gives ------------------------------------------------------------------
def test_fixed_array_and_list_of_arrays():
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal((6, 6)), rng.standard_normal((9, 9))]
    r1 = check(cf.symmetric_conv, "d4", inputs=xs[0])
    assert r1.passed and r1.examples == 1 and r1.exhaustive and r1.elements_checked == 8
    r2 = check(cf.circular_conv, "d4", inputs=xs)
    assert not r2.passed and r2.counterexample.input.startswith("given input")


def test_strategy_as_inputs():
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    strat = arrays(np.float64, (5, 5), elements=st.floats(-1, 1))
    assert check(cf.symmetric_conv, "d4", inputs=strat, max_examples=20).passed


def test_several_inputs_and_outputs_need_every_action():
    def f(x, w):
        return cf.correlate2d(x, w), w.sum()

    x = np.random.default_rng(0).standard_normal((6, 6))
    with pytest.raises(equicheck.EquicheckError, match="one action per input"):
        check(f, "d4", inputs=(x, cf.SYMMETRIC_3x3))
    with pytest.raises(equicheck.EquicheckError, match="one action per output"):
        check(f, "d4", inputs=(x, cf.SYMMETRIC_3x3), in_action=("spatial", "trivial"), out_action="spatial")
    ok = check(
        f,
        "d4",
        inputs=(x, cf.SYMMETRIC_3x3),
        in_action=("spatial", "trivial"),
        out_action=("spatial", "trivial"),
    )
    assert ok.passed
    # the kernel is moved too: equivariance of a function of (image, kernel) for any kernel
    both = check(
        lambda x, w: cf.correlate2d(x, w),
        "d4",
        input_shape=((None, None), (3, 3)),
        in_action=(A.spatial(), A.spatial()),
        out_action="spatial",
        max_examples=20,
    )
    assert both.passed


def test_dict_inputs_and_outputs():
    def f(image, kernel):
        return {"out": cf.correlate2d(image, kernel), "energy": float((image**2).sum())}

    x = np.random.default_rng(0).standard_normal((6, 6))
    r = check(
        f,
        "c4",
        inputs={"image": x, "kernel": cf.SYMMETRIC_3x3},
        in_action={"image": "spatial", "kernel": "trivial"},
        out_action={"out": "spatial", "energy": "trivial"},
    )
    assert r.passed, r.message


def test_inside_a_users_given_test_checks_the_given_values():
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    seen = []

    @settings(max_examples=10, database=None)
    @given(arrays(np.float64, (6, 6), elements=st.floats(-1, 1)))
    def inner(x):
        result = check(cf.symmetric_conv, "d4", inputs=x)
        seen.append(result.examples)
        assert result.passed

    inner()
    assert seen and all(n == 1 for n in seen)

    @settings(max_examples=5, database=None)
    @given(arrays(np.float64, (6, 6), elements=st.floats(-1, 1)))
    def without_inputs(x):
        check(cf.symmetric_conv, "d4")

    with pytest.raises(equicheck.EquicheckError, match="inputs="):
        without_inputs()


# --- results, replay and assertions ----------------------------------------------------------
def test_result_round_trips_through_dict():
    import json

    result = check(cf.zero_padded_conv, "translation")
    data = json.loads(json.dumps(result.to_dict()))
    back = equicheck.CheckResult.from_dict(data)
    assert back.verdict == result.verdict and back.max_error == result.max_error
    assert back.counterexample.element == result.counterexample.element
    np.testing.assert_allclose(
        back.counterexample.arrays["error_map"], result.counterexample.arrays["error_map"]
    )


def test_replay_reloads_and_rechecks(tmp_path):
    result = equicheck.check_equivariance(cf.circular_conv, "c4", replay_dir=tmp_path, seed=1)
    ce = result.counterexample
    assert ce.path and ce.replay.startswith("equicheck.replay(")
    again = equicheck.replay(ce.path, cf.circular_conv)
    assert not again.passed and again.counterexample.element == ce.element
    fixed = equicheck.replay(ce.path, cf.symmetric_conv)
    assert fixed.passed
    x, meta = equicheck.load_counterexample(ce.path)
    assert list(x.shape) == ce.input_shapes[0] and meta["group"] == "c4"


def test_assertion_message_reads_like_numpy():
    with pytest.raises(equicheck.EquivarianceError) as info:
        equicheck.assert_equivariant(cf.circular_conv, "c4", replay_dir=None)
    text = str(info.value)
    for part in (
        "Not equal to tolerance rtol=",
        "Mismatched entries:",
        "Greatest absolute difference:",
        "Greatest relative difference:",
        "Group element: rot90(k=",
        "Counterexample input:",
    ):
        assert part in text
    assert isinstance(info.value, AssertionError)
    assert info.value.result is not None and not info.value.result.passed


def test_assert_invariant():
    equicheck.assert_invariant(cf.global_mean, "p4m")
    with pytest.raises(equicheck.EquivarianceError):
        equicheck.assert_invariant(lambda x: x[..., 0, 0], "translation", replay_dir=None)


def test_seed_makes_the_search_repeatable():
    a = check(cf.zero_padded_conv, "translation", seed=5)
    b = check(cf.zero_padded_conv, "translation", seed=5)
    assert a.counterexample.element == b.counterexample.element
    assert a.max_error == b.max_error


def test_user_settings_take_precedence():
    from hypothesis import settings

    r = check(cf.symmetric_conv, "d4", settings=settings(max_examples=7, deadline=None, database=None))
    assert r.examples == 7
    r = check(cf.symmetric_conv, "d4", max_examples=3)
    assert r.examples == 3


def test_default_budget_keeps_a_small_check_fast():
    r = check(cf.symmetric_conv, "d4")
    assert r.passed and r.examples >= 50


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"margin": -1}, "margin"),
        ({"rtol": "big"}, "rtol"),
        ({"dtypes": ["float99"]}, "dtype"),
        ({"families": ["gaussian"]}, "families"),
        ({"elements": ["rot90(k=1)"]}, "not in translation"),
        ({"max_examples": 0}, "max_examples"),
        ({"sizes": (10, 5)}, "low"),
        ({"backend": "tpu"}, "unknown backend"),
    ],
)
def test_bad_arguments_are_named(kw, match):
    with pytest.raises(equicheck.EquicheckError, match=match):
        check(cf.circular_conv, "translation", **kw)


def test_quarter_turns_on_rectangles_are_refused():
    with pytest.raises(equicheck.ShapeError, match="square"):
        check(cf.circular_conv, "c4", inputs=np.zeros((4, 5)))


def test_rounding_allowance_never_excuses_a_low_precision_bug():
    def float32_only_bias(x):
        y = cf.symmetric_conv(x)
        if x.dtype == np.float32:
            h, w = y.shape[-2:]
            y = y + np.float32(1e-3) * np.abs(y).max() * np.cos(np.arange(w, dtype=np.float32))
        return y

    result = check(float32_only_bias, "translation", dtypes=["float32"])
    assert not result.passed
    assert result.tolerance <= 10 * 5e-5


def test_rounding_allowance_is_reported_when_used():
    result = check(cf.deep_float32_net, "d4", dtypes=["float32"], max_examples=30)
    assert result.passed
    if result.max_error > 5e-5:
        assert result.extra["rounding_allowance"] >= result.max_error
        assert "rounding" in result.tolerance_rule


def test_active_profile_takes_precedence_over_equicheck_defaults():
    from hypothesis import settings

    previous = settings.get_current_profile_name()
    settings.register_profile("equicheck-test-five", max_examples=5, deadline=None, database=None)
    try:
        settings.load_profile("equicheck-test-five")
        assert check(cf.symmetric_conv, "d4").examples == 5
        # explicit keywords still win over the profile
        assert check(cf.symmetric_conv, "d4", max_examples=3).examples == 3
        # the ci profile (what CI=true loads) is derandomized: the same search twice
        settings.load_profile("ci")
        a = check(cf.zero_padded_conv, "translation")
        b = check(cf.zero_padded_conv, "translation")
        assert a.counterexample.element == b.counterexample.element and a.max_error == b.max_error
    finally:
        settings.load_profile(previous)


def test_mutation_is_caught_in_batched_mode_too():
    def batched_mutator(x):
        x[:, 0, 0] = 0
        return cf.circular_conv(x)

    result = check(batched_mutator, "translation", batched=True, input_shape=(2, None, None))
    assert result.failure_kind == "mutates-input"


def test_exception_names_the_element_that_triggered_it():
    def raises_on_turns(x):
        if not np.array_equal(x, np.rot90(np.rot90(x))) and x[0, -1] == x0[-1, -1]:
            raise RuntimeError("boom")
        return x

    x0 = np.arange(16.0).reshape(4, 4)
    result = check(raises_on_turns, "c4", inputs=x0)
    assert result.verdict == "error"
    assert result.counterexample.element == "rot90(k=1)"


def test_batch_and_channel_sizes_can_be_drawn():
    from hypothesis import strategies as st

    seen = set()

    def conv_per_channel(x):
        seen.add(x.shape[:2])
        return cf.circular_conv(x)

    result = check(
        conv_per_channel,
        "translation",
        batched=True,
        input_shape=(st.integers(1, 3), st.sampled_from([1, 3, 4]), None, None),
        max_examples=40,
    )
    assert result.passed
    assert len({b for b, _ in seen}) > 1 and len({c for _, c in seen}) > 1
