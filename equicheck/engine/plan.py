"""The plan of a check: the user's arguments normalised once, before any work.

A *case* is one input of f as a dict: positional arguments under 0, 1, ... and keyword
arguments under their names. The plan holds f (adapted to the backend), the group, one action
per input, what the outputs' actions are, and every option the engine needs.
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import actions as actions_mod
from .. import groups as groups_mod
from .. import options
from ..actions import Action, PointAction
from ..backends import Backend, get_backend
from ..errors import DtypeError, EquicheckError, ShapeError
from ..groups import Element, Group

__all__ = [
    "EXHAUSTIVE_LIMIT",
    "Case",
    "Key",
    "Plan",
    "checked_drawn_shape",
    "default_point_shape",
    "describe_function",
    "fill_shape",
    "grid_of",
    "moves_exactly",
    "to_case",
]

#: Finite groups with at most this many elements on the grid are checked exhaustively.
EXHAUSTIVE_LIMIT = 64

Key = int | str
Case = dict[Key, Any]


@dataclass(frozen=True)
class Plan:
    """Everything a check needs to know, normalised (see :func:`make_plan`)."""

    f: Callable[..., Any]
    name: str
    group: Group
    backend: Backend
    in_actions: dict[Key, Action]
    out_action: Any  # as given: Action | name | tuple | dict | None (same as the input's)
    invariant: bool
    batched: bool
    margin: int
    allow_non_finite: bool
    rtol: float | None
    atol: float | None
    exhaustive_limit: int
    elements: list[Element] | None
    elements_per_example: int
    replay_dir: Path | None
    #: Seconds one call of f may take (None: no limit); see :meth:`Evaluator.call`.
    timeout: float | None = None
    #: Whether equicheck draws the inputs (no ``inputs=``): then their layout is its choice.
    drawn: bool = True
    #: What f is, as the user gave it (before adapters wrapped it): for messages and replay lines.
    given: Any = None

    @property
    def first_in_action(self) -> Action:
        return next(iter(self.in_actions.values()))

    @property
    def exact(self) -> bool:
        """No element of the group and no input action interpolates."""
        return self.group.exact and all(a.exact for a in self.in_actions.values())

    def out_actions(self, keys: Sequence[Key]) -> dict[Key, Action]:
        """The action of each output of f (keys as f returned them)."""
        spec = self.out_action
        keys = list(keys)
        if self.invariant:
            return {k: actions_mod.trivial() for k in keys}
        if spec is None:
            if len(self.in_actions) != 1 or len(keys) != 1:
                raise EquicheckError(
                    f"f has {len(self.in_actions)} inputs and returned {len(keys)} outputs; "
                    "give out_action explicitly (one action per output)"
                )
            return {keys[0]: self.first_in_action}
        if isinstance(spec, Mapping):
            acts = {k: self.bound(v) for k, v in spec.items()}
        elif isinstance(spec, (tuple, list)):
            acts = {i: self.bound(v) for i, v in enumerate(spec)}
        else:
            if len(keys) != 1:
                raise EquicheckError(
                    f"f returned {len(keys)} outputs ({', '.join(map(str, keys))}) but one "
                    "out_action was given; give one action per output (a tuple or dict), e.g. "
                    "trivial() for an output that should not move"
                )
            acts = {keys[0]: self.bound(spec)}
        if set(acts) != set(keys):
            raise EquicheckError(
                f"out_action names outputs {sorted(map(str, acts))} but f returned "
                f"{sorted(map(str, keys))}; every output needs exactly one action"
            )
        return acts

    def declared_out_actions(self) -> list[Action]:
        """The output actions as declared, before f ran (for names and grid sizes)."""
        spec = self.out_action
        if self.invariant:
            return [actions_mod.trivial()]
        if spec is None:
            return list(self.in_actions.values())
        if isinstance(spec, Mapping):
            return [self.bound(v) for v in spec.values()]
        if isinstance(spec, (tuple, list)):
            return [self.bound(v) for v in spec]
        return [self.bound(spec)]

    def bound(self, action: Any) -> Action:
        """An action (or its name) bound to the group's grid: the last ``dims`` axes by default."""
        return actions_mod.from_name(action).on_dims(self.group.dims)

    def out_names(self) -> list[str]:
        return ["trivial"] if self.invariant else [a.name for a in self.declared_out_actions()]

    def saved_out_action(self) -> Any:
        """The output actions as a replay file stores them (None where an action has no name)."""
        spec = self.out_action
        if self.invariant:
            return "invariant"
        if spec is None:
            return None

        def name(v: Any) -> str | None:
            act = actions_mod.from_name(v)
            return act.name if actions_mod.is_named(act) else None

        if isinstance(spec, Mapping):
            return {str(k): name(v) for k, v in spec.items()}
        if isinstance(spec, (tuple, list)):
            return [name(v) for v in spec]
        return name(spec)

    def saved_in_action(self) -> dict[str, str | None]:
        return {str(k): (a.name if actions_mod.is_named(a) else None) for k, a in self.in_actions.items()}


