"""equicheck.locate on networks its planted cases do not cover: a torchvision-style ResNet-18,
upsampling layers, in-place residual code, U-Net-like functional code, attention over pixels,
several outputs, half precision, and bad inputs refused before the model runs. Each case has a
version that must pass and one that must name its layer."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the networks are PyTorch modules")
nn = torch.nn
F = torch.nn.functional

import equicheck  # noqa: E402


def conv(cin, cout, padding_mode="circular"):
    return nn.Conv2d(cin, cout, 3, padding=1, padding_mode=padding_mode)


# --- a torchvision-style ResNet-18 --------------------------------------------------------------
class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.relu(out)


class ResNet18(nn.Module):
    def __init__(self, width=4, classes=3):
        super().__init__()
        w = width
        self.conv1 = nn.Conv2d(3, w, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(BasicBlock(w, w), BasicBlock(w, w))
        self.layer2 = nn.Sequential(BasicBlock(w, 2 * w, 2), BasicBlock(2 * w, 2 * w))
        self.layer3 = nn.Sequential(BasicBlock(2 * w, 4 * w, 2), BasicBlock(4 * w, 4 * w))
        self.layer4 = nn.Sequential(BasicBlock(4 * w, 8 * w, 2), BasicBlock(8 * w, 8 * w))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8 * w, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _symmetric_resnet():
    """Every kernel averaged over D4 and batch statistics drawn: invariant on odd grids (each
    stride-2 layer then samples a grid symmetric about its centre: 33 -> 17 -> 9 -> 5 -> 3 -> 2)."""
    torch.manual_seed(0)
    model = ResNet18()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                turns = [torch.rot90(m.weight, k, (2, 3)) for k in range(4)]
                m.weight.copy_(sum(turns + [torch.flip(t, (3,)) for t in turns]) / 8)
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 2.0)
                m.weight.normal_()
                m.bias.normal_()
    return model.eval()


@pytest.mark.parametrize("group", ["c4", "d4", "flips"])
def test_an_invariant_resnet18_has_no_breaking_layer(group):
    result = equicheck.locate(_symmetric_resnet(), group, input_shape=(1, 3, 33, 33))
    assert result.passed, result
    assert result.row("fc").action == "trivial"
    assert result.row("layer2.0.downsample.0").status == "ok"


@pytest.mark.parametrize("group", ["c4", "flips"])
def test_a_resnet18_with_one_asymmetric_kernel_deep_inside_names_it(group):
    model = _symmetric_resnet()
    with torch.no_grad():
        model.layer2[1].conv2.weight.add_(0.3 * torch.randn_like(model.layer2[1].conv2.weight))
    result = equicheck.locate(model, group, input_shape=(1, 3, 33, 33))
    assert result.first_break == "layer2.1.conv2", result
    assert result.row("layer2.1").status == "contains"


def test_a_resnet18_on_an_even_grid_breaks_at_its_first_stride():
    # 32 -> 16: the stride-2 stem samples even positions, which a turn maps to odd ones
    result = equicheck.locate(_symmetric_resnet(), "c4", input_shape=(1, 3, 32, 32))
    assert result.first_break == "conv1"
    assert "stride-2" in result.advice and "2th" not in result.advice


# --- in-place code between layers --------------------------------------------------------------
class AddsInPlace(nn.Module):
    """conv, then a fixed array added by the block's own code, then a ReLU."""

    def __init__(self, in_place):
        super().__init__()
        self.conv = conv(2, 2)
        self.relu = nn.ReLU()
        self.pos = nn.Parameter(torch.randn(1, 2, 8, 8))
        self.in_place = in_place

    def forward(self, x):
        out = self.conv(x)
        if self.in_place:
            out += self.pos
        else:
            out = out + self.pos
        return self.relu(out)


@pytest.mark.parametrize("in_place", [False, True])
def test_an_in_place_addition_is_the_blocks_code_not_the_next_layer(in_place):
    torch.manual_seed(0)
    model = nn.Sequential(AddsInPlace(in_place), nn.Conv2d(2, 2, 1)).eval()
    result = equicheck.locate(model, "translation", input_shape=(1, 2, 8, 8))
    assert result.first_break == "0", result
    assert result.row("0.relu").status == "ok"


