"""Figures of a check on a 3-D grid (a volume in array order (z, y, x)): slices and projections.

A volume cannot be shown whole, so each is shown by
- its three orthogonal slices through the worst entry of the error map (``z = k``: the (y, x)
  plane; ``y = k``: (z, x); ``x = k``: (z, y)), the worst entry marked with a red ×;
- its maximum-intensity projections along z, y and x (the largest value on each ray), which
  show an error wherever it is.

The error map gets both rows, with the entries excluded from comparison greyed out; the
counterexample shows the input's slices and projections above the slices of f(g·x), g·f(x)
(one colour scale) and their difference. The titles state the worst entry's (z, y, x) index.
matplotlib's object API only (``Figure``, no pyplot state), like :mod:`.figures`, which calls
these for arrays of three dimensions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .grids import AXES, worst_index

__all__ = ["counterexample_figure", "error_map_figure", "projections", "slices"]

_RED = "#c0392b"
#: Inches per panel (square).
PANEL = 2.3

#: One panel: its title, the image, and the names of its row and column axes.
Panel = tuple[str, np.ndarray, tuple[str, str]]


def slices(volume: np.ndarray, index: tuple[int, int, int]) -> list[Panel]:
    """The three orthogonal slices of ``volume`` through ``index`` = (z, y, x)."""
    z, y, x = index
    return [
        (f"z = {z}", volume[z], ("y", "x")),
        (f"y = {y}", volume[:, y, :], ("z", "x")),
        (f"x = {x}", volume[:, :, x], ("z", "y")),
    ]


def projections(volume: np.ndarray) -> list[Panel]:
    """The maximum-intensity projections of ``volume`` along z, y and x (NaN and inf count as
    the largest, shown as missing)."""
    score = np.where(np.isfinite(volume), volume, np.inf)
    out = []
    for axis, name in enumerate(AXES[3]):
        top = score.max(axis=axis)
        rest = tuple(a for i, a in enumerate(AXES[3]) if i != axis)
        out.append((f"max over {name}", np.where(np.isfinite(top), top, np.nan), (rest[0], rest[1])))
    return out


def _marks(index: tuple[int, int, int]) -> list[tuple[int, int]]:
    """Where ``index`` lies in each of its slices: (row, column)."""
    z, y, x = index
    return [(y, x), (z, x), (z, y)]


def _scaled(index: tuple[int, ...], source: tuple[int, ...], target: tuple[int, ...]) -> tuple[int, int, int]:
    """``index`` on a grid of shape ``source`` moved to one of shape ``target`` (an input whose
    grid differs from the output's: the same place in proportion)."""
    z, y, x = (min(t - 1, i * t // s) if s else 0 for i, s, t in zip(index, source, target))
    return (z, y, x)


def _panel(ax: Any, panel: Panel, mark: tuple[int, int] | None, **kwargs: Any) -> Any:
    title, image, (rows, cols) = panel
    shown = np.where(np.isfinite(image), image, np.nan)
    im = ax.imshow(shown, interpolation="nearest", **kwargs)
    if mark is not None:
        ax.plot(
            [mark[1]], [mark[0]], linestyle="none", marker="x", color=_RED, markersize=7, markeredgewidth=1.5
        )
        ax.set_xlim(-0.5, image.shape[1] - 0.5)
        ax.set_ylim(image.shape[0] - 0.5, -0.5)
    ax.set_title(title, fontsize=8)
    ax.set_xlabel(cols, fontsize=8, labelpad=1)
    ax.set_ylabel(rows, fontsize=8, labelpad=1)
    ax.tick_params(labelsize=6)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    return im


def _bar(fig: Figure, image: Any, axes: list[Any]) -> None:
    """One colour bar for ``axes`` that share the colour scale of ``image`` (each as wide)."""
    fig.colorbar(image, ax=axes, shrink=0.8, fraction=0.05).ax.tick_params(labelsize=6)


def _grey(ax: Any, excluded: np.ndarray) -> None:
    """Grey out the entries of a panel that were not compared."""
    if excluded.any():
        overlay = np.ma.masked_where(~excluded, np.ones(excluded.shape))
        ax.imshow(overlay, cmap="Greys", vmin=0, vmax=2, alpha=0.6, interpolation="nearest")


def _where(index: tuple[int, ...], value: float) -> str:
    return f"worst entry (z, y, x) = ({', '.join(str(i) for i in index)}): {value:.3g}"


def error_map_figure(emap: np.ndarray, valid: np.ndarray | None, element: str | None = None) -> Figure:
    """``|f(g·x) − g·f(x)|`` of a volume: slices through its worst entry above its maximum
    projections, one colour scale, excluded entries greyed out."""
    index = worst_index(emap, valid)
    finite = emap[np.isfinite(emap)]
    top = float(finite.max()) if finite.size else 0.0
    scale = {"cmap": "magma", "vmin": 0.0, "vmax": top or 1.0}
    fig = Figure(figsize=(3 * PANEL + 0.6, 2 * PANEL + 0.5))
    axes = fig.subplots(2, 3, squeeze=False)
    fig.subplots_adjust(wspace=0.45, hspace=0.45)
    shown = emap if valid is None else np.where(valid, emap, 0.0)
    for col, (panel, mark) in enumerate(zip(slices(shown, index), _marks(index))):
        image = _panel(axes[0, col], panel, mark, **scale)
        if valid is not None:
            _grey(axes[0, col], ~slices(valid, index)[col][1])
    for col, panel in enumerate(projections(shown)):
        _panel(axes[1, col], panel, None, **scale)
        if valid is not None:
            _grey(axes[1, col], ~valid.any(axis=col))
    _bar(fig, image, list(axes.ravel()))
    where = f" for {element}" if element else ""
    fig.suptitle(f"|f(g·x) − g·f(x)|{where}\n{_where(index, float(emap[index]))}", fontsize=9)
    return fig


def _row(
    fig: Figure,
    axes: Any,
    name: str,
    array: np.ndarray,
    index: tuple[int, ...],
    shape: tuple[int, ...],
    projected: bool,
    **kwargs: Any,
) -> None:
    """One row of the counterexample: a volume's slices (or projections), or another array
    in the first panel (a scalar output's values as a line, a 2-D one as an image)."""
    if array.ndim == 3 and array.size:
        at = _scaled(index, shape, array.shape)
        panels = projections(array) if projected else slices(array, at)
        if "vmin" not in kwargs:  # one colour scale along the row (one colour bar shows it)
            values = np.concatenate([p[1][np.isfinite(p[1])] for p in panels])
            lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
            kwargs = {**kwargs, "vmin": lo, "vmax": hi if hi > lo else lo + 1.0}
        marks = [None] * 3 if projected else _marks(at)
        for col, (panel, mark) in enumerate(zip(panels, marks)):
            image = _panel(axes[col], (f"{name}, {panel[0]}", panel[1], panel[2]), mark, **kwargs)
        _bar(fig, image, list(axes))
        return
    ax = axes[0]
    if array.ndim == 2 and array.size:
        _bar(fig, _panel(ax, (name, array, ("", "")), None, **kwargs), [ax])
    else:
        ax.plot(np.ravel(array), marker=".", markersize=4, linewidth=1)
        ax.tick_params(labelsize=6)
        ax.set_title(name, fontsize=8)
    for other in axes[1:]:
        other.set_visible(False)


def counterexample_figure(arrays: Mapping[str, np.ndarray], element: str | None = None) -> Figure:
    """The input (slices through the worst entry and maximum projections) above the slices of
    f(g·x), g·f(x) and their difference, for a check on a volume."""
    actual = np.asarray(arrays["actual"], dtype=np.float64)
    expected = np.asarray(arrays["expected"], dtype=np.float64)
    x = arrays.get("input")
    emap = arrays.get("error_map")
    valid = arrays.get("valid_mask")
    same = actual.shape == expected.shape
    with np.errstate(invalid="ignore"):
        diff = np.abs(actual - expected) if same else None
    centred = False
    if emap is not None and np.ndim(emap) == 3 and np.size(emap):
        reference = np.asarray(emap, dtype=np.float64)
        mask = (
            np.asarray(valid, dtype=bool)
            if valid is not None and np.shape(valid) == reference.shape
            else None
        )
        index = worst_index(reference, mask)
    elif diff is not None and diff.ndim == 3 and diff.size:
        reference, index = diff, worst_index(diff)
    else:  # an invariant check: no map of the error over the grid, slices through the centre
        volumes = [a for a in (x, actual, expected) if a is not None and np.ndim(a) == 3]
        reference = np.asarray(volumes[0], dtype=np.float64)  # the caller passes one volume at least
        index = tuple(n // 2 for n in reference.shape)
        centred = True
    both = np.concatenate([actual[np.isfinite(actual)].ravel(), expected[np.isfinite(expected)].ravel()])
    lo, hi = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
    rows: list[tuple[str, np.ndarray, bool, dict[str, Any]]] = []
    if x is not None:
        volume = np.asarray(x, dtype=np.float64)
        rows.append(("input x", volume, False, {"cmap": "viridis"}))
        if volume.ndim == 3:
            rows.append(("input x", volume, True, {"cmap": "viridis"}))
    shared = {"cmap": "viridis", "vmin": lo, "vmax": hi if hi > lo else lo + 1.0}
    rows.append(("f(g·x)", actual, False, shared))
    rows.append(("g·f(x)", expected, False, shared))
    if diff is not None:
        rows.append(("|difference|", diff, False, {"cmap": "magma"}))
    fig = Figure(figsize=(3 * PANEL + 0.6, PANEL * len(rows) + 0.5))
    axes = fig.subplots(len(rows), 3, squeeze=False)
    fig.subplots_adjust(wspace=0.45, hspace=0.55)
    for r, (name, array, projected, kwargs) in enumerate(rows):
        _row(fig, axes[r], name, array, index, reference.shape, projected, **kwargs)
    where = f" for g = {element}" if element else ""
    if centred:
        at = f"slices through the centre (z, y, x) = ({', '.join(str(i) for i in index)})"
    else:
        at = _where(index, float(reference[index]))
    fig.suptitle(f"Counterexample{where}\n{at}", fontsize=9)
    return fig
