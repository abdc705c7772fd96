"""equicheck's pytest plugin: a fixture, a marker, options, a terminal section and reports.

Registered through the ``pytest11`` entry point as ``equicheck`` (disable it with
``-p no:equicheck``). Every check made while a test runs is recorded, whether made through
the ``equicheck`` fixture or by calling :func:`equicheck.check_equivariance` /
:func:`equicheck.assert_equivariant` directly, and travels on the test's report (so it
reaches the xdist controller exactly once); only the controller writes report files, all
formats or none. A run that did not complete (Ctrl-C, ``-x``, a crashed worker) writes
partial reports beside the requested paths (``r.partial.json``) and leaves the previous
complete ones alone. docs/plugin.md documents every option, ini key and marker keyword.

Precedence, first that sets a value wins: a keyword passed to the fixture's call, the
closest ``@pytest.mark.equicheck`` keyword, the command line, the ini file, then (for the
seed) ``--hypothesis-seed``, then the active Hypothesis profile, then equicheck's defaults.
"""

from __future__ import annotations

import html
import inspect
import sys
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .errors import OptionError
from .options import argparse_type, backend_name, dtypes, positive_int, seed, timeout

if TYPE_CHECKING:  # imported on use: pytest must start fast where equicheck is only installed
    from .result import CheckResult

__all__ = ["EquicheckFixture", "Options", "equicheck"]

#: The marker's name, and the name of the fixture.
MARKER = "equicheck"
#: Attribute of a TestReport holding the checks made in that phase (JSON-able dicts).
REPORT_ATTR = "equicheck_checks"
#: Key of an xdist worker's ``workeroutput``: how many checks it sent.
WORKER_COUNT = "equicheck_checks_sent"
#: Report formats the ``--equicheck-report`` option accepts, by suffix.
REPORT_SUFFIXES = (".json", ".html", ".md")


# --- validating option values: equicheck.options' rules, shared with the command line -----------
def _known_backend(value: str, *, name: str = "backend") -> str:
    from .backends import iter_backends

    return backend_name(value, known=tuple(iter_backends()), name=name)


def _report_path(value: str, *, name: str = "the report path") -> str:
    suffix = Path(value).suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise OptionError(
            f"{name} = {value!r}: unsupported report format {suffix or '(no suffix)'!r}; "
            f"expected a path ending in {', '.join(REPORT_SUFFIXES)}"
        )
    if suffix == ".html":
        from .report.html import require
        from .report.model import ReportError

        try:
            require()
        except ReportError as exc:
            raise OptionError(f"{name} = {value!r}: {exc}") from None
    return value


#: Each setting's option and ini key (``equicheck_NAME``): its validator, and how a message
#: from the command line names it (argparse adds ``argument --equicheck-NAME:``).
_SETTINGS: dict[str, tuple[Callable[..., Any], str]] = {
    "equicheck_backend": (_known_backend, "backend"),
    "equicheck_dtype": (dtypes, "dtypes"),
    "equicheck_examples": (positive_int, "the number of examples"),
    "equicheck_seed": (seed, "the seed"),
    "equicheck_timeout": (timeout, "the timeout"),
    "equicheck_report": (_report_path, "the report path"),
}


