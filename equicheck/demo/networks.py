"""The demo's reference networks, built with :mod:`equicheck.nn` and public by name, so that a
counterexample saved by the demo replays with
``equicheck.replay(path, equicheck.demo.network("conv_zeros"))``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import nn
from ..backends import Backend, get_backend

__all__ = ["NETWORKS", "CircularMaxPool", "DenseImageLayer", "network"]


class CircularMaxPool(nn.Module):
    """k×k max over a window that wraps around (stride 1): MaxBlurPool's first half on a torus,
    so that shifts by the stride stay exact and only the anti-aliasing is being measured."""

    def __init__(self, kernel_size: int = 2) -> None:
        self.kernel_size = kernel_size

    def forward(self, x: Any) -> Any:
        k = self.kernel_size
        return nn.max_pool2d(nn.pad2d(x, (0, k - 1, 0, k - 1), "circular"), k, stride=1)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}"


class DenseImageLayer(nn.Module):
    """A fully connected layer from (C, H, W) images to (O, H', W') images: what a conv layer
    is without weight sharing and locality (the same input and output sizes)."""

    def __init__(self, in_shape: tuple[int, int, int], out_shape: tuple[int, int, int], seed: int) -> None:
        self.out_shape = out_shape
        self.linear = nn.Linear(int(np.prod(in_shape)), int(np.prod(out_shape)), seed=seed)

    def forward(self, x: Any) -> Any:
        xp = get_backend(None, x).xp
        y = self.linear(xp.reshape(x, (x.shape[0], -1)))
        return xp.reshape(y, (x.shape[0], *self.out_shape))

    def extra_repr(self) -> str:
        return f"out_shape={self.out_shape}"


def _conv(i: int, o: int, seed: int, mode: str = "circular", **kw: Any) -> nn.Conv2d:
    return nn.Conv2d(i, o, 3, padding=1, padding_mode=mode, seed=seed, **kw)


def _conv3d(i: int, o: int, seed: int) -> nn.Conv3d:
    """A 3x3x3 convolution of (N, C, D, H, W) volumes with circular padding."""
    return nn.Conv3d(i, o, 3, padding=1, padding_mode="circular", seed=seed)


def _classifier(first: list[Any], seed: int) -> nn.Sequential:
    """conv → ReLU → (down-sampling) → conv → ReLU → global average → 10 logits, circular."""
    return nn.Sequential(
        *first,
        _conv(16, 16, seed + 1),
        nn.ReLU(),
        nn.GlobalAvgPool2d(),
        nn.Linear(16, 10, seed=seed + 2),
    )


def _builders() -> dict[str, Callable[[int], nn.Module]]:
    return {
        "conv_circular": lambda s: nn.Sequential(_conv(3, 8, s), nn.ReLU(), _conv(8, 8, s + 1)),
        "conv_zeros": lambda s: nn.Sequential(
            _conv(3, 8, s, "zeros"), nn.ReLU(), _conv(8, 8, s + 1, "zeros")
        ),
        "cnn_no_pooling": lambda s: _classifier([_conv(3, 16, s), nn.ReLU()], s),
        "cnn_maxpool": lambda s: _classifier([_conv(3, 16, s), nn.ReLU(), nn.MaxPool2d(2)], s),
        "cnn_maxblurpool": lambda s: _classifier(
            [_conv(3, 16, s), nn.ReLU(), CircularMaxPool(2), nn.BlurPool2d(3, 2, "circular")], s
        ),
        "cnn_strided": lambda s: _classifier([_conv(3, 16, s, stride=2), nn.ReLU()], s),
        "cnn_blurstrided": lambda s: _classifier(
            [_conv(3, 16, s), nn.ReLU(), nn.BlurPool2d(3, 2, "circular")], s
        ),
        "cnn_standard": lambda s: nn.Sequential(
            _conv(3, 8, s, "zeros"),
            nn.ReLU(),
            _conv(8, 8, s + 1, "zeros"),
            nn.ReLU(),
            nn.GlobalAvgPool2d(),
            nn.Linear(8, 10, seed=s + 2),
        ),
        "cnn_p4": lambda s: nn.Sequential(
            nn.LiftingConv2d(3, 4, 3, group="p4", padding=1, seed=s),
            nn.ReLU(),
            nn.GroupConv2d(4, 4, 3, group="p4", padding=1, seed=s + 1),
            nn.ReLU(),
            nn.OrientationPool("p4"),
            nn.GlobalAvgPool2d(),
            nn.Linear(4, 10, seed=s + 2),
        ),
        "voxel_circular": lambda s: nn.Sequential(_conv3d(1, 4, s), nn.ReLU(), _conv3d(4, 4, s + 1)),
        "voxel_cnn": lambda s: nn.Sequential(
            _conv3d(1, 4, s),
            nn.ReLU(),
            _conv3d(4, 4, s + 1),
            nn.ReLU(),
            nn.GlobalAvgPool3d(),
            nn.Linear(4, 4, seed=s + 2),
        ),
        "cube_cnn": lambda s: nn.Sequential(
            nn.LiftingConv3d(1, 1, 3, group="p432", padding=1, padding_mode="circular", seed=s),
            nn.ReLU(),
            nn.GroupConv3d(1, 2, 3, group="p432", padding=1, padding_mode="circular", seed=s + 1),
            nn.ReLU(),
            nn.OrientationPool("p432"),
            nn.GlobalAvgPool3d(),
            nn.Linear(2, 4, seed=s + 2),
        ),
        "conv_layer_28": lambda s: nn.Conv2d(1, 1, 3, padding=1, padding_mode="circular", seed=s),
        "dense_layer_28": lambda s: DenseImageLayer((1, 28, 28), (1, 28, 28), s),
        "cnn_mnist": lambda s: nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1, seed=s),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1, seed=s + 1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * 7 * 7, 10, seed=s + 2),
        ),
        "dense_mnist": lambda s: nn.Sequential(
            DenseImageLayer((1, 28, 28), (8, 28, 28), s),
            nn.ReLU(),
            nn.MaxPool2d(2),
            DenseImageLayer((8, 14, 14), (16, 14, 14), s + 1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * 7 * 7, 10, seed=s + 2),
        ),
    }


#: Names of the reference networks, for :func:`network`.
NETWORKS: tuple[str, ...] = tuple(_builders())


def network(name: str, seed: int = 0, backend: str | Backend | None = None) -> nn.Module:
    """The demo's reference network ``name`` (see :data:`NETWORKS`) with weights from ``seed``:
    what a saved counterexample replays against."""
    builders = _builders()
    if name not in builders:
        raise KeyError(f"no demo network {name!r}; the networks are: {', '.join(builders)}")
    net = builders[name](seed)
    return net.to(backend) if backend is not None else net
