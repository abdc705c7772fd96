"""What a check found: the data model of assertions, the pytest plugin and reports.

Everything here is plain data (host NumPy arrays kept small) and round-trips through
``to_dict()`` / ``CheckResult.from_dict()``; arrays travel as nested lists there, and report
writers may move them to a sidecar file.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

__all__ = ["CheckResult", "Counterexample", "ElementError"]

VERDICTS = ("passed", "failed", "inconclusive", "error")


@dataclass
class ElementError:
    """The largest error seen for one group element over all inputs it met."""

    element: str
    max_error: float
    inputs: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Counterexample:
    """The simplest failing case after shrinking, and how to replay it."""

    element: str
    input: str  # description: family, dtype, shape, seed
    input_shapes: list[list[int]]
    error: float
    max_abs_diff: float
    mismatched: int  # entries beyond tolerance
    compared: int  # entries compared
    worst_index: list[int] | None = None  # of the greatest absolute difference
    max_rel_diff: float = 0.0
    worst_rel_index: list[int] | None = None
    replay: str = ""
    path: str | None = None  # the .npz with the arrays
    #: small host arrays for reports: a 2-D slice of the input, the two outputs, the error map
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "arrays"}
        out["arrays"] = {k: np.asarray(v).tolist() for k, v in self.arrays.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Counterexample:
        kwargs = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        kwargs["arrays"] = {k: np.asarray(v) for k, v in data.get("arrays", {}).items()}
        return cls(**kwargs)


@dataclass
class CheckResult:
    """The answer to one check. ``passed`` is the verdict; nothing here raises."""

    function: str
    group: str
    in_actions: list[str]
    out_actions: list[str]
    verdict: str
    max_error: float  # largest error seen (not only the shrunk one)
    tolerance: float  # rtol the error is compared with
    atol: float
    tolerance_rule: str
    dtype: str
    worst_element: str | None = None
    worst_input: str | None = None
    failure_kind: str | None = None
    message: str = ""
    errors: list[ElementError] = field(default_factory=list)
    counterexample: Counterexample | None = None
    examples: int = 0  # inputs drawn
    evaluations: int = 0  # calls of f
    elements_checked: int = 0
    exhaustive: bool = False
    margin: int = 0
    seed: int | None = None
    elapsed: float = 0.0
    time_in_f: float = 0.0
    backend: str = "numpy"
    device: str = "cpu"
    exact: bool = True
    #: extra figures (interpolation floor, Lie derivatives, consistency, ...)
    extra: dict[str, Any] = field(default_factory=dict)
    test_id: str | None = None
    #: layer-by-layer localisation (``equicheck.locate``'s ``LocateResult.to_dict()``), or None
    layers: dict[str, Any] | None = None

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"

    @property
    def ratio(self) -> float:
        """max_error / tolerance (<= 1 passes)."""
        return self.max_error / self.tolerance if self.tolerance > 0 else math.inf

    def summary(self) -> str:
        """One line: verdict, function, group, error against tolerance."""
        kind = f" ({self.failure_kind})" if self.failure_kind and self.failure_kind != "mismatch" else ""
        return (
            f"{self.verdict.upper()}{kind} {self.function} under {self.group} "
            f"[{', '.join(self.in_actions)} -> {', '.join(self.out_actions)}]: "
            f"max error {self.max_error:.3g} (tolerance {self.tolerance:.3g}), "
            f"{self.examples} inputs, {self.elements_checked} elements"
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "errors":
                v = [e.to_dict() for e in v]
            elif f.name == "counterexample":
                v = v.to_dict() if v is not None else None
            elif isinstance(v, float) and not math.isfinite(v):
                v = repr(v)  # JSON has no inf/nan
            out[f.name] = v
        out["passed"] = self.passed
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            v = data[f.name]
            if f.name == "errors":
                v = [ElementError(**e) for e in v]
            elif f.name == "counterexample":
                v = Counterexample.from_dict(v) if v is not None else None
            elif f.name in ("max_error", "tolerance", "atol", "elapsed", "time_in_f") and isinstance(v, str):
                v = float(v)
            kwargs[f.name] = v
        return cls(**kwargs)

    def __repr__(self) -> str:
        return f"<CheckResult {self.summary()}>"
