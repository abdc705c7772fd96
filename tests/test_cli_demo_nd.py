"""The demo's 3-D claim: a voxel CNN is shift equivariant and not rotation equivariant; a
cube-group CNN is exactly invariant to the cube's 24 rotations and only approximately to
other angles. It holds on the reference networks and does not hold when the cube-group CNN is
replaced by a plain voxel CNN."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from equicheck.demo import BUDGETS, run_demo
from equicheck.demo import networks as demo
from equicheck.demo.claims import CUBE_ANGLES, UNCHANGED, VOLUME_TURNS

pytest.importorskip("jinja2")
pytest.importorskip("matplotlib")

CLAIM = "voxel-cube-cnn"


def test_the_3d_claim_holds_with_its_checks_measures_and_figure(tmp_path: Path):
    out = io.StringIO()
    run = run_demo(mode="quick", only=[CLAIM], report=tmp_path, out=out)
    assert run.holds, out.getvalue()
    (claim,) = run.claims
    verdicts = {c.label: (c.result.verdict, c.result.group) for c in claim.checks}
    assert verdicts == {
        "voxel CNN, cyclic shifts": ("passed", "translation(dims=3)"),
        "voxel CNN, the 24 rotations": ("failed", "cube24"),
        "cube-group CNN, the 24 rotations": ("passed", "cube24"),
    }
    rotations = claim.checks[2].result
    assert rotations.exhaustive and rotations.elements_checked == 24
    ce = claim.checks[1].result.counterexample
    assert ce.element.startswith("rotation(maps=")
    low = BUDGETS["quick"].volume_sizes[0]
    assert f"[1, 1, {low}, {low}, {low}]" in ce.input  # a (N, C, D, H, W) volume of the smallest side
    cube = claim.measures["cube_cnn"]
    for label, _, angles in VOLUME_TURNS:
        for angle, change in zip(angles, cube[label]):
            assert (change <= UNCHANGED) == (angle in CUBE_ANGLES[label]), (label, angle, change)
    assert [p.name for p in claim.figures] == ["volume-turns"]
    text = out.getvalue()
    assert "HOLDS         In 3-D, a voxel CNN" in text
    page = (tmp_path / "demo.html").read_text()
    assert f'id="claim-{CLAIM}"' in page
    assert "Change of the logits when the volume turns" in page
    data = json.loads((tmp_path / "demo.json").read_text())
    assert {r["extra"]["claim"]["id"] for r in data["results"]} == {CLAIM}


def _plain_cube_cnn(original):
    """The reference networks with the cube-group CNN replaced by a plain voxel CNN."""

    def builders():
        table = original()
        table["cube_cnn"] = table["voxel_cnn"]
        return table

    return builders


def test_with_a_plain_voxel_cnn_in_place_of_the_cube_cnn_the_claim_does_not_hold(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(demo, "_builders", _plain_cube_cnn(demo._builders))
    out = io.StringIO()
    run = run_demo(mode="quick", only=[CLAIM], report=tmp_path / "r.html", out=out)
    assert not run.holds
    text = out.getvalue()
    assert "DOES NOT HOLD In 3-D" in text
    assert "cube-group CNN, the 24 rotations: failed (claim predicts passed: CONTRADICTS THE CLAIM)" in text
    assert "counterexample: rotation(maps=" in text
    (claim,) = run.claims
    unmet = [t for t, ok in claim.conditions if not ok]
    assert any(t.startswith("cube-group CNN at 90 degrees about z") for t in unmet)


def test_the_3d_reference_networks_build_by_name():
    import numpy as np

    x = np.zeros((1, 1, 4, 4, 4), dtype=np.float32)
    assert demo.network("voxel_circular")(x).shape == (1, 4, 4, 4, 4)
    assert demo.network("voxel_cnn")(x).shape == (1, 4)
    assert demo.network("cube_cnn", seed=3)(x).shape == (1, 4)