def _type(setting: str) -> Callable[[str], Any]:
    validate, name = _SETTINGS[setting]
    return argparse_type(validate, name=name)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("equicheck", "equivariance checks (equicheck)")
    group.addoption(
        "--equicheck-backend",
        type=_type("equicheck_backend"),
        metavar="NAME",
        help="backend for checks made through the equicheck fixture (numpy, cupy); ini: equicheck_backend",
    )
    group.addoption(
        "--equicheck-dtype",
        type=_type("equicheck_dtype"),
        metavar="DTYPES",
        help="dtypes of drawn inputs, comma-separated (float32,float64); ini: equicheck_dtype",
    )
    group.addoption(
        "--equicheck-examples",
        type=_type("equicheck_examples"),
        metavar="N",
        help="inputs each check draws (Hypothesis max_examples); ini: equicheck_examples",
    )
    group.addoption(
        "--equicheck-seed",
        type=_type("equicheck_seed"),
        metavar="SEED",
        help="seed of every check (default: --hypothesis-seed, else Hypothesis chooses); ini: equicheck_seed",
    )
    group.addoption(
        "--equicheck-timeout",
        type=_type("equicheck_timeout"),
        metavar="SECONDS",
        help="longest call of f a check waits for (verdict error, kind timeout); ini: equicheck_timeout",
    )
    group.addoption(
        "--equicheck-report",
        type=_type("equicheck_report"),
        action="append",
        default=None,
        metavar="PATH",
        help="write a report of all checks to PATH (.json, .html or .md; repeatable); ini: equicheck_report",
    )
    group.addoption(
        "--equicheck-locate",
        action="store_true",
        default=False,
        help="when a check of a torch.nn.Module made through the equicheck fixture fails, add the "
        "layer that breaks it (equicheck.locate) to the check's report and message",
    )
    parser.addini("equicheck_backend", "default of --equicheck-backend", default=None)
    parser.addini("equicheck_dtype", "default of --equicheck-dtype", default=None)
    parser.addini("equicheck_examples", "default of --equicheck-examples", default=None)
    parser.addini("equicheck_seed", "default of --equicheck-seed", default=None)
    parser.addini("equicheck_timeout", "default of --equicheck-timeout", default=None)
    parser.addini(
        "equicheck_report",
        "report paths written when --equicheck-report is not given (relative to the ini file)",
        type="args",
        default=[],
    )


# --- settings -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    """Settings from the command line and ini file, resolved and validated once per run."""

    backend: str | None = None
    dtypes: tuple[str, ...] | None = None
    examples: int | None = None
    seed: int | None = None
    #: where the seed came from: "--equicheck-seed", "equicheck_seed", "--hypothesis-seed"
    seed_source: str | None = None
    reports: tuple[Path, ...] = ()
    timeout: float | None = None

    def check_keywords(self) -> dict[str, Any]:
        """The keywords these settings give a check (before the test's own)."""
        out: dict[str, Any] = {}
        if self.backend is not None:
            out["backend"] = self.backend
        if self.dtypes is not None:
            out["dtypes"] = self.dtypes
        if self.examples is not None:
            out["max_examples"] = self.examples
        if self.seed is not None:
            out["seed"] = self.seed
        if self.timeout is not None:
            out["timeout"] = self.timeout
        return out


def _from_ini(config: pytest.Config, name: str) -> Any:
    raw = config.getini(name)
    if raw in (None, "", []):
        return None
    validate, _ = _SETTINGS[name]
    try:
        return validate(str(raw).strip(), name=f"ini option {name}")
    except OptionError as exc:
        raise pytest.UsageError(str(exc)) from None


def _options(config: pytest.Config) -> Options:
    def pick(setting: str) -> tuple[Any, str | None]:
        """The command line's value (validated by argparse), else the ini file's."""
        value = config.getoption(setting)
        if value is not None:
            return value, "--" + setting.replace("_", "-")
        value = _from_ini(config, setting)
        return value, (setting if value is not None else None)

    backend, _ = pick("equicheck_backend")
    drawn_dtypes, _ = pick("equicheck_dtype")
    examples, _ = pick("equicheck_examples")
    call_timeout, _ = pick("equicheck_timeout")
    check_seed, source = pick("equicheck_seed")
    if check_seed is None:
        hypothesis_seed = config.getoption("hypothesis_seed", None)
        try:
            check_seed = int(hypothesis_seed) if hypothesis_seed is not None else None
        except ValueError:  # Hypothesis accepts any string; a check needs an integer
            check_seed = None
        source = "--hypothesis-seed" if check_seed is not None else None
    given = config.getoption("equicheck_report")
    if given:
        base = config.invocation_params.dir
        reports = tuple(base / p for p in given)
    else:
        base = config.inipath.parent if config.inipath else config.rootpath
        try:
            reports = tuple(
                base / _report_path(str(p), name="ini option equicheck_report")
                for p in config.getini("equicheck_report")
            )
        except OptionError as exc:
            raise pytest.UsageError(str(exc)) from None
    if backend is not None:
        from .backends import get_backend
        from .errors import BackendUnavailableError

        try:
            get_backend(backend)
        except BackendUnavailableError as exc:
            raise pytest.UsageError(f"--equicheck-backend {backend}: {exc}") from None
    return Options(backend, drawn_dtypes, examples, check_seed, source, reports, call_timeout)


