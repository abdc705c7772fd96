"""Plots of a result, as byte-stable SVG: what people would rather look at than read.

- error per group element: a line for one-parameter elements (angles, scales) or a curve
  the check measured (``extra["curve"]``), heat maps over (dy, dx) for shifts (one panel
  per rotation/flip), bars otherwise;
- the spatial error map ``|f(g·x) - g·f(x)|`` of the worst element (border effects show
  at a glance), with the region excluded from comparison greyed out;
- the counterexample: its input beside the two outputs and their difference.

Those are images for a 2-D grid; a 1-D grid (a signal along ``t``) gets lines
(:mod:`.signals`), a 3-D grid (a volume, (z, y, x)) slices through the worst entry and
maximum projections (:mod:`.volumes`).

Only matplotlib's object API is used (``matplotlib.figure.Figure``, no pyplot state), so
plotting is safe in threads and inside pytest. SVGs carry no date and use a fixed
``svg.hashsalt``: the same result gives the same bytes. Text is drawn from result fields
only as plot labels inside an SVG shown through ``<img>``, where no script can run.

Nothing is cut off: every SVG is saved with a tight bounding box around all its artists plus
a margin (:data:`PAD_INCHES`), so a label that a layout's fractions would have pushed past the
edge widens the image instead; log axes are labelled ``1e-07`` in plain text, not with
mathtext superscripts (which the browser lays out glyph by glyph, in its own font).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from ..result import CheckResult
from ..spec import Spec, parse_spec
from . import signals, volumes
from .grids import error_map_of

__all__ = [
    "Plot",
    "counterexample_figure",
    "element_error_figure",
    "error_map_figure",
    "plain_log",
    "plots",
    "point_error_figure",
    "to_svg",
]

#: Fixed salt for the ids matplotlib puts in SVGs (without it they are random).
HASH_SALT = "equicheck"
#: Bars shown at most in the per-element bar chart (the largest errors).
MAX_BARS = 40
#: Heat-map panels shown at most (one per rotation/flip of a shift group).
MAX_PANELS = 8
#: Margin around the tight bounding box of a saved figure: room for the browser's rendering of
#: text (SVG text is drawn by the browser, in a font close to but not always the one measured).
PAD_INCHES = 0.1
_RED = "#c0392b"
_ANGLE_KEYS = ("degrees", "angle", "theta", "radians")


@dataclass(frozen=True)
class Plot:
    """One rendered figure: a short ``name`` (file stem), ``alt`` text and ``svg`` bytes."""

    name: str
    alt: str
    svg: bytes


#: rcParams for every plot: fixed SVG ids, text as text (small files), one short font list.
STYLE: dict[str, Any] = {
    "svg.hashsalt": HASH_SALT,
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
}


def to_svg(fig: Figure) -> bytes:
    """Render ``fig`` to SVG bytes that are the same on every run (no date, fixed ids), cut
    to the bounding box of everything drawn plus :data:`PAD_INCHES` (no text is clipped)."""
    buffer = io.BytesIO()
    with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]
        fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight", pad_inches=PAD_INCHES)
    return buffer.getvalue()


# --- reading element reprs ------------------------------------------------------------------
def _parts(text: str) -> list[Spec] | None:
    """``'shift(dy=1, dx=-2) * rot90(k=1)'`` -> its factors, or None if it does not parse."""
    try:
        return [parse_spec(p) for p in text.split(" * ")]
    except Exception:  # noqa: BLE001 - any repr we cannot read just gets a bar
        return None


def _shift_of(parts: list[Spec]) -> tuple[tuple[int, int], str] | None:
    """(dy, dx) and the rest of the element (its rotation/flip), for grid elements."""
    dy = dx = 0
    rest = []
    for p in parts:
        if p.name == "shift" and not p.args:
            if not set(p.params) <= {"dy", "dx"}:
                return None  # a shift of a 1-D or 3-D grid (_lattice_shift)
            try:
                dy, dx = int(p.params.get("dy", 0)), int(p.params.get("dx", 0))
            except (TypeError, ValueError):
                return None
        elif p.name == "identity":
            continue
        else:
            rest.append(str(p))
    return (dy, dx), " * ".join(rest) or "identity()"


#: The offsets a shift of a 1-D or 3-D grid names, in array order.
_LATTICE_OFFSETS = ({"dt"}, {"dz", "dy", "dx"})


def _lattice_shift(text: str, parts: list[Spec]) -> tuple[tuple[int, ...] | None, str] | None:
    """The integer shift ``(dt,)`` or ``(dz, dy, dx)`` of the element ``text`` (its factors
    ``parts``) of a 1-D or 3-D lattice group (None: it has none) and the rest of it, as
    written (its flip or rotation, ``identity()`` for none); None for anything else.
    ``rotation()``, the 3-D identity, is no rest."""
    shift = None
    rest = []
    for raw, p in zip(text.split(" * "), parts):
        if p.name == "shift" and not p.args and set(p.params) in _LATTICE_OFFSETS:
            names = ("dt",) if "dt" in p.params else ("dz", "dy", "dx")
            values = [p.params[n] for n in names]
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                return None
            shift = tuple(values)
        elif p.name in ("identity", "rotation") and not p.params and not p.args:
            continue
        else:
            rest.append(raw)
    return shift, " * ".join(rest) or "identity()"


def _one_parameter(parts: list[Spec]) -> tuple[str, str, float] | None:
    """(element name, parameter, value) for elements such as ``rotate(degrees=30.0)``."""
    if len(parts) != 1:
        return None
    p = parts[0]
    if p.name == "identity":
        return ("identity", "", 0.0)
    # ``dims`` names the grid (scale(factor=1.1, dims=1)), not a parameter of the element
    values = [(k, v) for k, v in p.params.items() if k != "dims"] + [("", v) for v in p.args]
    if len(values) != 1:
        return None
    key, value = values[0]
    # integer parameters (rot90(k=1)) name a finite set: bars suit them better than a line
    if isinstance(value, bool) or not isinstance(value, float):
        return None
    return (p.name, key, value)


def plain_log(axis: Any) -> None:
    """Label a log axis (or a log colour bar's) ``1e-05`` in plain text rather than with
    mathtext: mathtext writes each glyph of ``10⁻⁵`` as its own positioned ``<tspan>``, which
    a browser with other font metrics overlaps or cuts, and parsing it is slow."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0e}"))
    axis.set_minor_formatter(NullFormatter())