# --- normalising what the user gave ----------------------------------------------------------
def describe_function(f: Any) -> str:
    """``module.qualname`` of f (or its class), as results name it."""
    name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or type(f).__name__
    module = getattr(f, "__module__", None)
    return f"{module}.{name}" if module and module not in ("__main__", "builtins") else str(name)


def to_case(value: Any) -> Case:
    """One input case: an array (one argument), a tuple (several), a dict (keywords)."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, tuple):
        return dict(enumerate(value))
    return {0: value}


def keys_from_action(in_action: Any) -> list[Key]:
    """The input keys an ``in_action`` argument names (one action: one input under 0)."""
    if isinstance(in_action, Mapping):
        return [str(k) for k in in_action]
    if isinstance(in_action, (tuple, list)):
        return list(range(len(in_action)))
    return [0]


def normalise_in_actions(in_action: Any, keys: Sequence[Key]) -> dict[Key, Action]:
    """One action per input key, or an EquicheckError that says what is missing."""
    if isinstance(in_action, Mapping):
        actions = {k: actions_mod.from_name(v) for k, v in in_action.items()}
    elif isinstance(in_action, (tuple, list)):
        actions = {i: actions_mod.from_name(v) for i, v in enumerate(in_action)}
    else:
        if len(keys) > 1:
            raise EquicheckError(
                f"f takes {len(keys)} inputs ({', '.join(map(str, keys))}) but one in_action was "
                "given; give in_action as a tuple (or dict) with one action per input, e.g. "
                "trivial() for an input the group does not move"
            )
        actions = {keys[0] if keys else 0: actions_mod.from_name(in_action)}
    missing = [k for k in keys if k not in actions]
    extra = [k for k in actions if k not in keys]
    if missing or extra:
        raise EquicheckError(
            f"in_action must name every input exactly once: missing actions for {missing}, "
            f"actions for inputs that do not exist: {extra}"
        )
    return actions


def default_shape(action: Action) -> tuple[int | None, ...]:
    """The input shape drawn when the user gave none: the grid, and one field of channels."""
    fiber, spatial = action.fiber, action.spatial
    if spatial is None:
        raise EquicheckError(f"cannot guess an input shape for the action {action.name}; pass input_shape=")
    d = len(spatial.axes)
    if tuple(spatial.axes) != tuple(range(-d, 0)):
        raise EquicheckError(f"pass input_shape= when the spatial axes are not the last {d}")
    if fiber is None:
        return (None,) * d
    if fiber.axis != -(d + 1):
        raise EquicheckError(f"pass input_shape= when the fiber axis is not {-(d + 1)}")
    return (-1,) + (None,) * d  # -1: one field of the fiber's channels


def fill_shape(
    shape: Sequence[int | None], action: Action, grid: tuple[int, ...], channels: int | None
) -> tuple[int, ...]:
    """A concrete shape: None on the grid axes becomes the drawn grid, -1 the fiber's channels."""
    shape = list(shape)
    spatial = action.spatial
    if isinstance(action, PointAction):  # the point axis: n, drawn as grid[0]
        ax = action.point_axis(len(shape))
        if ax is not None and shape[ax] is None:
            shape[ax] = grid[0]
    if spatial is not None:
        axes = spatial.grid_axes(len(shape))
        if len(grid) != len(axes):
            raise ShapeError(
                f"the action {action.name} moves {len(axes)} grid axes, but the grid drawn has "
                f"{len(grid)}: say the grid's axes with axes="
            )
        for ax, n in zip(axes, grid):
            if shape[ax] is None:
                shape[ax] = n
    out = []
    for n in shape:
        if n == -1:
            if channels is None:
                raise EquicheckError("cannot infer the number of channels; pass input_shape=")
            n = channels
        if n is None:
            raise EquicheckError(
                f"input_shape {tuple(shape)} has None outside the grid axes of {action.name}"
            )
        out.append(int(n))
    return tuple(out)


