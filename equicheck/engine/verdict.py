"""The verdict, decided in one place: tolerances, the rounding allowance, the floor rule.

Every error the engine measures is compared with a *limit* built here, in this order:

1. **Tolerance**: the user's ``rtol``/``atol``, else the default of the least precise
   floating dtype among the example's inputs and outputs (:func:`resolve_tolerance`).
2. **Rounding allowance** (low-precision dtypes, default tolerance, exact elements only):
   where f also computes in float64, an error above rtol is allowed up to
   ``ROUNDING_SAFETY·(|f(x) - f64(x)| + |f(g·x) - f64(g·x)|)``, never more than
   ``ROUNDING_CAP·rtol`` (:func:`rounding_allowance`).
3. **Interpolation floor** (interpolated elements): the element passes while its relative RMS
   error is at most ``KAPPA`` times the floor measured on the same input
   (:mod:`equicheck.engine.floor`), never below rtol (:func:`judge_pair`).

After the search, :func:`decide` turns what was seen into a :class:`Decision` (verdict,
the error and limit reported, the rule in words, per-element errors, message); the result
is built from it and never rewritten.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..actions import interpolation
from ..result import ElementError
from .floor import ABS_FLOOR, FloorPair, FloorStats
from .tolerance import Tolerance, default_tolerance

__all__ = [
    "DECIDED_SHARE",
    "ERROR_KINDS",
    "KAPPA",
    "LOW_PRECISION",
    "RESOLUTION",
    "ROUNDING_CAP",
    "ROUNDING_SAFETY",
    "Decision",
    "Observed",
    "Tolerances",
    "decide",
    "exceeds",
    "judge_pair",
    "pair_limit",
    "resolve_tolerance",
    "rounding_allowance",
]

#: dtypes whose rounding may be measured against a float64 evaluation before failing.
LOW_PRECISION = frozenset({"float32", "float16", "bfloat16", "complex64", "tf32"})
#: The rounding allowance is this multiple of the measured |f(x) - f64(x)| + |f(g·x) - f64(g·x)| ...
ROUNDING_SAFETY = 1.5
#: ... and never more than this multiple of rtol.
ROUNDING_CAP = 10.0
#: An interpolated element passes while its error is at most this multiple of the floor.
KAPPA = 3.0
#: A pair decides when KAPPA·floor is at most this (relative RMS): violations of this size show.
RESOLUTION = 0.5
#: Failures that say nothing about equivariance (f raised, f did not answer in time): verdict 'error'.
ERROR_KINDS = frozenset({"exception", "timeout"})
#: A passing check needs at least this share of decided pairs (and 3), else it is inconclusive.
#: (A share, not a majority: the search deliberately hunts inputs with extreme errors.)
DECIDED_SHARE = 0.1


@dataclass(frozen=True)
class Tolerances:
    """The tolerance in force for some dtypes: the user's where given, else the default."""

    dtype: str
    rtol: float
    atol: float
    default: Tolerance
    user_rtol: bool
    user_atol: bool

    def floor(self, input_scale: float) -> float:
        """The error's denominator floor: ``atol / rtol · max|x|`` (0 when rtol is 0)."""
        return self.atol / self.rtol * input_scale if self.rtol > 0 else 0.0

    def rule(self) -> str:
        """The exact rule in words, for ``result.tolerance_rule``."""
        if not (self.user_rtol or self.user_atol):
            return self.default.rule(self.dtype)
        return (
            f"max|f(g·x) - g·f(x)| <= rtol·max(max|output|, atol/rtol·max|x|) per sample; "
            f"user tolerance rtol={self.rtol:g}, atol={self.atol:g}"
        )

    @property
    def low_precision(self) -> bool:
        """Whether a rounding allowance may be granted (default rtol of a low-precision dtype)."""
        return not self.user_rtol and self.dtype in LOW_PRECISION


def resolve_tolerance(rtol: float | None, atol: float | None, *dtypes: Any) -> Tolerances:
    """The one rule: the user's ``rtol``/``atol`` where given, else the default of the least
    precise floating dtype among ``dtypes`` (float64 when there is none)."""
    name, default = default_tolerance(*dtypes)
    return Tolerances(
        dtype=name,
        rtol=default.rtol if rtol is None else float(rtol),
        atol=default.atol if atol is None else float(atol),
        default=default,
        user_rtol=rtol is not None,
        user_atol=atol is not None,
    )


