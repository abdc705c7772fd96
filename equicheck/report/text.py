"""Plain-text table of checks: the pytest terminal section and ``equicheck report``'s output.

One row per check, failures first: verdict, test id, function, group, actions, largest
error / tolerance, inputs drawn, time.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..result import CheckResult
from .model import failures_first

__all__ = ["HEADER", "actions_text", "error_text", "format_table", "row"]

HEADER = ("verdict", "test", "function", "group", "actions", "max error / tol", "inputs", "time")
#: Widest a cell may be; longer text is shortened in the middle.
_MAX_WIDTH = {"test": 60, "function": 40, "group": 28, "actions": 40}


def actions_text(result: CheckResult) -> str:
    """``in -> out`` actions, e.g. ``regular(axis=1) -> trivial``."""
    return f"{', '.join(result.in_actions)} -> {', '.join(result.out_actions)}"


def error_text(result: CheckResult) -> str:
    """``3.2e-07 / 1e-05``: the largest error seen against the tolerance it was judged by."""
    return f"{result.max_error:.2g} / {result.tolerance:.2g}"


def _verdict(result: CheckResult) -> str:
    word = result.verdict.upper() if not result.passed else result.verdict
    if result.failure_kind and result.failure_kind != "mismatch":
        word += f"({result.failure_kind})"
    return word


def _shorten(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    keep = width - 1
    return text[: keep // 2] + "…" + text[len(text) - (keep - keep // 2) :]


def row(result: CheckResult) -> tuple[str, ...]:
    """The cells of one check's row."""
    cells = (
        _verdict(result),
        result.test_id or "-",
        result.function,
        result.group,
        actions_text(result),
        error_text(result),
        str(result.examples),
        f"{result.elapsed:.2f}s",
    )
    return tuple(_shorten(" ".join(c.split()), _MAX_WIDTH.get(h, 1000)) for h, c in zip(HEADER, cells))


def format_table(results: Sequence[CheckResult]) -> list[str]:
    """The header line and one line per check, failures first, columns aligned."""
    rows = [HEADER] + [row(r) for r in failures_first(results)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
