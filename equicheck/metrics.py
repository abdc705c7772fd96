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

from .backends import get_backend
from .errors import EquicheckError

__all__ = ["ClassifierTally", "error_curve", "prediction_consistency"]


def _probabilities(z: np.ndarray) -> np.ndarray:
    rows = z.sum(axis=-1)
    if np.all(z >= 0) and np.allclose(rows, 1.0, atol=1e-4):
        return z
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class ClassifierTally:
    """Accumulates consistency and top-probability change over (f(g·x), f(x)) output pairs of
    shape (batch, classes) that an invariance check compares."""

    def __init__(self) -> None:
        self.total = 0
        self.same = 0
        self.change = 0.0

    def add(self, xp: Any, a: Any, b: Any, out_action: Any = None) -> None:
        """Count one pair if it looks like class scores: 2-D (batch, classes), trivial action."""
        if getattr(out_action, "spatial", None) is not None or getattr(out_action, "fiber", None) is not None:
            return
        if a.ndim != 2 or a.shape[-1] < 2 or tuple(a.shape) != tuple(b.shape):
            return
        self.add_host(_to_host(a), _to_host(b))

    def add_host(self, moved: np.ndarray, original: np.ndarray) -> None:
        moved = np.asarray(moved, dtype=np.float64)
        original = np.asarray(original, dtype=np.float64)
        if not (np.all(np.isfinite(moved)) and np.all(np.isfinite(original))):
            return
        top = original.argmax(axis=-1)
        p_orig, p_moved = _probabilities(original), _probabilities(moved)
        rows = np.arange(top.shape[0])
        self.total += int(top.shape[0])
        self.same += int((moved.argmax(axis=-1) == top).sum())
        self.change += float(np.abs(p_moved[rows, top] - p_orig[rows, top]).sum())

    def summary(self) -> dict[str, Any]:
        return {
            "consistency": self.same / self.total if self.total else float("nan"),
            "top_prob_change": self.change / self.total if self.total else float("nan"),
            "pairs": self.total,
            "definition": "consistency = share of (input, element) pairs keeping argmax f; "
            "top_prob_change = mean |p_c(g·x) - p_c(x)|, c = argmax f(x), p = softmax",
        }


def _to_host(v: Any) -> np.ndarray:
    try:
        return np.asarray(v)
    except (TypeError, ValueError):
        return v.get()


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
    from . import actions, groups
    from .adapters import adapt

    grp = groups.from_name(group)
    be = get_backend(backend, inputs)
    x = be.asarray(inputs)
    act = actions.from_name(in_action).prepare(grp, tuple(x.shape))
    grid = act.grid(tuple(x.shape))
    if elements is None:
        found = grp.elements(grid)
        if found is None:
            sampler = getattr(grp, "sample", None)
            if sampler is None:
                raise EquicheckError(f"{grp.name} is infinite; pass elements=")
            found = sampler(np.random.default_rng(seed), n_elements, grid)
        elements = [g for g in found if not g.is_identity]
    else:
        elements = [groups.element_from_repr(e) if isinstance(e, str) else e for e in elements]
    fn = adapt(f, be)
    original = _to_host(be.asarray(fn(be.copy(x))))
    if original.ndim != 2:
        raise EquicheckError(
            f"prediction_consistency needs outputs of shape (batch, classes), got {original.shape}"
        )
    tally = ClassifierTally()
    per_element = {}
    for g in elements:
        moved = _to_host(be.asarray(fn(act.apply(g, x, be))))
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
    from . import groups
    from .check import check_equivariance

    grp = groups.from_name(group)
    sweep = getattr(grp, "curve_elements", None)
    if sweep is None:
        raise EquicheckError(f"{grp.name} has no one-parameter sweep to draw a curve along")
    _, points = sweep(8)
    probe = next((g for _, g in points if g.as_grid() is None), None)
    if probe is None:
        raise EquicheckError(f"{grp.name} has no interpolated element to draw a curve for")
    check_kwargs.setdefault("replay_dir", None)
    result = check_equivariance(f, grp, inputs=x, elements=[probe], **check_kwargs)
    curve = result.extra.get("curve")
    if curve is None:
        raise EquicheckError(f"no curve was drawn: {result.message}")
    return curve
