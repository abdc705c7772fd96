"""Small hand-written functions (correct ones and planted bugs) the checker is tested on."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

RNG = np.random.default_rng(1234)
RANDOM_3x3 = RNG.standard_normal((3, 3))
SYMMETRIC_3x3 = np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]])  # D4-symmetric
LR_SYMMETRIC_3x3 = np.array([[1.0, 3.0, 1.0], [0.0, 2.0, 0.0], [-1.0, 5.0, -1.0]])  # mirror in x only


def correlate2d(x: np.ndarray, k: np.ndarray, mode: str = "wrap") -> np.ndarray:
    """Cross-correlate every 2-D slice over the last two axes with kernel k."""
    kk = k.reshape((1,) * (x.ndim - 2) + k.shape)
    return ndimage.correlate(x, kk, mode=mode).astype(x.dtype)


def circular_conv(x):
    return correlate2d(x, RANDOM_3x3, "wrap")


def zero_padded_conv(x):
    return correlate2d(x, RANDOM_3x3, "constant")


def symmetric_conv(x):
    return correlate2d(x, SYMMETRIC_3x3, "wrap")


def lr_symmetric_conv(x):
    return correlate2d(x, LR_SYMMETRIC_3x3, "wrap")


def lifting_p4(x):
    """A p4 lifting convolution: (H, W) -> (4, H, W); channel r uses the kernel turned r times."""
    return np.stack([correlate2d(x, np.rot90(RANDOM_3x3, r), "wrap") for r in range(4)])


def gradient(x):
    """Central differences, (H, W) -> (2, H, W) with (row, column) components."""
    return np.stack(
        [
            (np.roll(x, -1, 0) - np.roll(x, 1, 0)) / 2,
            (np.roll(x, -1, 1) - np.roll(x, 1, 1)) / 2,
        ]
    )


def stride2(x):
    return circular_conv(x)[..., ::2, ::2]


def global_mean(x):
    return x.mean(axis=(-2, -1))


def global_max_of_conv(x):
    return symmetric_conv(x).max(axis=(-2, -1))


def position_bias(x):
    h, w = x.shape[-2:]
    yy, xx = np.mgrid[0:h, 0:w]
    return (circular_conv(x) + 1e-3 * np.sin(yy + 2 * xx)).astype(x.dtype)


def relative_perturbation(size: float):
    def f(x):
        y = symmetric_conv(x)
        h, w = y.shape[-2:]
        yy, xx = np.mgrid[0:h, 0:w]
        scale = np.abs(y).max()
        return (y + size * scale * np.cos(3 * yy + xx)).astype(x.dtype)

    f.__name__ = f"perturbed_{size:g}"
    return f


def bug_on_odd_sizes(x):
    mode = "reflect" if x.shape[-1] % 2 else "wrap"
    return correlate2d(x, RANDOM_3x3, mode)


def bug_on_sparse_inputs(x):
    y = circular_conv(x)
    if np.mean(x == 0) > 0.5:
        y[..., 0, :] = 0
    return y


def bug_on_large_magnitudes(x):
    y = circular_conv(x)
    if np.abs(x).max() > 1e4:
        y[..., 0, :] *= 0.5
    return y


def mutates_input(x):
    x *= 2
    return circular_conv(x)


_noise = np.random.default_rng(0)


def nondeterministic(x):
    return circular_conv(x) + 1e-3 * _noise.standard_normal(x.shape)


def deep_float32_net(x):
    """Eight circular 3x3 layers with 16 channels, computed in the input's dtype by FFT, so
    that rounding differs between an input and its transforms (float32 noise ~1e-5)."""
    rng = np.random.default_rng(7)
    dt = x.dtype
    h = np.repeat(x[None], 16, axis=0)
    for _ in range(8):
        k = rng.standard_normal((3, 3))
        k = sum(np.rot90(k, r) for r in range(4)) + sum(np.rot90(k[:, ::-1], r) for r in range(4))
        mix = (rng.standard_normal((16, 16)) / 4).astype(dt)
        pad = np.zeros(h.shape[-2:])
        pad[:3, :3] = k / 8
        pad = np.roll(pad, (-1, -1), axis=(0, 1)).astype(dt)
        spec = np.fft.rfft2(h) * np.conj(np.fft.rfft2(pad))
        h = np.fft.irfft2(spec, s=h.shape[-2:]).astype(dt)
        h = np.tanh(np.einsum("oc,chw->ohw", mix, h))
    return h[0]


def batch_norm_like(x):
    """Normalises with statistics of the whole batch: mixes batch entries."""
    y = circular_conv(x)
    return (y - y.mean(axis=0, keepdims=True)) / (y.std(axis=0, keepdims=True) + 1)


def batched_conv(x):
    return circular_conv(x)


def nan_in_corner(x):
    y = circular_conv(x)
    y[..., 0, 0] = np.nan
    return y


def raises_on_odd(x):
    if x.shape[-1] % 2:
        raise ValueError("odd sizes are not supported")
    return circular_conv(x)
