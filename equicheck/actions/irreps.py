"""Irreducible representations of O(3) written as e3nn writes them, and their real Wigner-D matrices.

equicheck computes these matrices itself (NumPy only) so that checking an e3nn-style model
does not need e3nn. The basis and signs are e3nn 0.6's:

- ``l = 1`` is the Cartesian basis ``(x, y, z)``: ``wigner_D(1, R) == R``.
- For ``l >= 2`` the basis is e3nn's, which is *not* a reordering of the textbook real
  spherical harmonics: e3nn builds its real basis with the quantisation axis along ``y``.
  We reach it by coupling: ``D_l(R) = C_lᵀ (D_{l-1}(R) ⊗ R) C_l``, where ``C_l`` is the
  real Clebsch-Gordan isometry from ``l`` into ``(l-1) ⊗ 1``, made real by the same
  real-to-complex change of basis e3nn uses. This recursion from ``R`` itself is exact up
  to rounding (about 1e-15 per step), needs no angles (so no loss of precision near the
  identity or near half turns) and costs two small matrix products per ``l``.
- Parity: an improper ``R`` (det -1) acts on ``l`` with parity ``p`` as
  ``p * D_l(-R)``; for ``1o`` that is ``R`` again, for ``1e`` (a pseudovector) ``-R``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np

from ..errors import ShapeError, SpecError

__all__ = ["Irreps", "IrrepsTerm", "tensor_matrix", "wigner_D", "wigner_D_from_angles"]

GRAMMAR = (
    "irreps are written as e3nn writes them: terms [MULx]Lp joined by '+', where MUL and L are "
    "non-negative integers and p is 'e' (even), 'o' (odd) or 'y' (the parity (-1)^L of spherical "
    "harmonics), e.g. '2x0e + 1x1o + 1x2e', '0e+1o', '3x1e'"
)
_TERM = re.compile(r"(?:(\d+)x)?(\d+)([eoy])")
ORTHOGONALITY_TOLERANCE = 1e-6


class IrrepsTerm(NamedTuple):
    """``mul`` copies of the irrep of degree ``l`` and parity ``parity`` (+1 even, -1 odd)."""

    mul: int
    l: int
    parity: int

    @property
    def dim(self) -> int:
        return self.mul * (2 * self.l + 1)

    def __str__(self) -> str:
        return f"{self.mul}x{self.l}{'e' if self.parity == 1 else 'o'}"


class Irreps:
    """A direct sum of O(3) irreps, e.g. ``Irreps("2x0e + 1x1o + 1x2e")`` (dimension 10).

    Accepts e3nn's string form, another ``Irreps`` (e3nn's included), or a sequence of
    ``(mul, (l, p))``, ``(mul, "1o")`` or ``(mul, l, p)``. Terms keep their order and are
    not merged (``"1x0e+1x0e" != "2x0e"``), as in e3nn: the order is the feature layout.
    """

    __slots__ = ("_terms",)

    def __init__(self, spec: Any = "") -> None:
        if isinstance(spec, Irreps):
            terms: tuple[IrrepsTerm, ...] = spec._terms
        elif isinstance(spec, str):
            terms = _parse(spec)
        elif isinstance(spec, Iterable):
            terms = tuple(_term_from_item(item) for item in spec)
        else:
            raise SpecError(f"cannot read irreps from {type(spec).__name__} {spec!r}; {GRAMMAR}")
        self._terms = terms

    @property
    def dim(self) -> int:
        """Length of a feature vector: sum of ``mul * (2l + 1)``."""
        return sum(term.dim for term in self._terms)

    @property
    def lmax(self) -> int:
        """Largest degree present (-1 when empty)."""
        return max((term.l for term in self._terms), default=-1)

    def __iter__(self) -> Iterator[IrrepsTerm]:
        return iter(self._terms)

    def __len__(self) -> int:
        return len(self._terms)

    def __getitem__(self, index: int) -> IrrepsTerm:
        return self._terms[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Irreps):
            return self._terms == other._terms
        if isinstance(other, str):
            try:
                return self._terms == _parse(other)
            except SpecError:
                return False
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._terms)

    def __str__(self) -> str:
        return "+".join(str(term) for term in self._terms)

    def __repr__(self) -> str:
        return f"Irreps({str(self)!r})"

    def slices(self) -> list[slice]:
        """Where each term's entries lie in a feature vector, in order."""
        out, start = [], 0
        for term in self._terms:
            out.append(slice(start, start + term.dim))
            start += term.dim
        return out

    def matrix(self, R: Any) -> np.ndarray:
        """Block-diagonal representation ``(..., dim, dim)`` of orthogonal ``R`` ``(..., 3, 3)``.

        Each copy of ``(l, p)`` gets ``D_l(R)`` for a rotation and ``p * D_l(-R)`` for an
        improper ``R`` (e3nn's ``Irreps.D_from_matrix``); copies are contiguous, as in e3nn.
        """
        R = _orthogonal(R, "Irreps.matrix")
        batch = R.shape[:-2]
        out = np.zeros(batch + (self.dim, self.dim))
        for term, where, block in zip(self._terms, self.slices(), self._blocks(R)):
            if term.mul == 0:
                continue
            n = 2 * term.l + 1
            copies = out[..., where, where].reshape(batch + (term.mul, n, term.mul, n))  # a view
            diagonal = np.arange(term.mul)
            copies[..., diagonal, :, diagonal, :] = block
        return out

    def apply(self, R: Any, x: Any) -> np.ndarray:
        """``matrix(R) @ x`` on the last axis of ``x``, term by term (no dense matrix).

        ``R`` is ``(*S, 3, 3)`` and ``x`` is ``(*S, *rest, dim)``: the elements' batch axes
        ``S`` lead, e.g. ``R`` (4, 3, 3) and features (4, n_points, dim).
        """
        R = _orthogonal(R, "Irreps.apply")
        x = np.asarray(x)
        batch = R.shape[:-2]
        lead = x.shape[: len(batch)]
        if x.ndim < len(batch) + 1 or x.shape[-1] != self.dim or not _broadcastable(lead, batch):
            raise ShapeError(
                f"Irreps({str(self)!r}).apply needs x of shape (*S, ..., {self.dim}) with S = {batch} "
                f"the batch shape of R, got {x.shape}"
            )
        out = np.empty(
            np.broadcast_shapes(lead, batch) + x.shape[len(batch) :],
            dtype=np.result_type(x, np.float64),
        )
        spread = (1,) * (x.ndim - 1 - len(batch))
        for term, where, block in zip(self._terms, self.slices(), self._blocks(R)):
            n = 2 * term.l + 1
            rows = x[..., where].reshape(x.shape[:-1] + (term.mul, n))
            transposed = np.swapaxes(block, -1, -2).reshape(batch + spread + (n, n))
            out[..., where] = (rows @ transposed).reshape(out.shape[:-1] + (term.dim,))
        return out

    def blocks(self, R: Any) -> list[np.ndarray]:
        """One matrix ``(..., 2l+1, 2l+1)`` per term, parity applied: what ``matrix`` repeats
        ``mul`` times on its diagonal, for applying it with another array library."""
        return self._blocks(_orthogonal(R, "Irreps.blocks"))

    def _blocks(self, R: np.ndarray) -> list[np.ndarray]:
        det = _det_sign(R)
        ds = _wigner_ds(max(self.lmax, 0), R * det[..., None, None])
        improper = (det < 0)[..., None, None]
        return [np.where(improper, -ds[t.l], ds[t.l]) if t.parity == -1 else ds[t.l] for t in self._terms]


