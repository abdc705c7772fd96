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


#: The longest side of a grid kept for reports, per number of grid axes (longer ones are strided;
#: a volume's error map is reduced by its maximum over blocks, so the worst entry stays).
_MAX_SIDE = {1: 4096, 2: 128, 3: 32}


def _block_max(arr: np.ndarray, step: int, fill: Any) -> np.ndarray:
    """The maximum of ``arr`` over blocks of ``step`` entries along every axis (the shape of
    ``arr[::step, ::step, ...]``); ``fill`` pads the last, partial blocks."""
    pads = [(0, -n % step) for n in arr.shape]
    padded = np.pad(arr, pads, constant_values=fill)
    blocks = padded.reshape([v for n in padded.shape for v in (n // step, step)])
    return blocks.max(axis=tuple(range(1, blocks.ndim, 2)))


def _volume_step(shape: tuple[int, ...]) -> int:
    """The block a volume of ``shape`` is reduced by for reports (1: kept whole)."""
    return -(-max(shape) // _MAX_SIDE[3]) if len(shape) == 3 and max(shape) > _MAX_SIDE[3] else 1


def _in_grid_order(arr: np.ndarray, ax: tuple[int, ...]) -> np.ndarray:
    """``arr`` (the grid axes in increasing array order) with its axes in the order of ``ax``."""
    ranked = sorted(ax)
    perm = [ranked.index(a) for a in ax]
    return arr if perm == sorted(perm) else arr.transpose(perm)


def _grid_view(backend: Backend, x: Any, action: Action | None) -> np.ndarray:
    """A small host view for reports: the grid (1, 2 or 3 axes, in the action's order) of the
    first sample/channel, or the first values when the array has no grid."""
    xp = backend.xp
    spatial = action.spatial if action is not None else None
    d = len(spatial.axes) if spatial is not None else 0
    if spatial is not None and x.ndim >= d:
        ax = spatial.grid_axes(x.ndim)
        index = tuple(slice(None) if i in ax else 0 for i in range(x.ndim))
        out = _in_grid_order(np.asarray(backend.to_host(x[index])), ax)
    else:
        out = backend.to_host(xp.reshape(x, (-1,))[:256])
    out = np.asarray(out, dtype=np.float64)
    limit = _MAX_SIDE.get(out.ndim, 128)
    if out.ndim and max(out.shape) > limit:
        step = -(-max(out.shape) // limit)
        out = out[(slice(None, None, step),) * out.ndim]
    return out


def report_arrays(
    backend: Backend, case: Case, a: Any, b: Any, mask: Any, out_action: Action, in_action: Action | None
) -> dict[str, np.ndarray]:
    """Small host arrays for reports: the input, f(g·x), g·f(x) and |difference| over the grid."""
    xp = backend.xp
    first = next(iter(case.values()))
    arrays = {
        "input": _grid_view(backend, first, in_action),
        "actual": _grid_view(backend, a, out_action),
        "expected": _grid_view(backend, b, out_action),
    }
    point_error = _point_error(backend, a, b, out_action)
    if point_error is not None:
        arrays["point_error"] = point_error
    spatial = out_action.spatial
    if spatial is not None and a.ndim >= len(spatial.axes):
        with np.errstate(invalid="ignore"):
            diff = xp.abs(xp.astype(a, xp.float64) - xp.astype(b, xp.float64))
        if mask is not None:
            diff = xp.where(mask, diff, xp.zeros_like(diff))
        ax = spatial.grid_axes(a.ndim)
        others = tuple(i for i in range(a.ndim) if i not in ax)
        emap = xp.max(diff, axis=others) if others else diff
        emap = _in_grid_order(np.asarray(backend.to_host(emap), dtype=np.float64), ax)
        step = _volume_step(emap.shape)
        arrays["error_map"] = _block_max(emap, step, 0.0) if step > 1 else emap
        if mask is not None:
            m = np.asarray(backend.to_host(mask), dtype=bool)
            m = np.broadcast_to(m, a.shape)[tuple(slice(None) if i in ax else 0 for i in range(a.ndim))]
            m = _in_grid_order(np.ascontiguousarray(m), ax)
            arrays["valid_mask"] = _block_max(m, step, False) if step > 1 else m
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
    if spatial is None or bad.ndim < len(spatial.axes):
        return None
    ax = spatial.grid_axes(bad.ndim)
    others = tuple(i for i in range(bad.ndim) if i not in ax)
    grid = bad.any(axis=others) if others else bad
    return _in_grid_order(grid, ax)


def mismatched_grid(
    backend: Backend, a: Any, b: Any, mask: Any, rtol: float, floor: float, batched: bool, out_action: Action
) -> np.ndarray | None:
    """Which entries of the output's grid mismatch (for :func:`border_band`)."""
    diff, valid, scale, _, _ = _host_figures(backend, a, b, mask, floor, batched)
    return _grid_of((diff > rtol * scale) & valid, out_action)


def border_band(bad: np.ndarray | None) -> int | None:
    """``k`` when every mismatched entry of the grid ``bad`` (1, 2 or 3 axes) lies within ``k``
    entries of its border and the grid has a clean interior at least half its size
    (every side >= 4k); None otherwise (nothing mismatched, mismatches inside, or a grid too
    small to tell)."""
    if bad is None or bad.ndim not in (1, 2, 3) or not bad.any():
        return None
    where = np.nonzero(bad)
    depth = np.min([np.minimum(i, n - 1 - i) for i, n in zip(where, bad.shape)], axis=0)
    k = int(depth.max()) + 1
    return k if min(bad.shape) >= 4 * k else None


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
