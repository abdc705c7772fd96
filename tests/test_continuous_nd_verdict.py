"""End to end: interpolated 1-D and 3-D checks judged against the interpolation floor.

Equivariant functions pass (pointwise maps, isotropic blurs, circular convolutions), broken ones
fail (an anisotropic blur, a fixed ramp added, a position-dependent gain). Volumes are 16³ and
budgets small so that each check takes about a second on a shared 2-core machine."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

import equicheck
from equicheck import actions
from equicheck import groups as G
from equicheck.groups.rotations import rotation

SEEDS = (0, 1)
VOLUME = {"input_shape": (None, None, None), "sizes": (16, 16), "max_examples": 10}
SIGNAL = {"input_shape": (None,), "max_examples": 20}


def iso_blur(v):
    return ndimage.gaussian_filter(v, 1.5, mode="constant")


def aniso_blur(v):
    return ndimage.gaussian_filter(v, (1.5, 1.5, 2.0), mode="constant")


def slightly_aniso_blur(v):
    return ndimage.gaussian_filter(v, (1.5, 1.5, 1.55), mode="constant")


def add_ramp(v):
    """Adds a fixed ramp along the last axis: not moved with the content."""
    return v + np.linspace(-1.0, 1.0, v.shape[-1])


def gain(v):
    """Multiplies by a gain that depends on the position along the last axis."""
    return v * (1 + 0.5 * np.sin(np.arange(v.shape[-1]) / 3.0))


KERNEL = np.random.default_rng(0).standard_normal(5)


def circular_conv(v):
    return sum(k * np.roll(v, i - 2, axis=-1) for i, k in enumerate(KERNEL))


def _ratio(result) -> float:
    return result.extra["interpolation_floor"]["ratio"]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("f", [iso_blur, np.tanh], ids=["isotropic blur", "tanh"])
def test_so3_volume_passes_equivariant_functions_against_the_floor(f, seed):
    result = equicheck.check_equivariance(f, "so3_volume", seed=seed, **VOLUME)
    assert result.verdict == "passed", result.message
    floor = result.extra["interpolation_floor"]
    assert floor["decided"] >= 0.5 * floor["pairs"] and _ratio(result) < 3


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "f", [aniso_blur, slightly_aniso_blur, add_ramp], ids=["anisotropic blur", "3% anisotropy", "fixed ramp"]
)
def test_so3_volume_fails_broken_functions(f, seed):
    result = equicheck.check_equivariance(f, "so3_volume", seed=seed, **VOLUME)
    assert result.verdict == "failed" and _ratio(result) > 3
    assert G.from_name("so3_volume").contains(G.element_from_repr(result.worst_element))


def handedness(v):
    """det[∇b₁, ∇b₂, ∇b₃] of three blurs (Gaussian derivatives σ 1.5, 2, 2.5): a pseudoscalar,
    unchanged by turns and negated by the inversion."""
    orders = ((1, 0, 0), (0, 1, 0), (0, 0, 1))
    sigmas = (1.5, 2.0, 2.5)
    fields = [[ndimage.gaussian_filter(v, s, order=o, mode="constant") for o in orders] for s in sigmas]
    return 1e3 * np.linalg.det(np.moveaxis(np.array(fields), (0, 1), (-2, -1)))


def test_o3_volume_separates_a_chiral_function_that_so3_volume_accepts():
    assert equicheck.check_equivariance(iso_blur, "o3_volume", seed=0, **VOLUME).verdict == "passed"
    assert equicheck.check_equivariance(handedness, "so3_volume", seed=0, **VOLUME).verdict == "passed"
    result = equicheck.check_equivariance(handedness, "o3_volume", seed=0, **VOLUME)
    assert result.verdict == "failed" and not G.element_from_repr(result.worst_element).proper


@pytest.mark.parametrize("seed", SEEDS)
def test_so3_volume_with_spacing_turns_in_physical_units(seed):
    """Voxels twice as long along z: a blur isotropic in physical units (σ 0.75 entries along z,
    1.5 along y and x) passes; one isotropic in entries fails."""
    in_action = actions.spatial(spacing=(2.0, 1.0, 1.0))

    def physical_blur(v):
        return ndimage.gaussian_filter(v, (0.75, 1.5, 1.5), mode="constant")

    result = equicheck.check_equivariance(
        physical_blur, "so3_volume", in_action=in_action, seed=seed, **VOLUME
    )
    assert result.verdict == "passed", result.message
    result = equicheck.check_equivariance(iso_blur, "so3_volume", in_action=in_action, seed=seed, **VOLUME)
    assert result.verdict == "failed" and _ratio(result) > 3


def test_quarter_turns_inside_so3_volume_are_judged_exactly():
    quarter = rotation(maps="x->y, y->-x, z->z")
    result = equicheck.check_equivariance(iso_blur, "so3_volume", elements=[quarter], seed=0, **VOLUME)
    assert result.verdict == "passed" and result.max_error < 1e-6  # an index permutation: no floor


def test_so3_volume_takes_volumes_of_unequal_sides():
    """A given 14 x 18 x 18 volume: a quarter turn about x exchanges z (14) and y (18), so it is
    resampled and judged against the floor; one about z exchanges y and x (18, 18): exact."""
    from equicheck.actions.interpolation import smooth_disk

    xs = [smooth_disk(np.random.default_rng(seed), (14, 18, 18), dims=3) for seed in range(3)]
    quarter_x, quarter_z = rotation(maps="x->x, y->z, z->-y"), rotation(maps="x->-y, y->x, z->z")
    kw = dict(inputs=xs, elements=[quarter_x, quarter_z, rotation(axis=[1, 1, 0], degrees=33.0)], seed=0)
    result = equicheck.check_equivariance(iso_blur, "so3_volume", **kw)
    assert result.verdict == "passed", result.message
    floored = {row["element"] for row in result.extra["interpolation_floor"]["per_element"]}
    assert repr(quarter_x) in floored and repr(quarter_z) not in floored  # by the floor / exactly
    result = equicheck.check_equivariance(aniso_blur, "so3_volume", **kw)
    assert result.verdict == "failed"


def test_quarter_turns_across_unequal_spacing_are_resampled_and_judged_against_the_floor():
    """A quarter turn about x exchanges z (spacing 2) and y (spacing 1): not an index
    permutation of these voxels, so it is resampled in physical units and judged by the floor."""
    in_action = actions.spatial(spacing=(2.0, 1.0, 1.0))
    quarter_x = rotation(maps="x->x, y->z, z->-y")
    x = np.zeros((16, 16, 16))
    moved = in_action.prepare(G.from_name("so3_volume"), x.shape).apply(quarter_x, x + 1.0)
    assert moved.shape == x.shape and not np.allclose(moved, 1.0)  # resampled: the zero fill enters

    def physical_blur(v):
        return ndimage.gaussian_filter(v, (0.75, 1.5, 1.5), mode="constant")

    kw = dict(in_action=in_action, elements=[quarter_x], seed=0, **VOLUME)
    result = equicheck.check_equivariance(physical_blur, "so3_volume", **kw)
    assert result.verdict == "passed" and "interpolation_floor" in result.extra, result.message
    result = equicheck.check_equivariance(iso_blur, "so3_volume", **kw)
    assert result.verdict == "failed" and _ratio(result) > 3


@pytest.mark.parametrize("seed", SEEDS)
def test_time_scaling_passes_a_pointwise_map_and_fails_a_fixed_ramp(seed):
    assert equicheck.check_equivariance(np.tanh, "scaling(dims=1)", seed=seed, **SIGNAL).verdict == "passed"
    result = equicheck.check_equivariance(add_ramp, "scaling(dims=1)", seed=seed, **SIGNAL)
    assert result.verdict == "failed" and _ratio(result) > 3


@pytest.mark.parametrize("seed", SEEDS)
def test_subpixel_1d_passes_a_circular_convolution_and_fails_a_gain(seed):
    result = equicheck.check_equivariance(circular_conv, "subpixel(dims=1)", seed=seed, **SIGNAL)
    assert result.verdict == "passed" and _ratio(result) < 0.1
    assert equicheck.check_equivariance(gain, "subpixel(dims=1)", seed=seed, **SIGNAL).verdict == "failed"


def test_3d_scaling_and_subpixel_pass_pointwise_and_circular_maps():
    assert equicheck.check_equivariance(np.tanh, "scaling(dims=3)", seed=0, **VOLUME).verdict == "passed"

    def circular_blur(v):
        return ndimage.gaussian_filter(v, 1.0, mode="wrap")

    result = equicheck.check_equivariance(circular_blur, "subpixel(dims=3)", seed=0, **VOLUME)
    assert result.verdict == "passed" and _ratio(result) < 0.1
    assert equicheck.check_equivariance(gain, "subpixel(dims=3)", seed=0, **VOLUME).verdict == "failed"


def test_error_curves_sweep_volumes_and_signals():
    """equicheck.error_curve along so3_volume's sweep (turns about z): exact at 90 degrees."""
    from equicheck.actions.interpolation import smooth_disk

    x = smooth_disk(np.random.default_rng(0), (16, 16, 16), dims=3)
    curve = equicheck.error_curve(iso_blur, "so3_volume", x)
    assert curve["parameter"] == "angle"
    at = dict(zip(curve["values"], curve["errors"]))
    assert at[90.0] < 1e-12 < at[45.0] < 1e-2
    curve = equicheck.error_curve(np.tanh, "scaling(dims=1)", np.sin(np.linspace(0.0, 6.0, 40)))
    assert curve["parameter"] == "scale" and max(curve["errors"]) < 1e-2


def test_spacing_turns_images_in_physical_units_too():
    """Rows twice as far apart as columns: so2 resamples in physical units (a blur isotropic in
    millimetres passes, one isotropic in entries fails); c4's exact quarter turns are refused."""
    in_action = actions.spatial(spacing=(2.0, 1.0))
    kw = dict(in_action=in_action, input_shape=(None, None), sizes=(24, 24), max_examples=10, seed=0)

    def physical_blur(v):
        return ndimage.gaussian_filter(v, (0.75, 1.5), mode="constant")

    def entry_blur(v):
        return ndimage.gaussian_filter(v, 1.5, mode="constant")

    assert equicheck.check_equivariance(physical_blur, "so2", **kw).verdict == "passed"
    result = equicheck.check_equivariance(entry_blur, "so2", **kw)
    assert result.verdict == "failed" and _ratio(result) > 3
    calls = []
    with pytest.raises(equicheck.errors.ShapeError, match="unequal spacing"):
        equicheck.check_equivariance(lambda v: calls.append(1) or v, "c4", **kw)
    assert not calls
