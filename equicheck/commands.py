"""The ``equicheck demo``, ``equicheck check`` and ``equicheck backends`` commands.

Each command is a function that adds its parser to the ``equicheck`` command line
(:mod:`equicheck.cli` registers them) and returns the function that runs it. Importing this
module is cheap: the engine, the networks and the report load only when a command runs, so
``equicheck --help`` answers at once.

Exit status, as everywhere in the command line: 0 success (the check holds, every demo claim
holds), 1 a violation (or an error raised by the user's function), 2 a usage error (bad
module path, group, action, shape or option), printed as ``equicheck CMD: error: ...``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import shlex
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cli import Runner

__all__ = [
    "backends_command",
    "check_command",
    "demo_command",
    "load_target",
    "parse_shape",
]

Subparsers = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _usage(message: str) -> Exception:
    from .cli import UsageError

    return UsageError(message)


def _command_line(argv: Sequence[str] | None = None) -> str:
    """How this command was typed, for reports (``equicheck demo --quick``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    return "equicheck " + " ".join(shlex.quote(a) for a in args)


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def _positive(text: str) -> int:
    value = _non_negative(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 1e-5, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"a tolerance must be >= 0, got {text}")
    return value


# --- equicheck demo ----------------------------------------------------------------------------
def demo_command(subparsers: Any) -> Runner:
    """``equicheck demo``: the built-in audit of what people say about CNNs."""
    parser = subparsers.add_parser(
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
    )
    speed = parser.add_mutually_exclusive_group()
    speed.add_argument(
        "--quick", action="store_const", const="quick", dest="mode", help="a few seconds: fewer inputs"
    )
    speed.add_argument(
        "--full", action="store_const", const="full", dest="mode", help="minutes: many more inputs"
    )
    parser.set_defaults(mode="default")
    parser.add_argument("--backend", default=None, metavar="NAME", help="numpy (default) or cupy")
    parser.add_argument(
        "--report",
        default=None,
        metavar="PATH",
        help="where to write: a .html or .json path (the other beside it) or a folder "
        "(default: equicheck-report/demo.html)",
    )
    parser.add_argument(
        "--seed", type=_non_negative, default=0, help="seed of inputs and weights (default 0)"
    )
    parser.add_argument(
        "--claim",
        action="append",
        default=None,
        metavar="ID",
        help="check only this claim (repeatable): conv-circular, conv-zero-padding, pooling-stride, "
        "cnn-rotations-scalings, p4-cnn, weight-sharing",
    )

    def run(args: argparse.Namespace) -> int:
        from .demo import CLAIMS, report_paths, run_demo
        from .errors import EquicheckError

        try:
            report_paths(args.report)
            unknown = sorted(set(args.claim or ()) - set(CLAIMS))
            if unknown:
                raise ValueError(f"unknown claim {', '.join(unknown)}; the claims are: {', '.join(CLAIMS)}")
            from .backends import get_backend

            get_backend(args.backend)
        except (ValueError, EquicheckError) as exc:
            raise _usage(str(exc)) from None
        command = "equicheck demo" + "".join(
            f" {flag}"
            for flag in (
                "--quick" if args.mode == "quick" else "--full" if args.mode == "full" else "",
                f"--backend {args.backend}" if args.backend else "",
                f"--seed {args.seed}" if args.seed else "",
                f"--report {shlex.quote(args.report)}" if args.report else "",
                "".join(f" --claim {c}" for c in args.claim or ()).strip(),
            )
            if flag
        )
        result = run_demo(
            mode=args.mode,
            seed=args.seed,
            backend=args.backend,
            report=args.report,
            command=command,
            only=args.claim,
        )
        return 0 if result.holds else 1

    return run


# --- equicheck check ---------------------------------------------------------------------------
def parse_shape(text: str) -> tuple[int | None, ...]:
    """``"2,3,32,32"``, ``"2x3x32x32"`` or ``"(2, 3, None, None)"``; ``None``, ``_`` or ``?``
    leaves a grid axis for the check to draw."""
    body = text.strip().strip("()[]").strip()
    if not body:
        raise argparse.ArgumentTypeError("an input shape needs at least one size, e.g. 2,3,32,32")
    parts = [p.strip() for p in body.replace("x", ",").replace("X", ",").split(",")]
    shape: list[int | None] = []
    for part in parts:
        if part in ("None", "none", "_", "?", "*"):
            shape.append(None)
            continue
        try:
            n = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"bad input shape {text!r}: {part!r} is not a size; write sizes separated by commas, "
                "e.g. 2,3,32,32, with None (or _) for grid axes the check should draw"
            ) from None
        if n < 1:
            raise argparse.ArgumentTypeError(f"bad input shape {text!r}: sizes must be >= 1, got {n}")
        shape.append(n)
    return tuple(shape)


