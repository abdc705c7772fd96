"""Files written by equicheck 0.1 still read, replay and render (issue 17: "replay files and
JSON reports written by 0.1 keep working").

The fixtures in ``tests/fixtures/v0_1/`` were written by the 0.1 code (see the README there
and ``make_fixtures.py``, which imports the functions below from this file): counterexample
replay files of failing 2-D checks and a JSON report of those checks with its arrays sidecar.
``manifest.json`` records what 0.1 said of each: the element's repr and fields, the verdict.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import equicheck

FIXTURES = Path(__file__).parent / "fixtures" / "v0_1"


# --- the functions the fixtures were made with (make_fixtures.py imports these) -------------
def blur_zero_padded(x):
    """A 3x3 blur with zero padding: not equivariant to cyclic shifts (its border differs)."""
    from scipy import ndimage

    kernel = np.array([[0.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 2.0]])
    return ndimage.correlate(x, kernel, mode="constant")


def blur_circular(x):
    """The same blur with circular padding: equivariant to cyclic shifts (a check that passes)."""
    from scipy import ndimage

    kernel = np.array([[0.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 2.0]])
    return ndimage.correlate(x, kernel, mode="wrap")


def roll_right(x):
    """A cyclic shift along x: commutes with translations, not with quarter turns."""
    return np.roll(x, 1, axis=-1)


def flip_columns(x):
    """A mirror of the columns: not equivariant to rotations by any angle but 0 and 180 degrees."""
    return np.ascontiguousarray(x[..., ::-1])


def gradient(x, sign_dx=1.0):
    """The periodic central-difference gradient (d/dy, d/dx): a vector field under p4."""
    dy = (np.roll(x, -1, axis=-2) - np.roll(x, 1, axis=-2)) / 2
    dx = (np.roll(x, -1, axis=-1) - np.roll(x, 1, axis=-1)) / 2
    return np.stack([dy, sign_dx * dx], axis=-3)


def gradient_wrong_sign(x):
    """The gradient with the sign of d/dx wrong: not a vector field under p4."""
    return gradient(x, -1.0)


def _lift(x, order):
    """Channel k: roll_right seen from orientation k (turned back by k, rolled, turned by k)."""
    turns = (-2, -1)
    return np.stack(
        [np.rot90(roll_right(np.rot90(x, -k, axes=turns)), k, axes=turns) for k in order], axis=-3
    )


def lift_cyclic(x):
    """A lifting to the regular representation of c4: orientations in the cyclic order."""
    return _lift(x, (0, 1, 2, 3))


def lift_misordered(x):
    """The same lifting with orientations 1 and 2 swapped: not the regular representation."""
    return _lift(x, (0, 2, 1, 3))


def square(x):
    """Entry by entry: equivariant to every transform of the grid."""
    return x * x


FUNCTIONS = {
    f.__name__: f
    for f in (blur_zero_padded, blur_circular, roll_right, flip_columns, gradient_wrong_sign, lift_misordered)
}
#: A correct function for each failing fixture: replaying the saved case with it passes.
FIXED = {
    "blur_zero_padded": blur_circular,
    "roll_right": square,
    "flip_columns": square,
    "gradient_wrong_sign": gradient,
    "lift_misordered": lift_cyclic,
}


# --- the fixtures -----------------------------------------------------------------------------
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
SAVED = [entry for entry in MANIFEST if entry.get("replay")]


def _id(entry: dict) -> str:
    return f"{entry['function']}-{entry['group']}"


def test_the_fixtures_are_there_and_small():
    assert len(SAVED) == 5 and len(MANIFEST) == 6
    for entry in SAVED:
        assert (FIXTURES / entry["replay"]).stat().st_size < 4096
    assert (FIXTURES / "report.json").stat().st_size < 40_000
    assert (FIXTURES / "report.arrays.npz").stat().st_size < 40_000


@pytest.mark.parametrize("entry", SAVED, ids=_id)
def test_a_0_1_replay_file_loads_with_its_input_and_element(entry: dict):
    from equicheck.groups import element_from_repr

    value, meta = equicheck.load_counterexample(FIXTURES / entry["replay"])
    assert isinstance(value, np.ndarray) and value.shape == (8, 8) and value.dtype == np.float64
    assert meta["group"] == entry["group"] and meta["element"] == entry["element"]
    element = element_from_repr(meta["element"])
    assert repr(element) == entry["element"]
    assert type(element).__name__ == entry["element_type"]
    fields = {name: getattr(element, name) for name in entry["element_fields"]}
    assert json.loads(json.dumps(fields, default=str)) == entry["element_fields"]


@pytest.mark.parametrize("entry", SAVED, ids=_id)
def test_replaying_a_0_1_file_reproduces_the_failure_and_the_fix_passes(entry: dict):
    path = FIXTURES / entry["replay"]
    again = equicheck.replay(path, FUNCTIONS[entry["function"]])
    assert again.verdict == "failed", again.summary()
    assert again.counterexample is not None and again.counterexample.element == entry["element"]
    assert again.max_error > again.tolerance
    assert equicheck.replay(path, FIXED[entry["function"]]).verdict == "passed"


def test_the_0_1_report_reads_back_with_its_arrays():
    from equicheck.report import read_json

    report = read_json(FIXTURES / "report.json")
    assert report.title == "equicheck 0.1 fixtures" and report.complete
    assert report.environments[0]["libraries"]["equicheck"] == "0.1.0"
    assert [r.function.rsplit(".", 1)[-1] for r in report.results] == [e["function"] for e in MANIFEST]
    for result, entry in zip(report.results, MANIFEST):
        assert result.verdict == entry["verdict"]
        assert result.max_error == pytest.approx(entry["max_error"], rel=1e-12, abs=1e-15)
        if entry.get("replay"):
            ce = result.counterexample
            assert ce is not None and ce.element == entry["element"]
            assert {"input", "actual", "expected", "error_map"} <= set(ce.arrays)
            assert ce.arrays["error_map"].shape == (8, 8)


def test_the_report_command_renders_a_0_1_report(tmp_path: Path, capsys):
    pytest.importorskip("jinja2")
    pytest.importorskip("matplotlib")
    from equicheck.cli import main
    from equicheck.report import read_json

    source = tmp_path / "old"
    source.mkdir()
    for name in ("report.json", "report.arrays.npz"):
        shutil.copy(FIXTURES / name, source / name)
    out = tmp_path / "out"
    status = main(
        ["report", str(source / "report.json"), *[f"-o{out / n}" for n in ("r.html", "r.md", "r.json")]]
    )
    assert status == 0, capsys.readouterr()
    html = (out / "r.html").read_text()
    assert html.count('<img src="data:image/svg+xml;base64,') >= 2 * len(
        SAVED
    )  # an error map and more per failure
    for entry in MANIFEST:
        assert entry["function"] in html
    markdown = (out / "r.md").read_text()
    assert "5 of 6 checks failed" in markdown
    assert all(entry["element"] in markdown for entry in SAVED)
    again = read_json(out / "r.json")  # written by this version, read by it
    assert [r.verdict for r in again.results] == [e["verdict"] for e in MANIFEST]
