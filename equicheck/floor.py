"""The honest verdict for interpolated groups: judge f against the interpolation floor.

On a square grid only quarter turns, flips and integer shifts are exact. For any other element
``g`` the two sides of ``f(ρ_in(g)·x) == ρ_out(g)·f(x)`` both go through interpolation, so
they differ even for a perfectly equivariant f. This module measures, on the same input, how
much the resampling alone explains, and judges f against that (docs/continuous.md).

Definitions (per sample; ``M`` the element's valid mask, see :mod:`equicheck.interpolation`;
``ref = max(rms_M(a), rms_M(b))``)::

    rms_M(d)  = sqrt(mean over M of d²)
    error(g)  = rms_M(a - b) / ref                       a = f(g·x), b = g·f(x)
    S_k(y)    = y moved half a pixel down and right by a B-spline of order k
    floor_in  = rms_M(f(S_3 x) - f(S_5 x)) / ref         (3: the action's order; 5 = order + 2)
    floor_out = rms_M(f(S_5 x) - S_3 f(x)) / ref
    floor(g)  = max(floor_in + floor_out, ABS_FLOOR·rms(x) / ref)
    ratio(g)  = error(g) / max(floor(g), rtol_dtype)

``floor_in`` is what resampling the input does to f's output; ``floor_out`` what resampling
the output costs, measured against f's own output at the new positions — so it includes the
"sampling lottery" of outputs that are not smooth (a gradient magnitude's cusps land at other
distances from the samples after a turn), and such outputs are not mistaken for violations.
Half a pixel is the phase at which interpolation errs most. The probe does not depend on ``g``:
a round trip ``g⁻¹·(g·y)`` cancels the first-order error near exact elements and makes the
floor vanish where the error does not. For scale factors below 1 the floor is at least half
the round trip ``g⁻¹·(g·f(x)) - f(x)`` (decimation). For Fourier shifts (``subpixel``) the
probe is the Fourier half-pixel round trip, halved, on input and output.

Rule: an element passes while ``ratio <= KAPPA`` (3); exact elements (``g.as_grid()``) keep the
engine's exact rule. A pair (input, element) *decides* when ``KAPPA·floor <= RESOLUTION``
(0.5): a violation of half the output could be seen. A check whose elements all passed is
"inconclusive" when fewer than 10% of its pairs (or fewer than 3) decided; it then says why
and what would decide it (smoother inputs, a larger grid, a higher spline order).

The RMS measure (not the max) is what separates a 10% anisotropy from a cusp: interpolation
errors at cusps are sparse, violations of equivariance are spread over the grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import target
from hypothesis.control import currently_in_test_context

from . import interpolation
from .groups.continuous import ContinuousElement, UpsampleElement
from .groups.grid import GridElement
from .metrics import ClassifierTally
from .tolerance import default_tolerance

__all__ = ["KAPPA", "RESOLUTION", "Judge", "judge_for", "relative_rms"]

#: An interpolated element passes while its error is at most this multiple of the floor.
KAPPA = 3.0
#: A pair decides when KAPPA·floor is at most this (relative RMS): violations of this size show.
RESOLUTION = 0.5
#: Absolute floor, relative to the input's RMS: spline resampling leaks this much of the
#: content outside the valid mask into it, so an output whose masked part is smaller than
#: that (a ReLU that is almost everywhere 0) is not judged on ringing.
ABS_FLOOR = 1e-4
#: A passing check needs at least this share of decided pairs (and 3), else it is inconclusive.
#: (A share, not a majority: the search deliberately hunts inputs with extreme errors.)
DECIDED_SHARE = 0.1
#: Points of the error curve drawn after a check (0: no curve).
CURVE_POINTS = 24


def is_exact_element(g: Any) -> bool:
    """Whether ``g`` acts by an index permutation (no interpolation)."""
    if isinstance(g, (GridElement, UpsampleElement)):
        return True
    if isinstance(g, ContinuousElement):
        return g.as_grid() is not None
    return bool(getattr(g, "exact", True))


def spatial_of(action: Any) -> Any:
    """The spatial part of an action (through ``via``), or None."""
    sp = getattr(action, "spatial", None)
    if sp is None and hasattr(action, "action"):
        sp = getattr(action.action, "spatial", None)
    return sp


def _sums(xp: Any, d: Any, mask: Any, per_sample: bool) -> tuple[np.ndarray, np.ndarray]:
    """(sum of d² over the mask, entries counted) per sample, on the host."""
    d = xp.astype(d, xp.float64) if d.dtype != xp.float64 else d
    sq = d * d
    m = xp.ones(d.shape, dtype=xp.bool) if mask is None else xp.broadcast_to(mask, d.shape)
    sq = xp.where(m, sq, xp.zeros_like(sq))
    count = xp.astype(m, xp.float64)
    if per_sample and d.ndim:
        axes = tuple(range(1, d.ndim))
        s, c = (xp.sum(sq, axis=axes), xp.sum(count, axis=axes)) if axes else (sq, count)
    else:
        s, c = xp.reshape(xp.sum(sq), (1,)), xp.reshape(xp.sum(count), (1,))
    return np.asarray(_host(s), dtype=np.float64), np.asarray(_host(c), dtype=np.float64)


def input_rms(xp: Any, case: dict[Any, Any]) -> float:
    """The largest RMS among the floating inputs (the scale of the absolute floor)."""
    best = 0.0
    for v in case.values():
        if getattr(v, "size", 0) and xp.isdtype(v.dtype, ("real floating", "complex floating")):
            best = max(best, float(_rms(xp, v, None, False)[0]))
    return best if np.isfinite(best) else 0.0


def _same_shape(a: Any, b: Any) -> bool:
    return a is not None and tuple(a.shape) == tuple(b.shape)


def _host(v: Any) -> Any:
    try:
        return np.asarray(v)
    except (TypeError, ValueError):
        return v.get()


def _rms(xp: Any, d: Any, mask: Any, per_sample: bool) -> np.ndarray:
    s, c = _sums(xp, d, mask, per_sample)
    return np.sqrt(s / np.maximum(c, 1.0))


def relative_rms(xp: Any, a: Any, b: Any, mask: Any = None, per_sample: bool = False) -> np.ndarray:
    """``rms(a - b) / max(rms(a), rms(b))`` over ``mask`` (0 where both are 0), per sample."""
    num = _rms(xp, xp.astype(a, xp.float64) - xp.astype(b, xp.float64), mask, per_sample)
    den = np.maximum(_rms(xp, a, mask, per_sample), _rms(xp, b, mask, per_sample))
    return np.where(num == 0, 0.0, num / np.where(den > 0, den, 1.0))


@dataclass
class _Pair:
    element: str
    error: float
    floor: float
    ratio: float
    decided: bool


@dataclass
class _Stats:
    pairs: int = 0
    decided: int = 0
    worst: _Pair | None = None
    worst_case: Any = None
    last_bad: _Pair | None = None
    last_bad_case: Any = None
    per_element: dict[str, list[float]] = field(default_factory=dict)  # repr -> [error, floor, ratio, n]
    floors: list[float] = field(default_factory=list)


class Judge:
    """Measures floors during a check and turns them into the verdict (module docstring).

    The engine calls :meth:`start` once per example (after f(x) and f(g·x)), :meth:`limit`
    for every element and output, :meth:`end_example`, and :meth:`finish` on the result.
    """

    def __init__(self, plan: Any) -> None:
        self.plan = plan
        self.kind = getattr(plan.group, "interpolation", "spline")
        if self.kind == "exact":
            self.kind = "spline"
        self.stats = _Stats()
        self.classifier = ClassifierTally()
        self._example: dict[str, Any] = {}
        self._evaluator: Any = None

    # --- per example ------------------------------------------------------------------------
    def start(
        self,
        evaluator: Any,
        case: dict[Any, Any],
        in_actions: dict[Any, Any],
        elements: Any,
        fx: Any,
        out_actions: Any,
    ) -> None:
        """Measure the probe floors of this input (one extra call of f) if any element interpolates."""
        self._evaluator = evaluator
        self._example = {
            "case": case,
            "fx": fx,
            "out_actions": out_actions,
            "max_ratio": 0.0,
            "d_in": {},
            "input_rms": input_rms(evaluator.xp, case),
        }
        if all(is_exact_element(g) for g in elements):
            return
        self._example["d_in"], self._example["d_out"] = self._probe(
            evaluator, case, in_actions, fx, out_actions
        )

    def _probe(
        self, evaluator: Any, case: Any, in_actions: Any, fx: Any, out_actions: Any
    ) -> tuple[dict, dict]:
        """Single-step resampling errors of this input, as arrays per output (module docstring)."""
        backend = self.plan.backend
        xp = backend.xp

        def moved(v: Any, action: Any, how: Any) -> Any:
            sp = spatial_of(action)
            return how(v, sp.grid_axes(v.ndim)) if sp is not None else backend.copy(v)

        def f64(v: Any) -> Any:
            return xp.astype(v, xp.float64)

        d_in: dict[Any, Any] = {}
        d_out: dict[Any, Any] = {}
        if self.kind == "fourier":  # half-pixel round trips, halved: the Fourier shift's own error
            trip = {
                k: moved(
                    v, in_actions[k], lambda v, ax: interpolation.probe_round_trip(v, ax, backend, "fourier")
                )
                for k, v in case.items()
            }
            f_trip = evaluator._call(trip, "x moved half a pixel and back (interpolation floor)")
            for k, y in fx.items():
                other = f_trip.get(k)
                d_in[k] = (f64(other) - f64(y)) / 2 if _same_shape(other, y) else None
                back = moved(
                    y, out_actions[k], lambda v, ax: interpolation.probe_round_trip(v, ax, backend, "fourier")
                )
                d_out[k] = (f64(back) - f64(y)) / 2 if spatial_of(out_actions[k]) is not None else None
            return d_in, d_out
        order = interpolation.current_order()
        ref = min(order + 2, 5)

        def half(o: int) -> Any:
            return lambda v, ax: interpolation.half_pixel_shift(v, ax, backend, o)

        accurate = {k: moved(v, in_actions[k], half(ref)) for k, v in case.items()}
        usual = {k: moved(v, in_actions[k], half(order)) for k, v in case.items()}
        f_acc = evaluator._call(accurate, f"x moved half a pixel, spline order {ref} (interpolation floor)")
        f_usual = evaluator._call(usual, f"x moved half a pixel, spline order {order} (interpolation floor)")
        for k, y in fx.items():
            acc, usu = f_acc.get(k), f_usual.get(k)
            ok = _same_shape(acc, y) and _same_shape(usu, y)
            d_in[k] = f64(usu) - f64(acc) if ok else None
            d_out[k] = f64(acc) - f64(moved(y, out_actions[k], half(order))) if ok else None
        return d_in, d_out

    def floor(self, g: Any, key: Any, a: Any, b: Any, mask: Any) -> tuple[np.ndarray, np.ndarray]:
        """(error, floor) per sample of output ``key`` for element ``g``."""
        xp = self.plan.backend.xp
        per_sample = bool(self.plan.batched)
        error = relative_rms(xp, a, b, mask, per_sample)
        ref = np.maximum(_rms(xp, a, mask, per_sample), _rms(xp, b, mask, per_sample))
        ref = np.where(ref > 0, ref, 1.0)
        total = np.zeros_like(error)
        for part in (self._example.get("d_in", {}).get(key), self._example.get("d_out", {}).get(key)):
            if part is not None:
                total = total + _rms(xp, part, mask, per_sample) / ref
        # resampling leaks ~1e-4 of what lies outside the mask into it: nothing smaller is judged
        total = np.maximum(total, ABS_FLOOR * self._example.get("input_rms", 0.0) / ref)
        if isinstance(g, ContinuousElement) and g.factor < 1:  # decimation loses what P cannot see
            y = self._example["fx"][key]
            act = self._example["out_actions"][key]
            back = act.apply(g.inverse(), act.apply(g, y, self.plan.backend), self.plan.backend)
            total = np.maximum(
                total,
                _rms(xp, xp.astype(back, xp.float64) - xp.astype(y, xp.float64), mask, per_sample) / 2 / ref,
            )
        return error, total

    def limit(self, g: Any, key: Any, a: Any, b: Any, mask: Any, err: float, rtol: float) -> float:
        """The engine's limit for its own error ``err`` that encodes this module's rule:
        ``err > limit`` exactly when ``ratio > KAPPA`` (and err/limit = ratio/KAPPA)."""
        self.classifier.add(self.plan.backend.xp, a, b, self._example["out_actions"][key])
        if is_exact_element(g) or "d_out" not in self._example:
            return rtol
        error, floor = self.floor(g, key, a, b, mask)
        eff = np.maximum(floor, rtol)
        ratios = error / eff
        i = int(np.argmax(ratios))
        pair = _Pair(
            repr(g), float(error[i]), float(eff[i]), float(ratios[i]), KAPPA * float(eff[i]) <= RESOLUTION
        )
        self._record(pair)
        if pair.ratio > KAPPA:
            self.stats.last_bad = pair
            self.stats.last_bad_case = self._example["case"]
        if pair.ratio == 0:
            return max(rtol, err)
        return err * KAPPA / pair.ratio

    def _record(self, pair: _Pair) -> None:
        s = self.stats
        s.pairs += 1
        s.decided += pair.decided
        s.floors.append(pair.floor)
        slot = s.per_element.setdefault(pair.element, [0.0, 0.0, 0.0, 0])
        if pair.ratio >= slot[2]:
            slot[0], slot[1], slot[2] = pair.error, pair.floor, pair.ratio
        slot[3] += 1
        if s.worst is None or pair.ratio > s.worst.ratio:
            s.worst = pair
            s.worst_case = self._example["case"]
        self._example["max_ratio"] = max(self._example["max_ratio"], pair.ratio)

    def end_example(self) -> None:
        """Steer Hypothesis toward inputs and elements with the largest ratio to the floor."""
        if (
            currently_in_test_context()
            and self._evaluator.steer
            and "d_out" in self._example
        ):
            target(
                math.log10(self._example["max_ratio"] + 1e-300), label="log10 ratio to interpolation floor"
            )

    # --- the result ----------------------------------------------------------------------------
    def rule(self, rtol: float) -> str:
        """The rule in words, for ``result.tolerance_rule``."""
        order = interpolation.current_order()
        if self.kind == "fourier":
            how = "Fourier phase shift"
            floor = "[rms(f(P x) - f(x)) + rms(P f(x) - f(x))] / 2, P = Fourier half-pixel round trip"
        else:
            ref = min(order + 2, 5)
            how = f"B-spline order {order}"
            floor = (
                f"rms(f(S{order} x) - f(S{ref} x)) + rms(f(S{ref} x) - S{order} f(x)), S_k = half-pixel "
                f"shift by a B-spline of order k"
            )
        return (
            f"interpolated elements ({how}): per sample, rms(f(g·x) - g·f(x)) over the valid mask, "
            f"relative to the output's rms, <= {KAPPA:g} x the interpolation floor measured on the "
            f"same input (floor = {floor}, relative likewise, at least {ABS_FLOOR:g}·rms(x)) and "
            f"never below rtol={rtol:g}; exact elements (quarter turns, flips, integer shifts) keep "
            f"the exact rule"
        )

    def finish(self, result: Any) -> None:
        """Write floor, error, ratio and rule into the result; decide 'inconclusive'; add the curve."""
        s = self.stats
        result.exact = False  # the group interpolates (elements that happen to be exact aside)
        if self.classifier.total:
            result.extra["classifier"] = self.classifier.summary()
        if s.pairs == 0:
            return
        from .result import ElementError

        rtol = self.plan.rtol if self.plan.rtol is not None else default_tolerance(result.dtype)[1].rtol
        worst = s.worst
        assert worst is not None
        per_element: list[dict[str, Any]] = sorted(
            (
                {"element": e, "error": v[0], "floor": v[1], "ratio": v[2], "inputs": int(v[3])}
                for e, v in s.per_element.items()
            ),
            key=lambda d: -d["ratio"],
        )
        info: dict[str, Any] = {
            "metric": "relative RMS over the valid mask: rms(a - b) / max(rms(a), rms(b))",
            "interpolation": self.kind,
            "order": interpolation.current_order(),
            "kappa": KAPPA,
            "resolution": RESOLUTION,
            "element": worst.element,
            "error": worst.error,
            "floor": worst.floor,
            "ratio": worst.ratio,
            "median_floor": float(np.median(s.floors)),
            "pairs": s.pairs,
            "decided": s.decided,
            "per_element": per_element[:200],
        }
        if result.verdict == "failed" and s.last_bad is not None:
            b = s.last_bad
            info["counterexample"] = {
                "element": b.element,
                "error": b.error,
                "floor": b.floor,
                "ratio": b.ratio,
            }
        result.extra["interpolation_floor"] = info
        result.tolerance_rule = self.rule(rtol) + "; " + result.tolerance_rule
        engine_ratio = result.max_error / result.tolerance if result.tolerance > 0 else math.inf
        if worst.ratio / KAPPA >= engine_ratio * (1 - 1e-9):  # the worst pair is an interpolated one
            result.max_error = worst.error
            result.tolerance = KAPPA * worst.floor
            result.worst_element = worst.element
        exact_errors = [e for e in result.errors if e.element not in s.per_element]
        result.errors = sorted(
            [ElementError(d["element"], d["error"], d["inputs"]) for d in per_element] + exact_errors,
            key=lambda e: -e.max_error,
        )
        if result.verdict == "failed" and result.failure_kind == "mismatch" and s.last_bad is not None:
            b = s.last_bad
            result.message += (
                f" — RMS error {b.error:.3g} is {b.ratio:.1f}x the interpolation floor {b.floor:.3g} "
                f"(allowed {KAPPA:g}x; largest ratio seen {worst.ratio:.1f}x, for {worst.element})"
            )
        elif result.verdict == "passed" and s.decided < max(3, DECIDED_SHARE * s.pairs):
            result.verdict = "inconclusive"
            med = float(np.median(s.floors))
            result.message = (
                f"INCONCLUSIVE {result.function} under {result.group}: the interpolation floor is too "
                f"high to decide on {s.pairs - s.decided} of {s.pairs} (input, element) pairs "
                f"(median floor {med:.3g}: violations smaller than {KAPPA * med:.3g} of the output "
                f"cannot be told from resampling error). What would decide it: smoother, band-limited "
                f"inputs (families=['smooth-disk'] or a lower cut-off), a larger grid (sizes=), a "
                f"higher spline order (equicheck.interpolation.interpolation_order(5)), or exact "
                f"elements only (c4/d4)."
            )
        elif result.verdict == "passed":
            result.message = result.summary() + (
                f"; worst ratio to the interpolation floor {worst.ratio:.2f} (allowed {KAPPA:g})"
            )
        curve = self._curve(s.worst_case)
        if curve is not None:
            result.extra["curve"] = curve

    def _curve(self, case: Any) -> dict[str, Any] | None:
        """Error and floor along the group's one-parameter sweep, on one input (the worst)."""
        sweep = getattr(self.plan.group, "curve_elements", None)
        ev = self._evaluator
        if sweep is None or case is None or ev is None or CURVE_POINTS <= 0:
            return None
        parameter, points = sweep(CURVE_POINTS)
        try:
            return error_curve_on(ev, self, case, parameter, points)
        except Exception as exc:  # noqa: BLE001 - a curve is an extra; never fail a check for it
            return {
                "parameter": parameter,
                "values": [],
                "errors": [],
                "floor": [],
                "note": f"not drawn: {exc}",
            }


