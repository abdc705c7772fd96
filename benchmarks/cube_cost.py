"""The cost of an exhaustive check under the cube's 48 symmetries, against the calls of f.

f is two ``torch.nn.functional.conv3d`` layers (8 -> 8 channels, 3x3x3, circular padding,
a ReLU between them, torch's default threads) on a 1x8x32x32x32 float32 volume; the check is
``check_equivariance(f, 'cube48', inputs=x, batched=True)``: all 48 elements on the given
input, x and its 47 transforms in one batch. Printed, all measured in the same run:

* the check's time, the time of the calls of f it makes (timed inside the check), and the
  time of the calls it needs (f on x and its 48 transforms, one batched call, timed alone);
* the ratio check / needed calls (target: at most 1.3), and check / calls made;
* the time outside f broken down by part (a cProfile run): moving x, moving f(x), the
  comparison, the report's arrays, the rest.

    python benchmarks/cube_cost.py [--repeats 5] [--side 32]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from profiles import Profiled

import equicheck


def make_f(channels: int = 8, seed: int = 0) -> Any:
    """Two circular 3x3x3 conv3d layers with a ReLU between them (equivariant to shifts only)."""
    g = torch.Generator().manual_seed(seed)
    w1 = torch.randn(channels, channels, 3, 3, 3, generator=g) / 9
    w2 = torch.randn(channels, channels, 3, 3, 3, generator=g) / 9

    def f(x: np.ndarray) -> np.ndarray:
        t = torch.from_numpy(np.ascontiguousarray(x))
        with torch.no_grad():
            h = F.relu(F.conv3d(F.pad(t, (1,) * 6, mode="circular"), w1))
            y = F.conv3d(F.pad(h, (1,) * 6, mode="circular"), w2)
        return y.numpy()

    return f


class Timed:
    """f with the seconds spent inside it counted."""

    def __init__(self, f: Any) -> None:
        self.f = f
        self.seconds = 0.0
        self.calls = 0
        self.samples = 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        start = time.perf_counter()
        out = self.f(x)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        self.samples += int(x.shape[0])
        return out


def best(times: list[float]) -> float:
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--side", type=int, default=32)
    args = parser.parse_args()
    side = args.side
    x = np.random.default_rng(0).standard_normal((1, 8, side, side, side)).astype(np.float32)
    f = make_f()
    group = equicheck.groups.from_name("cube48")
    moved = np.concatenate(
        [x] + [equicheck.actions.spatial().apply(g, x) for g in group.point_elements], axis=0
    )

    def check(fn: Any) -> Any:
        return equicheck.check_equivariance(
            fn, "cube48", inputs=x, batched=True, replay_dir=None, invariant=False
        )

    check(f)  # warm up torch and equicheck
    needed, total, inside, made = [], [], [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        f(moved)
        needed.append(time.perf_counter() - start)
        timed = Timed(f)
        start = time.perf_counter()
        result = check(timed)
        total.append(time.perf_counter() - start)
        inside.append(timed.seconds)
        made.append(timed.samples)
    assert not result.passed, "two circular convs are not rotation equivariant: the check must fail"
    t_check, t_needed = best(total), best(needed)
    t_inside = inside[int(np.argmin(total))]
    threads = torch.get_num_threads()
    print(f"input 1x8x{side}x{side}x{side} float32, cube48 exhaustive, batched, torch threads {threads}")
    print(f"  check (fails, as it must)    {t_check * 1e3:8.1f} ms   (best of {args.repeats})")
    print(f"  calls of f it makes          {t_inside * 1e3:8.1f} ms   ({made[0]} samples)")
    print(f"  calls of f it needs          {t_needed * 1e3:8.1f} ms   (x and 48 moves: 49 samples, one call)")
    print(f"  check / needed calls         {t_check / t_needed:8.2f}      (target <= 1.3)")
    print(f"  check / calls made           {t_check / t_inside:8.2f}")

    timed = Timed(f)
    profiled = Profiled(lambda: check(timed))
    outside = profiled.total - timed.seconds
    parts = {
        "x and its moves in one batch": profiled.cumulative("equicheck", "_stack"),
        "moving f(x)": profiled.cumulative("equicheck", "_comparisons"),
        "comparing": profiled.cumulative("equicheck", "_errors"),
        "report arrays and figures": profiled.cumulative("equicheck", "figures", "worst_arrays"),
    }
    print(f"  outside f (profiled)         {outside * 1e3:8.1f} ms")
    for name, seconds in parts.items():
        print(f"    {name:28s} {seconds * 1e3:8.1f} ms")
    print(f"    {'the rest':28s} {(outside - sum(parts.values())) * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