def _floor(values: Sequence[float], tolerance: float) -> float:
    positive = [v for v in values if v > 0 and math.isfinite(v)]
    low = min(positive + ([tolerance] if tolerance > 0 else []), default=1.0)
    return low / 100.0


def _clean(values: Sequence[float], floor: float) -> np.ndarray:
    out = np.asarray([v if math.isfinite(v) else np.nan for v in values], dtype=np.float64)
    return np.where(out > floor, out, floor)


# --- error per element ---------------------------------------------------------------------------
def _curve(result: CheckResult) -> dict[str, Any] | None:
    curve = result.extra.get("curve")
    if not isinstance(curve, Mapping):
        return None
    values, errors = curve.get("values"), curve.get("errors")
    if not values or not errors or len(values) != len(errors):
        return None  # a curve that could not be drawn (it says why in "note")
    return dict(curve)


def _tolerance_line(ax: Any, result: CheckResult) -> None:
    if result.tolerance > 0:
        ax.axhline(result.tolerance, color=_RED, linestyle="--", linewidth=1, label="tolerance")


def _line_figure(
    result: CheckResult,
    xs: Sequence[float],
    errors: Sequence[float],
    xlabel: str,
    floor_curve: Sequence[float] | None = None,
    kappa: float | None = None,
) -> Figure:
    """Errors along one parameter; with a floor curve, the floor and (with ``kappa``) the
    allowed error ``kappa * floor`` the check judged by, instead of one tolerance line."""
    order = np.argsort(np.asarray(xs, dtype=np.float64), kind="stable")
    x = np.asarray(xs, dtype=np.float64)[order]
    has_floor = floor_curve is not None and len(floor_curve) == len(xs)
    floor = _floor(list(errors) + list(floor_curve or []), result.tolerance)
    y = _clean(errors, floor)[order]
    fig = Figure(figsize=(7.0, 3.2))
    ax = fig.add_subplot()
    ax.plot(x, y, marker="o", markersize=3, linewidth=1.2, label="error")
    limit = np.full(y.shape, result.tolerance)
    if has_floor:
        assert floor_curve is not None
        floor_y = _clean(floor_curve, floor)[order]
        ax.plot(x, floor_y, color="grey", linewidth=1, label="interpolation floor")
        if kappa:
            limit = np.maximum(kappa * floor_y, result.tolerance if not result.exact else 0.0)
            ax.plot(
                x,
                kappa * floor_y,
                color=_RED,
                linestyle="--",
                linewidth=1,
                label=f"allowed ({kappa:g} × floor)",
            )
    if not (has_floor and kappa):
        _tolerance_line(ax, result)
    bad = y > limit
    if bad.any():
        ax.plot(x[bad], y[bad], linestyle="none", marker="x", color=_RED, label="above the limit")
    ax.set_yscale("log")
    plain_log(ax.yaxis)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("error")
    ax.set_title("Error per group element")
    fig.subplots_adjust(left=0.11, right=0.97, top=0.9, bottom=0.16)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return fig


