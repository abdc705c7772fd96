"""What a violation found in one example carries: the failure signal raised inside the
search, and the details the result is built from (a dataclass, not a tuple)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..actions import Action
from ..groups import Element
from .plan import Case, Key

__all__ = ["ONCE_KINDS", "Failure", "FailureDetails", "Mismatch"]

#: Failures found by checks that run once; preferred when Hypothesis replays disagree.
ONCE_KINDS = ("nondeterministic", "batch-mixing", "mutates-input")


@dataclass
class Mismatch:
    """What is needed to compute a mismatch's figures, later and only for the final failure."""

    element: Element
    output: Key
    a: Any  # f(g·x)
    b: Any  # g·f(x)
    mask: Any
    limit: float
    floor: float
    out_action: Action


@dataclass
class FailureDetails:
    """Where a violation was found and what it looked like."""

    element: str | None = None
    input: str | None = None
    case: Case | None = None
    error: float | None = None
    mismatch: Mismatch | None = None
    exception: str | None = None
    where: str | None = None
    #: the check cannot run as declared (e.g. the output action cannot act on f's output):
    #: a usage error, verdict 'error', never 'not equivariant'
    usage: bool = False


class Failure(Exception):
    """A violation found in one example (raised inside the search, caught by the engine)."""

    def __init__(self, kind: str, message: str, details: FailureDetails | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.details = details if details is not None else FailureDetails()

    def located(self, case: Case, description: str, element: str | None) -> Failure:
        """Fill in the input and element where the evaluation did not say them."""
        d = self.details
        d.case = case if d.case is None else d.case
        d.input = description if d.input is None else d.input
        d.element = element if d.element is None else d.element
        return self
