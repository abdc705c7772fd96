"""The rows of a localisation: for each recorded layer call, its action, errors and status.

Walking the calls in the order they finish, :func:`build_row` gives each one:

- the action ρ_l assumed for its output (:mod:`.infer`): declared, implied by its type,
  carried from its input, or inferred from the candidates that fit;
- the **local** error: ``layer(ρ_{l-1}(g)·h_{l-1}(x))`` against ``ρ_l(g)·layer(h_{l-1}(x))``.
  Where the layer's input arrived equivariant (exact groups, within tolerance) the recorded
  pass for ``g·x`` already is that call, so it is read from there; otherwise the layer is
  called again on its moved recorded inputs (batched over the elements);
- the **cumulative** error: ``h_l(g·x)`` against ``ρ_l(g)·h_l(x)``;
- its status. An output that no action fits is *lost* until a later layer downstream of it
  restores equivariance (a blurred stride before global pooling); :func:`finish` turns the
  lost rows that nothing restores into breaks and names the first breaking row, for which
  :func:`advice_for` and :func:`first_error_map` give the sentence and the error map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import actions as actions_mod
from ..actions import Action, Regular
from ..engine.compare import input_scale
from ..engine.floor import FloorProbe
from ..errors import EquicheckError, FunctionError, ShapeError
from ..groups import Element, Group
from .advice import advice
from .infer import DEFAULT_AXES, candidates, carried, implied_by_type, is_variant
from .infer import prepared as prepare_action
from .measure import Judge, Measured, error_map, moved, start_probe
from .record import MODEL_INPUT, Call, run_layer
from .result import LayerRow
from .values import Values

__all__ = ["Run", "advice_for", "build_row", "descendants", "finish", "first_error_map", "prepared"]


@dataclass
class Run:
    """One localisation while its rows are built: what it compares, what it recorded, and
    the rows so far (one entry per call in every list below)."""

    group: Group
    in_action: Action
    declared: dict[str, Action]
    values: Values
    framework: str | None
    grid: tuple[int, int] | None  # the model input's grid
    elements: list[Element]
    judge: Judge
    exact: bool
    margin: int
    batched: bool
    lie: bool
    calls: list[Call] = field(default_factory=list)  # the pass for x
    moved_outputs: list[list[Any]] = field(default_factory=list)  # [element][call]: output for g·x
    moved_inputs: list[list[tuple[Any, ...]]] = field(default_factory=list)  # [element][call]
    rows: list[LayerRow] = field(default_factory=list)
    actions: list[Action | None] = field(default_factory=list)  # ρ_l of each row
    cum_fits: list[bool] = field(default_factory=list)  # its output arrived equivariant
    taint: list[set[int]] = field(default_factory=list)  # the lost rows it depends on
    verdicts: list[tuple[Any, ...]] = field(default_factory=list)  # (verdict, outs, expected, acts, measured)
    restored: dict[int, str] = field(default_factory=dict)  # lost row -> the row that restores it
    forward_calls: int = 0
    layer_calls: int = 0
    bound: dict[tuple[str, tuple[int, ...]], Action | None] = field(default_factory=dict)

    @property
    def axes(self) -> tuple[int, int]:
        """The grid axes of the model's arrays: the input action's (channels-first by default)."""
        spatial = self.in_action.spatial
        return tuple(spatial.axes) if spatial is not None else DEFAULT_AXES  # type: ignore[return-value]


def prepared(name: str | Action, group: Group, shape: Sequence[int], run: Run | None = None) -> Action | None:
    """:func:`.infer.prepared`, once per name and shape in a run."""
    if run is None or not isinstance(name, str):
        return prepare_action(name, group, shape)
    key = (name, tuple(int(n) for n in shape))
    if key not in run.bound:
        run.bound[key] = prepare_action(name, group, shape)
    return run.bound[key]


def _moved_args(run: Run, call: Call, acts: list[Action | None], g: Element) -> tuple[Any, ...] | None:
    out = []
    for arg, act in zip(call.args, acts):
        if act is None:
            out.append(arg)
            continue
        m = moved(act, g, run.values.to_host(arg))
        if m is None:
            return None
        out.append(run.values.from_host(m, arg))
    return tuple(out)


def _local_outputs(run: Run, call: Call, acts: list[Action | None], batched: bool) -> list[np.ndarray | None]:
    """The layer called on its recorded inputs moved by each element (batched when allowed)."""
    per = [_moved_args(run, call, acts, g) for g in run.elements]
    valid = [i for i, a in enumerate(per) if a is not None]
    out: list[np.ndarray | None] = [None] * len(per)
    if not valid:
        return out
    arrays = [j for j, a in enumerate(acts) if a is not None]
    if batched and len(valid) > 1 and arrays:
        joined = list(per[valid[0]])  # type: ignore[arg-type]
        for j in arrays:
            joined[j] = run.values.concat([per[i][j] for i in valid])  # type: ignore[index]
        try:
            result = run_layer(call, tuple(joined), run.framework)
            run.layer_calls += 1
            chunks = run.values.split(result, len(valid))
            if all(c is not None for c in chunks):
                for i, c in zip(valid, chunks):
                    out[i] = c
                return out
        except Exception:  # noqa: BLE001 - a layer that does not take a larger batch: call it per element
            pass
    for i in valid:
        try:
            result = run_layer(call, per[i], run.framework)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - the user's layer refused its moved input
            raise FunctionError(
                f"layer {call.name} ({call.kind}) raised {type(exc).__name__} on its input moved by "
                f"{run.elements[i]!r}: {exc}"
            ) from None
        run.layer_calls += 1
        out[i] = run.values.to_host(result) if run.values.is_array(result) else None
    return out


def _infer_input(run: Run, i: int, j: int) -> tuple[Action | None, bool]:
    """The action of an input made by code between layers: the candidate that fits it."""
    call = run.calls[i]
    h = run.values.to_host(call.args[j])
    moved_inputs = [run.moved_inputs[e][i][j] for e in range(len(run.elements))]
    if any(m is None for m in moved_inputs):
        return None, False
    scale = input_scale(np, [h])
    for name in candidates(h.shape, run.group, run.grid, run.axes):
        act = prepared(name, run.group, h.shape, run)
        if act is not None and run.judge.compare(act, moved_inputs, h, scale, early=True).fits:
            return act, True
    return None, False


def _choose(
    run: Run,
    call: Call,
    y: np.ndarray,
    outs: list[np.ndarray | None],
    expected: Action,
    source: str,
    scale: float,
    probe: FloorProbe | None,
    tainted: bool,
    cache: dict[Any, Any],
) -> tuple[Action, str, str, Measured, dict[str, float], str]:
    """(action, source, verdict, measured against expected, candidates' errors, evidence)."""
    m_exp = run.judge.compare(expected, outs, y, scale, probe, cache=cache)
    tried = {expected.name: m_exp.worst if m_exp.worst is not None else float("nan")}
    fits = m_exp.fits_where_defined if tainted else m_exp.fits
    if fits:
        return expected, source, "fits", m_exp, tried, f"{source} action {expected.name} fits"
    if source == "declared":
        return (
            expected,
            source,
            "declared-fails",
            m_exp,
            tried,
            f"declared action {expected.name} does not fit",
        )
    no_grid_action = run.exact and _channel_sums_differ(run, y, outs, scale)
    for name in candidates(y.shape, run.group, run.grid, run.axes):
        act = prepared(name, run.group, y.shape, run)
        if act is None or act.name == expected.name:
            continue
        if no_grid_action and act.spatial is not None:
            tried[act.name] = float("nan")  # ruled out by the channel sums
            continue
        m = run.judge.compare(act, outs, y, scale, probe, early=True, cache=cache)
        tried[act.name] = m.worst if m.worst is not None else float("nan")
        if m.fits:
            why = (
                f"{source} action {expected.name} does not fit (error {_num(m_exp.worst)}); "
                f"{act.name} fits (error {_num(m.worst)})"
            )
            if is_variant(act, expected):
                return act, "inferred", "variant", m_exp, tried, why
            return act, "inferred", "explained", m, tried, why
    listed = ", ".join(f"{k}: {_num(v)}" for k, v in tried.items())
    return expected, source, "nothing", m_exp, tried, f"no candidate fits ({listed})"


#: How far (in rtol) the channel sums may differ before no spatial candidate can fit.
SUM_SLACK = 100.0


def _channel_sums_differ(run: Run, y: np.ndarray, outs: list[np.ndarray | None], scale: float) -> bool:
    """Whether no action that moves the grid (spatial, regular in any orientation or layout)
    can fit: every such action moves the sum over the channel axis as ``spatial`` moves it,
    since a channel permutation leaves the sum alone. One element, far beyond the tolerance,
    rules them all out at the cost of one comparison of a channel-summed array."""
    if y.ndim < 4 or not run.elements or run.axes != DEFAULT_AXES:
        return False
    e = next((k for k, a in enumerate(outs) if a is not None), None)
    if e is None:
        return False
    first = candidates(y.shape, run.group, run.grid, run.axes)[0]  # spatial, with the grid's stride
    action = prepared(first, run.group, y.shape, run)
    if action is None or action.spatial is None:
        return False
    single = Judge([run.elements[e]], run.judge.rtol, run.judge.atol, run.margin)
    a = outs[e].sum(axis=1, keepdims=True, dtype=np.float64)  # type: ignore[union-attr]
    error = single.compare(action, [a], y.sum(axis=1, keepdims=True, dtype=np.float64), scale).worst
    return error is not None and error > SUM_SLACK * run.judge.rtol


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.2e}"


