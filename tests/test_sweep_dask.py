"""The same 12-cell sweep, with planted failures, a target that raises and a target whose
module kills its worker on import, on a real Dask LocalCluster (2 worker processes on
127.0.0.1), on the local process pool and (without the crashing target) serially: the same
verdicts everywhere, and every other cell survives the crashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from equicheck.sweeps import Dask, make_executor, make_sweep, run_sweep

pytest.importorskip("distributed", reason="the Dask executor needs dask.distributed (equicheck[dask])")
import dask  # noqa: E402

TESTS = str(Path(__file__).resolve().parent)
TINY = {"max_examples": 3, "sizes": [4, 8]}
TARGETS = [
    "sweep_targets:absolute",
    "sweep_targets:rolled",  # planted: fails under c4 and flips
    "sweep_targets:make_scaled(factor=3.0)",
    "sweep_targets:make_scaled(noise=0.5)",  # planted: fails
    "sweep_targets:raises",  # an error row
    "sweep_crash_target:f",  # its module calls os._exit on import: kills every worker that imports it
]
EXPECTED = {
    "absolute": "passed",
    "rolled": "failed",
    "make_scaled(factor=3.0)": "passed",
    "make_scaled(noise=0.5)": "failed",
    "raises": "error",
    "f": "error",
}


def _by_cell(result) -> dict[tuple[str, str], str]:
    return {(r.function.split(":", 1)[1], r.group): r.verdict for r in result.results}


def _check(result, targets) -> None:
    assert result.complete and len(result.results) == 2 * len(targets)
    by_cell = _by_cell(result)
    for (name, group), verdict in by_cell.items():
        assert verdict == EXPECTED[name], (name, group)
    crashed = [r for r in result.results if r.function == "sweep_crash_target:f"]
    for r in crashed:
        assert r.failure_kind == "crash" and ("died" in r.message or "killed" in r.message)
    raised = next(r for r in result.results if r.function == "sweep_targets:raises")
    assert "planted: this target raises" in raised.message
    assert result.exit_code() == 1


@pytest.fixture(scope="module")
def spec():
    return make_sweep(TARGETS, ["c4", "flips"], check=TINY, path=[TESTS], name="faults")


@pytest.fixture(scope="module")
def pool_result(spec, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pool")
    return run_sweep(spec, make_executor(workers=2, path=spec.path), cache_dir=folder)


def test_the_process_pool_survives_a_crashing_target(pool_result):
    _check(pool_result, TARGETS)


def test_a_local_dask_cluster_gives_the_same_verdicts(spec, pool_result, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # a cell that kills 2 workers is a KilledWorker error (the default, 3, only takes longer)
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        executor = Dask(local=2)
        result = run_sweep(spec, executor, cache_dir=tmp_path / "cache")
    _check(result, TARGETS)
    assert _by_cell(result) == _by_cell(pool_result)
    assert executor.client is None and executor.cluster is None  # closed
    assert not (tmp_path / ".hypothesis").exists()  # workers write no Hypothesis files here
    counterexamples = [Path(r.counterexample.path) for r in result.results if r.verdict == "failed"]
    assert counterexamples and all(
        p.is_file() and p.is_relative_to(tmp_path / "cache") for p in counterexamples
    )


def test_serially_the_same_verdicts_without_the_crashing_target(tmp_path, pool_result):
    targets = TARGETS[:-1]  # in this process, a crash would end the test run itself
    spec = make_sweep(targets, ["c4", "flips"], check=TINY, path=[TESTS])
    result = run_sweep(spec, make_executor(serial=True), cache_dir=tmp_path)
    _check(result, targets)
    expected = {k: v for k, v in _by_cell(pool_result).items() if k[0] != "f"}
    assert _by_cell(result) == expected


def test_a_dask_cell_that_overruns_the_timeout_restarts_its_worker(tmp_path):
    spec = make_sweep(
        ["sweep_targets:hangs", "sweep_targets:absolute"], ["c4"], check=TINY, path=[TESTS], timeout=3
    )
    executor = Dask(local=2)
    result = run_sweep(spec, executor, cache_dir=tmp_path)
    by_cell = {r.function: r for r in result.results}
    assert (by_cell["sweep_targets:hangs"].verdict, by_cell["sweep_targets:hangs"].failure_kind) == (
        "error",
        "timeout",
    )
    assert by_cell["sweep_targets:absolute"].passed


def test_an_existing_cluster_by_address_and_by_scheduler_file(tmp_path):
    import os
    import subprocess
    import sys

    from distributed import LocalCluster

    root = Path(TESTS).parent
    toml = tmp_path / "s.toml"
    toml.write_text(
        f'targets = ["sweep_targets:absolute", "sweep_targets:rolled"]\ngroups = ["c4"]\npath = ["{TESTS}"]\n'
        "[check]\nmax_examples = 2\n"
    )
    # the scheduler writes its file itself, as `dask scheduler --scheduler-file` does
    scheduler = {"scheduler_file": str(tmp_path / "scheduler.json")}
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs=scheduler,
    ) as cluster:
        spec = make_sweep(["sweep_targets:absolute"], ["c4", "flips"], check=TINY, path=[TESTS])
        result = run_sweep(spec, make_executor(scheduler=cluster.scheduler_address), cache_dir=tmp_path / "a")
        assert [r.verdict for r in result.results] == ["passed", "passed"] and result.executor == "dask"
        assert (tmp_path / "scheduler.json").is_file()
        proc = subprocess.run(
            [sys.executable, "-m", "equicheck", "sweep", str(toml), "--scheduler-file", "scheduler.json"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            env=dict(os.environ, PYTHONPATH=str(root), EQUICHECK_NO_PROGRESS="1"),
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr  # rolled fails under c4
        assert "2 cells (1 passed, 1 failed) on dask" in proc.stdout


def test_an_unreachable_scheduler_is_a_usage_error_before_any_cell(tmp_path):
    from equicheck.sweeps import SweepError, sweep

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(SweepError, match="cannot connect to the Dask scheduler at tcp://127.0.0.1:9"):
            sweep(
                ["sweep_targets:absolute"],
                ["c4"],
                path=[TESTS],
                scheduler="tcp://127.0.0.1:9",
                cache_dir=tmp_path,
            )
    assert not (tmp_path / "cells").exists()
