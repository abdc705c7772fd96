"""What an error map over a 1-D or 3-D grid says, in words: for Markdown, the HTML facts and
the figures' titles.

A report's arrays (``error_map``, ``valid_mask``, ...) have the grid's dimensionality: (n,)
along ``t`` for 1-D, (H, W) for 2-D, (D, H, W) in array order (z, y, x) for 3-D. 2-D maps are
shown as images and need no words; here, for 1-D: the worst entry, a sparkline of the error
along the axis, the largest entries and the excluded stretches; for 3-D: the worst entry's
(z, y, x) index and, per axis, the slice holding the most error. NumPy only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = [
    "AXES",
    "SPARK_WIDTH",
    "error_map_facts",
    "error_map_lines",
    "error_map_of",
    "excluded_runs",
    "slice_totals",
    "sparkline",
    "worst_index",
]

#: Names of the grid axes by dimensionality, in array order.
AXES = {1: ("t",), 2: ("y", "x"), 3: ("z", "y", "x")}
#: Characters of a sparkline, from no error to the largest.
SPARK = "▁▂▃▄▅▆▇█"
#: Sparkline length at most: longer signals are cut into this many stretches (max of each).
SPARK_WIDTH = 64
#: Entries listed in the 1-D summary's "largest" line.
TOP = 5


def error_map_of(arrays: Mapping[str, Any] | None) -> tuple[np.ndarray, np.ndarray | None] | None:
    """The error map (float64) and its valid mask (bool, or None: all compared) of a result's
    arrays, when the map is a non-empty 1-D or 3-D grid; None otherwise (2-D maps and maps
    that are absent or empty, which :func:`error_map_lines` does not describe)."""
    if not arrays or arrays.get("error_map") is None:
        return None
    emap = np.asarray(arrays["error_map"], dtype=np.float64)
    if emap.ndim not in (1, 3) or emap.size == 0:
        return None
    mask = arrays.get("valid_mask")
    valid = np.asarray(mask, dtype=bool) if mask is not None else None
    return emap, (valid if valid is not None and valid.shape == emap.shape else None)


def worst_index(emap: np.ndarray, valid: np.ndarray | None = None) -> tuple[int, ...]:
    """The index of the largest error among the compared entries; a non-finite entry (NaN,
    inf) counts as the largest. The first entry when nothing was compared."""
    score = np.where(np.isfinite(emap), emap, np.inf)
    if valid is not None:
        score = np.where(valid, score, -np.inf)
    if score.size == 0:
        return ()
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(score)), emap.shape))


def slice_totals(emap: np.ndarray, axis: int) -> np.ndarray:
    """The summed finite error of each slice across ``axis`` (how the error is spread along it)."""
    finite = np.where(np.isfinite(emap), emap, 0.0)
    others = tuple(i for i in range(emap.ndim) if i != axis)
    return finite.sum(axis=others) if others else finite


def sparkline(values: np.ndarray, width: int = SPARK_WIDTH) -> str:
    """``values`` as one line of block characters (the largest is █); a longer series is cut
    into ``width`` stretches shown by their maxima. Non-finite entries show as ``!``."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return ""
    chunks = np.array_split(values, min(width, values.size))
    finite_top = max((float(np.max(c[np.isfinite(c)])) for c in chunks if np.isfinite(c).any()), default=0.0)
    out = []
    for chunk in chunks:
        if not np.isfinite(chunk).all():
            out.append("!")
            continue
        level = float(chunk.max()) / finite_top if finite_top > 0 else 0.0
        out.append(SPARK[min(len(SPARK) - 1, max(0, int(round(level * (len(SPARK) - 1)))))])
    return "".join(out)


def excluded_runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """The stretches ``(first, last)`` of a 1-D mask that were not compared."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, ok in enumerate(np.asarray(valid, dtype=bool).tolist()):
        if not ok and start is None:
            start = i
        elif ok and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, valid.size - 1))
    return runs


def _num(value: float) -> str:
    return format(float(value), ".3g")


def _signal_facts(emap: np.ndarray, valid: np.ndarray | None) -> list[tuple[str, str]]:
    (worst,) = worst_index(emap, valid)
    n = emap.size
    facts = [
        ("error map", f"a 1-D signal of {n} entries along t; worst entry t={worst}: {_num(emap[worst])}")
    ]
    shown = emap if valid is None else np.where(valid, emap, 0.0)
    per = -(-n // SPARK_WIDTH)
    bins = f" ({per} entries per character, the largest of each)" if per > 1 else ""
    facts.append((f"along t{bins}", sparkline(shown)))
    score = np.where(np.isfinite(shown), shown, np.inf)
    top = [int(i) for i in np.argsort(-score, kind="stable")[:TOP] if score[i] > 0]
    if top:
        facts.append(("largest", ", ".join(f"t={i}: {_num(emap[i])}" for i in top)))
    if valid is not None and not valid.all():
        runs = ", ".join(f"t={a}" if a == b else f"t={a}..{b}" for a, b in excluded_runs(valid))
        facts.append(("not compared", runs))
    return facts


def _volume_facts(emap: np.ndarray, valid: np.ndarray | None) -> list[tuple[str, str]]:
    worst = worst_index(emap, valid)
    shape = ", ".join(str(s) for s in emap.shape)
    where = ", ".join(str(i) for i in worst)
    facts = [
        (
            "error map",
            f"a 3-D volume (D, H, W) = ({shape}); worst entry (z, y, x) = ({where}): {_num(emap[worst])}",
        )
    ]
    shown = emap if valid is None else np.where(valid, emap, 0.0)
    total = float(slice_totals(shown, 0).sum())
    parts = []
    for axis, name in enumerate(AXES[3]):
        sums = slice_totals(shown, axis)
        best = int(np.argmax(sums))
        share = f" ({100.0 * sums[best] / total:.0f}% of the error)" if total > 0 else ""
        parts.append(f"{name}={best}{share}")
    facts.append(("worst slice per axis (largest summed error)", ", ".join(parts)))
    if valid is not None and not valid.all():
        facts.append(("not compared", f"{int((~valid).sum())} of {valid.size} entries"))
    return facts


def error_map_facts(arrays: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """(name, text) pairs describing a 1-D or 3-D error map (none for 2-D or no map)."""
    found = error_map_of(arrays)
    if found is None:
        return []
    emap, valid = found
    return _signal_facts(emap, valid) if emap.ndim == 1 else _volume_facts(emap, valid)


def error_map_lines(arrays: Mapping[str, Any] | None) -> list[str]:
    """The same as lines of plain text: ``Error map: a 3-D volume ...``."""
    return [f"{name[0].upper()}{name[1:]}: {text}" for name, text in error_map_facts(arrays)]
