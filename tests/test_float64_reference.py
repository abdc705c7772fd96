"""A float32 PyTorch module is judged with the rounding allowance measured against a float64
evaluation: the adapter hands the engine a float64 copy of the module for that estimate."""

from __future__ import annotations

import numpy as np
import pytest

import equicheck

torch = pytest.importorskip("torch", reason="the float64 copy is made of PyTorch modules")
from equicheck.adapters import adapt  # noqa: E402
from equicheck.adapters.torch import TorchAdapted  # noqa: E402


class Wiggly(torch.nn.Module):
    """An invariant energy so sensitive to distances that float32 rounding alone exceeds rtol."""

    def __init__(self, k: float = 1000.0, bug: float = 0.0) -> None:
        super().__init__()
        self.k = torch.nn.Parameter(torch.tensor(k))
        self.bug = bug

    def forward(self, pos):
        diff = pos[:, None, :] - pos[None, :, :]
        d = torch.sqrt((diff**2).sum(-1) + 1.0)
        return (torch.cos(self.k * d).sum() + self.bug * pos[:, 0].sum())[None]


X = (np.random.default_rng(0).standard_normal((12, 3))).astype(np.float32)
TURN = "rotation(quaternion=[0.8, 0.36, 0.48, 0.0])"
KW = dict(in_action="positions", out_action="trivial", inputs=X, elements=[TURN], replay_dir=None)


def test_the_copy_is_float64_and_the_users_module_is_untouched():
    model = Wiggly().eval()
    f = adapt(model)
    wide = f.in_float64()
    assert wide is not None and wide is f.in_float64(), "made once"
    assert next(model.parameters()).dtype == torch.float32
    y = wide(X.astype(np.float64))
    assert y.dtype == np.float64
    assert abs(float(y[0]) - float(model.double()(torch.from_numpy(X.astype(np.float64)))[0])) < 1e-9


def test_float64_modules_and_functions_have_no_copy():
    assert adapt(Wiggly().double().eval()).in_float64() is None
    fn = adapt(equicheck.adapters.torch_function(lambda t: t * 2))
    assert fn.in_float64() is None


def test_float32_rounding_is_allowed_with_the_float64_copy():
    result = equicheck.check_equivariance(Wiggly().eval(), "o3", **KW)
    assert result.passed, result.message


def test_without_the_copy_the_same_model_is_a_false_alarm(monkeypatch):
    monkeypatch.setattr(TorchAdapted, "in_float64", lambda self: None)
    result = equicheck.check_equivariance(Wiggly().eval(), "o3", **KW)
    assert not result.passed and "lower precision" in result.message


def test_a_real_bug_of_a_float32_module_is_still_found():
    result = equicheck.check_equivariance(Wiggly(bug=1e-2).eval(), "o3", **KW)
    assert not result.passed and "lower precision" not in result.message


def test_the_copy_is_made_once_per_module_and_follows_its_values():
    model = Wiggly().eval()
    first = adapt(model).in_float64()
    with torch.no_grad():
        model.k.fill_(3.0)
    second = adapt(model).in_float64()
    assert second is not None and second.module is first.module, "one float64 copy per module"
    assert float(second.module.k) == 3.0 and second.module.k.dtype == torch.float64
