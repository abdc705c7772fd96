"""conv1d / conv3d (and conv2d through the same N-d code) against PyTorch in float64, a direct
float64 definition, and NumPy's padding; modules; errors raised before any work."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import equicheck.nn as nn
from equicheck.errors import ShapeError
from equicheck.nn import ALGORITHMS, UNROLLINGS, conv1d, conv2d, conv3d, pad_nd, resolve_padding

torch = pytest.importorskip("torch", reason="the N-d convolutions are checked against PyTorch")
F = torch.nn.functional

MODES = ("zeros", "circular", "reflect", "replicate")
NP_MODES = {"zeros": "constant", "circular": "wrap", "reflect": "reflect", "replicate": "edge"}
CONV = {1: conv1d, 2: conv2d, 3: conv3d}


def reference_conv(x, w, b, stride, pads, dilation, groups, mode):
    """Direct float64 definition on any number of grid axes:
    out[n, o, q] = Σ_{c, t} xpad[n, c, q·s + t·d] w[o, c, t]."""
    d = x.ndim - 2
    xpad = np.pad(x, ((0, 0), (0, 0), *zip(pads[0::2], pads[1::2])), mode=NP_MODES[mode])
    o, cg = w.shape[:2]
    kernel = w.shape[2:]
    out_size = [(xpad.shape[2 + a] - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1 for a in range(d)]
    og = o // groups
    out = np.zeros((x.shape[0], o, *out_size))
    for g in range(groups):
        xs = xpad[:, g * cg : (g + 1) * cg]
        for t in itertools.product(*(range(k) for k in kernel)):
            view = xs[
                (
                    slice(None),
                    slice(None),
                    *(
                        slice(
                            t[a] * dilation[a],
                            t[a] * dilation[a] + (out_size[a] - 1) * stride[a] + 1,
                            stride[a],
                        )
                        for a in range(d)
                    ),
                )
            ]
            out[:, g * og : (g + 1) * og] += np.einsum(
                "nc...,oc->no...", view, w[g * og : (g + 1) * og][(..., *t)]
            )
    if b is not None:
        out += b.reshape((1, -1) + (1,) * d)
    return out


@st.composite
def cases(draw, dims):
    """Groups, strides, dilations, odd and even kernels and grids, every padding kind and mode."""
    groups = draw(st.integers(1, 3))
    cg, og = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    top = 5 if dims == 1 else 3
    kernel = tuple(draw(st.integers(1, top)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    mode = draw(st.sampled_from(MODES))
    kinds = ["int", "tuple", "valid", "same"] if stride == (1,) * dims else ["int", "tuple", "valid"]
    kind = draw(st.sampled_from(kinds))
    padding = {
        "int": draw(st.integers(0, 2)),
        "tuple": tuple(draw(st.integers(0, 2)) for _ in range(dims)),
        "valid": "valid",
        "same": "same",
    }[kind]
    pads = resolve_padding(padding, kernel, stride, dilation)
    size = []
    for a in range(dims):
        reach = dilation[a] * (kernel[a] - 1) + 1 - pads[2 * a] - pads[2 * a + 1]
        low = max(reach, max(pads[2 * a], pads[2 * a + 1]) + 1, 1)
        size.append(draw(st.integers(low, low + (9 if dims == 1 else 4))))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(1, 2))
    return {
        "x": rng.standard_normal((n, groups * cg, *size)),
        "weight": rng.standard_normal((groups * og, cg, *kernel)),
        "bias": rng.standard_normal(groups * og) if draw(st.booleans()) else None,
        "stride": stride,
        "padding": padding,
        "pads": pads,
        "dilation": dilation,
        "groups": groups,
        "padding_mode": mode,
        "algorithm": draw(st.sampled_from(ALGORITHMS)),
    }


def torch_conv(case):
    """PyTorch's ConvNd module in float64 with the case's weights."""
    x, w, b = case["x"], case["weight"], case["bias"]
    d = x.ndim - 2
    module = getattr(torch.nn, f"Conv{d}d")(
        x.shape[1],
        w.shape[0],
        w.shape[2:],
        stride=case["stride"],
        padding=case["padding"],
        dilation=case["dilation"],
        groups=case["groups"],
        bias=b is not None,
        padding_mode=case["padding_mode"],
    ).double()
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(w))
        if b is not None:
            module.bias.copy_(torch.from_numpy(b))
        return module(torch.from_numpy(x)).numpy()


def ours(case):
    kwargs = {k: case[k] for k in ("stride", "padding", "dilation", "groups", "padding_mode", "algorithm")}
    return CONV[case["x"].ndim - 2](case["x"], case["weight"], case["bias"], **kwargs)


@pytest.mark.parametrize("dims", [1, 2, 3])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_matches_torch_in_float64(dims, data):
    case = data.draw(cases(dims))
    want = torch_conv(case)
    got = ours(case)
    assert got.shape == want.shape and got.dtype == np.float64
    assert got.flags.c_contiguous
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10 * max(1.0, float(np.abs(want).max())))


@pytest.mark.parametrize("dims", [1, 3])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_matches_the_direct_definition(dims, data):
    case = data.draw(cases(dims))
    want = reference_conv(
        case["x"],
        case["weight"],
        case["bias"],
        case["stride"],
        case["pads"],
        case["dilation"],
        case["groups"],
        case["padding_mode"],
    )
    np.testing.assert_allclose(ours(case), want, rtol=0, atol=1e-10 * max(1.0, float(np.abs(want).max())))


@pytest.mark.parametrize("dims", [1, 3])
def test_every_algorithm_gives_the_same_result(dims):
    """im2col, rows, taps and fft compute the same sums in other orders (and with other
    buffers: stride phases, shared padding): agreement far below float32 rounding."""
    rng = np.random.default_rng(dims)
    size = (13,) if dims == 1 else (5, 4, 7)
    x = rng.standard_normal((2, 4, *size))
    w = rng.standard_normal((6, 2, *(3,) * dims))
    for stride, mode in ((1, "zeros"), (2, "zeros"), (1, "reflect"), (2, "circular")):
        results = [
            CONV[dims](x, w, None, stride, 1, 1, 2, mode, algorithm=a) for a in ("gemm", *UNROLLINGS, "fft")
        ]
        for r in results[1:]:
            np.testing.assert_allclose(r, results[0], rtol=0, atol=1e-11)


@pytest.mark.parametrize("dims", [1, 3])
def test_float32_in_float32_out_and_odd_even_sizes(dims):
    rng = np.random.default_rng(7)
    for size in (4, 5):
        x = rng.standard_normal((1, 3, *(size,) * dims)).astype(np.float32)
        w = rng.standard_normal((2, 3, *(2,) * dims)).astype(np.float32)  # even kernel: 'same' pads 0 then 1
        got = CONV[dims](x, w, padding="same", padding_mode="circular")
        assert got.dtype == np.float32 and got.shape == (1, 2, *(size,) * dims)
        conv = getattr(F, f"conv{dims}d")
        want = conv(F.pad(torch.from_numpy(x), (0, 1) * dims, mode="circular"), torch.from_numpy(w)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_empty_batches_and_bias_broadcast():
    w1, w3 = np.ones((3, 2, 3)), np.ones((3, 2, 3, 3, 3))
    assert conv1d(np.ones((0, 2, 7)), w1).shape == (0, 3, 5)
    assert conv3d(np.ones((0, 2, 5, 4, 3)), w3, padding=1).shape == (0, 3, 5, 4, 3)
    out = conv3d(np.zeros((1, 2, 4, 4, 4)), w3, bias=np.array([1.0, 2.0, 3.0]), padding="same")
    np.testing.assert_array_equal(out[0, :, 1, 2, 3], [1.0, 2.0, 3.0])


def test_conv3d_cost_model_picks_gemm_rows_for_the_benchmark_layer():
    """8 -> 8 channels, 3x3x3: one product per (kd, kh) pair with K = 8·3 beat im2col's single
    product with K = 216 and O = 8 (thin output, BLAS repacks) and FFT when measured."""
    shape, w_shape = (1, 8, 32, 32, 32), (8, 8, 3, 3, 3)
    assert nn.choose_algorithm(shape, w_shape, pads=(1,) * 6) == "gemm"
    assert nn.choose_unrolling(shape, w_shape, pads=(1,) * 6) == "rows"
    # few input channels: the taps copied into one product, as in 2-D
    assert nn.choose_unrolling((1, 1, 32, 32, 32), (8, 1, 3, 3, 3), pads=(1,) * 6) == "im2col"
    assert nn.choose_unrolling((4, 64, 100), (64, 64, 3), pads=(1, 1)) in UNROLLINGS


def test_pad_nd_matches_numpy_pad_on_volumes_and_signals():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    for pads in [(1, 2, 0, 3, 2, 1), (2, 2, 3, 3, 4, 4), (0, 0, 1, 0, 0, 2)]:  # thin and wide (gathered)
        for mode, np_mode in NP_MODES.items():
            got = pad_nd(x[:, None], pads, mode)  # (2, 1, 3, 4, 5): a batch of volumes
            want = np.pad(x[:, None], ((0, 0), (0, 0), *zip(pads[0::2], pads[1::2])), mode=np_mode)
            np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(
        pad_nd(x, (2, 3), "reflect"), np.pad(x, ((0, 0),) * 3 + ((2, 3),), "reflect")
    )
    with pytest.raises(ValueError, match="before, after"):
        pad_nd(x, (1, 2, 3))


@pytest.mark.parametrize("dims", [1, 3])
def test_modules_match_torch_modules(dims):
    ours_cls = getattr(nn, f"Conv{dims}d")
    theirs_cls = getattr(torch.nn, f"Conv{dims}d")
    layer = ours_cls(4, 6, 3, stride=2, padding=1, groups=2, padding_mode="reflect", seed=0, dtype=np.float64)
    theirs = theirs_cls(4, 6, 3, stride=2, padding=1, groups=2, padding_mode="reflect").double()
    assert layer.num_parameters() == sum(p.numel() for p in theirs.parameters())
    assert layer.weight.shape == tuple(theirs.weight.shape)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(layer.weight))
        theirs.bias.copy_(torch.from_numpy(layer.bias))
    x = np.random.default_rng(0).standard_normal((2, 4, *(7,) * dims))
    np.testing.assert_allclose(layer(x), theirs(torch.from_numpy(x)).detach().numpy(), atol=1e-12)
    assert f"kernel_size={(3,) * dims}" in repr(layer)
    # the same seed gives the same weights; kernel_size as a tuple of the wrong length is refused
    np.testing.assert_array_equal(ours_cls(4, 6, 3, seed=1).weight, ours_cls(4, 6, 3, seed=1).weight)
    with pytest.raises(TypeError, match="kernel_size"):
        ours_cls(4, 6, (3, 3))


def test_circular_conv3d_commutes_with_cyclic_shifts_and_zero_padding_does_not():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 2, 6, 7, 5))
    w = rng.standard_normal((3, 2, 3, 3, 3))
    shift, axes = (2, -3, 1), (2, 3, 4)
    circ = conv3d(np.roll(x, shift, axes), w, padding=1, padding_mode="circular")
    np.testing.assert_allclose(
        circ, np.roll(conv3d(x, w, padding=1, padding_mode="circular"), shift, axes), atol=1e-12
    )
    zero = conv3d(np.roll(x, shift, axes), w, padding=1)
    assert np.abs(zero - np.roll(conv3d(x, w, padding=1), shift, axes)).max() > 1e-3


@pytest.mark.parametrize(
    ("fn", "kwargs", "error", "words"),
    [
        (conv1d, {"x": np.ones((2, 5)), "weight": np.ones((1, 2, 3))}, ShapeError, "(N, C, L)"),
        (
            conv3d,
            {"x": np.ones((1, 5, 5, 5)), "weight": np.ones((1, 1, 3, 3, 3))},
            ShapeError,
            "(N, C, D, H, W)",
        ),
        (conv3d, {"x": np.ones((1, 1, 5, 5, 5)), "weight": np.ones((1, 1, 3, 3))}, ShapeError, "kd, kh, kw"),
        (conv1d, {"x": np.ones((1, 3, 5)), "weight": np.ones((1, 2, 3))}, ShapeError, "input channels"),
        (
            conv3d,
            {"x": np.ones((1, 3, 4, 4, 4)), "weight": np.ones((2, 1, 1, 1, 1)), "groups": 2},
            ShapeError,
            "divide",
        ),
        (conv1d, {"x": np.ones((1, 1, 2)), "weight": np.ones((1, 1, 3))}, ShapeError, "smaller than"),
        (conv3d, {"x": np.ones((1, 1, 5, 5, 2)), "weight": np.ones((1, 1, 3, 3, 3))}, ShapeError, "5x5x2"),
        (
            conv3d,
            {"x": np.ones((1, 1, 4, 4, 4)), "weight": np.ones((1, 1, 3, 3, 3)), "stride": (1, 2)},
            TypeError,
            "triple",
        ),
        (
            conv3d,
            {"x": np.ones((1, 1, 4, 4, 4)), "weight": np.ones((1, 1, 3, 3, 3)), "dilation": 0},
            ValueError,
            "dilation",
        ),
        (
            conv1d,
            {"x": np.ones((1, 1, 5)), "weight": np.ones((1, 1, 3)), "padding": "same", "stride": 2},
            ValueError,
            "stride=1",
        ),
        (
            conv3d,
            {"x": np.ones((1, 1, 4, 4, 4)), "weight": np.ones((1, 1, 3, 3, 3)), "padding_mode": "wrap"},
            ValueError,
            "circular",
        ),
        (
            conv3d,
            {
                "x": np.ones((1, 1, 4, 4, 2)),
                "weight": np.ones((1, 1, 3, 3, 3)),
                "padding": 2,
                "padding_mode": "reflect",
            },
            ShapeError,
            "reflect",
        ),
        (
            conv1d,
            {"x": np.ones((1, 1, 5)), "weight": np.ones((2, 1, 3)), "bias": np.ones(3)},
            ShapeError,
            "bias",
        ),
        (conv1d, {"x": np.ones((1, 1, 5), int), "weight": np.ones((1, 1, 3), int)}, TypeError, "astype"),
        (
            conv3d,
            {"x": np.ones((1, 1, 4, 4, 4)), "weight": np.ones((1, 1, 3, 3, 3)), "algorithm": "winograd"},
            ValueError,
            "algorithm",
        ),
    ],
)
def test_bad_arguments_say_what_to_do(fn, kwargs, error, words):
    with pytest.raises(error) as info:
        fn(**kwargs)
    assert words in str(info.value)


def test_errors_come_before_any_work(monkeypatch):
    """A refused call never reaches the algorithms (no half-done work, no deep traceback)."""
    import equicheck.nn.conv as conv_module

    def boom(*args, **kwargs):
        raise AssertionError("work started")

    monkeypatch.setattr(conv_module, "_gemm_conv", boom)
    monkeypatch.setattr(conv_module, "pad_nd", boom)
    with pytest.raises(ShapeError, match="reflect"):
        conv3d(np.ones((1, 1, 4, 4, 2)), np.ones((1, 1, 3, 3, 3)), padding=2, padding_mode="reflect")
    with pytest.raises(ShapeError, match="bias"):
        conv1d(np.ones((1, 1, 5)), np.ones((2, 1, 3)), np.ones(3))
