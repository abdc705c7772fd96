"""Equivariance tests with equicheck's pytest plugin: the ``equicheck`` fixture and marker.

Every check a test makes is recorded: pytest prints a summary section, and
``--equicheck-report report.html`` (or .json, .md) writes a report of all of them.

Run, in a project of your own (the plugin loads through its ``pytest11`` entry point when
equicheck is installed):
    pytest test_with_plugin.py --equicheck-examples 20 --equicheck-report report.html

From this repository's root add ``-p equicheck``: the repository's own pytest settings turn
the plugin off (``-p no:equicheck``) and do not collect this file (``testpaths = ["tests"]``):
    pytest examples/test_with_plugin.py -p equicheck --equicheck-report report.html
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from equicheck import EquivarianceError, assert_equivariant

BINOMIAL = np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]) / 16


def blur(x: np.ndarray) -> np.ndarray:
    """A symmetric kernel, circular padding: equivariant to shifts, quarter turns and flips."""
    return ndimage.correlate(x, BINOMIAL, mode="wrap")


def x_derivative(x: np.ndarray) -> np.ndarray:
    """Turns into a y-derivative under a quarter turn: not rotation-equivariant."""
    return ndimage.sobel(x, axis=-1, mode="wrap")


def gradient_magnitude(x: np.ndarray) -> np.ndarray:
    """|∇x| from central differences (wrap): the magnitude does not care which way is x."""
    dy = np.roll(x, -1, axis=-2) - np.roll(x, 1, axis=-2)
    dx = np.roll(x, -1, axis=-1) - np.roll(x, 1, axis=-1)
    return np.hypot(dy, dx)


@pytest.mark.equicheck("p4m")
def test_blur_under_p4m(equicheck):
    """The marker names the group; the fixture applies it (and the command-line options)."""
    equicheck.assert_equivariant(blur)


def test_gradient_magnitude_under_d4(equicheck):
    equicheck.assert_equivariant(gradient_magnitude, "d4")


@pytest.mark.equicheck(group="c4", input_shape=(3, None, None))
def test_sum_over_the_grid_is_invariant(equicheck):
    equicheck.assert_invariant(lambda x: x.sum(axis=(-2, -1)))


def test_x_derivative_is_not_rotation_equivariant(equicheck):
    """A check that must fail: the result says how (and the report shows it as a failure)."""
    result = equicheck.check(x_derivative, "c4", replay_dir=None)
    assert not result.passed
    assert result.counterexample is not None
    assert result.counterexample.element.startswith("rot90")


def test_plain_assertions_are_recorded_too():
    """Calling equicheck directly, without the fixture, is recorded the same way."""
    assert_equivariant(blur, "translation", max_examples=10)
    with pytest.raises(EquivarianceError, match="rot90"):
        assert_equivariant(x_derivative, "c4", max_examples=10, replay_dir=None)
