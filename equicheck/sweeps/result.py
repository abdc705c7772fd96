"""What a sweep found: every cell's full check, as one report, and the exit status.

The results are ordinary :class:`~equicheck.CheckResult` objects; each carries
``test_id`` (the cell's label) and ``extra["sweep"]`` (sweep name, target, group, whether it
came from the cache), which the report's matrix view (targets x groups) is built from.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..report import Report, capture, write_run_reports
from ..result import CheckResult

__all__ = ["SweepResult"]


@dataclass
class SweepResult:
    """The checks of a sweep (in cell order; a partial sweep holds those that finished)."""

    name: str
    results: list[CheckResult]
    cells: int  # how many the sweep has
    cached: int = 0  # results read from the cache
    executor: str = "serial"
    stopped: str | None = None  # why a partial sweep stopped (``KeyboardInterrupt``)
    command: str | None = None
    report: Report = field(init=False)
    #: the report files :func:`equicheck.sweep` wrote
    written: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.report = Report.of(
            self.results,
            capture(command=self.command) if self.command else capture(),
            title=f"equicheck sweep {self.name}",
            complete=self.complete,
            tests_run=len(self.results),
            tests_collected=self.cells,
            stopped=self.stopped,
        )

    @property
    def complete(self) -> bool:
        return self.stopped is None and len(self.results) == self.cells

    def counts(self) -> dict[str, int]:
        """Cells per verdict, plus ``checks`` for the total that finished."""
        return self.report.counts()

    @property
    def passed(self) -> bool:
        """Every cell ran and none failed or erred (inconclusive cells do not fail a sweep)."""
        return self.complete and all(r.verdict in ("passed", "inconclusive") for r in self.results)

    def exit_code(self, strict: bool = False) -> int:
        """0 when every cell holds (inconclusive ones too, unless ``strict``), 1 when a cell
        failed or erred (or, with ``strict``, was inconclusive)."""
        bad = ("failed", "error", "inconclusive") if strict else ("failed", "error")
        return 1 if any(r.verdict in bad for r in self.results) else 0

    def write(self, paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
        """Write the merged report (``.json``, ``.html``, ``.md``), all or none; a partial
        sweep's goes to ``<name>.partial.<suffix>`` beside each path."""
        return write_run_reports(self.report, paths)

    def summary(self) -> str:
        c = self.counts()
        parts = [f"{c[v]} {v}" for v in ("passed", "failed", "error", "inconclusive") if c[v]]
        done = f"{len(self.results)} of {self.cells} cells" if not self.complete else f"{self.cells} cells"
        cached = f", {self.cached} from the cache" if self.cached else ""
        return f"sweep {self.name}: {done} ({', '.join(parts) or 'none ran'}{cached}) on {self.executor}"
