"""1-D signals and 3-D volumes through actions and the engine: the kernels against NumPy
computed independently, the representation law on arrays, anisotropic spacing, fibers on the
cube group, and checks end to end (correct functions pass, planted bugs fail and shrink to a
readable counterexample that replays; bad shapes are named errors before f runs).

Grids are small and max_examples low: the group laws are exhaustive where they matter.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

import equicheck
from equicheck import check_equivariance
from equicheck.actions import spatial
from equicheck.engine.evidence import border_band
from equicheck.errors import EquicheckError, ShapeError, SpecError
from equicheck.groups import inversion, rotation
from equicheck.groups import lattice as L

RNG = np.random.default_rng(17)
FAST = {"seed": 0, "replay_dir": None, "dtypes": ["float64"], "max_examples": 5}


def check(f, group, **keywords):
    """check_equivariance with FAST settings unless the test says otherwise."""
    return check_equivariance(f, group, **{**FAST, **keywords})


def _reference(g, x: np.ndarray, boundary: str = "wrap") -> np.ndarray:
    """The volume action by coordinates, independent of apply_lattice: the entry at index
    (z, y, x) sits at point p = (x, y, z); it goes to R (p - c) + c + shift."""
    sizes_xyz = np.array(x.shape[-3:][::-1])
    c = (sizes_xyz - 1) / 2
    shift_xyz = np.array(L.index_shift(g)[::-1])
    matrix = (g if isinstance(g, type(rotation())) else g.point).matrix
    out = np.zeros_like(x)
    for iz, iy, ix in itertools.product(*(range(n) for n in x.shape[-3:])):
        q = np.rint(matrix @ (np.array([ix, iy, iz]) - c) + c + shift_xyz).astype(int)
        if boundary == "wrap":
            q %= sizes_xyz
        elif np.any(q < 0) or np.any(q >= sizes_xyz):
            continue
        out[..., q[2], q[1], q[0]] = x[..., iz, iy, ix]
    return out


# --- kernels --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "maps, numpy_move",
    [
        ("x->-y, y->x, z->z", lambda x: np.rot90(x, 1, axes=(-2, -1))),  # about z, as 2-D rot90
        ("x->x, y->z, z->-y", lambda x: np.rot90(x, 1, axes=(-2, -3))),  # about x
        ("x->-z, y->y, z->x", lambda x: np.rot90(x, 1, axes=(-3, -1))),  # about y
        ("x->-x, y->-y, z->z", lambda x: np.rot90(x, 2, axes=(-2, -1))),
        ("x->-x, y->y, z->z", lambda x: x[..., ::-1]),  # the mirror of x: the last axis
        ("x->x, y->-y, z->z", lambda x: x[..., ::-1, :]),
        ("x->x, y->y, z->-z", lambda x: x[..., ::-1, :, :]),
        ("x->-x, y->-y, z->-z", lambda x: np.flip(x, axis=(-3, -2, -1))),
        ("x->y, y->x, z->z", lambda x: np.swapaxes(x, -1, -2)),
        ("x->y, y->z, z->x", lambda x: np.rot90(np.rot90(x, 1, axes=(-1, -2)), 1, axes=(-3, -1))),
    ],
)
def test_named_cube_elements_move_volumes_as_numpy_does(maps: str, numpy_move):
    x = RNG.standard_normal((2, 4, 5, 5, 5))
    g = rotation(maps=maps)
    np.testing.assert_array_equal(spatial().apply(g, x), numpy_move(x))
    np.testing.assert_array_equal(spatial().apply(g, x), _reference(g, x))


def test_every_cube48_element_with_a_shift_matches_the_coordinate_reference():
    x = RNG.standard_normal((2, 3, 4, 5))  # unequal sides: signed permutations are still defined
    cube = RNG.standard_normal((2, 5, 5, 5))
    t = L.shift(dz=1, dy=-2, dx=2)
    for r in L.CUBE48:
        for g in (r, t * r, r * t):
            np.testing.assert_array_equal(spatial().apply(g, cube), _reference(g, cube))
            zeros = spatial(boundary="zeros").apply(g, cube)
            np.testing.assert_array_equal(zeros, _reference(g, cube, "zeros"))
    for r in L.flips(dims=3).point_elements:  # mirrors keep each axis: any box
        for g in (r, t * r):
            np.testing.assert_array_equal(spatial().apply(g, x), _reference(g, x))


def test_the_representation_law_holds_on_arrays_for_all_pairs_of_cube48():
    x = RNG.standard_normal((2, 5, 5, 5))
    t = L.shift(dz=1, dy=-2, dx=2)
    elems = list(L.CUBE48) + [t * r for r in L.CUBE48[::6]]
    wrap, zeros = spatial(), spatial(boundary="zeros")
    ones = np.ones_like(x)
    for g in elems:
        assert np.array_equal(wrap.apply(g.inverse(), wrap.apply(g, x)), x)
        for h in elems:
            np.testing.assert_array_equal(wrap.apply(g * h, x), wrap.apply(g, wrap.apply(h, x)))
            # zero fill loses what left the grid: the law holds where both kept the entry
            kept = zeros.apply(g, zeros.apply(h, ones))
            np.testing.assert_array_equal(zeros.apply(g * h, x) * kept, zeros.apply(g, zeros.apply(h, x)))


def test_one_d_elements_move_signals_as_numpy_does():
    x = RNG.standard_normal((3, 7))
    np.testing.assert_array_equal(spatial().apply(L.flip("t"), x), x[..., ::-1])
    np.testing.assert_array_equal(spatial().apply(L.shift(dt=2), x), np.roll(x, 2, axis=-1))
    moved = spatial(boundary="zeros").apply(L.shift(dt=2) * L.flip("t"), x)
    expected = np.zeros_like(x)
    expected[..., 2:] = x[..., ::-1][..., :-2]
    np.testing.assert_array_equal(moved, expected)
    channels_last = np.ascontiguousarray(x.T)  # (t, channels): the grid is axis 0
    np.testing.assert_array_equal(spatial(axes=(0,)).apply(L.flip("t"), channels_last), x.T[::-1])
    elems = L.dihedral().elements((7,))
    for g, h in itertools.product(elems, repeat=2):
        np.testing.assert_array_equal(spatial().apply(g * h, x), spatial().apply(g, spatial().apply(h, x)))


def test_channels_last_volumes_move_their_named_axes():
    x = RNG.standard_normal((4, 4, 4, 3))  # (z, y, x, channels)
    g = rotation(maps="x->-y, y->x, z->z")
    np.testing.assert_array_equal(spatial(axes=(-4, -3, -2)).apply(g, x), np.rot90(x, 1, axes=(-3, -2)))


def test_a_spatial_part_bound_to_other_dims_refuses_an_element():
    named = spatial(axes=(-2, -1))  # two named axes: a volume's element cannot move them
    with pytest.raises(ShapeError, match="3-D grid"):
        named.apply(rotation(maps="x->-y, y->x, z->z"), np.zeros((4, 4, 4)))
    with pytest.raises(ShapeError, match="1-D grid"):
        spatial(axes=(-3, -2, -1)).apply(L.flip("t"), np.zeros((4, 4, 4)))
    with pytest.raises(ShapeError, match="moves 2 axes"):
        spatial(axes=(-2, -1)).on_dims(3)


# --- anisotropic spacing ------------------------------------------------------------------------
class Counted:
    """f that counts its calls (so an error can be shown to come before any work)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return 2 * x


