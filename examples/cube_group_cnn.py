"""A 3-D group CNN from equicheck.nn on the cube group p432: exact under the cube's rotations,
approximate under rotations by other angles.

A lifting convolution turns each 3x3x3 filter by the 24 rotations of the cube, so its output
has 24 orientation channels per field; a group convolution keeps them. A rotation of the
input volume by one of the 24 turns every feature map *and* permutes the orientation channels
(the ``regular`` action, channel j holding orientation j of ``cube24().point_elements``).
Pooling over orientations and positions gives features that those 24 rotations do not change
at all. Other rotations (``so3_volume``: any angle about any axis, resampled by splines) are
not in the group: the network is only approximately invariant to them, judged against the
interpolation floor; the error is printed for rotations about z by a few angles.

Run: python examples/cube_group_cnn.py [--examples N]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import equicheck
import equicheck.nn as nn
from equicheck.actions import regular, spatial
from equicheck.groups import from_name, rotation


def features() -> nn.Sequential:
    """Lifting conv -> ReLU -> group conv: (N, 1, D, H, W) -> (N, 2 fields x 24 orientations, D, H, W)."""
    return nn.Sequential(
        nn.LiftingConv3d(1, 2, 3, group="p432", padding=1, padding_mode="circular", seed=0),
        nn.ReLU(),
        nn.GroupConv3d(2, 2, 3, group="p432", padding=1, padding_mode="circular", seed=1),
    )


def classifier() -> nn.Sequential:
    """The features pooled over orientations and positions, then 4 logits: invariant."""
    return nn.Sequential(
        *features(), nn.ReLU(), nn.OrientationPool("p432"), nn.GlobalAvgPool3d(), nn.Linear(2, 4, seed=2)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=6, help="inputs per check (default 6)")
    args = parser.parse_args(argv)
    common: dict[str, Any] = {
        "input_shape": (1, 1, None, None, None),  # (N, C, z, y, x)
        "batched": True,
        "seed": 0,
        "replay_dir": None,
        "max_examples": args.examples,
        "sizes": (4, 8),
    }

    net = features()
    print(f"features: {net.num_parameters()} parameters, 24 orientation channels per field")
    r1 = equicheck.check_equivariance(
        net, "p432", out_action=regular(axis=1), name="cube_features", elements_per_example=6, **common
    )
    print(" ", r1.message)

    clf = classifier()
    r2 = equicheck.check_equivariance(clf, "cube24", invariant=True, name="cube_classifier", **common)
    print(" ", r2.message)

    # Any angle: judged against the interpolation floor (what resampling alone costs).
    few = dict(common, max_examples=2, sizes=(10, 10))
    r3 = equicheck.check_equivariance(clf, "so3_volume", invariant=True, name="cube_classifier", **few)
    print(" ", r3.message.splitlines()[0])

    # The logits of one smooth volume, turned about z: unchanged at 90 degrees, not in between.
    size = 10
    grid = np.indices((size,) * 3) - (size - 1) / 2
    x = np.exp(-((grid[0] / 3) ** 2 + ((grid[1] - 1) / 2) ** 2 + ((grid[2] + 1) / 3) ** 2))
    x = x.astype(np.float32)[None, None]
    move = spatial().prepare(from_name("so3_volume"), x.shape)
    base = clf(x)
    print("  turn about z  relative change of the logits")
    for degrees in (0, 15, 30, 45, 90):
        change = np.abs(clf(move.apply(rotation(axis=[0, 0, 1], degrees=degrees), x)) - base).max()
        print(f"  {degrees:9d}    {change / np.abs(base).max():.2e}")
    return 0 if r1.passed and r2.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
