"""What the commands share: a command's parts, the usage error and how a command was typed.

Command modules import this module, never the :mod:`equicheck.cli` package (which imports
them). Exit status, everywhere in the command line: 0 success, 1 a check failed or a claim
does not hold (where the command says so), 2 a usage error or unreadable input, printed as
``equicheck CMD: error: ...``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..options import argparse_type, backend_name, non_negative_int, tolerance

__all__ = [
    "Command",
    "Runner",
    "UsageError",
    "add_backend_argument",
    "add_comparison_arguments",
    "command_line",
]

#: What runs a parsed command line: takes the parsed arguments, returns the exit status.
Runner = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """A command cannot run with what it was given; printed as ``equicheck CMD: error: ...``."""


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, its help, how to add its arguments and what runs it."""

    name: str
    help: str  # the line in ``equicheck --help``
    description: str  # the paragraph of ``equicheck NAME --help``
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Runner


def command_line(argv: Sequence[str] | None = None) -> str:
    """How this command was typed, for reports (``equicheck check mod:f --group c4``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    return "equicheck " + " ".join(shlex.quote(a) for a in args)


def add_backend_argument(parser: argparse.ArgumentParser) -> None:
    """``--backend NAME``, as every command that runs checks takes it."""
    parser.add_argument(
        "--backend",
        type=argparse_type(backend_name),
        default=None,
        metavar="NAME",
        help="numpy (default) or cupy",
    )


def add_comparison_arguments(parser: argparse.ArgumentParser) -> None:
    """``--margin``, ``--rtol`` and ``--atol``: how outputs are compared, wherever they are."""
    parser.add_argument(
        "--margin",
        type=argparse_type(non_negative_int, name="the margin"),
        default=0,
        metavar="N",
        help="ignore N entries along borders",
    )
    for name in ("rtol", "atol"):
        kind = "relative" if name == "rtol" else "absolute"
        parser.add_argument(
            f"--{name}",
            type=argparse_type(tolerance, name=name),
            default=None,
            help=f"{kind} tolerance (default: per dtype)",
        )
