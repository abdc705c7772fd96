"""Every script in examples/ runs, with small budgets, in a fresh process and folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

#: script -> (arguments with a small budget, text its output must contain)
#: Run by tests/test_examples_nd.py (1-D and 3-D models).
ND_SCRIPTS = ("sequence_model.py", "voxel_model.py", "cube_group_cnn.py")

SCRIPTS: dict[str, tuple[list[str], list[str]]] = {
    "quickstart.py": (["--examples", "5"], ["blur_circular under p4m: PASSED", "counterexample: rot90"]),
    "numpy_convolution.py": (["--examples", "5"], ["zero padding, cyclic shifts", "as expected"]),
    "p4_group_cnn.py": (
        ["--examples", "3"],
        ["PASSED p4_features under p4", "PASSED p4_classifier under c4"],
    ),
    "pytorch_model.py": (["--examples", "3"], ["max-pool, shifts by 1"]),
    "e3nn_potential.py": (["--examples", "8"], ["as expected"]),
    "pyg_gcn.py": (
        ["--examples", "8"],
        ["GCN, per-node outputs    PASSED", "GCN reading node 0       FAILED"],
    ),
    "locate_resnet_bug.py": (
        ["--size", "16"],
        ["the bug: layer1.1.conv2", "after the fix: no layer breaks equivariance"],
    ),
    "sweep_models.py": (["--examples", "3"], ["18 cells (14 passed, 4 failed)", "as expected"]),
    "write_report.py": (
        ["--examples", "4", "--out", "out"],
        ["wrote out/report.html", "wrote out/report.md"],
    ),
}


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = dict(os.environ, **(env or {}))
    environ.pop("EQUICHECK_NO_PROGRESS", None)
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, env=environ)


def test_every_example_is_covered():
    scripts = {p.name for p in EXAMPLES.glob("*.py")}
    assert scripts == set(SCRIPTS) | {"test_with_plugin.py", *ND_SCRIPTS}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_example_runs(script: str, tmp_path: Path):
    args, expected = SCRIPTS[script]
    if script == "pytorch_model.py":
        pytest.importorskip("torch")
    if script == "write_report.py":
        pytest.importorskip("jinja2")
        pytest.importorskip("matplotlib")
    proc = _run([sys.executable, str(EXAMPLES / script), *args], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for text in expected:
        assert text in proc.stdout
    assert "UNEXPECTED" not in proc.stdout
    if script == "write_report.py":
        assert (tmp_path / "out" / "report.html").stat().st_size > 10_000


def test_the_pytorch_example_skips_cleanly_without_torch(tmp_path: Path):
    blocked = tmp_path / "blocked"
    (blocked / "torch").mkdir(parents=True)
    (blocked / "torch" / "__init__.py").write_text("raise ImportError('PyTorch blocked by the test')\n")
    proc = _run([sys.executable, str(EXAMPLES / "pytorch_model.py")], tmp_path, {"PYTHONPATH": str(blocked)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("skipped: PyTorch is not available")


@pytest.mark.parametrize("where", ["repository", "own project"])
def test_the_plugin_example_passes_and_writes_a_report(where: str, tmp_path: Path):
    """As its docstring says to run it: from the repository root (whose pytest settings turn
    the plugin off for the repository's own tests, so ``-p equicheck`` turns it back on),
    and copied into a project of one's own (the plugin loads by its entry point)."""
    report = tmp_path / "plugin.json"
    if where == "repository":
        cwd, target, extra = ROOT, str(EXAMPLES / "test_with_plugin.py"), ["-p", "equicheck"]
    else:
        shutil.copy(EXAMPLES / "test_with_plugin.py", tmp_path / "test_with_plugin.py")
        cwd, target, extra = tmp_path, "test_with_plugin.py", []
    proc = _run(
        [
            sys.executable, "-m", "pytest", target, *extra, "-q", "-p", "no:cacheprovider",
            "--equicheck-examples", "5", "--equicheck-report", str(report),
        ],
        cwd,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 passed" in proc.stdout
    assert "equicheck: 6 checks, 2 failed" in proc.stdout
    assert report.is_file()


def test_the_repositorys_own_test_run_does_not_collect_the_examples():
    assert 'testpaths = ["tests"]' in (ROOT / "pyproject.toml").read_text()
