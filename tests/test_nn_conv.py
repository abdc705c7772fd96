"""conv2d against an obviously-correct float64 reference, SciPy and PyTorch; errors; algorithms."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from equicheck.errors import ShapeError
from equicheck.nn import (
    ALGORITHMS,
    UNROLLINGS,
    choose_algorithm,
    choose_unrolling,
    conv2d,
    pad2d,
    resolve_padding,
)

NP_MODES = {"zeros": "constant", "circular": "wrap", "reflect": "reflect", "replicate": "edge"}


def reference_conv2d(x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1, mode="zeros"):
    """Direct float64 definition: out[n,o,y,x] = Σ_{c,i,j} xpad[n, c, y·s + i·d, x·s + j·d] w[o,c,i,j]."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    top, bottom, left, right = pads
    xpad = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), mode=NP_MODES[mode])
    n, c, hp, wp = xpad.shape
    o, cg, kh, kw = w.shape
    (sy, sx), (dy, dx) = stride, dilation
    ho = (hp - dy * (kh - 1) - 1) // sy + 1
    wo = (wp - dx * (kw - 1) - 1) // sx + 1
    og = o // groups
    out = np.zeros((n, o, ho, wo))
    for g in range(groups):
        xs = xpad[:, g * cg : (g + 1) * cg]
        ws = w[g * og : (g + 1) * og]
        for i in range(kh):
            for j in range(kw):
                patch = xs[
                    :, :, i * dy : i * dy + (ho - 1) * sy + 1 : sy, j * dx : j * dx + (wo - 1) * sx + 1 : sx
                ]
                out[:, g * og : (g + 1) * og] += np.einsum("nchw,oc->nohw", patch, ws[:, :, i, j])
    if b is not None:
        out += np.asarray(b, dtype=np.float64)[None, :, None, None]
    return out


@st.composite
def conv_cases(draw, algorithms=ALGORITHMS):
    groups = draw(st.integers(1, 3))
    cg = draw(st.integers(1, 4))
    og = draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    mode = draw(st.sampled_from(["zeros", "circular", "reflect", "replicate"]))
    kind = draw(
        st.sampled_from(["int", "pair", "valid", "same"] if stride == (1, 1) else ["int", "pair", "valid"])
    )
    padding = {
        "int": draw(st.integers(0, 3)),
        "pair": (draw(st.integers(0, 3)), draw(st.integers(0, 3))),
        "valid": "valid",
        "same": "same",
    }[kind]
    pads = resolve_padding(padding, (kh, kw), stride, dilation)
    # grids large enough for the dilated kernel, and for reflect padding (pad < size)
    min_h = max(dilation[0] * (kh - 1) + 1 - pads[0] - pads[1], max(pads[0], pads[1]) + 1, 1)
    min_w = max(dilation[1] * (kw - 1) + 1 - pads[2] - pads[3], max(pads[2], pads[3]) + 1, 1)
    h = draw(st.integers(min_h, min_h + 9))
    w = draw(st.integers(min_w, min_w + 9))
    n = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, groups * cg, h, w))
    weight = rng.standard_normal((groups * og, cg, kh, kw))
    bias = rng.standard_normal(groups * og) if draw(st.booleans()) else None
    return {
        "x": x,
        "weight": weight,
        "bias": bias,
        "stride": stride,
        "padding": padding,
        "pads": pads,
        "dilation": dilation,
        "groups": groups,
        "padding_mode": mode,
        "algorithm": draw(st.sampled_from(algorithms)),
        "dtype": draw(st.sampled_from([np.float32, np.float64])),
    }


def _tolerance(case, dtype):
    """Error allowed relative to the largest |x|·|w| sum an output entry can hold."""
    bound = reference_conv2d(
        np.abs(case["x"]),
        np.abs(case["weight"]),
        None,
        case["stride"],
        case["pads"],
        case["dilation"],
        case["groups"],
        case["padding_mode"],
    ).max()
    bound += 0 if case["bias"] is None else np.abs(case["bias"]).max()
    return (3e-6 if dtype == np.float32 else 1e-12) * max(bound, 1.0)