def wigner_D(l: int, R: Any) -> np.ndarray:
    """Real Wigner-D matrices ``(..., 2l+1, 2l+1)`` of rotations ``R`` ``(..., 3, 3)`` in e3nn's basis.

    ``R`` must be proper (det +1); for reflections use ``Irreps.matrix``, which applies the parity.
    """
    l = _degree(l)
    R = _orthogonal(R, "wigner_D")
    if np.any(_det_sign(R) < 0):
        raise ValueError(
            "wigner_D takes proper rotations (det +1) but got an improper matrix; for reflections "
            f"use Irreps('{l}e').matrix(R) or Irreps('{l}o').matrix(R), which apply the parity"
        )
    return _wigner_ds(l, R)[l]


def wigner_D_from_angles(l: int, alpha: Any, beta: Any, gamma: Any) -> np.ndarray:
    """``wigner_D(l, Ry(alpha) @ Rx(beta) @ Ry(gamma))``: e3nn's ``Irrep.D_from_angles`` (Y-X-Y angles)."""
    l = _degree(l)
    alpha, beta, gamma = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (alpha, beta, gamma)))
    R = _rotation_y(alpha) @ _rotation_x(beta) @ _rotation_y(gamma)
    return _wigner_ds(l, R)[l]


def tensor_matrix(R: Any, rank: int, pseudo: bool = False) -> np.ndarray:
    """Action ``(..., 3**rank, 3**rank)`` of orthogonal ``R`` on Cartesian tensors of ``rank``.

    ``T'_{ij...} = R_ia R_jb ... T_{ab...}`` on the row-major flattening of the rank indices;
    a pseudotensor (``pseudo=True``, e.g. an angular momentum) also takes the sign of ``det R``.
    """
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or rank < 0:
        raise ValueError(f"tensor rank must be a non-negative integer, got {rank!r}")
    R = _orthogonal(R, "tensor_matrix")
    out = np.ones(R.shape[:-2] + (1, 1))
    for _ in range(int(rank)):
        out = _kron(out, R)
    if pseudo:
        out = out * _det_sign(R)[..., None, None]
    return out


