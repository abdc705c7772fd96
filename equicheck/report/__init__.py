"""Reports of checks: JSON (data, versioned, merges across runs), HTML (plots, for people)
and Markdown (summaries for pull requests and CI logs).

Everything starts from a :class:`Report` (results plus the environments they ran in).
:func:`write_reports` writes one to any of ``.json``, ``.html`` and ``.md`` paths, chosen by
suffix; :func:`read_reports` reads and merges JSON reports. The format is documented in
docs/reports.md. HTML needs ``jinja2`` and ``matplotlib`` (dependencies of equicheck); JSON and
Markdown need nothing beyond NumPy.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .environment import capture
from .jsonfile import read_json, sidecar_path, write_json
from .markdown import render_markdown, write_markdown
from .merge import combine, merge
from .model import FORMAT, SCHEMA_VERSION, Report, ReportError, failures_first
from .text import format_table

__all__ = [
    "FORMAT",
    "SCHEMA_VERSION",
    "SUFFIXES",
    "Report",
    "ReportError",
    "capture",
    "check_path",
    "combine",
    "failures_first",
    "format_table",
    "merge",
    "read_json",
    "read_reports",
    "render_html",
    "render_markdown",
    "sidecar_path",
    "write_html",
    "write_json",
    "write_markdown",
    "write_reports",
]

#: Report formats by file suffix.
SUFFIXES: dict[str, str] = {".json": "JSON", ".html": "HTML", ".md": "Markdown"}


def render_html(report: Report, **kwargs: Any) -> str:
    """See :func:`equicheck.report.html.render_html` (imported on use: it loads matplotlib)."""
    from .html import render_html as render

    return render(report, **kwargs)


def write_html(report: Report, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """See :func:`equicheck.report.html.write_html`."""
    from .html import write_html as write

    return write(report, path, **kwargs)


def check_path(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path if its suffix names a format; otherwise :class:`ReportError`."""
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        raise ReportError(
            f"unsupported report format {p.suffix or '(no suffix)'!r} in {str(p)!r}; "
            f"use {', '.join(SUFFIXES)}"
        )
    if p.suffix.lower() == ".html":
        from .html import require

        require()
    return p


def write_reports(
    report: Report, paths: Iterable[str | os.PathLike[str]], *, markdown_limit: int | None = None
) -> list[Path]:
    """Write ``report`` to every path by its suffix; return the files written (with JSON
    sidecars). A Markdown summary links to the HTML report written with it, if any."""
    targets = [check_path(p) for p in paths]
    html = next((p for p in targets if p.suffix.lower() == ".html"), None)
    written: list[Path] = []
    for target in targets:
        kind = target.suffix.lower()
        if kind == ".json":
            written.extend(write_json(report, target))
        elif kind == ".html":
            written.append(write_html(report, target))
        else:
            link = os.path.relpath(html, target.parent) if html is not None else None
            extra: dict[str, Any] = {"html_link": link}
            if markdown_limit is not None:
                extra["limit"] = markdown_limit
            written.append(write_markdown(report, target, **extra))
    return written


def read_reports(paths: Sequence[str | os.PathLike[str]], title: str | None = None) -> Report:
    """Read JSON reports and merge them into one (a single file is returned as read)."""
    reports = [read_json(p) for p in paths]
    if len(reports) == 1 and title is None:
        return reports[0]
    return merge(reports, title=title)