def _lie(run: Run, call: Call, act_in: Action, act_out: Action) -> dict[str, float]:
    """The layer's relative Lie derivatives on its recorded input (interpolated groups)."""
    from ..lie import lie_derivative

    gens = []
    rotations = getattr(run.group, "rotations", None)
    if rotations == "any" or (isinstance(rotations, int) and 4 % rotations):
        gens.append("rotation")
    if getattr(run.group, "scales", None) is not None:
        gens.append("scaling")
    arrays = [a for a in call.args if run.values.is_array(a)]
    if not gens or len(arrays) != 1:
        return {}
    like = arrays[0]
    h = run.values.to_host(like)

    def fn(arr: Any) -> Any:
        out = run_layer(call, (run.values.from_host(np.asarray(arr), like),), run.framework)
        return run.values.to_host(out)

    found = {}
    for gen in gens:
        try:
            d = lie_derivative(fn, h, gen, in_action=act_in, out_action=act_out, margin=run.margin)
        except (EquicheckError, ValueError):
            continue
        found[gen] = d.value
        run.layer_calls += 4
    return found


@dataclass
class _Inputs:
    """A call's array inputs as the row sees them: their actions and where they stand."""

    acts: list[Action | None]  # per positional argument (None: not an array)
    arrived: bool  # every input arrived equivariant (its cumulative error within tolerance)
    unknown: bool  # some input has no known action (after a lost row, or made by code)
    taint: set[int]  # the lost rows upstream
    notes: list[str]
    arrays: list[int]  # positions of the array arguments
    guessed: bool = False  # an input no action fits, taken as trivial: moving it says nothing

    @property
    def primary(self) -> Action:
        first = self.acts[self.arrays[0]] if self.arrays else None
        return first if first is not None else actions_mod.trivial()


