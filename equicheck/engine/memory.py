"""How much memory one example of a check needs, estimated before any work, and the limit
(``max_bytes=``) a check is refused above."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from .. import options
from ..errors import ShapeError
from .plan import Case, Key, Plan, fill_shape, grid_of
from .search import drawn_sides, finite_elements

__all__ = [
    "FALLBACK_MAX_BYTES",
    "MAX_BYTES_SHARE",
    "case_bytes",
    "checked_max_bytes",
    "default_max_bytes",
    "drawn_bytes",
    "elements_checked",
    "refuse_too_large",
]


#: The share of the machine's memory that one example may be estimated to need (``max_bytes``'s
#: default); where the memory size cannot be read, :data:`FALLBACK_MAX_BYTES` is the limit.
MAX_BYTES_SHARE = 0.5
FALLBACK_MAX_BYTES = 8 * 2**30


def default_max_bytes() -> int:
    """``max_bytes``'s default: :data:`MAX_BYTES_SHARE` of the physical memory (8 GiB where
    ``os.sysconf`` cannot tell it)."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return FALLBACK_MAX_BYTES
    return int(total * MAX_BYTES_SHARE) if total > 0 else FALLBACK_MAX_BYTES


def checked_max_bytes(value: Any) -> int:
    """``max_bytes=`` checked (a whole number >= 1), or its default for None."""
    given = options.max_bytes(value, name="max_bytes")
    return given if given is not None else default_max_bytes()


def elements_checked(plan: Plan, case: Case | None, grid: tuple[int, ...] | None = None) -> int:
    """The elements checked on each input: all of a small finite group, else the number drawn."""
    fixed = finite_elements(plan, grid_of(plan, case) if case is not None else grid)
    return len(fixed) if fixed is not None else plan.elements_per_example


def case_bytes(cases: list[Case]) -> int:
    """Bytes of the largest given case."""
    return max(
        sum(int(getattr(v, "nbytes", 8 * math.prod(v.shape))) for v in case.values()) for case in cases
    )


def drawn_bytes(
    plan: Plan, shapes: dict[Key, tuple[Any, ...]], dtypes: Sequence[str], sizes: tuple[int, int] | None
) -> tuple[int, int]:
    """Bytes of the largest case the search can draw (sizes drawn by strategies counted as 1)
    and the elements checked on it."""
    grid = (drawn_sides(plan.group, sizes)[1],) * plan.group.dims
    itemsize = max(np.dtype(d).itemsize for d in dtypes)
    total = 0
    for k, shape in shapes.items():
        action = plan.in_actions[k]
        channels = action.fiber.prepare(plan.group).channels() if action.fiber is not None else None
        concrete = tuple(1 if isinstance(n, st.SearchStrategy) else n for n in shape)
        total += itemsize * math.prod(fill_shape(concrete, action, grid, channels))
    return total, elements_checked(plan, None, grid)


def refuse_too_large(
    plan: Plan, budget: int, case_bytes: int, elements: int, lower: str = "lower sizes= (or input_shape=)"
) -> None:
    """Refuse, before any work, a check whose example is estimated to need more than
    ``budget`` bytes: the inputs and their transforms, f's outputs, and the moved outputs
    (3 x the input's bytes x (1 + elements per example))."""
    estimate = 3 * case_bytes * (1 + elements)
    if estimate > budget:
        raise ShapeError(
            f"one example of this check is estimated to need {_size(estimate)} (3 x {_size(case_bytes)} "
            f"of input x (1 + {elements} elements): inputs and transforms, f's outputs, moved "
            f"outputs), more than max_bytes = {_size(budget)}; {lower}, check fewer elements per input "
            "(elements=, elements_per_example=), or raise max_bytes= if the machine has the memory"
        )


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"
