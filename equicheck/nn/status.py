"""``native_status()``: what ``conv2d`` runs on for NumPy arrays (kept from equicheck < 0.2).

Before 0.2, ``conv2d`` could run a compiled AVX-512/AVX2 kernel loaded with ctypes, and
``native_status()`` said whether it was in use. Since 0.2 there is no compiled code in
equicheck: ``conv2d`` runs on public NumPy / SciPy APIs only (``numpy.matmul`` on NumPy's
BLAS, ``scipy.fft``), everywhere ``pip install`` works without a compiler. The function
stays, with the same fields, so that code and tools that print it keep working.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["NativeStatus", "native_status"]

_REASON = (
    "no compiled kernel since equicheck 0.2: conv2d runs on NumPy/SciPy public APIs "
    "(numpy.matmul on NumPy's BLAS, scipy.fft)"
)


@dataclass(frozen=True)
class NativeStatus:
    """What ``conv2d`` runs on for NumPy arrays.

    available : whether conv2d's NumPy path can run here (always True: it needs nothing
        beyond NumPy and SciPy).
    reason : what it runs on, in words.
    compiled : whether compiled code of equicheck's own is used (always False since 0.2).
    path, isa : None (they named the compiled kernel's file and instruction set).
    threads : the CPUs this process may run on (what NumPy's BLAS and ``scipy.fft`` with
        ``workers=-1`` use by default; they choose their thread counts themselves).
    """

    available: bool
    reason: str
    path: str | None = None
    threads: int = 1
    isa: str | None = None
    compiled: bool = False


def _cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def native_status() -> NativeStatus:
    """What NumPy convolutions run on: NumPy/SciPy public APIs (no compiled kernel since 0.2)."""
    return NativeStatus(available=True, reason=_REASON, threads=_cpus())
