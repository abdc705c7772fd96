"""How groups on coordinates draw elements: whole lists at once, cheaply, shrinking to the
simplest elements (the cost target of issue 18: benchmarks/points.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings

import equicheck
from equicheck import groups
from equicheck.groups import Rotation, element_from_repr


def centred(x):
    return x - x.mean(axis=-2, keepdims=True)


def relative_term(x):
    """A 1e-4 relative term along the x axis: a half turn about x cannot see it."""
    c = centred(x)
    return c + 1e-4 * np.linalg.norm(c, axis=-1, keepdims=True) * np.array([1.0, 0.0, 0.0])


@pytest.mark.parametrize(
    "name", ["product(e3, perm)", "o3", "so3", "se2_points", "product(translations3, perm)"]
)
def test_element_lists_hold_distinct_members_that_read_back(name):
    group = groups.from_name(name)
    grid = (6,) if group.permutations else None
    sizes = []

    @settings(max_examples=60, database=None, phases=[Phase.generate])
    @given(group.element_lists(grid, 4))
    def body(els):
        sizes.append(len(els))
        assert 1 <= len(els) <= 4
        assert len(set(els)) == len(els)
        for g in els:
            assert not g.is_identity and group.contains(g)
            back = element_from_repr(repr(g))
            assert back == g and hash(back) == hash(g)

    body()
    assert np.mean(sizes) > 3.0  # four drawn, seldom two alike


def test_rotation_groups_draw_rotations():
    els = find(groups.from_name("o3").element_lists(None, 4), lambda els: True)
    assert all(isinstance(g, Rotation) for g in els)


def test_lists_shrink_to_the_first_of_every_kind():
    group = groups.from_name("product(e3, perm)")
    # the simplest list: the half turn about x, alone
    assert find(group.element_lists((5,), 4), lambda els: True) == [
        groups.rotation(maps="x->x, y->-y, z->-z")
    ]
    # the simplest translation: a unit shift along x
    shift = find(group.strategy((5,)), lambda g: g.translation is not None)
    assert repr(shift) == "translate(x=1.0, y=0.0, z=0.0)"
    # the simplest permutation: points 0 and 1 swapped
    swap = find(group.strategy((5,)), lambda g: g.permutation is not None)
    assert swap.permutation == (1, 0, 2, 3, 4)


def test_a_check_uses_every_element_per_example():
    r = equicheck.check_equivariance(
        centred,
        "product(e3, perm)",
        in_action="positions",
        out_action="vectors",
        max_examples=20,
        elements_per_example=4,
        seed=0,
        replay_dir=None,
    )
    assert r.passed
    checked = sum(e.inputs for e in r.errors)  # (element, input) pairs
    assert checked >= 3 * r.examples  # not one or two per input on average


def test_a_failure_shrinks_to_a_sign_breaking_half_turn():
    r = equicheck.check_equivariance(
        relative_term, "so3", in_action="positions", out_action="vectors", seed=1, replay_dir=None
    )
    assert not r.passed
    # a half turn about y or z (about x the term is invariant), not a random rotation
    assert r.counterexample.element in (
        "rotation(maps='x->-x, y->y, z->-z')",
        "rotation(maps='x->-x, y->-y, z->z')",
    )