@pytest.mark.parametrize(
    "group, spacing",
    [
        ("cube24", (2.0, 1.0, 1.0)),
        ("cube48", (1.0, 1.0, 0.5)),
        ("p432", (2.0, 2.0, 1.0)),
        ("pm3m", (1.0, 3.0, 1.0)),
    ],
)
def test_turns_exchanging_unequal_spacing_are_refused_before_f_runs(group: str, spacing):
    f = Counted()
    with pytest.raises(ShapeError, match="unequal spacing"):
        check(f, group, in_action=spatial(spacing=spacing), max_examples=2)
    assert f.calls == 0
    with pytest.raises(ShapeError, match="unequal spacing"):  # given inputs: the same, before f
        check(f, group, in_action=spatial(spacing=spacing), inputs=np.ones((4, 4, 4)))
    assert f.calls == 0


@pytest.mark.parametrize(
    "group, spacing",
    [
        ("flips(dims=3)", (3.0, 1.0, 0.5)),
        ("translation(dims=3)", (3.0, 1.0, 0.5)),
        ("cube24", (0.5, 0.5, 0.5)),
        ("dihedral", (2.0,)),
    ],
)
def test_groups_that_keep_each_axis_accept_any_spacing(group: str, spacing):
    f = Counted()
    result = check(f, group, in_action=spatial(spacing=spacing), max_examples=3)
    assert result.passed and f.calls > 0


