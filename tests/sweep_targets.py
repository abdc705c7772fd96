"""Targets for the sweep tests (tests/test_sweep*.py), imported by reference on workers:
equivariant ones, planted failures, one that raises, one that hangs, and factories."""

from __future__ import annotations

import os
import time

import numpy as np


def absolute(x):
    """Equivariant to every grid group: acts entry by entry."""
    return np.abs(x)


def square(x):
    return x * x


def rolled(x):
    """A planted failure: a shift is equivariant to translations, not to rotations or flips."""
    return np.roll(x, 1, axis=-1)


def make_scaled(factor=2.0, noise=0.0):
    """A factory: ``x * factor`` (equivariant), plus ``noise`` times a fixed pattern that breaks
    the symmetry (a planted failure above the tolerance when ``noise`` is large enough)."""

    def scaled(x):
        pattern = np.arange(x.shape[-1], dtype=x.dtype) / max(x.shape[-1], 1)
        return x * factor + noise * pattern

    return scaled


def raises(x):
    raise RuntimeError("planted: this target raises when called")


def hangs(x):
    time.sleep(3600)
    return x


def crash_now(*args):
    """A factory that kills the process building it (a target that crashes its worker)."""
    os._exit(3)


def busy(x, seconds=0.25):
    """Burns ``seconds`` of CPU per call (the benchmark's kind of cell in miniature)."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return np.abs(x)


def one_thread():
    """A factory that refuses to build unless every BLAS/OpenMP pool runs one thread (what
    sweeps promise on workers): an ``import`` error row otherwise."""
    from threadpoolctl import threadpool_info

    many = [(p["internal_api"], p["num_threads"]) for p in threadpool_info() if p["num_threads"] != 1]
    if many:
        raise RuntimeError(f"thread pools with more than one thread: {many}")
    return np.abs


def exits():
    """A factory that calls sys.exit: an ``import`` error row, not the end of the sweep."""
    import sys

    sys.exit("planted: this factory exits")
