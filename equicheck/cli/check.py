"""``equicheck check MODULE:NAME --group ...``: check a user's function or model from the shell.

Light on import: the user's module, the engine and the report load when the command runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..options import (
    argparse_type,
    dtypes,
    positive_int,
    seed,
    shape,
    timeout,
)
from .base import Command, UsageError, add_backend_argument, add_comparison_arguments, command_line
from .targets import load_target, replay_line

__all__ = ["COMMAND", "parse_shape"]

#: ``--input-shape``: ``"2,3,32,32"``, ``"2x3x32x32"`` or ``"(2, 3, None, None)"``; ``None``,
#: ``_`` or ``?`` leaves a grid axis for the check to draw (see :func:`equicheck.options.shape`).
parse_shape = argparse_type(shape, name="input shape")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="MODULE:NAME", help="the function or model to check")
    parser.add_argument("--group", "-g", required=True, help="group name, e.g. c4, p4m, translation, so2")
    parser.add_argument(
        "--input-shape",
        type=parse_shape,
        action="append",
        metavar="SHAPE",
        help="shape of an input, e.g. 2,3,32,32 or 2,3,None,None (None: drawn grid size); "
        "repeat for functions of several inputs (default: a drawn grid of the group's 1, 2 or 3 axes)",
    )
    parser.add_argument(
        "--in-action",
        action="append",
        metavar="ACTION",
        help="how the group moves an input (default spatial); repeat once per input",
    )
    parser.add_argument(
        "--out-action",
        action="append",
        metavar="ACTION",
        help="how it moves an output (default: the input's); repeat once per output",
    )
    parser.add_argument(
        "--invariant", action="store_true", help="the output must not move (out action trivial)"
    )
    parser.add_argument(
        "--dtype",
        type=argparse_type(dtypes),
        default=None,
        metavar="DTYPES",
        help="input dtypes, e.g. float32,float64",
    )
    parser.add_argument(
        "--examples",
        type=argparse_type(positive_int, name="the number of examples"),
        default=None,
        metavar="N",
        help="inputs to draw (default 100)",
    )
    parser.add_argument(
        "--seed", type=argparse_type(seed), default=None, metavar="N", help="seed for a reproducible run"
    )
    parser.add_argument(
        "--batched", action="store_true", help="f takes a batch on axis 0: one call for all elements"
    )
    add_comparison_arguments(parser)
    parser.add_argument(
        "--timeout",
        type=argparse_type(timeout, name="the timeout"),
        default=None,
        metavar="SECONDS",
        help="end the check with an error when one call of f takes longer (default: no limit)",
    )
    add_backend_argument(parser)
    parser.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="PATH",
        help="write the result to PATH (.json, .html or .md; repeatable)",
    )
    parser.add_argument(
        "--replay-dir",
        default=".equicheck/counterexamples",
        metavar="DIR",
        help="where failing inputs are saved for replay (default .equicheck/counterexamples)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when the verdict is inconclusive"
    )


def run(args: argparse.Namespace) -> int:
    from .. import actions, groups
    from ..adapters import adapt
    from ..assertions import format_failure
    from ..backends import get_backend
    from ..engine import check_equivariance
    from ..errors import EquicheckError
    from ..progress import Progress, counting

    paths = []
    try:
        group = groups.from_name(args.group)
        in_actions = [actions.from_name(a) for a in args.in_action or ["spatial"]]
        out_actions = [actions.from_name(a) for a in args.out_action] if args.out_action else None
        backend = get_backend(args.backend)
        if args.report:
            from ..report import check_path

            paths = [check_path(p) for p in args.report]
    except EquicheckError as exc:
        raise UsageError(str(exc)) from None
    if args.invariant and out_actions:
        raise UsageError("give --invariant or --out-action, not both")
    shapes = args.input_shape or []
    if shapes and len(in_actions) not in (1, len(shapes)):
        raise UsageError(
            f"{len(shapes)} --input-shape but {len(in_actions)} --in-action: give one action per input"
        )
    if len(shapes) > 1 and len(in_actions) == 1:
        in_actions = in_actions * len(shapes)
    obj, name = load_target(args.target)
    try:
        fn = adapt(obj, backend)
    except EquicheckError as exc:
        raise UsageError(str(exc)) from None
    kwargs: dict[str, Any] = {
        "in_action": in_actions[0] if len(in_actions) == 1 else tuple(in_actions),
        "invariant": args.invariant,
        "batched": args.batched,
        "margin": args.margin,
        "rtol": args.rtol,
        "atol": args.atol,
        "max_examples": args.examples,
        "seed": args.seed,
        "timeout": args.timeout,
        "backend": backend,
        "replay_dir": args.replay_dir or None,
        "name": name,
    }
    if out_actions is not None:
        kwargs["out_action"] = out_actions[0] if len(out_actions) == 1 else tuple(out_actions)
    if shapes:
        kwargs["input_shape"] = shapes[0] if len(shapes) == 1 else tuple(shapes)
    if args.dtype:
        kwargs["dtypes"] = args.dtype
    with Progress(None, f"checking {name} under {group.name}: calls of f") as bar:
        try:
            result = check_equivariance(counting(fn, bar) if bar.enabled else fn, group, **kwargs)
        except EquicheckError as exc:
            raise UsageError(str(exc)) from None
    ce = result.counterexample
    if ce is not None and ce.path:
        ce.replay = replay_line(args.target, ce.path)  # the engine knows the object, not its target
    if paths:
        from ..report import Report, capture, write_reports

        with Progress(len(paths), "writing the report") as bar:
            written = write_reports(Report.of([result], capture(command=command_line())), paths)
            bar.advance(len(paths))
    else:
        written = []
    if result.verdict == "error":
        print(_format_error(result))
    elif result.verdict == "failed":
        print(format_failure(result))
    else:
        print(result.message or result.summary())
    for path in written:
        print(f"wrote {path}")
    if result.verdict == "passed":
        return 0
    if result.verdict == "inconclusive":
        return 1 if args.strict else 0
    if result.verdict == "error" and result.failure_kind == "shape":
        return 2  # a usage error: the check cannot run as declared (e.g. --invariant missing)
    return 1


def _format_error(result: Any) -> str:
    """f raised (or did not return, or the output action cannot act on its output): what
    happened, on which transformed input (the message names the element), and how to get that
    input back. No tolerance header: nothing was compared."""
    happened = {
        "timeout": "did not return in time while checked",
        "shape": "cannot be checked as declared",
    }.get(result.failure_kind, "raised an exception while checked")
    lines = [f"ERROR {result.function} {happened} under {result.group}", result.message]
    ce = result.counterexample
    if ce is not None:
        shapes = ", ".join(str(tuple(s)) for s in ce.input_shapes)
        lines.append(f"input: {ce.input} (shapes {shapes})")
        if ce.replay:
            lines.append(f"replay: {ce.replay}")
    return "\n".join(lines)


COMMAND = Command(
    "check",
    help="check a function or model: equicheck check mymodule:f --group p4m",
    description=(
        "Check whether f(ρ_in(g)·x) == ρ_out(g)·f(x) for a function or model named "
        "MODULE:NAME (imported from the working folder or the environment) or "
        "path/to/file.py:NAME. NAME may be dotted (module:Class.method); NAME() calls a "
        "factory without arguments. Groups and actions use equicheck's name grammar "
        "('p4m', 'translation(step=2)', 'regular(axis=1)'). Exit status 0 when it holds, "
        "1 on a violation or an error raised by f, 2 on a usage error (including an output "
        "the declared action cannot move, e.g. class scores without --invariant)."
    ),
    add_arguments=add_arguments,
    run=run,
)
