"""p4 / p4m group convolutions: exact equivariance several layers deep, by direct transforms
with equicheck's own actions and by equicheck.check_equivariance."""

from __future__ import annotations

import numpy as np
import pytest

import equicheck.nn as nn
from equicheck.actions import regular, spatial
from equicheck.errors import ShapeError
from equicheck.groups import c4, d4, p4, p4m, rot90, shift


def deep_net(group, padding_mode="circular", seed=0, algorithm="auto"):
    """lifting -> group conv -> group conv (with nonlinearities), 'same' sizes."""
    return nn.Sequential(
        nn.LiftingConv2d(
            3, 4, 3, group=group, padding=1, padding_mode=padding_mode, seed=seed, algorithm=algorithm
        ),
        nn.ReLU(),
        nn.GroupConv2d(
            4, 3, 3, group=group, padding=1, padding_mode=padding_mode, seed=seed + 1, algorithm=algorithm
        ),
        nn.Tanh(),
        nn.GroupConv2d(
            3, 2, 5, group=group, padding=2, padding_mode=padding_mode, seed=seed + 2, algorithm=algorithm
        ),
    )


def _errors(f, group, x, elements):
    y = f(x)
    ain = spatial().prepare(group, x.shape)
    aout = regular(axis=1).prepare(group, y.shape)
    return {repr(g): float(np.abs(f(ain.apply(g, x)) - aout.apply(g, y)).max()) for g in elements}, y


@pytest.mark.parametrize(("name", "group", "size"), [("p4", c4(), 4), ("p4m", d4(), 8)])
@pytest.mark.parametrize("algorithm", ["direct", "gemm", "fft"])
def test_point_group_equivariance_three_layers_deep(name, group, size, algorithm):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 11, 11)).astype(np.float32)
    net = deep_net(name, algorithm=algorithm)
    errors, y = _errors(net, group, x, group.elements())
    assert y.shape == (2, 2 * size, 11, 11) and y.dtype == np.float32
    scale = float(np.abs(y).max())
    assert max(errors.values()) < 1e-5 * scale, errors


def test_p4_shifts_and_rotations_with_circular_padding():
    group = p4()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 3, 12, 12))
    net = deep_net("p4", seed=3)
    elements = [
        shift(1, 0),
        shift(-3, 5),
        shift(2, 2) * rot90(1),
        shift(0, -1) * rot90(3),
        shift(6, 6) * rot90(2),
    ]
    errors, y = _errors(net, group, x, elements)
    assert max(errors.values()) < 1e-12 * float(np.abs(y).max()), errors


def test_p4m_shifts_with_reflections():
    group = p4m()
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 3, 10, 10))
    net = deep_net("p4m", seed=4)
    elements = [g for g in group.elements((10, 10)) if g.flipped][::7][:6]
    errors, y = _errors(net, group, x, elements)
    assert max(errors.values()) < 1e-12 * float(np.abs(y).max()), errors


