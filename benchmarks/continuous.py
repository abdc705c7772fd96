"""Cost of a continuous-group (SO(2)) check per example, and the share spent interpolating.

For 1x3x64x64 and 1x3x224x224 float32 inputs (the ``smooth-disk`` family), a small CNN (conv
3->8, ReLU, conv 8->3, 3x3, 'same') and an isotropic blur are checked under ``so2`` with the
default four elements per example. One example costs: f(x), f(g·x) for each element, two
extra calls of f for the interpolation floor, and the resampling of inputs and outputs. The
error curve (25 angles on one input), drawn once after the search, is timed separately.

    python benchmarks/continuous.py [--examples 20] [--backend numpy|cupy]
    python benchmarks/continuous.py --figures [--seeds 15]   # the other figures of docs/continuous.md
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import ndimage

import equicheck
from equicheck import nn
from equicheck.actions import interpolation
from equicheck.engine import floor
from equicheck.metrics import error_curve


def standard_cnn(c_in: int, c_out: int) -> nn.Sequential:
    """conv 3x3 (c_in -> 8), ReLU, conv 3x3 (8 -> c_out), 'same' zero padding."""
    return nn.Sequential(
        nn.Conv2d(c_in, 8, 3, padding=1, seed=0), nn.ReLU(), nn.Conv2d(8, c_out, 3, padding=1, seed=1)
    )


def blur(x: np.ndarray) -> np.ndarray:
    """Isotropic Gaussian blur (sigma 2) of every channel, on the array's own backend."""
    return equicheck.get_backend(None, x).ndimage.gaussian_filter(x, (0, 0, 2.0, 2.0), mode="constant")


def measure(f, n: int, examples: int, backend: str) -> dict[str, float]:
    floor.CURVE_POINTS, saved = 0, floor.CURVE_POINTS  # the search alone
    interpolation.TIMING.update(seconds=0.0, calls=0.0)
    try:
        start = time.perf_counter()
        result = equicheck.check_equivariance(
            f,
            "so2",
            input_shape=(1, 3, n, n),
            dtypes=("float32",),
            max_examples=examples,
            seed=0,
            replay_dir=None,
            backend=backend,
        )
        elapsed = time.perf_counter() - start
        interp = interpolation.TIMING["seconds"]
    finally:
        floor.CURVE_POINTS = saved
    x = interpolation.smooth_disk(np.random.default_rng(0), (1, 3, n, n)).astype(np.float32)
    start = time.perf_counter()
    error_curve(f, "so2", x, backend=backend)
    curve = time.perf_counter() - start
    return {
        "verdict": result.verdict,
        "examples": result.examples,
        "ms_per_example": 1000 * elapsed / result.examples,
        "interpolation_share": interp / elapsed,
        "f_share": result.time_in_f / elapsed,
        "calls_per_example": result.evaluations / result.examples,
        "curve_s": curve,
    }