def default_point_shape(action: PointAction, group: Group) -> tuple[int | None, ...]:
    """The shape drawn for a point action when the user gave none: n points (None), then the
    components (3-D unless the group acts in 2-D)."""
    tail = action.component_shape(getattr(group, "dim", None) or 3)
    return ((None,) if action.axis is not None else ()) + tail


def checked_point_shape(shape: Sequence[Any], action: PointAction, label: str = "input_shape") -> None:
    """A :class:`ShapeError` when a shape to draw for a point action has None (the number of
    points) anywhere but on its point axis."""
    nones = [i for i, n in enumerate(shape) if n is None]
    if not nones:
        return
    ax = action.point_axis(len(shape)) if action.axis is not None else None
    if nones != [ax]:
        where = f"axis {action.axis} (the point axis)" if ax is not None else "no axis (it has no point axis)"
        raise ShapeError(
            f"{label} = {tuple(shape)} has None (the number of points, drawn) on axes {nones}, but "
            f"{action.name} enumerates points on {where}: give the other sizes as numbers"
        )


def checked_drawn_shape(shape: Sequence[Any], action: Action, label: str = "input_shape") -> None:
    """A :class:`ShapeError` when a shape to draw marks grid sizes (None) on axes the action
    does not move (e.g. channels-last ``(None, None, 3)`` with the default last-two-axes
    action), saying which ``axes=`` would match; before any work, in the user's own terms."""
    if isinstance(action, PointAction):
        checked_point_shape(shape, action, label)
        return
    nones = [i for i, n in enumerate(shape) if n is None]
    if not nones:
        return
    shown = "(" + ", ".join(
        "None" if n is None else str(n) if isinstance(n, int) else "<drawn>" for n in shape
    )
    shown += ",)" if len(shape) == 1 else ")"
    spatial = action.spatial
    if spatial is None:
        raise ShapeError(
            f"{label} = {shown} has None (a grid size to draw), but the action {action.name} moves no "
            "grid: give every size"
        )
    try:
        grid = spatial.grid_axes(len(shape))
    except ShapeError:
        grid = None
    outside = [i for i in nones if grid is None or i not in grid]
    if not outside:
        return
    name = action.spec.name if hasattr(action, "spec") else action.name
    suggestion = ""
    d = len(spatial.axes)
    if len(nones) == d:
        params = "" if name == "spatial" else "..., "
        listed = ", ".join(map(str, nones)) + ("," if d == 1 else "")
        suggestion = (
            f"; if axes {', '.join(map(str, nones))} are the grid (e.g. channels-last), say so: "
            f'in_action="{name}({params}axes=({listed}))"'
        )
    elif len(nones) != d:
        suggestion = (
            f"; the group acts on {d}-D grids, so a shape to draw has None on {d} "
            f"ax{'is' if d == 1 else 'es'} (e.g. {(1,) + (None,) * d})"
        )
    where = (
        f"axes {', '.join(map(str, grid))} of a {len(shape)}-D input"
        if grid is not None
        else f"which a {len(shape)}-D input does not have"
    )
    raise ShapeError(
        f"{label} = {shown} has None (a grid size to draw) on axis {', '.join(map(str, outside))}, but "
        f"the action {action.name} moves the grid on axes {spatial.axes} ({where}){suggestion}; or "
        "give those sizes as numbers"
    )


