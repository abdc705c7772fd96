"""The compiled direct kernel: agreement with the reference on the shapes that exercise its
blocking (channel passes, output-block groups, row chunks, pixel-block remainders, strides),
its thread pool (concurrent callers, fork), and the fallbacks when it is unavailable."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_nn_conv import reference_conv2d

import equicheck.nn as nn
from equicheck.nn import _native, conv2d

native = pytest.mark.skipif(
    not nn.native_status().available,
    reason=f"compiled kernel unavailable here: {nn.native_status().reason}",
)


def _isas():
    """The instruction sets whose kernels this CPU can run (AVX-512 CPUs run both)."""
    status = nn.native_status()
    if not status.available:
        return []
    return ["avx512", "avx2"] if status.isa == "avx512" else [status.isa]


@pytest.fixture(params=["avx512", "avx2"])
def isa(request, monkeypatch):
    """Run the test on the kernels of one instruction set."""
    if request.param not in _isas():
        pytest.skip(f"this CPU cannot run the {request.param} kernels")
    status = nn.native_status()
    monkeypatch.setattr(_native, "_STATUS", dataclasses.replace(status, isa=request.param))
    return request.param


def _case(n, c, h, w, o, k, groups=1, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    weight = rng.standard_normal((o, c // groups, *k)).astype(dtype)
    bias = rng.standard_normal(o).astype(dtype)
    return x, weight, bias


def _assert_close(got, x, weight, bias, **kw):
    want = reference_conv2d(
        x,
        weight,
        bias,
        kw.get("stride", (1, 1)),
        kw["pads"],
        kw.get("dilation", (1, 1)),
        kw.get("groups", 1),
        kw.get("mode", "zeros"),
    )
    bound = reference_conv2d(
        np.abs(x),
        np.abs(weight),
        np.abs(bias),
        kw.get("stride", (1, 1)),
        kw["pads"],
        kw.get("dilation", (1, 1)),
        kw.get("groups", 1),
        kw.get("mode", "zeros"),
    ).max()
    assert got.dtype == x.dtype and got.shape == want.shape and got.flags.c_contiguous
    np.testing.assert_allclose(got, want, rtol=0, atol=(3e-6 if x.dtype == np.float32 else 1e-13) * bound)


@native
@pytest.mark.parametrize(
    "shape, kwargs",
    [
        # several passes over the input channels (5x5: 10 channels of weights per pass)
        ((2, 40, 13, 17, 24, (5, 5)), {"padding": 2}),
        # output-block groups (weights of all blocks exceed the L2 share), one row per item;
        # then the input is padded once for all items, in every padding mode
        ((1, 128, 7, 9, 136, (3, 3)), {"padding": 1}),
        ((2, 96, 9, 11, 160, (3, 3)), {"padding": 1, "padding_mode": "circular"}),
        ((1, 64, 6, 5, 128, (5, 5)), {"padding": 2, "padding_mode": "reflect", "groups": 2}),
        # wide rows: several pixel blocks with remainders (29, 45, 61 columns)
        ((1, 3, 5, 29, 16, (3, 3)), {"padding": 1}),
        ((2, 5, 4, 45, 17, (3, 1)), {"padding": (1, 0)}),
        ((1, 2, 3, 61, 33, (1, 3)), {"padding": (0, 1)}),
        # strides 2 and 3 (a compiled and the generic variant), dilation, asymmetric padding
        ((2, 6, 15, 16, 20, (3, 3)), {"padding": 1, "stride": 2}),
        ((1, 4, 17, 19, 8, (3, 5)), {"padding": (2, 1), "stride": (3, 3), "dilation": (1, 2)}),
        # groups whose output channels are not a multiple of 16
        ((2, 12, 9, 9, 18, (3, 3)), {"padding": 1, "groups": 3}),
        # depthwise
        ((1, 8, 10, 10, 8, (3, 3)), {"padding": 1, "groups": 8}),
        # no padding: the input is read in place
        ((3, 7, 8, 11, 9, (3, 2)), {"padding": 0}),
        # padding wider than the kernel reaches, 'same' with an even kernel
        ((1, 3, 4, 4, 5, (2, 2)), {"padding": 3}),
        ((2, 3, 6, 7, 4, (4, 2)), {"padding": "same"}),
        # short rows stacked into one block (7 and 14 columns, 3-wide kernels), also with a
        # row stride, and a last stack shorter than the others
        ((2, 20, 14, 14, 24, (3, 3)), {"padding": 1}),
        ((3, 9, 7, 7, 33, (3, 3)), {"padding": 1}),
        ((1, 8, 15, 7, 16, (3, 3)), {"padding": 1, "stride": (2, 1)}),
        ((1, 5, 5, 9, 16, (1, 3)), {"padding": 0}),
        # a 1x1 image, an 11x11 kernel
        ((4, 16, 1, 1, 16, (1, 1)), {}),
        ((1, 3, 20, 20, 2, (11, 11)), {"padding": 5}),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_kernel_matches_the_reference(shape, kwargs, dtype, isa):
    n, c, h, w, o, k = shape
    groups = kwargs.get("groups", 1)
    x, weight, bias = _case(n, c, h, w, o, k, groups, dtype=dtype)
    got = conv2d(x, weight, bias, algorithm="direct", **kwargs)
    pads = nn.resolve_padding(
        kwargs.get("padding", 0), k, _pair(kwargs.get("stride", 1)), _pair(kwargs.get("dilation", 1))
    )
    _assert_close(
        got,
        x,
        weight,
        bias,
        pads=pads,
        stride=_pair(kwargs.get("stride", 1)),
        dilation=_pair(kwargs.get("dilation", 1)),
        groups=groups,
        mode=kwargs.get("padding_mode", "zeros"),
    )
    # and the implicit-GEMM path gives the same numbers
    np.testing.assert_allclose(got, conv2d(x, weight, bias, algorithm="gemm", **kwargs), rtol=1e-4, atol=1e-4)


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


@native
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["circular", "reflect", "replicate"])
def test_compiled_kernel_with_other_padding_modes(mode, dtype, isa):
    x, weight, bias = _case(2, 5, 9, 8, 7, (3, 3), dtype=dtype)
    got = conv2d(x, weight, bias, padding=1, padding_mode=mode, algorithm="direct")
    _assert_close(got, x, weight, bias, pads=(1, 1, 1, 1), mode=mode)


@native
def test_non_contiguous_inputs_are_handled():
    x, weight, bias = _case(2, 4, 10, 12, 6, (3, 3))
    xt = np.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)  # same values, not C order
    assert not xt.flags.c_contiguous
    got = conv2d(xt, weight[:, :, ::-1, ::-1].copy()[:, :, ::-1, ::-1], bias, padding=1, algorithm="direct")
    _assert_close(got, x, weight, bias, pads=(1, 1, 1, 1))


@native
def test_concurrent_callers_get_their_own_results():
    """Python threads calling at once: one takes the pool, the others run alone; all correct."""
    cases = [_case(2, 8 + i, 12, 12, 16 + 3 * i, (3, 3), seed=i) for i in range(6)]
    want = [conv2d(x, w, b, padding=1, algorithm="gemm") for x, w, b in cases]
    got: list = [None] * len(cases)
    errors: list = []

    def work(i):
        try:
            for _ in range(20):
                got[i] = conv2d(*cases[i], padding=1, algorithm="direct")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(cases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)


_FORK_SCRIPT = """
import os, sys
import numpy as np
from equicheck.nn import conv2d
rng = np.random.default_rng(0)
x = rng.standard_normal((2, 16, 16, 16), dtype=np.float32)
w = rng.standard_normal((32, 16, 3, 3), dtype=np.float32)
parent = conv2d(x, w, padding=1, algorithm="direct")      # the pool's threads start here
pid = os.fork()
if pid == 0:
    child = conv2d(x, w, padding=1, algorithm="direct")   # must not wait on the parent's threads
    os._exit(0 if np.array_equal(child, parent) else 3)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


