"""``equicheck locate MODULE:NAME --group ...``: which layer of a model breaks equivariance.

Light on import: the user's module, torch and the localisation load when the command runs.
Exit status 0 when no layer breaks, 1 when one does, 2 on a usage error.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..options import argparse_type, dtypes, positive_int, seed, shape
from .base import Command, UsageError, add_comparison_arguments, command_line
from .targets import load_target

__all__ = ["COMMAND"]


def _declared(text: str) -> tuple[str, str]:
    name, sep, action = text.partition("=")
    if not sep or not name.strip() or not action.strip():
        raise argparse.ArgumentTypeError(
            f"--action takes LAYER=ACTION, e.g. layer1=regular(axis=1), got {text!r}"
        )
    return name.strip(), action.strip()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="MODULE:NAME", help="the model: a torch.nn.Module or equicheck.nn")
    parser.add_argument("--group", "-g", required=True, help="group name, e.g. c4, p4m, translation, so2")
    parser.add_argument(
        "--input-shape",
        type=argparse_type(shape, name="input shape"),
        required=True,
        metavar="SHAPE",
        help="shape of the model's input, e.g. 1,3,64,64",
    )
    parser.add_argument("--in-action", default="spatial", metavar="ACTION", help="how g moves the input")
    parser.add_argument(
        "--action",
        type=_declared,
        action="append",
        default=[],
        metavar="LAYER=ACTION",
        help="the action of a layer's output, e.g. lift=regular(axis=1) (repeatable)",
    )
    parser.add_argument(
        "--dtype",
        type=argparse_type(dtypes),
        default=None,
        metavar="DTYPE",
        help="the input's dtype (default: the model's parameters', else float32)",
    )
    parser.add_argument("--seed", type=argparse_type(seed), default=0, metavar="N", help="input seed (0)")
    parser.add_argument(
        "--max-elements",
        type=argparse_type(positive_int, name="max elements"),
        default=8,
        metavar="N",
        help="elements used at most when the group has more (8)",
    )
    add_comparison_arguments(parser)
    parser.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="PATH",
        help="write the localisation to PATH (.json, .html or .md; repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    from ..errors import EquicheckError

    paths = []
    if args.report:
        from ..report import check_path

        try:
            paths = [check_path(p) for p in args.report]
        except EquicheckError as exc:
            raise UsageError(str(exc)) from None
    shape_ = tuple(args.input_shape)
    if any(n is None for n in shape_):
        raise UsageError(f"--input-shape needs every size, got {args.input_shape!r}")
    model, name = load_target(args.target)
    from ..layerwise import locate
    from ..layerwise.result import as_check_result

    kwargs: dict[str, Any] = {
        "in_action": args.in_action,
        "actions": dict(args.action) or None,
        "input_shape": shape_,
        "dtypes": args.dtype,
        "seed": args.seed,
        "max_elements": args.max_elements,
        "margin": args.margin,
        "rtol": args.rtol,
        "atol": args.atol,
        "name": name,
    }
    try:
        result = locate(model, args.group, **kwargs)
    except (EquicheckError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    print(result)
    if paths:
        from ..report import Report, capture, write_reports

        report = Report.of([as_check_result(result)], capture(command=command_line()))
        for path in write_reports(report, paths):
            print(f"wrote {path}")
    return 0 if result.passed else 1


COMMAND = Command(
    "locate",
    help="which layer breaks equivariance: equicheck locate mod:model --group c4 --input-shape 1,3,64,64",
    description=(
        "Localise equivariance layer by layer in a model named MODULE:NAME (a torch.nn.Module, "
        "an equicheck.nn module or a list of callables; NAME() calls a factory): for every layer "
        "call, the cumulative and local errors, the action assumed for its output and where it "
        "came from, and the first layer that breaks equivariance with what that kind of layer "
        "typically does wrong (docs/locate.md). Exit status 0 when no layer breaks, 1 when one "
        "does, 2 on a usage error."
    ),
    add_arguments=add_arguments,
    run=run,
)
