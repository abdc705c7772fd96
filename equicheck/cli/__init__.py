"""The ``equicheck`` command: ``equicheck demo | check | report | backends``.

One module per command (:mod:`.demo`, :mod:`.check`, :mod:`.report`, :mod:`.backends`), each
with a ``COMMAND`` (its name, help, arguments and runner, see :class:`.base.Command`);
:data:`COMMANDS` lists them in the one place a new command is registered. Command modules
import only the standard library and light equicheck modules at the top: the engine, SciPy,
Hypothesis and matplotlib load when a command that needs them runs, so ``equicheck --help``
answers at once. Exit status: 0 success, 1 checks failed (where a command says so), 2 a
usage error or unreadable input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import backends, check, demo, locate, report, sweep
from .base import Command, Runner, UsageError

__all__ = ["COMMANDS", "build_parser", "main"]

#: Every subcommand, in the order ``equicheck --help`` lists them. Register new ones here.
COMMANDS: list[Command] = [demo.COMMAND, check.COMMAND, report.COMMAND, backends.COMMAND]
COMMANDS.append(sweep.COMMAND)
COMMANDS.append(locate.COMMAND)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Runner]]:
    """The ``equicheck`` parser and the runner of each subcommand by name."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="equicheck", description="Property-based equivariance checks: reports and tools."
    )
    parser.add_argument("--version", action="version", version=f"equicheck {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for command in COMMANDS:
        sub = subparsers.add_parser(command.name, help=command.help, description=command.description)
        command.add_arguments(sub)
    return parser, {command.name: command.run for command in COMMANDS}


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
