"""Check overhead: the time a check spends outside f, against a bare Hypothesis test.

f is a 2-layer circular CNN on PyTorch's CPU conv2d (8 channels, 3x3 kernels, D4-symmetric so
it passes; torch's default threads), checked exhaustively under D4 with ``batched=True`` on
8x8x32x32 float32 inputs: each example is one call of f on the input and its 8 transforms.

In the same run it times a bare ``@given`` test that makes the same draws (an array spec,
expanded by NumPy) and calls ``target`` once per example, without f. The figures:

- outside f per example = (check time - time in f) / examples;
- ratio to the bare test (target: at most 2) and ratio to f's time per example;
- where the time outside f goes (draws, transforms, comparison, bookkeeping), from a
  cProfile run of the same check (shares of the profiled time outside f).

    python benchmarks/overhead.py [--examples 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given, settings, target
from hypothesis import strategies as st
from profiles import Profiled

import equicheck
from equicheck import groups as G
from equicheck.strategies import array_specs, make_array

SHAPE = (8, 8, 32, 32)
rng = np.random.default_rng(0)


def d4_symmetric(w: np.ndarray) -> np.ndarray:
    """Average each kernel over the 8 symmetries of the square (so the CNN is D4-equivariant)."""
    turns = [np.rot90(w, k, axes=(-2, -1)) for k in range(4)]
    return (sum(turns) + sum(t[..., ::-1] for t in turns)) / 8


W1 = torch.from_numpy(d4_symmetric(rng.standard_normal((8, 8, 3, 3))).astype(np.float32) / 8)
W2 = torch.from_numpy(d4_symmetric(rng.standard_normal((8, 8, 3, 3))).astype(np.float32) / 8)


def cnn(x: np.ndarray) -> np.ndarray:
    """Two circular 3x3 convolutions with a ReLU between, on torch's CPU conv2d."""
    with torch.no_grad():
        t = torch.from_numpy(np.ascontiguousarray(x))
        h = F.relu(F.conv2d(F.pad(t, (1, 1, 1, 1), mode="circular"), W1))
        return F.conv2d(F.pad(h, (1, 1, 1, 1), mode="circular"), W2).numpy()


def hypothesis_settings(n: int) -> settings:
    return settings(max_examples=n, deadline=None, database=None, derandomize=True)


def run_bare(n: int) -> float:
    """Seconds per example of a bare @given test with the same draws and a target() call."""
    specs = array_specs(SHAPE, ("float32",), ("noise",))
    count = [0]

    @hypothesis_settings(n)
    @given(specs, st.just(G.d4().elements()))
    def bare(spec, elements):  # noqa: ANN001, ANN202
        x = make_array(spec)
        count[0] += 1
        target(float(x[0, 0, 0, 0]), label="bare")

    start = time.perf_counter()
    bare()
    return (time.perf_counter() - start) / max(count[0], 1)


def run_check(n: int) -> tuple[float, equicheck.CheckResult]:
    start = time.perf_counter()
    result = equicheck.check_equivariance(
        cnn,
        G.d4(),
        input_shape=SHAPE,
        dtypes=["float32"],
        families=["noise"],
        batched=True,
        settings=hypothesis_settings(n),
        replay_dir=None,
    )
    return time.perf_counter() - start, result


def breakdown(n: int) -> dict[str, float]:
    """Shares of the time outside f, from a cProfile run of the same check: the draws (the
    example strategy, arrays included), the engine's work per example split into transforms,
    the batch (stacking x with its transforms, the input-unchanged guard), the comparison and
    the rest of its bookkeeping, and Hypothesis's own engine (what is left)."""
    profiled = Profiled(lambda: run_check(n))
    cumulative, total, stats = profiled.cumulative, profiled.total, profiled.stats

    in_f = cumulative("overhead.py", "cnn")
    evaluate = cumulative("engine/evaluate.py", "evaluate") - in_f
    parts = {
        "draws": cumulative("engine/search.py", "example"),
        "transforms": cumulative("actions/field.py", "apply"),
        "batch": cumulative("engine/evaluate.py", "_stack", "_check_unchanged", "_split"),
        "comparison": cumulative("engine/evaluate.py", "_errors", "_comparisons", "_verify_same"),
    }
    # the transforms of f(x) run inside _comparisons: count them once, under transforms
    parts["comparison"] -= sum(
        caller_stats[3]
        for (file, _, name), (_, _, _, _, callers) in stats.items()
        if "actions/field.py" in file and name == "apply"
        for caller, caller_stats in callers.items()
        if "engine/evaluate.py" in caller[0] and caller[2] == "_comparisons"
    )
    parts["engine bookkeeping"] = evaluate - parts["transforms"] - parts["batch"] - parts["comparison"]
    parts["Hypothesis engine"] = total - in_f - evaluate - parts["draws"]
    outside = total - in_f
    return {k: v / outside for k, v in parts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.examples
    run_check(3)  # warm up imports and caches (not timed)
    run_bare(3)
    bare, elapsed, result = float("inf"), float("inf"), None
    for _ in range(args.repeat):  # interleaved; each keeps its best (the machine may be shared)
        bare = min(bare, run_bare(n))
        t, r = run_check(n)
        if t < elapsed:
            elapsed, result = t, r
    assert result is not None and result.passed, result.message if result else None
    examples = result.examples
    in_f = result.time_in_f / examples
    outside = (elapsed - result.time_in_f) / examples
    print(
        f"D4 exhaustive check, 2-layer circular CNN "
        f"(torch {torch.__version__}, {torch.get_num_threads()} threads)"
    )
    print(
        f"input {SHAPE} float32, {examples} examples, {result.evaluations} calls of f, best of {args.repeat}"
    )
    print(f"{'':34} {'ms/example':>10}")
    print(f"{'check, total':34} {1000 * elapsed / examples:10.2f}")
    print(f"{'  in f':34} {1000 * in_f:10.2f}")
    print(f"{'  outside f':34} {1000 * outside:10.2f}")
    print(f"{'bare @given test (same draws)':34} {1000 * bare:10.2f}")
    print(f"outside f / bare test (target <= 2): {outside / bare:.2f}")
    print(f"outside f / in f:                    {outside / in_f:.2f}")
    print("time outside f, by part (shares from a cProfile run, in ms of the timed run):")
    for part, share in breakdown(n).items():
        print(f"  {part:32} {share:4.0%}  {1000 * outside * share:6.2f}")


if __name__ == "__main__":
    main()
