"""The compiled direct convolution (``_kernels.c``): finding it, checking it, calling it.

The kernel is built by ``pip install`` as an optional extension (see ``setup.py``) and loaded
with ctypes (it has no Python API of its own, so the GIL is released while it runs). It
computes float32 and float64 NumPy convolutions on x86-64 CPUs with AVX-512 or AVX2 (with
FMA), using the widest the CPU has; everywhere else
``native_status().available`` is False and ``conv2d`` uses its NumPy algorithms. The first
use checks both types against a float64 reference on a small case with groups, stride,
dilation and every padding mode, so a miscompiled build is refused instead of giving wrong
results.

``EQUICHECK_NO_NATIVE=1`` disables it; ``EQUICHECK_NUM_THREADS`` sets its thread count
(default: the CPUs this process may run on); ``EQUICHECK_NATIVE_ISA=avx2`` uses the AVX2
kernels on an AVX-512 CPU (to compare them, or to test them); ``EQUICHECK_NATIVE_LIBRARY``
loads another build of ``_kernels.c`` (the tests load one built with AddressSanitizer).
"""

from __future__ import annotations

import ctypes
import errno
import importlib.machinery
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["NativeStatus", "native_conv2d", "native_status"]

#: instruction set name -> the kernel's code for it (ec_isa's values)
_ISAS = {"avx512": 2, "avx2": 1}


@dataclass(frozen=True)
class NativeStatus:
    """Whether ``conv2d`` can use the compiled kernel here, and why not when it cannot."""

    available: bool
    reason: str
    path: str | None = None
    threads: int = 1
    isa: str | None = None  # "avx512" or "avx2" where available


