"""Evaluating one example: call and guard f, transform, compare, hold each error to its limit.

For an input x and elements g_1..g_n the evaluator computes f(x) once and f(g·x) for every
element (one batched call where f takes a batch axis), moves f(x) by each element's output
action, and compares, all elements in a few array passes. It guards the check from f: f
only sees copies, and the first example also asks whether f answers the same twice and, when
batched, whether f(x) depends on the rest of the batch. The limit each error is held to
comes from :mod:`equicheck.engine.verdict`; the first violation raises :class:`Failure`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import target
from hypothesis.control import currently_in_test_context

from ..actions import Action, PointAction
from ..adapters.base import Adapted
from ..errors import EquicheckError, ShapeError
from ..groups import Element
from . import verdict
from .calls import RETURN_RULE, as_float64, call_in_thread, is_numeric, layout_hint, not_an_array
from .classifier import ClassifierTally
from .compare import input_scale, largest_error, stacked_errors
from .evidence import MismatchFigures, border_band, mismatch_figures, mismatched_grid, report_arrays
from .failures import Failure, FailureDetails, Mismatch
from .floor import FloorProbe, FloorStats
from .plan import Case, Key, Plan, grid_of, moves_exactly
from .tolerance import dtype_name

__all__ = ["BORDER_PROBE_SIZE", "NONDETERMINISTIC", "TARGET_FROM", "Evaluator", "SearchState"]

#: Errors below this share of the tolerance are not targeted (they are rounding, not signal).
TARGET_FROM = 0.01

#: What a nondeterministic f is told.
NONDETERMINISTIC = (
    "f gave different answers for the same input; fix seeds, turn off dropout/sampling, or compare in "
    "eval mode"
)
#: The grid side of the input :meth:`Evaluator.border_probe` draws (at least; a multiple of
#: the strides and of the group's step).
BORDER_PROBE_SIZE = 16


@dataclass
class SearchState:
    """Counters and what the search saw (``seen`` is what the verdict is decided from)."""

    seen: verdict.Observed = field(default_factory=verdict.Observed)
    examples: int = 0
    evaluations: int = 0
    time_in_f: float = 0.0
    checked_determinism: bool = False
    checked_batch: bool = False
    #: whether any call of f has returned (f raising before that points at the input's layout)
    returned: bool = False
    #: (case, a, b, mask, out action) of the worst comparison, for the report's arrays
    worst_ref: tuple[Any, ...] | None = None


def _shapes(case: Case) -> tuple[Any, ...]:
    """The shape of every array of a case (cases batch together only when these agree)."""
    return tuple((k, tuple(v.shape)) for k, v in case.items())


def _has_non_finite(xp: Any, case: Case) -> bool:
    """Whether any floating input of ``case`` holds NaN or inf."""
    return any(
        bool(xp.any(~xp.isfinite(v)))
        for v in case.values()
        if xp.isdtype(v.dtype, ("real floating", "complex floating"))
    )


def _bound(action: Action, case: Case) -> Action:
    """A point action reading the other inputs it names (a cell, edges) from ``case``."""
    return action.bind(case) if isinstance(action, PointAction) else action


class Evaluator:
    """Evaluates examples for one plan and keeps the state of the search."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.state = SearchState()
        self.xp = plan.backend.xp
        self._prepared: dict[Any, Any] = {}
        #: The out actions per tuple of output keys, built once (so prepared once, and their
        #: matrix caches kept across examples)
        self._out_actions: dict[tuple[Key, ...], dict[Key, Action]] = {}
        self._rounding_cache: dict[str, Any] = {}
        #: The timeout failure, once a call of f did not return within ``plan.timeout``.
        self.timed_out: Failure | None = None
        #: The current example's inputs (whether they hold NaN or inf is asked only when an
        #: output does: then NaN outputs may agree)
        self._case: Case = {}
        #: The prepared input actions of the example being evaluated.
        self._in_actions: dict[Key, Action] = {}
        #: Whether f answered float64 inputs in a lower precision (its rounding then cannot be
        #: measured: a float32 PyTorch module, say).
        self.without_float64 = False
        self._wide_f: Callable[..., Any] | None = None
        #: Whether results steer Hypothesis (``target``); off when checking a user's given values.
        self.steer = True
        #: The interpolation floor (only for checks that can interpolate) and its tally.
        self.probe: FloorProbe | None = None
        self.floors: FloorStats | None = None
        self.classifier: ClassifierTally | None = None
        if not plan.exact:
            self.probe = FloorProbe(plan.group.interpolation, plan.backend, plan.batched)
            self.floors = FloorStats()
            self.classifier = ClassifierTally()

    # --- calling f safely -------------------------------------------------------------------
    def call(
        self, case: Case, what: str, element: Element | None = None, precise: bool = False
    ) -> dict[Key, Any]:
        """f on ``case`` (which f may not keep), its outputs as backend arrays by key.

        With ``timeout`` set, f runs in a daemon thread and a call that does not return in
        time raises a ``timeout`` failure; f is then not called again in this check (every
        later call raises the same kind at once) and the thread still running f is abandoned."""
        where = repr(element) if element is not None else None
        if self.timed_out is None:
            finished, out = self._call_f(case, what, where, precise)
            if finished:
                return self._outputs(out)
            inputs = ", ".join(f"{dtype_name(v.dtype)}{list(v.shape)}" for v in case.values())
            failure = self.timed_out = Failure(
                "timeout",
                f"f did not return within timeout={self.plan.timeout:g} s on {what}"
                + (f" (element {element!r})" if where is not None and where not in what else "")
                + f", input {inputs}; the call was abandoned (it runs on in a daemon thread) and f "
                "was not called again: make f faster, check smaller inputs (sizes=), or raise timeout=",
                FailureDetails(where=what, element=where),
            )
        else:
            failure = Failure(
                "timeout",
                f"f is not called again after it timed out ({self.timed_out.message})",
                FailureDetails(where=what, element=where),
            )
        raise failure  # one raise for both, so Hypothesis sees one failure, not a flaky one

    def _float64_f(self) -> Callable[..., Any]:
        """f computing in float64 for the rounding estimate: an adapted model's float64 version
        (a float32 PyTorch module's float64 copy), else f itself (NumPy follows its inputs)."""
        if self._wide_f is None:
            f = self.plan.f
            wide = f.in_float64() if isinstance(f, Adapted) else None
            self._wide_f = f if wide is None else wide
        return self._wide_f

    def _call_f(self, case: Case, what: str, element: str | None, precise: bool = False) -> tuple[bool, Any]:
        """``(True, f(case))``, or ``(False, None)`` when f did not return within the timeout; an
        exception of f becomes an ``exception`` failure. ``precise``: f in float64 (the rounding
        estimate)."""
        f = self._float64_f() if precise else self.plan.f
        args = [case[k] for k in sorted(k for k in case if isinstance(k, int))]
        kwargs = {k: v for k, v in case.items() if isinstance(k, str)}
        timeout = self.plan.timeout
        start = time.perf_counter()
        try:
            if timeout is None:
                done: tuple[bool, Any] = (True, f(*args, **kwargs))
            else:
                done = call_in_thread(f, args, kwargs, timeout, self.plan.backend)
            self.state.returned = self.state.returned or done[0]
            return done
        except Exception as exc:
            shapes = {k: tuple(getattr(v, "shape", ())) for k, v in case.items()}
            hint = "" if self.state.returned else "; " + layout_hint(self.plan, case)
            raise Failure(
                "exception",
                f"f raised {type(exc).__name__}: {exc} — on {what}, input shapes {shapes}{hint}",
                FailureDetails(exception=repr(exc), where=what, element=element),
            ) from exc
        finally:
            if timeout is None:
                self.plan.backend.synchronize()
            self.state.time_in_f += time.perf_counter() - start
            self.state.evaluations += 1

    def _outputs(self, out: Any) -> dict[Key, Any]:
        """f's result as backend arrays by key; a ``shape`` failure saying what f returned
        when it is not a numeric array (or a tuple or dict of them)."""
        backend = self.plan.backend
        single = not isinstance(out, (Mapping, tuple, list))
        if isinstance(out, Mapping):
            items = {str(k): v for k, v in out.items()}
        elif isinstance(out, (tuple, list)):
            items = dict(enumerate(out))
        else:
            items = {0: out}
        if not items:
            raise Failure("shape", f"f returned an empty {type(out).__name__}; {RETURN_RULE}")
        converted: dict[Key, Any] = {}
        for k, v in items.items():
            returned = "f returned" if single else f"output {k!r} of f is"
            problem = not_an_array(v)
            if problem is None:
                try:
                    converted[k] = backend.asarray(v)
                except Exception as exc:  # noqa: BLE001 - any conversion failure means the same
                    raise Failure(
                        "shape", f"{returned} not an array ({type(v).__name__}): {exc}; {RETURN_RULE}"
                    ) from None
                if not is_numeric(self.xp, converted[k]):
                    problem = f"an array of dtype {converted[k].dtype} (not numbers)"
            if problem is not None:
                raise Failure("shape", f"{returned} {problem}; {RETURN_RULE}")
        return converted

    def copy(self, case: Case) -> Case:
        return {k: self.plan.backend.copy(v) for k, v in case.items()}

    def _check_unchanged(self, original: Case, used: Case, description: str) -> None:
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
        if changed:
            raise Failure(
                "mutates-input",
                f"f changed its input(s) {changed} in place; equicheck passes copies, but f "
                "must not rely on mutating its arguments",
                FailureDetails(input=description),
            )

    # --- actions ------------------------------------------------------------------------------
    def prepare(self, action: Action, shape: tuple[int, ...]) -> Action:
        """``action`` bound to the group and ``shape`` (cached per action and shape)."""
        key = (id(action), shape)
        if key not in self._prepared:
            self._prepared[key] = action.prepare(self.plan.group, shape)
        return self._prepared[key]

    def _input_actions(self, case: Case) -> dict[Key, Action]:
        """The prepared action of every input of ``case``, point actions bound to it."""
        actions = self.plan.in_actions
        return {k: _bound(self.prepare(actions[k], tuple(v.shape)), case) for k, v in case.items()}

    def out_actions(self, fx: dict[Key, Any], description: str) -> dict[Key, Action]:
        """The prepared action of every output of f (a ``shape`` failure if one cannot act)."""
        keys = tuple(fx)
        if keys not in self._out_actions:
            self._out_actions[keys] = self.plan.out_actions(list(keys))
        raw = self._out_actions[keys]
        try:
            return {k: _bound(self.prepare(raw[k], tuple(v.shape)), self._case) for k, v in fx.items()}
        except ShapeError as exc:
            shapes = {k: tuple(v.shape) for k, v in fx.items()}
            names = ", ".join(sorted({raw[k].name for k in fx}))
            # the first sentence only: the rest of a grid error advises on inputs, not outputs
            why = str(exc).split(". ")[0].rstrip(".")
            raise Failure(
                "shape",
                f"the output action ({names}) cannot act on f's output (f(x) shapes: {shapes}): {why}. "
                "If f's output has no grid (class scores, a pooled feature vector), it should not "
                "move: check invariance with assert_invariant(f, group) or out_action='trivial' "
                "(command line: --invariant); if it has a grid, say where with out_action= "
                f"(e.g. 'spatial(axes={tuple(range(-self.plan.group.dims, 0))})')",
                FailureDetails(input=description, usage=True),
            ) from None

    # --- batches ------------------------------------------------------------------------------
    def _stack(self, cases: list[Case]) -> Case:
        return {k: self.xp.concat([c[k] for c in cases], axis=0) for k in cases[0]}

    def _split(self, outputs: dict[Key, Any], n: int) -> list[dict[Key, Any]]:
        parts: list[dict[Key, Any]] = [{} for _ in range(n)]
        for k, v in outputs.items():
            if v.ndim == 0 or v.shape[0] % n:
                raise Failure(
                    "shape",
                    f"with batched=True, output {k!r} of f has shape {tuple(v.shape)}, which does "
                    f"not split into {n} equal batches along axis 0; is f really batched?",
                )
            m = v.shape[0] // n
            for i in range(n):
                parts[i][k] = v[i * m : (i + 1) * m]
        return parts

    def _samples(self, output: Any) -> int:
        """Samples per output: the batch entries when f is batched, else the whole output."""
        return int(output.shape[0]) if self.plan.batched and output.ndim else 1

    # --- one example ----------------------------------------------------------------------------
    def evaluate(self, case: Case, elements: Sequence[Element], description: str) -> None:
        """Check one input against ``elements``; raise :class:`Failure` on the first violation."""
        plan, state = self.plan, self.state
        state.examples += 1
        in_actions = self._input_actions(case)
        scale = input_scale(self.xp, list(case.values()))
        self._case = case
        self._in_actions = in_actions
        for v in case.values():
            state.seen.dtypes.add(dtype_name(v.dtype))
        transformed = [
            {k: in_actions[k].apply(g, v, plan.backend) for k, v in case.items()} for g in elements
        ]
        fx, fgx, stacked_fgx = self._outputs_of(case, elements, transformed, scale, description)
        out_actions = self.out_actions(fx, description)
        tol = verdict.resolve_tolerance(
            plan.rtol, plan.atol, *[v.dtype for v in case.values()], *[v.dtype for v in fx.values()]
        )
        floor = tol.floor(scale)
        state.seen.dtypes.add(tol.dtype)
        if self.probe is not None:
            self.probe.start(self.call, case, in_actions, list(elements), fx, out_actions)

        first_failure: Failure | None = None
        names = [repr(g) for g in elements]  # once: reprs of drawn rotations cost microseconds
        per_element = [0.0] * len(elements)
        example_ratio = 0.0
        probe_ratio = 0.0
        for k, b_src in fx.items():
            act = out_actions[k]
            a_list, b_list, masks = self._comparisons(k, act, b_src, elements, fgx, description)
            errors = self._errors(a_list, b_list, masks, floor, elements, k, description, stacked_fgx.get(k))
            for i, (g, err) in enumerate(zip(elements, errors)):
                per_element[i] = max(per_element[i], err)
                limit, pair_ratio = self._limit(
                    g, k, err, tol, floor, case, transformed[i], b_src, act, a_list[i], b_list[i], masks[i]
                )
                probe_ratio = max(probe_ratio, pair_ratio)
                example_ratio = max(example_ratio, verdict.ratio(err, limit))
                if state.seen.consider(err, limit, tol.dtype, names[i], description):
                    state.worst_ref = (case, a_list[i], b_list[i], masks[i], act)
                if verdict.exceeds(err, limit) and first_failure is None:
                    # the figures are computed once, for the final (shrunk) failure only
                    first_failure = Failure(
                        "mismatch",
                        f"f(g·x) != g·f(x) for g = {names[i]}",
                        FailureDetails(
                            element=names[i],
                            input=description,
                            case=case,
                            error=err,
                            mismatch=Mismatch(g, k, a_list[i], b_list[i], masks[i], limit, floor, act),
                        ),
                    )
        for name, err in zip(names, per_element):
            state.seen.record(name, err)
        self._steer(example_ratio, probe_ratio)
        if first_failure is not None:
            raise first_failure

    def _outputs_of(
        self, case: Case, elements: Sequence[Element], transformed: list[Case], scale: float, description: str
    ) -> tuple[dict[Key, Any], list[dict[Key, Any]], dict[Key, Any]]:
        """f(x), f(g·x) per element, and (batched) f(g·x) of all elements as one array per key.
        f only ever sees fresh arrays, so ``case`` itself stays intact for comparisons."""
        plan, state, xp = self.plan, self.state, self.xp
        n = len(transformed)
        stacked: dict[Key, Any] = {}
        if plan.batched:
            # elements that keep the input's shape go through f with x in one batch; elements
            # that change it (upsampling) go in one further batch per shape
            same = [i for i, t in enumerate(transformed) if _shapes(t) == _shapes(case)]
            first = [case] + [transformed[i] for i in same]
            batch = self._stack(first)
            everything = self.call(batch, "the batch of x and its transforms")
            self._check_unchanged(case, {k: v[: case[k].shape[0]] for k, v in batch.items()}, description)
            parts = self._split(everything, len(first))
            fx = parts[0]
            fgx: list[dict[Key, Any]] = [{} for _ in range(n)]
            for j, i in enumerate(same):
                fgx[i] = parts[j + 1]
            if len(same) == n:  # f(g·x) for all elements, already contiguous: no copy to compare
                stacked = {
                    k: xp.reshape(v[v.shape[0] // (n + 1) :], (n, *fx[k].shape))
                    for k, v in everything.items()
                }
            others: dict[Any, list[int]] = {}
            for i in range(n):
                if i not in same:
                    others.setdefault(_shapes(transformed[i]), []).append(i)
            for group in others.values():
                out = self.call(
                    self._stack([transformed[i] for i in group]),
                    f"x transformed by {', '.join(repr(elements[i]) for i in group)}",
                    elements[group[0]],
                )
                for j, part in zip(group, self._split(out, len(group))):
                    fgx[j] = part
            if not state.checked_batch:
                # x alone agreeing with x in the batch rules out both batch mixing and
                # nondeterminism at the cost of one sample; when they differ, x alone again
                # tells which (not a second call of the whole batch)
                state.checked_batch = state.checked_determinism = True
                alone = self.call(self.copy(case), "x alone")
                if self._difference(alone, fx, scale) is not None:
                    again = self.call(self.copy(case), "x alone (second call)")
                    self._verify_same(again, alone, scale, "nondeterministic", NONDETERMINISTIC, description)
                self._verify_same(
                    alone,
                    fx,
                    scale,
                    "batch-mixing",
                    "f(x) differs when x is evaluated inside a larger batch: f mixes "
                    "batch entries (batch statistics?); put the model in eval mode or "
                    "check with batched=False",
                    description,
                )
        else:
            used = self.copy(case)
            fx = self.call(used, "x")
            self._check_unchanged(case, used, description)
            fgx = [
                self.call(self.copy(t), f"x transformed by {g!r}", g) for g, t in zip(elements, transformed)
            ]
        if not state.checked_determinism:
            state.checked_determinism = True
            if plan.batched:
                same = [t for t in transformed if _shapes(t) == _shapes(case)]
                again = self.call(self._stack([case] + same), "the batch again")
                again = self._split(again, len(same) + 1)[0]
            else:
                again = self.call(self.copy(case), "x (second call)")
            self._verify_same(again, fx, scale, "nondeterministic", NONDETERMINISTIC, description)
        return fx, fgx, stacked

    def _comparisons(
        self,
        key: Key,
        act: Action,
        b_src: Any,
        elements: Sequence[Element],
        fgx: list[dict[Key, Any]],
        description: str,
    ) -> tuple[list[Any], list[Any], list[Any]]:
        """f(g·x), g·f(x) and the valid mask of output ``key`` for every element."""
        a_list, b_list, masks = [], [], []
        for g, out_g in zip(elements, fgx):
            if key not in out_g:
                raise Failure("shape", f"f(g·x) lacks output {key!r} for {g!r}")
            a = out_g[key]
            try:
                b = act.apply(g, b_src, self.plan.backend)
            except EquicheckError as exc:
                raise EquicheckError(f"cannot apply out_action to output {key!r}: {exc}") from None
            if tuple(a.shape) != tuple(b.shape):
                raise Failure(
                    "shape",
                    f"f(g·x) has shape {tuple(a.shape)} but g·f(x) has shape {tuple(b.shape)} "
                    f"for g = {g!r} (output {key!r}); the output action or f's shape handling is wrong",
                    FailureDetails(element=repr(g), input=description),
                )
            a_list.append(a)
            b_list.append(b)
            masks.append(act.grid_mask(g, tuple(a.shape), self.plan.margin, self.plan.backend))
        return a_list, b_list, masks

    def _limit(
        self,
        g: Element,
        key: Key,
        err: float,
        tol: verdict.Tolerances,
        floor: float,
        case: Case,
        tcase: Case,
        fx: Any,
        act: Action,
        a: Any,
        b: Any,
        mask: Any,
    ) -> tuple[float, float]:
        """The limit ``err`` is held to (verdict steps 1-3) and, for an interpolated element,
        its ratio to the interpolation floor (0 otherwise)."""
        if self.classifier is not None:
            self.classifier.add(self.xp, a, b, act)
        moved_exactly = moves_exactly(self._in_actions, case, g)
        if self.probe is not None and self.probe.active and not moved_exactly:
            error, floors = self.probe.measure(g, key, a, b, mask)
            ratios = error / np.maximum(floors, tol.rtol)
            i = int(np.argmax(ratios))
            pair = verdict.judge_pair(repr(g), float(error[i]), float(floors[i]), tol.rtol)
            assert self.floors is not None
            self.floors.record(pair, case, bad=verdict.exceeds(pair.ratio, verdict.KAPPA))
            return verdict.pair_limit(err, pair, tol.rtol), pair.ratio
        # exact: an index permutation of a grid, or any element of a group that interpolates nothing
        # (a rotation of point coordinates is exact, the same rotation of a volume is not)
        exact = self.plan.exact or moved_exactly
        if not (verdict.exceeds(err, tol.rtol) and tol.low_precision and exact):
            return tol.rtol, 0.0
        points = any(isinstance(act, PointAction) for act in self.plan.in_actions.values())
        if not points and verdict.exceeds(err, verdict.ROUNDING_CAP * tol.rtol):
            return tol.rtol, 0.0  # above any allowance: f's rounding cannot explain it, so not measured
        allowance = verdict.rounding_allowance(tol.rtol, self._rounding(case, tcase, key, fx, a, floor))
        if points:
            # not capped: a cloud moved far from the origin cannot be stored exactly in f's
            # dtype, and f's answer to the stored cloud is measured, not guessed
            allowance += verdict.ROUNDING_SAFETY * self._input_rounding(g, case, tcase, key, floor)
        self.state.seen.rounding_bound = max(self.state.seen.rounding_bound, allowance)
        return max(tol.rtol, allowance), 0.0

    def _rounding(self, case: Case, tcase: Case, key: Key, fx: Any, fgx: Any, floor: float) -> float:
        """How far f's own rounding can move this output: |f(x) - f64(x)| + |f(g·x) - f64(g·x)|.

        Called only for an error above rtol in a low-precision dtype, so passing checks pay
        nothing. f is run on float64 copies of x and g·x; if it does not compute in float64
        (its output is not float64) it is 0 and rtol alone decides.
        """
        xp = self.xp
        cache = self._rounding_cache
        if cache.get("case") is not case:
            cache.clear()
            cache["case"] = case
        try:
            if "fx64" not in cache:
                what = "x in float64 (rounding estimate)"
                cache["fx64"] = self.call(as_float64(xp, case), what, None, True)
            what = "g·x in float64 (rounding estimate)"
            fgx64 = cache["fgx64"] = self.call(as_float64(xp, tcase), what, None, True)
        except Failure:
            return 0.0
        total = 0.0
        for low, high in ((fx, cache["fx64"].get(key)), (fgx, fgx64.get(key))):
            if high is not None and high.dtype != xp.float64:
                self.without_float64 = True
            if high is None or high.dtype != xp.float64 or tuple(low.shape) != tuple(high.shape):
                return 0.0
            total += largest_error(xp, low, high, None, self._samples(low), floor)
        return total

    def _input_rounding(self, g: Element, case: Case, tcase: Case, key: Key, floor: float) -> float:
        """How far rounding g·x to f's dtype moves f: |f64(g·x computed in float64) - f64(g·x)|.

        Coordinates are rotated and translated in float64 and stored in f's dtype, which moves
        every point by up to half an ulp of its coordinates (a float32 cloud 100 from the origin
        moves by 4e-6); f's answer to that moved cloud is f's sensitivity, not a violation."""
        xp = self.xp
        cache = self._rounding_cache
        case64 = as_float64(xp, case)
        moving = self._input_actions(case64)
        exact = {k: act.apply(g, case64[k], self.plan.backend) for k, act in moving.items()}
        try:
            high = self.call(exact, "g·x computed in float64 (rounding estimate)", None, True).get(key)
            low = cache.get("fgx64", {}).get(key)
            if low is None:
                what = "g·x in float64 (rounding estimate)"
                low = self.call(as_float64(xp, tcase), what, None, True).get(key)
        except Failure:
            return 0.0
        if high is None or low is None or high.dtype != xp.float64 or tuple(high.shape) != tuple(low.shape):
            return 0.0
        return largest_error(xp, low, high, None, self._samples(low), floor)

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
        """Per-element errors (largest over samples), all elements in a few array passes (one
        pass per output shape where elements change it)."""
        xp = self.xp
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, a in enumerate(a_list):
            groups.setdefault(tuple(a.shape), []).append(i)
        out = [0.0] * len(a_list)
        for shape, idx in groups.items():
            whole = len(idx) == len(a_list)
            a_all = a_stacked if (whole and a_stacked is not None) else xp.stack([a_list[i] for i in idx])
            mask = None
            if any(masks[i] is not None for i in idx):
                ones = xp.ones(shape, dtype=xp.bool)
                mask = xp.stack([ones if masks[i] is None else xp.broadcast_to(masks[i], shape) for i in idx])
            b_all = xp.stack([b_list[i] for i in idx])
            err, finite = stacked_errors(xp, a_all, b_all, mask, self._samples(a_list[idx[0]]), floor)
            err, ok = xp.max(err, axis=1), xp.all(finite, axis=1)
            for i, e, fine in zip(idx, self.plan.backend.to_host(err), self.plan.backend.to_host(ok)):
                out[i] = (
                    float(e)
                    if fine
                    else self._non_finite_error(
                        a_list[i], b_list[i], masks[i], floor, elements[i], key, description
                    )
                )
        return out

    def _non_finite_error(
        self, a: Any, b: Any, mask: Any, floor: float, g: Element, key: Key, description: str
    ) -> float:
        """NaN/inf among the compared entries of f(g·x) (``a``) or g·f(x) (``b``).

        For finite inputs a NaN on either side fails; equal infinities at the same entries agree
        (a correct f can overflow on the ``extreme`` family); an infinity against a number or
        the opposite infinity fails. With ``allow_non_finite=True``, or where the inputs
        themselves hold NaN or inf, NaN on both sides at the same entries agree as well.
        Then the finite entries are compared as usual.
        """
        xp = self.xp
        if mask is not None:  # only the compared entries count
            a = xp.where(mask, a, xp.zeros_like(a))
            b = xp.where(mask, b, xp.zeros_like(b))
        nan_a, nan_b = xp.isnan(a), xp.isnan(b)
        if not (self.plan.allow_non_finite or _has_non_finite(xp, self._case)):
            side = "f(g·x)" if bool(xp.any(nan_a)) else "g·f(x)" if bool(xp.any(nan_b)) else None
            if side is not None:
                raise Failure(
                    "non-finite",
                    f"f returned NaN for a finite input ({side} for g = {g!r}, output {key!r}); "
                    f"input {description}; pass allow_non_finite=True if NaN outputs are expected",
                    FailureDetails(element=repr(g), input=description),
                )
        fin_a, fin_b = xp.isfinite(a), xp.isfinite(b)
        agree = xp.where(fin_a, True, (a == b) | (nan_a & nan_b))  # equal infinities, or NaN on both
        if not (bool(xp.all(fin_a == fin_b)) and bool(xp.all(agree))):
            raise Failure(
                "non-finite",
                f"f returned NaN or inf in different places, or opposite infinities, for x and "
                f"{g!r}·x (output {key!r}); input {description}",
                FailureDetails(element=repr(g), input=description),
            )
        self.state.seen.non_finite += 1
        finite = xp.logical_and(fin_a, fin_b)
        mask = finite if mask is None else xp.logical_and(mask, finite)
        a = xp.where(finite, a, xp.zeros_like(a))
        b = xp.where(finite, b, xp.zeros_like(b))
        return largest_error(xp, a, b, mask, self._samples(a), floor)

    def _verify_same(
        self,
        one: dict[Key, Any],
        other: dict[Key, Any],
        scale: float,
        kind: str,
        message: str,
        description: str,
    ) -> None:
        """Raise a ``kind`` failure unless two evaluations of f(x) agree within the tolerance."""
        why = self._difference(one, other, scale)
        if why is not None:
            raise Failure(kind, message + f" ({why})", FailureDetails(input=description))

    def _difference(self, one: dict[Key, Any], other: dict[Key, Any], scale: float) -> str | None:
        """How two evaluations of f(x) differ beyond the tolerance, or None when they agree."""
        xp = self.xp
        for k, v in one.items():
            w = other.get(k)
            if w is None or tuple(v.shape) != tuple(w.shape):
                return f"output {k!r} changed shape"
            tol = verdict.resolve_tolerance(self.plan.rtol, self.plan.atol, v.dtype)
            fin = xp.logical_and(xp.isfinite(v), xp.isfinite(w))
            err = largest_error(
                xp,
                xp.where(fin, v, xp.zeros_like(v)),
                xp.where(fin, w, xp.zeros_like(w)),
                None,
                self._samples(v),
                tol.floor(scale),
            )
            if verdict.exceeds(err, tol.rtol):
                return f"relative difference {err:.3g}"
        return None

    def _steer(self, example_ratio: float, probe_ratio: float) -> None:
        """Point Hypothesis at the inputs and elements with the largest errors."""
        if not self.steer or not currently_in_test_context():
            return
        if example_ratio > TARGET_FROM:
            # steer only toward errors that matter: hill-climbing on rounding noise would
            # narrow the search to one family and dtype and starve the others
            target(math.log10(example_ratio), label="log10 error / tolerance")
        if self.probe is not None and self.probe.active:
            target(math.log10(probe_ratio + 1e-300), label="log10 ratio to interpolation floor")

    # --- after the search ----------------------------------------------------------------------
    def figures(self, mismatch: Mismatch, case: Case) -> MismatchFigures:
        """The numpy-style figures of a mismatch (computed for the final failure only)."""
        return mismatch_figures(
            self.plan.backend,
            mismatch.a,
            mismatch.b,
            mismatch.mask,
            mismatch.limit,
            mismatch.floor,
            self.plan.batched,
            case,
            mismatch.out_action,
            self.plan.first_in_action,
        )

    def border_probe(self, g: Element, case: Case) -> tuple[int, tuple[int, ...]] | None:
        """``(k, grid)`` when, on a fresh noise input like ``case`` but on a larger grid (at least
        :data:`BORDER_PROBE_SIZE` square), f(g·x) and g·f(x) mismatch only within ``k`` entries
        of the output grid's border; None when they mismatch inside too, not at all, or the
        probe cannot run. For the failure's message only: it never touches the verdict."""
        plan, backend = self.plan, self.plan.backend
        if not g.exact:
            return None
        strides = [a.spatial.stride for a in plan.in_actions.values() if a.spatial is not None]
        step = math.lcm(*strides, plan.group.step or 1)
        size = step * -(-BORDER_PROBE_SIZE // step)
        rng = np.random.default_rng(0)
        big: Case = {}
        try:
            for k, v in case.items():
                spatial = plan.in_actions[k].spatial
                host = np.asarray(backend.to_host(v))
                if spatial is None:
                    big[k] = v
                    continue
                if not np.issubdtype(host.dtype, np.floating):
                    return None
                shape = list(host.shape)
                for ax in spatial.grid_axes(host.ndim):
                    shape[ax] = size
                magnitude = float(np.max(np.abs(host), initial=0.0)) or 1.0
                big[k] = backend.asarray((rng.standard_normal(shape) * magnitude).astype(host.dtype))
            grid = grid_of(plan, big)
            if grid is None:
                return None
            plan.group.check_grid(grid)
            in_actions = {k: self.prepare(plan.in_actions[k], tuple(v.shape)) for k, v in big.items()}
            fx = self.call(self.copy(big), "x (border probe)")
            moved = {k: in_actions[k].apply(g, v, backend) for k, v in big.items()}
            fgx = self.call(moved, f"x transformed by {g!r} (border probe)")
            out_actions = self.out_actions(fx, "border probe")
            tol = verdict.resolve_tolerance(
                plan.rtol, plan.atol, *[v.dtype for v in big.values()], *[v.dtype for v in fx.values()]
            )
            floor = tol.floor(input_scale(self.xp, list(big.values())))
            bands, out_grid = [], None
            for key, y in fx.items():
                act = out_actions[key]
                a, b = fgx[key], act.apply(g, y, backend)
                if tuple(a.shape) != tuple(b.shape):
                    return None
                mask = act.grid_mask(g, tuple(a.shape), plan.margin, backend)
                bad = mismatched_grid(backend, a, b, mask, tol.rtol, floor, plan.batched, act)
                if bad is not None and bad.any():
                    band = border_band(bad)
                    if band is None:
                        return None
                    bands.append(band)
                    out_grid = tuple(int(n) for n in bad.shape)
        except Exception:  # noqa: BLE001 - a hint: never fail a check for it
            return None
        return (max(bands), out_grid) if bands and out_grid is not None else None

    def worst_arrays(self) -> dict[str, np.ndarray] | None:
        """Report arrays of the worst comparison seen (None before any)."""
        if self.state.worst_ref is None:
            return None
        case, a, b, mask, act = self.state.worst_ref
        return report_arrays(self.plan.backend, case, a, b, mask, act, self.plan.first_in_action)

    def error_curve(self, case: Case, parameter: str, points: list[tuple[float, Element]]) -> dict[str, Any]:
        """Error and floor along a one-parameter sweep of elements, on one input."""
        assert self.probe is not None, "error curves are drawn for checks that interpolate"
        plan, backend = self.plan, self.plan.backend
        in_actions = {k: self.prepare(plan.in_actions[k], tuple(v.shape)) for k, v in case.items()}
        fx = self.call(self.copy(case), "x (error curve)")
        out_actions = self.out_actions(fx, "error curve")
        probe = FloorProbe(self.probe.kind, backend, plan.batched)
        probe.probe(self.call, case, in_actions, fx, out_actions)
        values, errors, floors = [], [], []
        for value, g in points:
            moved = {k: in_actions[k].apply(g, v, backend) for k, v in case.items()}
            fgx = self.call(moved, f"x transformed by {g!r} (error curve)")
            worst_e, worst_f = 0.0, 0.0
            for k, y in fx.items():
                a = fgx[k]
                b = out_actions[k].apply(g, y, backend)
                mask = out_actions[k].grid_mask(g, tuple(a.shape), plan.margin, backend)
                e, fl = probe.measure(g, k, a, b, mask)
                if moves_exactly(in_actions, case, g):
                    fl = np.zeros_like(fl)
                worst_e, worst_f = max(worst_e, float(e.max())), max(worst_f, float(fl.max()))
            values.append(value)
            errors.append(worst_e)
            floors.append(worst_f)
        return {
            "parameter": parameter,
            "values": values,
            "errors": errors,
            "floor": floors,
            "kappa": verdict.KAPPA,
        }
