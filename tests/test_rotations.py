"""The one rotation type of 3-D (and its 2-D counterpart): exact reprs, group law, Haar draws."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from equicheck.errors import SpecError
from equicheck.groups import Rotation, element_from_repr, inversion, rotation
from equicheck.groups.rotations import (
    PlaneRotation,
    coordinate_reflections,
    haar_rotation,
    half_turns,
    turn,
)


def _signed_permutations() -> list[np.ndarray]:
    out = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1.0, -1.0), repeat=3):
            m = np.zeros((3, 3))
            for j, (i, s) in enumerate(zip(perm, signs)):
                m[i, j] = s
            out.append(m)
    return out


@pytest.mark.parametrize("improper", [False, True])
def test_haar_reprs_read_back_bit_for_bit(improper: bool):
    rng = np.random.default_rng(0)
    for _ in range(200):
        r = haar_rotation(rng, improper)
        back = element_from_repr(repr(r))
        assert back == r
        assert np.array_equal(back.matrix, r.matrix)
        assert hash(back) == hash(r)


def test_the_48_cube_elements_are_exact_and_read_well():
    seen = set()
    for m in _signed_permutations():
        r = rotation(matrix=m)
        assert np.array_equal(r.matrix, m)  # exact integers, no rounding
        assert r.proper == (np.linalg.det(m) > 0)
        text = repr(r)
        assert "quaternion" not in text  # the readable exact form
        assert element_from_repr(text) == r
        seen.add(r)
    assert len(seen) == 48
    # closed under composition, exactly
    for a, b in itertools.product(list(seen)[:12], repeat=2):
        assert a * b in seen


def test_maps_form_says_where_each_axis_goes():
    r = rotation(maps="x->y, y->-x, z->z")
    assert np.array_equal(r.matrix @ [1, 0, 0], [0, 1, 0])
    assert r == rotation(axis=[0, 0, 1], degrees=90.0)
    assert repr(r) == "rotation(maps='x->y, y->-x, z->z')"
    assert repr(inversion()) == "inversion()"
    assert repr(rotation()) == "rotation()"


def test_composition_is_h_first_then_g():
    rng = np.random.default_rng(1)
    for _ in range(50):
        g, h = haar_rotation(rng, True), haar_rotation(rng, True)
        np.testing.assert_allclose((g * h).matrix, g.matrix @ h.matrix, atol=1e-14)
        np.testing.assert_allclose((g * g.inverse()).matrix, np.eye(3), atol=1e-14)
        assert abs(np.linalg.det((g * h).matrix) - np.linalg.det(g.matrix) * np.linalg.det(h.matrix)) < 1e-12


def test_axis_angle_constructor_and_description():
    r = rotation(axis=[0, 0, 2], degrees=90.0)
    np.testing.assert_array_equal(r.matrix, [[0, -1, 0], [1, 0, 0], [0, 0, 1]])
    axis, deg = rotation(axis=[1, 2, 3], degrees=37.0).axis_angle
    np.testing.assert_allclose(axis, np.array([1, 2, 3]) / np.sqrt(14), atol=1e-15)
    assert deg == pytest.approx(37.0, abs=1e-12)
    assert "180° about (1, 0, 0)" in half_turns()[0].describe()
    assert inversion().describe() == "inversion"
    assert rotation(axis=[1, 0, 0], degrees=1e-9).matrix[2, 1] == pytest.approx(np.radians(1e-9))


def test_sign_breaking_elements():
    turns = [r.matrix for r in half_turns()]
    assert all(np.array_equal(np.abs(m), np.eye(3)) and np.linalg.det(m) == 1 for m in turns)
    reflections = coordinate_reflections()
    assert [np.linalg.det(r.matrix) for r in reflections] == [-1.0] * 4
    assert np.array_equal(reflections[-1].matrix, -np.eye(3))


def test_haar_draws_are_uniform():
    rng = np.random.default_rng(2)
    mats = np.stack([haar_rotation(rng).matrix for _ in range(4000)])
    assert np.abs(mats.mean(axis=0)).max() < 0.05
    angles = np.array([haar_rotation(rng).axis_angle[1] for _ in range(4000)])
    # Haar: P(angle <= 90°) = (θ - sin θ)/π at θ = π/2
    assert np.mean(angles <= 90) == pytest.approx((np.pi / 2 - 1) / np.pi, abs=0.03)


def test_improper_elements_have_determinant_minus_one():
    rng = np.random.default_rng(3)
    dets = {round(float(np.linalg.det(haar_rotation(rng, True).matrix))) for _ in range(100)}
    assert dets == {1, -1}
    assert "* inversion()" in repr(rotation(axis=[1, 2, 3], degrees=10.0) * inversion())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"axis": [0, 0, 0], "degrees": 1.0}, "non-zero"),
        ({"axis": [0, 0, 1]}, "both"),
        ({"quaternion": [0, 0, 0, 0]}, "zero"),
        ({"quaternion": [1, 0, 0]}, "4 components"),
        ({"maps": "x->y, y->y, z->z"}, "different axes"),
        ({"maps": "x->q"}, "where each"),
        ({"matrix": np.ones((3, 3))}, "orthogonal"),
        ({"quaternion": [1, 0, 0, 0], "maps": "x->x, y->y, z->z"}, "one way"),
        ({"axis": [0, 0, 1], "degrees": float("nan")}, "finite"),
    ],
)
def test_bad_rotations_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rotation(**kwargs)


def test_bad_reprs_are_spec_errors():
    with pytest.raises(SpecError, match="different axes"):
        element_from_repr("rotation(maps='x->x, y->x, z->z')")


def test_plane_rotations():
    assert np.array_equal(turn(90.0).matrix, [[0.0, -1.0], [1.0, 0.0]])
    a, b = turn(30.0), turn(45.0, True)
    np.testing.assert_allclose((a * b).matrix, a.matrix @ b.matrix, atol=1e-15)
    np.testing.assert_allclose((b * b.inverse()).matrix, np.eye(2), atol=1e-15)
    assert element_from_repr(repr(b)) == b
    assert isinstance(element_from_repr("turn(degrees=-190.0)"), PlaneRotation)
    assert turn(-190.0).degrees == pytest.approx(170.0)
    assert isinstance(rotation(), Rotation)
