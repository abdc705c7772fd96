"""The pytest plugin, run through pytester: recording, the terminal section, reports, xdist,
Hypothesis profiles, option precedence and usage errors.

Runs are kept few and small (max_examples of 2-4); the ones that must be separate processes
(xdist workers, the `ci` profile that CI=true loads at import) are the slow ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import hypothesis.extra.numpy  # noqa: F401 - kept loaded, see below
import pytest

# In-process pytester runs drop the modules they imported afterwards, and NumPy cannot be
# imported twice in one process: import here what the runs use, so that it stays loaded.
import equicheck.engine  # noqa: F401 - the plugin's configure imports it (scipy.fft, numpy.fft)
import equicheck.pytest_plugin  # noqa: F401
import equicheck.report.arrays  # noqa: F401
import equicheck.report.merge  # noqa: F401
import equicheck.report.text  # noqa: F401

try:  # runs that plot: matplotlib and jinja2 must not be imported for the first time in a test
    import jinja2  # noqa: F401

    import equicheck.report.figures  # noqa: F401
    import equicheck.report.html  # noqa: F401

    HTML = True
except ImportError:  # without them the HTML parts are skipped
    HTML = False

pytest_plugins = ["pytester"]


def _plugin_installed() -> bool:
    return any(ep.name == "equicheck" for ep in metadata.entry_points(group="pytest11"))


#: Load the plugin by module until the pytest11 entry point is installed.
PLUGIN = [] if _plugin_installed() else ["-p", "equicheck.pytest_plugin"]
#: Disable it: by its entry-point name when installed, else simply do not load it.
NO_PLUGIN = ["-p", "no:equicheck"] if _plugin_installed() else []
#: Plugins the inner runs do without (pytest-benchmark warns inside xdist workers).
QUIET = ["-p", "no:cacheprovider", "-p", "no:benchmark"]

ROW = re.compile(r"^(passed|FAILED|ERROR|inconclusive)\S*\s+\S+::.*$", re.MULTILINE)

SUITE = """
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import equicheck


def square(x):
    return x * x


def rolled(x):
    return np.roll(x, 1, axis=-1)


def test_fixture_check(equicheck):
    equicheck.assert_equivariant(square, "c4", max_examples=2)


@pytest.mark.equicheck(group="c4", max_examples=2)
def test_marker_failure(equicheck):
    equicheck.assert_equivariant(rolled)


def test_direct_call_is_recorded():
    equicheck.assert_invariant(lambda x: x.sum(axis=(-2, -1)), "c4", max_examples=2)


def test_without_checks():
    pass


@settings(max_examples=3, database=None)
@given(hnp.arrays(np.float64, (4, 4), elements=st.floats(-1, 1)))
def test_given(equicheck, x):
    result = equicheck.assert_equivariant(square, "c4", inputs=x)
    assert result.examples == 1  # one input per call; the report combines the calls
