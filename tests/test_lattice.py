"""Groups of 1-D signals and 3-D volumes (groups/lattice.py): the group laws, the cube's
symmetries as Rotations, reprs and names that read back, counting, membership, the grids a
group accepts, and strategies that shrink to the identity.

Everything here is exact (integers and signed permutations), so every law is checked
exhaustively on small grids; the arrays these elements move are tested in test_grids_nd.py.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import find, settings

from equicheck.errors import ShapeError, SpecError
from equicheck.groups import (
    GridElement,
    element_from_repr,
    from_name,
    inversion,
    rotation,
)
from equicheck.groups import grid as grid2d
from equicheck.groups import lattice as L
from equicheck.groups.lattice import SignalElement, VolumeElement

AXES = "xyz"
#: find() stops at the first example and shrinks it; a few tries are enough here
QUICK = settings(max_examples=20, database=None)


def _maps(perm: tuple[int, ...], signs: tuple[int, ...]) -> str:
    """``'x->-y, y->x, z->z'``: axis j goes to axis perm[j] with sign signs[j]."""
    return ", ".join(f"{AXES[j]}->{'-' if signs[j] < 0 else ''}{AXES[perm[j]]}" for j in range(3))


def _all_signed_permutations() -> list[tuple[str, int]]:
    """Every signed permutation of (x, y, z) as a maps text and its determinant."""
    out = []
    for perm in itertools.permutations(range(3)):
        parity = round(np.linalg.det(np.eye(3)[list(perm)]))
        for signs in itertools.product((1, -1), repeat=3):
            out.append((_maps(perm, signs), parity * math.prod(signs)))
    return out


# --- the group laws -------------------------------------------------------------------------
POINT_GROUPS = {
    "cube24": 24,
    "cube48": 48,
    "flips(dims=3)": 8,
    "flips(axis=z, dims=3)": 2,
    "flips(dims=1)": 2,
}


@pytest.mark.parametrize("name, order", POINT_GROUPS.items())
def test_point_groups_are_groups(name: str, order: int):
    group = from_name(name)
    elems = list(group.elements())
    assert len(elems) == len(set(elems)) == order == group.order()
    assert elems[0].is_identity and elems[0] == group.identity
    assert sum(e.is_identity for e in elems) == 1
    members = set(elems)
    for a in elems:
        assert a * a.inverse() == a.inverse() * a == group.identity
        assert a * group.identity == group.identity * a == a
        for b in elems:
            assert a * b in members, f"{a!r} * {b!r} left {name}"
    for a, b, c in itertools.product(elems[:: max(1, order // 8)], repeat=3):
        assert (a * b) * c == a * (b * c)
    assert all(group.contains(e) for e in elems)


def _ring_permutation(g: SignalElement, n: int) -> tuple[int, ...]:
    """Where each entry of a ring of n entries goes under g (about the centre, modulo n)."""
    c = (n - 1) / 2
    lin = -1 if g.flipped else 1
    return tuple(int(round(c + lin * (p - c) + g.dt)) % n for p in range(n))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7])
def test_dihedral_on_a_ring_is_closed_and_has_inverses(n: int):
    group = L.dihedral()
    elems = group.elements((n,))
    assert len(elems) == group.order((n,)) == 2 * n
    perms = {_ring_permutation(e, n) for e in elems}
    assert len(perms) == (len(elems) if n >= 3 else n)  # on 1 or 2 entries the reversal is a shift
    for a in elems:
        assert a * a.inverse() == a.inverse() * a == group.identity
        for b in elems:
            composed = _ring_permutation(a * b, n)
            assert composed in perms
            pa, pb = _ring_permutation(a, n), _ring_permutation(b, n)
            assert composed == tuple(pa[pb[i]] for i in range(n))  # a after b


def test_one_d_elements_compose_with_subshifts_and_scalings():
    g = L.subshift(dt=0.25) * L.scale(1.5, dims=1) * L.flip("t")
    h = L.shift(dt=3) * L.flip("t")
    for a, b in itertools.product([g, h, g.inverse(), h * g], repeat=2):
        for p in (-2.0, 0.0, 1.5):  # offsets from the centre: p -> factor * (+-p) + dt

            def act(e: SignalElement, q: float) -> float:
                return float(e.factor) * (-q if e.flipped else q) + e.dt

            assert act(a * b, p) == pytest.approx(act(a, act(b, p)), abs=1e-8)  # shifts kept to 1e-9
    assert (g * g.inverse()).is_identity and not g.exact and h.exact
    assert (h * h).is_identity  # a reflection composed with its shifted self: the identity


def test_volume_elements_compose_with_rotations_on_either_side():
    r = rotation(maps="x->-y, y->x, z->z")
    t = L.shift(dz=1, dy=-2, dx=3)
    assert isinstance(t, VolumeElement) and isinstance(t * r, VolumeElement)
    assert isinstance(r * t, VolumeElement)  # Rotation * VolumeElement via __rmul__
    # a point p (array order) moves to M p + s: compose as maps of integer vectors
    p = np.array([1.0, 2.0, -1.0])

    def act(e, q):
        return L.index_matrix(e) @ q + np.asarray(L.index_shift(e))

    for a, b in itertools.product([r, t, t * r, r * t, inversion() * t], repeat=2):
        np.testing.assert_array_equal(act(a * b, p), act(a, act(b, p)))
        assert (a * b).inverse() == b.inverse() * a.inverse()
    assert (t * t.inverse()) == rotation() and isinstance(t * t.inverse(), type(rotation()))


# --- the cube's symmetries are Rotations -------------------------------------------------------
def test_cube24_is_the_proper_signed_permutations_and_cube48_all_of_them():
    table = _all_signed_permutations()
    proper = {rotation(maps=m) for m, det in table if det > 0}
    every = {rotation(maps=m) for m, _ in table}
    assert len(proper) == 24 and len(every) == 48
    assert set(L.cube24().point_elements) == set(L.CUBE24) == proper
    assert set(L.cube48().point_elements) == set(L.CUBE48) == every
    assert all(r.proper and round(np.linalg.det(r.matrix)) == 1 for r in L.CUBE24)


def test_orientation_j_plus_24_is_orientation_j_times_the_inversion():
    points = L.cube48().point_elements
    assert tuple(points[:24]) == tuple(L.cube24().point_elements)
    for j in range(24):
        assert points[j + 24] == points[j] * inversion() == inversion() * points[j]
        assert not points[j + 24].proper


def test_documented_order_identity_first_then_quarter_third_half_turns():
    angles = [r.axis_angle[1] for r in L.CUBE24]
    assert repr(L.CUBE24[0]) == "rotation()" and angles[0] == 0
    assert angles == sorted(angles)
    assert [round(a) for a in angles].count(90) == 6  # the six quarter turns
    assert [round(a) for a in angles].count(120) == 8
    assert [round(a) for a in angles].count(180) == 9


@pytest.mark.parametrize("maps, det", _all_signed_permutations())
def test_each_cube_element_is_the_rotation_built_from_its_maps(maps: str, det: int):
    built = rotation(maps=maps)
    index = L.CUBE48.index(built)
    member = L.CUBE48[index]
    assert member == built and hash(member) == hash(built) and repr(member) == repr(built)
    assert (index < 24) == (det > 0)
    expected = {"x->x, y->y, z->z": "rotation()", "x->-x, y->-y, z->-z": "inversion()"}
    assert repr(built) == expected.get(maps, f"rotation(maps={maps!r})")
    assert element_from_repr(repr(built)) == member and member.exact and member.signed_permutation


def _axis_angle_rotations() -> list:
    """The 24 rotations of the cube from axes and angles, without any signed permutation."""
    out = [rotation()]
    for axis in np.eye(3):
        out += [rotation(axis=axis.tolist(), degrees=d) for d in (90.0, 180.0, 270.0)]
    for signs in itertools.product((1.0, -1.0), repeat=2):
        axis = [1.0, *signs]  # the four body diagonals
        out += [rotation(axis=axis, degrees=d) for d in (120.0, -120.0)]
    for i, j in itertools.combinations(range(3), 2):  # the six edge midpoints
        for s in (1.0, -1.0):
            axis = [0.0, 0.0, 0.0]
            axis[i], axis[j] = 1.0, s
            out.append(rotation(axis=axis, degrees=180.0))
    return out


def test_each_cube_rotation_equals_the_rotation_built_from_axis_and_angle():
    built = _axis_angle_rotations()
    assert len(built) == len(set(built)) == 24
    for r in built:
        assert r in L.CUBE24, f"{r!r} is not a cube element (not snapped?)"
        member = L.CUBE24[L.CUBE24.index(r)]
        assert hash(member) == hash(r) and repr(member) == repr(r)
    quarter = rotation(axis=[0, 0, 1], degrees=-90.0)  # as np.rot90 turns the last two axes
    assert quarter == rotation(maps="x->-y, y->x, z->z") == L.CUBE24[1]


def test_index_matrix_is_the_rotation_in_array_order():
    r = rotation(maps="x->-y, y->x, z->z")  # on (x, y, z); the array is (z, y, x)
    # x (array axis 2) goes to -y (axis 1), y (axis 1) to x (axis 2); z stays
    np.testing.assert_array_equal(L.index_matrix(r), [[1, 0, 0], [0, 0, -1], [0, 1, 0]])
    np.testing.assert_array_equal(L.index_matrix(L.flip("t")), [[-1.0]])
    assert L.index_shift(r) == (0.0, 0.0, 0.0)
    assert L.index_shift(L.shift(dz=1, dy=2, dx=3) * r) == (1.0, 2.0, 3.0)
    assert L.element_dims(r) == 3 and L.element_dims(L.shift(dt=1)) == 1
    assert L.element_dims(grid2d.rot90(1)) == 2


# --- reprs and names read back ------------------------------------------------------------------
def _reads_back(e) -> None:
    back = element_from_repr(repr(e))
    assert back == e and repr(back) == repr(e) and hash(back) == hash(e) and type(back) is type(e)


def test_every_element_of_pm3m_on_a_4x4x4_grid_reads_back():
    elems = L.pm3m().elements((4, 4, 4))
    assert len(elems) == 4**3 * 48
    for e in elems:
        _reads_back(e)
    assert repr(elems[48 + 1]) == "shift(dz=0, dy=0, dx=1) * rotation(maps='x->-y, y->x, z->z')"


@pytest.mark.parametrize(
    "group, grid",
    [("dihedral", (7,)), ("translation(dims=1, cyclic=false)", (6,)), ("p432(step=2)", (4, 4, 4))],
)
def test_every_element_reads_back(group: str, grid: tuple[int, ...]):
    for e in from_name(group).elements(grid):
        _reads_back(e)


@pytest.mark.parametrize(
    "text",
    [
        "shift(dt=3)",
        "flip(axis='t')",
        "shift(dt=-2) * flip(axis='t')",
        "subshift(dt=0.25)",
        "scale(factor=1.1, dims=1)",
        "subshift(dt=0.5) * scale(factor=1.25, dims=1) * flip(axis='t')",
        "shift(dz=1, dy=0, dx=-2)",
        "shift(dz=1, dy=0, dx=-2) * rotation(maps='x->-y, y->x, z->z')",
        "inversion()",
        "subshift(dz=0.5, dy=0.0, dx=0.0)",
        "scale(factor=1.2, dims=3)",
        "subshift(dz=0.5, dy=0.0, dx=1.0) * scale(factor=1.2, dims=3) * rotation(maps='x->y, y->-x, z->z')",
        # 2-D, unchanged
        "shift(dy=1, dx=-2) * rot90(k=1)",
        "flip(axis='x')",
        "identity()",
    ],
)
def test_documented_reprs_read_back_unchanged(text: str):
    e = element_from_repr(text)
    assert repr(e) == text
    _reads_back(e)


def test_identities_print_as_themselves():
    assert repr(SignalElement()) == "shift(dt=0)" and element_from_repr("shift(dt=0)").is_identity
    assert isinstance(L.shift(dz=0, dy=0, dx=0), type(rotation()))  # no VolumeElement of nothing
    assert isinstance(L.subshift(dz=0.0), type(rotation())) and isinstance(
        L.scale(1, dims=3), type(rotation())
    )
    assert isinstance(L.shift(1, 2), GridElement) and L.shift(1, 2) == grid2d.shift(1, 2)


def test_element_fields():
    v = L.subshift(dz=0.5, dy=1.0, dx=0.0) * L.scale(1.2, dims=3) * rotation(maps="x->y, y->-x, z->z")
    assert v.shift == (0.5, 1.0, 0.0) and float(v.factor) == pytest.approx(1.2) and not v.exact
    assert v.point == rotation(maps="x->y, y->-x, z->z")
    s = L.shift(dt=3) * L.flip("t")
    assert s.shift == (3.0,) and s.point == L.flip("t") and s.factor == 1 and s.exact
    assert L.shift(dz=1, dy=0, dx=2).describe() == "shift (dz, dy, dx) = (1, 0, 2)"


@pytest.mark.parametrize(
    "text, error",
    [
        ("shift(dt=1.5)", "subshift"),
        ("shift(dt=1, dy=2)", "dt alone"),
        ("scale(factor=1.1, dims=4)", "dims"),
        ("scale(factor=0, dims=1)", "positive"),
        ("flip(axis='w')", "axis"),
    ],
)
def test_bad_element_reprs_are_named_errors(text: str, error: str):
    with pytest.raises(SpecError, match=error):
        element_from_repr(text)


TWO_D_NAMES = [
    "translation",
    "translation(step=2)",
    "translation(cyclic=false)",
    "translation(max_shift=3)",
    "flips",
    "flips(axis=x)",
    "flips(axis=y)",
    "c2",
    "c4",
    "d4",
    "p4",
    "p4m(step=2, cyclic=false)",
]
ND_NAMES = [
    "translation(dims=1)",
    "translation(dims=1, step=2, cyclic=false, max_shift=4)",
    "flips(dims=1)",
    "dihedral",
    "dihedral(step=2, cyclic=false)",
    "translation(dims=3)",
    "translation(dims=3, step=2)",
    "flips(dims=3)",
    "flips(axis=z, dims=3)",
    "cube24",
    "cube48",
    "p432",
    "pm3m(step=2, max_shift=2)",
]


@pytest.mark.parametrize("name", TWO_D_NAMES + ND_NAMES)
def test_group_names_round_trip(name: str):
    group = from_name(name)
    assert group.name == name
    assert from_name(group.name) == group and hash(from_name(group.name)) == hash(group)
    assert group.dims == (2 if name in TWO_D_NAMES else 1 if "dims=1" in name or "dihedral" in name else 3)


def test_two_d_names_omit_dims():
    assert from_name("translation(dims=2)").name == "translation"
    assert from_name("flips(axis=x, dims=2)").name == "flips(axis=x)"
    assert from_name("translation(dims=2)") == from_name("translation")
    assert from_name("translation(dims=1)") != from_name("translation")


@pytest.mark.parametrize(
    "name, error",
    [
        ("translation(dims=4)", "dims must be one of"),
        ("translation(dims=0)", "dims must be one of"),
        ("translation(dims=true)", "dims must be one of"),
        ("flips(axis=x, dims=1)", "'t'"),
        ("flips(axis=t, dims=3)", "'x', 'y' or 'z'"),
        ("pm3m(step=0)", "step"),
        ("dihedral(max_shift=-1)", "max_shift"),
        ("cube24(dims=3)", "cube24"),
    ],
)
def test_bad_group_names_are_spec_errors(name: str, error: str):
    with pytest.raises(SpecError, match=error):
        from_name(name)


# --- counting and membership ---------------------------------------------------------------------
def test_order_counts_without_enumerating(monkeypatch: pytest.MonkeyPatch):
    def refuse(self, grid=None):
        raise AssertionError("order() enumerated the elements")

    monkeypatch.setattr(L.LatticeGroup, "elements", refuse)
    assert L.pm3m().order((64, 64, 64)) == 64**3 * 48
    assert L.p432(step=2).order((64, 64, 64)) == 32**3 * 24
    assert L.translation(dims=1).order((100_000,)) == 100_000
    assert L.dihedral(cyclic=False, max_shift=3).order((50,)) == 7 * 2
    assert L.cube48().order() == 48 and math.isinf(L.pm3m().order())


@pytest.mark.parametrize(
    "step, cyclic, max_shift", itertools.product((1, 2, 3), (True, False), (None, 0, 1, 5))
)
def test_order_matches_the_elements_listed(step: int, cyclic: bool, max_shift: int | None):
    for n in range(1, 10):
        group = L.dihedral(step, cyclic, max_shift)
        if n % step and step > 1:
            with pytest.raises(ShapeError):
                group.order((n,))
            continue
        elems = group.elements((n,))
        assert group.order((n,)) == len(elems) == len(set(elems))
        assert elems[0].is_identity and all(group.contains(e) for e in elems)
    for grid in ((3, 3, 3), (4, 4, 4)):
        group = L.p432(step, cyclic, max_shift)
        if grid[0] % step and step > 1:
            continue
        elems = group.elements(grid)
        assert group.order(grid) == len(elems) == len({repr(e) for e in elems})  # shifts share hashes


def test_contains_rejects_other_dims_steps_and_interpolated_elements():
    t3 = L.translation(dims=3, step=2)
    assert t3.contains(L.shift(dz=2, dy=0, dx=-4)) and t3.contains(rotation())
    assert not t3.contains(L.shift(dz=1, dy=0, dx=0))  # not a multiple of the step
    assert not t3.contains(L.shift(dt=2)) and not t3.contains(grid2d.shift(2, 2))  # other dims
    assert not t3.contains(L.subshift(dz=0.5, dy=0.0, dx=0.0))  # interpolated
    assert not t3.contains(L.scale(1.5, dims=3)) and not t3.contains(rotation(maps="x->-y, y->x, z->z"))
    assert not L.cube24().contains(inversion()) and L.cube48().contains(inversion())
    assert not L.cube48().contains(rotation(axis=[0, 0, 1], degrees=45.0))
    assert not L.cube24().contains(L.shift(dz=1, dy=0, dx=0))  # no translations
    assert not L.cube24().contains(grid2d.rot90(1))
    assert L.p432().contains(L.shift(dz=1, dy=2, dx=3) * rotation(maps="x->-y, y->x, z->z"))
    t1 = L.translation(dims=1)
    assert t1.contains(L.shift(dt=5)) and not t1.contains(L.flip("t")) and not t1.contains(L.subshift(dt=0.5))
    assert not t1.contains(L.scale(1.5, dims=1)) and not t1.contains(rotation())
    assert L.dihedral(step=2).contains(L.shift(dt=4) * L.flip("t"))
    assert not L.dihedral(step=2).contains(L.shift(dt=3) * L.flip("t"))


# --- the grids a group acts on ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "group, grid, words",
    [
        ("cube24", (4, 4), ["3-D", "2 axes"]),
        ("translation(dims=3)", (8, 8), ["3-D", "(8, 8)"]),
        ("translation(dims=1)", (8, 8), ["1-D", "2 axes"]),
        ("dihedral", (4, 4, 4), ["1-D"]),
        ("p4m", (4, 4, 4), ["2-D"]),
        ("cube24", (4, 4, 5), ["equal sides", "4x4x5", "flips(dims=3)"]),
        ("pm3m", (6, 6, 7), ["equal sides"]),
        ("translation(dims=3, step=2)", (4, 4, 5), ["multiples of 2"]),
        ("cube48", (0, 0, 0), ["positive"]),
    ],
)
def test_check_grid_says_what_is_wrong(group: str, grid: tuple[int, ...], words: list[str]):
    with pytest.raises(ShapeError) as info:
        from_name(group).check_grid(grid)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize(
    "group, grid",
    [
        ("flips(dims=3)", (3, 4, 5)),
        ("translation(dims=3)", (1, 2, 9)),
        ("cube24", (5, 5, 5)),
        ("dihedral", (1,)),
        ("translation(dims=3, step=2)", (4, 2, 6)),
    ],
)
def test_check_grid_accepts(group: str, grid: tuple[int, ...]):
    from_name(group).check_grid(grid)


# --- strategies and generators -------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, simplest",
    [
        ("pm3m", L.CUBE48[1]),
        ("cube48", L.CUBE48[1]),
        ("dihedral", L.flip("t")),
        ("translation(dims=3)", L.shift(dz=0, dy=0, dx=1)),
        ("translation(dims=1, step=2)", L.shift(dt=2)),
    ],
)
def test_strategy_shrinks_to_the_identity(name: str, simplest):
    group = from_name(name)
    strategy = group.strategy((6,) * group.dims)
    assert find(strategy, lambda e: True, settings=QUICK).is_identity
    assert find(strategy, lambda e: not e.is_identity, settings=QUICK) == simplest


def test_strategy_shrinks_shifts_toward_small_ones():
    def turned_and_moved_along_z(e) -> bool:
        return isinstance(e, VolumeElement) and e.shift[0] != 0 and not e.point.is_identity

    e = find(
        L.pm3m().strategy((8, 8, 8)),
        turned_and_moved_along_z,
        settings=settings(max_examples=200, database=None),
    )
    assert e == L.shift(dz=1, dy=0, dx=0) * L.CUBE48[1]


def _point(e):
    return e.point if isinstance(e, (SignalElement, VolumeElement)) else e


@pytest.mark.parametrize("name", ["cube24", "cube48", "flips(dims=3)", "flips(dims=1)", "pm3m", "dihedral"])
def test_generators_generate_the_point_group(name: str):
    group = from_name(name)
    gens = [_point(g) for g in group.generators((6,) * group.dims)]
    reached = {_point(group.identity)}
    frontier = set(reached)
    while frontier:
        frontier = {a * g for a in frontier for g in gens} - reached
        reached |= frontier
    assert reached == set(group.point_elements)
    assert len([g for g in gens if not g.is_identity]) <= 3


def test_sample_draws_shifts_without_listing_a_volume(monkeypatch: pytest.MonkeyPatch):
    def refuse(self, grid=None):
        raise AssertionError("sample() enumerated the elements")

    monkeypatch.setattr(L.LatticeGroup, "elements", refuse)
    group = L.p432(step=2)
    drawn = group.sample(np.random.default_rng(0), 6, (32, 32, 32))
    again = group.sample(np.random.default_rng(0), 6, (32, 32, 32))
    assert drawn == again and len({repr(e) for e in drawn}) == 6  # seeded, distinct
    assert drawn[0].is_identity and all(group.contains(e) for e in drawn)
    assert all(abs(v) <= 16 for e in drawn for v in L.index_shift(e))


def test_sample_of_a_small_group_lists_it():
    drawn = L.dihedral().sample(np.random.default_rng(0), 4, (5,))
    assert drawn[0].is_identity and all(e in L.dihedral().elements((5,)) for e in drawn)
    assert set(L.cube48().sample(np.random.default_rng(0), 100)) == set(L.CUBE48)