# --- the run: recording checks, reports, the terminal section ------------------------------------
class _Run:
    """One pytest run's state and hooks (registered per config, so pytester runs inside a
    run keep their own)."""

    def __init__(self, config: pytest.Config, options: Options) -> None:
        self.config = config
        self.options = options
        self.is_worker = hasattr(config, "workerinput")
        self.html_extras = bool(config.pluginmanager.hasplugin("html") and config.getoption("htmlpath", None))
        #: arrays travel with results only when a report file or pytest-html shows them
        self.keep_arrays = bool(options.reports) or self.html_extras
        self.current: pytest.Item | None = None
        self.pending: list[CheckResult] = []
        self.results: list[CheckResult] = []
        self.written: list[Path] = []
        self.problems: list[str] = []
        self.sent = 0
        self.sent_by_workers: int | None = None
        self.received = 0
        #: node ids of the tests that ran to the end (their teardown was reported)
        self.ran: set[str] = set()
        #: whether collection finished (else the number of tests collected is unknown)
        self.collection_done = False
        #: why the run stopped early (the exception pytest_keyboard_interrupt saw)
        self.stopped: str | None = None
        #: "partial: 58 of 120 tests ran (...)" when the run did not complete, else ""
        self.partial = ""

    def record(self, result: CheckResult) -> None:
        """Listener of equicheck.check: keep results made while a test runs."""
        if self.current is not None:
            self.pending.append(result)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, None]:
        self.current, self.pending = item, []
        try:
            outcome = yield
            if outcome.excinfo is not None and self.pending and not self.is_worker:
                # interrupted inside the test (Ctrl-C): no report carries the checks it
                # finished, so keep them here (an xdist worker cannot send them any more)
                self.keep(self.packed(item, self.pending))
        finally:
            self.current, self.pending = None, []

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self) -> None:
        self.collection_done = True  # session.testscollected is then the number of tests

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """Ctrl-C, pytest.exit(), collection errors, xdist's stop: note why the run stopped."""
        message = " ".join(str(excinfo.value).split())
        if excinfo.typename == "Interrupted" and message:  # pytest's and xdist's say why
            self.stopped = message
        else:
            self.stopped = f"{excinfo.typename}: {message}" if message else excinfo.typename

    def packed(self, item: pytest.Item, results: list[CheckResult]) -> list[dict[str, Any]]:
        """``results`` of ``item`` as plain dicts (arrays as base64 ``.npy``) for transport."""
        if _is_hypothesis_test(item):
            results = _combined(results)
        from .report import arrays

        packed = []
        for result in results:  # the test keeps its result objects as they are
            data = result.to_dict()
            data["test_id"] = item.nodeid
            packed.append(arrays.pack(data, keep_arrays=self.keep_arrays))
        return packed

    def keep(self, packed: list[dict[str, Any]]) -> None:
        """Add checks (as :meth:`packed` made them) to the run's results (controller)."""
        from .report import arrays
        from .result import CheckResult

        for data in packed:
            self.results.append(CheckResult.from_dict(arrays.unpack(dict(data))))

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if item.get_closest_marker(MARKER) is not None:
            _marker_keywords(item)  # a misspelt keyword errors here, before the test body runs

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item) -> Generator[None, Any, None]:
        outcome = yield
        if not self.pending:
            return
        report: pytest.TestReport = outcome.get_result()
        results, self.pending = self.pending, []
        packed = self.packed(item, results)
        setattr(report, REPORT_ATTR, packed)
        self.sent += len(packed)
        if self.html_extras:
            old = list(getattr(report, "extras", []))
            report.extras = old + _html_extras(results)  # type: ignore[attr-defined]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.is_worker:
            return
        if report.when == "teardown":
            self.ran.add(report.nodeid)
        packed = getattr(report, REPORT_ATTR, None)
        if not packed:
            return
        self.keep(packed)
        if getattr(report, "node", None) is not None:  # set by xdist on the controller
            self.received += len(packed)

    def count_worker(self, node: Any) -> None:
        """xdist (controller): count the checks a finished worker says it sent."""
        sent = getattr(node, "workeroutput", {}).get(WORKER_COUNT)
        if sent is not None:
            self.sent_by_workers = (self.sent_by_workers or 0) + int(sent)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker:
            self.config.workeroutput[WORKER_COUNT] = self.sent  # type: ignore[attr-defined]
            return
        status = self.status(session, exitstatus)
        if self.options.reports:
            try:
                self.write_reports(status)
            except KeyboardInterrupt:  # Ctrl-C while the files were rendered or written
                self.problems.append("interrupted while writing the reports: no report file was replaced")
                session.exitstatus = pytest.ExitCode.INTERRUPTED

    def status(self, session: pytest.Session, exitstatus: int) -> dict[str, Any]:
        """Whether the run completed, as the report's ``complete``, ``tests_run``,
        ``tests_collected`` and ``stopped`` (controller).

        Complete means: collection finished, every collected test ran to the end, pytest was
        not interrupted and no xdist worker lost checks. A run stopped by ``-x``/``--maxfail``
        before its last test is partial too: its checks are real, but the tests after the
        failure did not run, so it does not stand for the whole suite (docs/plugin.md).
        """
        collected = session.testscollected if self.collection_done else None
        lost = self.sent_by_workers is not None and self.sent_by_workers != self.received
        interrupted = exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR)
        complete = collected is not None and len(self.ran) >= collected and not interrupted and not lost
        stopped = None
        if not complete:
            reasons = [self.stopped, session.shouldfail, session.shouldstop]
            stopped = next((str(r) for r in reasons if isinstance(r, str) and r), None)
            if stopped is None and lost:
                stopped = "checks lost: an xdist worker crashed?"
            elif stopped is None and interrupted:
                stopped = "interrupted" if exitstatus == pytest.ExitCode.INTERRUPTED else "internal error"
        status = {
            "complete": complete,
            "tests_run": len(self.ran),
            "tests_collected": collected,
            "stopped": stopped,
        }
        from .report import Report

        self.partial = Report(**status).partial_note()
        return status

    def write_reports(self, status: dict[str, Any]) -> None:
        """Write every requested report file (controller only): a complete run's to the
        requested paths, a partial run's beside them (``r.partial.json``), all or none."""
        from .report import Report, ReportError, capture, write_run_reports

        environment = capture(
            pytest_args=list(self.config.invocation_params.args),
            equicheck_options={k: str(v) for k, v in self.options.check_keywords().items()},
        )
        report = Report.of(self.results, environment, title="equicheck report", **status)
        try:
            self.written = write_run_reports(report, self.options.reports)
        except (OSError, ReportError) as exc:
            self.problems.append(f"could not write the report: {exc}")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker or not (self.results or self.options.reports or self.problems):
            return
        from .report.model import failures_first
        from .report.text import format_table

        results = failures_first(self.results)
        bad = sum(1 for r in results if r.verdict in ("failed", "error"))
        title = f"equicheck: {len(results)} check{'s' if len(results) != 1 else ''}"
        title += f", {bad} failed" if bad else ""
        title += f" ({self.partial})" if self.partial else ""
        terminalreporter.write_sep(
            "=",
            title,
            red=bool(bad),
            yellow=bool(self.partial and not bad),
            green=not (bad or self.partial),
            bold=True,
        )
        if results:
            lines = format_table(results)
            terminalreporter.write_line(lines[0], bold=True)
            for line, result in zip(lines[1:], results):
                terminalreporter.write_line(line, red=result.verdict in ("failed", "error"))
        if self.sent_by_workers is not None and self.sent_by_workers != self.received:
            self.problems.append(
                f"xdist workers sent {self.sent_by_workers} checks but {self.received} arrived "
                "(a worker crashed?); the report is incomplete"
            )
        kind = "partial report" if self.partial else "report"
        for path in self.written:
            terminalreporter.write_line(f"equicheck {kind} written: {path}")
        if self.partial and self.written:
            terminalreporter.write_line(
                "equicheck: the run did not complete; its reports went to <name>.partial.<suffix> "
                "and the complete reports of an earlier run were left as they were",
                yellow=True,
            )
        for problem in self.problems:
            terminalreporter.write_line(f"equicheck: {problem}", red=True)