def _dtypes(text: str) -> tuple[str, ...]:
    import numpy as np

    names = tuple(p.strip() for p in text.split(",") if p.strip())
    if not names:
        raise argparse.ArgumentTypeError("expected dtype names such as float32 or float32,float64")
    for name in names:
        try:
            np.dtype(name)
        except TypeError:
            raise argparse.ArgumentTypeError(
                f"{name!r} is not a dtype; use float16, float32, float64 (comma-separated)"
            ) from None
    return names


def _split_target(target: str) -> tuple[str, str]:
    module, sep, attr = target.rpartition(":")
    if len(module) == 1 and module.isalpha() and os.name == "nt":  # C:path.py without a name
        sep = ""
    if not sep or not module or not attr:
        raise _usage(
            f"cannot read {target!r}: write MODULE:NAME (e.g. mypackage.models:net) or path/to/file.py:NAME"
        )
    return module, attr


def _import_file(path: Path) -> Any:
    if not path.is_file():
        raise _usage(f"no such file: {str(path)!r}")
    name = "equicheck_user_" + "".join(ch if ch.isalnum() else "_" for ch in path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise _usage(f"cannot import {str(path)!r}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # like `python file.py`: its own folder first
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    finally:
        try:
            sys.path.remove(folder)
        except ValueError:
            pass
    return module


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if "importlib" not in f.filename and not f.filename.startswith("<frozen")]
    if not user:
        return ""
    last = user[-1]
    return f" (at {last.filename}:{last.lineno})"


def load_target(target: str) -> tuple[Any, str]:
    """The object named by ``MODULE:NAME`` or ``path/to/file.py:NAME`` (``NAME`` may be
    dotted, and ``NAME()`` calls a factory without arguments), and a name for reports."""
    module_name, attr = _split_target(target)
    is_file = module_name.endswith(".py") or "/" in module_name or os.sep in module_name
    try:
        if is_file:
            module = _import_file(Path(module_name))
            label = Path(module_name).stem
        else:
            if os.getcwd() not in sys.path and "" not in sys.path:
                sys.path.insert(0, os.getcwd())  # as `python -m` would: the working folder first
            label = module_name
            module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if not is_file and (module_name == missing or module_name.startswith(missing + ".")):
            raise _usage(
                f"cannot import module {module_name!r}: no module named {missing!r} "
                f"(run from the folder that contains it, install it, or give a file path: "
                f"path/to/{module_name.replace('.', '/')}.py:{attr})"
            ) from None
        raise _usage(f"importing {module_name!r} failed: {type(exc).__name__}: {exc}{_where(exc)}") from None
    except SyntaxError as exc:
        raise _usage(f"importing {module_name!r} failed: SyntaxError: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - anything the user's module raises while importing
        raise _usage(f"importing {module_name!r} failed: {type(exc).__name__}: {exc}{_where(exc)}") from None
    call = attr.endswith("()")
    path = attr[:-2] if call else attr
    obj: Any = module
    for i, part in enumerate(path.split(".")):
        if not part.isidentifier():
            raise _usage(f"bad name {attr!r} in {target!r}: {part!r} is not a Python identifier")
        if not hasattr(obj, part):
            where = module_name if i == 0 else ".".join(path.split(".")[:i])
            names = (
                sorted(n for n, v in vars(obj).items() if not n.startswith("_") and callable(v))
                if hasattr(obj, "__dict__")
                else []
            )
            hint = f"; callables there: {', '.join(names[:20])}" if names else ""
            raise _usage(f"{where!r} has no attribute {part!r}{hint}")
        obj = getattr(obj, part)
    if call:
        try:
            obj = obj()
        except Exception as exc:  # noqa: BLE001 - the user's factory
            raise _usage(f"calling {path}() failed: {type(exc).__name__}: {exc}{_where(exc)}") from None
    if not callable(obj):
        raise _usage(f"{target!r} is a {type(obj).__name__}, not a function or model")
    return obj, f"{label}.{path}"


def check_command(subparsers: Any) -> Runner:
    """``equicheck check MODULE:NAME --group ...``: check a user's function from the shell."""
    parser = subparsers.add_parser(
        "check",
        help="check a function or model: equicheck check mymodule:f --group p4m",
        description=(
            "Check whether f(ρ_in(g)·x) == ρ_out(g)·f(x) for a function or model named "
            "MODULE:NAME (imported from the working folder or the environment) or "
            "path/to/file.py:NAME. NAME may be dotted (module:Class.method); NAME() calls a "
            "factory without arguments. Groups and actions use equicheck's name grammar "
            "('p4m', 'translation(step=2)', 'regular(axis=1)'). Exit status 0 when it holds, "
            "1 on a violation or an error raised by f, 2 on a usage error."
        ),
    )
    parser.add_argument("target", metavar="MODULE:NAME", help="the function or model to check")
    parser.add_argument("--group", "-g", required=True, help="group name, e.g. c4, p4m, translation, so2")
    parser.add_argument(
        "--input-shape",
        type=parse_shape,
        action="append",
        metavar="SHAPE",
        help="shape of an input, e.g. 2,3,32,32 or 2,3,None,None (None: drawn grid size); "
        "repeat for functions of several inputs (default: a drawn 2-D grid)",
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
        "--dtype", type=_dtypes, default=None, metavar="DTYPES", help="input dtypes, e.g. float32,float64"
    )
    parser.add_argument(
        "--examples", type=_positive, default=None, metavar="N", help="inputs to draw (default 100)"
    )
    parser.add_argument(
        "--seed", type=_non_negative, default=None, metavar="N", help="seed for a reproducible run"
    )
    parser.add_argument(
        "--batched", action="store_true", help="f takes a batch on axis 0: one call for all elements"
    )
    parser.add_argument(
        "--margin", type=_non_negative, default=0, metavar="N", help="ignore N entries along borders"
    )
    parser.add_argument(
        "--rtol", type=_tolerance, default=None, help="relative tolerance (default: per dtype)"
    )
    parser.add_argument(
        "--atol", type=_tolerance, default=None, help="absolute tolerance (default: per dtype)"
    )
    parser.add_argument("--backend", default=None, metavar="NAME", help="numpy (default) or cupy")
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
        return _run_check(args)

    return run


def _run_check(args: argparse.Namespace) -> int:
    from . import actions, groups
    from .adapters import adapt
    from .assertions import format_failure
    from .backends import get_backend
    from .check import check_equivariance
    from .errors import EquicheckError
    from .progress import Progress, counting

    paths = []
    try:
        group = groups.from_name(args.group)
        in_actions = [actions.from_name(a) for a in args.in_action or ["spatial"]]
        out_actions = [actions.from_name(a) for a in args.out_action] if args.out_action else None
        backend = get_backend(args.backend)
        if args.report:
            from .report import check_path

            paths = [check_path(p) for p in args.report]
    except EquicheckError as exc:
        raise _usage(str(exc)) from None
    if args.invariant and out_actions:
        raise _usage("give --invariant or --out-action, not both")
    shapes = args.input_shape or []
    if shapes and len(in_actions) not in (1, len(shapes)):
        raise _usage(
            f"{len(shapes)} --input-shape but {len(in_actions)} --in-action: give one action per input"
        )
    if len(shapes) > 1 and len(in_actions) == 1:
        in_actions = in_actions * len(shapes)
    obj, name = load_target(args.target)
    try:
        fn = adapt(obj, backend)
    except EquicheckError as exc:
        raise _usage(str(exc)) from None
    kwargs: dict[str, Any] = {
        "in_action": in_actions[0] if len(in_actions) == 1 else tuple(in_actions),
        "invariant": args.invariant,
        "batched": args.batched,
        "margin": args.margin,
        "rtol": args.rtol,
        "atol": args.atol,
        "max_examples": args.examples,
        "seed": args.seed,
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
            raise _usage(str(exc)) from None
    if paths:
        from .report import Report, capture, write_reports

        with Progress(len(paths), "writing the report") as bar:
            written = write_reports(Report.of([result], capture(command=_command_line())), paths)
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
    return 1


def _format_error(result: Any) -> str:
    """f raised: what it raised, on which transformed input (the message names the element),
    and how to get that input back. No tolerance header: nothing was compared."""
    lines = [
        f"ERROR {result.function} raised an exception while checked under {result.group}",
        result.message,
    ]
    ce = result.counterexample
    if ce is not None:
        shapes = ", ".join(str(tuple(s)) for s in ce.input_shapes)
        lines.append(f"input: {ce.input} (shapes {shapes})")
        if ce.replay:
            lines.append(f"replay: {ce.replay}")
    return "\n".join(lines)


#: Keys of Backend.info() the table shows in its own way.
_INFO_SHOWN = ("usable", "device", "backend", "xp", "version")


# --- equicheck backends ------------------------------------------------------------------------
def backends_command(subparsers: Any) -> Runner:
    """``equicheck backends``: which backends and devices can run here, and why not."""
    parser = subparsers.add_parser(
        "backends",
        help="list the backends (numpy, cupy) and whether they can run here",
        description="List every backend, the device it runs on and its library versions, or "
        "why it cannot run here (library missing, no GPU). Exit status 0.",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object instead of a table")

    def run(args: argparse.Namespace) -> int:
        import json

        from .backends import available_backends, get_backend
        from .nn import native_status

        rows: dict[str, dict[str, Any]] = {}
        for name, why in available_backends().items():
            if why is None:
                rows[name] = {"usable": True, **get_backend(name).info()}
            else:
                rows[name] = {"usable": False, "reason": why}
        kernel = native_status()
        kernel_line = (
            f"{kernel.reason}, {kernel.threads} threads"
            if kernel.available
            else f"not in use, conv2d runs its NumPy algorithms: {kernel.reason}"
        )
        if "numpy" in rows:
            rows["numpy"]["conv2d_kernel"] = {
                "available": kernel.available,
                "reason": kernel.reason,
                "threads": kernel.threads,
            }
        if args.json:
            print(json.dumps(rows, indent=2, default=str))
            return 0
        width = max(len(n) for n in rows)
        shown = (*_INFO_SHOWN, "conv2d_kernel")
        for name, row in rows.items():
            if row["usable"]:
                versions = [f"{row.get('xp', name)} {row.get('version', '?')}"]
                versions += [f"{k} {v}" for k, v in row.items() if k not in shown]
                print(f"{name:<{width}}  usable on {row.get('device', '?')} ({', '.join(versions)})")
            else:
                print(f"{name:<{width}}  not usable: {row['reason']}")
        print(f"equicheck.nn conv2d on numpy: {kernel_line}")
        return 0

    return run


#: This module's commands, in the order ``equicheck --help`` lists them.
COMMANDS: list[Callable[[Any], Runner]] = [demo_command, check_command, backends_command]
