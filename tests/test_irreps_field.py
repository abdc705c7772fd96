"""Fields of e3nn irreps on volumes (``irreps_field``): the representation is right on arrays,
and an e3nn voxel convolution is equivariant under the cube's symmetries only with the right
layout and parities."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import equicheck
from equicheck import actions
from equicheck.errors import EquicheckError
from equicheck.groups import cube48, element_from_repr, from_name, rotation, shift

RNG = np.random.default_rng(0)
CUBE = cube48().point_elements


def prepared(action, group="pm3m", shape=(2, 9, 4, 4, 4)):
    return action.prepare(from_name(group), shape)


def test_the_name_reads_back_and_counts_channels():
    a = actions.irreps_field("2x0e + 1x1o + 1x2e", axis=1, axes=(-1, -2, -3))
    assert actions.from_name(a.name).name == a.name
    assert a.fiber.channels() == 10
    with pytest.raises(EquicheckError, match="bad irreps"):
        actions.from_name("irreps_field(irreps='1x1q')")


def test_a_1o_field_is_a_vector_field_stored_x_y_z():
    x = RNG.standard_normal((2, 3, 4, 4, 4))
    irreps = prepared(actions.irreps_field("1x1o", axis=1), shape=x.shape)
    vector = prepared(actions.vector(axis=1, components="xyz"), shape=x.shape)
    for g in CUBE:
        np.testing.assert_allclose(irreps.apply(g, x), vector.apply(g, x), atol=1e-12, err_msg=repr(g))
    zyx = prepared(actions.vector(axis=1), shape=x.shape)  # components in the grid's order: not the same
    assert not np.allclose(irreps.apply(CUBE[1], x), zyx.apply(CUBE[1], x))


def test_parity_only_shows_under_reflections():
    x = RNG.standard_normal((1, 3, 4, 4, 4))
    polar = prepared(actions.irreps_field("1x1o", axis=1), shape=x.shape)
    axial = prepared(actions.irreps_field("1x1e", axis=1), shape=x.shape)
    for g in CUBE:
        same = np.allclose(polar.apply(g, x), axial.apply(g, x))
        assert same == g.proper, repr(g)


def test_the_group_law_holds_on_arrays_with_shifts():
    x = RNG.standard_normal((1, 9, 5, 5, 5))
    action = prepared(actions.irreps_field("1x0e + 1x1o + 1x2e", axis=1), shape=x.shape)
    some = [shift(dz=1, dy=0, dx=-2) * g for g in CUBE[::7]] + list(CUBE[3::11])
    for g in some:
        for h in some:
            lhs = action.apply(g * h, x)
            rhs = action.apply(g, action.apply(h, x))
            np.testing.assert_allclose(lhs, rhs, atol=1e-12, err_msg=f"{g!r} {h!r}")


def test_any_rotation_gives_an_orthogonal_matrix_and_2d_groups_are_refused():
    fiber = actions.irreps_field("1x1o + 1x2e").fiber
    d = fiber.matrix(rotation(axis=[1.0, 2.0, 0.5], degrees=37.0))
    np.testing.assert_allclose(d @ d.T, np.eye(8), atol=1e-12)
    with pytest.raises(EquicheckError, match="3-D"):
        actions.irreps_field("1x1o").prepare(from_name("p4"), (1, 3, 4, 4))


# --- an e3nn voxel convolution ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def voxel_conv():
    torch = pytest.importorskip("torch", reason="e3nn models are PyTorch modules")
    pytest.importorskip("e3nn", reason="the e3nn voxel convolution")
    from e3nn.nn.models.v2104.voxel_convolution import Convolution

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Convolution(
            "2x0e + 1x1o", "1x0e + 1x1o + 1x2e", "0e + 1o + 2e", diameter=3.0, num_radial_basis=3
        ).eval()


E3NN_AXES = (-1, -2, -3)  # e3nn stores (N, C, x, y, z): x is axis -3, z the last


def check_voxel(conv, group, out_irreps="1x0e + 1x1o + 1x2e", axes=E3NN_AXES):
    return equicheck.check_equivariance(
        conv,
        group,
        in_action=actions.irreps_field("2x0e + 1x1o", axis=1, axes=axes),
        out_action=actions.irreps_field(out_irreps, axis=1, axes=axes),
        input_shape=(1, 5, None, None, None),
        sizes=(4, 6),
        batched=True,
        max_examples=8,
        replay_dir=None,
        seed=0,
    )


def test_an_e3nn_voxel_convolution_holds_under_the_cubes_symmetries(voxel_conv):
    result = check_voxel(voxel_conv, "cube48")
    assert result.passed and result.exhaustive, result.message


def test_the_wrong_axis_order_is_caught(voxel_conv):
    result = check_voxel(voxel_conv, "cube24", axes=None)  # (z, y, x): the vectors turn the wrong way
    assert not result.passed


def test_a_wrong_parity_fails_under_reflections_only(voxel_conv):
    assert check_voxel(voxel_conv, "cube24", out_irreps="1x0e + 1x1e + 1x2e").passed
    result = check_voxel(voxel_conv, "cube48", out_irreps="1x0e + 1x1e + 1x2e")
    assert not result.passed
    assert not element_from_repr(str(result.counterexample.element)).proper
