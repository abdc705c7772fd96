"""A sweep target whose module kills the process that imports it (tests/test_sweep*.py):
only workers import it, never the test process (the sweep finds its file without running it)."""

import os

os._exit(3)


def f(x):  # pragma: no cover - never reached
    return x
