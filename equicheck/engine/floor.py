"""The honest verdict for interpolated groups: judge f against the interpolation floor.

On a square grid only quarter turns, flips and integer shifts are exact. For any other element
``g`` the two sides of ``f(ρ_in(g)·x) == ρ_out(g)·f(x)`` both go through interpolation, so
they differ even for a perfectly equivariant f. This module measures, on the same input, how
much the resampling alone explains (docs/continuous.md); the rule that judges f against it
(``KAPPA``, which pairs decide, 'inconclusive') is in :mod:`equicheck.engine.verdict`.

Definitions (per sample; ``M`` the element's valid mask, see
:mod:`equicheck.actions.interpolation`; ``ref = max(rms_M(a), rms_M(b))``)::

    rms_M(d)  = sqrt(mean over M of d²)
    error(g)  = rms_M(a - b) / ref                       a = f(g·x), b = g·f(x)
    S_k(y)    = y moved half an entry along every grid axis by a B-spline of order k
    floor_in  = rms_M(f(S_3 x) - f(S_5 x)) / ref         (3: the action's order; 5 = order + 2)
    floor_out = rms_M(f(S_5 x) - S_3 f(x)) / ref
    floor(g)  = max(floor_in + floor_out, ABS_FLOOR·rms(x) / ref)
    ratio(g)  = error(g) / max(floor(g), rtol_dtype)

``floor_in`` is what resampling the input does to f's output; ``floor_out`` what resampling
the output costs, measured against f's own output at the new positions — so it includes the
"sampling lottery" of outputs that are not smooth (a gradient magnitude's cusps land at other
distances from the samples after a turn), and such outputs are not mistaken for violations.
Half a pixel is the phase at which interpolation errs most. The probe does not depend on ``g``:
a round trip ``g⁻¹·(g·y)`` cancels the first-order error near exact elements and makes the
floor vanish where the error does not. For scale factors below 1 the floor is at least half
the round trip ``g⁻¹·(g·f(x)) - f(x)`` (decimation). For Fourier shifts (``subpixel``) the
probe is the Fourier half-pixel round trip, halved, on input and output.

Rule: an element passes while ``ratio <= KAPPA`` (3); exact elements (``g.as_grid()``) keep the
engine's exact rule. A pair (input, element) *decides* when ``KAPPA·floor <= RESOLUTION``
(0.5): a violation of half the output could be seen. A check whose elements all passed is
"inconclusive" when fewer than 10% of its pairs (or fewer than 3) decided; it then says why
and what would decide it (smoother inputs, a larger grid, a higher spline order).

The RMS measure (not the max) is what separates a 10% anisotropy from a cusp: interpolation
errors at cusps are sparse, violations of equivariance are spread over the grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..actions import Action, interpolation
from ..backends import Backend
from ..groups import Element
from .compare import input_rms, relative_rms, rms
from .plan import Case, Key, moves_exactly

__all__ = ["ABS_FLOOR", "CURVE_POINTS", "FloorPair", "FloorProbe", "FloorStats"]

#: Absolute floor, relative to the input's RMS: spline resampling leaks this much of the
#: content outside the valid mask into it, so an output whose masked part is smaller than
#: that (a ReLU that is almost everywhere 0) is not judged on ringing.
ABS_FLOOR = 1e-4
#: Points of the error curve drawn after a check (0: no curve).
CURVE_POINTS = 24

#: Calls f safely on a case and says what the call was for: (case, what) -> outputs.
CallF = Callable[[Case, str], dict[Key, Any]]


@dataclass
class FloorPair:
    """One (input, element) judged against the floor: relative RMS error, effective floor
    (never below rtol), their ratio, and whether the pair could decide (see verdict)."""

    element: str
    error: float
    floor: float
    ratio: float
    decided: bool


@dataclass
class FloorStats:
    """Every pair judged in a check, for the verdict."""

    pairs: int = 0
    decided: int = 0
    worst: FloorPair | None = None
    worst_case: Case | None = None
    last_bad: FloorPair | None = None
    per_element: dict[str, list[float]] = field(default_factory=dict)  # repr -> [error, floor, ratio, n]
    floors: list[float] = field(default_factory=list)

    def record(self, pair: FloorPair, case: Case, bad: bool) -> None:
        self.pairs += 1
        self.decided += pair.decided
        self.floors.append(pair.floor)
        slot = self.per_element.setdefault(pair.element, [0.0, 0.0, 0.0, 0])
        if pair.ratio >= slot[2]:
            slot[0], slot[1], slot[2] = pair.error, pair.floor, pair.ratio
        slot[3] += 1
        if self.worst is None or pair.ratio > self.worst.ratio:
            self.worst = pair
            self.worst_case = case
        if bad:
            self.last_bad = pair


def _moved(backend: Backend, v: Any, action: Action, how: Callable[[Any, tuple[int, ...]], Any]) -> Any:
    sp = action.spatial
    return how(v, sp.grid_axes(v.ndim)) if sp is not None else backend.copy(v)


class FloorProbe:
    """Measures the interpolation floor of one input at a time (module docstring).

    :meth:`start` runs the probe on an input (two extra calls of f, or one for Fourier
    shifts) when any of its elements interpolates; :meth:`measure` gives the per-sample
    error and floor of one comparison.
    """

    def __init__(self, kind: str, backend: Backend, batched: bool) -> None:
        self.kind = "spline" if kind == "exact" else kind
        self.backend = backend
        self.batched = batched
        self.d_in: dict[Key, Any] = {}
        self.d_out: dict[Key, Any] | None = None  # None: no probe on this input (all exact)
        self.fx: dict[Key, Any] = {}
        self.out_actions: dict[Key, Action] = {}
        self.input_rms = 0.0

    @property
    def active(self) -> bool:
        """Whether the current input was probed (some of its elements interpolate)."""
        return self.d_out is not None

    def start(
        self,
        call: CallF,
        case: Case,
        in_actions: dict[Key, Action],
        elements: list[Element],
        fx: dict[Key, Any],
        out_actions: dict[Key, Action],
    ) -> None:
        """Measure the probe floors of this input if any element interpolates."""
        if all(moves_exactly(in_actions, case, g) for g in elements):
            self.d_in, self.d_out = {}, None  # nothing to measure: the exact rule judges them
        else:
            self.probe(call, case, in_actions, fx, out_actions)

    def probe(
        self, call: CallF, case: Case, in_actions: dict[Key, Action], fx: dict[Key, Any], out_actions: Any
    ) -> None:
        """Measure the single-step resampling errors of this input, per output (module docstring)."""
        self.fx, self.out_actions = fx, out_actions
        self.input_rms = input_rms(self.backend.xp, case)
        self.d_in, self.d_out = self._resampling_errors(call, case, in_actions, fx, out_actions)

    def _resampling_errors(
        self, call: CallF, case: Case, in_actions: dict[Key, Action], fx: dict[Key, Any], out_actions: Any
    ) -> tuple[dict[Key, Any], dict[Key, Any]]:
        backend = self.backend
        xp = backend.xp

        def f64(v: Any) -> Any:
            return xp.astype(v, xp.float64)

        def same_shape(a: Any, b: Any) -> bool:
            return a is not None and tuple(a.shape) == tuple(b.shape)

        d_in: dict[Key, Any] = {}
        d_out: dict[Key, Any] = {}
        if self.kind == "fourier":  # half-pixel round trips, halved: the Fourier shift's own error

            def trip(v: Any, ax: tuple[int, ...]) -> Any:
                return interpolation.probe_round_trip(v, ax, backend, "fourier")

            moved = {k: _moved(backend, v, in_actions[k], trip) for k, v in case.items()}
            f_trip = call(moved, "x moved half a pixel and back (interpolation floor)")
            for k, y in fx.items():
                other = f_trip.get(k)
                d_in[k] = (f64(other) - f64(y)) / 2 if same_shape(other, y) else None
                back = _moved(backend, y, out_actions[k], trip)
                d_out[k] = (f64(back) - f64(y)) / 2 if out_actions[k].spatial is not None else None
            return d_in, d_out
        order = interpolation.current_order()
        ref = min(order + 2, 5)

        def half(o: int) -> Callable[[Any, tuple[int, ...]], Any]:
            return lambda v, ax: interpolation.half_pixel_shift(v, ax, backend, o)

        accurate = {k: _moved(backend, v, in_actions[k], half(ref)) for k, v in case.items()}
        usual = {k: _moved(backend, v, in_actions[k], half(order)) for k, v in case.items()}
        f_acc = call(accurate, f"x moved half a pixel, spline order {ref} (interpolation floor)")
        f_usual = call(usual, f"x moved half a pixel, spline order {order} (interpolation floor)")
        for k, y in fx.items():
            acc, usu = f_acc.get(k), f_usual.get(k)
            ok = same_shape(acc, y) and same_shape(usu, y)
            d_in[k] = f64(usu) - f64(acc) if ok else None
            d_out[k] = f64(acc) - f64(_moved(backend, y, out_actions[k], half(order))) if ok else None
        return d_in, d_out

    def measure(self, g: Element, key: Key, a: Any, b: Any, mask: Any) -> tuple[np.ndarray, np.ndarray]:
        """(error, floor) per sample of output ``key`` for element ``g``, both relative RMS."""
        xp = self.backend.xp
        per_sample = self.batched
        error = relative_rms(xp, a, b, mask, per_sample)
        ref = np.maximum(rms(xp, a, mask, per_sample), rms(xp, b, mask, per_sample))
        ref = np.where(ref > 0, ref, 1.0)
        total = np.zeros_like(error)
        for part in (self.d_in.get(key), (self.d_out or {}).get(key)):
            if part is not None:
                total = total + rms(xp, part, mask, per_sample) / ref
        # resampling leaks ~1e-4 of what lies outside the mask into it: nothing smaller is judged
        total = np.maximum(total, ABS_FLOOR * self.input_rms / ref)
        if not g.exact and getattr(g, "factor", 1) < 1:  # decimation loses what the probe cannot see
            y = self.fx[key]
            act = self.out_actions[key]
            back = act.apply(g.inverse(), act.apply(g, y, self.backend), self.backend)
            diff = xp.astype(back, xp.float64) - xp.astype(y, xp.float64)
            total = np.maximum(total, rms(xp, diff, mask, per_sample) / 2 / ref)
        return error, total
