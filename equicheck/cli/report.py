"""``equicheck report IN.json... [-o OUT.json|.html|.md]...``: merge reports and render them."""

from __future__ import annotations

import argparse

from ..options import argparse_type, whole_number
from .base import Command, UsageError

__all__ = ["COMMAND"]

#: The smallest --markdown-limit: a summary needs room for its header and one row.
MARKDOWN_LIMIT_MIN = 1000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="REPORT.json", help="JSON reports to read")
    parser.add_argument(
        "-o",
        "--output",
        action="append",
        default=[],
        metavar="PATH",
        help="write the merged report here (.json, .html or .md; repeatable)",
    )
    parser.add_argument("--title", help="title of the merged report (default: the input's)")
    parser.add_argument(
        "--markdown-limit",
        type=argparse_type(whole_number, low=MARKDOWN_LIMIT_MIN, name="the Markdown limit in bytes"),
        default=None,
        metavar="BYTES",
        help="largest Markdown summary in bytes (default 1000000, under GitHub's 1 MiB)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 if any check failed or erred"
    )


def run(args: argparse.Namespace) -> int:
    from ..report import ReportError, check_path, format_table, read_reports, write_reports

    try:
        outputs = [check_path(p) for p in args.output]
        report = read_reports(args.inputs, title=args.title)
        written = write_reports(report, outputs, markdown_limit=args.markdown_limit)
    except ReportError as exc:
        raise UsageError(str(exc)) from None
    if written:
        for path in written:
            print(f"wrote {path}")
    else:
        print("\n".join(format_table(report.results)))
    counts = report.counts()
    print(
        f"{counts['checks']} checks: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['error']} errors, {counts['inconclusive']} inconclusive"
    )
    if not report.complete:  # a partial input makes the merge partial
        print(
            f"{report.partial_note()}: the run did not complete; checks of tests that did not run are missing"
        )
    return 1 if args.strict and not report.passed else 0


COMMAND = Command(
    "report",
    help="merge JSON reports and render them to JSON, HTML or Markdown",
    description=(
        "Read one or more JSON reports (from --equicheck-report, e.g. one per CI job), "
        "merge them and write the result to each -o path, by its suffix: .json (merged "
        "data with its .arrays.npz sidecar), .html (one self-contained page with plots) "
        "or .md (a summary for pull requests, linking to the HTML written with it). "
        "Without -o, print the table of checks."
    ),
    add_arguments=add_arguments,
    run=run,
)