def test_spacing_needs_one_value_per_grid_axis():
    with pytest.raises(ShapeError, match="one spacing per grid axis"):
        check(Counted(), "cube24", in_action=spatial(spacing=(2.0, 1.0)))
    with pytest.raises(ShapeError, match="spacing"):
        check(Counted(), "p4", in_action="spatial(spacing=(1.0, 1.0, 1.0))")
    with pytest.raises(SpecError, match="positive"):
        check(Counted(), "cube24", in_action="spatial(spacing=(0.0, 1.0, 1.0))")


# --- the engine: correct functions pass ------------------------------------------------------------
def pointwise(x):
    return np.tanh(x) + 0.5 * x * x


@pytest.mark.parametrize(
    "group, exhaustive",
    [
        ("translation(dims=1)", False),
        ("dihedral", False),
        ("flips(dims=1)", True),
        ("translation(dims=3)", False),
        ("flips(dims=3)", True),
        ("cube24", True),
        ("cube48", True),
        ("p432", False),
        ("pm3m", False),
    ],
)
def test_a_pointwise_function_passes(group: str, exhaustive: bool):
    result = check(pointwise, group, max_examples=4)
    assert result.passed and result.exhaustive == exhaustive and result.max_error == 0
    dims = equicheck.groups.from_name(group).dims
    assert result.elements_checked >= (
        len(equicheck.groups.from_name(group).point_elements) if exhaustive else 2
    )
    worst = result.extra["worst_arrays"]
    assert {np.ndim(v) for v in worst.values()} == {dims}


def test_default_grids_are_small_in_3d_long_in_1d_and_shrink_to_the_smallest():
    seen: list[tuple[int, ...]] = []

    def record(x):
        seen.append(x.shape)
        return x

    check(record, "translation(dims=3)", max_examples=30)
    assert all(len(s) == 3 and 4 <= min(s) and max(s) <= 12 for s in seen)
    assert len({n for s in seen for n in s} & {5, 7, 9, 11}) and len(
        {n for s in seen for n in s} & {6, 8, 10}
    )
    seen.clear()
    check(record, "translation(dims=1)", max_examples=30)
    assert all(len(s) == 1 and 4 <= s[0] <= 48 for s in seen) and max(s[0] for s in seen) > 24
    seen.clear()
    check(record, "cube24", sizes=(5, 7), max_examples=10)
    assert {s for s in seen} <= {(5, 5, 5), (6, 6, 6), (7, 7, 7)}
    seen.clear()  # sizes given as (4, 24) are kept, even though they equal the 2-D default
    check(record, "translation(dims=1)", sizes=(4, 24), max_examples=30)
    assert all(4 <= s[0] <= 24 for s in seen)
    seen.clear()
    check(record, "translation(dims=3)", sizes=(4, 24), max_examples=30)
    assert max(max(s) for s in seen) > 12


# --- the engine: planted bugs fail and shrink ------------------------------------------------------
def gain_along_t(x):
    return x * np.arange(x.shape[-1])


