"""The front door: :func:`check_equivariance` and :func:`replay`.

:func:`check_equivariance` answers whether ``f(ρ_in(g)·x) == ρ_out(g)·f(x)`` for the
elements of a group and returns a :class:`~equicheck.CheckResult`; it never raises on a
violation. It reads top-down: normalise the arguments into a plan
(:mod:`~equicheck.engine.plan`), search with an evaluator (:mod:`~equicheck.engine.search`,
:mod:`~equicheck.engine.evaluate`), decide the verdict once
(:mod:`~equicheck.engine.verdict`), build the result from that decision, save the
counterexample (:mod:`~equicheck.engine.counterexamples`) and tell the listeners.
"""

from __future__ import annotations

import inspect
import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import settings as Settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from .. import groups as groups_mod
from ..actions import PointAction
from ..actions.graphs import GRAPH_ACTIONS
from ..backends import Backend
from ..errors import EquicheckError, ReplayError, ShapeError, SpecError
from ..graph_strategies import graph_inputs
from ..groups import Element, Group
from ..options import checked_keywords, reject_unknown_keywords, size_range
from ..options import dtypes as dtype_names
from ..result import CheckResult, Counterexample
from . import floor, verdict
from .counterexamples import load_counterexample, replay_kwargs, save_counterexample
from .evaluate import BORDER_PROBE_SIZE, Evaluator
from .evidence import border_band
from .failures import Failure
from .listeners import notify
from .memory import case_bytes, checked_max_bytes, drawn_bytes, elements_checked, refuse_too_large
from .plan import (
    EXHAUSTIVE_LIMIT,
    Case,
    Key,
    Plan,
    checked_case,
    checked_drawn_shape,
    checked_input_shape,
    default_point_shape,
    default_shape,
    grid_of,
    keys_from_action,
    make_plan,
    to_case,
)
from .search import (
    drawn_examples,
    drawn_point_examples,
    finite_elements,
    has_points,
    is_exhaustive_default,
    run_direct,
    run_hypothesis,
    settings_for,
    with_elements,
)

__all__ = ["check_equivariance", "replay"]


def _is_single_shape(shape: Any) -> bool:
    return isinstance(shape, (tuple, list)) and all(
        n is None or isinstance(n, (int, st.SearchStrategy)) for n in shape
    )


