"""The cube group CNN (3-D p4): lifting and group convolutions for p432 / cube24 (24 rotations)
and pm3m / cube48 (48 symmetries), proven equivariant several layers deep with equicheck's
own actions and by equicheck.check_equivariance, and planted bugs that must fail."""

from __future__ import annotations

import numpy as np
import pytest

import equicheck
import equicheck.nn as nn
from equicheck.actions import regular, spatial
from equicheck.actions.kernels import apply_lattice
from equicheck.backends import get_backend
from equicheck.errors import ShapeError
from equicheck.groups import from_name
from equicheck.groups.lattice import index_matrix

NUMPY = get_backend("numpy")


def cube_net(group="p432", padding_mode="circular", seed=0):
    """lifting -> group conv -> group conv (with nonlinearities), 'same' sizes."""
    return nn.Sequential(
        nn.LiftingConv3d(2, 2, 3, group=group, padding=1, padding_mode=padding_mode, seed=seed),
        nn.ReLU(),
        nn.GroupConv3d(2, 2, 3, group=group, padding=1, padding_mode=padding_mode, seed=seed + 1),
        nn.Tanh(),
        nn.GroupConv3d(2, 1, 3, group=group, padding=1, padding_mode=padding_mode, seed=seed + 2),
    )


def errors(f, group, x, elements):
    """|f(g·x) - g·f(x)| per element, with the spatial and regular actions of equicheck
    (all moved inputs in one batch: one call of f)."""
    g_ = from_name(group)
    y = f(x)
    ain = spatial().prepare(g_, x.shape)
    aout = regular(axis=1).prepare(g_, y.shape)
    moved = f(np.concatenate([ain.apply(g, x) for g in elements]))
    n = x.shape[0]
    return {
        repr(g): float(np.abs(moved[i * n : (i + 1) * n] - aout.apply(g, y)).max())
        for i, g in enumerate(elements)
    }, y


def test_orientations_are_the_groups_point_elements():
    for name, size in (("cube24", 24), ("p432", 24), ("cube48", 48), ("pm3m", 48)):
        hs = nn.orientations(name)
        assert hs == tuple(from_name(name).point_elements) and len(hs) == size
        assert hs[0].is_identity
    assert len(nn.orientations("p4")) == 4  # the 2-D groups unchanged


@pytest.mark.parametrize("name", ["p432", "pm3m"])
def test_every_orientation_three_layers_deep(name):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 5, 5, 5))
    net = cube_net(name)
    errs, y = errors(net, name, x, from_name(name).point_elements)
    assert y.shape == (1, len(nn.orientations(name)), 5, 5, 5)
    assert len(errs) == len(nn.orientations(name))
    assert max(errs.values()) < 1e-12 * float(np.abs(y).max()), errs


def test_shifts_times_rotations_with_circular_padding():
    group = from_name("p432")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 2, 4, 4, 4))
    net = cube_net("p432", seed=3)
    hs = group.point_elements
    shift = equicheck.groups.lattice.shift
    elements = [shift(dz=1, dy=0, dx=0), shift(dz=-1, dy=2, dx=3)] + [
        shift(dz=k, dy=1, dx=-k) * hs[k] for k in (1, 7, 13, 20)
    ]
    errs, y = errors(net, "p432", x, elements)
    assert max(errs.values()) < 1e-12 * float(np.abs(y).max()), errs