# --- upsampling: shifts multiplied by the factor -----------------------------------------------
UPSAMPLERS = {
    "nearest": lambda: nn.Upsample(scale_factor=2),
    "transposed": lambda: nn.ConvTranspose2d(4, 4, 2, stride=2),
    "pixel shuffle": lambda: nn.Sequential(nn.Conv2d(4, 16, 1), nn.PixelShuffle(2)),
}


@pytest.mark.parametrize("kind", list(UPSAMPLERS))
def test_upsampling_layers_are_equivariant_with_shifts_times_the_factor(kind):
    torch.manual_seed(0)
    model = nn.Sequential(conv(2, 4), UPSAMPLERS[kind](), conv(4, 4)).eval()
    result = equicheck.locate(model, "translation", input_shape=(1, 2, 8, 8))
    assert result.passed, result
    assert "shifts_times_2" in result.row("1").action
    broken = nn.Sequential(conv(2, 4), UPSAMPLERS[kind](), conv(4, 4, "zeros")).eval()
    assert equicheck.locate(broken, "translation", input_shape=(1, 2, 8, 8)).first_break == "2"


def test_bilinear_upsampling_clamps_the_border_and_breaks_cyclic_shifts():
    torch.manual_seed(0)
    model = nn.Sequential(conv(2, 4), nn.Upsample(scale_factor=2, mode="bilinear"), conv(4, 4)).eval()
    assert equicheck.locate(model, "translation", input_shape=(1, 2, 8, 8)).first_break == "1"
    assert equicheck.locate(model, "flips", input_shape=(1, 2, 8, 8)).first_break == "0"  # the kernel


# --- functional code, concatenation, reuse -------------------------------------------------------
class UNet(nn.Module):
    def __init__(self, bug=False):
        super().__init__()
        self.enc1, self.enc2 = conv(2, 4), conv(4, 8)
        self.dec = conv(12, 4, "zeros" if bug else "circular")
        self.skip = nn.Identity()
        self.out = nn.Conv2d(4, 1, 1)

    def forward(self, x):
        a = F.relu(self.enc1(x))
        b = F.gelu(self.enc2(F.max_pool2d(a, 2)))
        up = F.interpolate(b, scale_factor=2, mode="nearest")
        return self.out(torch.sigmoid(self.dec(torch.cat([self.skip(a), up], 1))))


def test_a_unet_with_functional_calls_and_a_skip_concatenation():
    torch.manual_seed(0)
    group = "translation(step=2)"  # max pooling by 2: shifts by multiples of 2
    assert equicheck.locate(UNet().eval(), group, input_shape=(1, 2, 8, 8)).passed
    assert equicheck.locate(UNet(True).eval(), group, input_shape=(1, 2, 8, 8)).first_break == "dec"
    odd = equicheck.locate(UNet().eval(), "translation", input_shape=(1, 2, 8, 8))
    assert odd.first_break == "(model)"  # the functional max pooling in its forward
    assert "functional call" in odd.advice


class SelfAttention(nn.Module):
    def __init__(self, positional=False):
        super().__init__()
        self.attn = nn.MultiheadAttention(4, 2, batch_first=True)
        self.pos = nn.Parameter(torch.randn(1, 64, 4)) if positional else None

    def forward(self, x):
        n, c, h, w = x.shape
        t = x.flatten(2).transpose(1, 2)
        if self.pos is not None:
            t = t + self.pos
        out, _ = self.attn(t, t, t)
        return out.transpose(1, 2).reshape(n, c, h, w)


@pytest.mark.parametrize("group", ["translation", "d4"])
def test_attention_over_pixels_permutes_with_them_unless_positions_are_embedded(group):
    torch.manual_seed(0)
    assert equicheck.locate(SelfAttention().eval(), group, input_shape=(1, 4, 8, 8)).passed
    embedded = equicheck.locate(SelfAttention(True).eval(), group, input_shape=(1, 4, 8, 8))
    assert embedded.first_break == "(model)"


