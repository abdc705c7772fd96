"""The HTML report: one self-contained file people read, with plots.

A summary table (failures first, each row linking to its section), one section per check
(verdict, figures, tolerance rule, counterexample, replay line, plots) and the
environments. Rendered by Jinja2 with autoescaping, plots by :mod:`.figures` embedded as
``data:`` SVG images: the file needs no network and no script, and a function name, test
id or message holding markup is shown as text, never run. Written atomically.

Needs ``jinja2`` and ``matplotlib``, which a plain ``pip install equicheck`` brings.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from ..result import CheckResult
from .atomic import atomic_write_text
from .grids import error_map_facts
from .matrix import matrix_context
from .model import Report, ReportError
from .text import actions_text, error_text

__all__ = ["MAX_PLOTTED", "context", "plot_uri", "render_html", "require", "write_html"]

#: Checks that get plots at most (failures come first); the others list their figures only.
MAX_PLOTTED = 100


def require() -> None:
    """Raise :class:`ReportError` with the install hint if jinja2 or matplotlib is missing."""
    missing = []
    for name in ("jinja2", "matplotlib"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ReportError(
            f"HTML reports need {' and '.join(missing)}, which equicheck depends on but this "
            f"environment lacks: pip install {' '.join(missing)} (or reinstall equicheck)"
        )


def plot_uri(svg: bytes) -> str:
    """A ``data:`` URI for SVG bytes (an ``<img>`` source that needs no file or network)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _num(value: float, fmt: str = ".3g") -> str:
    return format(value, fmt)


def _facts(result: CheckResult, env_index: int, show_env: bool) -> list[tuple[str, str]]:
    facts = [
        ("test", result.test_id or "-"),
        ("function", result.function),
        ("group", result.group),
        ("actions", actions_text(result)),
        ("largest error", f"{_num(result.max_error)} for {result.worst_element or '-'}"),
        ("tolerance", f"rtol={result.tolerance:g}, atol={result.atol:g} ({result.dtype})"),
        ("tolerance rule", result.tolerance_rule),
        ("worst input", result.worst_input or "-"),
        (
            "searched",
            f"{result.examples} inputs, {result.elements_checked} elements"
            f"{' (all of them)' if result.exhaustive else ''}, {result.evaluations} calls of f",
        ),
        ("time", f"{result.elapsed:.3f}s ({result.time_in_f:.3f}s in f)"),
        ("backend", f"{result.backend} on {result.device}"),
        ("transforms", _transforms(result)),
    ]
    if result.margin:
        facts.append(("border margin", f"{result.margin} entries excluded"))
    if result.seed is not None:
        facts.append(("seed", str(result.seed)))
    if result.failure_kind:
        facts.append(("failure kind", result.failure_kind))
    calls = result.extra.get("combined_calls")
    if calls:
        facts.append(("calls combined", f"{calls} (one per example of a @given test)"))
    if show_env:
        facts.append(("environment", f"#{env_index}"))
    return facts


def _transforms(result: CheckResult) -> str:
    floor = result.extra.get("interpolation_floor")
    if isinstance(floor, dict):
        kind = floor.get("interpolation") or "interpolated"
        return f"interpolated ({kind}), judged against the interpolation floor"
    return "exact (index permutations)" if result.exact else "interpolated (approximate)"


def _counterexample(result: CheckResult) -> list[tuple[str, str]]:
    ce = result.counterexample
    if ce is None:
        return []
    pct = 100.0 * ce.mismatched / ce.compared if ce.compared else 0.0
    out = [
        ("group element", ce.element),
        ("input", f"{ce.input} (shapes {', '.join(str(tuple(s)) for s in ce.input_shapes)})"),
        ("error", _num(ce.error, ".6g")),
        ("mismatched entries", f"{ce.mismatched} / {ce.compared} ({pct:.3g}%)"),
        (
            "greatest absolute difference",
            f"{_num(ce.max_abs_diff, '.6g')} at index {tuple(ce.worst_index or ())}",
        ),
        (
            "greatest relative difference (to the output's scale)",
            f"{_num(ce.max_rel_diff, '.6g')} at index {tuple(ce.worst_rel_index or ())}",
        ),
    ]
    out += error_map_facts(ce.arrays)  # 1-D and 3-D grids: the worst entry in words
    if ce.replay:
        out.append(("replay", ce.replay))
    return out


def _environment(env: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in env.items():
        if isinstance(value, dict):
            text = ", ".join(f"{k} {v}" for k, v in value.items() if v not in (None, ""))
        else:
            text = "-" if value is None else str(value)
        out.append((key.replace("_", " "), text))
    return out


def _layers(result: CheckResult, plots: bool) -> dict[str, Any] | None:
    """The layers section of a localisation (:mod:`.layers`): its table, and as plots the
    per-layer errors and the first breaking layer's error map."""
    from .layers import error_map_arrays, layers_section

    section = layers_section(result)
    if section is None or not plots:
        return section
    from .figures import error_map_figure, plain_log, to_svg
    from .layers import layers_figure

    section["plots"] = []
    fig = layers_figure(result)
    if fig is not None:
        plain_log(fig.axes[0].yaxis)
        alt = f"Error per layer of {result.function}"
        section["plots"].append({"src": plot_uri(to_svg(fig)), "alt": alt})
    found = error_map_arrays(result)
    fig = error_map_figure(*found) if found is not None else None
    if fig is not None:
        alt = f"Error map of the first breaking layer {section['first_break']} for {found[1]}"
        section["plots"].append({"src": plot_uri(to_svg(fig)), "alt": alt})
    return section


def context(report: Report, *, plots: bool = True, max_plotted: int = MAX_PLOTTED) -> dict[str, Any]:
    """What the template shows, as plain strings and lists (useful for other renderers)."""
    from .. import __version__

    checks = []
    plotted = 0
    show_env = len(report.environments) > 1
    for index, result in report.ordered():
        entry: dict[str, Any] = {
            "index": index,
            "verdict": result.verdict,
            "verdict_label": result.verdict,
            "test_id": result.test_id or "-",
            "function": result.function,
            "group": result.group,
            "actions": actions_text(result),
            "error": error_text(result),
            "examples": result.examples,
            "elements": result.elements_checked,
            "time": f"{result.elapsed:.2f}s",
            "facts": _facts(result, report.origins[index], show_env),
            "message": result.message if not result.passed else "",
            "counterexample": _counterexample(result),
            "plots": [],
            "plots_omitted": "",
            "layers": _layers(result, plots and plotted < max_plotted),
        }
        if plots and plotted < max_plotted:
            from .figures import plots as make_plots

            entry["plots"] = [{"src": plot_uri(p.svg), "alt": p.alt} for p in make_plots(result)]
            plotted += 1
        elif plots:
            entry["plots_omitted"] = f"only the first {max_plotted} checks are plotted"
        checks.append(entry)
    return {
        "title": report.title,
        "created": report.created,
        "version": __version__,
        "counts": report.counts(),
        "partial": report.partial_note(),
        "matrix": matrix_context(report),  # a sweep's targets x groups (None otherwise)
        "checks": checks,
        "environments": [_environment(env) for env in report.environments],
    }


def render_html(report: Report, *, plots: bool = True, max_plotted: int = MAX_PLOTTED) -> str:
    """The report as one HTML page (a string). The same report gives the same text."""
    require()
    import jinja2

    from .template import PAGE

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.from_string(PAGE).render(**context(report, plots=plots, max_plotted=max_plotted))


def write_html(report: Report, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """Render ``report`` and write it to ``path`` atomically."""
    return atomic_write_text(path, render_html(report, **kwargs))