@native
def test_a_forked_child_can_convolve_after_the_parent_did():
    """Pool threads do not survive fork(); the child must start its own, not wait on ghosts.

    Run in a fresh interpreter: the test process has other libraries' threads running."""
    if not hasattr(os, "fork"):
        pytest.skip("no fork() on this platform")
    done = subprocess.run([sys.executable, "-c", _FORK_SCRIPT], timeout=120, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@native
def test_thread_count_does_not_change_the_result(monkeypatch):
    x, weight, bias = _case(3, 24, 14, 14, 40, (3, 3))
    results = []
    for threads in (1, 2, 3):
        status = nn.NativeStatus(True, "test", nn.native_status().path, threads)
        monkeypatch.setattr(_native, "_STATUS", status)
        results.append(conv2d(x, weight, bias, padding=1, algorithm="direct"))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


def test_without_the_kernel_direct_runs_as_gemm(monkeypatch):
    """Unavailable (other CPU, not built, disabled): same results through implicit GEMM."""
    x, weight, bias = _case(2, 6, 11, 11, 10, (3, 3))
    monkeypatch.setattr(_native, "_STATUS", nn.NativeStatus(False, "disabled for the test"))
    assert nn.choose_algorithm(x.shape, weight.shape, pads=(1, 1, 1, 1)) == "gemm"
    got = conv2d(x, weight, bias, padding=1, algorithm="direct")
    _assert_close(got, x, weight, bias, pads=(1, 1, 1, 1))


@native
def test_float64_runs_on_the_kernel_in_float64(monkeypatch):
    seen = []
    real = _native.native_conv2d

    def spy(x, *args, **kwargs):
        seen.append(x.dtype)
        return real(x, *args, **kwargs)

    monkeypatch.setattr("equicheck.nn.conv.native_conv2d", spy)
    x, weight, bias = _case(2, 5, 9, 11, 20, (3, 3), dtype=np.float64)
    got = conv2d(x, weight, bias, padding=1, algorithm="direct")
    assert seen == [np.float64] and got.dtype == np.float64
    want = reference_conv2d(x, weight, bias, pads=(1, 1, 1, 1))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * np.abs(want).max())