class _XdistHooks:
    """Hooks that exist only where xdist is installed (pluggy rejects unknown hooks)."""

    def __init__(self, run: _Run) -> None:
        self.run = run

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        self.run.count_worker(node)

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.run.collection_done = True  # xdist sets session.testscollected = len(ids)


RUN = pytest.StashKey[_Run]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(group=None, **keywords): defaults for checks made through the equicheck "
        "fixture in this test: group name, in_action, out_action, dtype/dtypes, max_examples, "
        "seed, backend, rtol, atol, ... (any keyword of equicheck.check_equivariance)",
    )
    run = _Run(config, _options(config))
    config.stash[RUN] = run
    config.pluginmanager.register(run, "equicheck-run")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(run), "equicheck-xdist")
    from .engine.listeners import subscribe

    subscribe(run.record)


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is None:
        return
    from .engine.listeners import unsubscribe

    unsubscribe(run.record)


def pytest_report_header(config: pytest.Config) -> list[str]:
    options = config.stash[RUN].options
    parts = [f"{k}={v}" for k, v in options.check_keywords().items()]
    if options.seed_source and parts:
        parts[-1] += f" (from {options.seed_source})"
    if options.reports:
        parts.append("reports: " + ", ".join(str(p) for p in options.reports))
    return [f"equicheck: {', '.join(parts)}"] if parts else []


