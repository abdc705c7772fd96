"""The engine: draw inputs and elements, transform, evaluate f, compare, search, shrink.

:func:`check_equivariance` answers whether ``f(ρ_in(g)·x) == ρ_out(g)·f(x)`` for the
elements of a group and returns a :class:`~equicheck.CheckResult`; it never raises on a
violation. Hypothesis draws the examples, ``hypothesis.target`` steers toward the largest
error, and shrinking reduces a failure to the simplest element and smallest input, which are
saved for a one-line replay.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, target
from hypothesis import seed as hypothesis_seed
from hypothesis import settings as Settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.errors import HypothesisException

from . import actions as actions_mod
from . import floor as floor_mod
from . import groups as groups_mod
from .actions import Action
from .backends import Backend, get_backend
from .errors import EquicheckError, ShapeError
from .groups import Element, Group
from .replay import save_counterexample
from .result import CheckResult, Counterexample, ElementError
from .strategies import ArraySpec, array_specs, grid_sizes, make_array
from .tolerance import default_tolerance, dtype_name, input_scale, stacked_errors

__all__ = ["DEFAULT_SETTINGS", "check_equivariance", "recording"]

#: Hypothesis phases equicheck runs: no "explain" (it reads source code to print notes that
#: equicheck never prints, and costs seconds per failing check).
_PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)

#: equicheck's own Hypothesis settings, used when neither ``settings=`` nor a non-default
#: Hypothesis profile is active.
DEFAULT_SETTINGS = Settings(
    max_examples=100,
    phases=_PHASES,
    deadline=None,
    database=None,
    verbosity=Verbosity.quiet,
    report_multiple_bugs=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)

#: Errors below this share of the tolerance are not targeted (they are rounding, not signal).
TARGET_FROM = 0.01

#: Finite groups with at most this many elements on the grid are checked exhaustively.
EXHAUSTIVE_LIMIT = 64

Key = int | str
Case = dict[Key, Any]


#: dtypes whose rounding may be measured against a float64 evaluation before failing.
_LOW_PRECISION = {"float32", "float16", "bfloat16", "complex64", "tf32"}
#: The rounding allowance is this multiple of the measured |f(x) - f64(x)| + |f(gx) - f64(gx)| ...
ROUNDING_SAFETY = 1.5
#: ... and never more than this multiple of rtol.
ROUNDING_CAP = 10.0


def _as_float64(xp: Any, case: Case) -> Case:
    return {
        k: xp.astype(v, xp.float64) if xp.isdtype(v.dtype, "real floating") else v for k, v in case.items()
    }


# --- signals raised inside the Hypothesis test body ------------------------------------------
class _Failure(Exception):
    """A violation found in one example (carries what the result needs)."""

    def __init__(self, kind: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.details = details


# --- bookkeeping ---------------------------------------------------------------------------------
@dataclass
class _State:
    max_error: float = 0.0
    max_ratio: float = -1.0  # max_error / its tolerance: the worst example judged by its own dtype
    worst_rtol: float | None = None
    worst_atol: float | None = None
    worst_dtype: str | None = None
    worst_element: str | None = None
    worst_input: str | None = None
    worst_ref: tuple[Any, ...] | None = None  # (case, a, b, mask, out action) of the worst error
    per_element: dict[str, list[float]] = field(default_factory=dict)  # repr -> [max, count]
    examples: int = 0
    evaluations: int = 0
    time_in_f: float = 0.0
    dtypes: set[str] = field(default_factory=set)
    checked_determinism: bool = False
    checked_batch: bool = False
    rounding_cache: dict[str, Any] = field(default_factory=dict)
    rounding_bound: float = 0.0  # largest rounding allowance granted (0: none needed)
    non_finite: int = 0

    def record(self, element: str, err: float) -> None:
        slot = self.per_element.setdefault(element, [0.0, 0])
        slot[0] = max(slot[0], err)
        slot[1] += 1


@dataclass
class _Plan:
    f: Callable[..., Any]
    name: str
    group: Group
    backend: Backend
    in_actions: dict[Key, Action]
    out_action: Any  # Action | tuple | dict | None (same as input)
    invariant: bool
    batched: bool
    margin: int
    rtol: float | None
    atol: float | None
    exhaustive_limit: int
    elements: list[Element] | None
    elements_per_example: int
    replay_dir: Path | None


# --- normalising what the user gave ----------------------------------------------------------
def _describe_function(f: Any) -> str:
    name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or type(f).__name__
    module = getattr(f, "__module__", None)
    return f"{module}.{name}" if module and module not in ("__main__", "builtins") else str(name)


def _to_case(value: Any) -> Case:
    """One input case: an array (one argument), a tuple (several), a dict (keywords)."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, tuple):
        return dict(enumerate(value))
    return {0: value}


def _normalise_in_actions(in_action: Any, keys: Sequence[Key]) -> dict[Key, Action]:
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


def _default_shape(action: Action) -> tuple[int | None, ...]:
    fiber = getattr(action, "fiber", None)
    spatial = getattr(action, "spatial", None)
    if spatial is None:
        raise EquicheckError(f"cannot guess an input shape for the action {action.name}; pass input_shape=")
    if spatial.axes != (-2, -1):
        raise EquicheckError("pass input_shape= when spatial axes are not the last two")
    if fiber is None:
        return (None, None)
    if fiber.axis != -3:
        raise EquicheckError("pass input_shape= when the fiber axis is not -3")
    return (-1, None, None)  # -1: one field of the fiber's channels


def _fill_shape(
    shape: Sequence[int | None], action: Action, grid: tuple[int, int], channels: int | None
) -> tuple[int, ...]:
    shape = list(shape)
    spatial = getattr(action, "spatial", None)
    if spatial is not None:
        a, b = spatial.grid_axes(len(shape))
        for ax, n in ((a, grid[0]), (b, grid[1])):
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