def moves_exactly(actions: Mapping[Key, Action], case: Case, g: Element) -> bool:
    """Whether ``g`` moves every input of ``case`` by an index permutation: exact elements that
    exchange axes of unequal spacing are resampled, so they are judged like interpolated ones."""
    return bool(g.exact) and all(actions[k].moves_exactly(g, tuple(v.shape)) for k, v in case.items())


def grid_of(plan: Plan, case: Case) -> tuple[int, ...] | None:
    """The grid the group acts on in ``case`` (that of the first input with grid axes)."""
    for k, v in case.items():
        grid = plan.in_actions[k].grid(tuple(v.shape))
        if grid is not None:
            return grid
    return None


def flatten_inputs(inputs: Any) -> list[Any]:
    """Every array in ``inputs`` (for choosing the backend from them)."""
    if inputs is None or _is_strategy(inputs):
        return []
    items = inputs if isinstance(inputs, list) else [inputs]
    out: list[Any] = []
    for item in items:
        out.extend(to_case(item).values())
    return out


def _is_strategy(value: Any) -> bool:
    # a Hypothesis strategy, recognised without importing Hypothesis here
    return any(cls.__name__ == "SearchStrategy" for cls in type(value).__mro__)


def _adapt(f: Callable[..., Any], backend: Backend) -> Callable[..., Any]:
    """Let adapters wrap users' models (PyTorch, JAX) into functions of backend arrays."""
    from ..adapters import adapt

    return adapt(f, backend)


def make_plan(
    f: Callable[..., Any],
    group: Group | str,
    *,
    keys: Sequence[Key],
    in_action: Any,
    out_action: Any,
    invariant: bool,
    inputs: Any,
    batched: bool,
    margin: int,
    allow_non_finite: bool,
    elements: Sequence[Element | str] | None,
    rtol: float | None,
    atol: float | None,
    backend: str | Backend | None,
    exhaustive_limit: int,
    elements_per_example: int,
    replay_dir: str | os.PathLike[str] | None,
    name: str | None,
    timeout: float | None = None,
) -> Plan:
    """Validate and normalise the check's arguments; raise before any work is done."""
    refuse_uncallable(f)
    resolved_group = groups_mod.from_name(group)
    resolved_backend = get_backend(backend, *flatten_inputs(inputs))
    if isinstance(margin, bool) or not isinstance(margin, int) or margin < 0:
        raise EquicheckError(f"margin must be a non-negative integer, got {margin!r}")
    # finite and non-negative: an infinite rtol would pass anything, a NaN would compare false
    rtol = None if rtol is None else options.tolerance(rtol, name="rtol")
    atol = None if atol is None else options.tolerance(atol, name="atol")
    elements_list = None
    if elements is not None:
        elements_list = [groups_mod.element_from_repr(e) if isinstance(e, str) else e for e in elements]
        bad = [e for e in elements_list if not resolved_group.contains(e)]
        if bad:
            raise EquicheckError(f"elements {bad} are not in {resolved_group.name}")
    plan = Plan(
        f=_adapt(f, resolved_backend),
        name=name or describe_function(f),
        group=resolved_group,
        backend=resolved_backend,
        in_actions={
            k: a.on_dims(resolved_group.dims) for k, a in normalise_in_actions(in_action, keys).items()
        },
        out_action=out_action,
        invariant=bool(invariant),
        batched=bool(batched),
        margin=margin,
        allow_non_finite=bool(allow_non_finite),
        rtol=rtol,
        atol=atol,
        exhaustive_limit=exhaustive_limit,
        elements=elements_list,
        elements_per_example=elements_per_example,
        replay_dir=Path(replay_dir) if replay_dir is not None else None,
        timeout=options.timeout(timeout, name="timeout"),
        drawn=inputs is None,
        given=f,
    )
    # what the group alone rules out (turns across unequal spacing, vector components of
    # another grid, orientations of a group without them): refused now, outputs included
    for action in [*plan.in_actions.values(), *plan.declared_out_actions()]:
        action.check_group(resolved_group)
    return plan