def _is_hypothesis_test(item: pytest.Item) -> bool:
    obj = getattr(item, "obj", None)
    if obj is None or "hypothesis" not in sys.modules:
        return False
    from hypothesis import is_hypothesis_test

    return bool(is_hypothesis_test(obj))


def _key(result: CheckResult) -> tuple[Any, ...]:
    return (result.function, result.group, tuple(result.in_actions), tuple(result.out_actions), result.dtype)


def _combined(results: list[CheckResult]) -> list[CheckResult]:
    """One result per distinct check: a @given test calls the same check once per example."""
    from .report.merge import combine

    groups: dict[tuple[Any, ...], list[CheckResult]] = {}
    for r in results:
        groups.setdefault(_key(r), []).append(r)
    return [combine(g) for g in groups.values()]


def _html_extras(results: list[CheckResult]) -> list[dict[str, Any]]:
    """pytest-html extras for a test row: a one-line summary and the plots of each check."""
    import base64

    from pytest_html import extras  # type: ignore[import-untyped]

    from .report.figures import plots

    out = []
    for result in results:
        out.append(extras.html(f'<div class="equicheck">{html.escape(result.summary())}</div>'))
        for plot in plots(result):
            content = base64.b64encode(plot.svg).decode("ascii")
            out.append(extras.image(content, name=plot.alt, mime_type="image/svg+xml", extension="svg"))
    return out


# --- the marker and the fixture -------------------------------------------------------------------
def _check_parameters() -> list[str]:
    from .engine import check_equivariance

    return [p for p in inspect.signature(check_equivariance).parameters if p != "f"]


def _marker_keywords(item: pytest.Item | None) -> dict[str, Any]:
    """The marker keywords of ``item``, closest marker last so that it wins."""
    if item is None:
        return {}
    from .errors import EquicheckError

    known = set(_check_parameters()) | {"dtype"}
    out: dict[str, Any] = {}
    for marker in reversed(list(item.iter_markers(MARKER))):
        if len(marker.args) > 1:
            raise EquicheckError(
                f"@pytest.mark.{MARKER} takes one positional argument (the group), got {marker.args!r}"
            )
        if marker.args:
            out["group"] = marker.args[0]
        unknown = sorted(set(marker.kwargs) - known)
        if unknown:
            raise EquicheckError(
                f"@pytest.mark.{MARKER} got unknown keyword(s) {', '.join(unknown)}; it takes "
                f"the keywords of equicheck.check_equivariance: {', '.join(sorted(known))}"
            )
        kwargs = dict(marker.kwargs)
        if "dtype" in kwargs:
            if "dtypes" in kwargs:
                raise EquicheckError(f"@pytest.mark.{MARKER}: give dtype= or dtypes=, not both")
            value = kwargs.pop("dtype")
            kwargs["dtypes"] = (value,) if isinstance(value, str) else tuple(value)
        out.update(kwargs)
    return out