def gain_along_z(x):
    return x * np.arange(x.shape[-3])[:, None, None]


def running_sum(x):
    return np.cumsum(x, axis=-1)


def conv1d_zeros(x):
    return ndimage.convolve1d(x, [0.25, 0.5, 0.25], axis=-1, mode="constant")


def conv3d_zeros(x):
    return ndimage.convolve(x, np.full((3, 3, 3), 1 / 27), mode="constant")


def conv3d_wrap(x):
    return ndimage.convolve(x, np.full((3, 3, 3), 1 / 27), mode="wrap")


def odd_only_1d(x):
    return x + (x.shape[-1] % 2) * np.roll(x, 1, axis=-1) * x  # breaks the reversal on odd n only


def odd_only_3d(x):
    return x + (x.shape[-2] % 2) * np.roll(x, 1, axis=-1)  # breaks mirrors of x on odd heights only


@pytest.mark.parametrize(
    "f, group, kwargs, element",
    [
        (gain_along_t, "translation(dims=1)", {}, "shift(dt=1)"),
        (gain_along_z, "translation(dims=3)", {}, "shift(dz=1, dy=0, dx=0)"),
        (gain_along_z, "cube24", {}, "rotation(maps='x->-z, y->y, z->x')"),
        (running_sum, "flips(dims=1)", {}, "flip(axis='t')"),
        (running_sum, "dihedral", {}, "flip(axis='t')"),
        (conv1d_zeros, "translation(dims=1)", {}, "shift(dt=1)"),
        (conv3d_zeros, "translation(dims=3)", {}, "shift(dz=0, dy=0, dx=1)"),
        (conv3d_zeros, "translation(dims=3, cyclic=false)", {}, "shift(dz=0, dy=0, dx=1)"),
        (odd_only_1d, "dihedral", {}, None),
        (odd_only_3d, "flips(dims=3)", {}, "rotation(maps='x->-x, y->y, z->z')"),
    ],
)
def test_planted_bugs_fail_with_a_small_counterexample(f, group: str, kwargs: dict, element: str | None):
    result = check(f, group, max_examples=40, **kwargs)
    assert not result.passed and result.verdict == "failed"
    ce = result.counterexample
    dims = equicheck.groups.from_name(group).dims
    if element is not None:
        assert ce.element == element
    (shape,) = ce.input_shapes
    assert len(shape) == dims and max(shape) <= 5  # shrunk to (nearly) the smallest grid
    if f in (odd_only_1d, odd_only_3d):
        assert any(n % 2 for n in shape)  # found because odd sides are drawn too
    for key in ("input", "actual", "expected", "error_map"):
        assert ce.arrays[key].shape == tuple(shape), key


@pytest.mark.parametrize(
    "f, group, margin, passes",
    [
        (conv1d_zeros, "translation(dims=1, cyclic=false)", 1, True),
        (conv1d_zeros, "translation(dims=1, cyclic=false)", 0, False),
        (conv3d_zeros, "translation(dims=3, cyclic=false)", 1, True),
        (conv3d_wrap, "translation(dims=3)", 0, True),
        (conv3d_wrap, "pm3m", 0, True),
    ],
)
def test_zero_padding_passes_zero_filled_shifts_away_from_the_border(
    f, group: str, margin: int, passes: bool
):
    result = check(f, group, margin=margin, max_examples=10)
    assert result.passed == passes
    if not passes:
        assert result.counterexample.arrays["valid_mask"].shape == tuple(
            result.counterexample.input_shapes[0]
        )


def _mirror_pair(x, axis: int):
    """Orientation channels of flips(axis=x, dims=3): phi(x) and M·phi(M·x), M the mirror that
    reverses ``axis`` (phi weighs entries by their x position, so it is not equivariant)."""

    def phi(y):
        return y * (1 + np.arange(y.shape[-1]))

    return np.stack([phi(x), np.flip(phi(np.flip(x, axis=axis)), axis=axis)], axis=-4)


