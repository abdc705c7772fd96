"""``equicheck demo``: the built-in audit of what people say about CNNs (see docs/demo.md).

Light on import: the networks, the engine and the report load when the command runs.
"""

from __future__ import annotations

import argparse
import shlex

from ..demo.names import CLAIM_IDS
from ..options import argparse_type, seed
from .base import Command, UsageError, add_backend_argument

__all__ = ["COMMAND"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    speed = parser.add_mutually_exclusive_group()
    speed.add_argument(
        "--quick", action="store_const", const="quick", dest="mode", help="a few seconds: fewer inputs"
    )
    speed.add_argument(
        "--full", action="store_const", const="full", dest="mode", help="minutes: many more inputs"
    )
    parser.set_defaults(mode="default")
    add_backend_argument(parser)
    parser.add_argument(
        "--report",
        default=None,
        metavar="PATH",
        help="where to write: a .html or .json path (the other beside it) or a folder "
        "(default: equicheck-report/demo.html)",
    )
    parser.add_argument(
        "--seed", type=argparse_type(seed), default=0, help="seed of inputs and weights (default 0)"
    )
    parser.add_argument(
        "--claim",
        action="append",
        default=None,
        metavar="ID",
        help=f"check only this claim (repeatable): {', '.join(CLAIM_IDS)}",
    )


def _typed(args: argparse.Namespace) -> str:
    """The command as typed, options in a fixed order, for the report."""
    flags = (
        "--quick" if args.mode == "quick" else "--full" if args.mode == "full" else "",
        f"--backend {args.backend}" if args.backend else "",
        f"--seed {args.seed}" if args.seed else "",
        f"--report {shlex.quote(args.report)}" if args.report else "",
        " ".join(f"--claim {c}" for c in args.claim or ()),
    )
    return " ".join(["equicheck demo", *(flag for flag in flags if flag)])


def run(args: argparse.Namespace) -> int:
    unknown = sorted(set(args.claim or ()) - set(CLAIM_IDS))
    if unknown:
        raise UsageError(f"unknown claim {', '.join(unknown)}; the claims are: {', '.join(CLAIM_IDS)}")
    from ..backends import get_backend
    from ..demo.run import report_paths, run_demo
    from ..errors import EquicheckError

    try:
        report_paths(args.report)
        get_backend(args.backend)
    except (ValueError, EquicheckError) as exc:
        raise UsageError(str(exc)) from None
    result = run_demo(
        mode=args.mode,
        seed=args.seed,
        backend=args.backend,
        report=args.report,
        command=_typed(args),
        only=args.claim,
    )
    return 0 if result.holds else 1


COMMAND = Command(
    "demo",
    help="check what people say about CNNs, end to end, and write an HTML report",
    description=(
        "Build reference networks with equicheck.nn and check six claims about "
        "convolutional networks (translation equivariance with circular and zero padding, "
        "stride and pooling, blur pooling, rotations and scalings, p4 group CNNs, weight "
        "sharing). Each claim gets a verdict, figures and plots; a claim that does not hold "
        "is shown with its counterexample. Writes an HTML page and a JSON report. Exit "
        "status 0 when every claim holds, 1 when one does not."
    ),
    add_arguments=add_arguments,
    run=run,
)
