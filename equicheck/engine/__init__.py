"""The engine: plan -> evaluate -> search -> verdict -> counterexamples; ``check`` is the front door.

Modules, each importing only the ones listed before it:

- ``tolerance``: default tolerances per dtype;
- ``plan``: the user's arguments normalised into a :class:`~equicheck.engine.plan.Plan`;
- ``compare``: the error measures, many elements at once;
- ``evidence``: report arrays and numpy-style figures of a failure;
- ``classifier``: prediction-consistency tallies;
- ``calls``: calling f in a thread under a time limit, and what to say when f misbehaves;
- ``failures``: the failure signal and its details (dataclasses);
- ``floor``: the interpolation floor, measured on the same input;
- ``verdict``: tolerance resolution, rounding allowance and the floor rule, decided once;
- ``counterexamples``: failing inputs saved and loaded as .npz;
- ``listeners``: who is told of every result (``recording``, ``subscribe``);
- ``evaluate``: one example: call and guard f, transform, compare, limit;
- ``search``: Hypothesis runners and the choice of inputs and elements;
- ``memory``: the bytes one example needs, refused above ``max_bytes=``;
- ``check``: :func:`check_equivariance` and :func:`replay`.
"""

from __future__ import annotations

from .check import check_equivariance, replay
from .counterexamples import load_counterexample
from .listeners import recording, subscribe, unsubscribe
from .search import DEFAULT_SETTINGS

__all__ = [
    "DEFAULT_SETTINGS",
    "check_equivariance",
    "load_counterexample",
    "recording",
    "replay",
    "subscribe",
    "unsubscribe",
]
