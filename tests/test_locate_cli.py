"""equicheck.locate everywhere users meet it: the command line, the reports (JSON, HTML,
Markdown), the pytest plugin's --equicheck-locate, a failed check's message, the example."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="localises PyTorch modules")

import equicheck  # noqa: E402
from equicheck.cli import main  # noqa: E402
from equicheck.layerwise.result import as_check_result  # noqa: E402
from equicheck.report import Report, read_json, write_reports  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

pytest_plugins = ["pytester"]

MODELS = """
import torch
from torch import nn

def broken():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1, padding_mode="circular"), nn.ReLU(),
        nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(),
    ).eval()

def fine():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, padding_mode="circular"), nn.ReLU()).eval()
"""


@pytest.fixture
def models(tmp_path, monkeypatch):
    (tmp_path / "zoo_models.py").write_text(MODELS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("zoo_models", None)


def _broken_result():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1, padding_mode="circular"),
        torch.nn.ReLU(),
        torch.nn.Conv2d(4, 4, 3, padding=1),
    ).eval()
    return equicheck.locate(model, "translation", input_shape=(1, 3, 8, 8))


# --- command line ------------------------------------------------------------------------------
def test_cli_names_the_breaking_layer_and_writes_reports(models, capsys):
    args = ["locate", "zoo_models:broken()", "--group", "translation", "--input-shape", "1,3,8,8"]
    status = main([*args, "--report", "out.json", "--report", "out.md", "--report", "out.html"])
    out = capsys.readouterr().out
    assert status == 1
    assert "first breaking layer: 2 (Conv2d" in out and "padding_mode='circular'" in out
    report = read_json(models / "out.json")
    layers = report.results[0].layers
    assert layers["first_break"] == "2" and report.results[0].verdict == "failed"
    assert "| **2** | **Conv2d** |" in (models / "out.md").read_text()
    page = (models / "out.html").read_text()
    assert "<h4>Layers</h4>" in page and "Error per layer of zoo_models.broken" in page
    assert "Error map of the first breaking layer 2" in page


def test_cli_passes_a_correct_model_and_takes_declared_actions(models, capsys):
    args = [
        "locate",
        "zoo_models:fine()",
        "-g",
        "translation",
        "--input-shape",
        "1,3,8,8",
        "--action",
        "0=spatial",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "no layer breaks equivariance" in out and "declared" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["zoo_models:nothing", "-g", "c4", "--input-shape", "1,3,8,8"], "has no attribute 'nothing'"),
        (["zoo_models:fine()", "-g", "c5", "--input-shape", "1,3,8,8"], "unknown group"),
        (["zoo_models:fine()", "-g", "c4", "--input-shape", "1,3,8,8", "--action", "x=spatial"], "'x'"),
        (["zoo_models:fine()", "-g", "c4", "--input-shape", "1,3,8,None"], "every size"),
        (["zoo_models:fine()", "-g", "c4", "--input-shape", "1,3,8,8", "--report", "r.txt"], "r.txt"),
    ],
)
def test_cli_usage_errors(models, capsys, args, message):
    assert main(["locate", *args]) == 2
    assert message in capsys.readouterr().err


def test_cli_refuses_a_malformed_declared_action(models, capsys):
    with pytest.raises(SystemExit):
        main(["locate", "zoo_models:fine()", "-g", "c4", "--input-shape", "1,3,8,8", "--action", "spatial"])
    assert "LAYER=ACTION" in capsys.readouterr().err


# --- reports -------------------------------------------------------------------------------------
def test_a_localisation_round_trips_through_the_json_report(tmp_path):
    result = _broken_result()
    written = write_reports(Report.of([as_check_result(result)]), [tmp_path / "r.json"])
    back = read_json(written[0]).results[0]
    again = equicheck.LocateResult.from_dict(back.layers)
    assert again.first_break == "2"
    assert [r.name for r in again.layers] == [r.name for r in result.layers]
    assert again.error_map.shape == (8, 8)


def test_results_without_layers_render_as_before(tmp_path):
    plain = as_check_result(_broken_result())
    plain.layers = None
    written = write_reports(Report.of([plain]), [tmp_path / "r.md", tmp_path / "r.html"])
    assert "Layers" not in written[0].read_text() and "<h4>Layers</h4>" not in written[1].read_text()


# --- a failed check suggests locate ---------------------------------------------------------------
def test_a_failed_check_of_a_module_suggests_locate():
    model = torch.nn.Conv2d(1, 1, 3, padding=1).eval()
    result = equicheck.check_equivariance(
        model, "translation", input_shape=(1, 1, 8, 8), max_examples=5, seed=0, replay_dir=None
    )
    assert not result.passed
    assert "equicheck.locate(model, 'translation', input_shape=(1, 1, " in result.message


def test_a_failed_check_of_a_function_does_not():
    result = equicheck.check_equivariance(
        lambda x: x[..., ::-1].copy(), "translation", max_examples=5, seed=0, replay_dir=None
    )
    assert not result.passed and "equicheck.locate" not in result.message


# --- the pytest plugin ------------------------------------------------------------------------
SUITE = """
import torch
from torch import nn

def test_module(equicheck):
    torch.manual_seed(0)
    first = nn.Conv2d(1, 2, 3, padding=1, padding_mode="circular")
    model = nn.Sequential(first, nn.Conv2d(2, 2, 3, padding=1)).eval()
    equicheck.assert_equivariant(
        model, "translation", input_shape=(1, 1, 8, 8), max_examples=5, replay_dir=None
    )
"""


@pytest.mark.parametrize("option", [True, False])
def test_plugin_option_adds_the_localisation(pytester, monkeypatch, option):
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    pytester.makepyfile(test_suite=SUITE)
    installed = any(ep.name == "equicheck" for ep in metadata.entry_points(group="pytest11"))
    plugin = [] if installed else ["-p", "equicheck.pytest_plugin"]
    args = [*plugin, "-p", "no:cacheprovider", "--equicheck-report", "r.json"]
    if option:
        args.append("--equicheck-locate")
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(failed=1)
    data = json.loads((pytester.path / "r.json").read_text())
    layers = data["results"][0].get("layers")
    if option:
        assert layers["first_break"] == "1"
        result.stdout.fnmatch_lines(["*first breaking layer: 1 (Conv2d*"])
    else:
        assert layers is None
        assert "first breaking layer" not in result.stdout.str()


# --- the example -----------------------------------------------------------------------------
def test_the_example_names_the_planted_layer(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "locate_resnet_bug.py"),
            "--size",
            "16",
            "--report",
            "r.html",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    assert "the bug: layer1.1.conv2" in run.stdout
    assert "after the fix: no layer breaks equivariance" in run.stdout
    assert (tmp_path / "r.html").exists()
