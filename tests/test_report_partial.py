"""Partial reports (runs that did not complete) and all-or-none writing, without pytest runs:
the JSON fields and schema versions, merging, the headers of every format, the file names
the plugin uses, and the ``equicheck report`` command."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from equicheck import CheckResult
from equicheck.cli import main
from equicheck.report import (
    SCHEMA_VERSION,
    Report,
    ReportError,
    merge,
    partial_path,
    read_json,
    render_markdown,
    write_json,
    write_reports,
    write_run_reports,
)
from equicheck.report.atomic import atomic_write_all
from equicheck.report.jsonfile import from_json_dict, to_json_dict

try:
    import jinja2  # noqa: F401
    import matplotlib  # noqa: F401

    HTML = True
except ImportError:
    HTML = False

PARTIAL = {"complete": False, "tests_run": 58, "tests_collected": 120, "stopped": "KeyboardInterrupt"}


@pytest.fixture
def partial(report_results: list[CheckResult]) -> Report:
    return Report.of(copy.deepcopy(report_results[:3]), {"machine": {"hostname": "a"}}, **PARTIAL)


@pytest.fixture
def complete(report_results: list[CheckResult]) -> Report:
    return Report.of(
        copy.deepcopy(report_results[:2]), {"machine": {"hostname": "b"}}, tests_run=4, tests_collected=4
    )


def _interrupt(handle: object) -> None:
    raise KeyboardInterrupt


def test_atomic_write_all_replaces_all_or_none(tmp_path: Path):
    a, b = tmp_path / "a.txt", tmp_path / "sub" / "b.txt"
    a.write_text("old a")
    with pytest.raises(KeyboardInterrupt):
        atomic_write_all([(a, lambda h: h.write(b"new a")), (b, _interrupt)])
    assert a.read_text() == "old a" and not b.exists()
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["a.txt"]  # no temporaries left
    assert atomic_write_all([(a, lambda h: h.write(b"new a")), (b, lambda h: h.write(b"b"))]) == [a, b]
    assert (a.read_text(), b.read_text()) == ("new a", "b")


def test_partial_fields_round_trip_in_schema_2(partial: Report, tmp_path: Path):
    assert SCHEMA_VERSION == 2
    write_json(partial, tmp_path / "r.json")
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["version"] == 2 and {k: doc[k] for k in PARTIAL} == PARTIAL
    back = read_json(tmp_path / "r.json")
    assert (back.complete, back.tests_run, back.tests_collected, back.stopped) == tuple(PARTIAL.values())
    assert back.partial_note() == "partial: 58 of 120 tests ran (KeyboardInterrupt)"


def test_a_version_1_report_reads_as_complete(complete: Report):
    doc, _ = to_json_dict(complete)
    doc["version"] = 1
    for name in ("complete", "tests_run", "tests_collected", "stopped"):
        del doc[name]
    back = from_json_dict(doc)
    assert back.complete and back.tests_run is None and back.partial_note() == ""


@pytest.mark.parametrize(("name", "value"), [("complete", "no"), ("tests_run", -1), ("tests_collected", "5")])
def test_bad_partial_fields_are_refused(complete: Report, name: str, value: object):
    doc, _ = to_json_dict(complete)
    doc[name] = value
    with pytest.raises(ReportError, match=name):
        from_json_dict(doc)


def test_partial_notes():
    assert (
        Report(complete=False, tests_run=0).partial_note()
        == "partial: 0 tests ran, collection did not finish"
    )
    assert Report(complete=False).partial_note() == "partial: the run did not complete"
    assert Report(tests_run=3, tests_collected=3).partial_note() == ""


def test_merging_a_partial_report_is_partial(partial: Report, complete: Report):
    merged = merge([complete, partial])
    assert not merged.complete and (merged.tests_run, merged.tests_collected) == (62, 124)
    assert merged.partial_note() == "partial: 62 of 124 tests ran (KeyboardInterrupt)"
    assert merge([complete, complete]).complete
    unknown = merge([partial, Report.of([], {})])  # a report without counts: totals unknown
    assert not unknown.complete and unknown.tests_run is None


def test_markdown_and_html_headers_say_partial(partial: Report, complete: Report):
    md = render_markdown(partial)
    assert md.splitlines()[2].startswith("> ⚠️ **partial: 58 of 120 tests ran")
    assert "partial" not in render_markdown(complete)
    passing = Report.of([r for r in partial.results if r.passed], {}, **PARTIAL)
    assert render_markdown(passing).startswith("## ⚠️ equicheck: all")  # not a green tick
    if HTML:
        from equicheck.report import render_html

        assert '<p class="partial"><strong>partial: 58 of 120 tests ran (KeyboardInterrupt)</strong>' in (
            render_html(partial, plots=False)
        )
        assert 'class="partial"' not in render_html(complete, plots=False)


def test_write_reports_is_all_or_none(complete: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if not HTML:
        pytest.skip("needs jinja2 and matplotlib")
    import equicheck.report.html

    paths = [tmp_path / "r.json", tmp_path / "r.html", tmp_path / "r.md"]
    for p in paths:
        p.write_text("previous\n")

    def render_html(*args: object, **kwargs: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(equicheck.report.html, "render_html", render_html)
    with pytest.raises(KeyboardInterrupt):
        write_reports(complete, paths)
    assert [p.read_text() for p in paths] == ["previous\n"] * 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.json", "r.md"]


def test_run_reports_go_beside_the_requested_ones_when_partial(
    partial: Report, complete: Report, tmp_path: Path
):
    paths = [tmp_path / "r.json", tmp_path / "r.md"]
    assert partial_path(paths[0]) == tmp_path / "r.partial.json"
    for p in paths:
        p.write_text("previous\n")
    written = write_run_reports(partial, paths)
    assert [p.name for p in written] == ["r.partial.json", "r.partial.arrays.npz", "r.partial.md"]
    assert [p.read_text() for p in paths] == ["previous\n"] * 2
    assert not read_json(tmp_path / "r.partial.json").complete

    written = write_run_reports(complete, paths)
    assert {p.name for p in written} == {"r.json", "r.arrays.npz", "r.md"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "r.arrays.npz",
        "r.json",
        "r.md",
    ]  # stale partials gone


def test_the_report_command_shows_partial_reports(partial: Report, complete: Report, tmp_path: Path, capsys):
    write_json(partial, tmp_path / "p.json")
    write_json(complete, tmp_path / "c.json")
    assert main(["report", str(tmp_path / "p.json")]) == 0
    assert (
        "partial: 58 of 120 tests ran (KeyboardInterrupt): the run did not complete"
        in capsys.readouterr().out
    )
    assert main(["report", str(tmp_path / "c.json")]) == 0
    assert "partial" not in capsys.readouterr().out
    out = tmp_path / "m.json"
    assert main(["report", str(tmp_path / "c.json"), str(tmp_path / "p.json"), "-o", str(out)]) == 0
    assert "partial: 62 of 124 tests ran" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert (doc["complete"], doc["tests_run"], doc["tests_collected"]) == (False, 62, 124)