"""


def _rows(text: str) -> list[str]:
    """The rows of the equicheck terminal section (between its title and the next one)."""
    section = text.split(" equicheck: ", 1)[1].split("\n=", 1)[0]
    return [m.group(0) for m in ROW.finditer(section)]


def _json_rows(path: Path) -> list[dict]:
    doc = json.loads(path.read_text())
    assert doc["format"] == "equicheck-report"
    return doc["results"]


def _check_suite_run(result: pytest.RunResult, report: Path) -> dict:
    result.assert_outcomes(passed=4, failed=1)
    out = result.stdout.str()
    # the failing check fails its test with the assertion message
    assert "test_marker_failure" in out and "EquivarianceError" in out
    assert "is not equivariant under c4" in out and "Group element: rot90(k=" in out
    # the terminal section: one row per check, failures first, and the files written
    assert "equicheck: 4 checks, 1 failed" in out
    rows = _rows(out)
    assert len(rows) == 4 and rows[0].startswith("FAILED") and "test_marker_failure" in rows[0]
    assert f"equicheck report written: {report}" in out
    # the JSON: every check exactly once
    records = _json_rows(report)
    ids = sorted(r["test_id"].split("::")[1] for r in records)
    assert ids == ["test_direct_call_is_recorded", "test_fixture_check", "test_given", "test_marker_failure"]
    by_test = {r["test_id"].split("::")[1]: r for r in records}
    given = by_test["test_given"]  # one row for all its examples (Hypothesis may skip duplicates)
    assert given["examples"] == given["extra"]["combined_calls"] >= 2
    assert by_test["test_marker_failure"]["verdict"] == "failed"
    assert by_test["test_direct_call_is_recorded"]["out_actions"] == ["trivial"]
    return by_test


@pytest.fixture
def hypothesis_state() -> Iterator[None]:
    """In-process runs load profiles and force seeds globally: put them back afterwards."""
    from hypothesis import core, settings

    profile, seed = settings.get_current_profile_name(), core.global_force_seed
    yield
    settings.load_profile(profile)
    core.global_force_seed = seed


def test_checks_are_recorded_shown_and_reported(pytester: pytest.Pytester, hypothesis_state: None):
    pytester.makepyfile(test_suite=SUITE)
    reports = ["out/r.json", "out/r.md"] + (["out/page/r.html"] if HTML else [])
    args = [arg for path in reports for arg in ("--equicheck-report", path)]
    result = pytester.runpytest(*PLUGIN, *args, *QUIET)
    _check_suite_run(result, pytester.path / "out" / "r.json")
    md = (pytester.path / "out" / "r.md").read_text()
    assert md.startswith("## ❌ equicheck: 1 of 4 checks failed")
    assert len(re.findall(r"^\| \[?(❌|✅)", md, re.MULTILINE)) == 4
    if HTML:
        page = (pytester.path / "out" / "page" / "r.html").read_text()
        assert page.count('<article id="check-') == 4 and "test_marker_failure" in page
        assert "(page/r.html#check-" in md  # the summary links into the page written with it


def test_under_xdist_every_check_reaches_the_report_once(pytester: pytest.Pytester):
    pytest.importorskip("xdist")
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest(  # the controller in-process; the workers are processes
        *PLUGIN, "-n", "2", "--equicheck-report", "r.json", *QUIET
    )
    by_test = _check_suite_run(result, pytester.path / "r.json")
    assert "arrived" not in result.stdout.str()  # workers' counts match what the controller got
    assert by_test["test_marker_failure"]["counterexample"]["arrays"]  # arrays made the trip
    assert (pytester.path / "r.arrays.npz").exists()


@pytest.mark.parametrize("profile", ["default", "ci"])
def test_given_test_with_the_fixture_under_a_profile(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, profile: str
):
    """CI=true makes Hypothesis load its `ci` profile at import: a fresh process is needed."""
    # the subprocess imports this checkout's equicheck, not whichever one is installed
    monkeypatch.setenv("PYTHONPATH", str(Path(equicheck.pytest_plugin.__file__).parents[1]))
    if profile == "ci":
        monkeypatch.setenv("CI", "true")
    else:
        monkeypatch.delenv("CI", raising=False)
        monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    pytester.makepyfile(
        test_given="""
import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp


@given(hnp.arrays(np.float32, (5, 5), elements=st.floats(-1, 1, width=32)))
@settings(max_examples=4, deadline=None)  # the first check warms caches up
def test_flip_equivariance(equicheck, x):
    equicheck.assert_equivariant(lambda y: np.abs(y) + 1, "flips", inputs=x)


def test_drawn_inputs(equicheck):
    first, second = (equicheck.check(np.sin, "c4") for _ in range(2))
    assert first.examples == second.examples == 3  # --equicheck-examples beats the profile
    if {derandomized}:  # the ci profile derandomizes equicheck's own search too
        assert first.worst_input == second.worst_input
""".replace("{derandomized}", str(profile == "ci"))
    )
    result = pytester.runpytest_subprocess(
        *PLUGIN, "--equicheck-examples", "3", "--equicheck-report", "r.json", *QUIET
    )
    result.assert_outcomes(passed=2)
    assert "function_scoped_fixture" not in result.stdout.str()
    doc = json.loads((pytester.path / "r.json").read_text())
    assert doc["environments"][0]["hypothesis_profile"] == profile
    rows = {r["test_id"].split("::")[1]: r for r in doc["results"] if r["group"] == "flips"}
    row = rows["test_flip_equivariance"]
    assert row["verdict"] == "passed" and row["extra"].get("combined_calls", 1) == row["examples"] >= 1
    assert len(doc["results"]) == 3


PRECEDENCE = """
import pytest
from hypothesis import settings

EXAMPLES, SEED = {examples}, {seed}


def square(x):
    return x * x


def test_options_and_ini_apply(equicheck):
    result = equicheck.check(square, "c4")
    assert (result.examples, result.seed) == (EXAMPLES, SEED)


@pytest.mark.equicheck(group="c4", max_examples=3, seed=11)
def test_marker_beats_options(equicheck):
    result = equicheck.check(square)
    assert (result.examples, result.seed) == (3, 11)


@pytest.mark.equicheck(group="c2", max_examples=3)
def test_call_beats_marker(equicheck):
    result = equicheck.check(square, "c4", max_examples=2)
    assert (result.group, result.examples) == ("c4", 2)


def test_own_settings_beat_the_examples_option(equicheck):
    result = equicheck.check(square, "c4", settings=settings(max_examples=5, database=None))
    assert result.examples == 5
"""

CONFTEST = """
from hypothesis import settings

