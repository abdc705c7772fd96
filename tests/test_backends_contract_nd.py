"""The backend contract on 1-D signals and 3-D volumes: the exact actions of the 1-D and 3-D
groups run on ``array_api_strict`` (the stand-in for CuPy) and, where a GPU is usable, on CuPy;
they return that backend's arrays and agree with NumPy, which is checked independently against
np.roll / np.flip / np.rot90."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from equicheck import actions
from equicheck.backends import Backend, get_backend
from equicheck.groups import Element, Group, from_name, shift

xs = pytest.importorskip("array_api_strict")

StrictArray = type(xs.asarray(0.0))


@pytest.fixture(params=["strict", pytest.param("cupy", marks=pytest.mark.gpu)])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "strict":
        return Backend("strict", xs, array_types=(StrictArray,))
    return get_backend("cupy")


NUMPY = get_backend("numpy")

# (id, action, group name, input shape)
CASES: list[tuple[str, Callable[[], actions.Action], str, tuple[int, ...]]] = [
    ("1d-wrap", actions.spatial, "dihedral", (2, 3, 7)),
    ("1d-zeros", actions.spatial, "dihedral(cyclic=false)", (2, 3, 8)),
    ("1d-stride2", lambda: actions.spatial(stride=2), "translation(dims=1, step=2)", (1, 2, 8)),
    ("1d-vector", lambda: actions.vector(axis=1), "flips(dims=1)", (2, 2, 9)),
    ("3d-wrap", actions.spatial, "pm3m", (1, 2, 5, 5, 5)),
    ("3d-zeros", actions.spatial, "p432(cyclic=false)", (1, 2, 4, 4, 4)),
    ("3d-nonsquare-flips", actions.spatial, "flips(dims=3)", (2, 3, 4, 5, 6)),
    ("3d-channels-last", lambda: actions.spatial(axes=(1, 2, 3)), "cube48", (1, 4, 4, 4, 2)),
    ("3d-regular", lambda: actions.regular(axis=1), "cube48", (1, 48, 3, 3, 3)),
    (
        "3d-regular-orientation",
        lambda: actions.regular(axis=1, layout="orientation"),
        "cube24",
        (1, 48, 3, 3, 3),
    ),
    ("3d-vector", lambda: actions.vector(axis=1), "pm3m", (1, 3, 4, 4, 4)),
    ("3d-vector-xyz", lambda: actions.vector(axis=1, components="xyz"), "cube48", (1, 6, 4, 4, 4)),
]

SHIFTS = {1: [(0,), (3,), (-2,), (9,)], 3: [(0, 0, 0), (1, -2, 0), (0, 0, 5)]}


def elements(group: Group) -> Iterator[Element]:
    """Every orientation times a few shifts (one past the grid's edge) where the group shifts."""
    step = group.step or 1
    shifts = SHIFTS[group.dims] if getattr(group, "translations", False) else [(0,) * group.dims]
    for s in shifts:
        if any(v % step for v in s):
            continue
        t = shift(dt=s[0]) if group.dims == 1 else shift(dz=s[0], dy=s[1], dx=s[2])
        for p in group.point_elements:
            yield t * p


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_nd_action_runs_on_backend_arrays_and_agrees_with_numpy(backend: Backend, case: Any) -> None:
    _, make, name, shape = case
    group = from_name(name)
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    action = make().prepare(group, shape)
    xb = backend.asarray(x)
    for g in elements(group):
        out = action.apply(g, xb, backend)
        assert backend.is_array(out), f"{action.name} by {g!r} returned {type(out).__name__}"
        assert out.dtype == xb.dtype
        np.testing.assert_array_equal(backend.to_host(out), action.apply(g, x, NUMPY), err_msg=repr(g))
        np.testing.assert_array_equal(backend.to_host(xb), x)


@pytest.mark.parametrize("margin", [0, 1])
@pytest.mark.parametrize(
    "name, shape", [("dihedral(cyclic=false)", (2, 9)), ("p432(cyclic=false)", (1, 5, 5, 5))]
)
def test_nd_valid_mask_on_backend(backend: Backend, name: str, shape: tuple[int, ...], margin: int) -> None:
    group = from_name(name)
    action = actions.spatial().prepare(group, shape)
    for g in list(elements(group))[:12]:
        mask = action.valid_mask(g, shape, margin, backend)
        want = action.valid_mask(g, shape, margin, NUMPY)
        if want is None:  # a turn or flip about the centre, no margin: every entry compares
            assert mask is None and margin == 0 and not any(getattr(g, "shift", ()))
            continue
        assert want.shape == shape[-group.dims :]
        assert backend.is_array(mask)
        np.testing.assert_array_equal(backend.to_host(mask), want, err_msg=repr(g))


def test_numpy_reference_is_right() -> None:
    """The NumPy results the backends are held to, against np.roll / np.flip / np.rot90."""
    x = np.random.default_rng(1).standard_normal((2, 5, 5, 5))
    spatial = actions.spatial().prepare(from_name("pm3m"), x.shape)
    quarter_z = from_name("cube24").point_elements[1]  # rotation(maps='x->-y, y->x, z->z')
    assert repr(quarter_z) == "rotation(maps='x->-y, y->x, z->z')"
    np.testing.assert_array_equal(spatial.apply(quarter_z, x), np.rot90(x, 1, axes=(-2, -1)))
    moved = spatial.apply(shift(dz=1, dy=0, dx=-2) * quarter_z, x)
    np.testing.assert_array_equal(
        moved, np.roll(np.rot90(x, 1, axes=(-2, -1)), (1, 0, -2), axis=(-3, -2, -1))
    )
    signal = np.arange(6.0)
    line = actions.spatial().prepare(from_name("dihedral"), signal.shape)
    np.testing.assert_array_equal(
        line.apply(shift(dt=2) * from_name("flips(dims=1)").point_elements[1], signal),
        np.roll(signal[::-1], 2),
    )


def test_regular_group_law_on_backend(backend: Backend) -> None:
    """rho(g*h) == rho(g) rho(h) for the regular action of the cube group, on the backend."""
    shape = (1, 48, 3, 3, 3)
    x = backend.asarray(np.random.default_rng(2).standard_normal(shape))
    action = actions.regular(axis=1).prepare(from_name("cube48"), shape)
    some = from_name("cube48").point_elements[::5]
    for g in some:
        for h in some:
            lhs = action.apply(g * h, x, backend)
            rhs = action.apply(g, action.apply(h, x, backend), backend)
            np.testing.assert_array_equal(backend.to_host(lhs), backend.to_host(rhs), err_msg=f"{g!r} {h!r}")
