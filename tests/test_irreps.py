"""Irreps and real Wigner-D matrices (equicheck.actions.irreps), without e3nn.

The matrices are checked by what defines them: a homomorphism of O(3), orthogonal, ``1o`` is
R itself, ``2e`` is the symmetric traceless part of a rank-2 tensor in a fixed basis, and
parity acts on improper elements. Agreement with e3nn itself is in test_irreps_e3nn.py.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from equicheck.actions.irreps import Irreps, IrrepsTerm, tensor_matrix, wigner_D, wigner_D_from_angles
from equicheck.errors import ShapeError, SpecError

TOL = 1e-12
LMAX = 8


# -- rotations where conventions break: Haar, near the identity, near and at half turns --------


def axis_angle(axis, angle: float) -> np.ndarray:
    """Rotation by ``angle`` about ``axis`` (Rodrigues), built independently of the module."""
    u = np.asarray(axis, dtype=float)
    u = u / np.linalg.norm(u)
    k = np.array([[0, -u[2], u[1]], [u[2], 0, -u[0]], [-u[1], u[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def haar(rng: np.random.Generator, n: int) -> np.ndarray:
    q = rng.normal(size=(n, 4))
    w, x, y, z = (q / np.linalg.norm(q, axis=1, keepdims=True)).T
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
            np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
            np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
        ],
        -2,
    )


def hard_rotations(seed: int = 0) -> np.ndarray:
    """Random rotations plus the near-identity and near-half-turn ones the search shrinks to."""
    rng = np.random.default_rng(seed)
    axes = [rng.normal(size=3), [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1]]
    angles = [0.0, 1e-12, 1e-9, 1e-6, 1e-3, np.pi - 1e-6, np.pi - 1e-9, np.pi]
    special = [axis_angle(a, t) for a in axes for t in angles]
    return np.concatenate([haar(rng, 24), np.stack(special)])


def with_improper(R: np.ndarray) -> np.ndarray:
    """``R`` followed by ``-R`` and by reflections through the three coordinate planes."""
    planes = [np.diag(d).astype(float) for d in ([-1, 1, 1], [1, -1, 1], [1, 1, -1])]
    return np.concatenate([R, -R, np.stack(planes), -np.eye(3)[None]])


ROTATIONS = hard_rotations()
ELEMENTS = with_improper(ROTATIONS)


# -- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written", "dim"),
    [
        ("2x0e + 1x1o + 1x2e", "2x0e+1x1o+1x2e", 10),
        ("0e+1o", "1x0e+1x1o", 4),
        ("3x1e", "3x1e", 9),
        ("1x0o", "1x0o", 1),
        ("  32x0e +\t32x1o + 32x2e ", "32x0e+32x1o+32x2e", 288),
        ("1 x 1y + 2y", "1x1o+1x2e", 8),
        ("0x1e + 1e", "0x1e+1x1e", 3),
        ("", "", 0),
    ],
)
def test_irreps_parse_and_write_as_e3nn_does(text, written, dim):
    irreps = Irreps(text)
    assert str(irreps) == written
    assert irreps.dim == dim
    assert Irreps(str(irreps)) == irreps
    assert hash(Irreps(written)) == hash(irreps)
    assert repr(irreps) == f"Irreps({written!r})"


def test_terms_iterate_as_mul_l_parity_and_slices_cover_the_features():
    irreps = Irreps("2x0e + 1x1o + 1x2e")
    assert list(irreps) == [IrrepsTerm(2, 0, 1), IrrepsTerm(1, 1, -1), IrrepsTerm(1, 2, 1)]
    assert [tuple(t) for t in irreps] == [(2, 0, 1), (1, 1, -1), (1, 2, 1)]
    assert irreps.slices() == [slice(0, 2), slice(2, 5), slice(5, 10)]
    assert len(irreps) == 3 and irreps[1].l == 1 and irreps.lmax == 2


def test_irreps_from_sequences_and_order_matters():
    assert Irreps([(2, (0, 1)), (1, (1, -1))]) == Irreps("2x0e+1x1o")
    assert Irreps([(1, "1o"), (3, "2e")]) == Irreps("1o + 3x2e")
    assert Irreps(list(Irreps("2x0e+1x1o"))) == Irreps("2x0e+1x1o")  # (mul, l, parity) triples
    assert Irreps(Irreps("1o")) == "1x1o"
    assert Irreps("1x0e+1x0e") != Irreps("2x0e")  # terms are a layout, never merged
    assert Irreps("1o+0e") != Irreps("0e+1o")
    assert Irreps("1o") != Irreps("1e")
    assert Irreps("1o") != "1e" and Irreps("1o") != "not irreps"


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 12), st.sampled_from("eo")), max_size=6))
def test_written_irreps_read_back(terms):
    text = " + ".join(f"{m}x{l}{p}" for m, l, p in terms)
    irreps = Irreps(text)
    assert Irreps(str(irreps)) == irreps
    assert irreps.dim == sum(m * (2 * l + 1) for m, l, _ in terms)


@pytest.mark.parametrize(
    "text", ["1x", "x1e", "1e1", "-1e", "2xe", "1E", "1o+", "+1o", "1.5x1e", "1x1o*2", "l1e"]
)
def test_bad_irreps_strings_say_the_grammar(text):
    with pytest.raises(SpecError, match=r"\[MULx\]Lp") as info:
        Irreps(text)
    assert repr(text) in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "spec", [5, [(1, (1, 2))], [(-1, "1o")], [(1, "2x1o")], [(1.5, (1, 1))], [(1, (True, 1))], [3], [(1, 2)]]
)
def test_bad_irreps_sequences_are_named_errors(spec):
    with pytest.raises(SpecError):
        Irreps(spec)


# -- Wigner-D matrices of rotations -----------------------------------------------------------


def test_degree_one_is_the_rotation_itself_in_xyz_order():
    assert np.array_equal(wigner_D(1, ROTATIONS), ROTATIONS)
    assert np.array_equal(wigner_D(0, ROTATIONS), np.ones((len(ROTATIONS), 1, 1)))


@pytest.mark.parametrize("l", range(LMAX + 1))
def test_wigner_D_is_an_orthogonal_homomorphism(l):
    R1, R2 = ROTATIONS, np.roll(ROTATIONS, 7, axis=0)
    D1, D2, D12 = wigner_D(l, R1), wigner_D(l, R2), wigner_D(l, R1 @ R2)
    assert D1.shape == (len(R1), 2 * l + 1, 2 * l + 1)
    assert np.abs(D12 - D1 @ D2).max() < TOL
    assert np.abs(D1 @ np.swapaxes(D1, -1, -2) - np.eye(2 * l + 1)).max() < TOL
    assert np.abs(wigner_D(l, np.swapaxes(R1, -1, -2)) - np.swapaxes(D1, -1, -2)).max() < TOL
    assert np.abs(wigner_D(l, np.eye(3)) - np.eye(2 * l + 1)).max() < TOL


@pytest.mark.parametrize("l", [2, 3, 5, 8])
def test_wigner_D_is_not_a_plain_power_or_reordering(l):
    """A representation check that could fail: D(R1 R2) != D(R2) D(R1) and D(R) != D(R^T)."""
    R1, R2 = ROTATIONS[:24], ROTATIONS[1:25]
    swapped = wigner_D(l, R2) @ wigner_D(l, R1)
    assert np.abs(wigner_D(l, R1 @ R2) - swapped).max() > 1e-2
    assert np.abs(wigner_D(l, R1) - wigner_D(l, np.swapaxes(R1, -1, -2))).max() > 1e-2


def test_wigner_D_batches_over_leading_axes():
    R = ROTATIONS[:12].reshape(2, 2, 3, 3, 3)
    D = wigner_D(3, R)
    assert D.shape == (2, 2, 3, 7, 7)
    assert np.array_equal(D[1, 0, 2], wigner_D(3, R[1, 0, 2]))


def test_wigner_D_from_angles_is_y_x_y():
    alpha, beta, gamma = 0.3, 1.1, -2.0
    R = axis_angle([0, 1, 0], alpha) @ axis_angle([1, 0, 0], beta) @ axis_angle([0, 1, 0], gamma)
    for l in (1, 2, 4):
        assert np.abs(wigner_D_from_angles(l, alpha, beta, gamma) - wigner_D(l, R)).max() < TOL
    batched = wigner_D_from_angles(2, np.zeros((4, 1)), np.linspace(0, 3, 5), 0.0)
    assert batched.shape == (4, 5, 5, 5)


# A fixed basis of the symmetric traceless 3x3 matrices: e3nn's 2e components are, in order,
# xz, xy, (2y^2 - x^2 - z^2), yz, (z^2 - x^2), each normalised (its real spherical harmonics of
# degree 2 with the polar axis along y).
def _sym(i: int, j: int) -> np.ndarray:
    m = np.zeros((3, 3))
    m[i, j] += 1
    m[j, i] += 1
    return m / np.linalg.norm(m)


def _diagonal(*d: float) -> np.ndarray:
    m = np.diag(np.array(d, dtype=float))
    return m / np.linalg.norm(m)


TRACELESS_2E = np.stack([_sym(0, 2), _sym(0, 1), _diagonal(-1, 2, -1), _sym(1, 2), _diagonal(-1, 0, 1)])


def test_symmetric_traceless_rank_two_tensors_transform_like_2e():
    B = TRACELESS_2E.reshape(5, 9)
    assert np.abs(B @ B.T - np.eye(5)).max() < TOL
    T = tensor_matrix(ELEMENTS, 2)
    assert np.abs(B @ T @ B.T - Irreps("2e").matrix(ELEMENTS)).max() < TOL
    assert np.abs(B @ T - Irreps("2e").matrix(ELEMENTS) @ B).max() < TOL  # B's span is invariant
    # must fail: a reordered basis, a sign flipped in it, or the wrong parity
    for wrong in (B[[1, 0, 2, 3, 4]], B * np.array([1, 1, 1, 1, -1])[:, None]):
        assert np.abs(wrong @ T @ wrong.T - Irreps("2e").matrix(ELEMENTS)).max() > 0.1
    assert np.abs(B @ T @ B.T - Irreps("2o").matrix(ELEMENTS)).max() > 0.1


# -- O(3): parity ------------------------------------------------------------------------------


def test_polar_vectors_follow_R_and_pseudovectors_det_R_times_R():
    det = np.linalg.det(ELEMENTS)[:, None, None]
    assert np.abs(Irreps("1o").matrix(ELEMENTS) - ELEMENTS).max() < TOL
    assert np.abs(Irreps("1e").matrix(ELEMENTS) - det * ELEMENTS).max() < TOL
    assert np.abs(Irreps("1e").matrix(ELEMENTS) - ELEMENTS).max() > 1.0  # improper elements tell them apart


@pytest.mark.parametrize("l", range(5))
def test_inversion_multiplies_each_irrep_by_its_parity(l):
    n = 2 * (2 * l + 1)
    assert np.abs(Irreps(f"2x{l}e").matrix(-np.eye(3)) - np.eye(n)).max() < TOL
    assert np.abs(Irreps(f"2x{l}o").matrix(-np.eye(3)) + np.eye(n)).max() < TOL
    R = ROTATIONS[:10]
    assert np.abs(Irreps(f"{l}o").matrix(-R) + wigner_D(l, R)).max() < TOL
    assert np.abs(Irreps(f"{l}e").matrix(R) - wigner_D(l, R)).max() == 0


def test_irreps_matrix_is_a_block_diagonal_homomorphism_of_O3():
    irreps = Irreps("2x0e + 1x1o + 3x2e + 1x0o + 2x3o + 1x1e")
    g, h = ELEMENTS, np.roll(ELEMENTS, 5, axis=0)
    M = irreps.matrix(g)
    assert M.shape == (len(g), irreps.dim, irreps.dim)
    assert np.abs(irreps.matrix(g @ h) - M @ irreps.matrix(h)).max() < TOL
    assert np.abs(M @ np.swapaxes(M, -1, -2) - np.eye(irreps.dim)).max() < TOL
    where = irreps.slices()
    block = M[: len(ROTATIONS), where[2], where[2]]  # 3 copies of 2e, each D_2, nothing across
    for i in range(3):
        assert np.abs(block[:, 5 * i : 5 * i + 5, 5 * i : 5 * i + 5] - wigner_D(2, ROTATIONS)).max() == 0
    assert np.abs(block[:, :5, 5:]).max() == 0
    assert np.abs(M[:, where[0], where[1]]).max() == 0


def test_apply_is_the_matrix_without_forming_it():
    irreps = Irreps("4x0e + 2x1o + 1x2e + 2x1e")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(len(ELEMENTS), 6, irreps.dim))
    expected = np.einsum("gij,gnj->gni", irreps.matrix(ELEMENTS), x)
    assert np.abs(irreps.apply(ELEMENTS, x) - expected).max() < TOL
    single = irreps.apply(ELEMENTS[3], x[0])
    assert np.abs(single - x[0] @ irreps.matrix(ELEMENTS[3]).T).max() < TOL
    blocks = irreps.blocks(ELEMENTS)
    assert [b.shape[-1] for b in blocks] == [1, 3, 5, 3]
    assert np.abs(blocks[3] - Irreps("1e").matrix(ELEMENTS)).max() == 0
    with pytest.raises(ShapeError, match="apply needs x of shape"):
        irreps.apply(ELEMENTS, x[..., :-1])
    with pytest.raises(ShapeError, match="batch shape of R"):
        irreps.apply(ELEMENTS, x[:5])  # 5 feature sets for len(ELEMENTS) elements
    assert irreps.apply(ELEMENTS[:1], x[:3]).shape == x[:3].shape  # one element broadcasts


# -- Cartesian tensors -------------------------------------------------------------------------


@pytest.mark.parametrize("rank", range(4))
def test_tensor_matrix_is_a_homomorphism_with_row_major_indices(rank):
    g, h = ELEMENTS[:20], ELEMENTS[-20:]
    T = tensor_matrix(g, rank)
    assert T.shape == (20, 3**rank, 3**rank)
    assert np.abs(tensor_matrix(g @ h, rank) - T @ tensor_matrix(h, rank)).max() < TOL
    pseudo = tensor_matrix(g, rank, pseudo=True)
    assert np.abs(pseudo - np.linalg.det(g)[:, None, None] * T).max() < TOL


def test_tensor_matrix_ranks_zero_one_two_are_what_they_say():
    R = ELEMENTS[-5:]  # improper ones
    assert np.array_equal(tensor_matrix(R, 0), np.ones((5, 1, 1)))
    assert np.array_equal(tensor_matrix(R, 0, pseudo=True), -np.ones((5, 1, 1)))
    assert np.array_equal(tensor_matrix(R, 1), R)
    A = np.arange(9.0).reshape(3, 3)
    moved = (tensor_matrix(ELEMENTS[0], 2) @ A.reshape(9)).reshape(3, 3)
    assert np.abs(moved - ELEMENTS[0] @ A @ ELEMENTS[0].T).max() < TOL
    assert np.abs(moved - ELEMENTS[0].T @ A @ ELEMENTS[0]).max() > 1.0  # the transposed action fails


# -- bad input: named errors before any work ---------------------------------------------------


def test_bad_matrices_and_degrees_are_named_errors():
    with pytest.raises(ShapeError, match=r"\(\.\.\., 3, 3\)"):
        wigner_D(1, np.eye(4))
    with pytest.raises(ShapeError):
        Irreps("1o").matrix(np.zeros(3))
    with pytest.raises(ValueError, match="orthogonal"):
        wigner_D(2, 2 * np.eye(3))
    with pytest.raises(ValueError, match="improper"):
        wigner_D(2, -np.eye(3))
    with pytest.raises(ValueError, match="NaN"):
        tensor_matrix(np.full((3, 3), np.nan), 1)
    with pytest.raises(TypeError):
        wigner_D(1, [["a", "b", "c"]] * 3)
    for l in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="non-negative integer"):
            wigner_D(l, np.eye(3))
    for rank in (-1, 2.0, None):
        with pytest.raises(ValueError, match="non-negative integer"):
            tensor_matrix(np.eye(3), rank)


def test_orthogonality_is_checked_just_above_the_tolerance():
    R = ROTATIONS[5]
    wigner_D(2, R * (1 + 4e-7))  # R R^T off by 8e-7: accepted (float32-rounded rotations pass)
    Irreps("1o").matrix(R.astype(np.float32))
    with pytest.raises(ValueError, match="off by"):
        wigner_D(2, R * (1 + 6e-7))


def test_the_module_imports_neither_torch_nor_e3nn():
    code = "import sys, equicheck.actions.irreps; print(sorted({'torch', 'e3nn'} & set(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
