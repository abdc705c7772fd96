"""1-D and 3-D groups from the command line (``equicheck check``) and the pytest plugin's
marker: exit 0 when the check holds, 1 on a violation, 2 on a shape or spacing the group
cannot act on; a marker with a 3-D or 1-D group checks on volumes or signals.
"""

from __future__ import annotations

import json
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

import equicheck.engine  # noqa: F401 - kept loaded for the in-process pytester run (see test_plugin)
import equicheck.pytest_plugin  # noqa: F401
import equicheck.report.merge  # noqa: F401
import equicheck.report.text  # noqa: F401
from equicheck.cli import main

pytest_plugins = ["pytester"]
#: Load the plugin by module until the pytest11 entry point is installed (as test_plugin does).
PLUGIN = (
    []
    if any(ep.name == "equicheck" for ep in metadata.entry_points(group="pytest11"))
    else ["-p", "equicheck.pytest_plugin"]
)

MODULE = """
import numpy as np

def square(x):
    return x * x

def gain_along_z(x):
    return x * np.arange(x.shape[-3])[:, None, None]

def running_sum(x):
    return np.cumsum(x, axis=-1)

def gradient(x):
    return np.stack(np.gradient(x, axis=(-3, -2, -1)), axis=-4)
"""


@pytest.fixture
def volumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    """A module of the user's in the working folder, under a name unique to the test."""
    name = "ndmod_" + "".join(ch if ch.isalnum() else "_" for ch in request.node.name)
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(MODULE))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    return name


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        status = main(argv)
    except SystemExit as exc:
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


QUICK = ["--examples", "3", "--seed", "0", "--dtype", "float64"]


def test_a_volume_check_that_holds_exits_0(volumes: str, capsys):
    argv = ["check", f"{volumes}:square", "--group", "cube24", "--input-shape", "1,None,None,None", *QUICK]
    status, out, err = run(argv, capsys)
    assert status == 0, err + out
    assert out.startswith("PASSED") and "under cube24" in out and "24 elements" in out


def test_a_volume_violation_exits_1_with_a_cube_element(volumes: str, capsys, tmp_path: Path):
    argv = [
        "check",
        f"{volumes}:gain_along_z",
        "--group",
        "cube24",
        "--input-shape",
        "1,None,None,None",
        *QUICK,
        "--replay-dir",
        str(tmp_path / "r"),
    ]
    status, out, _ = run(argv, capsys)
    assert status == 1
    assert "is not equivariant under cube24" in out
    assert "Group element: rotation(maps='x->-z, y->y, z->x')" in out
    assert "shape (1, 4, 4, 4)" in out and "equicheck.replay(" in out


def test_signals_from_the_command_line(volumes: str, capsys):
    status, out, _ = run(
        ["check", f"{volumes}:running_sum", "--group", "flips(dims=1)", *QUICK, "--replay-dir", ""], capsys
    )
    assert status == 1 and "Group element: flip(axis='t')" in out
    status, out, _ = run(
        ["check", f"{volumes}:square", "--group", "dihedral", "--input-shape", "2,None", *QUICK], capsys
    )
    assert status == 0 and "under dihedral" in out


def test_vector_outputs_and_json_reports_of_volumes(volumes: str, capsys, tmp_path: Path):
    report = tmp_path / "out.json"
    argv = [
        "check",
        f"{volumes}:gradient",
        "--group",
        "cube48",
        "--out-action",
        "vector",
        *QUICK,
        "--report",
        str(report),
    ]
    status, out, err = run(argv, capsys)
    assert status == 0, out + err
    (record,) = json.loads(report.read_text())["results"]
    assert record["group"] == "cube48" and record["out_actions"] == ["vector"] and record["exhaustive"]


@pytest.mark.parametrize(
    "options, message",
    [
        (["--group", "cube24", "--input-shape", "1,None,None"], "None on all 3"),
        (["--group", "cube24", "--input-shape", "None,None"], "3-D grids"),
        (["--group", "cube24", "--input-shape", "1,4,4,5"], "equal sides"),
        (["--group", "p4m", "--input-shape", "1,None,None,None"], "2-D grids"),
        (["--group", "cube24", "--in-action", "spatial(spacing=(2.0, 1.0, 1.0))"], "unequal spacing"),
        (["--group", "translation(dims=4)"], "dims must be one of"),
        (["--group", "cube"], "cube24"),
    ],
)
def test_shapes_and_groups_the_check_cannot_use_exit_2(
    volumes: str, capsys, options: list[str], message: str
):
    status, out, err = run(["check", f"{volumes}:square", *options, *QUICK], capsys)
    assert status == 2, out + err
    assert err.startswith("equicheck check: error:") and message in err


# --- the pytest plugin ---------------------------------------------------------------------------
SUITE = """
import numpy as np
import pytest


def square(x):
    return x * x


def gain_along_z(x):
    return x * np.arange(x.shape[-3])[:, None, None]


@pytest.mark.equicheck(group="cube48", max_examples=2, dtypes=["float64"])
def test_volume_passes(equicheck):
    result = equicheck.assert_equivariant(square)
    assert result.exhaustive and result.elements_checked == 48


@pytest.mark.equicheck(group="cube24", max_examples=2, dtypes=["float64"], replay_dir=None)
def test_volume_fails(equicheck):
    equicheck.assert_equivariant(gain_along_z)


@pytest.mark.equicheck(group="dihedral", in_action="spatial", out_action="vector", max_examples=2)
def test_signal_slope(equicheck):
    equicheck.assert_equivariant(lambda x: (np.roll(x, -1, -1) - np.roll(x, 1, -1))[..., None, :])
"""


def test_the_marker_with_3d_and_1d_groups(pytester: pytest.Pytester):
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest(
        *PLUGIN, "-p", "no:cacheprovider", "-p", "no:benchmark", "--equicheck-report", "r.json"
    )
    result.assert_outcomes(passed=2, failed=1)
    out = result.stdout.str()
    assert "is not equivariant under cube24" in out and "Group element: rotation(maps=" in out
    records = {
        r["test_id"].split("::")[1]: r for r in json.loads((pytester.path / "r.json").read_text())["results"]
    }
    assert records["test_volume_fails"]["counterexample"]["input_shapes"] == [[4, 4, 4]]
    assert records["test_volume_passes"]["group"] == "cube48"
    assert (
        records["test_signal_slope"]["group"] == "dihedral"
        and records["test_signal_slope"]["verdict"] == "passed"
    )