@checked_keywords
def check_equivariance(
    f: Callable[..., Any],
    group: Group | str,
    *,
    in_action: Any = "spatial",
    out_action: Any = None,
    invariant: bool = False,
    inputs: Any = None,
    input_shape: Any = None,
    dtypes: Sequence[str] = ("float32", "float64"),
    families: Sequence[str] | None = None,
    sizes: tuple[int, int] | None = None,
    batched: bool = False,
    margin: int = 0,
    allow_non_finite: bool = False,
    elements: Sequence[Element | str] | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    max_examples: int | None = None,
    seed: int | None = None,
    settings: Settings | None = None,
    backend: str | Backend | None = None,
    exhaustive_limit: int = EXHAUSTIVE_LIMIT,
    elements_per_example: int = 4,
    replay_dir: str | os.PathLike[str] | None = ".equicheck/counterexamples",
    name: str | None = None,
    timeout: float | None = None,
    max_bytes: int | None = None,
) -> CheckResult:
    """Test ``f(ρ_in(g)·x) == ρ_out(g)·f(x)`` for elements ``g`` of ``group``.

    See docs/reference.md for every keyword. Returns a :class:`CheckResult`; a violation is
    a result with ``passed == False``, never an exception. Bad arguments raise
    :class:`EquicheckError` (or its subclasses) before anything runs.
    """
    start = time.perf_counter()
    dtypes = dtype_names(dtypes)
    sizes = size_range(sizes) if sizes is not None else None  # None: the default of the group's grid
    budget = checked_max_bytes(max_bytes)
    if input_shape is not None:
        input_shape = checked_input_shape(input_shape)
    strategy: st.SearchStrategy[Any] | None = None
    raw_cases: list[Any] | None = None
    if isinstance(inputs, st.SearchStrategy):
        strategy = inputs
        keys: list[Key] = keys_from_action(in_action)
    elif inputs is not None:
        raw_cases = inputs if isinstance(inputs, list) else [inputs]
        if not raw_cases:
            raise EquicheckError("inputs= is an empty list; give at least one input")
        _refuse_nested_lists(raw_cases)
        keys = list(to_case(raw_cases[0]))
    elif input_shape is not None:
        keys = list(to_case(input_shape)) if not _is_single_shape(input_shape) else [0]
    else:
        keys = keys_from_action(in_action)
    plan = make_plan(
        f,
        group,
        keys=keys,
        in_action=in_action,
        out_action=out_action,
        invariant=invariant,
        inputs=inputs,
        batched=batched,
        margin=margin,
        allow_non_finite=allow_non_finite,
        elements=elements,
        rtol=rtol,
        atol=atol,
        backend=backend,
        exhaustive_limit=exhaustive_limit,
        elements_per_example=elements_per_example,
        replay_dir=replay_dir,
        name=name,
        timeout=timeout,
    )
    if inputs is None and input_shape is None and _draws_graphs(plan):
        strategy = st.sampled_from(dtypes).flatmap(lambda dtype: graph_inputs(in_action, dtype=dtype))
    cases = None
    if raw_cases is not None:
        cases = [
            checked_case(plan.backend, c, "inputs" if len(raw_cases) == 1 else f"inputs[{i}]")
            for i, c in enumerate(raw_cases)
        ]
        refuse_too_large(
            plan, budget, case_bytes(cases), elements_checked(plan, cases[0]), "check smaller inputs"
        )
    evaluator = Evaluator(plan)

    if currently_in_test_context():
        # inside a user's @given: check the given values, no nested search
        if cases is None:
            raise EquicheckError(
                "inside a Hypothesis @given test, pass the drawn arrays as inputs=; equicheck then "
                "checks exactly those (it does not start a nested search)"
            )
        failure = run_direct(evaluator, cases, seed)
        exhaustive = all(finite_elements(plan, grid_of(plan, c)) is not None for c in cases)
    elif cases is not None and all(finite_elements(plan, grid_of(plan, c)) is not None for c in cases):
        failure = run_direct(evaluator, cases, seed)
        exhaustive = plan.elements is None
    else:
        if strategy is not None:
            examples = strategy.flatmap(
                lambda value: with_elements(
                    plan, checked_case(plan.backend, value, "a value drawn from inputs")
                )
            )
        elif cases is not None:
            given = cases
            examples = st.sampled_from(list(range(len(given)))).flatmap(
                lambda i: with_elements(plan, given[i], f"given input #{i}")
            )
        else:
            shapes = _shapes(plan, keys, input_shape, batched)
            for k, shape in shapes.items():
                label = "input_shape" if len(shapes) == 1 else f"input_shape[{k!r}]"
                checked_drawn_shape(shape, plan.in_actions[k], label)
            refuse_too_large(plan, budget, *drawn_bytes(plan, shapes, dtypes, sizes))
            if has_points(plan):  # point clouds: n points from the cloud families
                examples = drawn_point_examples(plan, shapes, dtypes, families, sizes)
            else:
                examples = drawn_examples(plan, shapes, dtypes, families, sizes)
        exhaustive = is_exhaustive_default(plan)
        failure = run_hypothesis(evaluator, examples, settings_for(settings, max_examples), seed)
    if evaluator.timed_out is not None:
        # the call that timed out decides: later calls only said that f is not called again
        failure = evaluator.timed_out
        if failure.details.input is not None:
            failure.message += f" (input: {failure.details.input})"

    if failure is not None and (has_points(plan) or failure.details.mismatch is not None):
        failure.message += _points_hint(evaluator, failure, has_points(plan))
    border = _border(plan, evaluator, failure) if failure is not None and not has_points(plan) else None
    if failure is not None and border is not None:
        failure.message += " — " + border["hint"]
    result = _result(plan, evaluator, failure, exhaustive, seed, start, border)
    notify(result)
    return result


def _draws_graphs(plan: Plan) -> bool:
    """Whether the inputs are a graph's (node features, edge_index, ...) and none of them a
    point cloud's: graphs are then drawn whole (:func:`~equicheck.graph_strategies.graph_inputs`)."""
    actions = plan.in_actions.values()
    return any(isinstance(a, GRAPH_ACTIONS) for a in actions) and not has_points(plan)


