"""equicheck.locate: planted bugs named first (must fail), correct networks clean (must pass),
the model left as found, every kind of model, bad inputs refused before any work."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the planted networks are PyTorch modules")
nn = torch.nn

import equicheck  # noqa: E402
from equicheck import nn as enn  # noqa: E402
from equicheck.layerwise import LocateResult  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _benchmark():
    spec = importlib.util.spec_from_file_location("locate_benchmark", ROOT / "benchmarks" / "locate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["locate_benchmark"] = module
    spec.loader.exec_module(module)
    return module


B = _benchmark()
SEEDS = (0, 1, 2)


# --- planted bugs: named first, every seed; the same networks without the bug: clean ------------
@pytest.mark.parametrize("case", list(B.PLANTED))
@pytest.mark.parametrize("seed", SEEDS)
def test_planted_bug_is_named_first(case, seed):
    planted = B.PLANTED[case][3]
    result = B.localise(case, seed, bug=True)
    assert result.first_break == planted, result
    assert not result.passed
    assert result.advice


@pytest.mark.parametrize("case", list(B.PLANTED))
@pytest.mark.parametrize("seed", SEEDS)
def test_correct_network_has_no_breaking_layer(case, seed):
    result = B.localise(case, seed, bug=False)
    assert result.first_break is None, result
    assert result.passed


def test_advice_fits_the_bug():
    assert "circular" in B.localise("zero padding in the 3rd of 6 convolutions", 0, True).advice
    assert "stride-2" in B.localise("stride 2 without blur", 0, True).advice
    assert "positional embedding" in B.localise("learned positional embedding", 0, True).advice
    assert "mixes the entries of the batch" in B.localise("a layer that mixes the batch", 0, True).advice
    assert "orientation axis" in B.localise("group convolution rolled the wrong way", 0, True).advice
    # under turns alone a zero padding is no suspect: the kernel is
    assert "isotropic kernel" in B.localise("anisotropic kernel under rotations", 0, True).advice


def test_blurred_stride_is_lost_then_restored_by_pooling():
    result = B.localise("stride 2 without blur", 0, bug=False)
    down = result.row("down")
    assert down.status == "lost"
    assert "pool restores equivariance" in down.note
    assert result.row("pool").action == "trivial"


def test_rows_hold_cumulative_and_local_errors_and_the_error_map():
    result = B.localise("zero padding in the 3rd of 6 convolutions", 0, bug=True)
    bad = result.row("convs.2")
    assert bad.local > 1e-2 and bad.cumulative > 1e-2
    assert result.row("convs.1").cumulative < 1e-5
    after = result.row("convs.3")  # its input arrived broken: its own (local) error is small
    assert after.cumulative > 1e-2 and after.local < 1e-5
    assert after.local_how.startswith("measured")
    assert result.error_map is not None and result.error_map.shape == (16, 16)
    # the zero padding's error lives on the border and on the seam the cyclic shift moved inside
    assert 0.2 < (result.error_map < 1e-5).mean() < 0.9


# --- PyTorch specifics: reused modules, in-place layers, containers, state ---------------------
def test_a_module_called_several_times_gives_one_row_per_call():
    torch.manual_seed(0)
    result = equicheck.locate(B.SixConvs(False), "translation", input_shape=(1, 3, 8, 8))
    names = [r.name for r in result.layers]
    assert names[:4] == ["convs.0", "act", "convs.1", "act#2"]
    assert "act#6" in names and names[-1] == "(model)"


def test_recorded_outputs_are_copies_before_an_inplace_layer_overwrites_them():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, padding_mode="circular"), nn.ReLU(inplace=True))
    from equicheck.layerwise.record import record
    from equicheck.layerwise.values import TorchValues

    calls = record(model, torch.randn(1, 1, 6, 6), TorchValues(), "torch")
    conv, relu = calls[0], calls[1]
    assert conv.name == "0" and relu.name == "1"
    assert (conv.output < 0).any() and not (relu.output < 0).any()
    assert relu.sources == [0]


class Shifted(nn.Module):
    """A residual block whose addition (its own code) mirrors the skip path."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1, padding_mode="circular")

    def forward(self, x):
        return self.conv(x) + x.flip(-1)