def figures(seeds: int) -> None:
    """Verdicts and ratios over seeds, Lie derivatives, the p4 CNN's curve (docs/continuous.md)."""
    from equicheck.lie import lie_derivatives

    k3 = np.random.default_rng(3).standard_normal((3, 3))
    gf, ggm = ndimage.gaussian_filter, ndimage.gaussian_gradient_magnitude
    funcs = {
        "isotropic blur (sigma 2)": lambda x: gf(x, 2.0, mode="constant"),
        "anisotropic blur (sigma 2 vs 2.2)": lambda x: gf(x, (2.0, 2.2), mode="constant"),
        "random 3x3 convolution": lambda x: ndimage.correlate(x, k3.astype(x.dtype), mode="constant"),
        "gradient magnitude (sigma 1)": lambda x: ggm(x, 1.0, mode="constant"),
    }
    print(f"SO(2), defaults, seeds 0..{seeds - 1}: verdicts and the largest ratio to the floor seen")
    print("| f | dtype | verdicts | ratio (min..max over seeds) | median floor |")
    print("| --- | --- | --- | --- | --- |")
    for name, f in funcs.items():
        for dtype in ("float32", "float64"):
            verdicts: dict[str, int] = {}
            ratios, floors = [], []
            for seed in range(seeds):
                r = equicheck.check_equivariance(f, "so2", dtypes=(dtype,), seed=seed, replay_dir=None)
                verdicts[r.verdict] = verdicts.get(r.verdict, 0) + 1
                ratios.append(r.extra["interpolation_floor"]["ratio"])
                floors.append(r.extra["interpolation_floor"]["median_floor"])
            shown = ", ".join(f"{v} {k}" for k, v in sorted(verdicts.items()))
            print(
                f"| {name} | {dtype} | {shown} | {min(ratios):.2f}..{max(ratios):.2f} | "
                f"{float(np.median(floors)):.2g} |"
            )
    x = interpolation.smooth_disk(np.random.default_rng(1), (32, 32))
    print("\nLie derivatives, smooth-disk 32x32 input (seed 1), finite differences: value (floor)")
    print("| f | rotation | scaling | translation_y | translation_x |")
    print("| --- | --- | --- | --- | --- |")
    for name, f in funcs.items():
        lie = lie_derivatives(f, x)
        cells = " | ".join(f"{v.value:.2g} ({v.floor:.1g})" for v in lie.values())
        print(f"| {name} | {cells} |")
    p4 = nn.Sequential(
        nn.LiftingConv2d(1, 4, 3, padding=1, group="p4", seed=0),
        nn.ReLU(),
        nn.GroupConv2d(4, 4, 3, padding=1, group="p4", seed=1),
        nn.ReLU(),
        nn.OrientationPool("p4"),
    )
    cnn = standard_cnn(1, 4)
    x4 = interpolation.smooth_disk(np.random.default_rng(0), (1, 1, 32, 32)).astype(np.float32)
    print("\nError vs angle (relative RMS) and floor, 1x1x32x32 smooth-disk input (seed 0)")
    print("| angle | p4 CNN error | p4 floor | standard CNN error | standard floor |")
    print("| --- | --- | --- | --- | --- |")
    a, b = error_curve(p4, "so2", x4), error_curve(cnn, "so2", x4)
    for i, angle in enumerate(a["values"]):
        if angle <= 180:
            print(
                f"| {angle:g} | {a['errors'][i]:.2g} | {a['floor'][i]:.2g} | "
                f"{b['errors'][i]:.2g} | {b['floor'][i]:.2g} |"
            )
    for name, f in (("p4 CNN", p4), ("standard CNN", cnn)):
        for group in ("c4", "so2"):
            r = equicheck.check_equivariance(
                f, group, input_shape=(1, 1, None, None), seed=0, max_examples=50, replay_dir=None
            )
            ratio = r.extra.get("interpolation_floor", {}).get("ratio")
            shown = f", ratio to floor {ratio:.1f}" if ratio is not None else ""
            print(f"{name} under {group}: {r.verdict}, max error {r.max_error:.3g}{shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20)
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--figures", action="store_true")
    parser.add_argument("--seeds", type=int, default=15)
    args = parser.parse_args()
    if args.figures:
        figures(args.seeds)
        return
    cnn = standard_cnn(3, 3)
    print(f"backend {args.backend}, spline order {interpolation.current_order()}, {args.examples} examples")
    print(
        "| f | input | verdict | examples | ms / example | interpolation | f "
        "| calls of f / example | curve (s) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, f in (("small CNN", cnn), ("isotropic blur", blur)):
        for n in (64, 224):
            m = measure(f, n, args.examples, args.backend)
            print(
                f"| {name} | 1x3x{n}x{n} | {m['verdict']} | {m['examples']} | {m['ms_per_example']:.1f} | "
                f"{100 * m['interpolation_share']:.0f}% | {100 * m['f_share']:.0f}% | "
                f"{m['calls_per_example']:.1f} | {m['curve_s']:.2f} |"
            )


if __name__ == "__main__":
    main()
