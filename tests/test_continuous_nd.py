"""Interpolated 1-D and 3-D groups and their actions: resampling against SciPy done
independently, exact turns by spline, Fourier shifts, spacing, masks, band-limited inputs,
group law, reprs and Haar draws."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.stats
from hypothesis import find, given, settings
from hypothesis import strategies as st

from equicheck import groups as G
from equicheck.actions import Spatial, interpolation
from equicheck.actions.kernels import apply_lattice
from equicheck.backends import get_backend
from equicheck.errors import ShapeError, SpecError
from equicheck.groups.lattice import CUBE48, SignalElement, VolumeElement, index_matrix, index_shift, volume
from equicheck.groups.resampled import ResampledGroup
from equicheck.groups.rotations import Rotation, inversion, rotation
from equicheck.strategies import ArraySpec, make_array

NP = get_backend("numpy")
VOLUME = (3, 3, 3)  # the three grid axes of a (D, H, W) volume, as positive axes
NAMES = [
    "so3_volume",
    "o3_volume",
    "scaling(dims=1)",
    "scaling(min=0.5, max=2.0, dims=3)",
    "subpixel(dims=1)",
    "subpixel(max_shift=0.5, dims=3)",
]


def _volume(seed: int = 0, n: int = 17, batch: tuple[int, ...] = ()) -> np.ndarray:
    return interpolation.smooth_disk(np.random.default_rng(seed), (*batch, n, n, n), np.float64, 3)


# --- resampling against SciPy ------------------------------------------------------------------------
def test_3d_rotation_matches_scipy_affine_transform_on_every_slice_and_keeps_the_dtype():
    x = _volume(1, 15, (2, 3)).astype(np.float32)
    g = rotation(axis=[1, 2, 3], degrees=37.0)
    out = interpolation.apply_resampled(g, x, (-3, -2, -1), "zeros", NP)
    assert out.dtype == np.float32 and out.shape == x.shape
    inv = np.linalg.inv(index_matrix(g))
    c = np.full(3, 7.0)
    for i in range(2):
        for j in range(3):
            ref = ndi.affine_transform(
                x[i, j].astype(np.float64), inv, offset=c - inv @ c, order=3, mode="grid-constant"
            )
            assert np.max(np.abs(out[i, j] - ref)) < 1e-5
    # a rotation by another angle is far from it: the comparison can fail
    other = interpolation.apply_resampled(
        rotation(axis=[1, 2, 3], degrees=40.0), x, (-3, -2, -1), "zeros", NP
    )
    assert np.max(np.abs(other - out)) > 0.05


def test_3d_grid_axes_anywhere_in_the_array():
    x = _volume(2, 13, (2,))
    moved = np.moveaxis(x, 0, -1)  # (z, y, x, batch)
    g = rotation(axis=[0, 1, 1], degrees=25.0)
    a = interpolation.apply_resampled(g, x, (1, 2, 3), "zeros", NP)
    b = interpolation.apply_resampled(g, moved, (0, 1, 2), "zeros", NP)
    assert np.allclose(np.moveaxis(b, -1, 0), a, atol=1e-12)


@pytest.mark.parametrize(
    ("axis", "axes", "sign"), [([0, 0, 1], (1, 2), -1), ([0, 1, 0], (0, 2), 1), ([1, 0, 0], (0, 1), -1)]
)
def test_turns_about_x_y_z_match_scipy_rotate(axis, axes, sign):
    """Right-handed turns about x, y, z (array order z, y, x) are scipy.ndimage.rotate in the
    plane of the other two axes (scipy's angle runs from its second axis to its first)."""
    x = _volume(3, 17)
    g = rotation(axis=axis, degrees=30.0)
    ours = interpolation.apply_resampled(g, x, (0, 1, 2), "zeros", NP)
    mask = interpolation.resampled_mask(g, x.shape, 0, "zeros", NP)
    ref = ndi.rotate(x, sign * 30.0, axes=axes, reshape=False, order=3, mode="grid-constant")
    assert np.max(np.abs(ours - ref)[mask]) < 1e-10
    wrong = ndi.rotate(x, -sign * 30.0, axes=axes, reshape=False, order=3, mode="grid-constant")
    assert np.max(np.abs(ours - wrong)[mask]) > 0.1


def test_1d_time_scaling_matches_scipy_zoom_about_the_centre():
    x = interpolation.smooth_disk(np.random.default_rng(4), (3, 41), np.float64, 1)
    g = G.element_from_repr("scale(factor=1.25, dims=1)")
    out = interpolation.apply_resampled(g, x, (-1,), "zeros", NP)
    c = 20.0
    for i in range(3):
        ref = ndi.affine_transform(x[i], np.array([[0.8]]), offset=c - 0.8 * c, order=3, mode="grid-constant")
        assert np.max(np.abs(out[i] - ref)) < 1e-12
    assert abs(out[0, 30] - x[0, 28]) < 1e-12  # position 30 reads 20 + 10 / 1.25 = 28 exactly


def test_quarter_turns_by_spline_equal_the_exact_index_permutations():
    x = _volume(5, 9, (2,))
    for g in CUBE48:
        spline = interpolation.resample(x, index_matrix(g), (0.0, 0.0, 0.0), (1, 2, 3), NP)
        exact = apply_lattice(index_matrix(g), (0, 0, 0), x, (1, 2, 3), "zeros", NP)
        assert np.max(np.abs(spline - exact)) < 1e-12, g
    tilt = interpolation.resample(
        x, index_matrix(rotation(axis=[0, 0, 1], degrees=89.0)), (0, 0, 0), (1, 2, 3), NP
    )
    assert (
        np.max(np.abs(tilt - apply_lattice(index_matrix(CUBE48[1]), (0, 0, 0), x, (1, 2, 3), "zeros", NP)))
        > 1e-3
    )


# --- Fourier shifts --------------------------------------------------------------------------------------
def _band_limited(n: int, t: np.ndarray) -> np.ndarray:
    return np.cos(2 * np.pi * 3 * t / n) + 0.5 * np.sin(2 * np.pi * 5 * t / n + 0.3)


@pytest.mark.parametrize("n", [31, 32])
def test_1d_fourier_shift_of_a_band_limited_signal_is_exact(n):
    t = np.arange(n, dtype=np.float64)
    g = G.element_from_repr("subshift(dt=0.25)")
    out = interpolation.apply_resampled(g, _band_limited(n, t)[None], (-1,), "wrap", NP)
    assert np.max(np.abs(out[0] - _band_limited(n, t - 0.25))) < 1e-12
    spline = interpolation.apply_resampled(g, _band_limited(n, t)[None], (-1,), "zeros", NP)
    assert np.max(np.abs(spline[0] - _band_limited(n, t - 0.25))) > 1e-4  # spline and zero fill are not


def test_3d_fourier_shift_is_a_roll_for_whole_shifts_and_exact_for_band_limited_volumes():
    n = 12
    z, y, x = np.meshgrid(*(np.arange(n, dtype=np.float64),) * 3, indexing="ij")

    def wave(dz: float, dy: float, dx: float) -> np.ndarray:
        return np.cos(2 * np.pi * ((z - dz) + 2 * (y - dy) - (x - dx)) / n) + np.sin(2 * np.pi * (x - dx) / n)

    g = volume(None, 1, (0.5, -0.25, 0.75))
    out = interpolation.apply_resampled(g, wave(0, 0, 0), (0, 1, 2), "wrap", NP)
    assert np.max(np.abs(out - wave(0.5, -0.25, 0.75))) < 1e-12
    noise = np.random.default_rng(0).standard_normal((2, n, n, n))
    rolled = interpolation.fourier_shift(noise, (1.0, -2.0, 3.0), (1, 2, 3), NP)
    assert np.allclose(rolled, np.roll(noise, (1, -2, 3), axis=(1, 2, 3)), atol=1e-12)
    assert interpolation.resampled_mask(g, (n, n, n), 0, "wrap", NP) is None


# --- spacing (anisotropic voxels) -----------------------------------------------------------------------
def _blob(points_zyx: np.ndarray) -> np.ndarray:
    """A smooth function of physical position (z, y, x): two Gaussians off the centre."""
    a = np.exp(-np.sum((points_zyx - np.array([2.0, 3.0, -4.0])[:, None, None, None]) ** 2, axis=0) / 18)
    b = np.exp(-np.sum((points_zyx - np.array([-3.0, -2.0, 2.0])[:, None, None, None]) ** 2, axis=0) / 12)
    return a - 0.7 * b


def test_rotation_of_an_anisotropic_volume_resamples_in_physical_units():
    spacing = (2.0, 1.0, 1.0)
    grid = (13, 25, 25)  # 24 x 24 x 24 physical units
    centre = (np.asarray(grid) - 1) / 2
    idx = np.indices(grid, dtype=np.float64)
    phys = (idx - centre[:, None, None, None]) * np.asarray(spacing)[:, None, None, None]
    x = _blob(phys)
    g = rotation(axis=[1, 0, 0], degrees=30.0)  # turns y into z: mixes the coarse axis
    lin = index_matrix(g)  # physical, array order
    expected = _blob(np.tensordot(np.linalg.inv(lin), phys, axes=1))  # value at p is x's at g⁻¹·p
    got = interpolation.apply_resampled(g, x, (0, 1, 2), "zeros", NP, spacing=spacing)
    mask = interpolation.resampled_mask(g, grid, 0, "zeros", NP, spacing=spacing)
    assert np.max(np.abs(got - expected)[mask]) < 0.02
    ignored = interpolation.apply_resampled(g, x, (0, 1, 2), "zeros", NP)  # as if voxels were cubes
    assert np.max(np.abs(ignored - expected)[mask]) > 0.2
    # through the spatial action, which passes its spacing
    action = Spatial(spacing=spacing, dims=3)
    assert np.array_equal(action.apply(g, x, NP, "zeros"), got)


def test_spacing_leaves_shifts_in_entries_and_shapes_the_ball_into_an_ellipsoid():
    grid = (11, 21, 21)
    g = volume(None, 1, (0.5, 0.0, 0.0))
    x = _volume(6, 21)[:11]
    assert np.array_equal(
        interpolation.apply_resampled(g, x, (0, 1, 2), "zeros", NP, spacing=(2.0, 1.0, 1.0)),
        interpolation.apply_resampled(g, x, (0, 1, 2), "zeros", NP),
    )
    turn = rotation(axis=[0, 0, 1], degrees=20.0)
    mask = interpolation.resampled_mask(turn, grid, 0, "zeros", NP, spacing=(2.0, 1.0, 1.0))
    zs, ys, xs = np.nonzero(mask)
    # physical radius 10 less the rim of one entry: 4 entries along z, 9 along y and x
    assert zs.min() == 1 and zs.max() == 9 and ys.min() == 1 and ys.max() == 19
    assert not mask[0].any() and mask[5, 10, 1] and not mask[5, 1, 1]


def test_acts_exactly_only_when_exchanged_axes_have_equal_sizes_and_spacing():
    quarter_x = rotation(maps="x->x, y->z, z->-y")  # exchanges the z and y axes
    quarter_z = rotation(maps="x->y, y->-x, z->z")  # exchanges y and x
    assert interpolation.acts_exactly(quarter_x, (8, 8, 8))
    assert not interpolation.acts_exactly(quarter_x, (6, 8, 8))
    assert not interpolation.acts_exactly(quarter_x, (8, 8, 8), (2.0, 1.0, 1.0))
    assert interpolation.acts_exactly(quarter_z, (6, 8, 8), (2.0, 1.0, 1.0))
    assert interpolation.acts_exactly(inversion(), (6, 8, 10), (3.0, 2.0, 1.0))
    assert not interpolation.acts_exactly(rotation(axis=[0, 0, 1], degrees=10.0), (8, 8, 8))
    # resampled on unequal sides, a quarter turn is still the turn about the centre
    x = _volume(7, 9)[1:8]  # 7 x 9 x 9
    y = interpolation.apply_resampled(quarter_z, x, (0, 1, 2), "zeros", NP)
    assert np.allclose(
        y, apply_lattice(index_matrix(quarter_z), (0, 0, 0), x, (0, 1, 2), "zeros", NP), atol=1e-12
    )


# --- valid masks ------------------------------------------------------------------------------------------
def test_masks_ball_for_turns_box_for_signed_permutations_interval_in_1d():
    n = 17
    turn = rotation(axis=[1, 1, 0], degrees=50.0)
    ball = interpolation.resampled_mask(turn, (n, n, n), 0, "zeros", NP)
    r = np.sqrt(np.sum((np.indices((n, n, n)) - 8.0) ** 2, axis=0))
    assert ball[r <= 7.0 - 1e-9].all() and not ball[r > 7.0 + 1e-9].any()
    margin = interpolation.resampled_mask(turn, (n, n, n), 2, "zeros", NP)
    assert margin.sum() < ball.sum() and not margin[r > 5.0 + 1e-9].any()
    magnified = VolumeElement(rotation(maps="x->y, y->-x, z->z"), 1.2)
    box = interpolation.resampled_mask(magnified, (n, n, n), 0, "zeros", NP)
    assert box[1:16, 1:16, 1:16].all() and box.sum() == 15**3  # the grid less the spline's reach
    shrunk = interpolation.resampled_mask(VolumeElement(Rotation(), 0.8), (n, n, n), 0, "zeros", NP)
    inner = np.abs(np.indices((n, n, n)) - 8.0).max(axis=0) <= 7 * 0.8 + 1e-9  # g⁻¹·p inside too
    assert np.array_equal(shrunk, inner)
    line = interpolation.resampled_mask(SignalElement(factor=0.8), (21,), 1, "zeros", NP)
    assert line.tolist() == [False] * 4 + [True] * 13 + [False] * 4  # |p - 10| <= (10 - 2) * 0.8
    assert interpolation.resampled_mask(SignalElement(dt=0.5), (21,), 0, "wrap", NP) is None


# --- the floor probe on 1-D and 3-D axes -----------------------------------------------------------------
@pytest.mark.parametrize("dims", [1, 3])
def test_half_pixel_shift_moves_half_an_entry_along_every_grid_axis(dims):
    n = 28
    grid = np.indices((n,) * dims, dtype=np.float64)
    x = np.sum(grid, axis=0)[None]  # a linear ramp in the sum of the coordinates
    axes = tuple(range(1, dims + 1))
    moved = interpolation.half_pixel_shift(x, axes, NP, 3)
    inner = (0,) + (slice(11, n - 11),) * dims  # far from the zero fill's reach into the prefilter
    assert np.allclose(moved[inner], x[inner] - 0.5 * dims, atol=1e-4)
    assert not np.allclose(moved[inner], x[inner] - 0.5, atol=1e-2) or dims == 1
    wave = np.cos(2 * np.pi * x / n)  # periodic, band-limited: the Fourier round trip is exact
    trip = interpolation.probe_round_trip(wave, axes, NP, "fourier")
    assert trip.shape == x.shape and np.max(np.abs(trip - wave)) < 1e-9
    spline_trip = interpolation.probe_round_trip(wave, axes, NP, "spline")
    assert np.max(np.abs(spline_trip - wave)) > 1e-3  # zero fill and splines are not


# --- band-limited inputs ------------------------------------------------------------------------------------
def test_smooth_disk_tapers_signals_at_the_ends_and_volumes_to_the_ball():
    line = make_array(ArraySpec((2, 40), "float64", "smooth-disk", 3, dims=1))
    assert np.all(line[:, :2] == 0) and np.all(line[:, -2:] == 0) and np.abs(line[:, 15:25]).max() > 0.1
    cube = make_array(ArraySpec((1, 16, 16, 16), "float32", "smooth-disk", 3, dims=3))
    r = np.sqrt(np.sum((np.indices((16, 16, 16)) - 7.5) ** 2, axis=0))
    assert cube.dtype == np.float32 and np.all(cube[0][r >= 6.5] == 0) and np.abs(cube[0][r < 3]).max() > 0.1
    flat = make_array(ArraySpec((1, 16, 16, 16), "float32", "smooth-disk", 3))  # dims=2: a cylinder
    assert np.any(flat[0][r >= 6.5] != 0)


def test_smooth_disk_with_spacing_is_round_in_physical_units_and_as_smooth_as_the_coarse_axis():
    spacing = (2.0, 1.0, 1.0)
    x = make_array(ArraySpec((1, 12, 24, 24), "float64", "smooth-disk", 5, dims=3, spacing=spacing))[0]
    offsets = (np.indices((12, 24, 24)) - np.array([5.5, 11.5, 11.5])[:, None, None, None]) * 2.0
    offsets[1:] /= 2.0
    r = np.sqrt(np.sum(offsets**2, axis=0))
    assert np.all(x[r >= 10.5] == 0) and np.abs(x[r < 5]).max() > 0.1  # radius 11.5 less one step
    fine = np.abs(np.fft.fftfreq(24)) >= 0.125  # cycles per entry along y: 0.25 per coarse step

    def fine_share(v: np.ndarray) -> float:
        power = np.abs(np.fft.fftn(v)) ** 2
        return float(power[:, fine, :].sum() / power.sum())

    iso = make_array(ArraySpec((1, 12, 24, 24), "float64", "smooth-disk", 5, dims=3))[0]
    assert fine_share(x) < 0.1 and fine_share(iso) > 3 * fine_share(x)  # the taper leaves a little


@pytest.mark.parametrize("dims", [1, 3])
def test_smooth_family_low_passes_every_grid_axis(dims):
    shape = (2,) + (16,) * dims
    x = make_array(ArraySpec(shape, "float64", "smooth", 1, dims=dims))
    spectrum = np.abs(np.fft.fftn(x, axes=tuple(range(1, dims + 1)))) ** 2
    f = np.abs(np.fft.fftfreq(16))
    for ax in range(1, dims + 1):
        high = spectrum.take(np.flatnonzero(f >= 0.25), axis=ax).sum()
        assert high < 1e-3 * spectrum.sum()
    noise = make_array(ArraySpec(shape, "float64", "noise", 1, dims=dims))
    noisy = np.abs(np.fft.fftn(noise, axes=tuple(range(1, dims + 1)))) ** 2
    assert noisy.take(np.flatnonzero(f >= 0.25), axis=1).sum() > 0.3 * noisy.sum()


# --- groups: law, reprs, names, shrinking ------------------------------------------------------------
def _grid(group) -> tuple[int, ...]:
    return (16,) * group.dims


def _close(a, b) -> bool:
    return (
        np.allclose(index_matrix(a), index_matrix(b), atol=1e-12)
        and getattr(a, "factor", 1) == getattr(b, "factor", 1)
        and np.allclose(index_shift(a), index_shift(b), atol=1e-7)
    )


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_group_axioms_and_reprs(name, data):
    group = G.from_name(name)
    a, b, c = (data.draw(group.strategy(_grid(group))) for _ in range(3))
    e = group.identity
    assert _close((a * b) * c, a * (b * c))  # rotations compose in floats: equal to rounding
    assert e * a == a == a * e
    assert _close(a * a.inverse(), e) and _close(a.inverse() * a, e)
    assert group.contains(a) and group.contains(a * b) and group.contains(a.inverse())
    back = G.element_from_repr(repr(a))
    assert back == a and hash(back) == hash(a) and repr(back) == repr(a)
    assert G.element_from_dict(json.loads(json.dumps(a.to_dict()))) == a


@pytest.mark.parametrize("name", NAMES)
def test_names_round_trip_shrink_to_identity_and_sample(name):
    group = G.from_name(name)
    assert isinstance(group, ResampledGroup) and not group.exact and group.point_elements is None
    assert str(group.spec) == name and G.from_name(str(group.spec)) == group
    assert G.from_dict(json.loads(json.dumps(group.to_dict()))) == group
    assert find(group.strategy(_grid(group)), lambda g: True).is_identity
    sample = group.sample(np.random.default_rng(0), 5, _grid(group))
    assert len(sample) == 5 and all(group.contains(g) for g in sample)
    assert all(group.contains(g) for g in group.generators())
    parameter, sweep = group.curve_elements(8)
    assert parameter in ("angle", "scale", "shift") and all(group.contains(g) for _, g in sweep)


def test_2d_names_stay_the_2d_groups():
    assert G.from_name("scaling") == G.from_name("scaling(dims=2)") and G.from_name("scaling").dims == 2
    assert type(G.from_name("subpixel(max_shift=0.5)")).__name__ == "ContinuousGroup"
    assert str(G.from_name("scaling(min=0.5, dims=2)").spec) == "scaling(min=0.5)"
    so3 = G.from_name("so3_volume")
    assert (so3.dims, so3.cyclic, so3.interpolation, so3.families, so3.needs_square) == (
        3,
        False,
        "spline",
        ("smooth-disk",),
        True,
    )
    sub = G.from_name("subpixel(dims=1)")
    assert (sub.dims, sub.cyclic, sub.interpolation, sub.families, sub.needs_square) == (
        1,
        True,
        "fourier",
        ("smooth",),
        False,
    )


def test_membership_separates_the_groups():
    so3, o3 = G.from_name("so3_volume"), G.from_name("o3_volume")
    tilt = rotation(axis=[1, 2, 2], degrees=33.3)
    assert so3.contains(tilt) and o3.contains(tilt) and so3.contains(CUBE48[5])
    assert not so3.contains(tilt * inversion()) and o3.contains(tilt * inversion())
    assert not so3.contains(VolumeElement(tilt, 1.1)) and not so3.contains(SignalElement(dt=0.5))
    assert G.from_name("scaling(dims=3)").contains(VolumeElement(Rotation(), 1.1))
    assert not G.from_name("scaling(dims=3)").contains(tilt)
    assert G.from_name("subpixel(dims=1)").contains(SignalElement(dt=0.37))
    assert not G.from_name("subpixel(dims=1)").contains(SignalElement(True, 1, 0.5))
    assert not G.from_name("scaling(dims=1)").contains(G.from_name("scaling").identity)


def test_grids_and_parameters_are_checked_with_named_errors():
    with pytest.raises(ShapeError, match="3-D grid"):
        G.from_name("so3_volume").check_grid((16, 16))
    with pytest.raises(ShapeError, match="1-D grid"):
        G.from_name("scaling(dims=1)").strategy((16, 16))
    G.from_name("o3_volume").check_grid((12, 16, 16))  # turns on unequal sides are resampled
    G.from_name("scaling(dims=3)").check_grid((12, 16, 20))  # no turns: any sides
    for bad in (
        "scaling(min=2.0, max=1.0, dims=1)",
        "subpixel(max_shift=-1, dims=3)",
        "scaling(dims=4)",
        "subpixel(dims=0)",
        "scaling(min='a', dims=3)",
    ):
        with pytest.raises(SpecError):
            G.from_name(bad)


# --- Haar draws --------------------------------------------------------------------------------------------
def _angle_cdf(theta: np.ndarray) -> np.ndarray:
    """CDF of the rotation angle of a Haar-random rotation: (θ - sin θ) / π on [0, π]."""
    return (theta - np.sin(theta)) / math.pi


def test_sampled_rotations_are_haar_and_a_uniform_angle_is_not():
    rng = np.random.default_rng(0)
    draws = G.from_name("so3_volume").sample(rng, 2000)
    angles = np.radians([g.axis_angle[1] for g in draws])
    assert scipy.stats.kstest(angles, _angle_cdf).pvalue > 0.01
    mean = np.mean([g.matrix for g in draws], axis=0)
    assert np.max(np.abs(mean)) < 0.06  # E[R] = 0 under the Haar measure
    naive = [rotation(axis=rng.standard_normal(3), degrees=float(rng.uniform(0, 180))) for _ in range(2000)]
    assert scipy.stats.kstest(np.radians([g.axis_angle[1] for g in naive]), _angle_cdf).pvalue < 1e-6
    improper = [g for g in G.from_name("o3_volume").sample(rng, 400) if not g.proper]
    assert 150 < len(improper) < 250


def test_strategy_covers_axes_and_o3_reaches_improper_elements():
    so3, o3 = G.from_name("so3_volume"), G.from_name("o3_volume")
    oblique = find(
        so3.strategy((16, 16, 16)), lambda g: abs(g.axis_angle[0][0]) > 0.3 and g.axis_angle[1] > 60
    )
    assert so3.contains(oblique) and not oblique.exact
    assert not find(o3.strategy((16, 16, 16)), lambda g: not g.proper).proper
    small = find(so3.strategy((16, 16, 16)), lambda g: not g.is_identity)
    assert small.axis_angle == ((0.0, 0.0, 1.0), pytest.approx(0.1))  # shrinks to 0.1° about z
