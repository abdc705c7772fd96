"""Detection power on 1-D signals and 3-D volumes: share of planted bugs found, and false
alarms on their correct twins, over many seeds, each check with equicheck's default budget
(fewer examples only where a row says so).

The functions are written here, with NumPy and SciPy only; the cube's rotations are applied to
kernels by a transpose and flips written here too (not by equicheck's own kernels), so a
convention that disagreed with docs/concepts.md would show as a false alarm.

    python benchmarks/detection_nd.py [--seeds 20] [--quick]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import ndimage

import equicheck
from equicheck import actions as A
from equicheck.groups.lattice import CUBE24, CUBE48

_rng = np.random.default_rng(0)
KERNEL_1D = _rng.standard_normal(5)
SYMMETRIC_1D = np.array([1.0, 3.0, 4.0, 3.0, 1.0]) / 12
KERNEL_3D = _rng.standard_normal((3, 3, 3))
#: P, the reversal between (x, y, z) coordinates and (z, y, x) array order
_REVERSE = np.eye(3)[::-1]


# --- the cube's rotations on arrays, written out -------------------------------------------------
def turn(a: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``a`` (3-D) turned about its centre by the signed permutation ``m`` on array offsets:
    ``out[c + m (p - c)] = a[p]``."""
    m = np.rint(m).astype(int)
    src = [int(np.flatnonzero(m[i])[0]) for i in range(3)]  # out axis i comes from a's axis src[i]
    out = np.transpose(a, src)
    flipped = tuple(i for i in range(3) if m[i, src[i]] < 0)
    return np.flip(out, flipped) if flipped else out


def array_matrix(r: Any) -> np.ndarray:
    """A Rotation's matrix on (z, y, x) array offsets: P R P."""
    return _REVERSE @ r.matrix @ _REVERSE


def averaged(k: np.ndarray, rotations: Any) -> np.ndarray:
    return sum(turn(k, array_matrix(r)) for r in rotations) / len(rotations)


ISOTROPIC_3D = averaged(KERNEL_3D, CUBE24)  # on 3x3x3, also mirror symmetric
#: symmetric under the 16 symmetries that keep the z axis (turns about z, the axis mirrors) only
ABOUT_Z_3D = averaged(KERNEL_3D, [r for r in CUBE48 if abs(r.matrix[2, 2]) == 1])
#: 7x7x7, ones on the 24 images of the offset (1, 2, 3) under the rotations (not their mirrors)
CHIRAL_3D = np.zeros((7, 7, 7))
for _r in CUBE24:
    CHIRAL_3D[tuple(3 + np.rint(array_matrix(_r) @ np.array([1, 2, 3])).astype(int))] = 1.0
CHIRAL_3D[3, 3, 3] = -2.0
MIRRORED_3D = CHIRAL_3D + np.flip(CHIRAL_3D, 2)  # with the mirror images: the 48 symmetries


