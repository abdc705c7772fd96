"""``equicheck check`` and ``equicheck backends``: exit codes and messages.

0 when the check holds, 1 on a violation or an error raised by the user's function, 2 on a
usage error (bad module path, group, action, shape, option), said as ``equicheck check:
error: ...`` with what to do.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import equicheck.nn as nn
from equicheck.cli import main
from equicheck.cli.check import parse_shape
from equicheck.cli.targets import load_target

MODULE = """
import numpy as np
from scipy import ndimage

def blur(x):
    return ndimage.uniform_filter(x, (1,) * (x.ndim - 2) + (3, 3), mode="wrap")

def x_derivative(x):
    return ndimage.sobel(x, axis=-1, mode="wrap")

def picky(x):
    if x.shape[-1] > 5:
        raise ValueError("grids wider than 5 are not supported")
    return x

class Model:
    def __init__(self, scale=2.0):
        self.scale = scale
    def __call__(self, x):
        return self.scale * x

def make_model():
    return Model(3.0)

NOT_CALLABLE = 3
"""


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    """A module of the user's in the working folder, under a name unique to the test."""
    name = "ecmod_" + "".join(ch if ch.isalnum() else "_" for ch in request.node.name)
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(MODULE))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    return name


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse rejects the option itself
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def test_a_check_that_holds_exits_0(user_module: str, capsys):
    status, out, err = run(
        ["check", f"{user_module}:blur", "--group", "p4m", "--examples", "5", "--seed", "1"], capsys
    )
    assert status == 0, err
    assert out.startswith("PASSED") and f"{user_module}.blur under p4m" in out
    assert err == ""  # no progress bar when stderr is not a terminal


def test_a_violation_exits_1_with_the_counterexample(user_module: str, capsys, tmp_path: Path):
    status, out, _ = run(
        [
            "check",
            f"{user_module}:x_derivative",
            "--group",
            "c4",
            "--seed",
            "1",
            "--replay-dir",
            str(tmp_path / "r"),
        ],
        capsys,
    )
    assert status == 1
    assert "is not equivariant under c4" in out
    assert "Group element: rot90(k=" in out
    assert "equicheck.replay(" in out and str(tmp_path / "r") in out


def test_a_function_that_raises_exits_1_naming_the_input(user_module: str, capsys):
    status, out, _ = run(
        ["check", f"{user_module}:picky", "--group", "c4", "--seed", "1", "--replay-dir", ""], capsys
    )
    assert status == 1
    assert out.startswith(f"ERROR {user_module}.picky raised an exception while checked under c4")
    assert "ValueError: grids wider than 5 are not supported" in out
    assert "— on x" in out  # which call: x itself or x transformed by an element
    assert "input: noise float32[" in out


def test_the_element_that_made_f_raise_is_named(user_module: str, tmp_path: Path, capsys):
    (tmp_path / "third.py").write_text(
        "calls = [0]\n"
        "def f(x):\n"
        "    calls[0] += 1\n"
        "    if calls[0] == 3:\n"
        "        raise RuntimeError('the third call fails')\n"
        "    return x\n"
    )
    status, out, _ = run(["check", "third.py:f", "--group", "c4", "--seed", "3", "--replay-dir", ""], capsys)
    assert status == 1
    assert "RuntimeError: the third call fails — on x transformed by rot90(k=" in out


def test_a_bad_module_path_exits_2(user_module: str, capsys):
    status, out, err = run(["check", "no_such_module_here:f", "--group", "c4"], capsys)
    assert status == 2 and out == ""
    assert err.startswith("equicheck check: error: cannot import module 'no_such_module_here'")
    assert "path/to/no_such_module_here.py:f" in err


def test_a_missing_name_exits_2_listing_what_is_there(user_module: str, capsys):
    status, _, err = run(["check", f"{user_module}:blurr", "--group", "c4"], capsys)
    assert status == 2
    assert f"'{user_module}' has no attribute 'blurr'" in err
    assert "blur" in err and "x_derivative" in err


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("just_a_name", "write MODULE:NAME"),
        ("{m}:NOT_CALLABLE", "is a int, not a function or model"),
        ("{m}:bad-name", "is not a Python identifier"),
        ("missing/file.py:f", "no such file"),
    ],
)
def test_unusable_targets_exit_2(user_module: str, capsys, target: str, message: str):
    status, _, err = run(["check", target.format(m=user_module), "--group", "c4"], capsys)
    assert status == 2
    assert message in err