def exceeds(error: float, limit: float) -> bool:
    """The comparison every verdict comes down to."""
    return error > limit


def ratio(error: float, limit: float) -> float:
    """``error / limit`` (inf for a positive error against a zero limit)."""
    if limit > 0:
        return error / limit
    return math.inf if error > 0 else 0.0


def rounding_allowance(rtol: float, measured: float) -> float:
    """The rounding allowance for a measured ``|f(x) - f64(x)| + |f(g·x) - f64(g·x)|`` (step 2
    of the module docstring); the limit is ``max(rtol, allowance)``."""
    return min(ROUNDING_SAFETY * measured, ROUNDING_CAP * rtol)


def judge_pair(element: str, error: float, floor: float, rtol: float) -> FloorPair:
    """An interpolated (input, element) pair against its floor (step 3)."""
    effective = max(floor, rtol)
    return FloorPair(
        element=element,
        error=error,
        floor=effective,
        ratio=error / effective if effective > 0 else (math.inf if error > 0 else 0.0),
        decided=KAPPA * effective <= RESOLUTION,
    )


def pair_limit(error: float, pair: FloorPair, rtol: float) -> float:
    """The limit for the engine's own error measure that encodes the floor rule:
    ``error > limit`` exactly when ``pair.ratio > KAPPA`` (and error/limit = ratio/KAPPA)."""
    if pair.ratio == 0:
        return max(rtol, error)
    return error * KAPPA / pair.ratio


def floor_rule(kind: str, rtol: float) -> str:
    """The interpolation-floor rule in words."""
    order = interpolation.current_order()
    if kind == "fourier":
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


@dataclass
class Observed:
    """What the search saw, as the verdict needs it (filled by the evaluator)."""

    max_error: float = 0.0
    max_ratio: float = -1.0  # max_error / its limit: the worst example judged by its own dtype
    worst_limit: float | None = None  # the limit the worst example was held to
    worst_dtype: str | None = None
    worst_element: str | None = None
    worst_input: str | None = None
    per_element: dict[str, list[float]] = field(default_factory=dict)  # repr -> [max, count]
    dtypes: set[str] = field(default_factory=set)
    rounding_bound: float = 0.0  # largest rounding allowance granted (0: none needed)
    non_finite: int = 0

    def record(self, element: str, err: float) -> None:
        slot = self.per_element.setdefault(element, [0.0, 0])
        slot[0] = max(slot[0], err)
        slot[1] += 1

    def consider(self, err: float, limit: float, dtype: str, element: str, description: str) -> bool:
        """Keep ``err`` as the worst seen if its ratio to its limit is the largest; say so."""
        r = ratio(err, limit)
        if r <= self.max_ratio:
            return False
        self.max_ratio, self.max_error, self.worst_limit = r, err, limit
        self.worst_dtype, self.worst_element, self.worst_input = dtype, element, description
        return True


@dataclass
class Decision:
    """The verdict and everything the result states about it."""

    verdict: str
    max_error: float
    tolerance: float
    atol: float
    dtype: str
    rule: str
    worst_element: str | None
    errors: list[ElementError]
    #: None: the result's own one-line summary; else the message to show
    message: str | None = None
    #: appended to the summary when ``message`` is None
    summary_suffix: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def decide(
    *,
    rtol: float | None,
    atol: float | None,
    margin: int,
    seen: Observed,
    floors: FloorStats | None,
    floor_kind: str,
    failure_kind: str | None,
    failure_message: str | None,
    failure_error: float | None,
    function: str,
    group: str,
    usage_error: bool = False,
) -> Decision:
    """The verdict of a whole check from what the search saw (module docstring). A failure
    that is a usage error (the check cannot run as declared) is an 'error', like ERROR_KINDS."""
    tol = resolve_tolerance(rtol, atol, *sorted(seen.dtypes))  # float64 where none was seen
    if seen.worst_dtype is not None:
        tol = resolve_tolerance(rtol, atol, seen.worst_dtype)
    limit = seen.worst_limit if (rtol is None and seen.worst_limit is not None) else tol.rtol
    rule = tol.rule()
    if len(seen.dtypes) > 1:
        rule += f"; each example judged by its own dtype (seen: {', '.join(sorted(seen.dtypes))})"
    if margin:
        rule += f"; entries within {margin} of the border (and of zero-filled regions) excluded"
    extra: dict[str, Any] = {}
    if seen.non_finite:
        extra["non_finite_outputs"] = seen.non_finite
    if seen.rounding_bound > 0:
        extra["rounding_allowance"] = seen.rounding_bound
        rule += (
            f"; errors above rtol were allowed up to {seen.rounding_bound:.3g} where f's own rounding "
            f"(|f(x) - f64(x)| + |f(g·x) - f64(g·x)|, x{ROUNDING_SAFETY:g}, at most "
            f"{ROUNDING_CAP:g}·rtol) explains them"
        )
    verdict = "passed"
    if failure_kind is not None:
        verdict = "error" if failure_kind in ERROR_KINDS or usage_error else "failed"
    max_error = seen.max_error
    if failure_kind == "mismatch" and max_error <= limit and failure_error is not None:
        max_error = failure_error
    errors = sorted(
        (ElementError(e, v[0], int(v[1])) for e, v in seen.per_element.items()), key=lambda e: -e.max_error
    )[:2000]
    decision = Decision(
        verdict=verdict,
        max_error=max_error,
        tolerance=limit,
        atol=tol.atol,
        dtype=tol.dtype,
        rule=rule,
        worst_element=seen.worst_element,
        errors=errors,
        message=failure_message,
        extra=extra,
    )
    if floors is not None and floors.pairs:
        _decide_interpolated(decision, floors, floor_kind, tol.rtol, function, group)
    return decision