def _moves_nothing(action: Action | None) -> bool:
    return action is None or (action.spatial is None and action.fiber is None)


def _inputs(run: Run, i: int) -> _Inputs:
    call = run.calls[i]
    arrays = [j for j, a in enumerate(call.args) if run.values.is_array(a)]
    found = _Inputs([None] * len(call.args), True, False, set(), [], arrays)
    inside = set(descendants(run, i))
    for k in inside:
        found.taint |= run.taint[k]
    for j in arrays:
        src = call.sources[j]
        if src == MODEL_INPUT:
            found.acts[j] = run.in_action
        elif src is not None and run.actions[src] is not None:
            found.acts[j] = run.actions[src]
            found.arrived &= run.cum_fits[src]
            found.taint |= run.taint[src]
            lost = run.rows[src].status in ("lost", "unjudged") and not run.cum_fits[src]
            found.unknown |= lost
            found.guessed |= lost and _moves_nothing(run.actions[src])
        else:  # made by code between layers: what fits it, and what came before it in its parent
            act, fit = _infer_input(run, i, j)
            for k in range(i):
                if run.calls[k].parent == call.parent and k not in inside:
                    found.taint |= run.taint[k]
            if act is None:
                h = run.values.to_host(call.args[j])
                act = prepared(candidates(h.shape, run.group, run.grid, run.axes)[0], run.group, h.shape, run)
                found.unknown = True
                found.guessed |= act is None or _moves_nothing(act)
                parent = run.calls[call.parent].name if call.parent is not None else None
                where = f"code of {parent}" if parent else "code between layers"
                found.notes.append(f"its input was made by {where}, and no action fits it there")
            found.acts[j] = act
            found.arrived &= fit
    return found


