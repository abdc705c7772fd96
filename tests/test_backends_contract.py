"""The backend contract: every action runs on a backend's own arrays and returns them.

Run on ``array_api_strict`` (a namespace with nothing beyond the array API standard, the
stand-in for CuPy on machines without a GPU) and, where a GPU is usable, on CuPy. Results
must be arrays of that backend -- SciPy and NumPy silently accept foreign arrays and hand
NumPy ones back, which would move a GPU check to the CPU unnoticed -- and must agree with the
NumPy backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import equicheck
from equicheck import actions, backends
from equicheck.backends import Backend, get_backend
from equicheck.groups import Element, GridElement, Group, c4, d4, p4, p4m, shift, translation

xs = pytest.importorskip("array_api_strict")

StrictArray = type(xs.asarray(0.0))


def strict_backend() -> Backend:
    return Backend("strict", xs, array_types=(StrictArray,))


@pytest.fixture(params=["strict", pytest.param("cupy", marks=pytest.mark.gpu)])
def backend(request: pytest.FixtureRequest) -> Backend:
    return strict_backend() if request.param == "strict" else get_backend("cupy")


@pytest.fixture
def numpy_backend() -> Backend:
    return get_backend("numpy")


def assert_own(backend: Backend, out: Any, what: str) -> None:
    """Fail when ``out`` is not an array of ``backend`` (e.g. a NumPy array came back)."""
    assert backend.is_array(out), (
        f"{what} returned a {type(out).__module__}.{type(out).__name__}, "
        f"not an array of the {backend.name!r} backend"
    )


def test_assert_own_catches_a_foreign_array() -> None:
    with pytest.raises(AssertionError, match="numpy.ndarray"):
        assert_own(strict_backend(), np.zeros(3), "an action")


def _rho3(g: Element) -> np.ndarray:
    """A 3-d representation: a scalar channel and the 2-d rotation, not a permutation."""
    m = np.eye(3)
    m[1:, 1:] = np.asarray(getattr(g, "point", g).matrix, dtype=float)
    q = np.array([[1.0, 0.0, 0.0], [0.0, 0.6, -0.8], [0.0, 0.8, 0.6]])
    return q @ m @ q.T


def _inverse(g: Element) -> Element:
    return g.inverse()


# (id, action, group, input shape)
CASES: list[tuple[str, Callable[[], actions.Action], Group, tuple[int, ...]]] = [
    ("spatial-wrap", actions.spatial, p4m(), (2, 3, 6, 6)),
    ("spatial-zeros", lambda: actions.spatial(boundary="zeros"), p4m(cyclic=False), (2, 3, 6, 6)),
    ("spatial-odd", actions.spatial, p4(), (1, 2, 7, 7)),
    ("spatial-nonsquare", actions.spatial, translation(), (1, 2, 5, 8)),
    ("spatial-channels-last", lambda: actions.spatial(axes=(1, 2)), p4m(), (2, 6, 6, 3)),
    ("spatial-stride2", lambda: actions.spatial(stride=2), translation(step=2), (1, 2, 8, 8)),
    ("regular-d4", lambda: actions.regular(axis=1), p4m(), (2, 16, 6, 6)),
    (
        "regular-orientation-cw",
        lambda: actions.regular(axis=1, layout="orientation", orientation="cw"),
        p4(),
        (2, 8, 6, 6),
    ),
    ("regular-fiber-only", lambda: actions.regular(axis=1, spatial=False), c4(), (2, 8, 5, 3)),
    ("vector", lambda: actions.vector(axis=1), p4m(), (2, 4, 6, 6)),
    ("vector-xy-up", lambda: actions.vector(axis=1, components="xy", y_up=True), d4(), (2, 2, 6, 6)),
    ("matrix", lambda: actions.matrix(_rho3, axis=1), d4(), (2, 6, 6, 6)),
    ("trivial", actions.trivial, p4m(), (2, 3, 6, 6)),
    ("via-inverse", lambda: actions.via(actions.spatial(), _inverse), p4m(), (2, 3, 6, 6)),
]

_SHIFTS = [(0, 0), (1, -2), (-3, 2), (2, 4), (7, 0), (0, -6)]


def elements(group: Group) -> Iterator[GridElement]:
    """The point group times a few shifts (including shifts past the grid's edge)."""
    step = getattr(group, "step", 1)
    shifts = _SHIFTS if getattr(group, "translations", False) else [(0, 0)]
    for dy, dx in shifts:
        if dy % step or dx % step:
            continue
        for p in group.point_elements:  # type: ignore[attr-defined]
            yield shift(dy, dx) * p


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_action_runs_on_backend_arrays_and_agrees_with_numpy(
    backend: Backend, numpy_backend: Backend, case: Any, dtype: str
) -> None:
    _, make, group, shape = case
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    action = make().prepare(group, shape)
    xb = backend.asarray(x)
    for g in elements(group):
        out = action.apply(g, xb, backend)
        assert_own(backend, out, f"{action.name} by {g!r}")
        assert out.dtype == xb.dtype
        want = action.apply(g, x, numpy_backend)
        np.testing.assert_allclose(backend.to_host(out), want, rtol=1e-6, atol=1e-6, err_msg=repr(g))
        # the input is left as it was
        np.testing.assert_array_equal(backend.to_host(xb), x)


@pytest.mark.parametrize("margin", [0, 1, 2])
@pytest.mark.parametrize("case", CASES[:3], ids=[c[0] for c in CASES[:3]])
def test_valid_mask_on_backend(backend: Backend, numpy_backend: Backend, case: Any, margin: int) -> None:
    _, make, group, shape = case
    action = make().prepare(group, shape)
    for g in elements(group):
        mask = action.valid_mask(g, shape, margin, backend)
        want = action.valid_mask(g, shape, margin, numpy_backend)
        if want is None:
            assert mask is None
            continue
        assert_own(backend, mask, f"valid_mask of {action.name} by {g!r}")
        np.testing.assert_array_equal(backend.to_host(mask), want, err_msg=repr(g))


def test_group_law_holds_on_backend(backend: Backend) -> None:
    """rho(g*h) == rho(g) rho(h) for the regular action: the permutation is composed right."""
    shape = (1, 8, 6, 6)
    x = backend.asarray(np.random.default_rng(1).standard_normal(shape))
    action = actions.regular(axis=1).prepare(p4m(), shape)
    some = list(elements(p4m()))[::7]
    for g in some:
        for h in some:
            lhs = action.apply(g * h, x, backend)
            rhs = action.apply(g, action.apply(h, x, backend), backend)
            np.testing.assert_array_equal(backend.to_host(lhs), backend.to_host(rhs))


def test_backend_moves_and_copies(backend: Backend) -> None:
    x = np.arange(12.0).reshape(3, 4)
    xb = backend.asarray(x)
    assert_own(backend, xb, "asarray")
    assert_own(backend, backend.asarray(xb), "asarray of an own array")
    assert backend.asarray(x, dtype=backend.xp.float32).dtype == backend.xp.float32
    host = backend.to_host(xb)
    assert isinstance(host, np.ndarray)
    np.testing.assert_array_equal(host, x)
    c = backend.copy(xb)
    assert_own(backend, c, "copy")
    c[0, 0] = -1.0
    assert float(backend.to_host(xb)[0, 0]) == 0.0
    backend.synchronize()
    assert isinstance(backend.device, str) and backend.info()["backend"] == backend.name


def test_strict_backend_has_no_scipy_companions() -> None:
    with pytest.raises(equicheck.BackendUnavailableError, match="ndimage"):
        strict_backend().ndimage  # noqa: B018 - the property raises


@pytest.fixture
def strict_registered(monkeypatch: pytest.MonkeyPatch) -> Backend:
    """Register the strict backend for this test only (the registry is global)."""
    b = strict_backend()
    monkeypatch.setitem(backends._FACTORIES, "strict", lambda: b)
    monkeypatch.setitem(backends._OWNERS, "strict", b.is_array)
    monkeypatch.setitem(backends._CACHE, "strict", b)
    return b


def test_arrays_select_their_backend(strict_registered: Backend) -> None:
    x = xs.asarray(np.random.default_rng(2).standard_normal((1, 2, 4, 4)))
    assert get_backend(None, x) is strict_registered
    out = actions.spatial().apply(shift(1, 0) * GridElement(k=1), x)  # no backend given
    assert_own(strict_registered, out, "spatial() chosen by its input")
    with pytest.raises(equicheck.EquicheckError, match="mixed"):
        get_backend(None, x, np.zeros(2))


def test_use_backend_by_object_and_by_name(strict_registered: Backend) -> None:
    with equicheck.use_backend("strict") as b:
        assert b is strict_registered
        assert get_backend() is strict_registered
    assert get_backend().name == "numpy"
