"""What a result shows of a comparison: small host arrays for reports, numpy-style figures.

Computed once per check (for the worst comparison and for the final, shrunk failure), never
per example.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..actions import Action
from ..backends import Backend
from .plan import Case

__all__ = ["MismatchFigures", "border_band", "mismatch_figures", "mismatched_grid", "report_arrays"]


def _slice2d(backend: Backend, x: Any, action: Action | None) -> np.ndarray:
    """A small host view for reports: the grid of the first sample/channel, or the first values."""
    xp = backend.xp
    spatial = action.spatial if action is not None else None
    if spatial is not None and x.ndim >= 2:
        a, b = spatial.grid_axes(x.ndim)
        index = tuple(slice(None) if i in (a, b) else 0 for i in range(x.ndim))
        out = backend.to_host(x[index])
        if a > b:
            out = out.T
    else:
        out = backend.to_host(xp.reshape(x, (-1,))[:256])
    out = np.asarray(out, dtype=np.float64)
    if out.ndim == 2 and max(out.shape) > 128:
        step = -(-max(out.shape) // 128)
        out = out[::step, ::step]
    return out


def report_arrays(
    backend: Backend, case: Case, a: Any, b: Any, mask: Any, out_action: Action, in_action: Action | None
) -> dict[str, np.ndarray]:
    """Small host arrays for reports: the input, f(g·x), g·f(x) and |difference| over the grid."""
    xp = backend.xp
    first = next(iter(case.values()))
    arrays = {
        "input": _slice2d(backend, first, in_action),
        "actual": _slice2d(backend, a, out_action),
        "expected": _slice2d(backend, b, out_action),
    }
    point_error = _point_error(backend, a, b, out_action)
    if point_error is not None:
        arrays["point_error"] = point_error
    spatial = out_action.spatial
    if spatial is not None and a.ndim >= 2:
        with np.errstate(invalid="ignore"):
            diff = xp.abs(xp.astype(a, xp.float64) - xp.astype(b, xp.float64))
        if mask is not None:
            diff = xp.where(mask, diff, xp.zeros_like(diff))
        ax = spatial.grid_axes(a.ndim)
        others = tuple(i for i in range(a.ndim) if i not in ax)
        emap = xp.max(diff, axis=others) if others else diff
        emap = backend.to_host(emap)
        if ax[0] > ax[1]:
            emap = emap.T
        arrays["error_map"] = np.asarray(emap, dtype=np.float64)
        if mask is not None:
            m = np.squeeze(backend.to_host(mask))
            arrays["valid_mask"] = np.asarray(m, dtype=bool) if m.ndim == 2 else np.ones(emap.shape, bool)
    return arrays


def _point_error(backend: Backend, a: Any, b: Any, out_action: Action) -> np.ndarray | None:
    """``max |a - b|`` per point (over every axis but the point axis) for outputs with one."""
    ax = None if a.ndim == 0 else out_action.point_axis(a.ndim)
    if ax is None or math.prod(a.shape) == 0:  # a graph without edges has no per-edge error
        return None
    ha = np.asarray(backend.to_host(a), dtype=np.float64)
    hb = np.asarray(backend.to_host(b), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        diff = np.moveaxis(np.abs(ha - hb), ax, 0).reshape(ha.shape[ax], -1)
    return diff.max(axis=1, initial=0.0)


@dataclass
class MismatchFigures:
    """The failure's numpy-style figures: entries mismatched, greatest differences and where."""

    max_abs_diff: float
    worst_index: list[int]
    max_rel_diff: float
    worst_rel_index: list[int]
    mismatched: int
    compared: int
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    #: the mismatched entries of the grid (any sample or channel), None without a grid
    bad_grid: np.ndarray | None = None


