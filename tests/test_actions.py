"""Every action is a homomorphism: ρ(gh)x = ρ(g)ρ(h)x and ρ(e)x = x; shape rules; names."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import equicheck
from equicheck import actions as A
from equicheck import groups as G

N = 6


def _c4_rotation_matrices(g):
    """A user representation of the point part: the 2x2 matrix of the element."""
    return np.asarray(g.matrix, dtype=float)


# (group, action, array shape)
CASES = [
    ("translation", A.spatial(), (2, 5, 7)),
    ("translation", A.spatial(axes=(0, 2)), (5, 3, 7)),
    ("flips", A.spatial(), (5, 7)),
    ("c4", A.spatial(axes=(0, 2)), (N, 3, N)),
    ("d4", A.spatial(), (3, N, N)),
    ("p4", A.spatial(), (2, N, N)),
    ("p4m", A.spatial(), (N, N)),
    ("c4", A.regular(axis=0), (8, N, N)),
    ("p4", A.regular(axis=1), (2, 8, N, N)),
    ("p4", A.regular(axis=1, layout="orientation"), (2, 8, N, N)),
    ("p4", A.regular(axis=1, orientation="cw"), (2, 4, N, N)),
    ("p4m", A.regular(axis=-3), (16, N, N)),
    ("d4", A.regular(axis=0, spatial=False), (8,)),
    ("p4m", A.vector(axis=0), (2, N, N)),
    ("p4m", A.vector(axis=0, components="xy", y_up=True), (4, N, N)),
    ("d4", A.vector(axis=-1, spatial=False), (3, 2)),
    ("p4m", A.matrix(_c4_rotation_matrices, axis=0), (2, N, N)),
    ("translation(step=2)", A.spatial(stride=2), (4, 8)),
    ("p4(step=2)", A.regular(axis=0, stride=2), (4, 4, 4)),
    ("p4m", A.trivial(), (3, 4)),
]


def _ids(case):
    return f"{case[0]}-{case[1].name}"


@pytest.mark.parametrize("name, action, shape", CASES, ids=[_ids(c) for c in CASES])
@given(data=st.data())
def test_action_is_a_homomorphism(name, action, shape, data):
    group = G.from_name(name)
    bound = action.prepare(group, shape)
    grid = bound.grid(shape) or (N, N)
    g = data.draw(group.strategy(grid), label="g")
    h = data.draw(group.strategy(grid), label="h")
    x = np.random.default_rng(data.draw(st.integers(0, 2**16))).standard_normal(shape)
    np.testing.assert_allclose(bound.apply(group.identity, x), x)
    np.testing.assert_allclose(
        bound.apply(g * h, x), bound.apply(g, bound.apply(h, x)), rtol=1e-12, atol=1e-12
    )
    # an exact action never changes the multiset of values (spatial) or the norm (orthogonal fibers)
    if bound.fiber is None or not isinstance(bound.fiber, A.Matrix):
        assert np.isclose(np.linalg.norm(bound.apply(g, x)), np.linalg.norm(x))


def test_spatial_matches_numpy_conventions():
    x = np.arange(12.0).reshape(3, 4)
    s = A.spatial().prepare(G.p4m(), (4, 4))
    y = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(s.apply(G.rot90(1), y), np.rot90(y, 1))
    np.testing.assert_array_equal(s.apply(G.flip("x"), y), y[:, ::-1])
    np.testing.assert_array_equal(s.apply(G.flip("y"), y), y[::-1])
    np.testing.assert_array_equal(s.apply(G.flip("diag"), y), y.T)
    t = A.spatial().prepare(G.translation(), x.shape)
    np.testing.assert_array_equal(t.apply(G.shift(1, -2), x), np.roll(x, (1, -2), axis=(0, 1)))


def test_zero_fill_shift_and_mask():
    group = G.translation(cyclic=False)
    s = A.spatial().prepare(group, (4, 5))
    x = np.arange(20.0).reshape(4, 5) + 1
    y = s.apply(G.shift(1, -2), x)
    assert (y[0] == 0).all() and (y[:, -2:] == 0).all()
    np.testing.assert_array_equal(y[1:, :3], x[:3, 2:])
    mask = s.valid_mask(G.shift(1, -2), (4, 5), 0, equicheck.get_backend())
    np.testing.assert_array_equal(mask, y != 0)
    eroded = s.valid_mask(G.shift(1, -2), (4, 5), 1, equicheck.get_backend())
    assert eroded.sum() == 1 and eroded[2, 1]


def test_regular_c4_is_a_cyclic_roll():
    reg = A.regular(axis=0, spatial=False).prepare(G.c4(), (4,))
    x = np.arange(4.0)
    np.testing.assert_array_equal(reg.apply(G.rot90(1), x), np.roll(x, 1))
    cw = A.regular(axis=0, spatial=False, orientation="cw").prepare(G.c4(), (4,))
    np.testing.assert_array_equal(cw.apply(G.rot90(1), x), np.roll(x, -1))


def test_vector_action_rotates_an_image_gradient():
    rng = np.random.default_rng(0)
    img = rng.standard_normal((7, 7))

    def grad(im):
        return np.stack([np.roll(im, -1, 0) - np.roll(im, 1, 0), np.roll(im, -1, 1) - np.roll(im, 1, 1)])

    s = A.spatial().prepare(G.d4(), img.shape)
    v = A.vector(axis=0).prepare(G.d4(), (2, 7, 7))
    for g in G.d4().elements():
        np.testing.assert_allclose(grad(s.apply(g, img)), v.apply(g, grad(img)), atol=1e-12)
    # and the wrong component order is not equivariant
    wrong = A.vector(axis=0, components="xy").prepare(G.d4(), (2, 7, 7))
    g = G.rot90(1)
    assert not np.allclose(grad(s.apply(g, img)), wrong.apply(g, grad(img)))


def test_stride_action_divides_shifts():
    out = A.spatial(stride=2).prepare(G.translation(step=2), (4, 4))
    x = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(out.apply(G.shift(2, -4), x), np.roll(x, (1, -2), axis=(0, 1)))
    with pytest.raises(equicheck.EquicheckError, match="multiple of the stride"):
        out.apply(G.shift(1, 0), x)
    with pytest.raises(equicheck.SpecError, match="step=2"):
        A.spatial(stride=2).prepare(G.translation(), (4, 4))


def test_via_a_homomorphism():
    def halve(g):
        return G.shift(g.dy // 2, g.dx // 2)

    act = A.via("spatial", halve).prepare(G.translation(step=2), (4, 4))
    x = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(act.apply(G.shift(2, 2), x), np.roll(x, (1, 1), axis=(0, 1)))


@pytest.mark.parametrize(
    "action, group, shape, match",
    [
        (A.regular(axis=0), "p4", (6, 5, 5), "fields of 4 channels"),
        (A.regular(axis=0), "translation", (4, 5, 5), "orientations"),
        (A.vector(axis=0), "d4", (3, 5, 5), "fields of 2 channels"),
        (A.spatial(axes=(0, 5)), "c4", (4, 4), "out of range"),
        (A.spatial(), "c4", (4, 5), "square"),
        (A.matrix(lambda g: 2 * np.eye(2), axis=0), "c4", (2, 4, 4), "identity matrix"),
    ],
)
def test_actions_reject_what_they_cannot_act_on(action, group, shape, match):
    with pytest.raises(equicheck.EquicheckError, match=match):
        action.prepare(G.from_name(group), shape)


@pytest.mark.parametrize(
    "name",
    [
        "trivial",
        "spatial",
        "spatial(stride=2)",
        "spatial(axes=[1, 2])",
        "regular(axis=1)",
        "regular(axis=1, layout=orientation, orientation=cw)",
        "regular(spatial=false)",
        "vector(axis=1, components=xy, y_up=true)",
        "spatial(boundary=zeros)",
    ],
)
def test_action_names_round_trip(name):
    action = A.from_name(name)
    assert A.from_name(action.name).name == action.name
    assert A.from_dict(action.to_dict()).name == action.name


@pytest.mark.parametrize(
    "bad", ["rotation", "regular(axis=x)", "spatial(stride=0)", "matrix(axis=1)", "vector(components=zy)"]
)
def test_bad_action_names(bad):
    with pytest.raises(equicheck.SpecError):
        A.from_name(bad)
