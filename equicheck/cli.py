"""The ``equicheck`` command: ``equicheck report`` (and the commands listed in COMMANDS).

Every subcommand is one function that adds its parser and returns the function that runs
it; :data:`COMMANDS` lists them in the one place a new command is registered. Exit status:
0 success, 1 checks failed (where a command says so), 2 a usage error or unreadable input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from .commands import backends_command, check_command, demo_command

__all__ = ["COMMANDS", "build_parser", "main"]

#: What runs a parsed command line: takes the parsed arguments, returns the exit status.
Runner = Callable[[argparse.Namespace], int]
#: Adds a subcommand to the subparsers and returns its runner.
Command = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], Runner]


class UsageError(Exception):
    """A command cannot run with what it was given; printed as ``equicheck CMD: error: ...``."""


# --- equicheck report --------------------------------------------------------------------------
def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of bytes, got {text!r}") from None
    if value < 1000:
        raise argparse.ArgumentTypeError(f"the limit must be at least 1000 bytes, got {value}")
    return value


def report_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> Runner:
    """``equicheck report IN.json... [-o OUT.json|.html|.md]...``: merge and render reports."""
    parser = subparsers.add_parser(
        "report",
        help="merge JSON reports and render them to JSON, HTML or Markdown",
        description=(
            "Read one or more JSON reports (from --equicheck-report, e.g. one per CI job), "
            "merge them and write the result to each -o path, by its suffix: .json (merged "
            "data with its .arrays.npz sidecar), .html (one self-contained page with plots) "
            "or .md (a summary for pull requests, linking to the HTML written with it). "
            "Without -o, print the table of checks."
        ),
    )
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
        type=_positive,
        default=None,
        metavar="BYTES",
        help="largest Markdown summary in bytes (default 1000000, under GitHub's 1 MiB)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 if any check failed or erred"
    )

    def run(args: argparse.Namespace) -> int:
        from .report import ReportError, check_path, format_table, read_reports, write_reports

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
        return 1 if args.strict and not report.passed else 0

    return run


#: Every subcommand, in the order ``equicheck --help`` lists them. Register new ones here.
COMMANDS: list[Command] = [demo_command, check_command, report_command, backends_command]


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Runner]]:
    """The ``equicheck`` parser and the runner of each subcommand by name."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="equicheck", description="Property-based equivariance checks: reports and tools."
    )
    parser.add_argument("--version", action="version", version=f"equicheck {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    runners: dict[str, Runner] = {}
    for command in COMMANDS:
        before = set(subparsers.choices)
        runner = command(subparsers)
        for name in set(subparsers.choices) - before:
            runners[name] = runner
    return parser, runners


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``equicheck`` with ``argv`` (default: the process's arguments); return the status."""
    parser, runners = build_parser()
    args = parser.parse_args(argv)
    try:
        return runners[args.command](args)
    except UsageError as exc:
        print(f"equicheck {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: stop quietly, as Unix tools do
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
