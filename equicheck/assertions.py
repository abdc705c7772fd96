"""``assert_equivariant`` and ``assert_invariant``: the check, raising on a violation.

The message follows numpy.testing / torch.testing: a tolerance header, entries mismatched
k/n, the greatest absolute and relative differences with their index, then what is special
here: where the error lives (when that is the border), the group element, the
counterexample's input, and the one-line replay. The whole tolerance rule is the result's
``tolerance_rule``, not repeated here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .engine import check_equivariance
from .errors import EquivarianceError, FunctionError, ShapeError
from .groups import Group
from .options import reject_unknown_keywords
from .result import CheckResult

__all__ = ["assert_equivariant", "assert_invariant", "format_failure"]


def _headline(result: CheckResult) -> str:
    """What happened, in one line: not equivariant (or invariant), or why nothing was judged."""
    actions = f"({', '.join(result.in_actions)} -> {', '.join(result.out_actions)})"
    where = f"under {result.group} {actions}"
    if result.verdict == "error":
        if result.failure_kind == "exception":
            return f"{result.function} raised an exception while checked {where}"
        if result.failure_kind == "timeout":
            return f"{result.function} did not return in time while checked {where}"
        return f"{result.function} cannot be checked as declared {where}"
    claim = "invariant" if all(a == "trivial" for a in result.out_actions) else "equivariant"
    return f"{result.function} is not {claim} {where}"


def format_failure(result: CheckResult) -> str:
    """The assertion message for a failed (or error) result: what failed, where, how to replay.
    The tolerance is one header line; the whole rule is ``result.tolerance_rule``."""
    lines = [_headline(result)]
    if result.failure_kind not in (None, "mismatch"):
        lines.append(f"{result.failure_kind}: {result.message}")
    compared = result.elements_checked > 0 and result.worst_element is not None
    lines.append("")
    if result.verdict != "error":
        lines.append(
            f"Not equal to tolerance rtol={result.tolerance:g}, atol={result.atol:g} "
            "(the rule: result.tolerance_rule)"
        )
    ce = result.counterexample
    floor = result.extra.get("interpolation_floor")
    if floor:
        worst = floor.get("counterexample") or floor
        lines.append(
            f"Interpolated elements: error {worst['error']:.4g} is {worst['ratio']:.4g}x the "
            f"interpolation floor {worst['floor']:.4g} for {worst['element']} "
            f"(passes up to {floor['kappa']:g}x; {floor['metric']})"
        )
    if ce is not None and result.failure_kind == "mismatch" and not floor:
        pct = 100.0 * ce.mismatched / ce.compared if ce.compared else 0.0
        lines.append(f"Mismatched entries: {ce.mismatched} / {ce.compared} ({pct:.3g}%)")
        lines.append(
            f"Greatest absolute difference: {ce.max_abs_diff:.6g} at index {tuple(ce.worst_index or ())}"
        )
        lines.append(
            f"Greatest relative difference: {ce.max_rel_diff:.6g} at index "
            f"{tuple(ce.worst_rel_index or ())} (relative to the output's scale: max |output| of "
            "that sample)"
        )
    border = result.extra.get("border")
    if border:
        lines.append(f"Where: {border['hint']}")
    if ce is not None:
        lines.append(f"Group element: {ce.element}")
        shapes = ", ".join(str(tuple(s)) for s in ce.input_shapes)
        lines.append(f"Counterexample input: {ce.input} (shape {shapes})")
    if compared:
        lines.append(
            f"Largest error seen: {result.max_error:.6g} for {result.worst_element} "
            f"({result.examples} inputs, {result.elements_checked} elements, {result.evaluations} calls of f)"
        )
    if ce is not None and ce.replay:
        lines.append(f"Replay: {ce.replay}")
    if result.seed is not None:
        lines.append(f"Seed: {result.seed}")
    return "\n".join(lines)


def _raise_if_failed(result: CheckResult) -> CheckResult:
    __tracebackhide__ = True
    if result.verdict == "error" and result.failure_kind == "shape":
        raise ShapeError(format_failure(result))  # a usage error: the check cannot run as declared
    if result.verdict == "error":
        raise FunctionError(format_failure(result))
    if not result.passed and result.verdict != "inconclusive":
        raise EquivarianceError(format_failure(result), result)
    return result


def _known_keywords(kwargs: dict[str, Any], where: str) -> None:
    """:class:`~equicheck.errors.KeywordError` for a keyword ``check_equivariance`` does not take."""
    known = [p for p in inspect.signature(check_equivariance).parameters if p not in ("f", "group")]
    reject_unknown_keywords(kwargs, known, where=where)


def assert_equivariant(f: Callable[..., Any], group: Group | str, **kwargs: Any) -> CheckResult:
    """Check ``f`` like :func:`check_equivariance` (same keywords) and raise
    :class:`EquivarianceError` on a violation (:class:`FunctionError` if f raised)."""
    __tracebackhide__ = True
    _known_keywords(kwargs, "assert_equivariant")
    return _raise_if_failed(check_equivariance(f, group, **kwargs))


def assert_invariant(f: Callable[..., Any], group: Group | str, **kwargs: Any) -> CheckResult:
    """``f(ρ_in(g)·x) == f(x)``: :func:`assert_equivariant` with a trivial output action
    (for every output of f, unless ``out_action`` is given)."""
    __tracebackhide__ = True
    _known_keywords(kwargs, "assert_invariant")
    if "out_action" not in kwargs:
        kwargs["invariant"] = True
    return _raise_if_failed(check_equivariance(f, group, **kwargs))