# --- the evaluation of one example ----------------------------------------------------------
class _Evaluator:
    def __init__(self, plan: _Plan, state: _State) -> None:
        self.plan = plan
        self.state = state
        self.xp = plan.backend.xp
        self._prepared: dict[Any, Any] = {}
        #: Whether results steer Hypothesis (``target``); off when checking a user's given values.
        self.steer = True
        #: Judges interpolated elements against the interpolation floor (None: exact rule only).
        self.judge = floor_mod.judge_for(plan)

    # calling f safely
    def _call(self, case: Case, what: str, element: Element | None = None) -> Any:
        args = [case[k] for k in sorted(k for k in case if isinstance(k, int))]
        kwargs = {k: v for k, v in case.items() if isinstance(k, str)}
        start = time.perf_counter()
        try:
            out = self.plan.f(*args, **kwargs)
        except Exception as exc:
            shapes = {k: tuple(getattr(v, "shape", ())) for k, v in case.items()}
            raise _Failure(
                "exception",
                f"f raised {type(exc).__name__}: {exc} — on {what}, input shapes {shapes}",
                {"exception": repr(exc), "where": what}
                | ({"element": repr(element)} if element is not None else {}),
            ) from exc
        finally:
            self.plan.backend.synchronize()
            self.state.time_in_f += time.perf_counter() - start
            self.state.evaluations += 1
        return self._outputs(out)

    def _outputs(self, out: Any) -> dict[Key, Any]:
        backend = self.plan.backend
        if isinstance(out, Mapping):
            items = {str(k): v for k, v in out.items()}
        elif isinstance(out, (tuple, list)):
            items = dict(enumerate(out))
        else:
            items = {0: out}
        converted: dict[Key, Any] = {}
        for k, v in items.items():
            try:
                converted[k] = backend.asarray(v)
            except Exception as exc:  # noqa: BLE001 - any conversion failure means the same
                raise _Failure(
                    "shape", f"output {k!r} of f is not an array ({type(v).__name__}): {exc}", {}
                ) from None
        return converted

    def _copy_case(self, case: Case) -> Case:
        return {k: self.plan.backend.copy(v) for k, v in case.items()}

    def _unchanged(self, original: Case, used: Case) -> list[Key]:
        xp = self.xp
        changed = []
        for k, v in original.items():
            u = used[k]
            same = (
                bool(xp.all(v == u))
                if xp.isdtype(v.dtype, "bool")
                else bool(xp.all((v == u) | ((v != v) & (u != u))))
            )
            if not same:
                changed.append(k)
        return changed

    def _out_actions(self, outputs: dict[Key, Any]) -> dict[Key, Action]:
        spec = self.plan.out_action
        keys = list(outputs)
        if self.plan.invariant:
            return {k: actions_mod.trivial() for k in keys}
        if spec is None:
            if len(self.plan.in_actions) != 1 or len(keys) != 1:
                raise EquicheckError(
                    f"f has {len(self.plan.in_actions)} inputs and returned {len(keys)} outputs; "
                    "give out_action explicitly (one action per output)"
                )
            return {keys[0]: next(iter(self.plan.in_actions.values()))}
        if isinstance(spec, Mapping):
            acts = {k: actions_mod.from_name(v) for k, v in spec.items()}
        elif isinstance(spec, (tuple, list)):
            acts = {i: actions_mod.from_name(v) for i, v in enumerate(spec)}
        else:
            if len(keys) != 1:
                raise EquicheckError(
                    f"f returned {len(keys)} outputs ({', '.join(map(str, keys))}) but one "
                    "out_action was given; give one action per output (a tuple or dict), e.g. "
                    "trivial() for an output that should not move"
                )
            acts = {keys[0]: actions_mod.from_name(spec)}
        if set(acts) != set(keys):
            raise EquicheckError(
                f"out_action names outputs {sorted(map(str, acts))} but f returned "
                f"{sorted(map(str, keys))}; every output needs exactly one action"
            )
        return acts

    def _prepare(self, action: Action, shape: tuple[int, ...]) -> Action:
        key = (id(action), shape)
        if key not in self._prepared:
            self._prepared[key] = action.prepare(self.plan.group, shape)
        return self._prepared[key]

    def _mask(self, action: Action, g: Element, shape: tuple[int, ...]) -> Any:
        mask = action.valid_mask(g, shape, self.plan.margin, self.plan.backend)
        if mask is None:
            return None
        spatial = action.spatial if hasattr(action, "spatial") else None
        if spatial is None:
            spatial = getattr(getattr(action, "action", None), "spatial", None)
        a, b = spatial.grid_axes(len(shape))
        if a > b:
            mask = self.xp.permute_dims(mask, (1, 0))
        full = [1] * len(shape)
        full[a], full[b] = shape[a], shape[b]
        return self.xp.reshape(mask, tuple(full))

    def _stack(self, cases: list[Case]) -> Case:
        return {k: self.xp.concat([c[k] for c in cases], axis=0) for k in cases[0]}

    def _split(self, outputs: dict[Key, Any], n: int) -> list[dict[Key, Any]]:
        parts: list[dict[Key, Any]] = [{} for _ in range(n)]
        for k, v in outputs.items():
            if v.ndim == 0 or v.shape[0] % n:
                raise _Failure(
                    "shape",
                    f"with batched=True, output {k!r} of f has shape {tuple(v.shape)}, which does "
                    f"not split into {n} equal batches along axis 0; is f really batched?",
                    {},
                )
            m = v.shape[0] // n
            for i in range(n):
                parts[i][k] = v[i * m : (i + 1) * m]
        return parts

    def _samples(self, output: Any) -> int:
        """Samples per output: the batch entries when f is batched, else the whole output."""
        return int(output.shape[0]) if self.plan.batched and output.ndim else 1

    def _compare(self, a: Any, b: Any, mask: Any, floor: float) -> float:
        """The largest per-sample error of one comparison (NaN/inf entries must be masked)."""
        xp = self.xp
        err, _ = stacked_errors(
            xp, a[None, ...], b[None, ...], None if mask is None else mask[None, ...], self._samples(a), floor
        )
        return float(xp.max(err))

    def evaluate(self, case: Case, elements: Sequence[Element], description: str) -> None:
        """Check one input against ``elements``; raise _Failure on the first violation."""
        plan, xp, state = self.plan, self.xp, self.state
        state.examples += 1
        in_actions = {k: self._prepare(plan.in_actions[k], tuple(v.shape)) for k, v in case.items()}
        floor_scale = input_scale(xp, list(case.values()))
        for v in case.values():
            state.dtypes.add(dtype_name(v.dtype))
        transformed = [
            {k: in_actions[k].apply(g, v, plan.backend) for k, v in case.items()} for g in elements
        ]

        # f(x) once, and f(g·x) for every element (one batched call where f takes a batch axis).
        # f only ever sees fresh arrays, so `case` itself stays intact for comparisons.
        if plan.batched:
            batch = self._stack([case] + transformed)
            everything = self._call(batch, "the batch of x and its transforms")
            self._check_unchanged(case, {k: v[: case[k].shape[0]] for k, v in batch.items()}, description)
            parts = self._split(everything, len(elements) + 1)
            fx, fgx = parts[0], parts[1:]
            # f(g·x) for all elements, already contiguous: compared without another copy
            stacked_fgx = {
                k: xp.reshape(v[v.shape[0] // (len(elements) + 1) :], (len(elements), *fx[k].shape))
                for k, v in everything.items()
            }
            if not state.checked_batch:
                state.checked_batch = True
                alone = self._call(self._copy_case(case), "x alone")
                self._verify_same(
                    alone,
                    fx,
                    floor_scale,
                    "batch-mixing",
                    "f(x) differs when x is evaluated inside a larger batch: f mixes "
                    "batch entries (batch statistics?); put the model in eval mode or "
                    "check with batched=False",
                    description,
                )
        else:
            used = self._copy_case(case)
            fx = self._call(used, "x")
            self._check_unchanged(case, used, description)
            fgx = [
                self._call(self._copy_case(t), f"x transformed by {g!r}", g)
                for g, t in zip(elements, transformed)
            ]
            stacked_fgx = {}
        if not state.checked_determinism:
            state.checked_determinism = True
            if plan.batched:
                again = self._call(self._stack([case] + transformed), "the batch again")
                again = self._split(again, len(elements) + 1)[0]
            else:
                again = self._call(self._copy_case(case), "x (second call)")
            self._verify_same(
                again,
                fx,
                floor_scale,
                "nondeterministic",
                "f gave different answers for the same input; fix seeds, turn off "
                "dropout/sampling, or compare in eval mode",
                description,
            )

        out_actions_raw = self._out_actions(fx)
        try:
            out_actions = {k: self._prepare(out_actions_raw[k], tuple(v.shape)) for k, v in fx.items()}
        except ShapeError as exc:
            raise _Failure(
                "shape",
                f"the output action cannot act on f's output: {exc} (f(x) shapes: "
                f"{ {k: tuple(v.shape) for k, v in fx.items()} })",
                {"input": description},
            ) from None
        dtypes = [v.dtype for v in case.values()] + [v.dtype for v in fx.values()]
        tol_dtype, tol = default_tolerance(*dtypes)
        rtol = plan.rtol if plan.rtol is not None else tol.rtol
        atol = plan.atol if plan.atol is not None else tol.atol
        floor = atol / rtol * floor_scale if rtol > 0 else 0.0
        state.dtypes.add(tol_dtype)
        if self.judge is not None:  # interpolation floor of this input (equicheck/floor.py)
            self.judge.start(self, case, in_actions, elements, fx, out_actions)

        first_failure: _Failure | None = None
        per_element = [0.0] * len(elements)
        example_ratio = 0.0
        for k, b_src in fx.items():
            act = out_actions[k]
            a_list, b_list, masks = [], [], []
            for g, out_g in zip(elements, fgx):
                if k not in out_g:
                    raise _Failure("shape", f"f(g·x) lacks output {k!r} for {g!r}", {})
                a = out_g[k]
                try:
                    b = act.apply(g, b_src, plan.backend)
                except EquicheckError as exc:
                    raise EquicheckError(f"cannot apply out_action to output {k!r}: {exc}") from None
                if tuple(a.shape) != tuple(b.shape):
                    raise _Failure(
                        "shape",
                        f"f(g·x) has shape {tuple(a.shape)} but g·f(x) has shape {tuple(b.shape)} "
                        f"for g = {g!r} (output {k!r}); the output action or f's shape handling is wrong",
                        {"element": repr(g), "input": description},
                    )
                a_list.append(a)
                b_list.append(b)
                masks.append(self._mask(act, g, tuple(a.shape)))
            errors = self._errors(a_list, b_list, masks, floor, elements, k, description, stacked_fgx.get(k))
            for i, (g, err) in enumerate(zip(elements, errors)):
                per_element[i] = max(per_element[i], err)
                limit = rtol
                interpolated = self.judge is not None and not floor_mod.is_exact_element(g)
                if err > rtol and plan.rtol is None and tol_dtype in _LOW_PRECISION and not interpolated:
                    limit = max(
                        rtol,
                        self._rounding_bound(case, transformed[i], k, b_src, a_list[i], floor, rtol),
                    )
                if self.judge is not None:  # interpolated elements: judged against the floor
                    limit = self.judge.limit(g, k, a_list[i], b_list[i], masks[i], err, limit)
                ratio = err / limit if limit > 0 else (math.inf if err > 0 else 0.0)
                example_ratio = max(example_ratio, ratio)
                if ratio > state.max_ratio:
                    state.max_ratio = ratio
                    state.max_error = err
                    state.worst_rtol, state.worst_atol, state.worst_dtype = limit, atol, tol_dtype
                    state.worst_element = repr(g)
                    state.worst_input = description
                    state.worst_ref = (case, a_list[i], b_list[i], masks[i], act)
                if err > limit and first_failure is None:
                    # the figures are computed once, for the final (shrunk) failure only
                    first_failure = _Failure(
                        "mismatch",
                        f"f(g·x) != g·f(x) for g = {g!r}",
                        {
                            "element": repr(g),
                            "input": description,
                            "case": case,
                            "error": err,
                            "lazy": (
                                xp,
                                plan,
                                g,
                                k,
                                a_list[i],
                                b_list[i],
                                masks[i],
                                err,
                                limit,
                                floor,
                                description,
                                case,
                                act,
                            ),
                        },
                    )
        for g, err in zip(elements, per_element):
            state.record(repr(g), err)
        if self.judge is not None:
            self.judge.end_example()
        if example_ratio > TARGET_FROM and self.steer and currently_in_test_context():
            # steer only toward errors that matter: hill-climbing on rounding noise would
            # narrow the search to one family and dtype and starve the others
            target(math.log10(example_ratio), label="log10 error / tolerance")
        if first_failure is not None:
            raise first_failure

    def _rounding_bound(
        self, case: Case, tcase: Case, key: Key, fx: Any, fgx: Any, floor: float, rtol: float
    ) -> float:
        """How far f's own rounding can move this output: |f(x) - f64(x)| + |f(g·x) - f64(g·x)|.

        Called only for an error above rtol in a low-precision dtype, so passing checks pay
        nothing. f is run on float64 copies of x and g·x; if it does not compute in float64
        (its output is not float64) the bound is 0 and rtol alone decides. The bound is capped
        at ROUNDING_CAP·rtol so that a real violation of a low-precision path is never excused.
        """
        xp = self.xp
        cache = self.state.rounding_cache
        if cache.get("case") is not case:
            cache.clear()
            cache["case"] = case
        try:
            if "fx64" not in cache:
                cache["fx64"] = self._call(_as_float64(xp, case), "x in float64 (rounding estimate)")
            fgx64 = self._call(_as_float64(xp, tcase), "g·x in float64 (rounding estimate)")
        except _Failure:
            return 0.0
        total = 0.0
        for low, high in ((fx, cache["fx64"].get(key)), (fgx, fgx64.get(key))):
            if high is None or high.dtype != xp.float64 or tuple(low.shape) != tuple(high.shape):
                return 0.0
            err = self._compare(low, high, None, floor)
            total += err
        bound = min(ROUNDING_SAFETY * total, ROUNDING_CAP * rtol)
        self.state.rounding_bound = max(self.state.rounding_bound, bound)
        return bound

    def _check_unchanged(self, original: Case, used: Case, description: str) -> None:
        changed = self._unchanged(original, used)
        if changed:
            raise _Failure(
                "mutates-input",
                f"f changed its input(s) {changed} in place; equicheck passes copies, but f "
                "must not rely on mutating its arguments",
                {"input": description},
            )

    def _errors(
        self,
        a_list: list[Any],
        b_list: list[Any],
        masks: list[Any],
        floor: float,
        elements: Sequence[Element],
        key: Key,
        description: str,
        a_stacked: Any = None,
    ) -> list[float]:
        """Per-element errors (largest over samples), all elements in a few array passes."""
        xp = self.xp
        a_all = a_stacked if a_stacked is not None else xp.stack(a_list)
        mask = None
        if any(m is not None for m in masks):
            shape = tuple(a_list[0].shape)
            mask = xp.stack(
                [xp.broadcast_to(m, shape) if m is not None else xp.ones(shape, dtype=xp.bool) for m in masks]
            )
        err, finite = stacked_errors(xp, a_all, xp.stack(b_list), mask, self._samples(a_list[0]), floor)
        err, ok = xp.max(err, axis=1), xp.all(finite, axis=1)
        out = [float(v) for v in self.plan.backend.to_host(err)]
        for i, fine in enumerate(self.plan.backend.to_host(ok)):
            if not fine:
                out[i] = self._non_finite_error(
                    a_list[i], b_list[i], masks[i], floor, elements[i], key, description
                )
        return out

    def _non_finite_error(
        self, a: Any, b: Any, mask: Any, floor: float, g: Element, key: Key, description: str
    ) -> float:
        """NaN/inf in an output: fail unless both sides have them in the same places."""
        xp = self.xp
        fin_a, fin_b = xp.isfinite(a), xp.isfinite(b)
        same_pattern = bool(xp.all(fin_a == fin_b)) and bool(
            xp.all(xp.where(fin_a, True, (a == b) | ((a != a) & (b != b))))
        )
        if not same_pattern:
            raise _Failure(
                "non-finite",
                f"f returned NaN or inf in different places for x and {g!r}·x "
                f"(output {key!r}); input {description}",
                {"element": repr(g), "input": description},
            )
        self.state.non_finite += 1
        finite = xp.logical_and(fin_a, fin_b)
        mask = finite if mask is None else xp.logical_and(mask, finite)
        a = xp.where(finite, a, xp.zeros_like(a))
        b = xp.where(finite, b, xp.zeros_like(b))
        err = self._compare(a, b, mask, floor)
        return err

    def _verify_same(
        self,
        one: dict[Key, Any],
        other: dict[Key, Any],
        floor_scale: float,
        kind: str,
        message: str,
        description: str,
    ) -> None:
        for k, v in one.items():
            w = other.get(k)
            if w is None or tuple(v.shape) != tuple(w.shape):
                raise _Failure(kind, message + f" (output {k!r} changed shape)", {"input": description})
            _, tol = default_tolerance(v.dtype)
            rtol = self.plan.rtol if self.plan.rtol is not None else tol.rtol
            atol = self.plan.atol if self.plan.atol is not None else tol.atol
            xp = self.xp
            fin = xp.logical_and(xp.isfinite(v), xp.isfinite(w))
            err = self._compare(
                xp.where(fin, v, 0 * v), xp.where(fin, w, 0 * w), None, atol / rtol * floor_scale
            )
            if err > rtol:
                raise _Failure(kind, message + f" (relative difference {err:.3g})", {"input": description})


def _slice2d(xp: Any, backend: Backend, x: Any, action: Action | None) -> np.ndarray:
    """A small host view for reports: the grid of the first sample/channel, or the first values."""
    spatial = getattr(action, "spatial", None) if action is not None else None
    if spatial is not None and x.ndim >= 2:
        a, b = spatial.grid_axes(x.ndim)
        index = tuple(slice(None) if i in (a, b) else 0 for i in range(x.ndim))
        out = backend.to_host(x[index])
        if a > b:
            out = out.T
    else:
        out = backend.to_host(xp.reshape(x, (-1,))[:256])
    out = np.asarray(out, dtype=np.float64)
    if out.ndim == 2 and max(out.shape) > 128:
        step = -(-max(out.shape) // 128)
        out = out[::step, ::step]
    return out


def _report_arrays(
    xp: Any,
    backend: Backend,
    case: Case,
    a: Any,
    b: Any,
    mask: Any,
    out_action: Action,
    in_action: Action | None = None,
) -> dict[str, np.ndarray]:
    """Small host arrays for reports: the input, f(g·x), g·f(x) and |difference| over the grid."""
    first = next(iter(case.values()))
    arrays = {
        "input": _slice2d(xp, backend, first, in_action),
        "actual": _slice2d(xp, backend, a, out_action),
        "expected": _slice2d(xp, backend, b, out_action),
    }
    spatial = getattr(out_action, "spatial", None)
    if spatial is not None and a.ndim >= 2:
        diff = xp.abs(xp.astype(a, xp.float64) - xp.astype(b, xp.float64))
        if mask is not None:
            diff = xp.where(mask, diff, xp.zeros_like(diff))
        ax = spatial.grid_axes(a.ndim)
        others = tuple(i for i in range(a.ndim) if i not in ax)
        emap = xp.max(diff, axis=others) if others else diff
        emap = backend.to_host(emap)
        if ax[0] > ax[1]:
            emap = emap.T
        arrays["error_map"] = np.asarray(emap, dtype=np.float64)
        if mask is not None:
            m = backend.to_host(xp.reshape(mask, mask.shape))
            arrays["valid_mask"] = (
                np.asarray(np.squeeze(m), dtype=bool)
                if np.squeeze(m).ndim == 2
                else np.ones(emap.shape, bool)
            )
    return arrays


def _mismatch_details(
    xp: Any,
    plan: _Plan,
    g: Element,
    key: Key,
    a: Any,
    b: Any,
    mask: Any,
    err: float,
    rtol: float,
    floor: float,
    description: str,
    case: Case,
    out_action: Action,
) -> dict[str, Any]:
    """The failure's numpy-style figures (entries mismatched, greatest differences)."""
    backend = plan.backend
    ha = backend.to_host(a).astype(np.float64)
    hb = backend.to_host(b).astype(np.float64)
    diff = np.abs(ha - hb)
    valid = np.ones(diff.shape, bool) if mask is None else np.broadcast_to(backend.to_host(mask), diff.shape)
    diff = np.where(valid, diff, 0.0)
    if plan.batched and diff.ndim:
        scale = np.maximum(np.abs(ha), np.abs(hb)).reshape(diff.shape[0], -1).max(axis=1)
        scale = np.maximum(scale, floor).reshape((-1,) + (1,) * (diff.ndim - 1))
    else:
        scale = max(float(np.max(np.maximum(np.abs(ha), np.abs(hb)) * valid, initial=0.0)), floor)
    bad = (diff > rtol * scale) & valid
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(valid & (hb != 0), diff / np.abs(hb), np.where(diff > 0, np.inf, 0.0))
    worst_rel = np.unravel_index(int(np.argmax(rel)), rel.shape) if rel.size else ()
    details = {
        "element": repr(g),
        "output": key,
        "input": description,
        "error": err,
        "max_abs_diff": float(diff.max(initial=0.0)),
        "worst_index": [int(i) for i in worst],
        "max_rel_diff": float(rel.max(initial=0.0)),
        "worst_rel_index": [int(i) for i in worst_rel],
        "mismatched": int(bad.sum()),
        "compared": int(valid.sum()),
        "case": case,
        "arrays": _report_arrays(
            xp,
            backend,
            case,
            a,
            b,
            mask,
            out_action,
            next(iter(plan.in_actions.values())),
        ),
    }
    return details


# --- choosing elements --------------------------------------------------------------------------
def _finite_elements(plan: _Plan, grid: tuple[int, int] | None) -> list[Element] | None:
    if plan.elements is not None:
        return plan.elements
    if plan.group.order(grid) > plan.exhaustive_limit:  # counted first: never enumerate a big group
        return None
    found = plan.group.elements(grid)
    return list(found) if found is not None else None


def _element_lists(plan: _Plan, grid: tuple[int, int] | None) -> st.SearchStrategy[list[Element]]:
    fixed = _finite_elements(plan, grid)
    if fixed is not None:
        return st.just(fixed)
    return st.lists(
        plan.group.strategy(grid),
        min_size=1,
        max_size=plan.elements_per_example,
        unique_by=repr,
    )


def _sample_elements(plan: _Plan, grid: tuple[int, int] | None, seed: int, n: int) -> list[Element]:
    """Elements without Hypothesis (inside a user's @given): enumeration or a seeded sample."""
    fixed = _finite_elements(plan, grid)
    if fixed is not None:
        return fixed
    sampler = getattr(plan.group, "sample", None)
    if sampler is not None:
        return list(sampler(np.random.default_rng(seed), n, grid))
    found = plan.group.elements(grid)
    if found is None:
        raise EquicheckError(f"{plan.group.name} cannot be sampled without Hypothesis; pass elements=")
    rng = np.random.default_rng(seed)
    idx = sorted(set(rng.choice(len(found), size=min(n, len(found)), replace=False).tolist()) | {0})
    return [found[i] for i in idx]


# --- settings ----------------------------------------------------------------------------------------
def _settings(user: Settings | None, max_examples: int | None) -> Settings:
    if user is not None:
        base = Settings(user, report_multiple_bugs=False)
    else:
        get_name = getattr(Settings, "get_current_profile_name", None)
        profile = get_name() if get_name is not None else getattr(Settings, "_current_profile", "default")
        if profile in (None, "default"):
            base = DEFAULT_SETTINGS
        else:
            active = Settings.default
            base = Settings(
                active,
                deadline=None,
                report_multiple_bugs=False,
                suppress_health_check=list(
                    set(active.suppress_health_check) | set(DEFAULT_SETTINGS.suppress_health_check)
                ),
            )
    base = Settings(base, phases=[p for p in base.phases if p != Phase.explain])
    if max_examples is not None:
        if max_examples < 1:
            raise EquicheckError(f"max_examples must be at least 1, got {max_examples}")
        base = Settings(base, max_examples=max_examples)
    return base


# --- the public entry point ---------------------------------------------------------------------------
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
    sizes: tuple[int, int] = (4, 24),
    batched: bool = False,
    margin: int = 0,
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
) -> CheckResult:
    """Test ``f(ρ_in(g)·x) == ρ_out(g)·f(x)`` for elements ``g`` of ``group``.

    See docs/reference.md for every keyword. Returns a :class:`CheckResult`; a violation is
    a result with ``passed == False``, never an exception. Bad arguments raise
    :class:`EquicheckError` (or its subclasses) before anything runs.
    """
    start = time.perf_counter()
    group = groups_mod.from_name(group)
    resolved_backend = get_backend(backend, *(_flatten_inputs(inputs)))
    if isinstance(margin, bool) or not isinstance(margin, int) or margin < 0:
        raise EquicheckError(f"margin must be a non-negative integer, got {margin!r}")
    for label, tol_value in (("rtol", rtol), ("atol", atol)):
        if tol_value is not None and (not isinstance(tol_value, (int, float)) or tol_value < 0):
            raise EquicheckError(f"{label} must be a non-negative number, got {tol_value!r}")
    if isinstance(dtypes, str):
        dtypes = (dtypes,)
    fn = _adapt(f, resolved_backend)
    elements_list = None
    if elements is not None:
        elements_list = [groups_mod.element_from_repr(e) if isinstance(e, str) else e for e in elements]
        bad = [e for e in elements_list if not group.contains(e)]
        if bad:
            raise EquicheckError(f"elements {bad} are not in {group.name}")

    # what the inputs look like
    strategy: st.SearchStrategy[Any] | None = None
    cases: list[Case] | None = None
    if isinstance(inputs, st.SearchStrategy):
        strategy = inputs
        keys: list[Key] = _keys_from_action(in_action)
    elif inputs is not None:
        raw_cases = inputs if isinstance(inputs, list) else [inputs]
        if not raw_cases:
            raise EquicheckError("inputs= is an empty list; give at least one input")
        cases = [{k: resolved_backend.asarray(v) for k, v in _to_case(c).items()} for c in raw_cases]
        keys = list(cases[0])
    elif input_shape is not None:
        shapes = _to_case(input_shape) if not _is_single_shape(input_shape) else {0: input_shape}
        keys = list(shapes)
    else:
        keys = _keys_from_action(in_action)
    in_actions = _normalise_in_actions(in_action, keys)

    plan = _Plan(
        fn,
        name or _describe_function(f),
        group,
        resolved_backend,
        in_actions,
        out_action,
        bool(invariant),
        bool(batched),
        margin,
        rtol,
        atol,
        exhaustive_limit,
        elements_list,
        elements_per_example,
        Path(replay_dir) if replay_dir is not None else None,
    )
    state = _State()
    evaluator = _Evaluator(plan, state)
    failure: _Failure | None = None
    exhaustive = False

    if cases is None and strategy is None:
        shapes_spec = (
            {k: tuple(v) for k, v in _to_case(input_shape).items()}
            if input_shape is not None and not _is_single_shape(input_shape)
            else {
                keys[0]: tuple(input_shape)
                if input_shape is not None
                else _default_shape(in_actions[keys[0]])
            }
        )
        if batched and input_shape is None:
            shapes_spec = {k: (2, *v) for k, v in shapes_spec.items()}
        example_strategy = _drawn_examples(plan, shapes_spec, dtypes, families, sizes)
    elif strategy is not None:
        example_strategy = strategy.flatmap(
            lambda value: _with_elements(
                plan, {k: resolved_backend.asarray(v) for k, v in _to_case(value).items()}
            )
        )
    else:
        assert cases is not None
        grids = [_grid_of(plan, c) for c in cases]
        fixed = [_finite_elements(plan, grid) for grid in grids]
        if all(x is not None for x in fixed):
            example_strategy = None
            exhaustive = plan.elements is None
        else:
            example_strategy = st.sampled_from(list(range(len(cases)))).flatmap(
                lambda i: _with_elements(plan, cases[i], f"given input #{i}")
            )

    if currently_in_test_context():
        # inside a user's @given: check the given values, no nested search
        if cases is None:
            raise EquicheckError(
                "inside a Hypothesis @given test, pass the drawn arrays as inputs=; equicheck then "
                "checks exactly those (it does not start a nested search)"
            )
        failure = _run_direct(evaluator, plan, cases, seed)
        exhaustive = all(_finite_elements(plan, _grid_of(plan, c)) is not None for c in cases)
    elif example_strategy is None:
        assert cases is not None
        failure = _run_direct(evaluator, plan, cases, seed)
    else:
        exhaustive = exhaustive or _is_exhaustive_default(plan)
        failure = _run_hypothesis(evaluator, example_strategy, _settings(settings, max_examples), seed)

    result = _build_result(plan, state, failure, exhaustive, seed, time.perf_counter() - start)
    if evaluator.judge is not None:  # floor, ratio, rule, 'inconclusive', error curve
        evaluator.judge.finish(result)
    for listener in list(_LISTENERS):
        listener(result)
    return result


#: Callables told of every result (the pytest plugin records checks through this).
_LISTENERS: list[Callable[[CheckResult], None]] = []


class recording:  # noqa: N801 - used like a function, as warnings.catch_warnings
    """Collect every :class:`CheckResult` made inside the block: ``with recording() as results:``."""

    def __init__(self) -> None:
        self.results: list[CheckResult] = []

    def __enter__(self) -> list[CheckResult]:
        _LISTENERS.append(self.results.append)
        return self.results

    def __exit__(self, *exc: object) -> None:
        _LISTENERS.remove(self.results.append)


def _adapt(f: Callable[..., Any], backend: Backend) -> Callable[..., Any]:
    """Let adapters wrap users' models (PyTorch, JAX) into functions of backend arrays."""
    try:
        from .adapters import adapt
    except ImportError:
        return f
    return adapt(f, backend)


def _is_single_shape(shape: Any) -> bool:
    return isinstance(shape, (tuple, list)) and all(
        n is None or isinstance(n, (int, st.SearchStrategy)) for n in shape
    )


def _keys_from_action(in_action: Any) -> list[Key]:
    if isinstance(in_action, Mapping):
        return [str(k) for k in in_action]
    if isinstance(in_action, (tuple, list)):
        return list(range(len(in_action)))
    return [0]


def _flatten_inputs(inputs: Any) -> list[Any]:
    if inputs is None or isinstance(inputs, st.SearchStrategy):
        return []
    items = inputs if isinstance(inputs, list) else [inputs]
    out: list[Any] = []
    for item in items:
        out.extend(_to_case(item).values())
    return out


def _grid_of(plan: _Plan, case: Case) -> tuple[int, int] | None:
    for k, v in case.items():
        grid = plan.in_actions[k].grid(tuple(v.shape))
        if grid is not None:
            return grid
    return None


def _is_exhaustive_default(plan: _Plan) -> bool:
    return plan.elements is None and plan.group.order(None) <= plan.exhaustive_limit


def _with_elements(plan: _Plan, case: Case, description: str = "given input") -> st.SearchStrategy[Any]:
    grid = _grid_of(plan, case)
    if grid is not None:
        plan.group.check_grid(grid)
    return _element_lists(plan, grid).map(lambda els: (case, els, description))


def _drawn_examples(
    plan: _Plan,
    shapes: dict[Key, tuple[int | None, ...]],
    dtypes: Sequence[str],
    families: Sequence[str] | None,
    sizes: tuple[int, int],
) -> st.SearchStrategy[Any]:
    group = plan.group
    lo, hi = sizes
    lo = max(lo, 2 * plan.margin + 1 + 2)
    lo = max(lo, min(getattr(group, "min_grid", 1), hi))  # interpolated groups: no tiny grids
    if families is None:  # interpolated groups draw band-limited inputs (equicheck/interpolation.py)
        families = getattr(group, "families", None)
    if hi < lo:
        raise EquicheckError(
            f"sizes={tuple(sizes)} leaves no grid size to draw (need low <= high, and high >= "
            f"{lo} for margin={plan.margin})"
        )
    strides = [getattr(getattr(a, "spatial", None), "stride", 1) or 1 for a in plan.in_actions.values()]
    out_spec = plan.out_action
    for act in (
        out_spec
        if isinstance(out_spec, (tuple, list))
        else (out_spec.values() if isinstance(out_spec, Mapping) else [out_spec])
    ):
        if act is not None:
            strides.append(getattr(getattr(actions_mod.from_name(act), "spatial", None), "stride", 1) or 1)
    multiple = math.lcm(*(strides + [getattr(group, "step", 1)]))
    square = bool(getattr(group, "needs_square", False))
    needs_grid = any(n is None for s in shapes.values() for n in s)
    grid_strategy = grid_sizes(lo, hi, square=square, multiple_of=multiple) if needs_grid else st.just(None)
    channels = {}
    for k, a in plan.in_actions.items():
        fiber = getattr(a, "fiber", None)
        channels[k] = fiber.prepare(group).channels() if fiber is not None else None
    array_specs((1,), dtypes, families)  # rejects bad dtypes and families now, before the search

    spec_strategies: dict[tuple[int, ...], st.SearchStrategy[ArraySpec]] = {}

    @st.composite
    def example(draw: Any) -> tuple[Case, list[Element], str]:
        grid = draw(grid_strategy)
        concrete_grid = grid if grid is not None else (1, 1)
        specs: dict[Key, ArraySpec] = {}
        for k, shape in shapes.items():
            # entries given as strategies (e.g. a batch or channel size) are drawn per example
            drawn = tuple(draw(n) if isinstance(n, st.SearchStrategy) else n for n in shape)
            full = _fill_shape(drawn, plan.in_actions[k], concrete_grid, channels[k])
            if full not in spec_strategies:  # built once per shape: building costs ~1 ms
                spec_strategies[full] = array_specs(full, dtypes, families)
            specs[k] = draw(spec_strategies[full])
        case = {k: plan.backend.asarray(make_array(s)) for k, s in specs.items()}
        real_grid = _grid_of(plan, case)
        if real_grid is not None:
            group.check_grid(real_grid)
        els = draw(_element_lists(plan, real_grid))
        description = "; ".join(s.describe() for s in specs.values())
        return case, els, description

    # fail early, with a clear message, on shapes the group cannot act on
    return example()


def _run_hypothesis(
    evaluator: _Evaluator, strategy: st.SearchStrategy[Any], settings: Settings, seed: int | None
) -> _Failure | None:
    failures: list[_Failure] = []

    def body(example: tuple[Case, list[Element], str]) -> None:
        case, els, description = example
        try:
            evaluator.evaluate(case, els, description)
        except _Failure as failure:
            failure.details.setdefault("case", case)
            failure.details.setdefault("input", description)
            failure.details.setdefault("element", repr(els[0]) if els else None)
            failures.append(failure)
            raise

    test = given(strategy)(body)
    test = settings(test)
    if seed is not None:
        test = hypothesis_seed(seed)(test)
    try:
        test()
    except _Failure as failure:
        return failure
    except EquicheckError:
        raise
    except HypothesisException as exc:
        if failures:
            # f answered differently when Hypothesis replayed an example: report what was seen,
            # preferring the checks that run once (determinism, batch independence).
            once = [f for f in failures if f.kind in ("nondeterministic", "batch-mixing", "mutates-input")]
            chosen = once[0] if once else failures[0]
            if not once:
                chosen.message += (
                    " (f gave different results when the example was replayed: is f deterministic?)"
                )
            return chosen
        raise EquicheckError(f"the search could not run: {type(exc).__name__}: {exc}") from exc
    except BaseException:  # an ExceptionGroup or a failure Hypothesis re-wrapped
        if failures:
            return failures[-1]
        raise
    return None


def _run_direct(evaluator: _Evaluator, plan: _Plan, cases: list[Case], seed: int | None) -> _Failure | None:
    evaluator.steer = False  # inside a user's @given, never call target() into their test
    for i, case in enumerate(cases):
        grid = _grid_of(plan, case)
        if grid is not None:
            plan.group.check_grid(grid)
        els = _sample_elements(plan, grid, seed or 0, 16)
        description = f"given input #{i} " + ", ".join(
            f"{dtype_name(v.dtype)}{list(v.shape)}" for v in case.values()
        )
        try:
            evaluator.evaluate(case, els, description)
        except _Failure as failure:
            failure.details.setdefault("case", case)
            failure.details.setdefault("input", description)
            return failure
    return None


# --- results and replays ------------------------------------------------------------------------
def _build_result(
    plan: _Plan, state: _State, failure: _Failure | None, exhaustive: bool, seed: int | None, elapsed: float
) -> CheckResult:
    group = plan.group
    dtype_list = sorted(state.dtypes) or ["float64"]
    tol_dtype, tol = default_tolerance(*dtype_list)
    if state.worst_dtype is not None:
        tol_dtype, tol = default_tolerance(state.worst_dtype)
    rtol = plan.rtol if plan.rtol is not None else tol.rtol
    atol = plan.atol if plan.atol is not None else tol.atol
    if plan.rtol is None and state.worst_rtol is not None:
        rtol = state.worst_rtol  # rtol, or the rounding allowance granted to the worst example
    rule = (
        tol.rule(tol_dtype)
        if plan.rtol is None and plan.atol is None
        else (
            f"max|f(g·x) - g·f(x)| <= rtol·max(max|output|, atol/rtol·max|x|) per sample; "
            f"user tolerance rtol={rtol:g}, atol={atol:g}"
        )
    )
    seen = sorted(state.dtypes)
    if len(seen) > 1:
        rule += f"; each example judged by its own dtype (seen: {', '.join(seen)})"
    if plan.margin:
        rule += f"; entries within {plan.margin} of the border (and of zero-filled regions) excluded"
    out_names = _out_names(plan)
    errors = sorted(
        (ElementError(e, v[0], int(v[1])) for e, v in state.per_element.items()),
        key=lambda e: -e.max_error,
    )[:2000]
    backend = plan.backend
    result = CheckResult(
        function=plan.name,
        group=group.name,
        in_actions=[a.name for a in plan.in_actions.values()],
        out_actions=out_names,
        verdict="passed",
        max_error=state.max_error,
        tolerance=rtol,
        atol=atol,
        tolerance_rule=rule,
        dtype=tol_dtype,
        worst_element=state.worst_element,
        worst_input=state.worst_input,
        errors=errors,
        examples=state.examples,
        evaluations=state.evaluations,
        elements_checked=len(state.per_element),
        exhaustive=exhaustive,
        margin=plan.margin,
        seed=seed,
        elapsed=elapsed,
        time_in_f=state.time_in_f,
        backend=backend.name,
        device=backend.device,
        exact=bool(getattr(group, "exact", True)) and all(a.exact for a in plan.in_actions.values()),
    )
    if state.non_finite:
        result.extra["non_finite_outputs"] = state.non_finite
    if state.rounding_bound > 0:
        result.extra["rounding_allowance"] = state.rounding_bound
        result.tolerance_rule += (
            f"; errors above rtol were allowed up to {state.rounding_bound:.3g} where f's own rounding "
            "(|f(x) - f64(x)| + |f(g·x) - f64(g·x)|, x1.5, at most 10·rtol) explains them"
        )
    if state.worst_ref is not None:
        worst = _report_arrays(
            plan.backend.xp, plan.backend, *state.worst_ref, next(iter(plan.in_actions.values()))
        )
        result.extra["worst_arrays"] = {k: v.tolist() for k, v in worst.items()}
    if failure is None:
        result.message = result.summary()
        return result
    result.verdict = "error" if failure.kind == "exception" else "failed"
    result.failure_kind = failure.kind
    d = failure.details
    if "lazy" in d:
        d.update(_mismatch_details(*d.pop("lazy")))
    case = d.get("case")
    path = _save_case(plan, case, d, seed) if case is not None else None
    replay = f"equicheck.replay({str(path)!r}, {plan.name.rsplit('.', 1)[-1]})" if path is not None else ""
    result.counterexample = Counterexample(
        element=str(d.get("element")),
        input=str(d.get("input")),
        input_shapes=[list(getattr(v, "shape", ())) for v in (case or {}).values()],
        error=float(d.get("error", math.inf)),
        max_abs_diff=float(d.get("max_abs_diff", math.nan)),
        mismatched=int(d.get("mismatched", 0)),
        compared=int(d.get("compared", 0)),
        worst_index=d.get("worst_index"),
        max_rel_diff=float(d.get("max_rel_diff", 0.0)),
        worst_rel_index=d.get("worst_rel_index"),
        replay=replay,
        path=str(path) if path is not None else None,
        arrays=d.get("arrays", {}),
    )
    if failure.kind == "mismatch" and result.max_error <= rtol:
        result.max_error = result.counterexample.error
    result.message = failure.message
    if seed is not None:
        result.message += f" (seed={seed})"
    return result


def _out_names(plan: _Plan) -> list[str]:
    spec = plan.out_action
    if plan.invariant:
        return ["trivial"]
    if spec is None:
        return [a.name for a in plan.in_actions.values()]
    if isinstance(spec, Mapping):
        return [actions_mod.from_name(v).name for v in spec.values()]
    if isinstance(spec, (tuple, list)):
        return [actions_mod.from_name(v).name for v in spec]
    return [actions_mod.from_name(spec).name]


def _save_case(plan: _Plan, case: Case, details: dict[str, Any], seed: int | None) -> Path | None:
    """Save the failing input with what is needed to re-check it (see equicheck.replay)."""
    if plan.replay_dir is None:
        return None
    meta = {
        "function": plan.name,
        "group": plan.group.name,
        "in_action": {str(k): _action_name(a) for k, a in plan.in_actions.items()},
        "out_action": _out_names_or_none(plan),
        "element": details.get("element"),
        "batched": plan.batched,
        "margin": plan.margin,
        "rtol": plan.rtol,
        "atol": plan.atol,
        "seed": seed,
        "input": details.get("input"),
    }
    arrays = {f"arg_{k}": plan.backend.to_host(v) for k, v in case.items()}
    stem = f"{plan.name.rsplit('.', 1)[-1]}-{plan.group.name}"
    return save_counterexample(plan.replay_dir, stem, arrays, meta)


def _action_name(action: Action) -> str | None:
    try:
        actions_mod.from_name(action.name)
        return action.name
    except EquicheckError:
        return None  # a user matrix cannot be named; the replay needs it passed again


def _out_names_or_none(plan: _Plan) -> Any:
    spec = plan.out_action
    if plan.invariant:
        return "invariant"
    if spec is None:
        return None
    if isinstance(spec, Mapping):
        return {str(k): _action_name(actions_mod.from_name(v)) for k, v in spec.items()}
    if isinstance(spec, (tuple, list)):
        return [_action_name(actions_mod.from_name(v)) for v in spec]
    return _action_name(actions_mod.from_name(spec))
