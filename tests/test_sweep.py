"""Sweeps (equicheck.sweep, `equicheck sweep`): targets by reference, bad input refused before
any work, the cache (resume, --rerun-failed, --no-cache, what changes a key), Ctrl-C, per-cell
timeouts, counterexamples brought home, the matrix view, the CLI's exit codes, the example.

The Dask LocalCluster and the process pool on the same 12-cell sweep: tests/test_sweep_dask.py.
Targets live in tests/sweep_targets.py (workers import them through the sweep's `path`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import equicheck
from equicheck.report import read_json, render_html, render_markdown
from equicheck.report.matrix import sweep_matrix
from equicheck.sweeps import (
    Serial,
    SweepError,
    SweepInterrupted,
    make_executor,
    make_sweep,
    parse_target,
    read_sweep,
    run_sweep,
)

ROOT = Path(__file__).resolve().parents[1]
TESTS = str(ROOT / "tests")
TINY = {"max_examples": 3, "sizes": [4, 8]}


def _sweep(targets, groups=("c4",), **kwargs):
    kwargs.setdefault("check", TINY)
    kwargs.setdefault("path", [TESTS])
    return make_sweep(list(targets), list(groups), **kwargs)


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), EQUICHECK_NO_PROGRESS="1")
    return env


# --- targets ------------------------------------------------------------------------------------
def test_targets_are_read_with_ast_into_a_canonical_reference():
    t = parse_target("pkg.models : make( 16, depth=2, path='ckpt.pt', sizes=[1, 2])".replace(" : ", ":"))
    assert (t.module, t.name, t.call) == ("pkg.models", "make", True)
    assert t.args == (16,) and dict(t.kwargs) == {"depth": 2, "path": "ckpt.pt", "sizes": [1, 2]}
    assert t.text == "pkg.models:make(16, depth=2, path='ckpt.pt', sizes=[1, 2])"
    assert t.path_arguments() == ["ckpt.pt"]
    plain = parse_target("pkg.models:Net.forward")
    assert (plain.name, plain.call, plain.text) == ("Net.forward", False, "pkg.models:Net.forward")
    assert parse_target("m:Net()").text == "m:Net()"


@pytest.mark.parametrize(
    "text, words",
    [
        ("models", "package.module:name"),
        ("models:", "package.module:name"),
        ("my-models:f", "not a module name"),
        ("m:make(width=16", "cannot read"),
        ("m:make(width=os.getpid())", "literals"),
        ("m:make(*args)", "*args"),
        ("m:make(**kw)", "*args"),
        ("m:__import__('os').system('true')", "a name"),
        ("m:f[0]", "a name"),
        ("m:f + 1", "a name"),
    ],
)
def test_bad_targets_are_refused_with_what_to_write(text, words):
    with pytest.raises(SweepError, match="target|module") as info:
        parse_target(text)
    assert words in str(info.value)


def test_a_target_is_rebuilt_from_its_reference():
    t = parse_target("sweep_targets:make_scaled(factor=3.0)")
    sys.path.insert(0, TESTS)
    try:
        f = t.load()
    finally:
        sys.path.remove(TESTS)
    assert np.array_equal(f(np.ones(3)), np.full(3, 3.0))


# --- the grid and bad input -----------------------------------------------------------------------
def test_the_grid_is_every_combination_with_unique_labels():
    spec = _sweep(
        ["sweep_targets:absolute", "sweep_targets:square"],
        ["c4", "flips"],
        dtypes=["float32", "float64"],
        seeds=[0, 1],
        grid={"margin": [0, 1]},
    )
    assert len(spec.cells) == 2 * 2 * 2 * 2 * 2
    labels = [c.label for c in spec.cells]
    assert len(set(labels)) == len(labels)
    assert "margin=1" in labels[-1] and "seed=1" in labels[-1]
    assert spec.cells[0].check_keywords()["dtypes"] == ["float32"]


def _toml(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = f'targets = ["sweep_targets:absolute"]\ngroups = ["c4"]\npath = ["{TESTS}"]\n'


@pytest.mark.parametrize(
    "text, words",
    [
        ("targets = [", "not valid TOML"),
        (GOOD + "group = ['c4']\n", "unknown key 'group' (did you mean 'groups'"),
        (GOOD.replace('"c4"', '"c5"'), "groups:"),
        (GOOD + "[check]\nmax_example = 3\n", "no keyword 'max_example' (did you mean 'max_examples'"),
        (GOOD + "[check]\nseed = 3\n", "'seed' is set by the sweep from seeds"),
        (GOOD + "[check]\nmax_examples = 0\n", "at least 1"),
        (GOOD + "[grid]\nmargin = 1\n", "grid.margin must be a non-empty list"),
        (GOOD + "dtypes = ['float33']\n", "float33"),
        (GOOD + "seeds = [-1]\n", "seed"),
        (GOOD + "timeout = -2\n", "timeout"),
        (GOOD + "actions = [{in = 'regular(axis=1)', out = 'spin'}]\n", "actions:"),
        (GOOD.replace("sweep_targets:absolute", "no_such_module_here:f"), "cannot find module"),
        (GOOD.replace('["c4"]', "[]"), "groups is an empty list"),
        ('groups = ["c4"]\n', "a sweep needs targets"),
    ],
)
def test_bad_sweep_files_are_refused_before_any_work(tmp_path, monkeypatch, text, words):
    monkeypatch.chdir(tmp_path)
    path = _toml(tmp_path, text)
    with pytest.raises(SweepError) as info:
        equicheck.sweep(path, serial=True)
    assert words in str(info.value)
    assert str(path) in str(info.value)  # the message names the file
    assert not (tmp_path / ".equicheck").exists()  # nothing ran, nothing was cached


def test_executor_options_are_checked_before_any_work(tmp_path):
    with pytest.raises(SweepError, match="choose one executor"):
        make_executor(workers=2, serial=True)
    with pytest.raises(SweepError, match="whole number"):
        make_executor(workers=0)
    with pytest.raises(SweepError, match="no such scheduler file"):
        make_executor(scheduler_file=tmp_path / "missing.json")
    assert isinstance(make_executor(serial=True), Serial)
    assert make_executor(workers=3).workers == 3


def test_a_sweep_file_reads_relative_to_its_folder(tmp_path):
    (tmp_path / "zoo_models_a.py").write_text("import numpy as np\ndef f(x):\n    return np.abs(x)\n")
    path = _toml(
        tmp_path,
        'name = "zoo"\ntargets = ["zoo_models_a:f"]\ngroups = ["c4", "flips"]\npath = ["."]\n'
        'cache = "here"\nversion = 7\ntimeout = 30\n[check]\nmax_examples = 2\n[grid]\nmargin = [0, 1]\n',
    )
    spec = read_sweep(path)
    assert spec.name == "zoo" and spec.path == (str(tmp_path),) and spec.cache_dir == tmp_path / "here"
    assert spec.version == "7" and spec.timeout == 30.0 and len(spec.cells) == 4
    assert dict(spec.cells[0].keywords) == {"margin": 0, "max_examples": 2}


# --- running, the cache, counterexamples ---------------------------------------------------------
def _verdicts(result) -> dict[str, str]:
    return {r.test_id: r.verdict for r in result.results}


def test_serial_sweep_brings_counterexamples_home_and_caches_every_cell(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = _sweep(
        ["sweep_targets:absolute", "sweep_targets:rolled", "sweep_targets:raises", "sweep_targets:exits()"],
        ["c4", "flips"],
    )
    first = run_sweep(spec, Serial())
    verdicts = {(r.function, r.group): r.verdict for r in first.results}
    assert verdicts == {
        ("sweep_targets:absolute", "c4"): "passed",
        ("sweep_targets:absolute", "flips"): "passed",
        ("sweep_targets:rolled", "c4"): "failed",
        ("sweep_targets:rolled", "flips"): "failed",
        ("sweep_targets:raises", "c4"): "error",
        ("sweep_targets:raises", "flips"): "error",
        ("sweep_targets:exits()", "c4"): "error",
        ("sweep_targets:exits()", "flips"): "error",
    }
    exits = next(r for r in first.results if r.function == "sweep_targets:exits()")
    assert exits.failure_kind == "import" and "SystemExit: planted" in exits.message
    assert first.complete and first.cached == 0 and first.exit_code() == 1
    folder = tmp_path / ".equicheck" / "sweeps" / "sweep"
    assert len(list((folder / "cells").glob("*.json"))) == 8
    failed = next(r for r in first.results if r.verdict == "failed")
    path = Path(failed.counterexample.path)
    assert path.parent == Path(".equicheck/sweeps/sweep/counterexamples") and path.is_file()
    assert "sweep_targets:rolled" in failed.counterexample.replay
    sys.path.insert(0, TESTS)
    try:
        import sweep_targets
    finally:
        sys.path.remove(TESTS)
    assert not equicheck.replay(str(path), sweep_targets.rolled).passed  # the file reproduces it
    assert equicheck.replay(str(path), sweep_targets.absolute).passed

    seen = []
    again = run_sweep(spec, Serial(), on_result=seen.append)
    assert again.cached == 8 and seen == [] and _verdicts(again) == _verdicts(first)
    assert all(r.extra["sweep"]["cached"] for r in again.results)

    rerun = run_sweep(spec, Serial(), rerun_failed=True, on_result=seen.append)
    assert rerun.cached == 2 and len(seen) == 6  # the failed and error cells only
    assert {r.verdict for r in seen} == {"failed", "error"}


def test_what_changes_a_cache_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = tmp_path / "zoo_models_b.py"
    module.write_text("import numpy as np\ndef make(path):\n    return np.abs\n")
    (tmp_path / "weights.txt").write_text("1")

    def run(**kwargs):
        kwargs.setdefault("check", TINY)
        spec = make_sweep(["zoo_models_b:make(path='weights.txt')"], ["c4"], path=[tmp_path], **kwargs)
        return run_sweep(spec, Serial())

    assert run().cached == 0
    assert run().cached == 1
    (tmp_path / "weights.txt").write_text("2")  # a checkpoint named by a factory argument
    assert run().cached == 0
    module.write_text(module.read_text() + "# edited\n")  # the target's module
    assert run().cached == 0
    assert run(version="v2").cached == 0  # the user's version
    assert run(version="v2").cached == 1
    assert run(version="v2", check={**TINY, "margin": 1}).cached == 0  # a keyword


def test_a_broken_cache_entry_or_a_lost_counterexample_runs_the_cell_again(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = _sweep(["sweep_targets:absolute", "sweep_targets:rolled"])
    run_sweep(spec, Serial())
    folder = tmp_path / ".equicheck" / "sweeps" / "sweep"
    entries = sorted((folder / "cells").glob("*.json"))
    passed = next(p for p in entries if json.loads(p.read_text())["result"]["verdict"] == "passed")
    passed.write_text(passed.read_text()[:50])  # truncated
    for npz in (folder / "counterexamples").glob("*.npz"):
        npz.unlink()
    again = run_sweep(spec, Serial())
    assert again.cached == 0 and [r.verdict for r in again.results] == ["passed", "failed"]
    assert Path(again.results[1].counterexample.path).is_file()


def test_no_cache_neither_reads_nor_writes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = _sweep(["sweep_targets:absolute"])
    run_sweep(spec, Serial())
    entries = list((tmp_path / ".equicheck/sweeps/sweep/cells").glob("*.json"))
    stamp = entries[0].stat().st_mtime_ns
    result = run_sweep(spec, Serial(), cache=False)
    assert result.cached == 0 and entries[0].stat().st_mtime_ns == stamp
    other = run_sweep(_sweep(["sweep_targets:square"], name="other"), Serial(), cache=False)
    assert other.results[0].passed and not (tmp_path / ".equicheck/sweeps/other/cells").exists()


def test_ctrl_c_leaves_a_partial_report_and_a_consistent_cache(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    targets = ["sweep_targets:absolute", "sweep_targets:rolled", "sweep_targets:square"]
    seen = []

    def stop_after_two(result):
        seen.append(result)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted) as info:
        equicheck.sweep(
            targets,
            ["c4", "flips"],
            check=TINY,
            path=[TESTS],
            serial=True,
            on_result=stop_after_two,
            report=["out.json", "out.md"],
        )
    partial = info.value.result
    assert not partial.complete and len(partial.results) == 2 and partial.cells == 6
    assert not (tmp_path / "out.json").exists()
    report = read_json(tmp_path / "out.partial.json")
    assert not report.complete and report.tests_run == 2 and report.tests_collected == 6
    assert report.stopped == "KeyboardInterrupt"
    assert "partial: 2 of 6" in (tmp_path / "out.partial.md").read_text()
    cells = list((tmp_path / ".equicheck/sweeps/sweep/cells").glob("*.json"))
    assert len(cells) == 2 and all(json.loads(p.read_text())["result"] for p in cells)
    assert not list((tmp_path / ".equicheck/sweeps/sweep/cells").glob(".*tmp"))

    done = equicheck.sweep(
        targets, ["c4", "flips"], check=TINY, path=[TESTS], serial=True, report=["out.json"]
    )
    assert done.complete and done.cached == 2 and len(done.results) == 6
    assert read_json(tmp_path / "out.json").complete
    assert not (tmp_path / "out.partial.json").exists()  # the stale partial report is gone


# --- the process pool: timeouts, workers' disks, interruption -------------------------------------
def test_a_cell_that_overruns_the_timeout_is_an_error_and_the_pool_goes_on(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = _sweep(
        [
            "sweep_targets:hangs",
            "sweep_targets:absolute",
            "sweep_targets:rolled",
            "sweep_targets:one_thread()",
        ],
        ["c4", "flips"],
        timeout=5,
    )
    start = time.perf_counter()
    result = run_sweep(spec, make_executor(workers=2, path=spec.path))
    elapsed = time.perf_counter() - start
    by_cell = {(r.function.split(":")[1], r.group): r for r in result.results}
    for group in ("c4", "flips"):
        hung = by_cell[("hangs", group)]
        assert (hung.verdict, hung.failure_kind) == ("error", "timeout")
        assert "did not finish within 5 s" in hung.message
        assert by_cell[("absolute", group)].verdict == "passed"
        assert by_cell[("rolled", group)].verdict == "failed"
        assert by_cell[("one_thread()", group)].verdict == "passed", by_cell[("one_thread()", group)].message
    assert elapsed < 60
    assert not (tmp_path / ".hypothesis").exists()  # workers write no Hypothesis files here
    ce = by_cell[("rolled", "c4")].counterexample
    assert Path(ce.path).is_file() and Path(ce.path).is_relative_to(".equicheck")


def test_ctrl_c_stops_the_process_pool_promptly_with_a_consistent_cache(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = _sweep(["sweep_targets:absolute", "sweep_targets:square", "sweep_targets:rolled"], ["c4", "flips"])

    def stop(result):
        raise KeyboardInterrupt

    start = time.perf_counter()
    partial = run_sweep(spec, make_executor(workers=2, path=spec.path), on_result=stop)
    assert time.perf_counter() - start < 60
    assert partial.stopped == "KeyboardInterrupt" and len(partial.results) == 1 and not partial.complete
    cells = list((tmp_path / ".equicheck/sweeps/sweep/cells").glob("*.json"))
    assert len(cells) == 1  # the one cell the client finished; nothing half-written
    done = run_sweep(spec, Serial())
    assert done.cached == 1 and done.complete


# --- the report's matrix ---------------------------------------------------------------------------
def test_the_report_has_a_matrix_of_targets_by_groups(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = equicheck.sweep(
        ["sweep_targets:absolute", "sweep_targets:rolled", "sweep_targets:raises"],
        ["translation", "c4"],
        dtypes=["float32", "float64"],
        check=TINY,
        path=[TESTS],
        serial=True,
        report=["r.json", "r.html", "r.md"],
    )
    matrix = sweep_matrix(result.report)
    assert matrix.rows == ["sweep_targets:absolute", "sweep_targets:rolled", "sweep_targets:raises"]
    assert matrix.columns == ["translation", "c4"]
    assert matrix.cell("sweep_targets:rolled", "translation").verdict == "passed"
    rolled = matrix.cell("sweep_targets:rolled", "c4")
    assert rolled.verdict == "failed" and rolled.checks == 2 and "2 of 2 fail" in rolled.text
    assert result.report.results[rolled.index].verdict == "failed"
    assert matrix.cell("sweep_targets:raises", "c4").text.startswith("error (exception)")
    html = (tmp_path / "r.html").read_text()
    assert 'id="matrix"' in html and 'class="cell-failed"' in html and 'class="cell-error"' in html
    assert f'href="#check-{rolled.index}"' in html
    md = (tmp_path / "r.md").read_text()
    assert "### Matrix" in md and "| sweep\\_targets:rolled | ✅" in md
    again = read_json(tmp_path / "r.json")  # the JSON alone rebuilds the matrix
    assert sweep_matrix(again) == matrix
    assert len(again.results) == 12 and again.results[0].test_id  # every cell's full check is there
    plain = equicheck.report.Report.of(again.results[:1])
    plain.results[0].extra.pop("sweep")
    assert sweep_matrix(plain) is None
    assert 'id="matrix"' not in render_html(plain, plots=False) and "Matrix" not in render_markdown(plain)


# --- the command line and the example --------------------------------------------------------------
def _cli(args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "equicheck", "sweep", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )


def test_cli_exit_codes(tmp_path):
    good = _toml(tmp_path, GOOD + "[check]\nmax_examples = 2\n")
    proc = _cli([str(good), "--serial", "--report", "r.md"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "sweep s: 1 cells (1 passed) on serial" in proc.stdout and "wrote r.md" in proc.stdout
    proc = _cli([str(good), "--serial"], tmp_path)
    assert proc.returncode == 0 and "1 from the cache" in proc.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace("absolute", "rolled") + "[check]\nmax_examples = 2\n")
    proc = _cli([str(bad), "--serial", "--no-cache"], tmp_path)
    assert proc.returncode == 1 and "FAILED" in proc.stdout and "replay: equicheck.replay(" in proc.stdout
    wrong = _toml(tmp_path, GOOD.replace('"c4"', '"c5"'), "wrong.toml")
    proc = _cli([str(wrong)], tmp_path)
    assert proc.returncode == 2 and "equicheck sweep: error:" in proc.stderr and "c5" in proc.stderr
    proc = _cli([str(good), "--serial", "--workers", "2"], tmp_path)
    assert proc.returncode == 2 and "not allowed with argument" in proc.stderr
    proc = _cli([str(good), "--report", "r.txt"], tmp_path)
    assert proc.returncode == 2 and "unsupported report format" in proc.stderr


def test_the_example_sweep_runs(tmp_path):
    proc = _cli([str(ROOT / "examples" / "sweep.toml"), "--workers", "2", "--report", "s.md"], tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the planted failure
    assert "sweep example: 18 cells (14 passed, 4 failed) on process pool" in proc.stdout
    assert "| sweep\\_models:gradient\\_x | ✅" in (tmp_path / "s.md").read_text()
    script = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "sweep_models.py"), "--examples", "3"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    assert script.returncode == 0, script.stdout + script.stderr
    assert "as expected" in script.stdout and "UNEXPECTED" not in script.stdout


def test_progress_is_drawn_on_request_and_quiet_in_logs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    spec = _sweep(["sweep_targets:absolute", "sweep_targets:square"])
    run_sweep(spec, Serial(), cache=False, progress=True)  # as on a terminal
    drawn = capsys.readouterr()
    assert "sweep sweep" in drawn.err and "/2 [" in drawn.err and "cell" in drawn.err and drawn.out == ""
    run_sweep(spec, Serial(), cache=False)  # stderr is no terminal here: nothing
    assert capsys.readouterr().err == ""


def test_ctrl_c_on_the_command_line_exits_130_with_a_partial_report(tmp_path):
    import signal

    toml = _toml(
        tmp_path, GOOD.replace('"sweep_targets:absolute"', '"sweep_targets:absolute", "sweep_targets:hangs"')
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "equicheck", "sweep", str(toml), "--serial", "--report", "r.json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    cells = tmp_path / ".equicheck" / "sweeps" / "s" / "cells"
    deadline = time.monotonic() + 120
    while not (cells.is_dir() and any(cells.glob("*.json"))) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # the second cell (which hangs) has started
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "1 of 2 cells" in out and "interrupted" in out and "wrote r.partial.json" in out
    assert not read_json(tmp_path / "r.partial.json").complete
