"""Verdicts of interpolated 1-D and 3-D checks against the interpolation floor, per seed.

The figures of docs/continuous.md ("Signals and volumes"): equivariant functions (isotropic
blurs, pointwise maps, circular convolutions) and broken ones (anisotropic blurs, a fixed ramp
added, a position-dependent gain) under ``so3_volume``, ``scaling(dims=1)`` and
``subpixel(dims=1)``, and a blur isotropic in physical units under ``spatial(spacing=...)``.
Prints one Markdown row per function: verdicts, the largest ratio error/floor of each check
(min..max over seeds), the median floor and the seconds per check.

    python benchmarks/continuous_nd.py [--seeds 4] [--examples 10]
    python benchmarks/continuous_nd.py --quick          # 2 seeds, 5 examples
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np
from scipy import ndimage

import equicheck
from equicheck import actions

VOLUME = {"input_shape": (None, None, None), "sizes": (16, 16)}
SIGNAL = {"input_shape": (None,)}
KERNEL = np.random.default_rng(0).standard_normal(5)


def blur(sigma):
    return lambda v: ndimage.gaussian_filter(v, sigma, mode="constant")


def add_ramp(v):
    return v + np.linspace(-1.0, 1.0, v.shape[-1])


def gain(v):
    return v * (1 + 0.5 * np.sin(np.arange(v.shape[-1]) / 3.0))


def circular_conv(v):
    return sum(k * np.roll(v, i - 2, axis=-1) for i, k in enumerate(KERNEL))


ANISOTROPIC = actions.spatial(spacing=(2.0, 1.0, 1.0))
CASES = [
    ("isotropic blur σ 1.5", "so3_volume", blur(1.5), VOLUME, None),
    ("tanh", "so3_volume", np.tanh, VOLUME, None),
    ("blur σ (1.5, 1.5, 1.52)", "so3_volume", blur((1.5, 1.5, 1.52)), VOLUME, None),
    ("blur σ (1.5, 1.5, 1.55)", "so3_volume", blur((1.5, 1.5, 1.55)), VOLUME, None),
    ("blur σ (1.5, 1.5, 2.0)", "so3_volume", blur((1.5, 1.5, 2.0)), VOLUME, None),
    ("a fixed ramp added", "so3_volume", add_ramp, VOLUME, None),
    ("tanh, 1-D", "scaling(dims=1)", np.tanh, SIGNAL, None),
    ("a fixed ramp added, 1-D", "scaling(dims=1)", add_ramp, SIGNAL, None),
    ("circular convolution, 1-D", "subpixel(dims=1)", circular_conv, SIGNAL, None),
    ("position-dependent gain, 1-D", "subpixel(dims=1)", gain, SIGNAL, None),
    ("blur isotropic in physical units, spacing (2, 1, 1)", "so3_volume", blur((0.75, 1.5, 1.5)), VOLUME,
     ANISOTROPIC),
    ("blur isotropic in entries, spacing (2, 1, 1)", "so3_volume", blur(1.5), VOLUME, ANISOTROPIC),
    ("blur 10% anisotropic in physical units", "so3_volume", blur((0.75, 1.5, 1.65)), VOLUME, ANISOTROPIC),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--examples", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="2 seeds, 5 examples")
    args = parser.parse_args()
    seeds, examples = (2, 5) if args.quick else (args.seeds, args.examples)
    print("| f | group | verdicts | ratio, min..max | median floor | s / check |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, group, f, shape, in_action in CASES:
        verdicts: Counter[str] = Counter()
        ratios, floors, seconds = [], [], []
        for seed in range(seeds):
            start = time.perf_counter()
            extra = {} if in_action is None else {"in_action": in_action}
            budget = examples if shape is VOLUME else 2 * examples
            result = equicheck.check_equivariance(f, group, seed=seed, max_examples=budget, **shape, **extra)
            seconds.append(time.perf_counter() - start)
            verdicts[result.verdict] += 1
            floor = result.extra["interpolation_floor"]
            ratios.append(floor["ratio"])
            floors.append(floor["median_floor"])
        counts = ", ".join(f"{n} {v}" for v, n in verdicts.items())
        print(
            f"| {name} | `{group}` | {counts} | {min(ratios):.2g}..{max(ratios):.2g} | "
            f"{np.median(floors):.2g} | {np.mean(seconds):.2f} |"
        )


if __name__ == "__main__":
    main()