def _bar_figure(result: CheckResult) -> Figure:
    errors = sorted(result.errors, key=lambda e: -e.max_error)[:MAX_BARS]
    errors.sort(key=lambda e: (e.element != "identity()", e.element))
    names = [e.element for e in errors]
    floor = _floor([e.max_error for e in errors], result.tolerance)
    y = _clean([e.max_error for e in errors], floor)
    fig = Figure(figsize=(7.0, 3.4 if len(names) <= 8 else 4.2))
    ax = fig.add_subplot()
    colors = [_RED if v > result.tolerance else "#4c72b0" for v in y]
    ax.bar(range(len(names)), y - floor, bottom=floor, color=colors)
    _tolerance_line(ax, result)
    ax.set_yscale("log")
    plain_log(ax.yaxis)
    ax.set_xticks(range(len(names)))
    rotation = 0 if len(names) <= 4 and max((len(n) for n in names), default=0) < 18 else 60
    ax.set_xticklabels(names, rotation=rotation, ha="right" if rotation else "center", fontsize=7)
    ax.set_ylabel("largest error")
    shown = f" (largest {len(names)} of {len(result.errors)})" if len(result.errors) > len(names) else ""
    ax.set_title("Error per group element" + shown)
    fig.subplots_adjust(left=0.11, right=0.97, top=0.9, bottom=0.45 if rotation else 0.14)
    ax.grid(True, axis="y", alpha=0.3)
    return fig