def _expected(run: Run, call: Call, y: np.ndarray, inputs: _Inputs) -> tuple[Action, str]:
    """The action the output should carry, and where that comes from."""
    declared = run.declared.get(call.name) or run.declared.get(call.name.split("#")[0])
    if declared is not None:
        name, source = declared, "declared"
    else:
        implied = implied_by_type(call.layer, y.shape, run.group, run.grid)
        if implied is not None:
            name, source = implied, "type"
        else:
            in_shape = run.values.to_host(call.args[inputs.arrays[0]]).shape if inputs.arrays else ()
            name = carried(inputs.primary, in_shape, y.shape, run.grid, run.group, run.axes)
            source = "carried"
    expected = prepared(name, run.group, y.shape, run)
    if expected is None:
        if source == "declared":
            raise ShapeError(
                f"the action declared for {call.name}, {declared.name!r}, cannot act on its output of "
                f"shape {tuple(y.shape)}"
            )
        first = candidates(y.shape, run.group, run.grid, run.axes)[0]
        expected = prepared(first, run.group, y.shape, run) or actions_mod.trivial()
    return expected, source


def _to_judge(
    run: Run, i: int, y: np.ndarray, inputs: _Inputs, expected: Action
) -> tuple[list[np.ndarray | None] | None, str, FloorProbe | None]:
    """The layer's outputs for the moved inputs (None when not measured), how they were
    obtained, and for interpolated groups the floor probe of this layer."""
    call = run.calls[i]
    recorded = [run.moved_outputs[e][i] for e in range(len(run.elements))]
    if run.exact and inputs.arrived and not inputs.unknown:
        return recorded, "read from the recorded pass for g·x (its input arrived equivariant)", None
    if not call.leaf and any(run.rows[k].status in ("breaks", "lost") for k in descendants(run, i)):
        return None, "not measured: a layer inside breaks", None
    if not inputs.arrays:
        return recorded, "read from the recorded pass for g·x (it takes no array)", None
    outs = _local_outputs(run, call, inputs.acts, run.batched)
    probe = None
    if not run.exact and len(inputs.arrays) == 1:
        like = call.args[inputs.arrays[0]]

        def one(arr: Any) -> Any:
            run.layer_calls += 1
            moved_input = run.values.from_host(np.asarray(arr), like)
            return run.values.to_host(run_layer(call, (moved_input,), run.framework))

        h = run.values.to_host(like)
        probe = start_probe(run.group.interpolation, one, h, y, inputs.primary, expected, run.elements)
    return outs, "measured: the layer called on its moved recorded input", probe