def test_disabled_by_environment_and_thread_count_validated(monkeypatch):
    monkeypatch.setenv("EQUICHECK_NO_NATIVE", "1")
    status = _native._load()
    assert not status.available and "EQUICHECK_NO_NATIVE" in status.reason
    monkeypatch.setenv("EQUICHECK_NUM_THREADS", "3")
    assert _native._threads() == 3
    monkeypatch.setenv("EQUICHECK_NUM_THREADS", "many")
    with pytest.raises(ValueError, match="EQUICHECK_NUM_THREADS"):
        _native._threads()


def test_status_says_why_when_the_library_is_missing(monkeypatch):
    monkeypatch.delenv("EQUICHECK_NO_NATIVE", raising=False)
    monkeypatch.setattr(_native, "_library_path", lambda: None)
    status = _native._load()
    assert not status.available and "not built" in status.reason and "C compiler" in status.reason


@st.composite
def wide_cases(draw):
    """Channel counts, widths and strides that cross the kernel's block boundaries."""
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cg = draw(st.integers(1, 40))
    og = draw(st.integers(1, 40))
    kh, kw = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pads = (draw(st.integers(0, 4)), draw(st.integers(0, 4)))
    h = draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * pads[0]), 20))
    w = draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * pads[1]), 70))
    n = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    isa = draw(st.sampled_from(_isas() or ["avx512"]))
    return n, groups, cg, og, (kh, kw), stride, dilation, pads, h, w, seed, dtype, isa


@native
@settings(max_examples=40, deadline=None)
@given(wide_cases())
def test_compiled_kernel_matches_the_reference_on_drawn_shapes(case):
    n, groups, cg, og, k, stride, dilation, pads, h, w, seed, dtype, isa = case
    x, weight, bias = _case(n, groups * cg, h, w, groups * og, k, groups, seed, dtype)
    status = dataclasses.replace(nn.native_status(), isa=isa)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_native, "_STATUS", status)
        got = conv2d(
            x, weight, bias, stride=stride, padding=pads, dilation=dilation, groups=groups, algorithm="direct"
        )
    _assert_close(
        got,
        x,
        weight,
        bias,
        pads=(pads[0], pads[0], pads[1], pads[1]),
        stride=stride,
        dilation=dilation,
        groups=groups,
    )


def test_status_says_why_when_the_cpu_lacks_the_instructions(monkeypatch):
    """The library loads but reports the CPU unsupported: refused, with the reason."""

    class Fn:
        def __init__(self, value=0):
            self.value = value

        def __call__(self, *args):
            return self.value

    class FakeLibrary:
        ec_isa = Fn(0)
        ec_conv2d_f32 = Fn(38)
        ec_conv2d_f64 = Fn(38)

    monkeypatch.delenv("EQUICHECK_NO_NATIVE", raising=False)
    monkeypatch.setattr(_native, "_library_path", lambda: "/somewhere/_kernels.so")
    monkeypatch.setattr(_native.ctypes, "CDLL", lambda path: FakeLibrary())
    monkeypatch.setattr(_native, "_LIB", None)
    status = _native._load()
    assert not status.available and "AVX-512" in status.reason and "AVX2" in status.reason


@native
def test_the_instruction_set_can_be_chosen_and_is_checked(monkeypatch):
    """Every CPU the kernel runs on has AVX2 (AVX-512 CPUs too), so it can always be chosen."""
    monkeypatch.delenv("EQUICHECK_NO_NATIVE", raising=False)
    monkeypatch.setattr(_native, "_LIB", None)
    monkeypatch.setenv("EQUICHECK_NATIVE_ISA", "sse2")
    with pytest.raises(ValueError, match="EQUICHECK_NATIVE_ISA"):
        _native._load()
    monkeypatch.setenv("EQUICHECK_NATIVE_ISA", "avx2")
    status = _native._load()
    assert status.available and status.isa == "avx2" and "AVX2" in status.reason