def test_layer_norms_over_channels_and_over_the_grid_are_no_break():
    class OverChannels(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm = nn.LayerNorm(4)

        def forward(self, x):
            return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)

    over_grid = nn.LayerNorm([8, 8], elementwise_affine=False)
    for model in (OverChannels(), over_grid):
        for group in ("c4", "translation"):
            assert equicheck.locate(model, group, input_shape=(1, 4, 8, 8)).passed
    fixed = nn.LayerNorm([8, 8])
    with torch.no_grad():
        fixed.weight.normal_()  # a learned per-position scale: fixed to the grid
    assert equicheck.locate(fixed, "translation", input_shape=(1, 4, 8, 8)).first_break == "(model)"


class PerPixel(nn.Module):
    """conv, then a layer on the pixels reshaped into rows (N·H·W, C), reshaped back."""

    def __init__(self, mixes_rows):
        super().__init__()
        self.conv = conv(2, 4)
        self.rows = nn.Linear(4, 4)
        self.table = nn.Parameter(torch.randn(128, 4)) if mixes_rows else None

    def forward(self, x):
        y = self.conv(x)
        n, c, h, w = y.shape
        t = self.rows(y.permute(0, 2, 3, 1).reshape(-1, c))
        if self.table is not None:
            t = t + self.table  # a table fixed to the row (pixel) positions
        return t.reshape(n, h, w, c).permute(0, 3, 1, 2)


@pytest.mark.parametrize("mixes_rows", [False, True])
def test_a_layer_on_reshaped_pixels_is_unjudged_not_vacuously_ok(mixes_rows):
    torch.manual_seed(0)
    result = equicheck.locate(PerPixel(mixes_rows).eval(), "translation", input_shape=(2, 2, 8, 8))
    assert result.row("rows").status == "unjudged"  # its input (N·H·W, C) has no grid action
    assert result.row("rows").action == "trivial"
    assert result.first_break == ("(model)" if mixes_rows else None)


