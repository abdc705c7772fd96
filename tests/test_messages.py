"""Errors that say the fix (issue 15): what a new user trips over, tested by what the message says.

Each test names the mistake, makes it, and checks that the message (or result) says what was
wrong and what to write instead: replay lines that paste, the shape equicheck passed when f
raised at once, classifiers checked for equivariance, channels-last shapes, nested lists,
classes and factories instead of models, misspelt names, a short tolerance header, relative
differences against the output's scale, and errors that live at the border.
"""

from __future__ import annotations

import checkfuncs as cf
import numpy as np
import pytest

import equicheck
from equicheck import EquicheckError, EquivarianceError, ShapeError, SpecError
from equicheck.assertions import format_failure

torch = pytest.importorskip("torch")

QUICK = {"max_examples": 10, "seed": 1, "replay_dir": None}


def conv(c_in: int = 3, c_out: int = 4, **kwargs):
    torch.manual_seed(0)
    return torch.nn.Conv2d(c_in, c_out, 3, padding=1, **kwargs).eval()


# --- 1. the printed replay line works when pasted ------------------------------------------------
def test_the_replay_line_of_a_model_passes_the_instance_not_its_class(tmp_path):
    model = conv()
    result = equicheck.check_equivariance(
        model,
        "c4",
        input_shape=(1, 3, None, None),
        batched=True,
        max_examples=10,
        seed=1,
        replay_dir=tmp_path,
    )
    line = result.counterexample.replay
    assert ", Conv2d)" not in line
    assert line.startswith("equicheck.replay(") and ", model)" in line
    assert "the Conv2d instance you checked" in line
    again = eval(line.split("  #")[0], {"equicheck": equicheck, "model": model})  # as pasted
    assert not again.passed and again.counterexample.element == result.counterexample.element


def test_the_replay_line_of_a_function_names_it_and_of_a_lambda_says_what_to_pass(tmp_path):
    named = equicheck.check_equivariance(cf.circular_conv, "c4", seed=1, replay_dir=tmp_path)
    assert named.counterexample.replay.endswith(", circular_conv)")
    anonymous = equicheck.check_equivariance(lambda x: cf.circular_conv(x), "c4", seed=1, replay_dir=tmp_path)
    line = anonymous.counterexample.replay
    assert ", <lambda>)" not in line and ", f)  # f: the function" in line


# --- 2. f raises on its first call: which shape was passed, and how to pass another --------------
@pytest.mark.parametrize(
    "model",
    [conv(), torch.nn.Conv2d(1, 1, 9, padding=4, padding_mode="reflect").eval()],
    ids=["conv2d", "reflect-padding"],
)
def test_a_model_that_raises_at_once_is_told_the_shape_passed_and_how_to_set_input_shape(model):
    result = equicheck.check_equivariance(model, "c4", **QUICK)
    assert result.verdict == "error" and result.failure_kind == "exception"
    message = result.message
    assert "equicheck passed float32[" in message and "no batch or channel axes" in message
    channels = model.in_channels
    assert f"input_shape=(2, {channels}, None, None), batched=True" in message
    assert f"--input-shape 2,{channels},None,None --batched" in message


def test_a_function_that_raised_after_it_had_returned_gets_no_layout_hint():
    def picky(x):
        if x.shape[-1] > 5:
            raise ValueError("grids wider than 5 are not supported")
        return x

    result = equicheck.check_equivariance(
        picky, "c4", inputs=[np.zeros((4, 4)), np.zeros((6, 6))], replay_dir=None
    )
    assert result.failure_kind == "exception" and "wider than 5" in result.message
    assert "input_shape=" not in result.message


# --- 3. classifiers checked for equivariance; invariance failures -------------------------------
def classifier():
    """Class scores of (N, 3, H, W) images: (N, 10), no grid (and invariant: pooled first)."""
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 10)
    ).eval()


@pytest.mark.parametrize(
    "f, kwargs",
    [
        (lambda x: np.array([x.sum(), x.max()]), {}),
        (classifier(), {"input_shape": (2, 3, None, None), "batched": True}),
    ],
    ids=["scores", "torch-classifier"],
)
def test_a_classifier_checked_for_equivariance_is_a_usage_error_that_suggests_invariance(f, kwargs):
    result = equicheck.check_equivariance(f, "c4", **kwargs, **QUICK)
    assert result.verdict == "error" and not result.passed  # never 'not equivariant'
    assert "assert_invariant" in result.message and "out_action='trivial'" in result.message
    assert "Crop or pad the input" not in result.message  # the output has no grid to crop
    with pytest.raises(ShapeError) as raised:
        equicheck.assert_equivariant(f, "c4", **kwargs, **QUICK)
    text = str(raised.value)
    assert "cannot be checked as declared under c4" in text
    assert "is not equivariant" not in text and "Largest error seen: 0 for None" not in text
    assert "Not equal to tolerance" not in text  # nothing was compared
    assert not isinstance(raised.value, AssertionError)


def test_the_fix_it_suggests_holds():
    equicheck.assert_invariant(classifier(), "c4", input_shape=(2, 3, None, None), batched=True, **QUICK)


def test_an_invariance_failure_says_not_invariant():
    with pytest.raises(EquivarianceError) as raised:
        equicheck.assert_invariant(lambda x: x[..., :1, 0], "c4", **QUICK)
    text = str(raised.value)
    assert "is not invariant under c4" in text and "is not equivariant" not in text


