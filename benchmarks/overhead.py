"""Check overhead: an exhaustive D4 check of a 2-layer circular CNN, against the plain calls.

The CNN has 8 channels and 3x3 kernels; inputs are 8x8x32x32 float32 batches. With
``batched=True`` each example needs one call of f on the input and its 8 transforms (72
images). The baseline runs those same calls on the same inputs, prepared in advance, outside
the checker; the ratio is (check wall time) / (baseline wall time). Target: <= 1.3.

    python benchmarks/overhead.py [--examples 20]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import equicheck
from equicheck import actions as A
from equicheck import groups as G
from equicheck.nn import conv2d
from equicheck.strategies import ArraySpec, make_array

rng = np.random.default_rng(0)


def d4_symmetric(w: np.ndarray) -> np.ndarray:
    """Average each kernel over the 8 symmetries of the square (so the CNN is D4-equivariant)."""
    turns = [np.rot90(w, k, axes=(-2, -1)) for k in range(4)]
    return (sum(turns) + sum(t[..., ::-1] for t in turns)) / 8


W1 = d4_symmetric(rng.standard_normal((8, 8, 3, 3))).astype(np.float32) / 8
W2 = d4_symmetric(rng.standard_normal((8, 8, 3, 3))).astype(np.float32) / 8


def cnn(x: np.ndarray) -> np.ndarray:
    h = np.maximum(conv2d(x, W1, padding=1, padding_mode="circular"), 0)
    return conv2d(h, W2, padding=1, padding_mode="circular")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.examples
    shape = (8, 8, 32, 32)
    group = G.d4()
    spatial = A.spatial().prepare(group, shape)

    # baseline: exactly the calls the check makes, on inputs made beforehand
    batches = []
    for seed in range(n):
        x = make_array(ArraySpec(shape, "float32", "noise", seed))
        batches.append(np.concatenate([x] + [spatial.apply(g, x) for g in group.elements()]))
    cnn(batches[0])  # warm up

    def run_baseline() -> float:
        start = time.perf_counter()
        for b in batches:
            cnn(b)
        return time.perf_counter() - start

    from hypothesis import settings

    # warm up the engine's imports and caches on a tiny check (not timed)
    equicheck.check_equivariance(
        cnn, group, input_shape=(1, 8, 8, 8), batched=True, max_examples=2, replay_dir=None
    )

    def run_check() -> tuple[float, equicheck.CheckResult]:
        start = time.perf_counter()
        result = equicheck.check_equivariance(
            cnn,
            group,
            input_shape=shape,
            dtypes=["float32"],
            families=["noise"],
            batched=True,
            settings=settings(max_examples=n, deadline=None, database=None, derandomize=True),
            replay_dir=None,
        )
        return time.perf_counter() - start, result

    # interleave the two and keep each one's best of `repeat` runs (the machine may be shared)
    baseline, elapsed, result = float("inf"), float("inf"), None
    for _ in range(args.repeat):
        baseline = min(baseline, run_baseline())
        t, r = run_check()
        if t < elapsed:
            elapsed, result = t, r
    assert result.passed, result.message
    calls = result.evaluations
    print(
        f"D4 exhaustive check, 2-layer circular CNN, input {shape} float32, {n} examples, "
        f"best of {args.repeat}"
    )
    print(f"{'':28} {'seconds':>9} {'calls of f':>11} {'ratio':>7}")
    print(f"{'baseline (plain calls)':28} {baseline:9.3f} {n:11d} {1.0:7.2f}")
    print(f"{'check_equivariance':28} {elapsed:9.3f} {calls:11d} {elapsed / baseline:7.2f}")
    print(f"{'  of which in f':28} {result.time_in_f:9.3f}")
    print(f"overhead ratio (target <= 1.3): {elapsed / baseline:.2f}")


if __name__ == "__main__":
    main()