def _host_figures(
    backend: Backend, a: Any, b: Any, mask: Any, floor: float, batched: bool
) -> tuple[np.ndarray, np.ndarray, Any, np.ndarray, np.ndarray]:
    """|a - b| over the compared entries, the mask, the per-sample scale (max |output|, at
    least the floor) broadcast against them, and a, b on the host in float64."""
    ha = backend.to_host(a).astype(np.float64)
    hb = backend.to_host(b).astype(np.float64)
    with np.errstate(invalid="ignore"):  # inf - inf: NaN, shown as such
        diff = np.abs(ha - hb)
    valid = np.ones(diff.shape, bool) if mask is None else np.broadcast_to(backend.to_host(mask), diff.shape)
    diff = np.where(valid, diff, 0.0)
    if batched and diff.ndim:
        scale = (np.maximum(np.abs(ha), np.abs(hb)) * valid).reshape(diff.shape[0], -1).max(axis=1)
        scale = np.maximum(scale, floor).reshape((-1,) + (1,) * (diff.ndim - 1))
    else:
        scale = max(float(np.max(np.maximum(np.abs(ha), np.abs(hb)) * valid, initial=0.0)), floor)
    return diff, valid, scale, ha, hb


def _grid_of(bad: np.ndarray, out_action: Action) -> np.ndarray | None:
    """``bad`` reduced to the output's grid (any entry along the other axes), None without one."""
    spatial = out_action.spatial
    if spatial is None or bad.ndim < 2:
        return None
    ax = spatial.grid_axes(bad.ndim)
    others = tuple(i for i in range(bad.ndim) if i not in ax)
    grid = bad.any(axis=others) if others else bad
    return grid.T if ax[0] > ax[1] else grid


def mismatched_grid(
    backend: Backend, a: Any, b: Any, mask: Any, rtol: float, floor: float, batched: bool, out_action: Action
) -> np.ndarray | None:
    """Which entries of the output's grid mismatch (for :func:`border_band`)."""
    diff, valid, scale, _, _ = _host_figures(backend, a, b, mask, floor, batched)
    return _grid_of((diff > rtol * scale) & valid, out_action)


def border_band(bad: np.ndarray | None) -> int | None:
    """``k`` when every mismatched entry of the grid ``bad`` lies within ``k`` entries of its
    border and the grid has a clean interior at least half its size (``min(H, W) >= 4k``);
    None otherwise (nothing mismatched, mismatches inside, or a grid too small to tell)."""
    if bad is None or bad.ndim != 2 or not bad.any():
        return None
    h, w = bad.shape
    i, j = np.nonzero(bad)
    depth = np.minimum(np.minimum(i, h - 1 - i), np.minimum(j, w - 1 - j))
    k = int(depth.max()) + 1
    return k if min(h, w) >= 4 * k else None


def mismatch_figures(
    backend: Backend,
    a: Any,
    b: Any,
    mask: Any,
    rtol: float,
    floor: float,
    batched: bool,
    case: Case,
    out_action: Action,
    in_action: Action,
) -> MismatchFigures:
    """Figures of one failing comparison ``a = f(g·x)`` against ``b = g·f(x)``.

    The relative difference of an entry is |a - b| over its sample's scale (max |output| of
    that sample, at least the floor ``atol/rtol·max|x|``), as the verdict measures it, not over
    the entry itself: an entry near zero would make any difference look huge."""
    diff, valid, scale, _, _ = _host_figures(backend, a, b, mask, floor, batched)
    bad = (diff > rtol * scale) & valid
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(scale > 0, diff / scale, np.where(diff > 0, np.inf, 0.0))
    rel = np.where(valid, rel, 0.0)
    worst_rel = np.unravel_index(int(np.argmax(rel)), rel.shape) if rel.size else ()
    return MismatchFigures(
        max_abs_diff=float(diff.max(initial=0.0)),
        worst_index=[int(i) for i in worst],
        max_rel_diff=float(rel.max(initial=0.0)),
        worst_rel_index=[int(i) for i in worst_rel],
        mismatched=int(bad.sum()),
        compared=int(valid.sum()),
        arrays=report_arrays(backend, case, a, b, mask, out_action, in_action),
        bad_grid=_grid_of(bad, out_action),
    )
