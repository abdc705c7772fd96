"""The point-cloud example scripts run, with small budgets, in a fresh process and folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, PYTHONPATH=path)
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_e3nn_potential_passes_and_its_planted_bug_fails(dtype: str, tmp_path: Path):
    pytest.importorskip("torch", reason="the e3nn example needs PyTorch")
    pytest.importorskip("e3nn", reason="the e3nn example needs e3nn (the e3nn extra)")
    proc = _run(
        [sys.executable, str(EXAMPLES / "e3nn_potential.py"), "--examples", "8", "--dtype", dtype], tmp_path
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("PASSED"), proc.stdout
    assert lines[1].startswith("FAILED"), proc.stdout
    assert "counterexample: " in proc.stdout and "as expected" in proc.stdout
    assert "UNEXPECTED" not in proc.stdout


def test_the_e3nn_example_skips_cleanly_without_e3nn(tmp_path: Path):
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "e3nn.py").write_text("raise ImportError('e3nn blocked for this test')\n")
    path = os.pathsep.join((str(blocked), str(ROOT)))
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "e3nn_potential.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=path),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("skipped:")