class AddsTable(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = nn.Parameter(torch.randn(8, 8, 8))  # per position and channel

    def forward(self, x):
        return x + self.table


@pytest.mark.parametrize("group", ["translation", "c4"])
def test_a_channels_last_model_is_read_on_its_own_grid_axes(group):
    torch.manual_seed(0)
    mlp = [nn.Linear(4, 8), nn.GELU(), nn.LayerNorm(8), nn.Linear(8, 4)]
    nhwc = {"input_shape": (1, 8, 8, 4), "in_action": "spatial(axes=(1, 2))"}
    result = equicheck.locate(nn.Sequential(*mlp).eval(), group, **nhwc)
    assert result.passed, result
    assert result.row("0").action == "spatial(axes=[1, 2])"
    broken = equicheck.locate(nn.Sequential(*mlp[:2], AddsTable(), *mlp[2:]).eval(), group, **nhwc)
    assert broken.first_break == "2"


class WithAux(nn.Module):
    """A block that returns (features, an auxiliary value), as attention returns its weights."""

    def __init__(self, positional):
        super().__init__()
        self.conv = conv(2, 2)
        self.pos = nn.Parameter(torch.randn(1, 2, 8, 8)) if positional else None

    def forward(self, x):
        y = self.conv(x)
        if self.pos is not None:
            y = y + self.pos
        return y, y.mean()


class UsesAux(nn.Module):
    def __init__(self, positional):
        super().__init__()
        self.block = WithAux(positional)
        self.head = conv(2, 2)

    def forward(self, x):
        features, _ = self.block(x)
        return self.head(features)


@pytest.mark.parametrize("positional", [False, True])
def test_a_layer_returning_features_and_more_is_judged_on_its_features(positional):
    torch.manual_seed(0)
    result = equicheck.locate(UsesAux(positional).eval(), "translation", input_shape=(1, 2, 8, 8))
    assert "the first is compared" in result.row("block").note
    assert result.first_break == ("block" if positional else None)
    assert result.row("head").status == "ok"


class TwoOutputs(nn.Module):
    def __init__(self, as_dict):
        super().__init__()
        self.good, self.bad = conv(2, 2), conv(2, 2, "zeros")
        self.as_dict = as_dict

    def forward(self, x):
        a, b = self.good(x), self.bad(x)
        return {"a": a, "b": b} if self.as_dict else (a, b)


@pytest.mark.parametrize("as_dict", [False, True])
def test_a_model_with_several_outputs_names_the_layer_inside(as_dict):
    torch.manual_seed(0)
    result = equicheck.locate(TwoOutputs(as_dict).eval(), "translation", input_shape=(1, 2, 8, 8))
    assert result.first_break == "bad"
    assert result.row("good").status == "ok"
    # a tuple is judged on its first array (the good one); a dict is not compared
    assert result.row("(model)").status == ("unjudged" if as_dict else "ok")


# --- dtypes ------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float64])
def test_the_models_dtype_sets_the_input_and_the_tolerance(dtype):
    torch.manual_seed(0)
    good = nn.Sequential(conv(2, 4), nn.ReLU(), conv(4, 4)).to(dtype).eval()
    result = equicheck.locate(good, "translation", input_shape=(1, 2, 8, 8))
    assert result.passed and result.dtype == str(dtype).replace("torch.", "")
    bad = nn.Sequential(conv(2, 4), nn.ReLU(), conv(4, 4, "zeros")).to(dtype).eval()
    assert equicheck.locate(bad, "translation", input_shape=(1, 2, 8, 8)).first_break == "2"


def test_numpy_inputs_take_the_models_float_dtype():
    torch.manual_seed(0)
    model = nn.Sequential(conv(2, 2)).double().eval()
    x = np.random.default_rng(0).standard_normal((1, 2, 8, 8)).astype(np.float32)
    result = equicheck.locate(model, "translation", inputs=x)
    assert result.passed and result.dtype == "float64"


class ScalesItsInputInPlace(nn.Module):
    def __init__(self, padding_mode):
        super().__init__()
        self.conv = conv(2, 2, padding_mode)

    def forward(self, x):
        x.mul_(2)
        return self.conv(x)


def test_a_model_that_changes_its_input_in_place_is_judged_on_the_input_it_was_given():
    torch.manual_seed(0)
    x = torch.randn(1, 2, 8, 8)
    given = x.clone()
    result = equicheck.locate(ScalesItsInputInPlace("circular").eval(), "translation", inputs=x)
    assert result.passed, result
    assert torch.equal(x, given)  # the caller's tensor untouched
    broken = ScalesItsInputInPlace("zeros").eval()
    assert equicheck.locate(broken, "translation", input_shape=(1, 2, 8, 8)).first_break == "conv"


# --- the model as found, even when it raises on the moved inputs -------------------------------
def test_the_model_is_restored_when_it_raises_on_the_second_pass():
    class FailsLater(nn.Module):
        def __init__(self):
            super().__init__()
            self.calls = 0
            self.conv = conv(2, 2)
            self.norm = nn.BatchNorm2d(2)
            self.drop = nn.Dropout(0.3)

        def forward(self, x):
            self.calls += 1
            if self.calls == 2:
                raise RuntimeError("second call")
            return self.drop(self.norm(self.conv(x)))

    torch.manual_seed(0)
    model = FailsLater().train()
    model.conv.weight.requires_grad_(False)
    seen = []
    model.conv.register_forward_hook(lambda *args: seen.append(1))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    rng = torch.get_rng_state()
    with pytest.raises(Exception, match="second call"):
        equicheck.locate(model, "translation", input_shape=(2, 2, 8, 8))
    assert all(m.training for m in model.modules())
    assert not model.conv.weight.requires_grad and model.conv.bias.requires_grad
    assert len(model.conv._forward_hooks) == 1 and not model.conv._forward_pre_hooks
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in (model, model.norm, model.drop))
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    assert torch.equal(torch.get_rng_state(), rng)
    assert torch.is_grad_enabled()


# --- bad inputs: named errors before the model runs ----------------------------------------------
CALLS = []


def counted(x):
    CALLS.append(1)
    return x