def _border(plan: Plan, evaluator: Evaluator, failure: Failure) -> dict[str, Any] | None:
    """Where a mismatch lives when that is the border: every mismatched entry within ``k`` of
    the grid's border, on the counterexample itself when its grid has an interior to compare
    with, else on a larger noise input of the same layout (:meth:`Evaluator.border_probe`; a
    shrunk 4x4 counterexample is all border). None when the error is not confined there."""
    d = failure.details
    if failure.kind != "mismatch" or d.mismatch is None or d.case is None:
        return None
    bad = evaluator.figures(d.mismatch, d.case).bad_grid
    k = border_band(bad)
    where = "the counterexample"
    grid = None
    if k is None:
        if plan.timeout is not None:  # a probe that hangs would outlive the check
            return None
        if bad is not None and min(bad.shape) >= BORDER_PROBE_SIZE:
            return None  # the counterexample is as large as the probe: its mismatches are inside
        found = evaluator.border_probe(d.mismatch.element, d.case)
        if found is None:
            return None
        k, grid = found
        where = f"a {'x'.join(map(str, grid))} noise output (a larger input of the same layout)"
    hint = (
        f"the error lives at the border: every mismatched entry of {where} lies within {k} "
        f"entr{'y' if k == 1 else 'ies'} of the grid's border"
    )
    g = d.mismatch.element
    if plan.group.cyclic and any(getattr(g, "shift", None) or ()):
        hint += (
            " (zero padding? cyclic shifts wrap the border around, so a zero-padded layer fails "
            "there: use a cyclic padding mode, e.g. padding_mode='circular', or check shifts that "
            "do not wrap, translation(cyclic=False), with margin= the padding width)"
        )
    else:
        hint += (
            f" (padding? check with margin={k}, or use a cyclic padding mode, e.g. padding_mode='circular')"
        )
    return {"k": k, "where": where, "hint": hint}


def _points_hint(evaluator: Evaluator, failure: Failure, points: bool) -> str:
    """The element in words (axis and angle) and the point (node, edge) that carries the
    largest error; for point clouds, whether f's own rounding could be measured."""
    d = failure.details
    if failure.kind != "mismatch" or d.mismatch is None or d.case is None:
        return ""
    g = d.mismatch.element
    words = g.describe()
    text = f" ({words})" if words != repr(g) else ""
    errors = evaluator.figures(d.mismatch, d.case).arrays.get("point_error")
    if errors is not None and errors.size:
        worst = int(errors.argmax())
        item = d.mismatch.out_action.item
        text += f" — worst {item}: {worst} of {errors.size} (|difference| {float(errors[worst]):.3g})"
    if points and evaluator.without_float64:
        text += (
            " — f answered float64 inputs in a lower precision, so its own rounding could not be "
            "measured (a PyTorch function with a pinned dtype, or a module that cannot be copied, "
            "runs in float32): check a function that follows its input's dtype (docs/points.md)"
        )
    return text


def _refuse_nested_lists(raw_cases: list[Any]) -> None:
    """A list given as ``inputs=`` means several inputs; a list of lists is almost always one
    array written as nested lists: say so instead of reading its rows as separate inputs."""
    if len(raw_cases) > 1 and any(isinstance(c, list) for c in raw_cases):
        raise ShapeError(
            "inputs= is a list of lists: a list means several inputs (one case each), so each inner "
            "list would be checked as a separate input. For one input write inputs=np.array([...]); "
            "for several, a list of arrays: inputs=[np.array(...), ...]"
        )


def _shapes(
    plan: Plan, keys: list[Key], input_shape: Any, batched: bool
) -> dict[Key, tuple[int | None, ...]]:
    """The shape of each input to draw (None: a grid axis; -1: the fiber's channels)."""
    if input_shape is not None and not _is_single_shape(input_shape):
        return {k: tuple(v) for k, v in to_case(input_shape).items()}
    if input_shape is not None:
        return {keys[0]: tuple(input_shape)}
    if has_points(plan):
        points = {k: a for k, a in plan.in_actions.items() if isinstance(a, PointAction)}
        shapes = {k: default_point_shape(a, plan.group) for k, a in points.items()}
        if len(shapes) != len(plan.in_actions):
            raise EquicheckError("pass input_shape= for the inputs that are not point actions")
        return {k: (2, *v) for k, v in shapes.items()} if batched else shapes
    shapes = {keys[0]: default_shape(plan.in_actions[keys[0]])}
    return {k: (2, *v) for k, v in shapes.items()} if batched else shapes


