"""Invariance measures for classifiers, and error curves along a group's parameter.

Prediction consistency (Zhang 2019, "Making convolutional networks shift-invariant again")::

    consistency = share of (input, element) pairs with argmax f(g·x) == argmax f(x)

and the mean change of the top-class probability::

    top_prob_change = mean over pairs of |p_c(g·x) - p_c(x)|,  c = argmax f(x)

where ``p = softmax(f(·))`` over the class axis (the last), unless the outputs already are
probabilities (non-negative, rows summing to 1). Both are reported beside the raw error: a
classifier can keep its predictions while its logits move, and the reverse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import actions, groups
from .adapters import adapt
from .backends import get_backend
from .engine import check_equivariance
from .engine.classifier import ClassifierTally
from .engine.compare import to_host
from .errors import EquicheckError

__all__ = ["error_curve", "prediction_consistency"]


def prediction_consistency(
    f: Callable[..., Any],
    group: Any,
    inputs: Any,
    *,
    elements: Sequence[Any] | None = None,
    n_elements: int = 8,
    seed: int = 0,
    in_action: Any = "spatial",
    backend: Any = None,
) -> dict[str, Any]:
    """Consistency and top-probability change of a classifier ``f`` (batch, classes) over
    ``inputs`` (a batch) and elements of ``group`` (enumerated if finite, else ``n_elements``
    drawn with ``seed``; the identity is left out)."""

    grp = groups.from_name(group)
    be = get_backend(backend, inputs)
    x = be.asarray(inputs)
    act = actions.from_name(in_action).prepare(grp, tuple(x.shape))
    grid = act.grid(tuple(x.shape))
    if elements is None:
        found = grp.elements(grid)
        if found is None:
            found = grp.sample(np.random.default_rng(seed), n_elements, grid)
        elements = [g for g in found if not g.is_identity]
    else:
        elements = [groups.element_from_repr(e) if isinstance(e, str) else e for e in elements]
    fn = adapt(f, be)
    original = to_host(be.asarray(fn(be.copy(x))))
    if original.ndim != 2:
        raise EquicheckError(
            f"prediction_consistency needs outputs of shape (batch, classes), got {original.shape}"
        )
    tally = ClassifierTally()
    per_element = {}
    for g in elements:
        moved = to_host(be.asarray(fn(act.apply(g, x, be))))
        one = ClassifierTally()
        one.add_host(moved, original)
        tally.add_host(moved, original)
        per_element[repr(g)] = one.summary()["consistency"]
    out = tally.summary()
    out["per_element"] = per_element
    return out


def error_curve(f: Callable[..., Any], group: Any, x: Any, **check_kwargs: Any) -> dict[str, Any]:
    """Error and interpolation floor of ``f`` on input ``x`` along the group's sweep (angle,
    scale or shift): ``{"parameter", "values", "errors", "floor"}`` as checks store it in
    ``result.extra["curve"]``. Keywords go to :func:`equicheck.check_equivariance`."""

    grp = groups.from_name(group)
    sweep = grp.curve_elements(8)
    if sweep is None:
        raise EquicheckError(f"{grp.name} has no one-parameter sweep to draw a curve along")
    _, points = sweep
    probe = next((g for _, g in points if not g.exact), None)
    if probe is None:
        raise EquicheckError(f"{grp.name} has no interpolated element to draw a curve for")
    check_kwargs.setdefault("replay_dir", None)
    result = check_equivariance(f, grp, inputs=x, elements=[probe], **check_kwargs)
    curve = result.extra.get("curve")
    if curve is None:
        raise EquicheckError(f"no curve was drawn: {result.message}")
    return curve
