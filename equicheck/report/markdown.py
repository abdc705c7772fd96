"""The Markdown summary, for pull requests and CI logs (GitHub's ``$GITHUB_STEP_SUMMARY``).

A headline (with the ``partial: 58 of 120 tests ran`` line of a partial report), a link to
the HTML report, a table of checks (failures first) and the failure
messages. It stays within ``limit`` bytes (GitHub accepts at most 1 MiB per step summary):
rows and messages that do not fit are left out with a line saying how many. Text from
results is escaped, so a name holding ``|``, backticks or markup cannot break the table
or add HTML.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote

from ..result import CheckResult
from .atomic import atomic_write_text
from .grids import error_map_lines
from .layers import layers_markdown
from .matrix import matrix_markdown
from .model import Report
from .text import actions_text, error_text

__all__ = ["DEFAULT_LIMIT", "escape", "render_markdown", "write_markdown"]

#: Default size limit in bytes: under GitHub's 1 MiB step-summary limit, with room to spare.
DEFAULT_LIMIT = 1_000_000
_ICON = {"passed": "✅", "failed": "❌", "error": "💥", "inconclusive": "⚠️"}
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def escape(text: str) -> str:
    """``text`` safe inside a Markdown table cell: one line, markup escaped."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _url(link: str) -> str:
    return quote(link, safe=":/#?&=._-~%")


def _row(result: CheckResult, index: int, link: str | None) -> str:
    verdict = f"{_ICON.get(result.verdict, '')} {result.verdict}".strip()
    if link:
        verdict = f"[{verdict}]({_url(link)}#check-{index})"
    cells = [
        verdict,
        escape(result.test_id or "-"),
        escape(result.function),
        escape(result.group),
        escape(actions_text(result)),
        escape(error_text(result)),
        str(result.examples),
        f"{result.elapsed:.2f}s",
    ]
    return "| " + " | ".join(cells) + " |"


def _failure(result: CheckResult) -> str:
    where = f"{escape(result.function)} under {escape(result.group)}"
    title = f"**{escape(result.test_id or result.function)}** — {where}"
    body = result.message or result.summary()
    ce = result.counterexample
    if ce is not None:
        body += f"\nGroup element: {ce.element}\nCounterexample input: {ce.input}"
        body += "".join(f"\n{line}" for line in error_map_lines(ce.arrays))  # 1-D and 3-D grids
        if ce.replay:
            body += f"\nReplay: {ce.replay}"
    fence = _fence(body)
    layers = "\n".join(layers_markdown(result, escape))
    return f"{title}\n\n{fence}text\n{body}\n{fence}\n" + (f"\n{layers}" if layers else "")


def render_markdown(report: Report, *, html_link: str | None = None, limit: int = DEFAULT_LIMIT) -> str:
    """The summary as Markdown of at most ``limit`` bytes (UTF-8)."""
    counts = report.counts()
    bad = counts["failed"] + counts["error"]
    if not report.results:
        headline = "## equicheck: no checks recorded"
    elif bad:
        headline = f"## ❌ equicheck: {bad} of {counts['checks']} checks failed"
    else:
        headline = f"## ✅ equicheck: all {counts['checks']} checks passed"
    partial = report.partial_note()
    if partial:  # a partial run has not passed, whatever its checks say
        headline = headline.replace("✅", "⚠️")
    head = [headline, ""]
    if partial:
        missing = "the run did not complete; the checks of the tests that did not run are missing"
        head += [f"> ⚠️ **{escape(partial)}**: {missing}.", ""]
    matrix = matrix_markdown(report, escape)  # a sweep's targets x groups
    if matrix:
        head += ["### Matrix", "", *matrix, ""]
    if html_link:
        head += [f"Full report with plots: [{escape(Path(html_link).name)}]({_url(html_link)})", ""]
    table_head = [
        "| Verdict | Test | Function | Group | Actions | Max error / tol | Inputs | Time |",
        "|---|---|---|---|---|---:|---:|---:|",
    ]
    ordered = report.ordered()
    rows = [_row(r, i, html_link) for i, r in ordered]
    failures = [_failure(r) for _, r in ordered if r.verdict in ("failed", "error")]

    reserve = 400  # room for the truncation notes
    parts = "\n".join(head) + "\n"
    size = len(parts.encode())
    out = [parts]
    if rows:
        block = "\n".join(table_head) + "\n"
        out.append(block)
        size += len(block.encode())
    shown = 0
    for line in rows:
        n = len(line.encode()) + 1
        if size + n > limit - reserve:
            break
        out.append(line + "\n")
        size += n
        shown += 1
    if shown < len(rows):
        note = f"\n_{len(rows) - shown} more checks not shown (size limit); see the full report._\n"
        out.append(note)
        size += len(note.encode())
    if failures and shown == len(rows):
        block = "\n### Failures\n\n"
        out.append(block)
        size += len(block.encode())
        done = 0
        for text in failures:
            n = len(text.encode()) + 1
            if size + n > limit - reserve:
                break
            out.append(text + "\n")
            size += n
            done += 1
        if done < len(failures):
            out.append(f"_{len(failures) - done} more failure messages not shown (size limit)._\n")
    return "".join(out)


def write_markdown(report: Report, path: str | os.PathLike[str], **kwargs: object) -> Path:
    """Render the summary and write it to ``path`` atomically."""
    return atomic_write_text(path, render_markdown(report, **kwargs))  # type: ignore[arg-type]
