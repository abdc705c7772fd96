"""1-D and 3-D pooling against PyTorch in float64; blur and global pooling; modules; errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import equicheck.nn as nn
from equicheck.errors import ShapeError

torch = pytest.importorskip("torch", reason="the N-d pooling is checked against PyTorch")
F = torch.nn.functional


@st.composite
def pool_cases(draw, dims):
    k = tuple(draw(st.integers(1, 4 if dims == 1 else 3)) for _ in range(dims))
    s = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    d = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    p = tuple(draw(st.integers(0, ka // 2)) for ka in k)
    size = tuple(
        draw(st.integers(max((ka - 1) * da + 1 - 2 * pa, 1), (ka - 1) * da + (8 if dims == 1 else 4)))
        for ka, da, pa in zip(k, d, p)
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), draw(st.integers(1, 3)), *size))
    return x, k, s, p, d, draw(st.booleans())


@pytest.mark.parametrize("dims", [1, 3])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_max_pool_matches_torch(dims, data):
    x, k, s, p, d, ceil_mode = data.draw(pool_cases(dims))
    want = getattr(F, f"max_pool{dims}d")(torch.from_numpy(x), k, s, p, d, ceil_mode=ceil_mode).numpy()
    got = getattr(nn, f"max_pool{dims}d")(x, k, s, p, d, ceil_mode)
    assert got.shape == want.shape and got.dtype == np.float64
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dims", [1, 3])
@settings(max_examples=60, deadline=None)
@given(data=st.data(), count_include_pad=st.booleans(), divisor=st.sampled_from([None, 1, 5]))
def test_avg_pool_matches_torch(dims, data, count_include_pad, divisor):
    x, k, s, p, _, ceil_mode = data.draw(pool_cases(dims))  # average pooling has no dilation
    # PyTorch's avg_pool3d (only it) refuses grids smaller than the kernel even where the
    # padding covers the window; equicheck's pools them as avg_pool1d/2d do.
    assume(dims != 3 or all(n >= ka for n, ka in zip(x.shape[2:], k)))
    extra = {} if dims == 1 else {"divisor_override": divisor}
    want = getattr(F, f"avg_pool{dims}d")(
        torch.from_numpy(x), k, s, p, ceil_mode=ceil_mode, count_include_pad=count_include_pad, **extra
    ).numpy()
    got = getattr(nn, f"avg_pool{dims}d")(x, k, s, p, ceil_mode, count_include_pad, **extra)
    assert got.shape == want.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_avg_pool3d_pools_grids_smaller_than_the_kernel_where_padding_covers_them():
    x = np.full((1, 1, 1, 1, 1), 8.0)
    got = nn.avg_pool3d(x, 2, 1, 1)
    assert got.shape == (1, 1, 2, 2, 2)
    np.testing.assert_array_equal(got, np.ones((1, 1, 2, 2, 2)))  # 8 / 8 entries (padding counted)
    np.testing.assert_array_equal(nn.avg_pool3d(x, 2, 1, 1, count_include_pad=False), got * 8)
    np.testing.assert_array_equal(
        nn.avg_pool2d(x[0], 2, 1, 1), F.avg_pool2d(torch.from_numpy(x[0]), 2, 1, 1).numpy()
    )


def test_default_stride_is_the_kernel_and_float32_stays():
    x = np.random.default_rng(0).standard_normal((1, 2, 6, 6, 6)).astype(np.float32)
    assert nn.max_pool3d(x, 2).shape == (1, 2, 3, 3, 3)
    assert nn.avg_pool3d(x, (2, 3, 1)).shape == (1, 2, 3, 2, 6)
    assert nn.avg_pool1d(x[:, :, 0, 0], 4).dtype == np.float32
    np.testing.assert_allclose(nn.avg_pool3d(x, 2), F.avg_pool3d(torch.from_numpy(x), 2).numpy(), rtol=1e-6)


@pytest.mark.parametrize("dims", [1, 3])
def test_blur_pool_is_a_binomial_blur_then_subsampling(dims):
    rng = np.random.default_rng(dims)
    size = (11,) if dims == 1 else (5, 6, 7)
    x = rng.standard_normal((2, 3, *size))
    got = getattr(nn, f"blur_pool{dims}d")(x)
    filt = nn.binomial_filter(3, dims)
    assert filt.shape == (3,) * dims and abs(filt.sum() - 1) < 1e-15
    # the blur by PyTorch (reflect pad, depthwise conv), then every second entry
    weight = torch.from_numpy(np.broadcast_to(filt, (3, 1, *filt.shape)).copy())
    padded = F.pad(torch.from_numpy(x), (1, 1) * dims, mode="reflect")
    want = getattr(F, f"conv{dims}d")(padded, weight, groups=3).numpy()
    want = want[(..., *(slice(None, None, 2),) * dims)]
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-12)
    np.testing.assert_allclose(nn.binomial_filter(3, 1), [0.25, 0.5, 0.25])


def test_blur_pool_1d_reduces_aliasing():
    """A one-sample shift of an alternating signal flips plain subsampling; blurring first
    makes the output nearly shift-invariant."""
    x = (np.arange(32) % 2).astype(np.float64)[None, None]
    shifted = np.roll(x, 1, axis=-1)
    plain = np.abs(x[..., ::2] - shifted[..., ::2]).max()
    blurred = np.abs(
        nn.blur_pool1d(x, 5, padding_mode="circular") - nn.blur_pool1d(shifted, 5, padding_mode="circular")
    )
    assert plain == 1.0 and blurred.max() < 0.1


def test_global_pools():
    rng = np.random.default_rng(1)
    x1 = rng.standard_normal((2, 3, 7)).astype(np.float32)
    x3 = rng.standard_normal((2, 3, 2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(nn.global_avg_pool1d(x1), x1.mean(axis=2), rtol=1e-6)
    np.testing.assert_array_equal(nn.global_max_pool1d(x1), x1.max(axis=2))
    np.testing.assert_allclose(nn.global_avg_pool3d(x3), x3.mean(axis=(2, 3, 4)), rtol=1e-6)
    np.testing.assert_array_equal(nn.global_max_pool3d(x3), x3.max(axis=(2, 3, 4)))
    assert nn.global_avg_pool3d(x3, keepdims=True).shape == (2, 3, 1, 1, 1)
    assert nn.global_max_pool1d(x1, keepdims=True).shape == (2, 3, 1)


def test_pool_modules_run_their_functions():
    rng = np.random.default_rng(2)
    x1 = rng.standard_normal((1, 2, 9))
    x3 = rng.standard_normal((1, 2, 6, 6, 6))
    np.testing.assert_array_equal(nn.MaxPool1d(3, 2, 1)(x1), nn.max_pool1d(x1, 3, 2, 1))
    np.testing.assert_array_equal(nn.MaxPool3d(2, ceil_mode=True)(x3), nn.max_pool3d(x3, 2, ceil_mode=True))
    np.testing.assert_array_equal(
        nn.AvgPool1d(2, count_include_pad=False, padding=1)(x1),
        nn.avg_pool1d(x1, 2, padding=1, count_include_pad=False),
    )
    np.testing.assert_array_equal(
        nn.AvgPool3d(2, divisor_override=3)(x3), nn.avg_pool3d(x3, 2, divisor_override=3)
    )
    np.testing.assert_array_equal(nn.BlurPool1d(stride=3)(x1), nn.blur_pool1d(x1, stride=3))
    np.testing.assert_array_equal(
        nn.BlurPool3d(padding_mode="circular")(x3), nn.blur_pool3d(x3, padding_mode="circular")
    )
    np.testing.assert_array_equal(nn.GlobalAvgPool1d()(x1), nn.global_avg_pool1d(x1))
    np.testing.assert_array_equal(
        nn.GlobalMaxPool3d(keepdims=True)(x3), nn.global_max_pool3d(x3, keepdims=True)
    )
    assert "kernel_size=3" in repr(nn.MaxPool1d(3))


def test_pooling_errors():
    x1 = np.ones((1, 1, 4))
    x3 = np.ones((1, 1, 4, 4, 4))
    with pytest.raises(ValueError, match="half the kernel"):
        nn.max_pool1d(x1, 2, padding=2)
    with pytest.raises(ValueError, match="half the kernel"):
        nn.avg_pool3d(x3, 2, padding=(0, 2, 0))
    with pytest.raises(ShapeError, match="smaller than the window"):
        nn.max_pool3d(np.ones((1, 1, 4, 4, 2)), 3)
    with pytest.raises(ShapeError, match=r"\(N, C, D, H, W\)"):
        nn.max_pool3d(np.ones((4, 4, 4)), 2)
    with pytest.raises(ShapeError, match=r"\(N, C, L\)"):
        nn.avg_pool1d(np.ones((4, 4, 4, 4)), 2)
    with pytest.raises(TypeError, match="triple"):
        nn.max_pool3d(x3, (2, 2))
    with pytest.raises(ValueError, match="filter_size"):
        nn.blur_pool3d(x3, 0)
    with pytest.raises(ValueError, match="divisor_override"):
        nn.avg_pool3d(x3, 2, divisor_override=0)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.BlurPool1d(padding_mode="mirror")
    with pytest.raises(TypeError, match="astype"):
        nn.global_max_pool1d(np.ones((1, 1, 4), dtype=int))