class EquicheckFixture:
    """What the ``equicheck`` fixture gives a test: checks with the run's and the test's
    settings applied, recorded for the terminal section and the reports.

    Session-scoped, so Hypothesis ``@given`` tests may use it (no function-scoped-fixture
    health check); it reads the running test from the plugin's state on each call.
    """

    def __init__(self, run: _Run) -> None:
        self._run = run

    @property
    def item(self) -> pytest.Item | None:
        """The test running now (None outside a test)."""
        return self._run.current

    @property
    def results(self) -> list[CheckResult]:
        """The checks the running test has made so far (in this phase)."""
        return list(self._run.pending)

    def keywords(self, group: Any = None, **kwargs: Any) -> dict[str, Any]:
        """The keywords a check gets: options, then the marker, then ``kwargs`` (which win).

        A test's own ``settings=`` (call or marker) keeps its ``max_examples`` against
        ``--equicheck-examples``; ``group`` may come from the call or the marker.
        """
        from .errors import EquicheckError

        own = _marker_keywords(self.item)
        own.update(kwargs)
        if group is not None:
            own["group"] = group
        if "dtype" in own:
            value = own.pop("dtype")
            own.setdefault("dtypes", (value,) if isinstance(value, str) else tuple(value))
        merged = self._run.options.check_keywords()
        if "settings" in own:
            merged.pop("max_examples", None)
        merged.update(own)
        if merged.get("group") is None:
            raise EquicheckError(
                "no group given: pass it to the call (equicheck.check(f, 'c4')) or to the marker "
                f"(@pytest.mark.{MARKER}(group='c4'))"
            )
        return merged

    def check(self, f: Callable[..., Any], group: Any = None, **kwargs: Any) -> CheckResult:
        """:func:`equicheck.check_equivariance` with this run's and test's settings."""
        from .engine import check_equivariance

        merged = self.keywords(group, **kwargs)
        result = check_equivariance(f, merged.pop("group"), **merged)
        self._localise(f, result, merged)
        return result

    def assert_equivariant(self, f: Callable[..., Any], group: Any = None, **kwargs: Any) -> CheckResult:
        """:func:`equicheck.assert_equivariant` with this run's and test's settings."""
        __tracebackhide__ = True
        from .assertions import assert_equivariant
        from .errors import EquivarianceError

        merged = self.keywords(group, **kwargs)
        try:
            return assert_equivariant(f, merged.pop("group"), **merged)
        except EquivarianceError as exc:
            found = self._localise(f, exc.result, merged)
            if found:
                raise EquivarianceError(f"{exc}\n\n{found}", exc.result) from None
            raise

    def _localise(self, f: Any, result: Any, keywords: dict[str, Any]) -> str:
        """With ``--equicheck-locate``: the localisation of a failed check of a torch.nn.Module,
        kept on the result (``result.layers``, shown in reports); its summary line, or ''."""
        if not self._run.config.getoption("equicheck_locate", False) or result is None or result.passed:
            return ""
        if not hasattr(f, "named_modules") or result.counterexample is None:
            return ""
        from .layerwise import locate

        shape = keywords.get("input_shape")
        if not isinstance(shape, tuple) or not all(isinstance(n, int) for n in shape):
            shape = tuple(result.counterexample.input_shapes[0])
        action = keywords.get("in_action", "spatial")
        try:
            located = locate(f, result.group, input_shape=shape, in_action=action, name=result.function)
        except Exception as exc:  # noqa: BLE001 - the check's own verdict stands
            result.extra["locate_error"] = f"{type(exc).__name__}: {exc}"
            return ""
        result.layers = located.to_dict()
        return located.summary()

    def assert_invariant(self, f: Callable[..., Any], group: Any = None, **kwargs: Any) -> CheckResult:
        """:func:`equicheck.assert_invariant` with this run's and test's settings (a
        marker's ``out_action`` is ignored here: invariance means a trivial output action)."""
        __tracebackhide__ = True
        from .assertions import assert_invariant

        merged = self.keywords(group, **kwargs)
        if "out_action" not in kwargs:
            merged.pop("out_action", None)
            merged.pop("invariant", None)
        return assert_invariant(f, merged.pop("group"), **merged)


@pytest.fixture(scope="session")
def equicheck(pytestconfig: pytest.Config) -> EquicheckFixture:
    """Checks recorded in the report, with the marker's and the command line's settings."""
    return EquicheckFixture(pytestconfig.stash[RUN])