def _reversal_pair(v, axis: int):
    """The same for flips(dims=1) on a channels-last signal (t, c): orientations first."""

    def phi(y):
        return y * (1 + np.arange(y.shape[0]))[:, None]

    return np.stack([phi(v), np.flip(phi(np.flip(v, axis=axis)), axis=axis)])


def test_reversing_the_wrong_axis_is_found():
    group = "flips(axis=x, dims=3)"
    assert check(lambda v: _mirror_pair(v, -1), group, out_action="regular").passed
    wrong = check(lambda v: _mirror_pair(v, -2), group, out_action="regular")  # y taken for x
    assert not wrong.passed and wrong.counterexample.element == "rotation(maps='x->-x, y->y, z->z')"
    signal = {
        "input_shape": (None, 3),
        "in_action": "spatial(axes=(0,))",
        "out_action": "regular(axis=0, axes=(1,))",
    }
    assert check(lambda v: _reversal_pair(v, 0), "flips(dims=1)", **signal).passed
    channels = check(lambda v: _reversal_pair(v, -1), "flips(dims=1)", **signal)  # x[..., ::-1]
    assert not channels.passed and channels.counterexample.element == "flip(axis='t')"


# --- fibers on the cube group ------------------------------------------------------------------------
_MOVE = spatial()


def _lift(x, inverse_first: bool = True):
    """A lifting layer to the 24 orientations: channel h holds h·phi(h⁻¹·x), phi not equivariant."""

    def phi(y):
        return y * (1 + np.arange(y.shape[-3]))[:, None, None] + np.roll(y, 1, axis=-1)

    channels = []
    for h in L.CUBE24:
        a, b = (h.inverse(), h) if inverse_first else (h, h.inverse())
        channels.append(_MOVE.apply(b, phi(_MOVE.apply(a, x))))
    return np.stack(channels, axis=-4)


def test_regular_action_on_the_cube_group():
    assert check(_lift, "cube24", out_action="regular", max_examples=2).passed
    wrong = check(lambda x: _lift(x, inverse_first=False), "cube24", out_action="regular", max_examples=2)
    assert not wrong.passed and wrong.counterexample.element == "rotation(maps='x->-y, y->x, z->z')"
    rolled = check(lambda y: np.roll(y, 1, axis=-4), "cube48", in_action="regular")
    assert not rolled.passed and rolled.counterexample.input_shapes == [[48, 4, 4, 4]]
    assert check(lambda y: y * y, "cube48", in_action="regular", max_examples=3).passed


def gradient_zyx(x):
    return np.stack(np.gradient(x, axis=(-3, -2, -1)), axis=-4)


def gradient_xyz(x):
    return gradient_zyx(x)[..., ::-1, :, :, :]


@pytest.mark.parametrize(
    "f, out_action, passes",
    [
        (gradient_zyx, "vector", True),
        (gradient_xyz, "vector", False),
        (gradient_xyz, "vector(components=xyz)", True),
        (gradient_zyx, "vector(components=xyz)", False),
    ],
)
def test_three_component_vector_fields(f, out_action: str, passes: bool):
    result = check(f, "cube48", out_action=out_action, max_examples=3)
    assert result.passed == passes
    if not passes:
        assert result.counterexample.element == "rotation(maps='x->-y, y->x, z->z')"


def test_one_component_vectors_change_sign_under_the_reversal():
    def slope(x):
        return (np.roll(x, -1, axis=-1) - np.roll(x, 1, axis=-1))[..., None, :]

    assert check(slope, "dihedral", out_action="vector").passed
    assert not check(slope, "dihedral", out_action="spatial").passed


@pytest.mark.parametrize(
    "group, action, words",
    [
        ("cube24", "vector(y_up=true)", "y_up"),
        ("dihedral", "vector(y_up=true)", "y_up"),
        ("cube24", "vector(components=xy)", "3 components"),
        ("p4", "vector(components=xyz)", "2 components"),
    ],
)
def test_vector_options_of_another_grid_are_named_errors(group: str, action: str, words: str):
    f = Counted()
    with pytest.raises(ShapeError, match=words):
        check(f, group, in_action=action)
    assert f.calls == 0