def error_curve_on(
    ev: Any, judge: Judge, case: Any, parameter: str, points: list[tuple[float, Any]]
) -> dict[str, Any]:
    """The curve for one input through the engine's evaluator (safe calls of f, same actions)."""
    plan = ev.plan
    backend = plan.backend
    in_actions = {k: ev._prepare(plan.in_actions[k], tuple(v.shape)) for k, v in case.items()}
    fx = ev._call(ev._copy_case(case), "x (error curve)")
    raw = ev._out_actions(fx)
    out_actions = {k: ev._prepare(raw[k], tuple(v.shape)) for k, v in fx.items()}
    saved = judge._example
    judge._example = {
        "case": case,
        "fx": fx,
        "out_actions": out_actions,
        "max_ratio": 0.0,
        "input_rms": input_rms(ev.xp, case),
    }
    try:
        judge._example["d_in"], judge._example["d_out"] = judge._probe(ev, case, in_actions, fx, out_actions)
        values, errors, floors = [], [], []
        for value, g in points:
            moved = {k: in_actions[k].apply(g, v, backend) for k, v in case.items()}
            fgx = ev._call(moved, f"x transformed by {g!r} (error curve)")
            worst_e, worst_f = 0.0, 0.0
            for k, y in fx.items():
                a = fgx[k]
                b = out_actions[k].apply(g, y, backend)
                mask = out_actions[k].valid_mask(g, tuple(a.shape), plan.margin, backend)
                if mask is not None:
                    sp = spatial_of(out_actions[k])
                    shape = [1] * a.ndim
                    ax = sp.grid_axes(a.ndim)
                    shape[ax[0]], shape[ax[1]] = a.shape[ax[0]], a.shape[ax[1]]
                    m = backend.xp.reshape(
                        mask if ax[0] < ax[1] else backend.xp.permute_dims(mask, (1, 0)), tuple(shape)
                    )
                else:
                    m = None
                e, fl = judge.floor(g, k, a, b, m)
                if is_exact_element(g):
                    fl = np.zeros_like(fl)
                worst_e, worst_f = max(worst_e, float(e.max())), max(worst_f, float(fl.max()))
            values.append(value)
            errors.append(worst_e)
            floors.append(worst_f)
    finally:
        judge._example = saved
    return {"parameter": parameter, "values": values, "errors": errors, "floor": floors, "kappa": KAPPA}


def judge_for(plan: Any) -> Judge | None:
    """A judge when the check involves interpolated elements, else None (exact rule only)."""
    if getattr(plan.group, "exact", True) and all(
        getattr(a, "exact", True) for a in plan.in_actions.values()
    ):
        return None
    return Judge(plan)
