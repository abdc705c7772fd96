"""PyTorch models through the adapter: conversions, modes, and checks that must pass or fail."""

from __future__ import annotations

import warnings
from collections import namedtuple
from typing import Any

import numpy as np
import pytest

import equicheck
from equicheck import actions
from equicheck.adapters import adapt, torch_function, torch_model
from equicheck.adapters.torch import TorchAdapted

torch = pytest.importorskip("torch")
nn = torch.nn

NUMPY = equicheck.get_backend("numpy")


def conv(kernel: np.ndarray, padding_mode: str = "circular") -> Any:
    """A 1->1 channel 3x3 convolution with the given kernel, in eval mode."""
    m = nn.Conv2d(1, 1, 3, padding=1, padding_mode=padding_mode, bias=False)
    with torch.no_grad():
        m.weight.copy_(torch.as_tensor(kernel, dtype=torch.float32).reshape(1, 1, 3, 3))
    return m.eval()


SYMMETRIC = np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16
RANDOM = np.random.default_rng(0).standard_normal((3, 3))


class Probe(nn.Module):
    """Records the mode and grad state it was called in."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))
        self.drop = nn.Dropout(0.5)
        self.seen: list[tuple[bool, bool]] = []

    def forward(self, x: Any) -> Any:
        self.seen.append((self.training, torch.is_grad_enabled()))
        return x * self.scale


# --- conversions -------------------------------------------------------------------------------
def test_arrays_in_arrays_out_with_the_models_dtype() -> None:
    f = adapt(conv(SYMMETRIC), NUMPY)
    assert isinstance(f, TorchAdapted) and f.device == "cpu"
    x = np.random.default_rng(1).standard_normal((2, 1, 6, 6))  # float64 in
    y = f(x)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32, "float32 model: float32 tensors"
    assert y.shape == (2, 1, 6, 6)
    assert "Conv2d" in repr(f) and "numpy arrays" in repr(f)


def test_functions_keep_the_input_dtype_unless_told() -> None:
    f = adapt(torch_function(lambda t: t * 2), "numpy")
    assert f(np.ones(3)).dtype == np.float64
    assert f(np.arange(3)).dtype == np.int64
    g = adapt(torch_function(lambda t: t * 2, dtype=torch.float16), "numpy")
    assert g(np.ones(3)).dtype == np.float16
    assert g(np.arange(3)).dtype == np.int64, "only floating inputs are cast"


def test_views_and_read_only_inputs() -> None:
    f = adapt(torch_function(lambda t: t + 0), NUMPY)
    x = np.arange(16.0).reshape(4, 4)
    flipped = x[::-1, ::2]  # negative and non-unit strides
    np.testing.assert_array_equal(f(flipped), flipped)
    ro = x.copy()
    ro.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(f(ro), x)


def test_structured_outputs() -> None:
    Out = namedtuple("Out", "logits features")

    @torch_function
    def many(x: Any, *, shift: float = 0.0) -> Any:
        return (
            x + shift,
            {"sum": x.sum(), "bf16": x.to(torch.bfloat16), "n": 3},
            Out(x * 2, [x, None]),
        )

    a, d, o = adapt(many, NUMPY)(np.ones((2, 2), dtype=np.float32), shift=1.0)
    np.testing.assert_array_equal(a, 2.0)
    assert isinstance(d["sum"], np.ndarray) and d["sum"].shape == () and float(d["sum"]) == 4.0
    assert d["bf16"].dtype == np.float32, "bfloat16 comes back widened (NumPy has no bfloat16)"
    assert d["n"] == 3
    assert isinstance(o, Out) and isinstance(o.logits, np.ndarray) and o.features[1] is None


def test_inputs_share_memory_so_mutation_is_visible() -> None:
    f = adapt(torch_function(lambda t: t.mul_(2)), NUMPY)
    x = np.ones(3)
    f(x)
    np.testing.assert_array_equal(x, 2.0)


def test_adapt_is_idempotent_and_methods_are_models() -> None:
    m = conv(SYMMETRIC)
    f = adapt(m, NUMPY)
    assert adapt(f, NUMPY) is f
    g = adapt(m.forward, NUMPY)
    assert isinstance(g, TorchAdapted) and g.module is m
    assert adapt(torch.nn.functional.relu, NUMPY)(np.array([-1.0, 2.0])).tolist() == [0.0, 2.0]


# --- modes -------------------------------------------------------------------------------------
def test_eval_mode_and_no_grad_during_the_call_mode_restored_after() -> None:
    p = Probe().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = adapt(p, NUMPY)
    f(np.ones(2))
    assert p.seen == [(False, False)]
    p.train()
    p.drop.eval()  # a mixed state must come back exactly
    with pytest.warns(UserWarning, match="training mode"):
        f = adapt(p, NUMPY)
    f(np.ones(2))
    assert p.seen[-1] == (False, False)
    assert p.training and not p.drop.training


def test_training_mode_warning_names_the_layers() -> None:
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Dropout(0.1)).train()
    with pytest.warns(UserWarning, match=r"1: BatchNorm2d, 2: Dropout.*train=True"):
        adapt(m, NUMPY)


@pytest.mark.parametrize("how", ["adapt", "torch_model"])
def test_explicit_train_false_is_silent(how: str) -> None:
    p = Probe().train()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = adapt(p, NUMPY, train=False) if how == "adapt" else adapt(torch_model(p, train=False), NUMPY)
    f(np.ones(2))
    assert p.seen == [(False, False)] and p.training


def test_train_true_runs_in_training_mode_and_restores_buffers() -> None:
    m = nn.Sequential(nn.BatchNorm1d(3)).eval()
    before = [b.clone() for b in m.buffers()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = adapt(torch_model(m, train=True), NUMPY)
    x = np.random.default_rng(2).standard_normal((8, 3)).astype(np.float32) * 5 + 3
    y = f(x)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-5)  # batch statistics were used
    assert not m.training, "the mode comes back"
    for b, s in zip(m.buffers(), before):
        assert torch.equal(b, s), "running statistics are left as they were"


def test_bad_options() -> None:
    with pytest.raises(TypeError, match="train"):
        adapt(torch_model(conv(SYMMETRIC), train="yes"), NUMPY)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="torch.dtype"):
        adapt(torch_function(lambda t: t, dtype="float32"), NUMPY)


# --- checks through the engine -------------------------------------------------------------------
check_equivariance = getattr(equicheck, "check_equivariance", None)
if check_equivariance is None:  # pragma: no cover - while the engine is being written
    from equicheck.engine import check_equivariance

IMAGES = {"input_shape": (2, 1, None, None), "batched": True, "seed": 3, "replay_dir": None}


def test_symmetric_kernel_with_circular_padding_passes_c4() -> None:
    r = check_equivariance(conv(SYMMETRIC), "c4", **IMAGES)
    assert r.passed, r


@pytest.mark.parametrize("group", ["translation", "p4"])
def test_circular_conv_under_cyclic_translations(group: str) -> None:
    kernel = RANDOM if group == "translation" else SYMMETRIC
    r = check_equivariance(conv(kernel), group, max_examples=20, **IMAGES)
    assert r.passed, r


def test_zero_padded_conv_under_zero_filled_shifts_away_from_the_border() -> None:
    model = conv(RANDOM, "zeros")
    r = check_equivariance(model, "translation(cyclic=False)", margin=1, max_examples=20, **IMAGES)
    assert r.passed, r


def test_random_kernel_fails_c4() -> None:
    r = check_equivariance(conv(RANDOM), "c4", **IMAGES)
    assert not r.passed
    assert r.max_error > 1e-2
    assert "rot90" in repr(r.worst_element)


def test_zero_padding_fails_cyclic_translations() -> None:
    r = check_equivariance(conv(RANDOM, "zeros"), "translation", **IMAGES)
    assert not r.passed


def lifting_conv(kernel: np.ndarray) -> Any:
    """A p4 lifting layer: output channel j correlates with the kernel turned j quarter turns."""
    m = nn.Conv2d(1, 4, 3, padding=1, padding_mode="circular", bias=False)
    k = torch.as_tensor(kernel, dtype=torch.float32)
    with torch.no_grad():
        m.weight.copy_(torch.stack([torch.rot90(k, j, dims=(0, 1)) for j in range(4)])[:, None])
    return m.eval()


def test_lifting_conv_is_p4_equivariant_with_regular_output() -> None:
    r = check_equivariance(lifting_conv(RANDOM), "p4", out_action=actions.regular(axis=1), **IMAGES)
    assert r.passed, r


def test_lifting_conv_fails_with_the_wrong_orientation_convention() -> None:
    out = actions.regular(axis=1, orientation="cw")
    r = check_equivariance(lifting_conv(RANDOM), "c4", out_action=out, **IMAGES)
    assert not r.passed


def test_dropout_in_training_mode_is_warned_and_checked_in_eval_mode() -> None:
    m = nn.Sequential(conv(SYMMETRIC), nn.Dropout(0.5)).train()
    with pytest.warns(UserWarning, match="Dropout"):
        r = check_equivariance(m, "c4", **IMAGES)
    assert r.passed, r
    assert m.training


def test_dropout_checked_in_training_mode_fails() -> None:
    m = nn.Sequential(conv(SYMMETRIC), nn.Dropout(0.5))
    torch.manual_seed(0)
    r = check_equivariance(torch_model(m, train=True), "c4", **IMAGES)
    assert not r.passed


def test_a_model_that_edits_its_input_is_caught() -> None:
    """Inputs are shared with the tensors (no copy), so the engine sees in-place edits."""

    @torch_function
    def doubles_in_place(t: Any) -> Any:
        return t.mul_(2)

    r = check_equivariance(doubles_in_place, "c4", input_shape=(1, 1, None, None), replay_dir=None)
    assert not r.passed
    assert r.to_dict()["failure_kind"] == "mutates-input"
    assert "doubles_in_place" in r.to_dict()["function"]


# --- on the GPU ---------------------------------------------------------------------------------
def _cuda_torch() -> None:
    if not torch.cuda.is_available():
        pytest.skip("this PyTorch build has no CUDA")


@pytest.mark.gpu
def test_cupy_arrays_reach_a_cuda_model_without_copy() -> None:
    _cuda_torch()
    import cupy

    backend = equicheck.get_backend("cupy")
    f = adapt(torch_function(lambda t: t.mul_(2)), backend)
    assert f.device.startswith("cuda")
    x = cupy.ones(4, dtype=cupy.float32)
    y = f(x)
    assert isinstance(y, cupy.ndarray)
    assert float(x[0]) == 2.0, "the tensor shared the CuPy array's memory"


@pytest.mark.gpu
@pytest.mark.parametrize(("kernel", "passes"), [(SYMMETRIC, True), (RANDOM, False)])
def test_cuda_model_checked_on_the_cupy_backend(kernel: np.ndarray, passes: bool) -> None:
    _cuda_torch()
    m = conv(kernel).cuda()
    r = check_equivariance(m, "c4", backend="cupy", **IMAGES)
    assert r.passed is passes, r
    assert r.to_dict()["backend"] == "cupy"


@pytest.mark.parametrize("backend", ["numpy", pytest.param("cupy", marks=pytest.mark.gpu)])
def test_cuda_model_with_any_backend(backend: str) -> None:
    _cuda_torch()
    m = conv(SYMMETRIC).cuda()
    f = adapt(m, backend)
    assert f.device.startswith("cuda")
    y = f(equicheck.get_backend(backend).asarray(np.ones((1, 1, 4, 4), dtype=np.float32)))
    assert equicheck.get_backend(backend).is_array(y)