def test_a_residual_addition_is_attributed_to_the_enclosing_module():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 2, 1), Shifted(), nn.ReLU())
    result = equicheck.locate(model, "translation", input_shape=(1, 2, 8, 8))
    assert result.row("1.conv").status == "ok"
    assert result.first_break == "1"
    assert "its own forward code" in result.advice


def _norm_model():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1, padding_mode="circular"),
        nn.BatchNorm2d(4),
        nn.Dropout(0.5),
        nn.ReLU(),
    )


def test_batch_norm_and_dropout_in_training_mode_are_no_break_and_the_model_is_restored():
    model = _norm_model().train()
    model[1].eval()
    model[1].train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    modes = [m.training for m in model.modules()]
    torch.manual_seed(123)
    state = torch.get_rng_state()
    result = equicheck.locate(model, "translation", input_shape=(2, 2, 8, 8))
    assert result.first_break is None, result
    assert any("batch norm in training mode" in n for n in result.notes)
    assert any("dropout in training mode" in n for n in result.notes)
    assert not result.batched
    assert [m.training for m in model.modules()] == modes
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert torch.equal(torch.get_rng_state(), state)


def test_the_model_is_restored_even_when_it_raises():
    model = _norm_model().train()

    class Boom(nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    model.append(Boom())
    with pytest.raises(equicheck.FunctionError, match="boom"):
        equicheck.locate(model, "translation", input_shape=(1, 2, 8, 8))
    assert model.training and model[2].training


# --- group convolutions: orientation axis, declared actions, equicheck.nn ---------------------
class ClockwiseLifting(B.Lifting):
    def forward(self, x):
        w = torch.stack([torch.rot90(self.weight, -j, (2, 3)) for j in range(4)], dim=1)
        return nn.functional.conv2d(x, w.reshape(-1, *w.shape[2:]), padding=1)


def _p4(lifting):
    torch.manual_seed(0)
    model = B.P4Net(False)
    model.lift = lifting
    return model.eval()


def test_an_orientation_axis_that_fits_only_rolled_the_other_way_breaks_there():
    result = equicheck.locate(_p4(ClockwiseLifting(3, 4)), "c4", input_shape=(1, 3, 12, 12))
    assert result.first_break == "lift"
    row = result.row("lift")
    assert row.action == "regular(axis=1, orientation=cw)" and row.source == "inferred"
    assert "rolled the other way" in result.advice


def test_a_lifting_layer_is_an_explanation_not_a_break():
    result = equicheck.locate(_p4(B.Lifting(3, 4)), "c4", input_shape=(1, 3, 12, 12))
    assert result.passed
    lift = result.row("lift")
    assert (lift.action, lift.source) == ("regular(axis=1)", "inferred")
    assert result.row("g1").source == "carried"
    assert result.row("pool").action == "spatial"


def test_declared_actions_are_used_and_held_to():
    model = _p4(B.Lifting(3, 4))
    ok = equicheck.locate(model, "c4", input_shape=(1, 3, 12, 12), actions={"lift": "regular(axis=1)"})
    assert ok.passed and ok.row("lift").source == "declared"
    bad = equicheck.locate(model, "c4", input_shape=(1, 3, 12, 12), actions={"lift": "spatial"})
    assert bad.first_break == "lift" and bad.row("lift").source == "declared"


def test_equicheck_nn_sequential_with_group_convolutions():
    net = enn.Sequential(
        enn.LiftingConv2d(1, 2, 3, padding=1, padding_mode="circular", seed=0),
        enn.ReLU(),
        enn.GroupConv2d(2, 2, 3, padding=1, padding_mode="circular", seed=1),
        enn.OrientationPool(),
        enn.GlobalAvgPool2d(),
    )
    result = equicheck.locate(net, "p4", input_shape=(1, 1, 8, 8))
    assert result.passed, result
    assert result.row("0").source == "type" and result.row("0").action == "regular(axis=1)"
    assert result.row("4").action == "trivial"
    zero = enn.Sequential(
        enn.Conv2d(1, 2, 3, padding=1, padding_mode="circular", seed=0),
        enn.ReLU(),
        enn.Conv2d(2, 2, 3, padding=1, seed=1),
    )
    broken = equicheck.locate(zero, "translation", input_shape=(1, 1, 8, 8))
    assert broken.first_break == "2"


def test_a_plain_list_of_callables():
    layers = [np.tanh, lambda x: np.roll(x, 1, axis=-1), lambda x: x[..., ::-1].copy(), np.abs]
    result = equicheck.locate(layers, "translation", input_shape=(1, 1, 6, 6))
    assert [r.name for r in result.layers] == ["0", "1", "2", "3"]
    assert result.first_break == "2"
    fine = equicheck.locate(layers[:2], "translation", input_shape=(1, 1, 6, 6))
    assert fine.passed


def test_interpolated_groups_report_floor_and_lie_derivative():
    result = B.localise("anisotropic kernel under rotations", 0, bug=True)
    row = result.row("convs.2")
    assert not result.exact
    assert row.floor is not None and row.local > 10 * row.floor
    assert row.lie["rotation"] > 3 * result.row("convs.1").lie["rotation"]


# --- the result as data ---------------------------------------------------------------------
def test_result_round_trips_through_json():
    result = B.localise("zero padding in the 3rd of 6 convolutions", 0, bug=True)
    data = json.loads(json.dumps(result.to_dict()))
    again = LocateResult.from_dict(data)
    assert again.first_break == result.first_break
    assert [r.to_dict() for r in again.layers] == [r.to_dict() for r in result.layers]
    assert np.allclose(again.error_map, result.error_map)
    assert "convs.2" in str(result) and "first breaking layer" in repr(result)


def test_public_names():
    assert equicheck.locate is equicheck.layerwise.locate
    assert equicheck.LocateResult is LocateResult


# --- bad input: named errors before any work ----------------------------------------------------
class Counting(nn.Module):
    calls = 0

    def forward(self, x):
        Counting.calls += 1
        return x


SQUARE = {"group": "c4", "input_shape": (1, 1, 4, 4)}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"group": "translaton", "input_shape": (1, 1, 4, 4)}, equicheck.SpecError, "translation"),
        ({"group": "c4"}, equicheck.ShapeError, "input_shape"),
        (
            {**SQUARE, "inputs": np.zeros((1, 1, 4, 4))},
            equicheck.ShapeError,
            "not both",
        ),
        ({"group": "c4", "input_shape": (1, 1, 4, 6)}, equicheck.ShapeError, "square"),
        ({**SQUARE, "actions": ["spatial"]}, TypeError, "mapping"),
        (
            {**SQUARE, "actions": {"nope": "spatial"}},
            equicheck.KeywordError,
            "nope",
        ),
        (
            {**SQUARE, "actions": {"": "spatil"}},
            equicheck.SpecError,
            "spatial",
        ),
        (
            {**SQUARE, "elements": ["shift(dy=1)"]},
            equicheck.EquicheckError,
            "not an element",
        ),
        (
            {**SQUARE, "max_elements": 0},
            equicheck.OptionError,
            "max_elements",
        ),
        ({**SQUARE, "rtol": -1.0}, equicheck.OptionError, "rtol"),
    ],
)
def test_bad_arguments_are_refused_before_the_model_runs(kwargs, error, match):
    Counting.calls = 0
    with pytest.raises(error, match=match):
        equicheck.locate(nn.Sequential(Counting()), **kwargs)
    assert Counting.calls == 0


@pytest.mark.parametrize("model", [np.tanh, "model", [], [np.tanh, 3]])
def test_models_that_are_not_layers_are_refused(model):
    with pytest.raises(TypeError, match="list"):
        equicheck.locate(model, "c4", input_shape=(1, 1, 4, 4))


def test_inputs_may_be_the_models_own_tensor_and_the_elements_named():
    torch.manual_seed(0)
    model = B.SixConvs(True).eval()
    x = torch.randn(2, 3, 8, 8)
    result = equicheck.locate(model, "translation", inputs=x, elements=["shift(dy=1, dx=0)"])
    assert result.elements == ["shift(dy=1, dx=0)"]
    assert result.first_break == "convs.2"
    assert result.forward_calls == 2  # x, then every g·x in one batched call
