"""What a localisation found: one row per layer call, and the first layer that breaks.

Plain data (host NumPy arrays kept small) that round-trips through ``to_dict()`` /
``LocateResult.from_dict()``; reports read it from ``CheckResult.layers``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

__all__ = ["STATUSES", "LayerRow", "LocateResult", "as_check_result"]

#: A row's verdict. ``ok``: equivariant under its action; ``breaks``: this layer breaks it;
#: ``lost``: no action fits its output, but a later layer restores equivariance (a blurred
#: stride before global pooling); ``unjudged``: its input had no known action (after a lost
#: row) or it was not measured; ``contains``: a layer inside it breaks.
STATUSES = ("ok", "breaks", "lost", "unjudged", "contains")


def _float(v: Any) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


@dataclass
class LayerRow:
    """One call of one layer: where its output stands for ``g·x`` (cumulative), what the layer
    does to an input that arrived equivariant (local), and the action assumed for its output."""

    name: str  # the model's own path (``layer3.1.conv2``; ``#2`` for a second call)
    kind: str  # the layer's type name
    shape: list[int]  # of its output for x
    action: str  # ρ_l: the action assumed for the output
    source: str  # 'declared', 'type' (what its type promises), 'carried' (from its input), 'inferred'
    status: str  # one of STATUSES
    cumulative: float | None = None  # h_l(g·x) against ρ_l(g)·h_l(x), worst element
    local: float | None = None  # layer(ρ_{l-1}(g)·h_{l-1}(x)) against ρ_l(g)·layer(h_{l-1}(x))
    local_how: str = ""  # how the local error was obtained
    evidence: str = ""  # why this action: the candidates' errors
    candidates: dict[str, float] = field(default_factory=dict)
    worst_element: str | None = None
    floor: float | None = None  # interpolated groups: the interpolation floor of the local error
    lie: dict[str, float] = field(default_factory=dict)  # generator -> relative Lie derivative
    leaf: bool = True
    parent: str | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("cumulative", "local", "floor"):
            out[key] = _float(out[key])
        out["candidates"] = {k: _float(v) for k, v in self.candidates.items()}
        out["lie"] = {k: _float(v) for k, v in self.lie.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LayerRow:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["candidates"] = {
            k: (math.nan if v is None else v) for k, v in data.get("candidates", {}).items()
        }
        return cls(**kwargs)


@dataclass
class LocateResult:
    """Layer-by-layer localisation of a model under a group (``equicheck.locate``)."""

    model: str
    group: str
    elements: list[str]
    in_action: str
    dtype: str
    rtol: float
    atol: float
    exact: bool
    layers: list[LayerRow] = field(default_factory=list)
    first_break: str | None = None  # the name of the first row that breaks
    advice: str = ""  # what that kind of layer typically does wrong
    #: |layer(ρ(g)·h) − ρ(g)·layer(h)| of the first breaking layer, over its grid (2-D)
    error_map: np.ndarray | None = None
    error_map_element: str | None = None
    notes: list[str] = field(default_factory=list)  # batch norm, dropout, batching, ...
    batched: bool = True
    seed: int | None = None
    elapsed: float = 0.0
    forward_calls: int = 0  # calls of the whole model
    layer_calls: int = 0  # calls of single layers (local errors, probes)

    @property
    def passed(self) -> bool:
        """True when no layer breaks equivariance."""
        return self.first_break is None

    @property
    def breaking(self) -> LayerRow | None:
        """The row of the first breaking layer (None: nothing breaks)."""
        return self.row(self.first_break) if self.first_break else None

    def row(self, name: str) -> LayerRow:
        """The row of the layer call called ``name``."""
        for r in self.layers:
            if r.name == name:
                return r
        raise KeyError(f"no layer {name!r}; layers: {', '.join(r.name for r in self.layers)}")

    def summary(self) -> str:
        """One line: the first breaking layer and why, or that none breaks."""
        head = f"{self.model} under {self.group} ({len(self.layers)} layer calls)"
        if self.first_break is None:
            return f"no layer breaks equivariance: {head}"
        r = self.breaking
        assert r is not None
        err = r.local if r.local is not None else r.cumulative
        if err is not None and err > self.rtol:
            figure = f", local error {err:.3g}"
        else:
            figure = ", no action fits its output"
        return f"first breaking layer: {r.name} ({r.kind}{figure}) in {head}. {self.advice}"

    def table(self) -> str:
        """The rows as aligned text: name, kind, action (and where it came from), errors, status."""

        def num(v: float | None) -> str:
            return "-" if v is None else f"{v:.2e}"

        head: tuple[str, ...] = ("layer", "kind", "action", "from", "cumulative", "local", "status")
        rows = [
            (r.name, r.kind, r.action, r.source, num(r.cumulative), num(r.local), r.status)
            for r in self.layers
        ]
        if not self.exact:  # interpolated: the floor of the local error, the Lie derivatives
            head = (*head, "floor", "lie")
            rows = [
                (
                    *row,
                    num(r.floor),
                    ", ".join(f"{k} {v:.2e}" for k, v in r.lie.items() if v is not None) or "-",
                )
                for row, r in zip(rows, self.layers)
            ]
        widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in [head, *rows]]
        return "\n".join(lines)

    def __str__(self) -> str:
        notes = "".join(f"\nnote: {n}" for n in self.notes)
        return f"{self.summary()}\n{self.table()}{notes}"

    def __repr__(self) -> str:
        return f"<LocateResult {self.summary()}>"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "layers":
                v = [r.to_dict() for r in v]
            elif f.name == "error_map":
                v = None if v is None else np.where(np.isfinite(v), v, 0.0).tolist()
            out[f.name] = v
        out["passed"] = self.passed
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LocateResult:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["layers"] = [LayerRow.from_dict(r) for r in data.get("layers", [])]
        emap = data.get("error_map")
        kwargs["error_map"] = None if emap is None else np.asarray(emap, dtype=np.float64)
        return cls(**kwargs)


def as_check_result(located: LocateResult) -> Any:
    """A localisation as a :class:`~equicheck.CheckResult` for reports: failed when a layer
    breaks, its rows in ``layers``, the model's final output as the compared output."""
    from ..result import CheckResult

    last = located.layers[-1] if located.layers else None
    final = last.cumulative if last is not None and last.cumulative is not None else 0.0
    return CheckResult(
        function=located.model,
        group=located.group,
        in_actions=[located.in_action],
        out_actions=[last.action if last is not None else "-"],
        verdict="passed" if located.passed else "failed",
        max_error=final,
        tolerance=located.rtol,
        atol=located.atol,
        tolerance_rule=(
            f"per layer: the local error of each layer against rtol={located.rtol:g}, "
            f"atol={located.atol:g} ({located.dtype})"
        ),
        dtype=located.dtype,
        worst_element=located.error_map_element,
        failure_kind=None if located.passed else "mismatch",
        message=located.summary(),
        examples=1,
        elements_checked=len(located.elements),
        seed=located.seed,
        elapsed=located.elapsed,
        exact=located.exact,
        layers=located.to_dict(),
    )
