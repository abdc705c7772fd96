"""How far one array stands from a moved one: the per-layer error of a localisation.

For exact groups (index permutations) the error is the engine's exact measure
(:func:`equicheck.engine.compare.stacked_errors`: the largest difference relative to the
output's scale, with the absolute floor ``atol/rtol·max|input|``) and a pair fits when it is
at most ``rtol``. For interpolated elements it is the relative RMS over the element's valid
mask, held to ``KAPPA·max(floor, rtol)`` where ``floor`` is the interpolation floor that
:class:`equicheck.engine.floor.FloorProbe` measures on the same layer and input, as a check
judges a whole model (docs/continuous.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..actions import Action
from ..backends import get_backend
from ..engine.compare import relative_rms, stacked_errors
from ..engine.floor import FloorProbe
from ..engine.verdict import KAPPA, RESOLUTION
from ..errors import EquicheckError
from ..groups import Element

__all__ = ["Judge", "Measured", "error_map", "moved", "start_probe"]


@dataclass
class Measured:
    """The errors of one comparison, per element (None where the action cannot move that
    element's output, e.g. an odd shift of a stride-2 output)."""

    errors: list[float | None]
    limits: list[float]
    floors: list[float | None] = field(default_factory=list)
    undecided: int = 0  # interpolated pairs whose floor is too high to decide

    @property
    def worst(self) -> float | None:
        found = [e for e in self.errors if e is not None]
        return max(found) if found else None

    @property
    def worst_index(self) -> int | None:
        found = [(e, i) for i, e in enumerate(self.errors) if e is not None]
        return max(found)[1] if found else None

    @property
    def complete(self) -> bool:
        """Whether every element was compared."""
        return all(e is not None for e in self.errors)

    @property
    def fits(self) -> bool:
        """Every element compared, and each within its limit."""
        return self.complete and all(e <= lim for e, lim in zip(self.errors, self.limits))  # type: ignore[operator]

    @property
    def fits_where_defined(self) -> bool:
        """Each element that could be compared is within its limit (and at least one could)."""
        pairs = [(e, lim) for e, lim in zip(self.errors, self.limits) if e is not None]
        return bool(pairs) and all(e <= lim for e, lim in pairs)

    def ratio(self) -> float | None:
        """The worst error over its limit (<= 1 fits)."""
        found = [e / lim for e, lim in zip(self.errors, self.limits) if e is not None and lim > 0]
        return max(found) if found else None


def moved(action: Action, g: Element, y: np.ndarray) -> np.ndarray | None:
    """``ρ(g)·y`` on the host, or None when the action cannot move ``g`` there."""
    try:
        return np.asarray(action.apply(g, y, get_backend("numpy")))
    except EquicheckError:
        return None


@dataclass
class Judge:
    """Compares ``a_g = layer(ρ_in(g)·h)`` with ``ρ_out(g)·layer(h)`` for every element."""

    elements: Sequence[Element]
    rtol: float
    atol: float
    margin: int = 0

    @property
    def exact(self) -> bool:
        return all(g.exact for g in self.elements)

    def compare(
        self,
        action: Action,
        outputs: Sequence[np.ndarray | None],
        y: np.ndarray,
        scale: float,
        probe: FloorProbe | None = None,
        early: bool = False,
        cache: dict[Any, Any] | None = None,
    ) -> Measured:
        """``outputs[e]`` (the layer's output for element e's moved input) against ``ρ(g_e)·y``;
        ``scale``: max|input| of the layer (the absolute floor). ``early``: stop at the first
        element beyond its limit (the rest are left out: enough to say it does not fit).
        ``cache``: moved outputs and masks kept between comparisons with the same ``y``."""
        backend = get_backend("numpy")
        errors: list[float | None] = []
        limits: list[float] = []
        floors: list[float | None] = []
        undecided = 0
        pending: list[tuple[int, np.ndarray, np.ndarray, Any]] = []
        floor_abs = self.atol / self.rtol * scale if self.rtol > 0 else 0.0
        cache = {} if cache is None else cache
        for i, (g, a) in enumerate(zip(self.elements, outputs)):
            if early and any(e is not None and e > lim for e, lim in zip(errors, limits)):
                errors.append(None)
                limits.append(self.rtol)
                floors.append(None)
                continue
            key = (action.name, i)
            if a is not None and key not in cache:
                b = moved(action, g, y)
                try:
                    mask = None if b is None else action.grid_mask(g, b.shape, self.margin, backend)
                except EquicheckError:
                    mask = None
                cache[key] = (b, mask)
            b, mask = cache.get(key, (None, None))
            if a is None or b is None or a.shape != b.shape:
                errors.append(None)
                limits.append(self.rtol)
                floors.append(None)
                continue
            if g.exact:
                if early:
                    errors.append(_exact_errors([(a, b, mask)], floor_abs)[0])
                else:
                    pending.append((len(errors), a, b, mask))
                    errors.append(None)
                limits.append(self.rtol)
                floors.append(None)
                continue
            if probe is not None and probe.active:
                error, floor = probe.measure(g, 0, a, b, mask)
                e, fl = float(np.max(error)), float(np.max(floor))
            else:
                e, fl = float(np.max(relative_rms(np, a, b, mask))), 0.0
            if KAPPA * fl > RESOLUTION:
                undecided += 1
            errors.append(e)
            limits.append(KAPPA * max(fl, self.rtol) if KAPPA * fl <= RESOLUTION else float("inf"))
            floors.append(fl)
        if pending:  # the exact elements in one pass of stacked arrays
            found = _exact_errors([(a, b, m) for _, a, b, m in pending], floor_abs)
            for (i, *_), e in zip(pending, found):
                errors[i] = e
        return Measured(errors, limits, floors, undecided)


def _exact_errors(pairs: list[tuple[np.ndarray, np.ndarray, Any]], floor_abs: float) -> list[float]:
    """The engine's exact error of each (a, b, mask) pair, stacked where the shapes agree."""
    a = np.stack([p[0] for p in pairs])
    b = np.stack([p[1] for p in pairs])
    masks = None
    if any(p[2] is not None for p in pairs):
        masks = np.stack([np.broadcast_to(True if m is None else m, a.shape[1:]) for _, _, m in pairs])
    err, _ = stacked_errors(np, a, b, masks, 1, floor_abs)
    return [float(v) for v in np.max(err, axis=1)]


def start_probe(
    kind: str,
    call: Callable[[np.ndarray], np.ndarray],
    h: np.ndarray,
    y: np.ndarray,
    in_action: Action,
    out_action: Action,
    elements: Sequence[Element],
) -> FloorProbe:
    """The interpolation floor of one layer on its recorded input ``h`` (output ``y``)."""
    probe = FloorProbe(kind, get_backend("numpy"), batched=False)
    probe.start(
        lambda case, what: {0: call(case[0])},
        {0: h},
        {0: in_action},
        list(elements),
        {0: y},
        {0: out_action},
    )
    return probe


def error_map(a: np.ndarray, b: np.ndarray, action: Action) -> np.ndarray:
    """``|a - b|`` reduced to the action's grid (largest over the other axes); 1-D or 0-D
    arrays come back as a single row."""
    diff = np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))
    spatial = action.spatial
    if spatial is None or diff.ndim < 2:
        return np.atleast_2d(diff.reshape(-1)) if diff.ndim else diff.reshape(1, 1)
    ax = spatial.grid_axes(diff.ndim)
    rest = tuple(i for i in range(diff.ndim) if i not in ax)
    out = np.max(diff, axis=rest) if rest else diff
    return out if ax[0] < ax[1] else out.T
