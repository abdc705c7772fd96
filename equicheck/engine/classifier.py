"""Classifier invariance tallies: prediction consistency and the change of the top class's
probability over (f(g·x), f(x)) pairs (definitions in :mod:`equicheck.metrics`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .compare import to_host

__all__ = ["ClassifierTally"]


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
        if out_action is not None and (out_action.spatial is not None or out_action.fiber is not None):
            return
        if a.ndim != 2 or a.shape[-1] < 2 or tuple(a.shape) != tuple(b.shape):
            return
        self.add_host(to_host(a), to_host(b))

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