# --- strides ------------------------------------------------------------------------------------------
def subsample3(x):
    return x[..., ::2, ::2, ::2]


def test_a_stride_two_subsampling_moves_by_half_the_shift():
    ok = check(subsample3, "translation(dims=3, step=2)", out_action="spatial(stride=2)")
    assert ok.passed
    wrong = check(subsample3, "translation(dims=3, step=2)", out_action="spatial")
    assert not wrong.passed
    one_d = check(lambda x: x[..., ::2], "translation(dims=1, step=2)", out_action="spatial(stride=2)")
    assert one_d.passed
    with pytest.raises(SpecError, match="step=2"):
        check(subsample3, "translation(dims=3)", out_action="spatial(stride=2)")


# --- counterexamples: arrays and replay ---------------------------------------------------------------
@pytest.mark.parametrize(
    "f, group, input_shape, grid",
    [
        (running_sum, "dihedral", (2, 3, None), (4,)),
        (gain_along_z, "cube24", (1, None, None, None), (4, 4, 4)),
    ],
)
def test_counterexamples_replay_and_show_the_grid(tmp_path: Path, f, group, input_shape, grid):
    result = check(
        f, group, input_shape=input_shape, seed=0, replay_dir=tmp_path, max_examples=20, dtypes=["float64"]
    )
    ce = result.counterexample
    assert not result.passed and ce.path is not None and Path(ce.path).exists()
    for key in ("input", "actual", "expected", "error_map"):
        assert ce.arrays[key].shape == grid
    replayed = equicheck.replay(ce.path, f)
    assert not replayed.passed and replayed.counterexample.element == ce.element
    assert replayed.counterexample.max_abs_diff == pytest.approx(ce.max_abs_diff)
    assert equicheck.replay(ce.path, pointwise).passed  # the same input passes a correct f


def test_border_band_in_one_and_three_dimensions():
    bad = np.zeros(16, bool)
    bad[[0, 15]] = True
    assert border_band(bad) == 1
    bad[7] = True
    assert border_band(bad) is None  # inside too
    vol = np.zeros((8, 8, 8), bool)
    vol[:, :, :2] = True
    assert border_band(vol) == 2
    vol[:, :, :] = False
    vol[0, 4, 4] = True
    assert border_band(vol) == 1 and border_band(vol[:3, :3, :3]) is None  # too small to tell
    assert border_band(np.zeros((8, 8, 8), bool)) is None


# --- shapes the group cannot act on: named errors before f runs -----------------------------------------
@pytest.mark.parametrize(
    "group, input_shape, words",
    [
        ("cube24", (None, None), ["3-D grids", "None on 3 axes", "(1, None, None, None)"]),
        ("cube24", (1, None, None), ["equal sides", "None on all 3", "(1, None, None, None)"]),
        ("cube48", (None, None, None, None), ["None on 3 axes"]),
        ("translation(dims=3)", (None,), ["3-D grids"]),
        ("translation(dims=1)", (None, None), ["1-D grids", "(1, None)"]),
        ("c4", (None, None, None), ["2-D grids", "None on 2 axes"]),
        ("p4m", (1, None, None, None), ["2-D grids"]),
        ("cube24", (1, 4, 4, 5), ["equal sides", "4x4x5"]),
        ("translation(dims=3, step=2)", (1, 4, 4, 5), ["multiples of 2"]),
        ("cube24", (24, None, None), ["None on all 3"]),
    ],
)
def test_shapes_the_group_cannot_act_on(group: str, input_shape, words: list[str]):
    f = Counted()
    with pytest.raises(ShapeError) as info:
        check(f, group, input_shape=input_shape, max_examples=2)
    for word in words:
        assert word in str(info.value), str(info.value)
    assert f.calls == 0


