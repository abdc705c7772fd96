"""Pooling against direct loops and PyTorch; blur pooling; global pooling; errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equicheck.errors import ShapeError
from equicheck.nn import (
    avg_pool2d,
    binomial_filter,
    blur_pool2d,
    global_avg_pool2d,
    global_max_pool2d,
    max_pool2d,
    pool_output_size,
)


def reference_pool(x, k, s, p, d, ceil_mode, kind, count_include_pad=True):
    """Loop over output entries; windows clipped to the input (and its padding for avg)."""
    n, c, h, w = x.shape
    ho = pool_output_size(h, k[0], s[0], p[0], d[0], ceil_mode)
    wo = pool_output_size(w, k[1], s[1], p[1], d[1], ceil_mode)
    out = np.zeros((n, c, ho, wo))
    for y in range(ho):
        for xx in range(wo):
            rows = [y * s[0] - p[0] + i * d[0] for i in range(k[0])]
            cols = [xx * s[1] - p[1] + j * d[1] for j in range(k[1])]
            inside_r = [r for r in rows if 0 <= r < h]
            inside_c = [q for q in cols if 0 <= q < w]
            if kind == "max":
                out[:, :, y, xx] = x[:, :, inside_r][:, :, :, inside_c].max(axis=(2, 3))
            else:
                total = x[:, :, inside_r][:, :, :, inside_c].sum(axis=(2, 3))
                if count_include_pad:
                    pr = [r for r in rows if -p[0] <= r < h + p[0]]
                    pc = [q for q in cols if -p[1] <= q < w + p[1]]
                    count = len(pr) * len(pc)
                else:
                    count = len(inside_r) * len(inside_c)
                out[:, :, y, xx] = total / count
    return out


@st.composite
def pool_cases(draw):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    h = draw(st.integers(k[0], k[0] + 8))
    w = draw(st.integers(k[1], k[1] + 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w))
    return x, k, s, p, draw(st.booleans()), draw(st.sampled_from([np.float32, np.float64]))


@settings(max_examples=60, deadline=None)
@given(pool_cases(), st.integers(1, 2))
def test_max_pool_matches_loops(case, dilation):
    x, k, s, p, ceil_mode, dtype = case
    d = (dilation, dilation)
    if (k[0] - 1) * d[0] + 1 > x.shape[2] + 2 * p[0] or (k[1] - 1) * d[1] + 1 > x.shape[3] + 2 * p[1]:
        d = (1, 1)
    got = max_pool2d(x.astype(dtype), k, s, p, d, ceil_mode)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, reference_pool(x.astype(dtype), k, s, p, d, ceil_mode, "max"), rtol=1e-6)


@settings(max_examples=60, deadline=None)
@given(pool_cases(), st.booleans())
def test_avg_pool_matches_loops(case, count_include_pad):
    x, k, s, p, ceil_mode, dtype = case
    got = avg_pool2d(x.astype(dtype), k, s, p, ceil_mode, count_include_pad)
    want = reference_pool(x, k, s, p, (1, 1), ceil_mode, "avg", count_include_pad)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(pool_cases(), st.booleans())
def test_pooling_matches_torch(case, count_include_pad):
    torch = pytest.importorskip("torch")
    x, k, s, p, ceil_mode, _ = case
    x = x.astype(np.float32)
    tx = torch.from_numpy(x)
    want_max = torch.nn.functional.max_pool2d(tx, k, s, p, ceil_mode=ceil_mode).numpy()
    want_avg = torch.nn.functional.avg_pool2d(
        tx, k, s, p, ceil_mode=ceil_mode, count_include_pad=count_include_pad
    ).numpy()
    np.testing.assert_allclose(max_pool2d(x, k, s, p, 1, ceil_mode), want_max, rtol=1e-6)
    np.testing.assert_allclose(
        avg_pool2d(x, k, s, p, ceil_mode, count_include_pad), want_avg, rtol=1e-5, atol=1e-6
    )


def test_divisor_override_and_default_stride():
    x = np.ones((1, 1, 4, 4), np.float32)
    np.testing.assert_allclose(avg_pool2d(x, 2, divisor_override=2), np.full((1, 1, 2, 2), 2.0))
    assert max_pool2d(x, 2).shape == (1, 1, 2, 2)


def test_blur_pool_is_a_binomial_blur_then_subsampling():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 9, 10)).astype(np.float32)
    got = blur_pool2d(x)
    assert got.shape == (2, 3, 5, 5) and got.dtype == np.float32
    filt = binomial_filter(3)
    np.testing.assert_allclose(filt, np.outer([1, 2, 1], [1, 2, 1]) / 16)
    xpad = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)), mode="reflect")
    want = np.zeros((2, 3, 9, 10))
    for i in range(3):
        for j in range(3):
            want += filt[i, j] * xpad[:, :, i : i + 9, j : j + 10]
    np.testing.assert_allclose(got, want[:, :, ::2, ::2], rtol=1e-5, atol=1e-6)


def test_blur_pool_reduces_aliasing_compared_with_plain_subsampling():
    """A one-pixel shift of a checkerboard flips plain subsampling's output; blurring first
    makes the output nearly shift-invariant (the point of Zhang 2019)."""
    yy, xx = np.mgrid[0:16, 0:16]
    x = ((yy + xx) % 2).astype(np.float64)[None, None]
    shifted = np.roll(x, 1, axis=3)
    plain = np.abs(x[..., ::2, ::2] - shifted[..., ::2, ::2]).max()
    blurred = np.abs(
        blur_pool2d(x, 5, padding_mode="circular") - blur_pool2d(shifted, 5, padding_mode="circular")
    )
    assert plain == 1.0
    assert blurred.max() < 0.1


def test_global_pools():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(global_avg_pool2d(x), x.mean(axis=(2, 3)), rtol=1e-6)
    np.testing.assert_array_equal(global_max_pool2d(x), x.max(axis=(2, 3)))
    assert global_avg_pool2d(x, keepdims=True).shape == (2, 3, 1, 1)
    assert global_max_pool2d(x).dtype == np.float32


def test_pooling_errors():
    x = np.ones((1, 1, 4, 4))
    with pytest.raises(ValueError, match="half the kernel"):
        max_pool2d(x, 2, padding=2)
    with pytest.raises(ShapeError, match="smaller than the window"):
        avg_pool2d(np.ones((1, 1, 2, 2)), 3)
    with pytest.raises(ShapeError, match=r"\(N, C, H, W\)"):
        max_pool2d(np.ones((4, 4)), 2)
    with pytest.raises(ValueError, match="filter_size"):
        blur_pool2d(x, 0)
    with pytest.raises(ValueError, match="divisor_override"):
        avg_pool2d(x, 2, divisor_override=0)
