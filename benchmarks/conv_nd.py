"""Benchmark equicheck.nn's 1-D and 3-D convolutions and the cube-group layers (float32)
against PyTorch's CPU convolutions, measured in the same run.

Run:  python benchmarks/conv_nd.py            (--quick: fewer rounds and shapes; --markdown)

Every row is the best time of several rounds in which equicheck and PyTorch alternate (with
a short pause, so neither runs against the other's spinning idle threads). "x torch" is
PyTorch's time / ours: > 1 means equicheck is faster. The PyTorch baseline of a cube-group
layer is ``torch.nn.functional.conv3d`` with the same expanded filters (what the layer
computes), so its ratio includes the filter expansion equicheck does on every call.
Circular padding is timed as PyTorch's ``Conv3d(padding_mode='circular')`` does it: an
explicit ``F.pad(mode='circular')`` then an unpadded convolution.

The 2-D shapes are in benchmarks/conv.py (same method; conv2d shares the N-d code).

On a machine shared with other jobs, wall times of multi-threaded BLAS and OpenMP swing by
10x; ``--cpu-time`` then times CPU seconds of this process instead (``time.process_time``)
and runs PyTorch on one thread; start it with ``OPENBLAS_NUM_THREADS=1`` so that BLAS is
single-threaded too, which makes both sides' times independent of the other jobs' load:

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/conv_nd.py --cpu-time
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from conv import environment, matmul_rate, print_table  # noqa: E402  (benchmarks/conv.py)

import equicheck.nn as nn  # noqa: E402

#: (label, kind, x shape, out channels or fields, kernel, padding_mode, group)
CASES = [
    ("conv1d 8,32,1024 -> 32 k5", "conv", (8, 32, 1024), 32, 5, "zeros", None),
    ("conv1d 16,64,512 -> 64 k3", "conv", (16, 64, 512), 64, 3, "circular", None),
    ("conv1d 4,8,4096 -> 8 k9", "conv", (4, 8, 4096), 8, 9, "reflect", None),
    ("conv3d 1,8,32^3 -> 8 k3 circular", "conv", (1, 8, 32, 32, 32), 8, 3, "circular", None),
    ("conv3d 2,16,16^3 -> 16 k3", "conv", (2, 16, 16, 16, 16), 16, 3, "zeros", None),
    ("conv3d 1,1,32^3 -> 8 k3", "conv", (1, 1, 32, 32, 32), 8, 3, "zeros", None),
    ("conv3d 1,4,24^3 -> 4 k5", "conv", (1, 4, 24, 24, 24), 4, 5, "circular", None),
    ("lifting3d p432 1,1,16^3 -> 2x24 k3", "lifting", (1, 1, 16, 16, 16), 2, 3, "circular", "p432"),
    ("group3d p432 1,2x24,12^3 -> 2x24 k3", "group", (1, 48, 12, 12, 12), 2, 3, "circular", "p432"),
    ("lifting3d pm3m 1,1,12^3 -> 1x48 k3", "lifting", (1, 1, 12, 12, 12), 1, 3, "circular", "pm3m"),
]

#: ``--quick``: the issue's layer, one 1-D shape and one lifting layer.
QUICK = [1, 3, 7]


def best_time(
    fn: Callable[[], Any], timer: Callable[[], float], min_time: float = 0.05, min_calls: int = 3
) -> float:
    """Best time of one call by ``timer``, over enough calls to fill ``min_time`` seconds."""
    fn()
    best = float("inf")
    calls = 0
    start = time.perf_counter()
    while calls < min_calls or time.perf_counter() - start < min_time:
        t0 = timer()
        fn()
        best = min(best, timer() - t0)
        calls += 1
    return best


def build(case: tuple[Any, ...], rng: np.random.Generator) -> tuple[Callable[[], Any], Any, Any, float]:
    """(equicheck call, expanded float32 weight for torch, input, flop count) for one case."""
    _, kind, shape, out, k, mode, group = case
    d = len(shape) - 2
    x = rng.standard_normal(shape).astype(np.float32)
    c = shape[1]
    pad = k // 2
    if kind == "conv":
        weight = rng.standard_normal((out, c, *(k,) * d)).astype(np.float32)
        conv = {1: nn.conv1d, 3: nn.conv3d}[d]

        def ours() -> Any:
            return conv(x, weight, None, 1, pad, 1, 1, mode)

        wide = weight
    elif kind == "lifting":
        weight = rng.standard_normal((out, c, k, k, k)).astype(np.float32)

        def ours() -> Any:
            return nn.lifting_conv3d(x, weight, None, group, 1, pad, 1, mode)

        wide = nn.expand_lifting_weight(weight, group)
    else:
        p = len(nn.orientations(group))
        weight = rng.standard_normal((out, c // p, p, k, k, k)).astype(np.float32)

        def ours() -> Any:
            return nn.group_conv3d(x, weight, None, group, 1, pad, 1, mode)

        wide = nn.expand_group_weight(weight, group)
    flops = 2.0 * shape[0] * int(np.prod(shape[2:])) * int(np.prod(wide.shape))
    return ours, wide, x, flops


def torch_call(torch: Any, x: Any, wide: Any, k: int, mode: str) -> Callable[[], Any]:
    """PyTorch's convolution of the same thing (padding as its ConvNd modules do it)."""
    F = torch.nn.functional
    d = x.ndim - 2
    conv = {1: F.conv1d, 3: F.conv3d}[d]
    tx, tw = torch.from_numpy(x), torch.from_numpy(np.ascontiguousarray(wide))
    pad = k // 2
    if mode == "zeros":
        return lambda: conv(tx, tw, padding=pad)
    return lambda: conv(F.pad(tx, (pad,) * (2 * d), mode=mode), tw)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (best is kept)")
    parser.add_argument("--quick", action="store_true", help="3 shapes, 2 rounds (a smoke run)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    parser.add_argument(
        "--cpu-time", action="store_true", help="time CPU seconds (process_time), PyTorch on one thread"
    )
    args = parser.parse_args(argv)
    timer = time.process_time if args.cpu_time else time.perf_counter
    torch: Any = None
    if not args.no_torch:
        try:
            import torch as torch_module

            torch = torch_module
            if args.cpu_time:
                torch.set_num_threads(1)
        except ImportError:
            torch = None
    cases = [CASES[i] for i in QUICK] if args.quick else CASES
    rounds = 2 if args.quick else args.rounds

    for line in environment(torch):
        print("#", line)
    if args.cpu_time:
        print("# times: CPU seconds of this process (time.process_time), PyTorch on 1 thread")
    if not args.quick:
        print(f"# float32 matmul (2048^3) rate: {matmul_rate():.1f} GFLOP/s")
    header = ["layer", "equicheck ms", "GFLOP/s", "torch ms", "x torch"]
    rows = []
    rng = np.random.default_rng(0)
    for case in cases:
        ours, wide, x, flops = build(case, rng)
        theirs = None
        if torch is not None:
            theirs = torch_call(torch, x, wide, case[4], case[5])
            want = theirs().numpy()
            err = float(np.abs(ours() - want).max() / max(np.abs(want).max(), 1e-30))
            assert err < 1e-4, f"{case[0]}: results differ from PyTorch by {err:.2e}"
        ours_t = theirs_t = float("inf")
        for _ in range(rounds):
            time.sleep(0.05)
            ours_t = min(ours_t, best_time(ours, timer))
            if theirs is not None:
                time.sleep(0.05)
                theirs_t = min(theirs_t, best_time(theirs, timer))
        row = [case[0], f"{ours_t * 1e3:.2f}", f"{flops / ours_t / 1e9:.1f}"]
        row += [f"{theirs_t * 1e3:.2f}", f"{theirs_t / ours_t:.2f}"] if theirs is not None else ["-", "-"]
        rows.append(row)
    ratios = sorted(float(r[4]) for r in rows if r[4] != "-")
    if ratios:
        print(f"# x torch: min {ratios[0]:.2f}, median {ratios[len(ratios) // 2]:.2f}, max {ratios[-1]:.2f}")
    print_table(header, rows, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
