"""The hand-made mutants of the verdict path and the point-cloud actions (tests/mutants/*.patch)
are each killed by the tests that pin the rules (tests/mutants/check.py applies each to a copy
and runs them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_every_hand_made_mutant_is_killed():
    run = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "mutants" / "check.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "18 of 18 mutants killed" in run.stdout