def test_an_empty_padded_grid_gives_the_bias_alone():
    x = np.zeros((1, 2, 0, 5), np.float32)
    w = np.ones((3, 2, 1, 1), np.float32)
    b = np.array([1.0, 2.0, 3.0], np.float32)
    for algorithm in ("direct", "gemm"):
        out = conv2d(x, w, b, padding=1, algorithm=algorithm)
        assert out.shape == (1, 3, 2, 7)
        np.testing.assert_array_equal(out[0, :, 0, 0], b)


_ASAN_SCRIPT = """
import dataclasses, sys
import numpy as np
import equicheck.nn as nn
from equicheck.nn import _native, conv2d

base = nn.native_status()
assert base.available, base.reason
isas = ["avx512", "avx2"] if base.isa == "avx512" else [base.isa]
rng = np.random.default_rng(0)
shapes = [  # N, C, H, W, O, k, stride, groups, padding: every blocking boundary of the kernel
    (1, 3, 5, 29, 16, 3, 1, 1, 1), (2, 5, 4, 45, 17, 3, 1, 1, 1), (1, 2, 3, 61, 33, 3, 1, 1, 1),
    (2, 40, 13, 17, 24, 5, 1, 1, 2), (1, 128, 7, 9, 136, 3, 1, 1, 1), (2, 6, 15, 16, 20, 3, 2, 1, 1),
    (1, 4, 17, 19, 8, 3, 3, 1, 2), (2, 12, 9, 9, 18, 3, 1, 3, 1), (1, 8, 10, 10, 8, 3, 1, 8, 1),
    (3, 7, 8, 11, 9, 3, 1, 1, 0), (1, 3, 4, 4, 5, 2, 1, 1, 3), (4, 16, 1, 1, 16, 1, 1, 1, 0),
    (1, 3, 20, 20, 2, 11, 1, 1, 5), (2, 24, 14, 14, 40, 3, 1, 1, 1), (1, 16, 7, 7, 16, 3, 1, 1, 1),
    (1, 16, 30, 30, 16, 1, 1, 1, 0), (2, 8, 12, 70, 12, 7, 2, 2, 3), (2, 130, 7, 7, 70, 3, 1, 1, 1),
    (3, 48, 8, 8, 200, 3, 2, 1, 1),
]
for isa in isas:
    _native._STATUS = dataclasses.replace(base, isa=isa)
    for n, c, h, w, o, k, s, g, p in shapes:
        for dtype in (np.float32, np.float64):
            x = rng.standard_normal((n, c, h, w)).astype(dtype)
            wt = rng.standard_normal((o, c // g, k, k)).astype(dtype)
            b = rng.standard_normal(o).astype(dtype)
            for mode in ("zeros", "reflect") if p < min(h, w) else ("zeros",):
                got = conv2d(x, wt, b, stride=s, padding=p, groups=g, padding_mode=mode, algorithm="direct")
                want = conv2d(x, wt, b, stride=s, padding=p, groups=g, padding_mode=mode, algorithm="gemm")
                assert np.allclose(got, want, rtol=1e-3, atol=1e-3), (isa, n, c, h, w, o, k, s, g, p, mode)
print("clean")
"""


@native
def test_the_kernel_is_clean_under_address_sanitizer(tmp_path):
    """Writes past a buffer can leave every result right (a register block that is too wide
    computes garbage pixels into scratch): only a sanitizer sees them. Build _kernels.c with
    AddressSanitizer and exact-size scratch, and run shapes across every blocking boundary."""
    import shutil
    import sysconfig

    cc = shutil.which(os.environ.get("CC", "") or "cc") or shutil.which("gcc")
    if cc is None or sysconfig.get_platform() != "linux-x86_64":
        pytest.skip("needs a C compiler on x86-64 Linux")
    asan = subprocess.run([cc, "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(asan) or not os.path.exists(asan):
        pytest.skip("this compiler has no AddressSanitizer runtime")
    source = os.path.join(os.path.dirname(_native.__file__), "_kernels.c")
    library = str(tmp_path / "_kernels_asan.so")
    build = subprocess.run(
        [
            cc,
            "-O0",
            "-DEC_EXACT_SCRATCH",
            "-fsanitize=address",
            "-shared",
            "-fPIC",
            "-o",
            library,
            source,
            "-pthread",
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    env = dict(
        os.environ,
        LD_PRELOAD=asan,
        ASAN_OPTIONS="detect_leaks=0",
        EQUICHECK_NATIVE_LIBRARY=library,
        EQUICHECK_NUM_THREADS="2",
    )
    env.pop("EQUICHECK_NO_NATIVE", None)
    env.pop("EQUICHECK_NATIVE_ISA", None)
    done = subprocess.run(
        [sys.executable, "-c", _ASAN_SCRIPT], env=env, capture_output=True, text=True, timeout=600
    )
    assert "AddressSanitizer" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0 and "clean" in done.stdout, done.stderr[-3000:]