def _result(
    plan: Plan,
    evaluator: Evaluator,
    failure: Failure | None,
    exhaustive: bool,
    seed: int | None,
    start: float,
    border: dict[str, Any] | None = None,
) -> CheckResult:
    """The result, built once from the verdict's decision."""
    state = evaluator.state
    message = None
    if failure is not None:
        message = failure.message + (f" (seed={seed})" if seed is not None else "")
        if failure.kind == "mismatch":
            message += _locate_hint(plan, failure)
    decision = verdict.decide(
        rtol=plan.rtol,
        atol=plan.atol,
        margin=plan.margin,
        seen=state.seen,
        floors=evaluator.floors,
        floor_kind=evaluator.probe.kind if evaluator.probe is not None else "spline",
        failure_kind=failure.kind if failure is not None else None,
        failure_message=message,
        failure_error=failure.details.error if failure is not None else None,
        function=plan.name,
        group=plan.group.name,
        usage_error=failure.details.usage if failure is not None else False,
    )
    extra = dict(decision.extra)
    if border is not None:
        extra["border"] = border
    worst = evaluator.worst_arrays()
    if worst is not None:
        extra["worst_arrays"] = {k: v.tolist() for k, v in worst.items()}
    if evaluator.classifier is not None and evaluator.classifier.total:
        extra["classifier"] = evaluator.classifier.summary()
    if evaluator.floors is not None and evaluator.floors.pairs:
        curve = _curve(plan, evaluator)
        if curve is not None:
            extra["curve"] = curve
    result = CheckResult(
        function=plan.name,
        group=plan.group.name,
        in_actions=[a.name for a in plan.in_actions.values()],
        out_actions=plan.out_names(),
        verdict=decision.verdict,
        max_error=decision.max_error,
        tolerance=decision.tolerance,
        atol=decision.atol,
        tolerance_rule=decision.rule,
        dtype=decision.dtype,
        worst_element=decision.worst_element,
        worst_input=state.seen.worst_input,
        failure_kind=failure.kind if failure is not None else None,
        errors=decision.errors,
        counterexample=_counterexample(plan, evaluator, failure, seed) if failure is not None else None,
        examples=state.examples,
        evaluations=state.evaluations,
        elements_checked=len(state.seen.per_element),
        exhaustive=exhaustive,
        margin=plan.margin,
        seed=seed,
        elapsed=time.perf_counter() - start,
        time_in_f=state.time_in_f,
        backend=plan.backend.name,
        device=plan.backend.device,
        exact=plan.exact,
        extra=extra,
    )
    result.message = (
        decision.message if decision.message is not None else result.summary() + decision.summary_suffix
    )
    return result


def _curve(plan: Plan, evaluator: Evaluator) -> dict[str, Any] | None:
    """Error and floor along the group's one-parameter sweep, on the worst input."""
    assert evaluator.floors is not None
    case = evaluator.floors.worst_case
    if case is None or floor.CURVE_POINTS <= 0:
        return None
    sweep = plan.group.curve_elements(floor.CURVE_POINTS)
    if sweep is None:
        return None
    parameter, points = sweep
    try:
        return evaluator.error_curve(case, parameter, points)
    except Exception as exc:  # noqa: BLE001 - a curve is an extra; never fail a check for it
        return {"parameter": parameter, "values": [], "errors": [], "floor": [], "note": f"not drawn: {exc}"}


def _counterexample(plan: Plan, evaluator: Evaluator, failure: Failure, seed: int | None) -> Counterexample:
    """The shrunk failure, its figures, and the file that replays it."""
    d = failure.details
    case = d.case
    figures = evaluator.figures(d.mismatch, case) if d.mismatch is not None and case is not None else None
    path = _save(plan, case, d.element, d.input, seed) if case is not None else None
    replay_line = replay_line_for(str(path), plan.given, plan.name) if path is not None else ""
    return Counterexample(
        element=str(d.element),
        input=str(d.input),
        input_shapes=[list(getattr(v, "shape", ())) for v in (case or {}).values()],
        error=float(d.error if d.error is not None else math.inf),
        max_abs_diff=figures.max_abs_diff if figures else math.nan,
        mismatched=figures.mismatched if figures else 0,
        compared=figures.compared if figures else 0,
        worst_index=figures.worst_index if figures else None,
        max_rel_diff=figures.max_rel_diff if figures else 0.0,
        worst_rel_index=figures.worst_rel_index if figures else None,
        replay=replay_line,
        path=str(path) if path is not None else None,
        arrays=figures.arrays if figures else {},
    )


