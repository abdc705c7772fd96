"""The report's data model: the results of one run (or of several merged runs) and where
they ran.

A :class:`Report` holds :class:`~equicheck.CheckResult` objects, the environments they ran
in (machine, Python, library versions; one per merged run) and, per result, the index of
its environment. A report of a run that did not complete (interrupted, stopped by ``-x``)
is *partial*: ``complete`` is false and it says how many of the collected tests ran. The
JSON writer, the HTML and Markdown renderers and the pytest plugin all
work on this one object.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import EquicheckError
from ..result import VERDICTS, CheckResult

__all__ = ["FORMAT", "SCHEMA_VERSION", "Report", "ReportError", "failures_first", "now"]

#: The ``format`` field of every JSON report (tells it apart from any other JSON file).
FORMAT = "equicheck-report"
#: Version of the JSON schema (docs/reports.md). Readers accept this version and older ones.
#: 2 added ``complete``, ``tests_run``, ``tests_collected`` and ``stopped`` (partial runs).
SCHEMA_VERSION = 2

_ORDER = {"error": 0, "failed": 1, "inconclusive": 2, "passed": 3}


class ReportError(EquicheckError):
    """A report file cannot be read (not a report, a newer schema, broken arrays file...)."""


def now() -> str:
    """The current time as an ISO 8601 string in UTC, to the second."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def failures_first(results: Iterable[CheckResult]) -> list[CheckResult]:
    """Errors, then failures, then inconclusive, then passed checks; by test id within each
    (stable, so checks of one test keep their order), so that runs with and without xdist
    list the same rows in the same order."""
    return sorted(results, key=lambda r: (_ORDER.get(r.verdict, 0), r.test_id or ""))


@dataclass
class Report:
    """Checks and their environments. ``origins[i]`` indexes ``environments`` for ``results[i]``."""

    results: list[CheckResult] = field(default_factory=list)
    environments: list[dict[str, Any]] = field(default_factory=list)
    origins: list[int] = field(default_factory=list)
    created: str = field(default_factory=now)
    title: str = "equicheck report"
    #: False for a partial report: the run stopped before every collected test ran.
    complete: bool = True
    #: Tests that ran to the end (teardown included), and tests collected; None when unknown
    #: (a report written outside pytest, or read from schema version 1).
    tests_run: int | None = None
    tests_collected: int | None = None
    #: Why the run stopped early, in words (``KeyboardInterrupt``, ``stopping after 1
    #: failures``), or None.
    stopped: str | None = None

    def __post_init__(self) -> None:
        if not self.origins:
            self.origins = [0] * len(self.results)
        if len(self.origins) != len(self.results):
            raise ReportError(f"{len(self.results)} results but {len(self.origins)} origins")
        if self.results and not self.environments:
            self.environments = [{}]
        bad = [i for i in self.origins if not 0 <= i < len(self.environments)]
        if bad:
            raise ReportError(f"origins {bad} do not index the {len(self.environments)} environments")

    @classmethod
    def of(
        cls, results: Sequence[CheckResult], environment: dict[str, Any] | None = None, **kwargs: Any
    ) -> Report:
        """A report of one run: every result from the same ``environment``."""
        return cls(list(results), [environment or {}], [0] * len(results), **kwargs)

    def counts(self) -> dict[str, int]:
        """How many checks have each verdict, plus ``checks`` for the total."""
        seen = Counter(r.verdict for r in self.results)
        out = {"checks": len(self.results)}
        out.update({v: seen.get(v, 0) for v in VERDICTS})
        return out

    def environment_of(self, index: int) -> dict[str, Any]:
        """The environment the ``index``-th result ran in."""
        return self.environments[self.origins[index]]

    def ordered(self) -> list[tuple[int, CheckResult]]:
        """(index, result) pairs, failures first (see :func:`failures_first`)."""
        order = failures_first(self.results)
        position = {id(r): i for i, r in enumerate(self.results)}
        return [(position[id(r)], r) for r in order]

    def partial_note(self) -> str:
        """``"partial: 58 of 120 tests ran (KeyboardInterrupt)"`` for a partial report; ``""``
        for a complete one. Every format shows this line in its header."""
        if self.complete:
            return ""
        if self.tests_run is not None and self.tests_collected is not None:
            note = f"partial: {self.tests_run} of {self.tests_collected} tests ran"
        elif self.tests_run is not None:
            note = f"partial: {self.tests_run} tests ran, collection did not finish"
        else:
            note = "partial: the run did not complete"
        return note + (f" ({self.stopped})" if self.stopped else "")

    @property
    def passed(self) -> bool:
        """True when no check failed or erred (an empty report passes)."""
        return all(r.verdict in ("passed", "inconclusive") for r in self.results)