def _status(run: Run, outs: Any, verdict: str, inputs: _Inputs) -> str:
    if outs is None:
        return "contains"
    if inputs.guessed:  # a fit on an input guessed trivial says nothing: it moves nothing
        inputs.notes.append("its input has no known action, so its own error is not judged")
        return "unjudged"
    if verdict in ("fits", "explained"):
        return "ok"
    if inputs.unknown:
        inputs.notes.append("its input has no known action, so its own error is not judged")
        return "unjudged"
    if verdict == "nothing" and run.exact:
        return "lost"
    return "breaks"


def build_row(run: Run, i: int) -> None:
    """The row of call ``i`` (module docstring), appended to ``run``."""
    call = run.calls[i]
    parent = run.calls[call.parent].name if call.parent is not None else None
    inputs = _inputs(run, i)
    if call.output is None:
        note = "its output is not one array: not compared"
        run.rows.append(
            LayerRow(call.name, call.kind, [], "-", "-", "unjudged", leaf=call.leaf, parent=parent, note=note)
        )
        run.actions.append(None)
        run.cum_fits.append(False)
        run.taint.append(inputs.taint)
        run.verdicts.append(("", None, None, inputs.acts, None))
        return
    y = run.values.to_host(call.output)
    arrays = [run.values.to_host(call.args[j]) for j in inputs.arrays]
    scale = input_scale(np, arrays) if arrays else 1.0
    expected, source = _expected(run, call, y, inputs)
    outs, how, probe = _to_judge(run, i, y, inputs, expected)
    recorded = [run.moved_outputs[e][i] for e in range(len(run.elements))]
    judged = outs if outs is not None else recorded
    # where the input's action cannot move some elements (an odd shift of a strided input),
    # the layer is judged on the elements it can
    partial = inputs.unknown or any(o is None for o in judged)
    cache: dict[Any, Any] = {}  # ρ(g)·y of this row, shared by every comparison
    action, source, verdict, measured, tried, evidence = _choose(
        run, call, y, judged, expected, source, scale, probe, partial, cache
    )
    # measured: the chosen action's on the judged outputs (the expected action's when no
    # other fits, or when the one that fits is a variant of it)
    if verdict != "variant" and judged is recorded:
        cumulative = measured
    else:
        cumulative = run.judge.compare(action, recorded, y, scale, cache=cache)
    status = _status(run, outs, verdict, inputs)
    taint = inputs.taint
    # only a whole output restores what is lost inside (not the first of several arrays)
    if status in ("ok", "unjudged", "contains") and cumulative.fits and not call.first_of:
        for p in taint:
            run.restored.setdefault(p, call.name)
        taint = set()
    if status == "lost":
        taint = taint | {i}
    worst = measured.worst_index
    row = LayerRow(
        call.name,
        call.kind,
        [int(n) for n in y.shape],
        action.name,
        source,
        status,
        cumulative=cumulative.worst,
        local=measured.worst if outs is not None else None,
        local_how=how,
        evidence=evidence,
        candidates=tried,
        worst_element=repr(run.elements[worst]) if worst is not None else None,
        leaf=call.leaf,
        parent=parent,
    )
    if probe is not None and outs is not None:
        floors = [f for f in measured.floors if f is not None]
        row.floor = max(floors) if floors else None
        if measured.undecided:
            inputs.notes.append(
                f"{measured.undecided} element(s) too close to the interpolation floor to decide"
            )
    if call.first_of:
        inputs.notes.append("it returns several arrays: the first is compared")
    row.note = "; ".join(inputs.notes)
    if not run.exact and run.lie and call.leaf and inputs.arrays and not inputs.unknown:
        row.lie = _lie(run, call, inputs.primary, action)
    run.rows.append(row)
    run.actions.append(action)
    run.cum_fits.append(cumulative.fits)
    run.taint.append(taint)
    run.verdicts.append((verdict, outs, expected, inputs.acts, measured))


