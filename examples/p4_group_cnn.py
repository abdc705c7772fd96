"""A p4 group CNN from equicheck.nn: equivariant to shifts and quarter turns by construction.

The feature maps of a group convolution carry one channel per orientation; a quarter turn of
the input turns every map *and* permutes the orientation channels (the ``regular`` action).
Pooling over orientations and positions then gives features that quarter turns do not
change at all. Rotations by other angles are not in the group: the error-vs-angle curve
shows how far from invariant the network is between quarter turns, against the
interpolation floor (what resampling alone costs).

Run: python examples/p4_group_cnn.py [--examples N]
"""

from __future__ import annotations

import argparse
from typing import Any

import equicheck
import equicheck.nn as nn
from equicheck.actions import regular


def features() -> nn.Sequential:
    """Lifting conv -> ReLU -> group conv: (N, 3, H, W) -> (N, 8 fields x 4 orientations, H, W)."""
    return nn.Sequential(
        nn.LiftingConv2d(3, 8, 3, group="p4", padding=1, padding_mode="circular", seed=0),
        nn.ReLU(),
        nn.GroupConv2d(8, 8, 3, group="p4", padding=1, padding_mode="circular", seed=1),
    )


def classifier() -> nn.Sequential:
    """The features pooled over orientations and positions, then 10 logits: invariant."""
    return nn.Sequential(
        *features(), nn.ReLU(), nn.OrientationPool("p4"), nn.GlobalAvgPool2d(), nn.Linear(8, 10, seed=2)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=30, help="inputs per check (default 30)")
    args = parser.parse_args(argv)
    common: dict[str, Any] = {
        "input_shape": (2, 3, None, None),
        "batched": True,
        "seed": 0,
        "replay_dir": None,
    }
    common["max_examples"] = args.examples

    net = features()
    print(f"features: {net.num_parameters()} parameters")
    r1 = equicheck.check_equivariance(net, "p4", out_action=regular(axis=1), name="p4_features", **common)
    print(" ", r1.message)

    clf = classifier()
    r2 = equicheck.check_equivariance(clf, "c4", invariant=True, name="p4_classifier", **common)
    print(" ", r2.message)

    # Any angle: judged against the interpolation floor; the error curve shows where it fails.
    few = dict(common, max_examples=max(2, args.examples // 5))
    r3 = equicheck.check_equivariance(clf, "so2", invariant=True, name="p4_classifier", **few)
    print(f"  {r3.verdict.upper()} under so2: {r3.message.splitlines()[0][:160]}")
    curve = r3.extra.get("curve")
    if curve:
        print("  angle  error     floor")
        for angle, error, floor in zip(curve["values"], curve["errors"], curve["floor"]):
            if angle % 45 == 0:
                print(f"  {angle:5.0f}  {error:.2e}  {floor:.2e}")
    return 0 if r1.passed and r2.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