# --- 4. shapes, inputs, classes, factories and names the user got wrong ---------------------------
def test_channels_last_input_shape_suggests_the_spatial_axes():
    with pytest.raises(ShapeError) as raised:
        equicheck.check_equivariance(lambda x: x, "c4", input_shape=(None, None, 3), **QUICK)
    text = str(raised.value)
    assert "input_shape = (None, None, 3)" in text  # the shape the user wrote, not a filled one
    assert 'in_action="spatial(axes=(0, 1))"' in text
    result = equicheck.check_equivariance(
        lambda x: x, "c4", input_shape=(None, None, 3), in_action="spatial(axes=(0, 1))", **QUICK
    )
    assert result.passed  # the suggestion works


def test_a_list_of_lists_as_inputs_is_refused_saying_np_array():
    with pytest.raises(ShapeError, match=r"list of lists.*inputs=np\.array"):
        equicheck.check_equivariance(lambda x: x, "c4", inputs=[[1.0, 2.0], [3.0, 4.0]], **QUICK)


class Doubler:
    def __init__(self, scale=2.0):
        self.scale = scale

    def __call__(self, x):
        return self.scale * x


@pytest.mark.parametrize("cls", [torch.nn.Conv2d, Doubler], ids=["Conv2d", "user-class"])
def test_a_class_instead_of_an_instance_names_the_mistake(cls):
    with pytest.raises(EquicheckError) as raised:
        equicheck.check_equivariance(cls, "c4", **QUICK)
    assert f"Pass an instance: {cls.__name__}(...)" in str(raised.value)


def test_a_factory_instead_of_its_model_says_call_it():
    def make_model():
        return Doubler(3.0)

    with pytest.raises(EquicheckError, match=r"factory.*make_model\(\)"):
        equicheck.check_equivariance(make_model, "c4", **QUICK)

    def make_model_of(scale=3.0):  # takes an argument: f(x) returns a model, not an array
        return Doubler(scale)

    result = equicheck.check_equivariance(make_model_of, "c4", **QUICK)
    assert result.failure_kind == "shape" and "is f a factory" in result.message


@pytest.mark.parametrize(
    "kind, name, suggestion",
    [
        ("group", "C4", "did you mean 'c4'?"),
        ("group", "P4M", "did you mean 'p4m'?"),
        ("group", "rotation", "'c4' (quarter turns, exact) or 'so2'"),
        ("group", "translate", "did you mean 'translation'"),
        ("action", "spacial", "did you mean 'spatial'?"),
        ("action", "Trivial", "did you mean 'trivial'?"),
    ],
)
def test_misspelt_group_and_action_names_get_a_did_you_mean(kind, name, suggestion):
    kwargs = {"in_action": name} if kind == "action" else {}
    group = name if kind == "group" else "c4"
    with pytest.raises(SpecError) as raised:
        equicheck.check_equivariance(lambda x: x, group, **kwargs, **QUICK)
    assert suggestion in str(raised.value)


def test_rotation_is_not_suggested_to_mean_translation():
    with pytest.raises(SpecError) as raised:
        equicheck.groups.from_name("rotation")
    assert "did you mean 'translation'" not in str(raised.value)


# --- 5. a short message: the tolerance once, differences against the output's scale --------------
def test_the_failure_message_has_a_tolerance_header_not_the_rule():
    result = equicheck.check_equivariance(cf.circular_conv, "c4", **QUICK)
    text = format_failure(result)
    assert "Not equal to tolerance rtol=" in text
    assert result.tolerance_rule not in text and "per sample" not in text
    assert len(text) < 1200


def test_the_relative_difference_is_against_the_outputs_scale():
    def near_zero_bug(x):
        y = cf.circular_conv(x)
        y[..., 0, 0] = 1e-6  # an entry near zero on one side only
        return y

    result = equicheck.check_equivariance(near_zero_bug, "c4", **QUICK)
    ce = result.counterexample
    assert 0 < ce.max_rel_diff <= 2.0  # |a - b| <= 2 max|output|: never 422 or inf
    assert "relative to the output's scale" in format_failure(result)


# --- 6. an error that lives at the border says so --------------------------------------------------
def test_a_zero_padded_conv_under_cyclic_shifts_is_told_the_error_lives_at_the_border():
    model = conv(1, 1, bias=False)
    with pytest.raises(EquivarianceError) as raised:
        equicheck.assert_equivariant(
            model, "translation", input_shape=(1, 1, None, None), batched=True, **QUICK
        )
    text = str(raised.value)
    result = raised.value.result
    assert "the error lives at the border" in text and "padding_mode='circular'" in text
    assert "translation(cyclic=False)" in text
    assert result.extra["border"]["k"] >= 1
    assert result.counterexample.arrays["error_map"].max() > 0


def test_a_border_error_of_non_wrapping_shifts_suggests_the_margin_that_passes():
    result = equicheck.check_equivariance(cf.zero_padded_conv, "translation(cyclic=False)", **QUICK)
    k = result.extra["border"]["k"]
    assert f"margin={k}" in result.message
    assert equicheck.check_equivariance(
        cf.zero_padded_conv, "translation(cyclic=False)", margin=k, **QUICK
    ).passed


def test_an_error_inside_the_grid_is_not_called_a_border_error():
    result = equicheck.check_equivariance(cf.circular_conv, "c4", **QUICK)
    assert not result.passed and "border" not in result.message and "border" not in result.extra
