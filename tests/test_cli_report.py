"""``equicheck report``: merge JSON reports from several jobs and render them."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from equicheck import CheckResult
from equicheck.cli import COMMANDS, build_parser, main
from equicheck.report import Report, write_json


@pytest.fixture
def two_jobs(report_results: list[CheckResult], tmp_path: Path) -> list[Path]:
    """Two JSON reports as two CI jobs would leave them (different machines)."""
    passed = [r for r in report_results if r.passed][:2]
    failed = [r for r in report_results if not r.passed][:1]
    a = Report.of(copy.deepcopy(passed), {"machine": {"hostname": "job-a"}})
    b = Report.of(copy.deepcopy(failed + passed[:1]), {"machine": {"hostname": "job-b"}})
    write_json(a, tmp_path / "a.json")
    write_json(b, tmp_path / "b.json")
    return [tmp_path / "a.json", tmp_path / "b.json"]


def test_report_merges_jobs_into_json_and_markdown(two_jobs: list[Path], tmp_path: Path, capsys):
    out = tmp_path / "merged"
    status = main(
        [
            "report",
            *map(str, two_jobs),
            "-o",
            str(out / "all.json"),
            "-o",
            str(out / "all.md"),
            "--title",
            "CI",
        ]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert f"wrote {out / 'all.json'}" in printed and "4 checks: 3 passed, 1 failed" in printed
    doc = json.loads((out / "all.json").read_text())
    assert doc["title"] == "CI" and len(doc["results"]) == 4
    hosts = [doc["environments"][r["environment"]]["machine"]["hostname"] for r in doc["results"]]
    assert hosts == ["job-a", "job-a", "job-b", "job-b"]
    assert (out / "all.arrays.npz").exists()
    md = (out / "all.md").read_text()
    assert "1 of 4 checks failed" in md and "](" not in md.split("\n")[2]  # no HTML to link to


def test_report_renders_html_linked_from_the_markdown(two_jobs: list[Path], tmp_path: Path):
    pytest.importorskip("jinja2")
    pytest.importorskip("matplotlib")
    status = main(
        ["report", *map(str, two_jobs), "-o", str(tmp_path / "r.html"), "-o", str(tmp_path / "r.md")]
    )
    assert status == 0
    page = (tmp_path / "r.html").read_text()
    assert page.count('<article id="check-') == 3 + 1 and "data:image/svg+xml;base64," in page
    assert "(r.html#check-" in (tmp_path / "r.md").read_text()


def test_report_without_outputs_prints_the_table_and_strict_fails(two_jobs: list[Path], capsys):
    assert main(["report", str(two_jobs[0])]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0].startswith("verdict") and "2 checks: 2 passed" in printed
    assert main(["report", *map(str, two_jobs), "--strict"]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.json"], "cannot read missing.json"),
        (["{a}", "-o", "out.txt"], "unsupported report format '.txt'"),
    ],
)
def test_report_usage_errors(two_jobs: list[Path], capsys, args: list[str], message: str):
    args = [a.replace("{a}", str(two_jobs[0])) for a in args]
    assert main(["report", *args]) == 2
    assert message in capsys.readouterr().err


def test_every_command_is_registered_in_one_place():
    parser, runners = build_parser()
    assert "report" in runners and len(COMMANDS) >= 1
    with pytest.raises(SystemExit) as exc:
        parser.parse_args([])
    assert exc.value.code == 2
