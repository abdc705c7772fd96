"""Putting results together: several reports into one (CI jobs, xdist-free shards), and
the repeated calls of one check inside a Hypothesis ``@given`` test into one result.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from typing import Any

from ..result import CheckResult, ElementError
from .model import Report, now

__all__ = ["combine", "merge"]


def merge(reports: Sequence[Report], title: str | None = None) -> Report:
    """One report with every result of ``reports``, in order. Identical environments are
    kept once; each result keeps a pointer to the environment it ran in. The merge is
    partial when any input is; tests run and collected add up (unknown if any is unknown)."""
    environments: list[dict[str, Any]] = []
    keys: dict[str, int] = {}
    results: list[CheckResult] = []
    origins: list[int] = []
    for report in reports:
        remap: dict[int, int] = {}
        for i, env in enumerate(report.environments):
            key = json.dumps(env, sort_keys=True, default=str)
            if key not in keys:
                keys[key] = len(environments)
                environments.append(env)
            remap[i] = keys[key]
        results.extend(report.results)
        origins.extend(remap[o] for o in report.origins)
    default_title = reports[0].title if len(reports) == 1 else "equicheck report"
    return Report(
        results,
        environments,
        origins,
        created=now(),
        title=title or default_title,
        complete=all(r.complete for r in reports),
        tests_run=_total(r.tests_run for r in reports),
        tests_collected=_total(r.tests_collected for r in reports),
        stopped="; ".join(dict.fromkeys(r.stopped for r in reports if r.stopped)) or None,
    )


def _total(counts: Iterable[int | None]) -> int | None:
    """The sum, or None when any count is unknown."""
    values = list(counts)
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def combine(results: Sequence[CheckResult]) -> CheckResult:
    """One result for repeated calls of the same check (one per example of a ``@given`` test).

    The verdict is the worst one; the counterexample is the last failure's (Hypothesis
    replays its minimal example last); errors per element, examples, calls and times add
    up, and the largest error seen is kept with its element, input and arrays.
    """
    if not results:
        raise ValueError("combine() needs at least one result")
    if len(results) == 1:
        return results[0]
    worst = max(results, key=lambda r: r.max_error)
    failing = [r for r in results if not r.passed]
    order = {"error": 0, "failed": 1, "inconclusive": 2, "passed": 3}
    verdict_from = min(results, key=lambda r: order.get(r.verdict, 0))
    base = failing[-1] if failing else worst
    out = copy.copy(base)
    out.extra = dict(base.extra)
    out.verdict = verdict_from.verdict
    out.max_error = worst.max_error
    out.worst_element = worst.worst_element
    out.worst_input = worst.worst_input
    if "worst_arrays" in worst.extra:
        out.extra["worst_arrays"] = worst.extra["worst_arrays"]
    per_element: dict[str, ElementError] = {}
    for r in results:
        for e in r.errors:
            slot = per_element.get(e.element)
            if slot is None:
                per_element[e.element] = ElementError(e.element, e.max_error, e.inputs)
            else:
                slot.max_error = max(slot.max_error, e.max_error)
                slot.inputs += e.inputs
    out.errors = sorted(per_element.values(), key=lambda e: -e.max_error)
    out.elements_checked = len(per_element)
    out.examples = sum(r.examples for r in results)
    out.evaluations = sum(r.evaluations for r in results)
    out.elapsed = sum(r.elapsed for r in results)
    out.time_in_f = sum(r.time_in_f for r in results)
    out.exhaustive = all(r.exhaustive for r in results)
    out.extra["combined_calls"] = len(results)
    if not failing:
        out.message = out.summary()
    return out
