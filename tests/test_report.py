"""Reports from real check results: JSON round trip and schema, merging, Markdown, HTML, plots."""

from __future__ import annotations

import copy
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

from equicheck import CheckResult
from equicheck.report import (
    SCHEMA_VERSION,
    Report,
    ReportError,
    capture,
    combine,
    merge,
    read_json,
    read_reports,
    render_markdown,
    sidecar_path,
    write_json,
)
from equicheck.report.atomic import atomic_write_text

pytest.importorskip("jinja2")
pytest.importorskip("matplotlib")


@pytest.fixture
def report(report_results: list[CheckResult]) -> Report:
    return Report.of(copy.deepcopy(report_results), capture(), created="2026-01-01T00:00:00+00:00")


# --- JSON -------------------------------------------------------------------------------------
def test_json_round_trip_keeps_every_field_and_moves_arrays_to_the_sidecar(report: Report, tmp_path: Path):
    report.results[0].max_error = math.inf  # JSON has no inf: written as a string, read back
    written = write_json(report, tmp_path / "r.json")
    assert written == [tmp_path / "r.json", sidecar_path(tmp_path / "r.json")]
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["format"] == "equicheck-report" and doc["version"] == SCHEMA_VERSION
    assert doc["arrays_file"] == "r.arrays.npz"
    assert doc["summary"]["checks"] == len(report.results)
    assert doc["results"][0]["max_error"] == "inf"
    text = (tmp_path / "r.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    failed = next(r for r in doc["results"] if r["verdict"] == "failed")
    ref = failed["counterexample"]["arrays"]["input"]
    assert set(ref) == {"$array", "shape", "dtype"}  # a reference, not inline floats
    for key in ("version", "created", "environments"):
        assert key in doc
    env = doc["environments"][0]
    assert {"machine", "python", "libraries"} <= set(env) and "numpy" in env["libraries"]

    back = read_json(tmp_path / "r.json")
    assert back.created == report.created and back.environments == json.loads(json.dumps(report.environments))
    for before, after in zip(report.results, back.results):
        a, b = before.to_dict(), after.to_dict()
        assert json.dumps(a, default=str, sort_keys=True) == json.dumps(b, default=str, sort_keys=True)
    ce = next(r for r in back.results if r.counterexample is not None).counterexample
    assert isinstance(ce.arrays["input"], np.ndarray) and ce.arrays["input"].ndim == 2


def test_json_without_sidecar_reads_with_arrays_left_out(report: Report, tmp_path: Path):
    write_json(report, tmp_path / "r.json")
    sidecar_path(tmp_path / "r.json").unlink()
    back = read_json(tmp_path / "r.json")
    assert [r.verdict for r in back.results] == [r.verdict for r in report.results]
    assert all(not r.counterexample.arrays for r in back.results if r.counterexample)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": "something-else"}', "not an equicheck report"),
        ('{"format": "equicheck-report", "version": 999}', "newer than this equicheck reads"),
        ('{"format": "equicheck-report"}', "no integer schema version"),
    ],
)
def test_bad_report_files_are_refused_with_the_reason(tmp_path: Path, content: str, message: str):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ReportError, match=message):
        read_json(path)


