"""The matrix view of a sweep: targets x groups, a verdict in each cell.

Built from the results themselves (each result of a sweep carries ``extra["sweep"]`` with
its target and group), so a sweep's JSON report shows the same matrix when rendered again
by ``equicheck report``. One matrix cell gathers every check of that target and group (over
dtypes, seeds, actions, keywords): the worst verdict (error, failed, inconclusive, passed),
the largest error against its tolerance, how many checks fail, and the check to link to.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..result import CheckResult
from .model import Report

__all__ = ["Matrix", "MatrixCell", "matrix_context", "matrix_markdown", "sweep_matrix"]

_WORST_FIRST = {"error": 0, "failed": 1, "inconclusive": 2, "passed": 3}


@dataclass(frozen=True)
class MatrixCell:
    """What one target under one group came to."""

    verdict: str
    text: str  # ``3.2e-07 / 5e-05`` or ``error (timeout)``, plus ``2 of 4 fail`` when several
    index: int  # the report index of the check shown (the worst one)
    checks: int
    failing: int


@dataclass(frozen=True)
class Matrix:
    """Rows (targets) and columns (groups) in the order they first appear."""

    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], MatrixCell]

    def cell(self, row: str, column: str) -> MatrixCell | None:
        return self.cells.get((row, column))


def _ratio(result: CheckResult) -> float:
    ratio = result.ratio
    return ratio if math.isfinite(ratio) else -1.0


def _text(worst: CheckResult, checks: int, failing: int) -> str:
    if worst.verdict == "error":
        text = f"error ({worst.failure_kind})" if worst.failure_kind else "error"
    else:
        text = f"{worst.max_error:.2g} / {worst.tolerance:.2g}"
    if checks > 1:
        text += f" ({failing} of {checks} fail)" if failing else f" ({checks} checks)"
    return text


def sweep_matrix(report: Report) -> Matrix | None:
    """The targets x groups matrix of the sweep results in ``report``; None when it holds none."""
    groups: dict[tuple[str, str], list[int]] = {}
    rows: dict[str, None] = {}
    columns: dict[str, None] = {}
    for index, result in enumerate(report.results):
        info = result.extra.get("sweep") if isinstance(result.extra, dict) else None
        if not isinstance(info, dict) or "target" not in info or "group" not in info:
            continue
        key = (str(info["target"]), str(info["group"]))
        rows.setdefault(key[0])
        columns.setdefault(key[1])
        groups.setdefault(key, []).append(index)
    if not groups:
        return None
    cells = {}
    for key, indices in groups.items():
        results = [report.results[i] for i in indices]
        worst = min(
            indices,
            key=lambda i: (_WORST_FIRST.get(report.results[i].verdict, 0), -_ratio(report.results[i])),
        )
        failing = sum(r.verdict in ("failed", "error") for r in results)
        best = report.results[worst]
        cells[key] = MatrixCell(
            best.verdict, _text(best, len(results), failing), worst, len(results), failing
        )
    return Matrix(list(rows), list(columns), cells)


def matrix_context(report: Report) -> dict[str, Any] | None:
    """The matrix as plain lists for the HTML template (None when the report has no sweep)."""
    found = sweep_matrix(report)
    if found is None:
        return None
    rows = []
    for row in found.rows:
        cells = []
        for column in found.columns:
            cell = found.cell(row, column)
            cells.append(
                None if cell is None else {"verdict": cell.verdict, "text": cell.text, "index": cell.index}
            )
        rows.append({"name": row, "cells": cells})
    return {"columns": found.columns, "rows": rows}


def matrix_markdown(report: Report, escape: Callable[[str], str]) -> list[str]:
    """The matrix as Markdown table lines (none when the report has no sweep); ``escape``
    makes a text safe in a table cell."""
    found = sweep_matrix(report)
    if found is None:
        return []
    icon = {"passed": "✅", "failed": "❌", "error": "💥", "inconclusive": "⚠️"}
    lines = [
        "| Target | " + " | ".join(escape(c) for c in found.columns) + " |",
        "|---|" + "---|" * len(found.columns),
    ]
    for row in found.rows:
        cells = []
        for column in found.columns:
            cell = found.cell(row, column)
            cells.append("-" if cell is None else f"{icon.get(cell.verdict, '')} {escape(cell.text)}")
        lines.append(f"| {escape(row)} | " + " | ".join(cells) + " |")
    return lines