def test_zero_padding_keeps_the_rotations_of_a_cubic_grid_in_float32():
    """The zero border turns with the grid: cube24 (rotations only) holds with zero padding;
    float32 in, float32 out, equal to float rounding."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 2, 5, 5, 5)).astype(np.float32)
    net = cube_net("cube24", padding_mode="zeros", seed=5)
    errs, y = errors(net, "cube24", x, from_name("cube24").point_elements)
    assert y.dtype == np.float32
    assert max(errs.values()) < 1e-5 * float(np.abs(y).max()), errs


def test_orientation_pooling_gives_invariant_fibers_for_cube48():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 3, 4, 4, 4))
    lift = nn.LiftingConv3d(3, 2, 3, group="cube48", padding=1, padding_mode="circular", seed=0)
    pooled = nn.Sequential(lift, nn.OrientationPool("cube48"))
    y = pooled(x)
    assert y.shape == (1, 2, 4, 4, 4)
    act = spatial().prepare(from_name("cube48"), x.shape)
    for g in from_name("cube48").point_elements:
        np.testing.assert_allclose(pooled(act.apply(g, x)), act.apply(g, y), atol=1e-12)
    np.testing.assert_allclose(
        nn.orientation_pool(lift(x), "cube48", "mean"), lift(x).reshape(1, 2, 48, 4, 4, 4).mean(axis=2)
    )


def test_expanded_filters_follow_the_documented_orientations():
    rng = np.random.default_rng(5)
    w = rng.standard_normal((2, 3, 3, 3, 3))
    wide = nn.expand_lifting_weight(w, "cube48")
    assert wide.shape == (96, 3, 3, 3, 3)
    np.testing.assert_array_equal(wide[0], w[0])  # the identity comes first
    # orientation j + 24 is orientation j times the inversion: the filter point-reflected
    for j in range(24):
        np.testing.assert_array_equal(wide[48 + j + 24], wide[48 + j][:, ::-1, ::-1, ::-1])
    # a quarter turn about z leaves the first (z) axis in place: a rot90 of every z-slice,
    # and the opposite turn rotates the other way
    quarter = [
        h
        for h in nn.orientations("cube24")
        if repr(h) in ("rotation(maps='x->-y, y->x, z->z')", "rotation(maps='x->y, y->-x, z->z')")
    ]
    turned = [
        nn.expand_lifting_weight(w, "cube24")[list(nn.orientations("cube24")).index(h)] for h in quarter
    ]
    ks = [[k for k in (1, 3) if np.array_equal(t, np.rot90(w[0], k, axes=(-2, -1)))] for t in turned]
    assert sorted(k for found in ks for k in found) == [1, 3]
    group_wide = nn.expand_group_weight(rng.standard_normal((2, 1, 24, 3, 3, 3)), "p432")
    assert group_wide.shape == (48, 24, 3, 3, 3)


def test_parameter_counts_and_reprs():
    lift = nn.LiftingConv3d(3, 4, 3, seed=0)
    gconv = nn.GroupConv3d(4, 2, 3, group="pm3m", seed=0)
    assert lift.group.name == "p432" and lift.out_channels == 96
    assert lift.num_parameters() == 4 * 3 * 27 + 4
    assert gconv.num_parameters() == 2 * 4 * 48 * 27 + 2
    assert "group='pm3m'" in repr(gconv)


def test_cube_group_errors_before_any_work():
    x = np.ones((1, 48, 4, 4, 4))
    with pytest.raises(ShapeError, match="input fields"):
        nn.group_conv3d(x, np.ones((2, 3, 24, 3, 3, 3)), group="p432")
    with pytest.raises(ShapeError, match="cubic"):
        nn.lifting_conv3d(np.ones((1, 1, 4, 4, 4)), np.ones((2, 1, 3, 3, 1)))
    with pytest.raises(ShapeError, match="out_fields, in_fields, 24"):
        nn.group_conv3d(x, np.ones((2, 2, 3, 3, 3)), group="p432")
    with pytest.raises(ShapeError, match="orientations"):
        nn.orientation_pool(np.ones((1, 30, 4, 4, 4)), "p432")
    with pytest.raises(ShapeError, match=r"\(N, C, D, H, W\)"):
        nn.lifting_conv3d(np.ones((1, 4, 4, 4)), np.ones((2, 1, 3, 3, 3)))
    with pytest.raises(ValueError, match="3d version"):
        nn.lifting_conv2d(np.ones((1, 1, 4, 4)), np.ones((2, 1, 3, 3)), group="p432")
    with pytest.raises(ValueError, match="2d version"):
        nn.LiftingConv3d(1, 2, 3, group="p4")
    with pytest.raises(ValueError, match="cubic kernel"):
        nn.GroupConv3d(2, 2, (3, 3, 1))
    with pytest.raises(ValueError, match="orientations"):
        nn.LiftingConv3d(1, 2, 3, group="translation(dims=3)")
    with pytest.raises(ShapeError, match="bias"):
        nn.lifting_conv3d(np.ones((1, 1, 4, 4, 4)), np.ones((2, 1, 3, 3, 3)), bias=np.ones(48))


# --- planted bugs: each must fail, directly and under equicheck.check_equivariance -------------
def _turn(h, w):
    return apply_lattice(index_matrix(h), (0, 0, 0), w, tuple(range(w.ndim - 3, w.ndim)), "wrap", NUMPY)


def lifting_turned_the_wrong_way(lift):
    """Orientation j's filter turned by h_j⁻¹ instead of h_j."""
    hs = nn.orientations(lift.group)
    wide = np.stack([_turn(h.inverse(), lift.weight) for h in hs], axis=1).reshape(-1, *lift.weight.shape[1:])
    bias = np.repeat(lift.bias, len(hs))
    return lambda x: nn.conv3d(x, wide, bias, padding=1, padding_mode="circular")