@settings(max_examples=200, deadline=None)
@given(conv_cases())
def test_conv2d_matches_the_float64_reference(case):
    dtype = case["dtype"]
    x, w = case["x"].astype(dtype), case["weight"].astype(dtype)
    b = None if case["bias"] is None else case["bias"].astype(dtype)
    got = conv2d(
        x,
        w,
        b,
        stride=case["stride"],
        padding=case["padding"],
        dilation=case["dilation"],
        groups=case["groups"],
        padding_mode=case["padding_mode"],
        algorithm=case["algorithm"],
    )
    want = reference_conv2d(
        x, w, b, case["stride"], case["pads"], case["dilation"], case["groups"], case["padding_mode"]
    )
    assert got.dtype == dtype
    assert got.shape == want.shape
    assert got.flags.c_contiguous
    np.testing.assert_allclose(got, want, rtol=0, atol=_tolerance(case, dtype))


@settings(max_examples=40, deadline=None)
@given(conv_cases(algorithms=("gemm",)))
def test_every_gemm_unrolling_gives_the_same_result(case):
    """im2col, rows and taps (and the broadcast path 'gemm' takes for thin groups) sum the
    same products in another order: they agree far below the float32 tolerance."""
    x, w = case["x"], case["weight"]
    kwargs = {k: case[k] for k in ("stride", "padding", "dilation", "groups", "padding_mode")}
    want = conv2d(x, w, case["bias"], algorithm="gemm", **kwargs)
    for unrolling in UNROLLINGS:
        got = conv2d(x, w, case["bias"], algorithm=unrolling, **kwargs)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_results_never_share_the_reused_scratch_memory():
    """NumPy scratch buffers are kept between calls: a returned array must not be one."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 2, 6, 6)).astype(np.float32)
    w = rng.standard_normal((3, 2, 1, 1)).astype(np.float32)  # 1x1, no padding: the product is the grid
    for algorithm in UNROLLINGS:
        first = conv2d(x, w, algorithm=algorithm)
        kept = first.copy()
        conv2d(2 * x, w, algorithm=algorithm)
        np.testing.assert_array_equal(first, kept)


def test_threads_get_their_own_scratch_memory():
    import threading

    rng = np.random.default_rng(6)
    cases = [
        (
            rng.standard_normal((2, 8, 20, 20)).astype(np.float32),
            rng.standard_normal((8, 8, 3, 3)).astype(np.float32),
        )
        for _ in range(4)
    ]
    want = [conv2d(x, w, padding=1) for x, w in cases]
    got = [None] * len(cases)

    def run(k):
        for _ in range(20):
            got[k] = conv2d(cases[k][0], cases[k][1], padding=1)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(cases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for g, w_ in zip(got, want):
        np.testing.assert_allclose(g, w_, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("algorithm", [a for a in ALGORITHMS if a != "auto"])
def test_conv2d_matches_scipy_correlate_summed_over_channels(algorithm, dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 13, 11))
    w = rng.standard_normal((4, 3, 5, 3))
    got = conv2d(x.astype(dtype), w.astype(dtype), padding=(2, 1), algorithm=algorithm)
    xpad = np.pad(x, ((0, 0), (0, 0), (2, 2), (1, 1)))
    want = np.zeros_like(got)
    for n in range(2):
        for o in range(4):
            want[n, o] = sum(scipy.signal.correlate(xpad[n, c], w[o, c], mode="valid") for c in range(3))
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, atol=1e-10 if dtype == np.float64 else 2e-5)


def test_float32_in_float32_out_and_promotion():
    x = np.ones((1, 2, 6, 6), np.float32)
    w32 = np.ones((3, 2, 3, 3), np.float32)
    for algorithm in ALGORITHMS:
        assert conv2d(x, w32, algorithm=algorithm).dtype == np.float32
        assert conv2d(x, w32.astype(np.float64), algorithm=algorithm).dtype == np.float64


def test_zero_sized_batch_and_bias_broadcast():
    w = np.ones((3, 2, 3, 3))
    assert conv2d(np.ones((0, 2, 5, 5)), w).shape == (0, 3, 3, 3)
    out = conv2d(np.zeros((1, 2, 5, 5)), w, bias=np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out[0, :, 0, 0], [1.0, 2.0, 3.0])


def test_algorithm_choice_follows_kernel_size():
    # GEMM for small and mid kernels, FFT for large kernels on few channels (``native`` is
    # accepted and ignored since the compiled kernel is gone)
    assert choose_algorithm((8, 32, 32, 32), (32, 32, 3, 3), pads=(1, 1, 1, 1), native=False) == "gemm"
    assert choose_algorithm((2, 8, 128, 128), (8, 8, 11, 11), pads=(5, 5, 5, 5), native=False) == "fft"
    assert choose_algorithm((2, 8, 128, 128), (8, 8, 1, 1), native=False) == "gemm"
    assert choose_algorithm((2, 3, 128, 128), (3, 3, 15, 15), pads=(7, 7, 7, 7)) == "fft"
    assert choose_algorithm((4, 16, 64, 64), (16, 16, 5, 5), pads=(2, 2, 2, 2)) == "gemm"
    assert choose_algorithm((8, 64, 32, 32), (64, 64, 3, 3), pads=(1, 1, 1, 1), dtype=np.float64) == "gemm"


def test_unrolling_choice_follows_the_channel_counts():
    # few input channels: one product over all taps copied (K = C·kh·kw)
    assert choose_unrolling((8, 3, 32, 32), (16, 3, 3, 3), pads=(1, 1, 1, 1)) == "im2col"
    assert choose_unrolling((1, 3, 224, 224), (64, 3, 7, 7), (2, 2), (3, 3, 3, 3)) == "im2col"
    # tens of channels: the kernel rows' taps copied (K = C·kw)
    assert choose_unrolling((8, 32, 32, 32), (32, 32, 3, 3), pads=(1, 1, 1, 1)) == "rows"
    assert choose_unrolling((4, 16, 64, 64), (16, 16, 5, 5), pads=(2, 2, 2, 2)) == "rows"
    # many channels: no copy, one product per tap (K = C)
    assert choose_unrolling((8, 512, 7, 7), (512, 512, 3, 3), pads=(1, 1, 1, 1)) == "taps"
    # 1x1 kernels have one tap: nothing to unroll
    assert choose_unrolling((8, 64, 32, 32), (64, 64, 1, 1)) in UNROLLINGS
    assert all(name in ALGORITHMS for name in UNROLLINGS)


@pytest.mark.parametrize("pads", [(1, 2, 3, 1), (0, 3, 0, 0), (3, 2, 3, 4), (4, 4, 5, 6)])
def test_pad2d_modes_match_numpy_pad(pads):
    """Thin pads (copied border by border) and wide ones (one gather) alike."""
    x = np.arange(2 * 3 * 6 * 7, dtype=np.float32).reshape(2, 3, 6, 7)
    top, bottom, left, right = pads
    for mode, np_mode in NP_MODES.items():
        got = pad2d(x, pads, mode)
        want = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), mode=np_mode)
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.float32


def test_zero_padding_breaks_cyclic_shifts_only_near_the_border():
    """The error map of conv(roll(x)) - roll(conv(x)) is zero away from the border and not on it."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 20, 20))
    w = rng.standard_normal((3, 2, 3, 3))
    dy, dx = 2, -3
    moved_in = conv2d(np.roll(x, (dy, dx), axis=(2, 3)), w, padding=1)
    moved_out = np.roll(conv2d(x, w, padding=1), (dy, dx), axis=(2, 3))
    error_map = np.abs(moved_in - moved_out).max(axis=(0, 1))
    reach = 1  # kernel radius
    interior = np.ones((20, 20), bool)
    for axis_shift, axis in ((dy, 0), (dx, 1)):
        bad = np.zeros(20, bool)
        for edge in (0, axis_shift % 20):  # the seam where content wrapped, and the grid edge
            for r in range(-reach, reach):
                bad[(edge + r) % 20] = True
        interior &= ~bad[:, None] if axis == 0 else ~bad[None, :]
    assert error_map[interior].max() < 1e-12
    assert error_map[~interior].max() > 1e-3
    # the same convolution with circular padding commutes with cyclic shifts everywhere
    circ_in = conv2d(np.roll(x, (dy, dx), axis=(2, 3)), w, padding=1, padding_mode="circular")
    circ_out = np.roll(conv2d(x, w, padding=1, padding_mode="circular"), (dy, dx), axis=(2, 3))
    np.testing.assert_allclose(circ_in, circ_out, atol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"x": np.ones((2, 5, 5)), "weight": np.ones((1, 1, 3, 3))}, ShapeError, "(N, C, H, W)"),
        ({"x": np.ones((1, 3, 5, 5)), "weight": np.ones((1, 2, 3, 3))}, ShapeError, "input channels"),
        ({"x": np.ones((1, 3, 5, 5)), "weight": np.ones((2, 1, 3, 3)), "groups": 2}, ShapeError, "divide"),
        ({"x": np.ones((1, 4, 5, 5)), "weight": np.ones((3, 2, 3, 3)), "groups": 2}, ShapeError, "divide"),
        ({"x": np.ones((1, 1, 5, 5)), "weight": np.ones((1, 1, 3))}, ShapeError, "weight must have shape"),
        ({"x": np.ones((1, 1, 2, 2)), "weight": np.ones((1, 1, 3, 3))}, ShapeError, "smaller than"),
        (
            {"x": np.ones((1, 1, 5, 5)), "weight": np.ones((1, 1, 3, 3)), "padding": "full"},
            ValueError,
            "'same'",
        ),
        (
            {"x": np.ones((1, 1, 5, 5)), "weight": np.ones((1, 1, 3, 3)), "padding": "same", "stride": 2},
            ValueError,
            "stride=1",
        ),
        (
            {"x": np.ones((1, 1, 5, 5)), "weight": np.ones((1, 1, 3, 3)), "padding_mode": "wrap"},
            ValueError,
            "circular",
        ),
        (
            {"x": np.ones((1, 1, 5, 5)), "weight": np.ones((1, 1, 3, 3)), "bias": np.ones(2)},
            ShapeError,
            "bias",
        ),
        ({"x": np.ones((1, 1, 5, 5)), "weight": np.ones((1, 1, 3, 3)), "stride": 0}, ValueError, "stride"),
        ({"x": np.ones((1, 1, 5, 5)), "weight": np.ones((1, 1, 3, 3)), "groups": 0}, ValueError, "groups"),
        ({"x": np.ones((1, 1, 5, 5), int), "weight": np.ones((1, 1, 3, 3), int)}, TypeError, "astype"),
        (
            {"x": np.ones((1, 1, 5, 5)), "weight": np.ones((1, 1, 3, 3)), "algorithm": "winograd"},
            ValueError,
            "algorithm",
        ),
        (
            {
                "x": np.ones((1, 1, 3, 3)),
                "weight": np.ones((1, 1, 3, 3)),
                "padding": 3,
                "padding_mode": "reflect",
            },
            ShapeError,
            "reflect",
        ),
    ],
)
def test_bad_arguments_say_what_to_do(kwargs, error, words):
    with pytest.raises(error, match=None) as info:
        conv2d(**kwargs)
    assert words in str(info.value)


# --- against PyTorch, where it is installed ---------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(conv_cases())
def test_conv2d_matches_torch(case):
    torch = pytest.importorskip("torch")
    x, w = case["x"].astype(np.float32), case["weight"].astype(np.float32)
    b = None if case["bias"] is None else case["bias"].astype(np.float32)
    o, cg, kh, kw = w.shape
    module = torch.nn.Conv2d(
        cg * case["groups"],
        o,
        (kh, kw),
        stride=case["stride"],
        padding=case["padding"],
        dilation=case["dilation"],
        groups=case["groups"],
        bias=b is not None,
        padding_mode=case["padding_mode"],
    )
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(w))
        if b is not None:
            module.bias.copy_(torch.from_numpy(b))
        want = module(torch.from_numpy(x)).numpy()
    got = conv2d(
        x,
        w,
        b,
        stride=case["stride"],
        padding=case["padding"],
        dilation=case["dilation"],
        groups=case["groups"],
        padding_mode=case["padding_mode"],
        algorithm=case["algorithm"],
    )
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=2 * _tolerance(case, np.float32))
