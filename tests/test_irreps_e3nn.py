"""equicheck's Wigner-D matrices against e3nn 0.6's, in float64 (needs the `e3nn` extra).

On the same angles they agree to 1e-12 (``D_from_angles``). From matrices they agree to 1e-8
(``D_from_matrix``): e3nn goes through Euler angles and loses up to ~1e-8 near the identity
and near half turns, where equicheck (which works from R itself) stays at rounding.
Each agreement test has a twin that must fail: a permuted basis, a wrong parity, a transpose.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_irreps import ELEMENTS, LMAX, ROTATIONS

from equicheck.actions.irreps import Irreps, tensor_matrix, wigner_D, wigner_D_from_angles

torch = pytest.importorskip("torch", reason="the comparison with e3nn needs torch")
o3 = pytest.importorskip("e3nn.o3", reason="the comparison with e3nn needs the `e3nn` extra")

ANGLES_TOL = 1e-12
MATRIX_TOL = 1e-8
IRREPS = "2x0e + 1x1o + 1x2e + 1x0o + 2x1e + 1x2o + 1x3o + 1x4e + 1x8o"


@pytest.fixture(autouse=True)
def float64_default():
    """e3nn builds its matrices in torch's default dtype: float64 here, restored afterwards."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


def e3nn_from_matrix(irreps: str, R: np.ndarray) -> np.ndarray:
    return o3.Irreps(irreps).D_from_matrix(torch.from_numpy(R)).numpy()


def angles(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random Y-X-Y angles plus beta at and near 0 and pi (the gimbal-lock edges)."""
    rng = np.random.default_rng(seed)
    n = 40
    alpha, beta, gamma = rng.uniform(-7, 7, n), rng.uniform(0, np.pi, n), rng.uniform(-7, 7, n)
    beta[:6] = [0.0, 1e-9, 1e-4, np.pi, np.pi - 1e-9, 2 * np.pi - 1e-3]
    return alpha, beta, gamma


@pytest.mark.parametrize("l", range(LMAX + 1))
def test_same_angles_same_matrices_as_e3nn(l):
    a, b, c = angles()
    expected = o3.Irrep(l, 1).D_from_angles(*(torch.from_numpy(v) for v in (a, b, c))).numpy()
    assert np.abs(wigner_D_from_angles(l, a, b, c) - expected).max() < ANGLES_TOL


@pytest.mark.parametrize("l", [2, 3, 8])
def test_a_permuted_basis_is_caught_by_the_angle_comparison(l):
    a, b, c = angles(1)
    expected = o3.Irrep(l, 1).D_from_angles(*(torch.from_numpy(v) for v in (a, b, c))).numpy()
    ours = wigner_D_from_angles(l, a, b, c)
    order = np.roll(np.arange(2 * l + 1), 1)
    assert np.abs(ours[:, order][:, :, order] - expected).max() > 0.1
    reversed_basis = ours[:, ::-1, ::-1]  # the textbook m = l..-l order
    assert np.abs(reversed_basis - expected).max() > 0.1
    assert np.abs(np.swapaxes(ours, -1, -2) - expected).max() > 0.1


def test_same_matrices_as_e3nn_D_from_matrix_on_O3():
    R = ELEMENTS  # Haar, near identity, near and at half turns, -R, reflections, inversion
    ours = Irreps(IRREPS).matrix(R)
    assert np.abs(ours - e3nn_from_matrix(IRREPS, R)).max() < MATRIX_TOL
    for l in range(LMAX + 1):
        assert np.abs(wigner_D(l, ROTATIONS) - e3nn_from_matrix(f"{l}e", ROTATIONS)).max() < MATRIX_TOL


def test_e3nn_loses_precision_near_the_identity_where_we_do_not():
    """Why D_from_matrix is compared at 1e-8: e3nn goes through angles, we do not."""
    tiny = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(1e-9), -np.sin(1e-9)], [0.0, np.sin(1e-9), np.cos(1e-9)]])
    theirs = e3nn_from_matrix("1o", tiny[None])[0]
    assert np.abs(theirs - tiny).max() > 1e-12  # e3nn's 1o of R is not quite R here
    assert np.abs(Irreps("1o").matrix(tiny) - tiny).max() == 0


def test_e3nn_1o_is_R_in_xyz_order_and_1e_is_det_R_times_R():
    det = np.linalg.det(ELEMENTS)[:, None, None]
    assert np.abs(e3nn_from_matrix("1o", ELEMENTS) - ELEMENTS).max() < MATRIX_TOL
    assert np.abs(e3nn_from_matrix("1e", ELEMENTS) - det * ELEMENTS).max() < MATRIX_TOL


def test_a_wrong_parity_or_irreps_order_is_caught():
    R = ELEMENTS
    improper = np.linalg.det(R) < 0
    expected = e3nn_from_matrix("1x1o + 1x2e", R)
    wrong_parity = Irreps("1x1e + 1x2e").matrix(R)
    assert np.abs(wrong_parity[~improper] - expected[~improper]).max() < MATRIX_TOL  # rotations can't tell
    assert np.abs(wrong_parity[improper] - expected[improper]).max() > 0.5
    assert np.abs(Irreps("1x2e + 1x1o").matrix(R) - expected).max() > 0.5


def test_cartesian_rank_two_tensors_match_e3nn_reduction():
    """e3nn's change of basis from symmetric 3x3 tensors to 0e + 2e intertwines tensor_matrix."""
    io = pytest.importorskip("e3nn.io", reason="e3nn.io.CartesianTensor")
    tensor = io.CartesianTensor("ij=ji")
    Q = tensor.reduced_tensor_products().change_of_basis.numpy().reshape(-1, 9)
    R = ELEMENTS
    assert str(Irreps(str(tensor))) == "1x0e+1x2e"
    assert np.abs(Q @ tensor_matrix(R, 2) @ Q.T - Irreps(str(tensor)).matrix(R)).max() < ANGLES_TOL
    pseudo = io.CartesianTensor("ij=-ji")  # antisymmetric: a pseudovector, 1e
    Q = pseudo.reduced_tensor_products().change_of_basis.numpy().reshape(-1, 9)
    assert str(Irreps(str(pseudo))) == "1x1e"
    assert np.abs(Q @ tensor_matrix(R, 2) @ Q.T - Irreps("1e").matrix(R)).max() < ANGLES_TOL
    assert np.abs(Q @ tensor_matrix(R, 2) @ Q.T - Irreps("1o").matrix(R)).max() > 0.5


def test_e3nn_irreps_objects_are_accepted_as_they_are():
    theirs = o3.Irreps(IRREPS)
    ours = Irreps(theirs)
    assert ours == Irreps(IRREPS) and str(ours) == str(theirs) and ours.dim == theirs.dim
    assert [s.start for s in ours.slices()] == [s.start for s in theirs.slices()]
