"""Reports of checks: JSON (data, versioned, merges across runs), HTML (plots, for people)
and Markdown (summaries for pull requests and CI logs).

Everything starts from a :class:`Report` (results plus the environments they ran in).
:func:`write_reports` writes one to any of ``.json``, ``.html`` and ``.md`` paths, chosen by
suffix, all or none; :func:`write_run_reports` does the same for a test run, sending a
partial report (an interrupted run) to ``<name>.partial.<suffix>`` beside the requested
paths; :func:`read_reports` reads and merges JSON reports. The format is documented in
docs/reports.md. HTML needs ``jinja2`` and ``matplotlib`` (dependencies of equicheck); JSON and
Markdown need nothing beyond NumPy.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .atomic import Writer, atomic_write_all
from .environment import capture
from .jsonfile import json_files, read_json, sidecar_path, write_json
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
    "partial_path",
    "read_json",
    "read_reports",
    "render_html",
    "render_markdown",
    "report_files",
    "sidecar_path",
    "write_html",
    "write_json",
    "write_markdown",
    "write_reports",
    "write_run_reports",
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


def report_files(
    report: Report, paths: Iterable[str | os.PathLike[str]], *, markdown_limit: int | None = None
) -> list[tuple[Path, Writer]]:
    """Every file of ``report`` for ``paths`` (by suffix; JSON with its sidecar), rendered
    from this one object but not yet written: (path, writer) pairs for
    :func:`~equicheck.report.atomic.atomic_write_all`. A Markdown summary links to the HTML
    report among ``paths``, if any."""
    targets = [check_path(p) for p in paths]
    html_target = next((p for p in targets if p.suffix.lower() == ".html"), None)
    files: list[tuple[Path, Writer]] = []
    for target in targets:
        kind = target.suffix.lower()
        if kind == ".json":
            files.extend(json_files(report, target))
            continue
        if kind == ".html":
            from . import html  # on use: it loads matplotlib

            text = html.render_html(report)
        else:
            link = os.path.relpath(html_target, target.parent) if html_target is not None else None
            extra: dict[str, Any] = {"html_link": link}
            if markdown_limit is not None:
                extra["limit"] = markdown_limit
            text = render_markdown(report, **extra)
        data = text.encode("utf-8")
        files.append((target, lambda handle, data=data: handle.write(data)))
    return files


def write_reports(
    report: Report, paths: Iterable[str | os.PathLike[str]], *, markdown_limit: int | None = None
) -> list[Path]:
    """Write ``report`` to every path by its suffix, all or none; return the files written
    (with JSON sidecars). Every format is rendered first and written to temporary files,
    which replace the old files only when all of them succeeded: an error or a
    KeyboardInterrupt on the way (while the HTML is drawn, say) leaves every old file as it
    was. A Markdown summary links to the HTML report written with it, if any."""
    files = report_files(report, paths, markdown_limit=markdown_limit)
    written = atomic_write_all(files)
    # a sidecar is renamed before its JSON (which never names a missing sidecar) but
    # listed after it
    json_first: list[Path] = []
    for path in written:
        if path.suffix.lower() == ".json" and json_first and json_first[-1] == sidecar_path(path):
            json_first.insert(-1, path)
        else:
            json_first.append(path)
    return json_first


def partial_path(path: str | os.PathLike[str]) -> Path:
    """Where the partial report for ``path`` goes: ``r.json`` -> ``r.partial.json`` (its
    sidecar then ``r.partial.arrays.npz``), ``r.html`` -> ``r.partial.html``."""
    p = Path(path)
    return p.with_name(f"{p.stem}.partial{p.suffix}")


def write_run_reports(
    report: Report, paths: Iterable[str | os.PathLike[str]], *, markdown_limit: int | None = None
) -> list[Path]:
    """Write the report of a test run (what the pytest plugin does), all or none.

    A complete report (``report.complete``) goes to ``paths``; then the stale partial files
    of those paths (``partial_path(p)`` and its sidecar) are removed. A partial report goes
    to ``partial_path(p)`` for each path instead, and the complete reports at ``paths`` (a
    previous run's) are left untouched. Returns the files written.
    """
    targets = [check_path(p) for p in paths]
    if not report.complete:
        return write_reports(report, [partial_path(p) for p in targets], markdown_limit=markdown_limit)
    written = write_reports(report, targets, markdown_limit=markdown_limit)
    for target in targets:
        stale = [partial_path(target)]
        if target.suffix.lower() == ".json":
            stale.append(sidecar_path(stale[0]))
        for path in stale:
            path.unlink(missing_ok=True)
    return written


def read_reports(paths: Sequence[str | os.PathLike[str]], title: str | None = None) -> Report:
    """Read JSON reports and merge them into one (a single file is returned as read)."""
    reports = [read_json(p) for p in paths]
    if len(reports) == 1 and title is None:
        return reports[0]
    return merge(reports, title=title)