def test_zero_padding_breaks_equivariance_only_near_the_border():
    """With zero padding the rotated input still gives the rotated output (the zero border turns
    with the grid), but cyclic shifts differ: only within the network's reach of the border."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 3, 16, 16))
    net = deep_net("p4", padding_mode="zeros", seed=5)
    rot_errors, y = _errors(net, c4(), x, c4().elements())
    assert max(rot_errors.values()) < 1e-12 * float(np.abs(y).max())
    g = shift(3, 0)
    moved = net(spatial().prepare(p4(), x.shape).apply(g, x))
    expected = regular(axis=1).prepare(p4(), y.shape).apply(g, y)
    error_rows = np.abs(moved - expected).max(axis=(0, 1, 3))
    reach = 1 + 1 + 2  # kernel radii of the three layers
    far = [r for r in range(16) if min(abs(r - 3), abs(r - 0), abs(r - 16), abs(r - 19)) > reach]
    near = [r for r in range(16) if r not in far]
    assert error_rows[far].max() < 1e-12
    assert error_rows[near].max() > 1e-3


def test_orientation_pooling_gives_invariant_fibers():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 9, 9))
    lift = nn.LiftingConv2d(3, 5, 3, group="p4m", padding=1, padding_mode="circular", seed=0)
    pooled = nn.Sequential(lift, nn.OrientationPool("p4m"))
    y = pooled(x)
    assert y.shape == (2, 5, 9, 9)
    act = spatial().prepare(d4(), x.shape)
    for g in d4().elements():
        np.testing.assert_allclose(pooled(act.apply(g, x)), act.apply(g, y), atol=1e-12)
    np.testing.assert_allclose(
        nn.orientation_pool(lift(x), "p4m", "mean"), lift(x).reshape(2, 5, 8, 9, 9).mean(axis=2)
    )


def test_expanded_weights_and_parameter_counts():
    lift = nn.LiftingConv2d(3, 4, 5, group="p4", seed=0)
    gconv = nn.GroupConv2d(4, 6, 3, group="p4m", seed=0)
    assert lift.weight.shape == (4, 3, 5, 5) and lift.out_channels == 16
    assert lift.num_parameters() == 4 * 3 * 25 + 4
    assert gconv.num_parameters() == 6 * 4 * 8 * 9 + 6
    wide = nn.expand_lifting_weight(lift.weight, "p4")
    assert wide.shape == (16, 3, 5, 5)
    np.testing.assert_array_equal(wide[1], np.rot90(lift.weight[0], 1, axes=(-2, -1)))
    assert nn.expand_group_weight(gconv.weight, "p4m").shape == (48, 32, 3, 3)
    assert [repr(h) for h in nn.orientations("p4")] == [
        "identity()",
        "rot90(k=1)",
        "rot90(k=2)",
        "rot90(k=3)",
    ]


def test_group_conv_errors():
    x = np.ones((1, 6, 5, 5))
    with pytest.raises(ShapeError, match="input fields"):
        nn.group_conv2d(x, np.ones((2, 2, 4, 3, 3)), group="p4")
    with pytest.raises(ShapeError, match="square"):
        nn.lifting_conv2d(np.ones((1, 1, 5, 5)), np.ones((2, 1, 3, 1)))
    with pytest.raises(ShapeError, match="orientations"):
        nn.orientation_pool(x, "p4")
    with pytest.raises(ShapeError, match="out_fields, in_fields, 4"):
        nn.group_conv2d(np.ones((1, 8, 5, 5)), np.ones((2, 2, 3, 3)), group="p4")
    with pytest.raises(ValueError, match="square kernel"):
        nn.GroupConv2d(2, 2, (3, 5))


# --- with the main checker -----------------------------------------------------------------------
def _check():
    equicheck = pytest.importorskip("equicheck")
    check = getattr(equicheck, "check_equivariance", None)
    if check is None:
        pytest.skip("equicheck.check_equivariance is not available yet")
    return check


@pytest.mark.parametrize("name", ["p4", "p4m"])
def test_check_equivariance_passes_a_deep_group_cnn(name):
    check = _check()
    net = deep_net(name, seed=7)
    result = check(
        net,
        name,
        in_action="spatial",
        out_action=regular(axis=1),
        input_shape=(2, 3, 12, 12),
        batched=True,
        max_examples=8,
        seed=0,
        replay_dir=None,
    )
    assert result.passed, result


def test_check_equivariance_passes_pooled_invariant_features():
    check = _check()
    net = nn.Sequential(deep_net("p4", seed=8), nn.OrientationPool("p4"), nn.GlobalAvgPool2d())
    result = check(
        net,
        "c4",
        in_action="spatial",
        invariant=True,
        input_shape=(2, 3, 10, 10),
        batched=True,
        max_examples=8,
        seed=0,
        replay_dir=None,
    )
    assert result.passed, result


def test_check_equivariance_finds_the_border_effect_of_zero_padding():
    check = _check()
    conv = nn.Conv2d(2, 3, 3, padding=1, seed=0)
    cyclic = check(
        conv,
        "translation",
        in_action="spatial",
        out_action="spatial",
        input_shape=(2, 2, 12, 12),
        batched=True,
        max_examples=10,
        seed=0,
        replay_dir=None,
    )
    assert not cyclic.passed
    inside = check(
        conv,
        "translation(cyclic=False)",
        in_action="spatial",
        out_action="spatial",
        input_shape=(2, 2, 12, 12),
        batched=True,
        max_examples=10,
        seed=0,
        replay_dir=None,
        margin=1,
    )
    assert inside.passed, inside


def test_check_equivariance_catches_a_non_equivariant_group_conv():
    """A lifting conv whose orientation channels are mislabelled must fail the p4 check."""
    check = _check()
    lift = nn.LiftingConv2d(1, 2, 3, group="p4", padding=1, padding_mode="circular", seed=0)

    def wrong(x):
        y = lift(x)
        return y[:, ::-1]  # orientations in the wrong order

    result = check(
        wrong,
        "p4",
        in_action="spatial",
        out_action=regular(axis=1),
        input_shape=(2, 1, 8, 8),
        batched=True,
        max_examples=10,
        seed=0,
        replay_dir=None,
    )
    assert not result.passed
