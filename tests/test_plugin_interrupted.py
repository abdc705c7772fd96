"""Interrupted runs and the plugin's reports: a run that did not complete writes partial
reports (``r.partial.json`` ...) and leaves the previous complete ones untouched; a complete
run removes stale partial files; the formats of one run are written all or none.

Every run is a subprocess: a KeyboardInterrupt raised inside an in-process pytester run (or
while its reports are written) would reach the outer session.
"""

from __future__ import annotations

import json
import re
from importlib import metadata
from pathlib import Path

import pytest

import equicheck

try:
    import jinja2  # noqa: F401
    import matplotlib  # noqa: F401

    HTML = True
except ImportError:
    HTML = False

pytest_plugins = ["pytester"]

PLUGIN = (
    []
    if any(ep.name == "equicheck" for ep in metadata.entry_points(group="pytest11"))
    else ["-p", "equicheck.pytest_plugin"]
)
QUIET = ["-p", "no:cacheprovider", "-p", "no:benchmark"]
REPORTS = ["r.json", "r.md"] + (["r.html"] if HTML else [])
REPORT_ARGS = [arg for path in REPORTS for arg in ("--equicheck-report", path)]
#: The files of a complete run and of a partial one (JSON with its arrays sidecar).
COMPLETE = [*REPORTS, "r.arrays.npz"]
PARTIAL = [p.replace("r.", "r.partial.", 1) for p in COMPLETE]

SUITE = """
import os

import numpy as np

import equicheck


def square(x):
    return x * x


def test_1():  # a recorded failure (with arrays) in a passing test
    equicheck.check_equivariance(lambda x: np.roll(x, 1, axis=-1), "c4", max_examples=2, replay_dir=None)


def test_2():
    equicheck.assert_equivariant(square, "c2", max_examples=2)
    assert not os.environ.get("EQUICHECK_TEST_FAIL")


def test_3():
    equicheck.assert_equivariant(square, "c4", max_examples=2)
    if os.environ.get("EQUICHECK_TEST_CTRL_C"):
        raise KeyboardInterrupt  # Ctrl-C after this test's check finished


def test_4():
    equicheck.assert_invariant(lambda x: x.sum(axis=(-2, -1)), "c4", max_examples=2)


def test_5():
    pass
"""

#: Ctrl-C before any test: during collection, or after it (before the first test).
CTRL_C_BEFORE = {
    "collection": """
def pytest_collection_modifyitems(items):
    raise KeyboardInterrupt
""",
    "first test": """
import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    raise KeyboardInterrupt
""",
}

#: Ctrl-C while the HTML report is drawn.
HTML_CTRL_C = """
import os

if os.environ.get("EQUICHECK_TEST_HTML_CTRL_C"):
    import equicheck.report.html

    def render_html(*args, **kwargs):
        raise KeyboardInterrupt

    equicheck.report.html.render_html = render_html
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The suite, run by subprocesses that import this checkout's equicheck."""
    monkeypatch.setenv("PYTHONPATH", str(Path(equicheck.__file__).parents[1]))
    for name in ("EQUICHECK_TEST_CTRL_C", "EQUICHECK_TEST_FAIL", "EQUICHECK_TEST_HTML_CTRL_C"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*PLUGIN, *REPORT_ARGS, *QUIET, *args, timeout=300)


def _previous(path: Path) -> dict[str, bytes]:
    """Stand-ins for a previous run's complete reports; returns their bytes."""
    files = {name: f"previous {name}\n".encode() for name in COMPLETE}
    for name, data in files.items():
        (path / name).write_bytes(data)
    return files


def _contents(path: Path, names: list[str]) -> dict[str, bytes]:
    return {name: (path / name).read_bytes() for name in names if (path / name).exists()}


def _doc(path: Path) -> dict:
    doc = json.loads(path.read_text())
    assert doc["format"] == "equicheck-report" and doc["version"] == 2
    return doc


def _tests(doc: dict) -> list[str]:
    return [r["test_id"].split("::")[1] for r in doc["results"]]


def _agree(path: Path, stem: str) -> None:
    """The JSON, Markdown and HTML of one set tell of the same run: same checks, same time."""
    doc = _doc(path / f"{stem}.json")
    md = (path / f"{stem}.md").read_text()
    assert len(re.findall(r"^\| \[?(❌|✅|⚠️|💥)", md, re.MULTILINE)) == len(doc["results"])
    note = "partial: {tests_run} of {tests_collected} tests ran".format(**doc)
    assert (note in md) == (not doc["complete"])
    if HTML:
        page = (path / f"{stem}.html").read_text()
        assert page.count('<article id="check-') == len(doc["results"])
        assert f"Created {doc['created']}" in page
        assert (note in page) == (not doc["complete"])
        assert f"({stem}.html#check-" in md  # the summary links into its own set's page


def _no_temporaries(path: Path) -> None:
    assert not list(path.glob(".r.*.tmp")), "temporary files left behind"