def group_conv_rolled_like_p4(gconv):
    """The orientation axis rolled by j as for C4 (right for p4, wrong for the cube group)."""
    hs = nn.orientations(gconv.group)
    w = gconv.weight
    blocks = [_turn(h, np.roll(w, j, axis=2)) for j, h in enumerate(hs)]
    wide = np.stack(blocks, axis=1).reshape(w.shape[0] * len(hs), w.shape[1] * len(hs), *w.shape[3:])
    bias = np.repeat(gconv.bias, len(hs))
    return lambda x: nn.conv3d(x, wide, bias, padding=1, padding_mode="circular")


BUGS = ["filter turned the wrong way", "orientation axis rolled like p4", "orientations listed backwards"]


def planted_bugs():
    lift = nn.LiftingConv3d(2, 2, 3, padding=1, padding_mode="circular", seed=0, dtype=np.float64)
    gconv = nn.GroupConv3d(2, 1, 3, padding=1, padding_mode="circular", seed=1, dtype=np.float64)
    wrong_turn = lifting_turned_the_wrong_way(lift)
    wrong_roll = group_conv_rolled_like_p4(gconv)
    return {
        "filter turned the wrong way": lambda x: gconv(nn.relu(wrong_turn(x))),
        "orientation axis rolled like p4": lambda x: wrong_roll(nn.relu(lift(x))),
        "orientations listed backwards": lambda x: gconv(nn.relu(lift(x)))[:, ::-1],
    }


@pytest.mark.parametrize("bug", BUGS)
def test_planted_bugs_break_equivariance(bug):
    f = planted_bugs()[bug]
    x = np.random.default_rng(6).standard_normal((1, 2, 4, 4, 4))
    errs, y = errors(f, "p432", x, from_name("p432").point_elements)
    assert max(errs.values()) > 1e-3 * float(np.abs(y).max()), errs
    assert errs["rotation()"] < 1e-12  # the identity is always fine


#: Small volumes (sides 4 to 6) keep a check of a 3-layer cube CNN to about a second.
CHECK = {
    "in_action": "spatial",
    "out_action": "regular(axis=1)",
    "sizes": (4, 6),
    "batched": True,
    "seed": 0,
    "replay_dir": None,
}


def test_check_equivariance_passes_the_cube_cnn():
    net = cube_net("p432", seed=7)
    result = equicheck.check_equivariance(
        net, "p432", input_shape=(1, 2, None, None, None), max_examples=4, **CHECK
    )
    assert result.passed, result


def test_check_equivariance_passes_pm3m_and_pooled_invariant_features():
    lift = nn.LiftingConv3d(2, 1, 3, group="pm3m", padding=1, padding_mode="circular", seed=8)
    result = equicheck.check_equivariance(lift, "pm3m", input_shape=(1, 2, 4, 4, 4), max_examples=3, **CHECK)
    assert result.passed, result
    pooled = nn.Sequential(cube_net("p432", seed=9), nn.OrientationPool("p432"), nn.GlobalMaxPool3d())
    invariant = equicheck.check_equivariance(
        pooled,
        "p432",
        in_action="spatial",
        invariant=True,
        input_shape=(1, 2, 4, 4, 4),
        max_examples=3,
        seed=0,
        replay_dir=None,
    )
    assert invariant.passed, invariant


@pytest.mark.parametrize("bug", BUGS)
def test_check_equivariance_finds_the_planted_bugs(bug):
    result = equicheck.check_equivariance(
        planted_bugs()[bug], "p432", input_shape=(1, 2, None, None, None), max_examples=6, **CHECK
    )
    assert not result.passed