def _threads() -> int:
    value = os.environ.get("EQUICHECK_NUM_THREADS", "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(f"EQUICHECK_NUM_THREADS must be a positive integer, got {value!r}") from None
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _library_path() -> str | None:
    chosen = os.environ.get("EQUICHECK_NATIVE_LIBRARY", "").strip()
    if chosen:  # another build of _kernels.c, e.g. a checking build under AddressSanitizer
        return chosen if os.path.exists(chosen) else None
    here = os.path.dirname(os.path.abspath(__file__))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = os.path.join(here, "_kernels" + suffix)
        if os.path.exists(path):
            return path
    return None


_LIB: Any = None
_STATUS: NativeStatus | None = None


def _load() -> NativeStatus:
    global _LIB
    if os.environ.get("EQUICHECK_NO_NATIVE"):
        return NativeStatus(False, "disabled by EQUICHECK_NO_NATIVE")
    path = _library_path()
    if path is None:
        return NativeStatus(
            False,
            "the compiled kernel was not built (no C compiler at install time, or a platform "
            "other than x86-64); reinstall with a C compiler to get it",
        )
    try:
        lib = ctypes.CDLL(path)
    except OSError as exc:
        return NativeStatus(False, f"the compiled kernel could not be loaded: {exc}", path)
    lib.ec_isa.restype = ctypes.c_int
    lib.ec_isa.argtypes = []
    for fn in (lib.ec_conv2d_f32, lib.ec_conv2d_f64):
        fn.restype = ctypes.c_int
        fn.argtypes = [ctypes.c_void_p] * 4 + [ctypes.c_int] * 19
    best = int(lib.ec_isa())
    if best == 0:
        return NativeStatus(
            False, "this CPU has neither AVX-512 nor AVX2 with FMA (the kernel's instructions)", path
        )
    names = {code: name for name, code in _ISAS.items()}
    isa = names[best]
    wanted = os.environ.get("EQUICHECK_NATIVE_ISA", "").strip().lower()
    if wanted:
        if wanted not in _ISAS:
            raise ValueError(f"EQUICHECK_NATIVE_ISA must be 'avx512' or 'avx2', got {wanted!r}")
        if _ISAS[wanted] > best:
            return NativeStatus(False, f"EQUICHECK_NATIVE_ISA={wanted}, but this CPU has only {isa}", path)
        isa = wanted
    _LIB = lib
    label = "AVX-512" if isa == "avx512" else "AVX2"
    status = NativeStatus(True, f"compiled {label} direct kernel (float32, float64)", path, _threads(), isa)
    if not _self_test(status):
        _LIB = None
        return NativeStatus(False, "the compiled kernel failed its self-test; please report", path)
    return status


def native_status() -> NativeStatus:
    """Whether float32/float64 NumPy convolutions run on the compiled kernel (cached after the first call)."""
    global _STATUS
    if _STATUS is None:
        _STATUS = _load()
    return _STATUS


def _reference(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int, dil: int, groups: int, mode: str
) -> Any:
    """Plain float64 loops over taps: the obviously-correct definition."""
    np_mode = {"zeros": "constant", "circular": "wrap", "reflect": "reflect", "replicate": "edge"}[mode]
    x = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode=np_mode)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    og = o // groups
    ho = (h - dil * (kh - 1) - 1) // stride + 1
    wo = (wd - dil * (kw - 1) - 1) // stride + 1
    out = np.zeros((n, o, ho, wo)) + b.reshape(1, o, 1, 1)
    for g in range(groups):
        xs = x[:, g * cg : (g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[
                    :,
                    :,
                    i * dil : i * dil + stride * (ho - 1) + 1 : stride,
                    j * dil : j * dil + stride * (wo - 1) + 1 : stride,
                ]
                out[:, g * og : (g + 1) * og] += np.einsum(
                    "nchw,oc->nohw", patch, w[g * og : (g + 1) * og, :, i, j]
                )
    return out


def _self_test(status: NativeStatus) -> bool:
    rng = np.random.default_rng(0)
    for dtype, tol in ((np.float32, 1e-4), (np.float64, 1e-10)):
        x = rng.standard_normal((2, 6, 11, 9)).astype(dtype)
        w = rng.standard_normal((36, 2, 3, 3)).astype(dtype)
        b = rng.standard_normal(36).astype(dtype)
        for mode in _MODES:
            want = _reference(x, w, b, 2, 2, 2, 3, mode)
            got = np.empty(want.shape, dtype=dtype)
            rc = _call(x, w, b, got, (2, 2), (2, 2, 2, 2), (2, 2), 3, mode, status)
            if rc != 0 or not np.allclose(got, want, rtol=tol, atol=tol):
                return False
    return True


#: padding_mode -> the kernel's code for it
_MODES = {"zeros": 0, "circular": 1, "reflect": 2, "replicate": 3}


def _call(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    out: np.ndarray,
    stride: tuple[int, int],
    pads: tuple[int, int, int, int],
    dilation: tuple[int, int],
    groups: int,
    mode: str,
    status: NativeStatus,
) -> int:
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    fn = _LIB.ec_conv2d_f64 if x.dtype == np.float64 else _LIB.ec_conv2d_f32
    return int(
        fn(
            x.ctypes.data,
            w.ctypes.data,
            None if b is None else b.ctypes.data,
            out.ctypes.data,
            n,
            c,
            h,
            wd,
            o,
            groups,
            kh,
            kw,
            stride[0],
            stride[1],
            dilation[0],
            dilation[1],
            pads[0],
            pads[2],
            _MODES[mode],
            int(out.shape[2]),
            int(out.shape[3]),
            status.threads,
            _ISAS.get(status.isa or "", 0),  # 0: the best this CPU has
        )
    )


def native_conv2d(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: tuple[int, int],
    pads: tuple[int, int, int, int],
    dilation: tuple[int, int],
    groups: int,
    mode: str,
    out_hw: tuple[int, int],
) -> np.ndarray:
    """float32 or float64 conv2d on the compiled kernel (check ``native_status().available``).

    x, weight and bias must share that dtype (``conv2d`` promotes them first).

    ``pads`` is (top, bottom, left, right), filled as ``mode`` (PyTorch's padding modes; the
    kernel reads padded entries from their sources, no padded copy is made); bottom and right
    follow from ``out_hw``.
    """
    status = native_status()
    if not status.available:  # pragma: no cover - callers check first
        raise RuntimeError(f"the compiled convolution kernel is unavailable: {status.reason}")
    dtype = np.dtype(x.dtype)
    if dtype not in (np.float32, np.float64):  # pragma: no cover - conv2d checks first
        raise TypeError(f"the compiled kernel computes float32 or float64, got {dtype}")
    x = np.ascontiguousarray(x)
    weight = np.ascontiguousarray(weight, dtype=dtype)
    if bias is not None:
        bias = np.ascontiguousarray(bias, dtype=dtype)
    out = np.empty((x.shape[0], weight.shape[0], *out_hw), dtype=dtype)
    rc = _call(x, weight, bias, out, stride, pads, dilation, groups, mode, status)
    if rc == errno.ENOMEM:
        raise MemoryError("equicheck.nn.conv2d: out of memory in the compiled kernel")
    if rc:  # pragma: no cover - arguments are checked before
        raise RuntimeError(f"equicheck.nn.conv2d: the compiled kernel refused its arguments (error {rc})")
    return out