@pytest.mark.parametrize(
    ("model", "kwargs", "error", "match"),
    [
        ([counted, counted], {"actions": {"5": "spatial"}}, equicheck.KeywordError, "'5'"),
        ([counted], {"input_shape": (1, 1, 4.5, 4)}, equicheck.OptionError, "4.5"),
        ([counted], {"input_shape": 4}, equicheck.OptionError, "input_shape"),
        ([counted], {"input_shape": (1, 1, None, 4)}, equicheck.ShapeError, "every size"),
        ([counted], {"input_shape": (4, 4)}, equicheck.ShapeError, r"\(1, C, H, W\)"),
        ([counted], {"input_shape": None, "inputs": [[1.0, 2.0], [3.0]]}, equicheck.ShapeError, "numeric"),
        (nn.Conv2d, {}, TypeError, "instance"),
        ([counted], {"actions": {"0": "regular(axis=1)"}}, equicheck.EquicheckError, "for 0.*orientations"),
    ],
)
def test_bad_inputs_are_refused_before_the_model_runs(model, kwargs, error, match):
    CALLS.clear()
    arguments = {"input_shape": (1, 1, 4, 4), **kwargs}
    with pytest.raises(error, match=match):
        equicheck.locate(model, "translation", **arguments)
    assert not CALLS


def test_input_shape_may_be_text():
    result = equicheck.locate([counted], "translation", input_shape="1,1,4,4")
    assert result.passed and result.layers[0].shape == [1, 1, 4, 4]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit is deprecated, still met
def test_torchscript_modules_are_refused_with_what_to_pass():
    model = nn.Sequential(conv(2, 2))
    for compiled in (torch.jit.script(model), torch.jit.trace(model, torch.randn(1, 2, 8, 8))):
        with pytest.raises(TypeError, match="original torch.nn.Module"):
            equicheck.locate(compiled, "translation", input_shape=(1, 2, 8, 8))


# --- equicheck.nn group convolutions around an upsampling step ----------------------------------
def _upsample(x):
    return x.repeat(2, axis=-1).repeat(2, axis=-2)


def _reverse_orientations(x):
    n, c, h, w = x.shape
    y = x.reshape(n, c // 4, 4, h, w)[:, :, (-np.arange(4)) % 4]
    return np.ascontiguousarray(y.reshape(n, c, h, w))


@pytest.mark.parametrize("group", ["p4", "c4"])
def test_p4_layers_on_an_upsampled_grid_and_an_orientation_axis_reversed(group):
    from equicheck import nn as enn

    def layers(*middle):
        lift = enn.LiftingConv2d(1, 2, 3, padding=1, padding_mode="circular", seed=0)
        gconv = enn.GroupConv2d(2, 2, 3, padding=1, padding_mode="circular", seed=1)
        return [lift, enn.ReLU(), *middle, gconv, enn.OrientationPool(), enn.GlobalAvgPool2d()]

    result = equicheck.locate(layers(_upsample), group, input_shape=(1, 1, 8, 8))
    assert result.passed, result
    assert result.row("3").action == "via(regular(axis=1), hom=shifts_times_2)"
    assert result.row("3").source == "type"
    reversed_ = equicheck.locate(layers(_upsample, _reverse_orientations), group, input_shape=(1, 1, 8, 8))
    assert reversed_.first_break == "3"
    assert reversed_.row("3").action == "via(regular(axis=1, orientation=cw), hom=shifts_times_2)"


# --- a classifier head: flatten without pooling ---------------------------------------------------
def test_a_head_that_flattens_the_grid_breaks_there_and_pooling_first_is_invariant():
    torch.manual_seed(0)
    body = nn.Conv2d(2, 4, 3, padding=1)
    with torch.no_grad():
        body.weight.copy_(sum(torch.rot90(body.weight, k, (2, 3)) for k in range(4)) / 4)
    flat = nn.Sequential(body, nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 3)).eval()
    result = equicheck.locate(flat, "c4", input_shape=(1, 2, 8, 8))
    assert result.first_break == "2" and "flattened" in result.advice
    assert result.row("3").status == "unjudged"  # its input has no action: not vacuously ok
    pooled = nn.Sequential(body, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)).eval()
    assert equicheck.locate(pooled, "c4", input_shape=(1, 2, 8, 8)).passed