def _heatmap_figure(
    result: CheckResult,
    cells: dict[str, dict[tuple[int, int], float]],
    title: str = "Error per shift (dy, dx)",
    keys: list[str] | None = None,
) -> Figure:
    """Heat maps over (dy, dx), one panel per rest of the element (its rotation/flip); the
    panels ``keys`` (default: identity first, then by name), at most :data:`MAX_PANELS`."""
    keys = (keys or sorted(cells, key=lambda k: (k != "identity()", k)))[:MAX_PANELS]
    all_shifts = [s for k in keys for s in cells[k]]
    dys = [s[0] for s in all_shifts]
    dxs = [s[1] for s in all_shifts]
    y0, y1, x0, x1 = min(dys), max(dys), min(dxs), max(dxs)
    values = [v for k in keys for v in cells[k].values()]
    floor = _floor(values, result.tolerance)
    top = max([v for v in values if math.isfinite(v)] + [result.tolerance, floor * 10])
    norm = LogNorm(vmin=floor, vmax=top)
    cols = min(len(keys), 4)
    rows = -(-len(keys) // cols)
    # margins in inches, whatever the number of panels: 0.55 left for the dy ticks and label,
    # 1.05 right for the colour bar with its tick labels and label
    width, height = 2.6 * cols + 1.6, 2.5 * rows + 0.7
    fig = Figure(figsize=(width, height))
    axes = fig.subplots(rows, cols, squeeze=False)
    fig.subplots_adjust(
        left=0.55 / width,
        right=1 - 1.05 / width,
        top=1 - 0.6 / height,
        bottom=0.45 / height,
        wspace=0.35,
        hspace=0.5,
    )
    image = None
    marked = False
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#eeeeee")
    for ax, key in zip(axes.flat, keys):
        grid = np.full((y1 - y0 + 1, x1 - x0 + 1), np.nan)
        for (dy, dx), v in cells[key].items():
            grid[dy - y0, dx - x0] = max(v, floor) if math.isfinite(v) else np.nan
        image = ax.imshow(
            np.ma.masked_invalid(grid),
            origin="upper",
            extent=(x0 - 0.5, x1 + 0.5, y1 + 0.5, y0 - 0.5),
            cmap=cmap,
            norm=norm,
            interpolation="nearest",
        )
        bad = [(dy, dx) for (dy, dx), v in cells[key].items() if v > result.tolerance]
        if bad and len(bad) <= 400:
            ax.scatter([b[1] for b in bad], [b[0] for b in bad], marker="x", s=12, color=_RED, linewidths=1)
            marked = True
        ax.set_title(key, fontsize=8)
        ax.set_xlabel("dx", fontsize=8)
        ax.set_ylabel("dy", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    for ax in list(axes.flat)[len(keys) :]:
        ax.set_visible(False)
    if image is not None:
        box = axes[0, 0].get_position()
        bottom = axes[rows - 1, 0].get_position().y0
        cax = fig.add_axes((1 - 0.85 / width, bottom, 0.12 / width, box.y1 - bottom))
        bar = fig.colorbar(image, cax=cax)
        plain_log(bar.ax.yaxis)
        bar.ax.tick_params(labelsize=7)
        bar.set_label("largest error", fontsize=8)
    fig.suptitle(title + ("; red x: above tolerance" if marked else ""), fontsize=10)
    return fig


def _signal_shift_figure(result: CheckResult, series: dict[str, dict[int, float]]) -> Figure:
    """Error per shift dt of a 1-D lattice group: one line per rest of the element (the plain
    shifts, the shifts times the reflection), red × above tolerance."""
    values = [v for line in series.values() for v in line.values()]
    floor = _floor(values, result.tolerance)
    fig = Figure(figsize=(7.0, 3.2))
    ax = fig.add_subplot()
    for rest in sorted(series, key=lambda k: (k != "identity()", k)):
        dts = sorted(series[rest])
        y = _clean([series[rest][t] for t in dts], floor)
        label = "shift(dt)" if rest == "identity()" else f"shift(dt) * {rest}"
        ax.plot(dts, y, marker="o", markersize=3, linewidth=1.2, label=label)
        bad = y > result.tolerance
        if bad.any():
            ax.plot(np.asarray(dts)[bad], y[bad], linestyle="none", marker="x", color=_RED)
    _tolerance_line(ax, result)
    ax.set_yscale("log")
    plain_log(ax.yaxis)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("shift dt")
    ax.set_ylabel("largest error")
    ax.set_title(
        "Error per shift dt"
        + ("; red x: above tolerance" if any(v > result.tolerance for v in values) else "")
    )
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return fig


def _lattice_figure(
    result: CheckResult, found: list[tuple[float, tuple[int, ...] | None, str]]
) -> Figure | None:
    """The error per shift of a 1-D or 3-D lattice group (``found``: error, shift, rest per
    element): lines over dt for 1-D; for 3-D heat maps over (dy, dx) of the largest error
    over dz, one panel per rotation, the worst rotations first. None: fewer than 3 shifts."""
    dims = {len(shift) for _, shift, _ in found if shift is not None}
    if len(dims) != 1:
        return None
    d = dims.pop()
    shifts = {shift or (0,) * d for _, shift, _ in found}
    if len(shifts) < 3:
        return None
    if d == 1:
        series: dict[str, dict[int, float]] = {}
        for error, shift, rest in found:
            line = series.setdefault(rest, {})
            dt = shift[0] if shift else 0
            line[dt] = max(line.get(dt, 0.0), error)
        return _signal_shift_figure(result, series)
    cells: dict[str, dict[tuple[int, int], float]] = {}
    worst: dict[str, float] = {}
    for error, shift, rest in found:
        _, dy, dx = shift or (0, 0, 0)
        slot = cells.setdefault(rest, {})
        slot[(dy, dx)] = max(slot.get((dy, dx), 0.0), error)
        worst[rest] = max(worst.get(rest, 0.0), error if math.isfinite(error) else math.inf)
    keys = sorted(cells, key=lambda k: (k != "identity()", -worst[k], k))
    shown = f", {min(len(keys), MAX_PANELS)} of {len(keys)} rotations" if len(keys) > MAX_PANELS else ""
    return _heatmap_figure(result, cells, f"Error per shift (dy, dx), the largest over dz{shown}", keys)


def element_error_figure(result: CheckResult) -> Figure | None:
    """The error per group element, in the plot that suits the group (None: no elements)."""
    curve = _curve(result)
    if curve is not None:
        label = str(curve.get("parameter", "parameter"))
        if label == "angle":
            label = "rotation angle (degrees)"
        floor_curve = curve.get("floor")
        kappa = curve.get("kappa")
        return _line_figure(
            result,
            [float(v) for v in curve["values"]],
            [float(v) for v in curve["errors"]],
            label,
            [float(v) for v in floor_curve] if floor_curve is not None else None,
            float(kappa) if isinstance(kappa, (int, float)) else None,
        )
    if not result.errors:
        return None
    parsed = [(e, _parts(e.element)) for e in result.errors]
    if all(p is not None for _, p in parsed):
        shifts = [(e, _shift_of(p)) for e, p in parsed if p is not None]
        if all(s is not None for _, s in shifts) and len({s[0] for _, s in shifts if s}) >= 3:
            cells: dict[str, dict[tuple[int, int], float]] = {}
            for e, s in shifts:
                assert s is not None
                slot = cells.setdefault(s[1], {})
                slot[s[0]] = max(slot.get(s[0], 0.0), e.max_error)
            return _heatmap_figure(result, cells)
        lattice = [(e.max_error, _lattice_shift(e.element, p)) for e, p in parsed if p is not None]
        if all(s is not None for _, s in lattice):
            fig = _lattice_figure(result, [(err, s[0], s[1]) for err, s in lattice if s is not None])
            if fig is not None:
                return fig
        ones = [(e, _one_parameter(p)) for e, p in parsed if p is not None]
        named = {o[:2] for _, o in ones if o is not None and o[0] != "identity"}
        if all(o is not None for _, o in ones) and len(named) == 1 and len(ones) >= 3:
            name, key = next(iter(named))
            xlabel = f"{name}({key})" if key else name
            if key in _ANGLE_KEYS:
                xlabel = f"rotation angle ({key})"
            pairs = [(o[2], e.max_error) for e, o in ones if o is not None]
            return _line_figure(result, [p[0] for p in pairs], [p[1] for p in pairs], xlabel)
    return _bar_figure(result)


# --- arrays: error map and counterexample ---------------------------------------------------------
def _arrays(source: Mapping[str, Any] | None) -> dict[str, np.ndarray]:
    if not source:
        return {}
    return {k: np.asarray(v) for k, v in source.items()}


def _show(fig: Figure, ax: Any, image: np.ndarray, title: str, **kwargs: Any) -> None:
    if image.ndim == 2:
        shown = ax.imshow(image, interpolation="nearest", **kwargs)
        fig.colorbar(shown, ax=ax, shrink=0.8).ax.tick_params(labelsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        ax.plot(np.ravel(image), linewidth=1)
        ax.tick_params(labelsize=7)
    ax.set_title(title, fontsize=9)


def error_map_figure(arrays: Mapping[str, Any] | None, element: str | None = None) -> Figure | None:
    """``|f(g·x) - g·f(x)|`` over the grid for the worst element; None without an error map.
    An image for a 2-D grid, a line along t for 1-D (:mod:`.signals`), slices through the
    worst entry and maximum projections for 3-D (:mod:`.volumes`)."""
    found = _arrays(arrays)
    emap = found.get("error_map")
    if emap is None or emap.size == 0:
        return None
    grid = error_map_of(found)  # a 1-D or 3-D map (with its mask), None for 2-D
    if grid is not None:
        return (signals if emap.ndim == 1 else volumes).error_map_figure(*grid, element)
    if emap.ndim != 2:
        return None
    fig = Figure(figsize=(4.6, 3.8))
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.05, right=0.95, top=0.9, bottom=0.05)
    finite = emap[np.isfinite(emap)]
    top = float(finite.max()) if finite.size else 0.0
    _show(fig, ax, np.where(np.isfinite(emap), emap, np.nan), "", cmap="magma", vmin=0.0, vmax=top or 1.0)
    mask = found.get("valid_mask")
    if mask is not None and mask.shape == emap.shape and not mask.all():
        overlay = np.ma.masked_where(mask.astype(bool), np.ones(emap.shape))
        ax.imshow(overlay, cmap="Greys", vmin=0, vmax=2, alpha=0.6, interpolation="nearest")
    where = f" for {element}" if element else ""
    ax.set_title(f"|f(g·x) − g·f(x)|{where}", fontsize=9)
    return fig


def point_error_figure(arrays: Mapping[str, Any] | None, element: str | None = None) -> Figure | None:
    """``max |f(g·x) − g·f(x)|`` per point (atom, node), the worst one marked; None without."""
    errors = _arrays(arrays).get("point_error")
    if errors is None or errors.ndim != 1 or errors.size == 0:
        return None
    fig = Figure(figsize=(4.6, 2.8))
    ax = fig.add_subplot()
    worst = int(np.nanargmax(errors)) if np.isfinite(errors).any() else 0
    colours = ["#c0392b" if i == worst else "#7f8c8d" for i in range(errors.size)]
    ax.bar(np.arange(errors.size), errors, color=colours)
    ax.set_xlabel("point", fontsize=8)
    ax.set_ylabel("max |difference|", fontsize=8)
    ax.tick_params(labelsize=7)
    where = f" for {_shorten(element, 40)}" if element else ""
    ax.set_title(f"error per point (worst: {worst}){where}", fontsize=9)
    return fig


def counterexample_figure(arrays: Mapping[str, Any] | None, element: str | None = None) -> Figure | None:
    """The input beside f(g·x), g·f(x) and their difference; None without arrays. Images for
    a 2-D grid, lines for 1-D (:mod:`.signals`), slices and projections for 3-D (:mod:`.volumes`)."""
    found = _arrays(arrays)
    if "actual" not in found or "expected" not in found:
        return None
    if any(a.ndim == 3 for a in found.values()):  # a volume: slices and projections
        return volumes.counterexample_figure(found, element)
    emap = found.get("error_map")
    if emap is not None and emap.ndim == 1 and emap.size:  # a signal: lines along t
        return signals.counterexample_figure(found, element)
    actual = np.asarray(found["actual"], dtype=np.float64)
    expected = np.asarray(found["expected"], dtype=np.float64)
    panels: list[tuple[str, np.ndarray, dict[str, Any]]] = []
    if "input" in found:
        panels.append(("input x", np.asarray(found["input"], dtype=np.float64), {"cmap": "viridis"}))
    both = np.concatenate([actual[np.isfinite(actual)].ravel(), expected[np.isfinite(expected)].ravel()])
    lo, hi = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
    shared = {"cmap": "viridis", "vmin": lo, "vmax": hi if hi > lo else lo + 1.0}
    g = element or "g"
    panels.append((f"f({g}·x)", actual, shared))
    panels.append((f"{g}·f(x)", expected, shared))
    if actual.shape == expected.shape:
        panels.append(("|difference|", np.abs(actual - expected), {"cmap": "magma"}))
    fig = Figure(figsize=(3.0 * len(panels), 3.0))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    fig.subplots_adjust(left=0.03, right=0.97, top=0.85, bottom=0.06, wspace=0.3)
    for ax, (title, image, kwargs) in zip(axes, panels):
        _show(fig, ax, image, _shorten(title, 34), **(kwargs if image.ndim == 2 else {}))
    return fig


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --- all plots of a result ---------------------------------------------------------------------------
def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:60] or "check"


def plots(result: CheckResult, *, arrays: bool = True) -> list[Plot]:
    """Every plot of ``result``, rendered: errors per element, the error map of the worst
    element, and for a failure its counterexample (without ``arrays``: the first only)."""
    with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]
        return _plots(result, arrays)