settings.register_profile("small", max_examples=6, database=None)
"""


@pytest.mark.parametrize(
    ("args", "ini", "examples", "seed"),
    [
        # command line, and --hypothesis-seed seeds checks when no equicheck seed is set
        (["--equicheck-examples", "4", "--hypothesis-seed", "123"], "", 4, 123),
        # ini beats the Hypothesis profile and --hypothesis-seed
        (
            ["--hypothesis-seed", "123", "--hypothesis-profile", "small"],
            "equicheck_examples = 2\nequicheck_seed = 7",
            2,
            7,
        ),
        # the command line beats ini; without equicheck's own, the profile's max_examples
        (["--equicheck-seed", "9", "--hypothesis-profile", "small"], "equicheck_seed = 7", 6, 9),
    ],
)
def test_precedence(
    pytester: pytest.Pytester, hypothesis_state: None, args: list[str], ini: str, examples: int, seed: int
):
    pytester.makeconftest(CONFTEST)
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_precedence=PRECEDENCE.format(examples=examples, seed=seed))
    result = pytester.runpytest(*PLUGIN, *args, *QUIET)
    result.assert_outcomes(passed=4)
    assert re.search(rf"equicheck: .*seed={seed}", result.stdout.str())  # shown in the header


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (["--equicheck-examples", "0"], "", "the number of examples must be at least 1, got 0"),
        (["--equicheck-dtype", "flaot32"], "", "'flaot32' is not a dtype equicheck can draw"),
        (["--equicheck-report", "r.txt"], "", "unsupported report format '.txt'"),
        (["--equicheck-backend", "nope"], "", "unknown backend 'nope'; known backends: "),
        ([], "equicheck_seed = abc", "ini option equicheck_seed = 'abc': expected an integer seed"),
    ],
)
def test_bad_settings_are_usage_errors(pytester: pytest.Pytester, args: list[str], ini: str, message: str):
    pytester.makeini(f"[pytest]\n{ini}\n")
    result = pytester.runpytest(*PLUGIN, *args, *QUIET)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_marker_with_an_unknown_keyword_errors_its_test(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
import pytest

@pytest.mark.equicheck(group="c4", max_exmples=3)
def test_typo(equicheck):
    pass
"""
    )
    result = pytester.runpytest(*PLUGIN, *QUIET)
    result.assert_outcomes(errors=1)
    assert "unknown keyword(s) max_exmples" in result.stdout.str()


def test_disabled_plugin_leaves_equicheck_working(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
import equicheck

def test_direct():
    equicheck.assert_equivariant(lambda x: x * 2, "c4", max_examples=2)
"""
    )
    result = pytester.runpytest(*NO_PLUGIN, *QUIET)
    result.assert_outcomes(passed=1)
    assert "equicheck:" not in result.stdout.str()
    with pytest.raises(pytest.UsageError):  # its options are gone with it
        pytester.parseconfig(*NO_PLUGIN, "--equicheck-examples", "3")


def test_pytest_html_rows_get_each_checks_plots(pytester: pytest.Pytester):
    pytest.importorskip("pytest_html")
    pytest.importorskip("matplotlib")
    pytester.makepyfile(
        """
import numpy as np

def test_roll(equicheck):
    equicheck.check(lambda x: np.roll(x, 1, axis=-1), "c4", max_examples=2, replay_dir=None)
"""
    )
    result = pytester.runpytest(*PLUGIN, "--html", "page.html", "--self-contained-html", *QUIET)
    result.assert_outcomes(passed=1)  # check() records a failure without failing the test
    page = (pytester.path / "page.html").read_text()
    assert page.count("data:image/svg+xml;base64,") >= 3  # elements, error map, counterexample
    assert "FAILED test_roll.test_roll.&lt;locals&gt;.&lt;lambda&gt; under c4" in page or "FAILED" in page


TIMEOUT_SUITE = """
import threading

import numpy as np

NEVER = threading.Event()


def hangs(x):
    NEVER.wait()
    return x


def test_a_hanging_function_ends_in_an_error(equicheck):
    result = equicheck.check(hangs, "c4", max_examples=2, replay_dir=None)
    assert (result.verdict, result.failure_kind) == ("error", "timeout"), result.message


def test_a_fast_function_passes(equicheck):
    assert equicheck.check(np.abs, "c4", max_examples=2, replay_dir=None).passed
"""


@pytest.mark.parametrize("how", ["option", "ini"])
def test_the_timeout_option_reaches_the_checks(pytester: pytest.Pytester, hypothesis_state: None, how: str):
    pytester.makepyfile(test_timeout=TIMEOUT_SUITE)
    if how == "ini":
        pytester.makeini("[pytest]\nequicheck_timeout = 0.5\n")
        result = pytester.runpytest(*PLUGIN, *QUIET)
    else:
        result = pytester.runpytest(*PLUGIN, "--equicheck-timeout", "0.5", *QUIET)
    result.assert_outcomes(passed=2)


def test_a_bad_timeout_option_is_a_usage_error(pytester: pytest.Pytester):
    pytester.makepyfile(test_timeout=TIMEOUT_SUITE)
    result = pytester.runpytest(*PLUGIN, "--equicheck-timeout", "-1", *QUIET)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*timeout*"])