# -- validation ---------------------------------------------------------------------------


def _parse(text: str) -> tuple[IrrepsTerm, ...]:
    compact = re.sub(r"\s+", "", text)
    if not compact:
        return ()
    terms = []
    for piece in compact.split("+"):
        match = _TERM.fullmatch(piece)
        if match is None:
            raise SpecError(f"cannot read irreps {text!r}: {piece!r} is not a term; {GRAMMAR}")
        mul, l, p = match.groups()
        terms.append(_term(int(mul) if mul is not None else 1, int(l), p))
    return tuple(terms)


def _term(mul: int, l: int, parity: Any) -> IrrepsTerm:
    if parity in ("e", 1):
        return IrrepsTerm(mul, l, 1)
    if parity in ("o", -1):
        return IrrepsTerm(mul, l, -1)
    if parity == "y":
        return IrrepsTerm(mul, l, (-1) ** l)
    raise SpecError(f"parity must be 1/'e' (even) or -1/'o' (odd), got {parity!r}; {GRAMMAR}")


def _term_from_item(item: Any) -> IrrepsTerm:
    """One term from ``(mul, (l, p))``, ``(mul, "1o")`` or ``(mul, l, p)``."""
    parts = _unpack(item)
    if len(parts) == 2 and isinstance(parts[1], str):
        inner = _parse(parts[1])
        if len(inner) != 1 or inner[0].mul != 1:
            raise SpecError(f"irreps term {item!r}: {parts[1]!r} must be one irrep such as '1o'; {GRAMMAR}")
        parts = (parts[0], inner[0].l, inner[0].parity)
    elif len(parts) == 2 and len(_unpack(parts[1])) == 2:
        parts = (parts[0], *_unpack(parts[1]))
    if len(parts) != 3:
        raise SpecError(f"cannot read irreps term {item!r}: expected (mul, (l, p)) or (mul, '1o'); {GRAMMAR}")
    mul, l, p = parts
    for name, value in (("mul", mul), ("l", l)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise SpecError(f"irreps term {item!r}: {name} must be a non-negative integer, got {value!r}")
    return _term(int(mul), int(l), p)


def _unpack(value: Any) -> tuple[Any, ...]:
    """``tuple(value)``, or ``()`` for a string or a non-iterable."""
    if isinstance(value, str):
        return ()
    try:
        return tuple(iter(value))  # iter(): e3nn's Irrep refuses len()
    except TypeError:
        return ()


def _broadcastable(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return all(i == j or 1 in (i, j) for i, j in zip(a[::-1], b[::-1]))


def _degree(l: Any) -> int:
    if isinstance(l, bool) or not isinstance(l, (int, np.integer)) or l < 0:
        raise ValueError(f"the degree l must be a non-negative integer, got {l!r}")
    return int(l)


def _orthogonal(R: Any, where: str) -> np.ndarray:
    """``R`` as float64 ``(..., 3, 3)``, checked orthogonal (ShapeError / ValueError otherwise)."""
    try:
        R = np.asarray(R, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{where} takes (..., 3, 3) orthogonal matrices as numbers: {exc}") from None
    if R.ndim < 2 or R.shape[-2:] != (3, 3):
        raise ShapeError(f"{where} takes (..., 3, 3) orthogonal matrices, got shape {R.shape}")
    if R.size and not np.isfinite(R).all():
        raise ValueError(f"{where}: the matrices contain NaN or inf")
    gram = R @ np.swapaxes(R, -1, -2)
    error = float(np.abs(gram - np.eye(3)).max(initial=0.0))
    if error > ORTHOGONALITY_TOLERANCE:
        raise ValueError(
            f"{where} takes orthogonal matrices (R @ R.T == I), but R @ R.T is off by {error:.2g}; "
            "pass rotations or reflections, not general linear maps"
        )
    return R


def _det_sign(R: np.ndarray) -> np.ndarray:
    """Sign of det R (+1 rotation, -1 improper) for orthogonal 3x3 matrices."""
    return np.where(np.linalg.det(R) < 0, -1.0, 1.0)


# -- the matrices -------------------------------------------------------------------------


def _rotation_x(angle: np.ndarray) -> np.ndarray:
    c, s, o, z = np.cos(angle), np.sin(angle), np.ones_like(angle), np.zeros_like(angle)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2)


def _rotation_y(angle: np.ndarray) -> np.ndarray:
    c, s, o, z = np.cos(angle), np.sin(angle), np.ones_like(angle), np.zeros_like(angle)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def _kron(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Kronecker product of the last two axes, batched over (broadcast) leading axes."""
    out = a[..., :, None, :, None] * b[..., None, :, None, :]
    return out.reshape(out.shape[:-4] + (a.shape[-2] * b.shape[-2], a.shape[-1] * b.shape[-1]))


def _wigner_ds(lmax: int, R: np.ndarray) -> list[np.ndarray]:
    """``[D_0(R), ..., D_lmax(R)]`` for proper rotations, by coupling with ``D_1 = R``."""
    out = [np.ones(R.shape[:-2] + (1, 1)), R]
    for l in range(2, lmax + 1):
        coupling = _coupling(l)
        out.append(np.swapaxes(coupling, 0, 1) @ _kron(out[-1], R) @ coupling)
    return out[: lmax + 1]


@functools.cache
def _real_to_complex(l: int) -> np.ndarray:
    """e3nn's unitary change of basis: column ``l + m`` is real basis vector ``m`` in complex |l, m>.

    (e3nn also multiplies it by ``(-i)^l``; a global phase that cancels in every D and C.)
    """
    q = np.zeros((2 * l + 1, 2 * l + 1), dtype=complex)
    q[l, l] = 1.0
    r = 1 / math.sqrt(2)
    for m in range(1, l + 1):
        q[l - m, l + m] = r
        q[l - m, l - m] = -1j * r
        q[l + m, l + m] = (-1) ** m * r
        q[l + m, l - m] = 1j * (-1) ** m * r
    return q


@functools.cache
def _coupling(l: int) -> np.ndarray:
    """Real isometry ``C_l`` ``(3(2l-1), 2l+1)`` from degree ``l`` into ``(l-1) ⊗ 1`` (e3nn's bases).

    Built from the complex Clebsch-Gordan coefficients <l-1, m1; 1, m2 | l, m> (Condon-Shortley
    phases, closed form for the stretched coupling j1 + 1), then moved to the real bases.
    """
    j = l - 1
    cg = np.zeros((2 * j + 1, 3, 2 * l + 1))
    norm = (2 * j + 1) * (2 * j + 2)
    for m in range(-l, l + 1):
        if -j <= m - 1 <= j:  # m2 = +1
            cg[j + m - 1, 2, l + m] = math.sqrt((j + m) * (j + m + 1) / norm)
        if -j <= m <= j:  # m2 = 0
            cg[j + m, 1, l + m] = math.sqrt((j - m + 1) * (j + m + 1) / ((2 * j + 1) * (j + 1)))
        if -j <= m + 1 <= j:  # m2 = -1
            cg[j + m + 1, 0, l + m] = math.sqrt((j - m) * (j - m + 1) / norm)
    cg = cg.reshape(3 * (2 * j + 1), 2 * l + 1)
    pair = np.kron(_real_to_complex(j), _real_to_complex(1))
    real = pair.conj().T @ cg @ _real_to_complex(l)
    if np.abs(real.imag).max() > 1e-12:  # a wrong phase convention would show here first
        raise AssertionError(f"the coupling for l={l} is not real")
    out = np.ascontiguousarray(real.real)
    out[np.abs(out) < 1e-14] = 0.0  # exact zeros stay zero (rounding of the complex products)
    out.flags.writeable = False
    return out
