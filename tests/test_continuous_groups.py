"""Continuous groups and their interpolated actions: group law, reprs, exactness, masks, inputs."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import equicheck
from equicheck import actions
from equicheck import groups as G
from equicheck.actions import interpolation
from equicheck.backends import get_backend
from equicheck.groups.continuous import mirror, rotate, scale, subshift, upsample

NAMES = [
    "so2",
    "o2",
    "cn(n=8)",
    "cn(n=7)",
    "dn(n=6)",
    "scaling",
    "scaling(min=0.5, max=2.0)",
    "rotscale",
    "subpixel",
    "se2",
    "e2(max_shift=1.5)",
    "upsampling",
]
GRID = (24, 24)
NP = get_backend("numpy")


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_group_axioms_and_reprs(name, data):
    group = G.from_name(name)
    a, b, c = (data.draw(group.strategy(GRID)) for _ in range(3))
    e = group.identity
    assert (a * b) * c == a * (b * c)
    assert e * a == a == a * e
    assert a * a.inverse() == e == a.inverse() * a
    assert group.contains(a) and group.contains(a.inverse())
    if name != "upsampling":
        assert group.contains(a * b)
    back = G.element_from_repr(repr(a))
    assert back == a and hash(back) == hash(a)
    assert G.element_from_dict(json.loads(json.dumps(a.to_dict()))) == a


@pytest.mark.parametrize("name", NAMES)
def test_names_round_trip_and_shrink_to_identity(name):
    group = G.from_name(name)
    assert G.from_name(str(group.spec)) == group
    assert G.from_dict(json.loads(json.dumps(group.to_dict()))) == group
    assert find(group.strategy(GRID), lambda g: True).is_identity
    sample = group.sample(np.random.default_rng(0), 5, GRID) if hasattr(group, "sample") else []
    assert all(group.contains(g) for g in sample)


def test_exact_fractions_and_conventions():
    turn = rotate(360 / 7)
    g = turn
    for _ in range(6):
        g = g * turn
    assert g.is_identity
    assert repr(subshift(dy=0.5, dx=-0.25) * scale(1.25) * rotate(30) * mirror()) == (
        "subshift(dy=0.5, dx=-0.25) * scale(factor=1.25) * rotate(degrees=30.0) * mirror()"
    )
    assert repr(rotate(0)) == "rotate(degrees=0.0)" and repr(upsample(2)) == "upsample(factor=2)"
    assert rotate(-90) == rotate(270) and rotate(90).as_grid() == G.rot90(1)
    assert mirror().as_grid() == G.flip("x") and (rotate(90) * mirror()).as_grid() == G.rot90(1) * G.flip("x")
    assert np.allclose(rotate(90).matrix, G.rot90(1).matrix)
    assert np.allclose((rotate(90) * mirror()).matrix, (G.rot90(1) * G.flip("x")).matrix)
    assert G.rot90(1) * rotate(30) == rotate(120) and rotate(30) * G.rot90(1) == rotate(120)
    assert G.from_name("so2").contains(G.rot90(1)) and not G.from_name("so2").contains(mirror())
    assert G.from_name("cn(n=8)").contains(rotate(Fraction(135))) and not G.from_name("cn(n=8)").contains(
        rotate(30)
    )
    assert [G.from_name(n).exact for n in ("cn(n=4)", "dn(n=4)", "cn(n=8)", "so2", "upsampling")] == [
        True,
        True,
        False,
        False,
        True,
    ]
    with pytest.raises(equicheck.SpecError):
        G.from_name("scaling(min=2.0, max=1.0)")
    with pytest.raises(equicheck.ShapeError):
        G.from_name("so2").check_grid((8, 9))


def test_curve_elements():
    param, points = G.from_name("so2").curve_elements(24)
    assert param == "angle" and points[0][0] == 0.0 and points[-1][0] == 360.0 and len(points) == 25
    assert rotate(90) in [g for _, g in points]
    param, points = G.from_name("scaling").curve_elements(8)
    assert param == "scale" and 1.0 in [v for v, _ in points]


# --- actions -------------------------------------------------------------------------------------
def _act(group: str, shape, action=None):
    return actions.from_name(action or "spatial").prepare(G.from_name(group), shape)


def test_quarter_turns_stay_exact_and_near_ones_are_close():
    x = np.random.default_rng(0).standard_normal((2, 3, 16, 16)).astype(np.float32)
    act = _act("so2", x.shape)
    assert np.array_equal(act.apply(rotate(90), x, NP), np.rot90(x, 1, axes=(-2, -1)))
    assert np.array_equal(act.apply(rotate(180) * mirror(), x, NP), np.flip(x, axis=-2))
    near = act.apply(rotate(90.0001), x, NP)
    assert near.dtype == np.float32
    assert np.abs(near - np.rot90(x, 1, axes=(-2, -1)))[..., 2:-2, 2:-2].max() < 1e-3


def test_spline_rotation_matches_scipy_and_round_trips_on_smooth_inputs():
    from scipy import ndimage

    x = interpolation.smooth_disk(np.random.default_rng(1), (32, 32))
    act = _act("so2", x.shape)
    y = act.apply(rotate(30), x, NP)
    ref = ndimage.rotate(x, 30, reshape=False, order=3, mode="grid-constant")
    assert np.abs(y - ref).max() < 1e-10
    back = act.apply(rotate(-30), y, NP)
    assert np.abs(back - x).max() < 0.02 * np.abs(x).max()
    # other axes and layouts: channels last, grid on axes (0, 1)
    z = np.stack([x, 2 * x], axis=-1)
    act_last = actions.spatial(axes=(0, 1)).prepare(G.from_name("so2"), z.shape)
    moved = act_last.apply(rotate(30), z, NP)
    assert np.allclose(moved[..., 0], y) and np.allclose(moved[..., 1], 2 * y)


def test_fourier_shift_and_upsampling_are_exact_where_they_should_be():
    rng = np.random.default_rng(2)
    x = np.real(np.fft.ifft2(np.fft.fft2(rng.standard_normal((16, 16))) * _band(16)))
    act = _act("subpixel", x.shape)
    assert np.array_equal(act.apply(subshift(dy=1.0, dx=-2.0), x, NP), np.roll(x, (1, -2), axis=(0, 1)))
    half = subshift(dy=0.5, dx=0.25)
    twice = act.apply(half, act.apply(half, x, NP), NP)
    assert np.abs(twice - act.apply(half * half, x, NP)).max() < 1e-12
    assert (
        np.abs(
            act.apply(subshift(dy=1.0, dx=0.5), x, NP) - act.apply(subshift(dx=0.5), np.roll(x, 1, 0), NP)
        ).max()
        < 1e-12
    )
    up = _act("upsampling", x.shape)
    big = up.apply(upsample(2), x, NP)
    assert big.shape == (32, 32) and np.array_equal(big[::2, ::2], x)
    assert np.array_equal(up.apply(upsample(2).inverse(), big, NP), x)


def _band(n: int) -> np.ndarray:
    f = np.abs(np.fft.fftfreq(n))
    return ((f < 0.4)[:, None] & (f < 0.4)[None, :]).astype(float)


def test_valid_masks():
    shape = (1, 20, 20)
    act = _act("so2", shape)
    disk = act.valid_mask(rotate(30), shape, 0, NP)
    yy, xx = np.mgrid[:20, :20]
    r = np.hypot(yy - 9.5, xx - 9.5)
    assert disk.shape == (20, 20) and disk[r <= 8.4].all() and not disk[r > 8.6].any()
    assert act.valid_mask(rotate(90), shape, 0, NP) is None  # exact: every entry compares
    assert act.valid_mask(rotate(30), shape, 2, NP).sum() < disk.sum()
    zoom_out = _act("scaling", shape).valid_mask(scale(0.8), shape, 0, NP)
    assert not zoom_out[0].any() and zoom_out[10, 10]
    assert _act("subpixel", shape).valid_mask(subshift(dx=0.5), shape, 0, NP) is None


def test_fibers_under_continuous_elements():
    v = np.zeros((2, 9, 9))
    v[1] = 1.0  # a field pointing right (+x)
    act = _act("so2", v.shape, "vector(axis=0)")
    turned = act.apply(rotate(90), v, NP)
    assert np.allclose(turned[:, 4, 4], [-1.0, 0.0])  # right turns to up (row decreases)
    reg = _act("cn(n=8)", (8, 12, 12), "regular(axis=0)")
    x = np.arange(8.0)[:, None, None] * np.ones((8, 12, 12))
    moved = reg.apply(rotate(45), x, NP)
    assert np.allclose(moved[:, 6, 6], np.roll(np.arange(8.0), 1), rtol=1e-3)  # spline of a constant


def test_smooth_disk_family_and_order_setting():
    from equicheck.strategies import ArraySpec, make_array

    x = make_array(ArraySpec((2, 20, 20), "float32", "smooth-disk", 7))
    assert x.dtype == np.float32 and abs(float(x.std()) - 1.0) < 1e-3
    yy, xx = np.mgrid[:20, :20]
    assert np.all(x[:, np.hypot(yy - 9.5, xx - 9.5) > 8.5] == 0)
    assert interpolation.current_order() == 3
    with interpolation.interpolation_order(1):
        assert interpolation.current_order() == 1
    with pytest.raises(equicheck.EquicheckError):
        with interpolation.interpolation_order(7):
            pass


@pytest.mark.gpu
def test_interpolated_actions_and_a_check_on_cupy_match_numpy():
    import cupyx.scipy.ndimage as cnd

    cp = get_backend("cupy")
    x = interpolation.smooth_disk(np.random.default_rng(5), (1, 3, 32, 32))
    for name, g in [
        ("e2", subshift(dy=0.3, dx=-0.7) * rotate(30) * mirror()),
        ("rotscale", scale(1.1) * rotate(-20)),
        ("subpixel", subshift(dy=0.5, dx=0.25)),
        ("so2", rotate(90)),
    ]:
        act = _act(name, x.shape)
        on_gpu = cp.to_host(act.apply(g, cp.asarray(x), cp))
        assert np.allclose(on_gpu, act.apply(g, x, NP), atol=1e-9), name
        mask = act.valid_mask(g, x.shape, 0, cp)
        assert (mask is None) == (act.valid_mask(g, x.shape, 0, NP) is None)

    def blur(x):
        return cnd.gaussian_filter(x, (0, 0, 2, 2), mode="constant")

    result = check_equivariance_cupy(blur)
    assert result.passed and result.backend == "cupy", result.message


def check_equivariance_cupy(f):
    return equicheck.check_equivariance(
        f, "so2", input_shape=(1, 2, None, None), backend="cupy", seed=0, max_examples=5, replay_dir=None
    )
