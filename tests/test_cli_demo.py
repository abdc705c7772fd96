"""``equicheck demo``: the built-in audit end to end, and a claim that does not hold."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from equicheck.cli import main
from equicheck.demo import CLAIMS, DEFAULT_REPORT, report_paths, run_demo
from equicheck.demo import networks as demo

pytest.importorskip("jinja2")
pytest.importorskip("matplotlib")


def test_demo_quick_end_to_end(tmp_path: Path):
    """As README runs it: one process, every claim holds, the page and the data exist."""
    target = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "equicheck", "demo", "--quick", "--report", str(target)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""  # the progress bar stays off when stderr is not a terminal
    out = proc.stdout
    html, data = target / "demo.html", target / "demo.json"
    assert f"report: {html}" in out and f"data:   {data}" in out
    assert f"{len(CLAIMS)} claims: {len(CLAIMS)} hold, 0 do not hold" in out
    page = html.read_text()
    report = json.loads(data.read_text())
    claims = {r["extra"]["claim"]["id"] for r in report["results"]}
    assert claims == set(CLAIMS)
    for claim_id in CLAIMS:
        assert f'id="claim-{claim_id}"' in page
    titles = {r["extra"]["claim"]["title"] for r in report["results"]}
    for title in titles:
        assert title in page and title in out
    assert page.count("<img ") >= 7 + len(report["results"])  # claim figures and check plots
    assert "does not hold</span>" not in page
    assert all(r["test_id"].startswith("demo::") for r in report["results"])
    assert report["environments"][0]["command"] == f"equicheck demo --quick --report {target}"


def _broken_builders(original):
    """The reference networks, with the 'circular' one padded with zeros: its claim is false."""

    def builders():
        table = original()
        table["conv_circular"] = table["conv_zeros"]
        return table

    return builders


def test_a_claim_that_does_not_hold_is_shown_with_its_counterexample(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(demo, "_builders", _broken_builders(demo._builders))
    out = io.StringIO()
    run = run_demo(mode="quick", only=["conv-circular"], report=tmp_path / "r.html", out=out)
    assert not run.holds
    text = out.getvalue()
    assert "DOES NOT HOLD A convolution with circular padding" in text
    assert "CONTRADICTS THE CLAIM" in text
    assert "counterexample: shift(" in text
    assert "1 claim: 0 hold, 1 does not hold" in text
    page = (tmp_path / "r.html").read_text()
    assert "does not hold</span>" in page
    assert "contradicts the claim" in page
    assert "Counterexample (after shrinking)" in page
    assert "<details id=" in page and " open>" in page  # the contradicting check is unfolded
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["results"][0]["extra"]["claim"]["holds"] is False
    assert Path(data["results"][0]["counterexample"]["path"]).is_file()  # replayable


def test_demo_exit_status_1_when_a_claim_does_not_hold(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setattr(demo, "_builders", _broken_builders(demo._builders))
    status = main(["demo", "--quick", "--claim", "conv-circular", "--report", str(tmp_path)])
    assert status == 1
    assert "DOES NOT HOLD" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--claim", "nonsense"], "unknown claim nonsense"),
        (["demo", "--report", "out.txt"], "a .html or .json path or a folder"),
        (["demo", "--backend", "nonesuch"], "nonesuch"),
    ],
)
def test_demo_usage_errors_exit_2(argv: list[str], message: str, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("equicheck demo: error:") and message in err


def test_demo_quick_and_full_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as info:
        main(["demo", "--quick", "--full"])
    assert info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_report_paths():
    assert report_paths(None) == (DEFAULT_REPORT, DEFAULT_REPORT.with_suffix(".json"))
    assert report_paths("a/b.html") == (Path("a/b.html"), Path("a/b.json"))
    assert report_paths("a/b.json") == (Path("a/b.html"), Path("a/b.json"))
    assert report_paths("folder") == (Path("folder/demo.html"), Path("folder/demo.json"))
    with pytest.raises(ValueError, match="folder"):
        report_paths("a.txt")


def test_every_reference_network_builds_and_replays_by_name():
    x = demo.network("cnn_p4", seed=3)
    assert x.num_parameters() > 0
    with pytest.raises(KeyError, match="cnn_maxpool"):
        demo.network("no_such_network")
    assert set(demo.NETWORKS) >= {"conv_circular", "conv_zeros", "cnn_maxpool", "cnn_p4", "dense_mnist"}


def test_without_matplotlib_the_demo_checks_everything_and_writes_json(tmp_path: Path):
    """HTML needs jinja2 and matplotlib (dependencies a broken environment may lack); the claims
    and JSON do not."""
    code = (
        "import sys; sys.modules['matplotlib'] = None; sys.modules['jinja2'] = None\n"
        "from equicheck.cli import main\n"
        "argv = ['demo', '--quick', '--claim', 'conv-zero-padding', '--report', sys.argv[1]]\n"
        "raise SystemExit(main(argv))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "HOLDS" in proc.stdout and "no HTML report: HTML reports need jinja2 and matplotlib" in proc.stdout
    assert (tmp_path / "demo.json").is_file() and not (tmp_path / "demo.html").exists()