def test_a_module_that_fails_to_import_exits_2_with_its_error(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / "broken_mod_cli.py").write_text("import numpy\nraise RuntimeError('no config file')\n")
    (tmp_path / "needs_dep_cli.py").write_text("import a_dependency_that_is_not_there\n")
    status, _, err = run(["check", "broken_mod_cli:f", "--group", "c4"], capsys)
    assert status == 2
    assert "importing 'broken_mod_cli' failed: RuntimeError: no config file" in err
    assert "broken_mod_cli.py:2" in err
    status, _, err = run(["check", "needs_dep_cli:f", "--group", "c4"], capsys)
    assert status == 2
    assert "importing 'needs_dep_cli' failed: ModuleNotFoundError" in err
    assert "a_dependency_that_is_not_there" in err


def test_a_bad_group_name_exits_2_listing_the_groups(user_module: str, capsys):
    status, out, err = run(["check", f"{user_module}:blur", "--group", "c5"], capsys)
    assert status == 2 and out == ""
    assert "equicheck check: error: unknown group 'c5'" in err
    assert "c4" in err and "p4m" in err and "so2" in err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--group", "translation(step=0)"], "bad parameters for group"),
        (["--group", "c4", "--in-action", "bogus"], "unknown action 'bogus'"),
        (["--group", "c4", "--input-shape", "5,6"], "need a square grid"),
        (["--group", "c4", "--input-shape", "3,x5"], "bad input shape"),
        (["--group", "c4", "--examples", "0"], "expected a number >= 1"),
        (["--group", "c4", "--dtype", "float33"], "'float33' is not a dtype"),
        (["--group", "c4", "--report", "out.txt"], "unsupported report format"),
        (["--group", "c4", "--invariant", "--out-action", "trivial"], "not both"),
        (["--group", "c4", "--backend", "nonesuch"], "nonesuch"),
    ],
)
def test_usage_errors_exit_2(user_module: str, capsys, options: list[str], message: str):
    status, out, err = run(["check", f"{user_module}:blur", *options], capsys)
    assert status == 2
    assert message in err
    assert "Traceback" not in err


def test_file_paths_dotted_names_and_factories(user_module: str, tmp_path: Path, capsys):
    path = tmp_path / f"{user_module}.py"
    status, out, _ = run(["check", f"{path}:make_model()", "--group", "d4", "--examples", "3"], capsys)
    assert status == 0 and "PASSED" in out and ".make_model under d4" in out
    obj, name = load_target(f"{user_module}:Model.__call__")
    assert callable(obj) and name == f"{user_module}.Model.__call__"


def test_options_reach_the_check(user_module: str, capsys, tmp_path: Path):
    report = tmp_path / "out" / "r.json"
    status, out, _ = run(
        [
            "check", f"{user_module}:blur", "--group", "translation", "--input-shape", "2,None,None",
            "--batched", "--dtype", "float64", "--examples", "3", "--seed", "7", "--report", str(report),
        ],
        capsys,
    )  # fmt: skip
    assert status == 0, out
    data = json.loads(report.read_text())
    (result,) = data["results"]
    assert result["seed"] == 7 and result["dtype"] == "float64" and result["examples"] == 3
    assert data["environments"][0]["command"].startswith("equicheck ")
    assert f"wrote {report}" in out


def test_invariance_and_out_actions(user_module: str, tmp_path: Path, capsys):
    (tmp_path / "inv_cli.py").write_text("def total(x):\n    return x.sum(axis=(-2, -1))\n")
    status, out, _ = run(
        [
            "check",
            "inv_cli:total",
            "--group",
            "p4m",
            "--input-shape",
            "3,_,_",
            "--invariant",
            "--examples",
            "3",
        ],
        capsys,
    )
    assert status == 0 and "-> trivial" in out
    status, out, _ = run(
        ["check", "inv_cli:total", "--group", "c4", "--input-shape", "3,_,_", "--out-action", "trivial"],
        capsys,
    )
    assert status == 0


def test_parse_shape():
    assert parse_shape("2,3,32,32") == (2, 3, 32, 32)
    assert parse_shape("2x3x32x32") == (2, 3, 32, 32)
    assert parse_shape("(2, 3, None, None)") == (2, 3, None, None)
    assert parse_shape("3,_,?") == (3, None, None)


def test_backends_lists_numpy_and_says_why_cupy_is_not_usable(capsys):
    status, out, _ = run(["backends"], capsys)
    assert status == 0
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert "usable on cpu" in lines["numpy"]
    assert "cupy" in lines
    kernel = nn.native_status()
    assert f"equicheck.nn conv2d on numpy: {kernel.reason}" in out
    status, out, _ = run(["backends", "--json"], capsys)
    data = json.loads(out)
    assert data["numpy"]["usable"] is True
    assert data["numpy"]["conv2d_kernel"]["available"] is kernel.available
    assert data["cupy"]["usable"] or "CuPy" in data["cupy"]["reason"] or "GPU" in data["cupy"]["reason"]


