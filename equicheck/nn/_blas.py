"""In-place GEMM accumulation ``c = a @ b + beta * c`` through the BLAS NumPy itself uses.

Why this exists: a convolution written as one matrix product per kernel tap adds each
product into the same output. ``numpy.matmul`` cannot accumulate (its ``beta`` is always 0),
so every tap would cost an extra pass over the output. We therefore call ``cblas_?gemm`` of
the BLAS that NumPy links, found next to NumPy and checked on a small product at first use.

Why *NumPy's* BLAS and not SciPy's (``scipy.linalg.cython_blas``): pip wheels of NumPy and
SciPy each bundle their own OpenBLAS with its own thread pool. Idle OpenBLAS threads spin
for a while, so alternating between the two pools (a convolution, then ``x @ w`` in a
dense layer) makes each wait for the other's spinning threads: measured 100x slowdowns
on 2 cores. Where NumPy's BLAS cannot be found, :func:`gemm_into` falls back to
``out += a @ b`` (correct, a little slower); no second BLAS is ever brought in.
"""

from __future__ import annotations

import ctypes
import glob
import os
from typing import Any

import numpy as np

__all__ = ["BlasGemm", "blas_gemm", "gemm_into"]

_ROW_MAJOR, _NO_TRANS = 101, 111


class BlasGemm:
    """``cblas_?gemm`` for one dtype, called with raw pointers on row-major matrices."""

    def __init__(self, fn: Any, int_type: Any, scalar: Any) -> None:
        fn.restype = None
        fn.argtypes = [
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
            int_type,
            int_type,
            int_type,
            scalar,
            ctypes.c_void_p,
            int_type,
            ctypes.c_void_p,
            int_type,
            scalar,
            ctypes.c_void_p,
            int_type,
        ]
        self._fn = fn

    def rowmajor(
        self, m: int, n: int, k: int, a: int, lda: int, b: int, ldb: int, c: int, ldc: int, beta: float
    ) -> None:
        """``C[m,n] = A[m,k] @ B[k,n] + beta*C`` on pointers, rows ``lda``/``ldb``/``ldc`` apart."""
        self._fn(_ROW_MAJOR, _NO_TRANS, _NO_TRANS, m, n, k, 1.0, a, lda, b, ldb, beta, c, ldc)


def _numpy_blas_files() -> list[str]:
    """Shared libraries that hold NumPy's BLAS: the ones bundled in its wheel, or, on Linux,
    the BLAS libraries NumPy loaded from elsewhere (conda, system)."""
    root = os.path.dirname(os.path.abspath(np.__file__))
    found: list[str] = []
    for pattern in ("../numpy.libs/*blas*", ".libs/*blas*", ".dylibs/*blas*", "../numpy.libs/*mkl_rt*"):
        found += sorted(glob.glob(os.path.join(root, pattern)))
    try:
        with open("/proc/self/maps") as fh:
            for line in fh:
                path = line.split()[-1] if line.strip() else ""
                name = os.path.basename(path).lower()
                if path.startswith("/") and ("blas" in name or "mkl_rt" in name) and path not in found:
                    # Only libraries NumPy could be using: not SciPy's own bundled copy.
                    if "scipy.libs" not in path and "scipy/.dylibs" not in path:
                        found.append(path)
    except OSError:
        pass
    return found


_SYMBOLS = (
    ("scipy_cblas_{t}gemm64_", ctypes.c_int64),
    ("cblas_{t}gemm64_", ctypes.c_int64),
    ("cblas_{t}gemm_64", ctypes.c_int64),
    ("scipy_cblas_{t}gemm", ctypes.c_int),
    ("cblas_{t}gemm", ctypes.c_int),
)


def _load(letter: str, scalar: Any, dtype: Any) -> BlasGemm | None:
    for path in _numpy_blas_files():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for pattern, int_type in _SYMBOLS:
            fn = getattr(lib, pattern.format(t=letter), None)
            if fn is None:
                continue
            gemm = BlasGemm(fn, int_type, scalar)
            if _works(gemm, dtype):
                return gemm
    return None


def _works(gemm: BlasGemm, dtype: Any) -> bool:
    """Check a candidate on a small product with strides and accumulation (wrong int width or
    calling convention shows up here instead of in a user's result)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((7, 9)).astype(dtype)
    b = rng.standard_normal((5, 6)).astype(dtype)
    c = rng.standard_normal((7, 8)).astype(dtype)
    want = a[:, 1:6] @ b[:, :4] + c[:, 2:6]
    try:
        a_ptr, c_ptr = a.ctypes.data + a.itemsize, c.ctypes.data + 2 * c.itemsize
        gemm.rowmajor(7, 4, 5, a_ptr, 9, b.ctypes.data, 6, c_ptr, 8, 1.0)
    except Exception:  # pragma: no cover - a foreign calling convention
        return False
    return bool(np.allclose(c[:, 2:6], want, rtol=1e-4, atol=1e-4))


_CACHE: dict[str, BlasGemm | None] = {}


def blas_gemm(dtype: Any) -> BlasGemm | None:
    """NumPy's BLAS gemm for float32/float64, or None when it cannot be found and verified.

    ``EQUICHECK_NO_BLAS=1`` in the environment disables it (to test the fallback).
    """
    try:
        key = np.dtype(dtype).name
    except TypeError:
        return None
    if key not in ("float32", "float64") or os.environ.get("EQUICHECK_NO_BLAS"):
        return None
    if key not in _CACHE:
        if key == "float32":
            _CACHE[key] = _load("s", ctypes.c_float, np.float32)
        else:
            _CACHE[key] = _load("d", ctypes.c_double, np.float64)
    return _CACHE[key]


def _row_stride(a: np.ndarray) -> int | None:
    """Row stride in elements when ``a`` is a row-major 2-D matrix BLAS can read, else None."""
    s0, s1 = a.strides
    item = a.itemsize
    rows, cols = a.shape
    if (s1 == item or cols == 1) and s0 % item == 0 and s0 > 0 and s0 // item >= max(cols, 1):
        return s0 // item
    if rows == 1 and (s1 == item or cols == 1):
        return max(cols, 1)
    return None


def gemm_into(out: Any, a: Any, b: Any, beta: float, xp: Any = np) -> None:
    """``out[...] = a @ b + beta * out`` for 2-D arrays, in place (beta is 0 or 1)."""
    if isinstance(out, np.ndarray) and isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        gemm = blas_gemm(out.dtype) if out.dtype == a.dtype == b.dtype else None
        if gemm is not None and a.shape[0] and b.shape[1] and a.shape[1]:
            la, lb, lc = _row_stride(a), _row_stride(b), _row_stride(out)
            if la is not None and lb is not None and lc is not None:
                gemm.rowmajor(
                    a.shape[0],
                    b.shape[1],
                    a.shape[1],
                    a.ctypes.data,
                    la,
                    b.ctypes.data,
                    lb,
                    out.ctypes.data,
                    lc,
                    float(beta),
                )
                return
    product = xp.matmul(a, b)
    if beta:
        out += product
    else:
        out[...] = product