# --- 1-D ---------------------------------------------------------------------------------------
def wrap(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    return ndimage.correlate(x, k, mode="wrap")


def conv1d(x):
    return wrap(x, KERNEL_1D)


def symmetric1d(x):
    return wrap(x, SYMMETRIC_1D)


def zeros1d(x):
    return ndimage.correlate(x, KERNEL_1D, mode="constant")


def derivative1d(x):
    """Central difference: a 1-D vector field of one component (axis 0), which changes sign
    when time is reversed."""
    return ((np.roll(x, -1) - np.roll(x, 1)) / 2)[None]


def stride2_1d(x):
    return symmetric1d(x)[::2]


def odd_lengths_1d(x):
    return ndimage.correlate(x, KERNEL_1D, mode="reflect" if x.shape[-1] % 2 else "wrap")


def sparse_1d(x):
    y = conv1d(x)
    if np.mean(x == 0) > 0.5:
        y[..., 0] = 0
    return y


def long_signals_1d(x):
    """Correct on the short signals a search starts with; wrong beyond 32 samples."""
    return ndimage.correlate(x, KERNEL_1D, mode="reflect" if x.shape[-1] > 32 else "wrap")


def bias_1d(x):
    t = np.arange(x.shape[-1])
    return (conv1d(x) + 1e-3 * np.sin(2 * t)).astype(x.dtype)


# --- 3-D ---------------------------------------------------------------------------------------
def conv3d(x):
    return wrap(x, KERNEL_3D)


def isotropic3d(x):
    return wrap(x, ISOTROPIC_3D)


def zeros3d(x):
    return ndimage.correlate(x, ISOTROPIC_3D, mode="constant")


def zeros_on_x_only(x):
    """Circular along z and y, zero padding along x (one axis forgotten)."""
    padded = np.pad(x, [(1, 1), (1, 1), (0, 0)], mode="wrap")
    padded = np.pad(padded, [(0, 0), (0, 0), (1, 1)])
    return ndimage.correlate(padded, ISOTROPIC_3D, mode="constant")[1:-1, 1:-1, 1:-1]


def about_z_only(x):
    """A kernel symmetric under turns about z and the axis mirrors, not under turns about x or y."""
    return wrap(x, ABOUT_Z_3D)


def chiral(x):
    return wrap(x, CHIRAL_3D)


def mirrored(x):
    return wrap(x, MIRRORED_3D)


def gradient3d(x):
    """(d/dz, d/dy, d/dx), central differences: a vector field in the grid's (z, y, x) order."""
    return np.stack([(np.roll(x, -1, a) - np.roll(x, 1, a)) / 2 for a in range(3)])


def gradient_xyz(x):
    """The same components stored (x, y, z) while the action assumes (z, y, x)."""
    return gradient3d(x)[::-1]


def gradient_left_handed(x):
    """The z component measured downwards: a left-handed frame."""
    return gradient3d(x) * np.array([-1.0, 1.0, 1.0])[:, None, None, None]


def odd_sizes_3d(x):
    return ndimage.correlate(x, ISOTROPIC_3D, mode="reflect" if x.shape[-1] % 2 else "wrap")


def odd_depth_only(x):
    """Wrong only when the z side (the third last axis) is odd, whatever y and x are."""
    return ndimage.correlate(x, ISOTROPIC_3D, mode="reflect" if x.shape[-3] % 2 else "wrap")


def bias_along_z(x):
    """A 1e-3 bias that varies along z only (x and y shifts leave it alone)."""
    z = np.arange(x.shape[-3])[:, None, None]
    return (isotropic3d(x) + 1e-3 * np.sin(2 * z)).astype(x.dtype)


def sparse_3d(x):
    y = isotropic3d(x)
    if np.mean(x == 0) > 0.5:
        y[..., 0, :, :] = 0
    return y


def lifting(kernel_of: Callable[[Any], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """A lifting layer onto the cube group: channel j correlates with the kernel turned by the
    j-th orientation (``kernel_of(h_j)``)."""
    kernels = [kernel_of(h) for h in CUBE24]

    def f(x):
        return np.stack([wrap(x, k) for k in kernels])

    return f


lifting_p432 = lifting(lambda h: turn(KERNEL_3D, array_matrix(h)))
#: h_j^-1 in place of h_j: the right regular action (the composition in the wrong order)
lifting_inverse = lifting(lambda h: turn(KERNEL_3D, array_matrix(h.inverse())))
#: the Rotation's (x, y, z) matrix used on (z, y, x) array axes (P forgotten)
lifting_xyz = lifting(lambda h: turn(KERNEL_3D, h.matrix))

D1 = "translation(dims=1)"
D3 = "translation(dims=3)"
REG = {"out_action": A.regular(axis=0), "max_examples": 30}
STRIDE2 = A.spatial(stride=2)

#: (title, f, group, keywords)
CORRECT: list[tuple[str, Callable[..., Any], str, dict[str, Any]]] = [
    ("1-D circular conv / shifts", conv1d, D1, {}),
    ("1-D symmetric conv / dihedral", symmetric1d, "dihedral", {}),
    ("1-D zero padding / zero-filled, margin 2", zeros1d, "translation(dims=1, cyclic=false)", {"margin": 2}),
    ("1-D derivative / dihedral, vector", derivative1d, "dihedral", {"out_action": A.vector(axis=0)}),
    ("1-D stride 2 / shifts by 2", stride2_1d, "translation(dims=1, step=2)", {"out_action": STRIDE2}),
    ("3-D circular conv / shifts", conv3d, D3, {}),
    ("3-D isotropic conv / pm3m", isotropic3d, "pm3m", {}),
    ("3-D zero padding / zero-filled, margin 1", zeros3d, "translation(dims=3, cyclic=false)", {"margin": 1}),
    ("3-D kernel symmetric about z / flips", about_z_only, "flips(dims=3)", {}),
    ("3-D chiral kernel / cube24", chiral, "cube24", {}),
    ("3-D mirrored kernel / cube48", mirrored, "cube48", {}),
    ("3-D gradient / cube48, vector", gradient3d, "cube48", {"out_action": A.vector(axis=0)}),
    ("3-D lifting / p432, regular", lifting_p432, "p432", REG),
]
BUGS: list[tuple[str, Callable[..., Any], str, dict[str, Any]]] = [
    ("1-D zero padding / cyclic shifts", zeros1d, D1, {}),
    ("1-D random kernel / reversal", conv1d, "flips(dims=1)", {}),
    ("1-D derivative as a scalar / reversal", derivative1d, "dihedral", {}),
    ("1-D stride 2 / shifts by 1", stride2_1d, D1, {"out_action": A.spatial()}),
    ("1-D bug on odd lengths", odd_lengths_1d, D1, {}),
    ("1-D bug on sparse inputs", sparse_1d, D1, {}),
    ("1-D 1e-3 position bias, float32", bias_1d, D1, {"dtypes": ["float32"]}),
    ("1-D bug on signals longer than 32", long_signals_1d, D1, {}),
    ("3-D zero padding / cyclic shifts", zeros3d, D3, {}),
    ("3-D zero padding on x only / shifts", zeros_on_x_only, D3, {}),
    ("3-D turns about z only / cube24", about_z_only, "cube24", {}),
    ("3-D random kernel / p432", conv3d, "p432", {}),
    ("3-D chiral kernel / cube48 (handedness)", chiral, "cube48", {}),
    ("3-D gradient, left-handed frame", gradient_left_handed, "cube24", {"out_action": A.vector(axis=0)}),
    ("3-D gradient stored x, y, z", gradient_xyz, "cube24", {"out_action": A.vector(axis=0)}),
    ("3-D bug on odd sizes", odd_sizes_3d, D3, {}),
    ("3-D bug on sparse inputs", sparse_3d, D3, {}),
    ("3-D bug on odd depths (z) only", odd_depth_only, D3, {}),
    ("3-D 1e-3 bias along z only, float32", bias_along_z, D3, {"dtypes": ["float32"]}),
    ("3-D lifting, h^-1 (wrong order)", lifting_inverse, "p432", REG),
    ("3-D lifting, (x,y,z) matrix on (z,y,x)", lifting_xyz, "p432", REG),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="3 seeds, to try the script")
    args = parser.parse_args()
    seeds = 3 if args.quick else args.seeds
    print(f"{'function / group':44} {'kind':8} {'flagged':>8} {'rate':>6} {'s/check':>8}")
    totals = {"bug": [0, 0], "correct": [0, 0]}
    missed = []
    for kind, table in (("correct", CORRECT), ("bug", BUGS)):
        for title, f, group, kw in table:
            flagged = 0
            start = time.perf_counter()
            for seed in range(seeds):
                result = equicheck.check_equivariance(f, group, seed=seed, replay_dir=None, **kw)
                flagged += not result.passed
                if result.verdict != ("failed" if kind == "bug" else "passed"):
                    missed.append(f"{title}, seed {seed}: {result.verdict}: {result.message[:200]}")
            per = (time.perf_counter() - start) / seeds
            totals[kind][0] += flagged
            totals[kind][1] += seeds
            rate = f"{flagged:>4}/{seeds:<3} {flagged / seeds:6.2f}"
            print(f"{title:44} {kind:8} {rate} {per:8.2f}", flush=True)
    found, runs = totals["bug"]
    alarms, clean = totals["correct"]
    print(
        f"\nplanted bugs found: {found}/{runs} ({found / runs:.1%}); "
        f"false alarms: {alarms}/{clean} ({alarms / clean:.1%})"
    )
    for line in missed:  # a bug flagged as an error (not a failure) is listed here too
        print("  not as planted:", line)


if __name__ == "__main__":
    main()
