"""Group axioms, element reprs and the name grammar, for every shipped exact group."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import equicheck
from equicheck import groups as G

GROUP_NAMES = [
    "translation",
    "translation(step=2)",
    "translation(cyclic=false)",
    "c2",
    "c4",
    "flips",
    "flips(axis=x)",
    "flips(axis=y)",
    "d4",
    "p4",
    "p4(step=2)",
    "p4m",
    "p4m(cyclic=false)",
]
GRID = (8, 8)


def group_and_elements(name: str, n: int = 3):
    group = G.from_name(name)
    return st.tuples(*([group.strategy(GRID)] * n)).map(lambda t: (group, *t))


@pytest.mark.parametrize("name", GROUP_NAMES)
@given(data=st.data())
def test_group_axioms(name, data):
    group = G.from_name(name)
    a, b, c = (data.draw(group.strategy(GRID)) for _ in range(3))
    e = group.identity
    assert group.compose(group.compose(a, b), c) == group.compose(a, group.compose(b, c))
    assert group.compose(e, a) == a == group.compose(a, e)
    assert group.compose(a, group.inverse(a)) == e == group.compose(group.inverse(a), a)
    assert group.contains(a) and group.contains(group.compose(a, b)) and group.contains(a.inverse())


@pytest.mark.parametrize("name", GROUP_NAMES)
@given(data=st.data())
def test_element_repr_round_trips(name, data):
    g = data.draw(G.from_name(name).strategy(GRID))
    assert G.element_from_repr(repr(g)) == g
    assert G.element_from_dict(json.loads(json.dumps(g.to_dict()))) == g
    assert hash(G.element_from_repr(repr(g))) == hash(g)


@pytest.mark.parametrize("name", GROUP_NAMES)
def test_group_name_round_trips(name):
    group = G.from_name(name)
    assert G.from_name(group.name) == group
    assert G.from_dict(json.loads(json.dumps(group.to_dict()))) == group
    assert G.from_name(group) is group


@pytest.mark.parametrize(
    "name, order",
    [
        ("c2", 2),
        ("c4", 4),
        ("flips", 4),
        ("flips(axis=x)", 2),
        ("d4", 8),
        ("translation", 64),
        ("translation(step=2)", 16),
        ("p4", 256),
        ("p4m", 512),
    ],
)
def test_enumeration_is_complete_and_closed(name, order):
    group = G.from_name(name)
    found = group.elements(GRID)
    assert len(found) == order == group.order(GRID)
    assert found[0] == group.identity

    # closed under composition, once shifts are reduced modulo the grid
    def reduce(g):
        return G.GridElement(g.k, g.flipped, (g.dy + 4) % 8 - 4, (g.dx + 4) % 8 - 4)

    canon = {reduce(g) for g in found}
    assert len(canon) == order
    for a in found[:: max(1, order // 16)]:
        for b in found[:: max(1, order // 16)]:
            assert reduce(a * b) in canon


def test_strategies_shrink_toward_identity():
    from hypothesis import find

    for name in GROUP_NAMES:
        group = G.from_name(name)
        assert find(group.strategy(GRID), lambda g: True) == group.identity
    smallest = find(G.translation().strategy(GRID), lambda g: not g.is_identity)
    assert abs(smallest.dy) + abs(smallest.dx) == 1


def test_element_conventions():
    # flip then turn then shift, and named reflections are what they say
    assert G.rot90(2) * G.flip("x") == G.flip("y")
    assert G.rot90(1) * G.flip("x") == G.flip("diag")
    assert repr(G.shift(dy=1, dx=-2) * G.rot90(1)) == "shift(dy=1, dx=-2) * rot90(k=1)"
    assert repr(G.identity()) == "identity()"
    assert G.rot90(4) == G.identity()


@pytest.mark.parametrize(
    "name, grid, match",
    [
        ("c4", (4, 5), "square"),
        ("d4", (6, 3), "square"),
        ("p4m", (5, 4), "square"),
        ("translation(step=2)", (5, 6), "divisible by 2"),
        ("p4(step=3)", (8, 8), "divisible by 3"),
    ],
)
def test_shape_rules(name, grid, match):
    with pytest.raises(equicheck.ShapeError, match=match):
        G.from_name(name).check_grid(grid)


def test_non_square_groups_accept_rectangles():
    for name in ("translation", "flips", "flips(axis=y)", "c2"):
        G.from_name(name).check_grid((5, 9))


@pytest.mark.parametrize(
    "bad, match",
    [
        ("p5", "unknown group 'p5'"),
        ("translation(stride=2)", "bad parameters"),
        ("translation(step=0)", "step must be a positive"),
        ("flips(axis=z)", "axis"),
        ("p4m(", "cannot parse"),
        ("__import__('os')", "unsupported expression|unknown group"),
    ],
)
def test_bad_group_names(bad, match):
    with pytest.raises(equicheck.SpecError, match=match):
        G.from_name(bad)


def test_bad_element_reprs():
    with pytest.raises(equicheck.SpecError):
        G.element_from_repr("shift(dy=1) + rot90(k=1)")
    with pytest.raises(equicheck.SpecError):
        G.element_from_repr("rotate90(k=1)")
    with pytest.raises(equicheck.SpecError, match="integer"):
        G.element_from_repr("shift(dy=0.5)")


@pytest.mark.parametrize(
    "name",
    [
        "translation",
        "translation(step=2)",
        "translation(cyclic=False, max_shift=3)",
        "p4(step=2, max_shift=2)",
        "p4m(cyclic=False, step=3)",
        "translation(max_shift=1)",
    ],
)
def test_order_counts_what_elements_lists(name):
    group = G.from_name(name)
    for n in range(1, 25):
        grid = (n, n)
        try:
            group.check_grid(grid)
        except equicheck.ShapeError:
            continue
        assert group.order(grid) == len(group.elements(grid)), (name, n)
    big = 6 * 10**5  # counted at once, never listed
    assert 0 < group.order((big, big)) < float("inf")