def test_ctrl_c_during_tests_writes_partial_reports_and_a_complete_run_removes_them(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    previous = _previous(suite.path)
    monkeypatch.setenv("EQUICHECK_TEST_CTRL_C", "1")
    result = _run(suite)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    out = result.stdout.str()
    assert "equicheck: 3 checks, 1 failed (partial: 2 of 5 tests ran (KeyboardInterrupt))" in out
    assert f"equicheck partial report written: {suite.path / 'r.partial.json'}" in out
    assert _contents(suite.path, COMPLETE) == previous  # the previous complete reports: untouched
    doc = _doc(suite.path / "r.partial.json")
    assert (doc["complete"], doc["tests_run"], doc["tests_collected"]) == (False, 2, 5)
    assert doc["stopped"] == "KeyboardInterrupt"
    # the checks test_3 finished before Ctrl-C are kept; nothing after it ran
    assert _tests(doc) == ["test_1", "test_2", "test_3"]
    assert doc["arrays_file"] == "r.partial.arrays.npz"
    assert set(_contents(suite.path, PARTIAL)) == set(PARTIAL)
    _agree(suite.path, "r.partial")
    assert (suite.path / "r.partial.md").read_text().startswith("## ❌ equicheck: 1 of 3 checks failed")

    monkeypatch.delenv("EQUICHECK_TEST_CTRL_C")
    result = _run(suite)
    result.assert_outcomes(passed=5)
    assert "(partial" not in result.stdout.str() and "partial report written" not in result.stdout.str()
    doc = _doc(suite.path / "r.json")
    assert (doc["complete"], doc["tests_run"], doc["tests_collected"], doc["stopped"]) == (True, 5, 5, None)
    assert _tests(doc) == ["test_1", "test_2", "test_3", "test_4"]
    assert _contents(suite.path, PARTIAL) == {}  # stale partial files removed, sidecar too
    _agree(suite.path, "r")
    _no_temporaries(suite.path)


@pytest.mark.parametrize("when", list(CTRL_C_BEFORE))
def test_ctrl_c_before_any_test_leaves_the_previous_reports(suite: pytest.Pytester, when: str):
    suite.makeconftest(CTRL_C_BEFORE[when])
    previous = _previous(suite.path)
    result = _run(suite)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    # no "no checks recorded" report in place of the previous complete ones
    assert _contents(suite.path, COMPLETE) == previous
    doc = _doc(suite.path / "r.partial.json")
    collected = None if when == "collection" else 5
    assert (doc["complete"], doc["tests_run"], doc["tests_collected"], doc["results"]) == (
        False,
        0,
        collected,
        [],
    )
    md = (suite.path / "r.partial.md").read_text()
    note = (
        "partial: 0 tests ran, collection did not finish"
        if collected is None
        else "partial: 0 of 5 tests ran"
    )
    assert note in md and note in result.stdout.str()


@pytest.mark.skipif(not HTML, reason="needs jinja2 and matplotlib")
def test_ctrl_c_while_the_html_is_drawn_replaces_no_file(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    suite.makeconftest(HTML_CTRL_C)
    result = _run(suite)
    result.assert_outcomes(passed=5)
    _agree(suite.path, "r")
    complete = _contents(suite.path, COMPLETE)
    assert set(complete) == set(COMPLETE)

    monkeypatch.setenv("EQUICHECK_TEST_HTML_CTRL_C", "1")
    for ctrl_c_in_a_test in (False, True):  # while a complete report is written, then a partial one
        if ctrl_c_in_a_test:
            monkeypatch.setenv("EQUICHECK_TEST_CTRL_C", "1")
        result = _run(suite)
        assert result.ret == pytest.ExitCode.INTERRUPTED
        assert "interrupted while writing the reports: no report file was replaced" in result.stdout.str()
        # all or none: the new JSON and Markdown did not replace the previous ones either
        assert _contents(suite.path, COMPLETE) == complete
        assert _contents(suite.path, PARTIAL) == {}
        _no_temporaries(suite.path)
    _agree(suite.path, "r")


def test_xdist_ctrl_c_writes_partial_reports_from_the_controller(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    pytest.importorskip("xdist")
    previous = _previous(suite.path)
    monkeypatch.setenv("EQUICHECK_TEST_CTRL_C", "1")
    result = _run(suite, "-n", "2")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert _contents(suite.path, COMPLETE) == previous
    doc = _doc(suite.path / "r.partial.json")
    assert doc["complete"] is False and doc["tests_collected"] == 5 and doc["tests_run"] < 5
    assert "keyboard-interrupt" in doc["stopped"]
    assert "test_3" not in _tests(doc)  # the interrupted worker could not send its checks
    _agree(suite.path, "r.partial")
    # only the controller wrote: each file is announced once
    out = result.stdout.str()
    assert out.count(f"equicheck partial report written: {suite.path / 'r.partial.json'}") == 1


def test_a_run_stopped_by_x_is_partial(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """-x after test_2's failure: the checks that ran are real, but tests 3-5 did not run,
    so the report does not stand for the suite and goes to the partial files."""
    previous = _previous(suite.path)
    monkeypatch.setenv("EQUICHECK_TEST_FAIL", "1")
    result = _run(suite, "-x")
    result.assert_outcomes(passed=1, failed=1)
    assert _contents(suite.path, COMPLETE) == previous
    doc = _doc(suite.path / "r.partial.json")
    assert (doc["complete"], doc["tests_run"], doc["tests_collected"]) == (False, 2, 5)
    assert doc["stopped"] == "stopping after 1 failures"
    assert _tests(doc) == ["test_1", "test_2"]