def _decide_interpolated(
    d: Decision, s: FloorStats, kind: str, rtol: float, function: str, group: str
) -> None:
    """The floor rule's part of the decision: which error is reported, 'inconclusive'."""
    worst = s.worst
    assert worst is not None
    per_element = sorted(
        (
            {"element": e, "error": v[0], "floor": v[1], "ratio": v[2], "inputs": int(v[3])}
            for e, v in s.per_element.items()
        ),
        key=lambda row: -row["ratio"],
    )
    info: dict[str, Any] = {
        "metric": "relative RMS over the valid mask: rms(a - b) / max(rms(a), rms(b))",
        "interpolation": kind,
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
    bad = s.last_bad if d.verdict == "failed" else None
    if bad is not None:
        info["counterexample"] = {
            "element": bad.element,
            "error": bad.error,
            "floor": bad.floor,
            "ratio": bad.ratio,
        }
    d.extra["interpolation_floor"] = info
    d.rule = floor_rule(kind, rtol) + "; " + d.rule
    exact_ratio = d.max_error / d.tolerance if d.tolerance > 0 else math.inf
    if worst.ratio / KAPPA >= exact_ratio * (1 - 1e-9):  # an interpolated pair is the worst
        d.max_error, d.tolerance, d.worst_element = worst.error, KAPPA * worst.floor, worst.element
    exact_errors = [e for e in d.errors if e.element not in s.per_element]
    d.errors = sorted(
        [ElementError(row["element"], row["error"], row["inputs"]) for row in per_element] + exact_errors,
        key=lambda e: -e.max_error,
    )
    if d.verdict == "failed" and bad is not None and d.message is not None:
        d.message += (
            f" — RMS error {bad.error:.3g} is {bad.ratio:.1f}x the interpolation floor {bad.floor:.3g} "
            f"(allowed {KAPPA:g}x; largest ratio seen {worst.ratio:.1f}x, for {worst.element})"
        )
    elif d.verdict == "passed" and s.decided < max(3, DECIDED_SHARE * s.pairs):
        d.verdict = "inconclusive"
        med = float(np.median(s.floors))
        d.message = (
            f"INCONCLUSIVE {function} under {group}: the interpolation floor is too "
            f"high to decide on {s.pairs - s.decided} of {s.pairs} (input, element) pairs "
            f"(median floor {med:.3g}: violations smaller than {KAPPA * med:.3g} of the output "
            f"cannot be told from resampling error). What would decide it: smoother, band-limited "
            f"inputs (families=['smooth-disk'] or a lower cut-off), a larger grid (sizes=), a "
            f"higher spline order (equicheck.actions.interpolation_order(5)), or exact "
            f"elements only (c4/d4 on images, cube24/cube48 on volumes)."
        )
    elif d.verdict == "passed":
        d.summary_suffix = f"; worst ratio to the interpolation floor {worst.ratio:.2f} (allowed {KAPPA:g})"