def _plots(result: CheckResult, arrays: bool) -> list[Plot]:
    out: list[Plot] = []
    stem = _slug(result.function.rsplit(".", 1)[-1])
    fig = element_error_figure(result)
    if fig is not None:
        out.append(Plot(f"{stem}-elements", f"Error per group element of {result.function}", to_svg(fig)))
    if not arrays:
        return out
    ce = result.counterexample
    worst = result.extra.get("worst_arrays")
    if worst:
        fig = error_map_figure(worst, result.worst_element)
        alt = f"Spatial error map for the worst element {result.worst_element}"
    elif ce is not None and ce.arrays:
        fig = error_map_figure(ce.arrays, ce.element)
        alt = f"Spatial error map of the counterexample {ce.element}"
    else:
        fig = None
    if fig is not None:
        out.append(Plot(f"{stem}-error-map", alt, to_svg(fig)))
    source, shown = (ce.arrays, ce.element) if ce is not None and ce.arrays else (worst, result.worst_element)
    fig = point_error_figure(source, shown)
    if fig is not None:
        out.append(Plot(f"{stem}-points", f"Error per point for {shown}", to_svg(fig)))
    if ce is not None and ce.arrays:
        fig = counterexample_figure(ce.arrays, ce.element)
        if fig is not None:
            out.append(Plot(f"{stem}-counterexample", f"Counterexample for {ce.element}", to_svg(fig)))
    return out