def descendants(run: Run, i: int) -> list[int]:
    out, todo = [], list(run.calls[i].children)
    while todo:
        k = todo.pop()
        out.append(k)
        todo.extend(run.calls[k].children)
    return out


def mixes_batch(run: Run, i: int) -> bool:
    """Whether the layer's break comes from batching the elements: called alone on the worst
    element's moved input, it fits."""
    call = run.calls[i]
    verdict, outs, expected, acts, measured = run.verdicts[i]
    if not run.batched or outs is None or verdict in ("variant", "declared-fails"):
        return False
    row = run.rows[i]
    e = next((k for k, g in enumerate(run.elements) if repr(g) == row.worst_element), None)
    if e is None or measured.errors[e] is None or measured.errors[e] <= measured.limits[e]:
        return False
    args = _moved_args(run, call, acts, run.elements[e])
    if args is None:
        return False
    try:
        alone = run.values.to_host(run_layer(call, args, run.framework))
    except Exception:  # noqa: BLE001 - the diagnosis only
        return False
    run.layer_calls += 1
    y = run.values.to_host(call.output)
    single = Judge([run.elements[e]], run.judge.rtol, run.judge.atol, run.margin)
    scale = input_scale(np, [run.values.to_host(a) for a in call.args if run.values.is_array(a)])
    return single.compare(expected, [alone], y, scale).fits


def finish(run: Run) -> int | None:
    """Settle the lost rows (restored later, or breaks) and return the first breaking row."""
    for i, row in enumerate(run.rows):
        if row.status != "lost":
            continue
        if i in run.restored:
            row.note = "; ".join(
                filter(
                    None, [row.note, f"no action fits its output; {run.restored[i]} restores equivariance"]
                )
            )
        else:
            row.status = "breaks"
            row.note = "; ".join(
                filter(
                    None, [row.note, "no action fits its output, and no later layer restores equivariance"]
                )
            )
    for i, row in enumerate(run.rows):
        if row.status == "contains" and not any(run.rows[k].status == "breaks" for k in descendants(run, i)):
            row.status = "unjudged"
        if row.status == "breaks" and not row.leaf:
            inside = [run.rows[k].name for k in descendants(run, i) if run.rows[k].status == "breaks"]
            if inside:
                row.status = "contains"
                row.note = "; ".join(filter(None, [row.note, f"{inside[-1]} inside it breaks"]))
    return next((i for i, r in enumerate(run.rows) if r.status == "breaks"), None)


def first_error_map(run: Run, i: int) -> tuple[np.ndarray | None, str | None]:
    verdict, outs, expected, _, measured = run.verdicts[i]
    row = run.rows[i]
    call = run.calls[i]
    if outs is None or row.worst_element is None or call.output is None:
        return None, None
    e = next((k for k, g in enumerate(run.elements) if repr(g) == row.worst_element), None)
    if e is None or outs[e] is None or measured.errors[e] is None or measured.errors[e] <= measured.limits[e]:
        return None, None  # no element both moves the output and misses it (e.g. a lost stride)
    g = run.elements[e]
    b = moved(expected, g, run.values.to_host(call.output))
    if b is None or b.shape != outs[e].shape:
        return None, None
    return error_map(outs[e], b, expected), repr(g)


def advice_for(run: Run, first: int) -> str:
    """The sentence for the first breaking row: what was seen there, and its layer's kind."""
    row = run.rows[first]
    verdict, _, _, acts, _ = run.verdicts[first]
    found = verdict if verdict in ("variant", "nothing") else ""
    if found != "variant" and any(isinstance(getattr(a, "fiber", None), Regular) for a in acts):
        found = "regular"
    if mixes_batch(run, first):
        found = "mixes-batch"
    shifts = any(
        getattr(g, "dy", 0) or getattr(g, "dx", 0) or any(getattr(g, "shift", ())) for g in run.elements
    )
    return advice(run.calls[first].layer, row.kind, found, run.group.name, row.leaf, shifts)