def test_atomic_write_leaves_no_temporary_file_and_keeps_the_old_file_on_failure(tmp_path: Path):
    target = tmp_path / "sub" / "out.json"
    atomic_write_text(target, "first")
    assert target.read_text() == "first" and os.listdir(target.parent) == ["out.json"]

    from equicheck.report.atomic import atomic_write

    def broken(handle):
        handle.write(b"half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_text() == "first" and os.listdir(target.parent) == ["out.json"]


# --- merging --------------------------------------------------------------------------------
def test_merge_keeps_every_result_and_each_environment_once(report: Report, tmp_path: Path):
    other = Report.of(copy.deepcopy(report.results[:2]), {"machine": {"hostname": "ci-2"}})
    write_json(report, tmp_path / "a.json")
    write_json(other, tmp_path / "b.json")
    write_json(report, tmp_path / "c.json")
    merged = read_reports([tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"])
    assert len(merged.results) == 2 * len(report.results) + 2
    assert len(merged.environments) == 2  # a and c ran in the same environment
    n = len(report.results)
    assert merged.origins == [0] * n + [1, 1] + [0] * n
    assert merged.environment_of(n)["machine"]["hostname"] == "ci-2"


def test_combine_adds_up_repeated_calls_and_keeps_the_worst(report_results: list[CheckResult]):
    passed, failed = report_results[0], report_results[1]
    one = combine([passed, failed, passed])
    assert one.verdict == "failed" and one.counterexample is failed.counterexample
    assert one.examples == 2 * passed.examples + failed.examples
    assert one.max_error == max(passed.max_error, failed.max_error)
    assert one.extra["combined_calls"] == 3
    assert {e.element for e in one.errors} == {e.element for e in passed.errors + failed.errors}
    assert merge([Report.of([one])]).results == [one]


# --- Markdown --------------------------------------------------------------------------------------
def test_markdown_lists_failures_first_escapes_names_and_links_the_html(report: Report):
    text = render_markdown(report, html_link="out/report.html")
    lines = [line for line in text.splitlines() if line.startswith("| [")]
    assert len(lines) == len(report.results)
    verdicts = [re.search(r"(passed|failed|error)", line).group(1) for line in lines]
    assert verdicts == sorted(verdicts, key=lambda v: v == "passed")  # failures first
    assert "(out/report.html)" in text and "(out/report.html#check-" in text
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;" in text
    for line in lines:  # every row keeps its 8 cells: a '|' in a name is escaped
        assert len(re.findall(r"(?<!\\)\|", line)) == 9


def test_markdown_stays_within_the_size_limit_and_says_what_it_left_out(report: Report):
    many = Report.of([report.results[1]] * 300)
    text = render_markdown(many, limit=20_000)
    assert len(text.encode()) <= 20_000
    assert "more checks not shown" in text
    assert text.index("| ❌ failed") < text.index("more checks not shown")
    few = render_markdown(Report.of([report.results[1]] * 3), limit=20_000)
    assert "### Failures" in few and few.count("Replay") == 0  # no replay file was saved
    from equicheck.report.markdown import DEFAULT_LIMIT

    assert DEFAULT_LIMIT < 1024 * 1024  # GitHub's step summary limit


# --- HTML ------------------------------------------------------------------------------------------
def test_html_is_self_contained_escaped_and_byte_stable(report: Report, tmp_path: Path):
    from equicheck.report.html import render_html

    tampered = report.results[-1]  # markup in element reprs and messages stays text too
    tampered.worst_element = "<svg onload=alert(3)>"
    tampered.errors[0].element = "<script>alert(4)</script>"
    tampered.message = "</pre><script>alert(5)</script>"
    tampered.verdict = "failed"

    page = render_html(report)
    assert page == render_html(report)  # byte-stable: same report, same bytes
    assert "<script" not in page.lower()  # nothing injected, and no script of ours
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in page
    assert 'onerror="' not in page and "&lt;img src=x onerror=" in page
    assert "<svg onload" not in page and "&lt;/pre&gt;&lt;script&gt;alert(5)" in page
    assert not re.search(r"(src|href)=\"(https?:|//)", page)  # no network
    assert "default-src 'none'" in page  # and a CSP that forbids it anyway
    srcs = re.findall(r'<img src="([^"]+)"', page)
    assert srcs and all(s.startswith("data:image/svg+xml;base64,") for s in srcs)
    for result in report.results:  # one section per check, linked from the summary
        assert result.function.replace("<", "&lt;").replace("'", "&#39;").split("&lt;")[0] in page
    assert page.count('<article id="check-') == len(report.results)
    assert page.count('href="#check-') == len(report.results)
    failed = next(r for r in report.results if r.verdict == "failed" and r.counterexample)
    assert "Counterexample (after shrinking)" in page and failed.counterexample.element in page


def test_html_shows_a_plot_per_element_an_error_map_and_the_counterexample(report: Report):
    from equicheck.report.figures import plots

    failed = next(r for r in report.results if r.group == "c4" and r.verdict == "failed")
    names = [p.name.split("-", 1)[1] for p in plots(failed)]
    assert names == ["elements", "error-map", "counterexample"]
    assert [p.name.split("-", 1)[1] for p in plots(report.results[0])] == ["elements", "error-map"]


# --- plots -----------------------------------------------------------------------------------------
def _svg_text(svg: bytes) -> str:
    text = svg.decode()
    assert text.lstrip().startswith("<?xml") and "</svg>" in text
    return text


def test_plots_are_byte_stable_svg_without_a_date(report: Report):
    from equicheck.report.figures import plots

    for result in (report.results[1], report.results[2]):  # bars, heat map, arrays
        first, second = plots(result), plots(result)
        assert [p.svg for p in first] == [p.svg for p in second]
        for p in first:
            assert "<dc:date>" not in _svg_text(p.svg)


def test_element_plot_fits_the_group(report: Report):
    from equicheck.report.figures import element_error_figure, to_svg

    by_test = {r.test_id.split("::")[1].split("[")[0]: r for r in report.results}
    shifts = _svg_text(to_svg(element_error_figure(by_test["test_t"])))
    assert "Error per shift (dy, dx)" in shifts  # heat map over (dy, dx)
    p4 = _svg_text(to_svg(element_error_figure(by_test["test_p4"])))
    assert "rot90(k=1)" in p4 and "Error per shift" in p4  # one panel per rotation
    bars = _svg_text(to_svg(element_error_figure(by_test["test_c4"])))
    assert "Error per group element" in bars and "rot90(k=3)" in bars
    curve = _svg_text(to_svg(element_error_figure(by_test["test_curve"])))
    assert "interpolation floor" in curve and "rotation angle (degrees)" in curve
    assert "allowed (4 × floor)" in curve  # judged against kappa x floor, not one tolerance

    angles = copy.deepcopy(by_test["test_c4"])
    angles.errors = [
        type(e)(f"rotate(degrees={d:.1f})", 1e-4 * d, 1) for e, d in zip(angles.errors * 3, range(12))
    ]
    line = _svg_text(to_svg(element_error_figure(angles)))
    assert "rotation angle (degrees)" in line


def test_extra_figures_of_any_type_travel_and_write(report_results: list[CheckResult], tmp_path: Path):
    """execnet (xdist) and JSON take plain data only; a check may put NumPy scalars or any
    object in ``extra`` (np.float64 is also a float, which once slipped through)."""
    from equicheck.report.arrays import pack, unpack

    result = copy.deepcopy(report_results[1])
    result.extra["curve"] = {"errors": [np.float64(0.5)], "values": (np.int64(3),)}
    result.extra["object"] = Path("somewhere")
    data = pack(result.to_dict())
    assert type(data["extra"]["curve"]["errors"][0]) is float and data["extra"]["curve"]["values"] == [3]
    assert data["extra"]["object"] == "somewhere"
    assert CheckResult.from_dict(unpack(data)).counterexample.arrays["input"].ndim == 2
    write_json(Report.of([result]), tmp_path / "r.json")
    assert read_json(tmp_path / "r.json").results[0].extra["object"] == "somewhere"
