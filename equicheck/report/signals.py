"""Figures of a check on a 1-D grid (a signal along ``t``): lines instead of images.

- the error along the axis, ``|f(g·x) − g·f(x)|`` per entry, with the stretches excluded from
  comparison shaded and the worst entry marked;
- the counterexample: the input, f(g·x) over g·f(x) on one axis, and their difference.

matplotlib's object API only (``Figure``, no pyplot state), like :mod:`.figures`, which
calls these for arrays of one dimension.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .grids import excluded_runs, worst_index

__all__ = ["counterexample_figure", "error_map_figure"]

_RED = "#c0392b"
_GREY = "#7f8c8d"
#: Signals at most this long get a marker on every entry (a length-1 signal is then a dot).
MARKED = 64


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _line(ax: Any, values: np.ndarray, **kwargs: Any) -> None:
    values = np.asarray(values, dtype=np.float64).ravel()
    shown = np.where(np.isfinite(values), values, np.nan)
    marker = {"marker": ".", "markersize": 4} if values.size <= MARKED else {}
    ax.plot(np.arange(values.size), shown, linewidth=1.1, **marker, **kwargs)


def _axis(ax: Any, n: int, label: bool) -> None:
    ax.set_xlim(-0.5, max(n, 1) - 0.5)
    ax.tick_params(labelsize=7)
    ax.grid(True, alpha=0.3)
    if label:
        ax.set_xlabel("t", fontsize=8)


def _error_panel(ax: Any, emap: np.ndarray, valid: np.ndarray | None, title: str) -> None:
    """The error along t on ``ax``: excluded stretches shaded, the worst entry marked."""
    if valid is not None:
        for i, (a, b) in enumerate(excluded_runs(valid)):
            ax.axvspan(
                a - 0.5, b + 0.5, color=_GREY, alpha=0.25, linewidth=0, label=None if i else "not compared"
            )
    _line(ax, emap, color="#4c72b0", label="|difference|")
    (worst,) = worst_index(emap, valid)
    finite = emap[np.isfinite(emap)]
    top = float(finite.max()) if finite.size else 0.0
    value = float(emap[worst])
    ax.plot(
        [worst],
        [value if np.isfinite(value) else top],
        linestyle="none",
        marker="x",
        color=_RED,
        markersize=7,
    )
    ax.set_ylim(0.0, (top or 1.0) * 1.08)
    shown = format(value, ".3g")
    ax.set_title(f"{title}; worst t={worst}: {shown}", fontsize=9)
    if valid is not None and not valid.all():
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)


def error_map_figure(emap: np.ndarray, valid: np.ndarray | None, element: str | None = None) -> Figure:
    """``|f(g·x) − g·f(x)|`` along t for ``element`` (a 1-D error map, non-empty)."""
    fig = Figure(figsize=(6.4, 2.6))
    ax = fig.add_subplot()
    where = f" for {_shorten(element, 40)}" if element else ""
    _error_panel(ax, emap, valid, f"|f(g·x) − g·f(x)|{where}")
    _axis(ax, emap.size, True)
    ax.set_ylabel("|difference|", fontsize=8)
    return fig


def counterexample_figure(arrays: Mapping[str, np.ndarray], element: str | None = None) -> Figure:
    """The input, f(g·x) over g·f(x), and their difference along t (one panel each)."""
    actual = np.asarray(arrays["actual"], dtype=np.float64).ravel()
    expected = np.asarray(arrays["expected"], dtype=np.float64).ravel()
    x = arrays.get("input")
    same = actual.shape == expected.shape and actual.size > 0
    rows = (x is not None) + 1 + same
    fig = Figure(figsize=(6.4, 1.9 * rows + 0.3))
    axes = list(fig.subplots(rows, 1, squeeze=False)[:, 0])
    fig.subplots_adjust(hspace=0.75)
    if x is not None:
        ax = axes.pop(0)
        values = np.asarray(x, dtype=np.float64).ravel()
        _line(ax, values, color="#2e7d32")
        ax.set_title("input x", fontsize=9)
        _axis(ax, values.size, False)
    ax = axes.pop(0)
    _line(ax, actual, color=_RED, label="f(g·x)")
    _line(ax, expected, color="#4c72b0", linestyle="--", label="g·f(x)")
    where = f" for g = {_shorten(element, 40)}" if element else ""
    ax.set_title(f"f(g·x) and g·f(x){where}", fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    _axis(ax, max(actual.size, expected.size), not same)
    if same:
        ax = axes.pop(0)
        with np.errstate(invalid="ignore"):
            diff = np.abs(actual - expected)
        mask = arrays.get("valid_mask")
        valid = np.asarray(mask, dtype=bool).ravel() if mask is not None else None
        _error_panel(
            ax, diff, valid if valid is not None and valid.shape == diff.shape else None, "|difference|"
        )
        _axis(ax, diff.size, True)
    return fig
