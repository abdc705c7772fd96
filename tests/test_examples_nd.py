"""The 1-D and 3-D examples run, with small budgets, in a fresh process and folder, and say
what their docstrings promise (tests/test_examples.py does the same for the 2-D ones)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

#: script -> (arguments with a small budget, text its output must contain, needs torch)
SCRIPTS: dict[str, tuple[list[str], list[str], bool]] = {
    "sequence_model.py": (
        ["--examples", "8"],
        [
            "circular padding, cyclic shifts    PASSED",
            "zero padding, cyclic shifts        FAILED",
            "counterexample: shift(dt=1) on noise float32[2, 2, 4] seed=0",
            "replay: equicheck.replay('.equicheck/counterexamples/",
            "replayed: failed",
            "zero padding, zero-filled shifts   PASSED",
            "causal conv, cyclic shifts         PASSED",
            "causal conv, time reversal         FAILED",
            "counterexample: flip(axis='t')",
        ],
        True,
    ),
    "voxel_model.py": (
        ["--examples", "4"],
        [
            "voxel CNN, cyclic shifts             PASSED",
            "voxel CNN, 24 rotations              FAILED",
            "counterexample: rotation(maps=",
            "in words: rotation by 90°",
            "isotropic kernels, 48 symmetries     PASSED",
            "isotropic kernels, shifts and turns  PASSED",
        ],
        True,
    ),
    "cube_group_cnn.py": (
        ["--examples", "3"],
        [
            "PASSED cube_features under p432",
            "PASSED cube_classifier under cube24",
            "cube_classifier under so3_volume",
            "turn about z  relative change of the logits",
        ],
        False,
    ),
}


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = dict(os.environ, **(env or {}))
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, env=environ)


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_example_runs(script: str, tmp_path: Path):
    args, expected, needs_torch = SCRIPTS[script]
    if needs_torch:
        pytest.importorskip("torch", reason="the example checks a PyTorch model")
    proc = _run([sys.executable, str(EXAMPLES / script), *args], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for text in expected:
        assert text in proc.stdout, (text, proc.stdout)
    assert "UNEXPECTED" not in proc.stdout


def test_the_sequence_models_counterexample_is_saved_where_the_replay_line_says(tmp_path: Path):
    pytest.importorskip("torch", reason="the example checks a PyTorch model")
    proc = _run([sys.executable, str(EXAMPLES / "sequence_model.py"), "--examples", "4"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    saved = sorted(p.name for p in (tmp_path / ".equicheck" / "counterexamples").glob("*.npz"))
    assert len(saved) == 2  # the zero-padded stack under shifts, the causal conv under reversal
    for name in saved:
        assert name in proc.stdout


@pytest.mark.parametrize("script", ["sequence_model.py", "voxel_model.py"])
def test_the_pytorch_examples_skip_cleanly_without_torch(script: str, tmp_path: Path):
    blocked = tmp_path / "blocked"
    (blocked / "torch").mkdir(parents=True)
    (blocked / "torch" / "__init__.py").write_text("raise ImportError('PyTorch blocked by the test')\n")
    path = os.pathsep.join([str(blocked), os.environ.get("PYTHONPATH", "")])
    proc = _run([sys.executable, str(EXAMPLES / script)], tmp_path, {"PYTHONPATH": path})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("skipped: PyTorch is not available")