def test_given_inputs_of_the_wrong_dimensionality_are_named_errors():
    f = Counted()
    with pytest.raises(ShapeError, match="3-D grids"):
        check(f, "cube24", inputs=np.ones((4, 4)))
    with pytest.raises(ShapeError, match="equal sides"):
        check(f, "cube24", inputs=np.ones((4, 4, 5)))
    assert f.calls == 0
    assert check(pointwise, "cube24", inputs=np.ones((4, 4, 4))).passed
    assert check(pointwise, "dihedral", inputs=RNG.standard_normal((2, 9))).passed


def test_a_fixed_partial_grid_works_for_groups_that_keep_each_axis():
    seen: list[tuple[int, ...]] = []

    def record(x):
        seen.append(x.shape)
        return x

    assert check(record, "translation(dims=3)", input_shape=(3, None, None), max_examples=5).passed
    assert {s[0] for s in seen} == {3}


def test_two_d_checks_are_unchanged():
    result = check(pointwise, "p4m", max_examples=3)
    assert result.passed and {np.ndim(v) for v in result.extra["worst_arrays"].values()} == {2}
    fail = check(lambda x: np.roll(x, 1, axis=-1), "c4", max_examples=10)
    assert not fail.passed and fail.counterexample.element == "rot90(k=1)"
    assert fail.counterexample.arrays["error_map"].shape == tuple(fail.counterexample.input_shapes[0])
    with pytest.raises(EquicheckError):
        check(pointwise, "c4", input_shape=(None, None, None))


def test_inversion_is_the_point_reflection_of_the_volume():
    x = RNG.standard_normal((3, 3, 3))
    np.testing.assert_array_equal(spatial().apply(inversion(), x), x[::-1, ::-1, ::-1])


@pytest.mark.parametrize(
    "kwargs, check",
    [
        ({"dims": 1}, lambda g: len(g) == 1),
        ({"dims": 3, "square": True}, lambda g: len(g) == 3 and len(set(g)) == 1),
        ({"dims": 3, "multiple_of": 2}, lambda g: len(g) == 3 and all(n % 2 == 0 for n in g)),
    ],
)
def test_grid_sizes_in_one_and_three_dimensions(kwargs, check):
    from hypothesis import find, settings

    from equicheck.strategies import grid_sizes

    strategy = grid_sizes(4, 12, **kwargs)
    quick = settings(max_examples=30, database=None)
    smallest = find(strategy, lambda g: True, settings=quick)
    assert check(smallest) and min(smallest) == 4
    odd = (
        find(strategy, lambda g: any(n % 2 for n in g), settings=quick)
        if "multiple_of" not in kwargs
        else None
    )
    assert odd is None or (check(odd) and 5 in odd)
    with pytest.raises(EquicheckError, match="dims"):
        grid_sizes(4, 12, dims=4)


@pytest.mark.parametrize(
    "group, out_action, error",
    [
        ("cube24", "vector(components=xy)", ShapeError),
        ("cube24", "spatial(spacing=(2.0, 1.0, 1.0))", ShapeError),
        ("dihedral", "vector(y_up=true)", ShapeError),
        ("translation(dims=3)", "regular", EquicheckError),
        ("translation(dims=3)", "spatial(stride=2)", SpecError),
        ("translation(dims=3)", "spatial(axes=(-2, -1))", ShapeError),
    ],
)
def test_output_actions_the_group_rules_out_are_refused_before_f_runs(group: str, out_action: str, error):
    f = Counted()
    with pytest.raises(error):
        check(f, group, out_action=out_action)
    assert f.calls == 0


@pytest.mark.parametrize("f, group", [(odd_only_1d, "dihedral"), (odd_only_3d, "flips(dims=3)")])
def test_odd_only_bugs_hide_on_even_grids(f, group: str):
    assert check(f, group, sizes=(4, 4), max_examples=10).passed  # the same f, even sides only
    assert not check(f, group, sizes=(5, 5), max_examples=10).passed