def test_the_console_script_runs_as_a_program(tmp_path: Path):
    """As the shell runs it: a separate process, argv parsed, exit status passed through."""
    (tmp_path / "prog_cli.py").write_text("def double(x):\n    return 2 * x\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "equicheck.cli",
            "check",
            "prog_cli:double",
            "--group",
            "c4",
            "--examples",
            "3",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "PASSED prog_cli.double under c4" in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "equicheck", "check", "prog_cli:double", "--group", "nope"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "unknown group 'nope'" in proc.stderr


LIGHT = """
import contextlib, io, sys
from equicheck.cli import main
for argv in (["--help"], ["demo", "--help"], ["check", "--help"], ["report", "--help"]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        main(argv)
heavy = ("hypothesis", "scipy", "matplotlib", "jinja2", "equicheck.engine", "equicheck.nn",
         "equicheck.demo.run", "equicheck.demo.claims", "equicheck.report")
print(sorted(name for name in heavy if name in sys.modules))
"""


def test_help_loads_no_engine_scipy_hypothesis_or_matplotlib():
    """``equicheck --help`` answers at once: the commands load what they need when they run."""
    proc = subprocess.run([sys.executable, "-c", LIGHT], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_the_command_line_knows_every_demo_claim_without_loading_the_demo():
    from equicheck.demo import CLAIMS
    from equicheck.demo.names import CLAIM_IDS

    assert tuple(CLAIMS) == CLAIM_IDS


# --- issue 15: errors that say the fix -----------------------------------------------------------
FACTORIES = """
import torch

def zero_conv():
    torch.manual_seed(0)
    return torch.nn.Conv2d(1, 1, 3, padding=1, bias=False).eval()

def rgb_conv():
    torch.manual_seed(0)
    return torch.nn.Conv2d(3, 4, 3, padding=1).eval()

def scores():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 10)
    ).eval()

Conv = torch.nn.Conv2d
"""


@pytest.fixture
def factories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    pytest.importorskip("torch")
    name = "ecfac_" + "".join(ch if ch.isalnum() else "_" for ch in request.node.name)
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(FACTORIES))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    return name


def test_the_replay_line_of_a_factory_target_calls_the_factory(factories: str, capsys, tmp_path: Path):
    argv = ["check", f"{factories}:zero_conv()", "--group", "translation", "--input-shape", "1,1,_,_"]
    status, out, _ = run([*argv, "--batched", "--seed", "1", "--replay-dir", str(tmp_path / "r")], capsys)
    assert status == 1
    (line,) = [s for s in out.splitlines() if s.startswith("Replay: ")]
    assert f", {factories}.zero_conv())" in line and f"import equicheck, {factories}" in line
    assert ", zero_conv)" not in line
    assert "the error lives at the border" in out


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("{m}:zero_conv", "zero_conv is a factory (it takes no arguments, so it cannot be f(x)): to check "
         "the model it returns, write {m}:zero_conv()"),
        ("{m}:Conv", "Conv is a class: equicheck checks an instance of it, not the class. Write {m}:Conv()"),
    ],
    ids=["factory", "class"],
)  # fmt: skip
def test_a_factory_or_class_without_brackets_says_write_name_brackets(
    factories: str, capsys, target, message
):
    status, out, err = run(["check", target.format(m=factories), "--group", "c4"], capsys)
    assert status == 2 and out == ""
    assert message.format(m=factories) in err
    assert "Traceback" not in err


def test_a_model_given_the_wrong_shape_is_told_the_command_line_that_fits(factories: str, capsys):
    status, out, _ = run(["check", f"{factories}:rgb_conv()", "--group", "c4", "--examples", "3"], capsys)
    assert status == 1
    assert "equicheck passed float32[" in out
    assert "--input-shape 2,3,None,None --batched" in out


def test_a_classifier_without_invariant_is_a_usage_error_suggesting_it(factories: str, capsys):
    argv = ["check", f"{factories}:scores()", "--group", "c4", "--input-shape", "2,3,_,_", "--batched"]
    status, out, _ = run([*argv, "--examples", "3", "--replay-dir", ""], capsys)
    assert status == 2
    assert "cannot be checked as declared under c4" in out and "--invariant" in out
    assert "is not equivariant" not in out
    status, out, _ = run([*argv, "--examples", "3", "--invariant"], capsys)
    assert status == 0, out


def test_a_misspelt_group_gets_a_did_you_mean(user_module: str, capsys):
    status, _, err = run(["check", f"{user_module}:blur", "--group", "C4"], capsys)
    assert status == 2 and "did you mean 'c4'?" in err
    status, _, err = run(["check", f"{user_module}:blur", "--group", "rotation"], capsys)
    assert status == 2 and "'c4' (quarter turns, exact) or 'so2'" in err