def _locate_hint(plan: Plan, failure: Failure) -> str:
    """For a PyTorch module that failed on a grid: the call that finds the layer that breaks
    it (point clouds and graphs have no layer-by-layer localisation yet)."""
    from ..adapters import Adapted, Declared, framework_of

    if (
        has_points(plan)
        or _draws_graphs(plan)
        or plan.group.dims != 2  # locate reads images only
        or any(a.spatial is None for a in plan.in_actions.values())
    ):
        return ""

    f: Any = plan.f
    while isinstance(f, (Adapted, Declared)):
        f = f.original if isinstance(f, Adapted) else f.fn
    if framework_of(f) != "torch" or not hasattr(f, "named_modules"):
        return ""
    case = failure.details.case or {}
    shapes = [tuple(int(n) for n in v.shape) for v in case.values() if hasattr(v, "shape")]
    shape = f"input_shape={shapes[0]}" if len(shapes) == 1 else "input_shape=..."
    return (
        f" — to find the layer that breaks it: equicheck.locate(model, {plan.group.name!r}, {shape}) "
        "(docs/locate.md)"
    )


def replay_line_for(path: str, f: Any, name: str) -> str:
    """The line that replays a counterexample, as the user pastes it: a plain function by its
    name; anything else (a model, a lambda, a method, a partial) as a variable the comment
    explains, since its name would pass the class (or nothing) instead of the object checked."""
    f = getattr(f, "fn", f)  # declared with torch_function()/torch_model(): the user's object
    short = name.rsplit(".", 1)[-1]
    call = f"equicheck.replay({path!r}, "
    if inspect.isfunction(f) or inspect.isbuiltin(f):
        if short.isidentifier() and getattr(f, "__name__", None) == short:
            return f"{call}{short})"
        return f"{call}f)  # f: the function {getattr(f, '__qualname__', short)} you checked"
    if inspect.ismethod(f):
        return f"{call}f)  # f: the bound method {f.__qualname__} you checked (obj.{f.__name__})"
    kind = type(f).__name__
    var = "model" if hasattr(f, "forward") else "f"
    return f"{call}{var})  # {var}: the {kind} instance you checked"


def _save(plan: Plan, case: Case, element: str | None, description: str | None, seed: int | None) -> Any:
    """Save the failing input with what is needed to re-check it (see :func:`replay`)."""
    if plan.replay_dir is None:
        return None
    meta = {
        "function": plan.name,
        "group": plan.group.name,
        "in_action": plan.saved_in_action(),
        "out_action": plan.saved_out_action(),
        "element": element,
        "batched": plan.batched,
        "margin": plan.margin,
        "allow_non_finite": plan.allow_non_finite,
        "rtol": plan.rtol,
        "atol": plan.atol,
        "seed": seed,
        "input": description,
    }
    arrays = {f"arg_{k}": plan.backend.to_host(v) for k, v in case.items()}
    stem = f"{plan.name.rsplit('.', 1)[-1]}-{plan.group.name}"
    return save_counterexample(plan.replay_dir, stem, arrays, meta)


def replay(path: str | os.PathLike[str], f: Callable[..., Any], **overrides: Any) -> CheckResult:
    """Re-check ``f`` on a saved counterexample with the element that failed.

    Keywords override what was saved (e.g. ``in_action=`` for a user matrix action, or
    ``elements=None`` to check every element again). A file that cannot be replayed raises
    :class:`~equicheck.errors.ReplayError` naming it and what is wrong, before f runs.
    """
    known = [p for p in inspect.signature(check_equivariance).parameters if p not in ("f", "group")]
    reject_unknown_keywords(overrides, known, where="replay")
    value, meta = load_counterexample(path)
    try:
        groups_mod.from_name(meta["group"])
        if meta.get("element"):
            groups_mod.element_from_repr(meta["element"])
    except SpecError as exc:
        raise ReplayError(
            f"counterexample file {os.fspath(path)!r} names what cannot be read: {exc}"
        ) from None
    kwargs = replay_kwargs(meta, value)
    kwargs.update(overrides)
    named = kwargs["in_action"]
    if named is None or (
        isinstance(named, (dict, tuple)) and None in (named.values() if isinstance(named, dict) else named)
    ):
        raise EquicheckError("this counterexample used an action that has no name; pass in_action=")
    return check_equivariance(f, meta["group"], **kwargs)
