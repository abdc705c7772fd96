"""The layers section of a report: a localisation's per-layer errors (``CheckResult.layers``,
``equicheck.locate``'s result as data).

:func:`layers_section` gives what the HTML and Markdown renderers show (a headline, the first
breaking layer and its sentence, one row per layer call); :func:`layers_figure` draws the
cumulative and local error of every layer on a log scale, the first breaking layer marked and
the tolerance as a line. The renderers turn the figure into an SVG and add the first breaking
layer's error map.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..result import CheckResult

__all__ = ["MAX_ROWS", "error_map_arrays", "layers_figure", "layers_markdown", "layers_section"]

#: Rows shown at most in a report's table (the first break is always among them).
MAX_ROWS = 200


def _num(v: Any) -> str:
    return "-" if v is None else f"{float(v):.2e}"


def layers_section(result: CheckResult) -> dict[str, Any] | None:
    """The section's text as plain strings, or None when the result holds no localisation."""
    data = result.layers
    if not data:
        return None
    rows = data.get("layers", [])
    first = data.get("first_break")
    if first is None:
        headline = f"No layer breaks equivariance ({len(rows)} layer calls)."
    else:
        headline = f"First breaking layer: {first}."
    shown = rows[:MAX_ROWS]
    return {
        "headline": headline,
        "first_break": first,
        "advice": data.get("advice", ""),
        "notes": list(data.get("notes", [])),
        "columns": ["layer", "kind", "action", "from", "cumulative", "local", "status"],
        "rows": [
            {
                "cells": [
                    r.get("name", ""),
                    r.get("kind", ""),
                    r.get("action", ""),
                    r.get("source", ""),
                    _num(r.get("cumulative")),
                    _num(r.get("local")),
                    r.get("status", ""),
                ],
                "breaks": r.get("name") == first,
            }
            for r in shown
        ],
        "omitted": max(0, len(rows) - len(shown)),
    }


def layers_markdown(result: CheckResult, escape: Any) -> list[str]:
    """The section as Markdown lines (a heading, the sentence, the table); [] without one."""
    section = layers_section(result)
    if section is None:
        return []
    lines = [f"**Layers of {escape(result.function)}** — {escape(section['headline'])}", ""]
    if section["advice"]:
        lines += [escape(section["advice"]), ""]
    lines.append("| " + " | ".join(section["columns"]) + " |")
    lines.append("|---|---|---|---|---:|---:|---|")
    for row in section["rows"]:
        cells = [escape(str(c)) for c in row["cells"]]
        if row["breaks"]:
            cells = [f"**{c}**" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    if section["omitted"]:
        lines.append(f"\n_{section['omitted']} more layer calls not shown._")
    return [*lines, ""]


def error_map_arrays(result: CheckResult) -> tuple[dict[str, np.ndarray], str | None] | None:
    """The first breaking layer's error map as report arrays, and its element."""
    data = result.layers or {}
    emap = data.get("error_map")
    if emap is None:
        return None
    return {"error_map": np.asarray(emap, dtype=np.float64)}, data.get("error_map_element")


def layers_figure(result: CheckResult) -> Any:
    """Cumulative and local error per layer call (log scale), or None without rows."""
    from matplotlib.figure import Figure

    data = result.layers or {}
    rows = data.get("layers", [])
    if not rows:
        return None
    names = [r["name"] for r in rows]
    floor = max(float(data.get("rtol", 1e-9)) * 1e-3, 1e-16)

    def values(key: str) -> np.ndarray:
        return np.array([max(float(r[key]), floor) if r.get(key) is not None else np.nan for r in rows])

    x = np.arange(len(rows))
    fig = Figure(figsize=(max(5.0, min(0.22 * len(rows) + 2.0, 16.0)), 3.6))
    ax = fig.add_subplot()
    ax.plot(x, values("cumulative"), marker="o", markersize=3, linewidth=1.2, label="cumulative")
    ax.plot(x, values("local"), marker="s", markersize=3, linewidth=0, label="local")
    rtol = float(data.get("rtol", 0)) or floor
    ax.axhline(rtol, color="#7f8c8d", linestyle="--", linewidth=1, label="rtol")
    first = data.get("first_break")
    if first in names:
        ax.axvline(names.index(first), color="#c0392b", linewidth=1.5, label=f"first break: {first}")
    ax.set_yscale("log")
    ax.set_xticks(x)
    ax.set_xticklabels([n if len(n) <= 24 else n[:23] + "…" for n in names], rotation=90, fontsize=6)
    ax.set_ylabel("error")
    ax.set_title(f"Error per layer of {result.function} under {result.group}", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return fig