def refuse_uncallable(f: Any) -> None:
    """An :class:`EquicheckError` that names the mistake when f is no function of the input:
    a class (``Conv2d`` instead of ``Conv2d(...)``) or a factory that takes no arguments."""
    if inspect.isclass(f):
        name = f.__name__
        raise EquicheckError(
            f"f is the class {name}, not a function or model: equicheck calls f(x), and calling a "
            f"class builds a new object. Pass an instance: {name}(...) (e.g. model = {name}(...); "
            f"check_equivariance(model, ...))"
        )
    if not callable(f):
        raise EquicheckError(f"f must be a function or model (callable), got {type(f).__name__}")
    if inspect.isfunction(f) or inspect.ismethod(f):
        try:
            params = inspect.signature(f).parameters.values()
        except (TypeError, ValueError):
            return
        if not params:
            name = getattr(f, "__name__", "f")
            raise EquicheckError(
                f"{name} takes no arguments, so it cannot be f(x): is it a factory that builds the "
                f"model? Check what it returns: pass {name}() (on the command line: MODULE:{name}())"
            )


# --- what the user gave as inputs and shapes, checked before any work ---------------------------
def checked_input_shape(value: Any) -> Any:
    """``input_shape=`` checked: one shape (a tuple of sizes >= 1, None for drawn grid axes,
    Hypothesis strategies for sizes drawn per example; also text such as ``"3,None,None"``), a
    tuple of such shapes (several positional inputs) or a dict (keyword inputs). Raises
    :class:`ShapeError` for a size 0 and :class:`OptionError` for what is no shape."""
    if isinstance(value, Mapping):
        return {str(k): _one_shape(v, f"input_shape[{str(k)!r}]") for k, v in value.items()}
    if isinstance(value, (tuple, list)) and any(isinstance(v, (tuple, list, str, Mapping)) for v in value):
        return tuple(_one_shape(v, f"input_shape[{i}]") for i, v in enumerate(value))
    return _one_shape(value, "input_shape")


def _one_shape(value: Any, label: str) -> tuple[Any, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        return options.shape(value, name=label)
    if any(isinstance(n, int) and not isinstance(n, bool) and n == 0 for n in value):
        raise ShapeError(
            f"{label} = {tuple(value)!r} has a size 0: an empty input has nothing to check; give "
            "every axis a size >= 1 (None for a grid axis whose size the check draws)"
        )
    sizes = options.shape(tuple(None if _is_strategy(n) else n for n in value), name=label)
    return tuple(n if _is_strategy(n) else size for n, size in zip(value, sizes))


def checked_case(backend: Backend, value: Any, label: str) -> Case:
    """One input case (array, tuple or dict) as backend arrays, each numeric, at least one of
    them with entries: :class:`ShapeError` or :class:`DtypeError` (saying which input) otherwise."""
    raw = to_case(value)
    case: Case = {}
    empty: list[str] = []
    for k, v in raw.items():
        kind = "argument" if isinstance(k, int) else "keyword"
        where = label if list(raw) == [0] else f"{label}, {kind} {k!r}"
        try:
            array = backend.asarray(v)
        except Exception as exc:  # noqa: BLE001 - ragged lists, foreign objects: all the same here
            hint = ""
            if type(v).__module__.startswith("torch_geometric"):
                hint = (
                    "; a PyTorch Geometric Data or Batch is passed as its arrays: "
                    "inputs=equicheck.adapters.pyg.from_data(data) (docs/graphs.md)"
                )
            raise ShapeError(f"{where} cannot be made an array ({type(v).__name__}): {exc}{hint}") from None
        try:
            numeric = bool(backend.xp.isdtype(array.dtype, ("bool", "numeric")))
        except (TypeError, ValueError):
            numeric = False
        if not numeric:
            raise DtypeError(
                f"{where} has dtype {array.dtype}; equicheck needs numeric arrays (bool, integer, "
                "float or complex): convert it, e.g. np.asarray(x, dtype=np.float32)"
            )
        case[k] = array
        if math.prod(array.shape) == 0:
            empty.append(f"{where} has shape {tuple(array.shape)}")
    if len(empty) == len(case):  # one empty input among others (a graph with no edges) is fine
        raise ShapeError(
            f"{'; '.join(empty)}, which holds no entries: an empty input has nothing to check; pass "
            "an array with at least one entry on every axis"
        )
    return case
