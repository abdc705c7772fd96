"""Benchmark equicheck.nn.conv2d (float32) against PyTorch's CPU conv2d and the BLAS matmul rate.

``--dtype float64`` times float64 instead (the "x matmul" column then still compares with the
float32 matrix-product rate).

Run:  python benchmarks/conv.py            (add --markdown for a table to paste in docs/nn.md)

Every shape is timed as the best of several rounds; equicheck and PyTorch alternate
between rounds (with a short pause, so neither runs against the other's spinning idle
threads) and both see the same machine state. Other load on the machine only lowers the
numbers. Padding is k // 2 ('same'), stride 1. The PyTorch columns are left blank (not
failed) when torch is not importable.

The header prints the BLAS and thread pools in use (``threadpoolctl``, when installed).
``--torch-only`` times PyTorch alone; ``--torch-check`` then runs that in a separate
process and marks the shapes whose PyTorch time there differs by more than 15% from the
alternating run (rerun those: the machine was busy), and ``--shapes 1,3`` reruns some
shapes only (indices into the list, from 0).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from equicheck.nn import ALGORITHMS, choose_algorithm, choose_unrolling, conv2d  # noqa: E402

#: N, C, H, W, O, k
SHAPES = [
    (8, 3, 32, 32, 16, 3),
    (8, 32, 32, 32, 32, 3),
    (16, 64, 28, 28, 64, 3),
    (4, 16, 64, 64, 16, 5),
    (2, 8, 128, 128, 8, 11),
]

#: ``--more``: layers of common networks, N, C, H, W, O, k, stride, groups (padding k // 2).
MORE_SHAPES = [
    (1, 3, 224, 224, 64, 7, 2, 1),  # ResNet stem
    (8, 64, 32, 32, 64, 1, 1, 1),  # pointwise
    (4, 128, 28, 28, 128, 3, 2, 1),  # strided
    (2, 256, 14, 14, 256, 3, 1, 1),  # deep, small grid
    (8, 512, 7, 7, 512, 3, 1, 1),  # deepest, 7x7 grid
    (8, 64, 32, 32, 64, 3, 1, 64),  # depthwise
    (8, 64, 32, 32, 64, 3, 1, 4),  # grouped
]


def best_time(fn: Callable[[], Any], min_time: float = 0.05, min_calls: int = 3) -> float:
    """Best wall time of one call, over enough calls to fill ``min_time`` seconds."""
    fn()
    best = float("inf")
    calls = 0
    start = time.perf_counter()
    while calls < min_calls or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        calls += 1
    return best


def matmul_rate(size: int = 2048, rounds: int = 3) -> float:
    """The machine's float32 matrix-product rate (GFLOP/s) through NumPy's BLAS."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    out = np.empty((size, size), dtype=np.float32)
    t = min(best_time(lambda: np.matmul(a, b, out=out), 0.3) for _ in range(rounds))
    return 2.0 * size**3 / t / 1e9


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(torch: Any) -> list[str]:
    lines = [
        f"cpu: {cpu_name()}, {os.cpu_count()} logical cores",
        f"python {platform.python_version()}, numpy {np.__version__}",
    ]
    try:
        import scipy

        lines[-1] += f", scipy {scipy.__version__}"
    except ImportError:  # pragma: no cover
        pass
    if torch is not None:
        lines[-1] += f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
    else:
        lines[-1] += ", torch not used (not installed, or --no-torch): PyTorch columns skipped"
    lines.append("equicheck.nn conv2d: NumPy/SciPy public APIs (numpy.matmul on NumPy's BLAS, scipy.fft)")
    names = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
    env = {k: os.environ[k] for k in names if k in os.environ}
    lines.append(f"environment: {env or 'no BLAS/OpenMP overrides'}")
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
        lines.append(f"numpy BLAS: {blas.get('name')} {blas.get('version')}")
    except (AttributeError, KeyError, TypeError):  # pragma: no cover - other numpy builds
        pass
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            lines.append(
                f"threadpool: {pool.get('internal_api')} {pool.get('version')} "
                f"{pool.get('architecture', '')} threads={pool.get('num_threads')} "
                f"({os.path.basename(pool['filepath'])})"
            )
    except ImportError:
        lines.append("threadpool: unknown (pip install threadpoolctl to list the BLAS in use)")
    return lines


def torch_times(torch: Any, shapes: list[tuple[int, ...]], dtype: str, rounds: int) -> list[float]:
    """PyTorch's best time (ms) for each shape, with nothing else running in this process."""
    rng = np.random.default_rng(0)
    out = []
    for n, c, h, w, o, k, stride, groups in shapes:
        tx = torch.from_numpy(rng.standard_normal((n, c, h, w)).astype(dtype))
        tw = torch.from_numpy(rng.standard_normal((o, c // groups, k, k)).astype(dtype))
        kw = {"padding": k // 2, "stride": stride, "groups": groups}
        best = float("inf")
        for _ in range(rounds):
            time.sleep(0.05)
            best = min(best, best_time(lambda tx=tx, tw=tw, kw=kw: torch.nn.functional.conv2d(tx, tw, **kw)))
        out.append(best * 1e3)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (best is kept)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    parser.add_argument(
        "--algorithm",
        default="auto",
        choices=list(ALGORITHMS),
        help="force one conv2d algorithm (default: the one 'auto' picks)",
    )
    parser.add_argument("--more", action="store_true", help="also time layers of common networks")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"], help="element type")
    parser.add_argument("--torch-only", action="store_true", help="time PyTorch alone (prints JSON)")
    parser.add_argument(
        "--torch-check",
        action="store_true",
        help="compare with a PyTorch-only run in a separate process; mark shapes off by > 15%%",
    )
    parser.add_argument("--shapes", default="", help="comma-separated indices of the shapes to run")
    args = parser.parse_args(argv)

    torch: Any = None
    if not args.no_torch:
        try:
            import torch as torch_module

            torch = torch_module
        except ImportError:
            torch = None

    shapes = [(*shape, 1, 1) for shape in SHAPES] + (MORE_SHAPES if args.more else [])
    if args.shapes:
        shapes = [shapes[int(i)] for i in args.shapes.split(",")]
    if args.torch_only:
        if torch is None:
            raise SystemExit("--torch-only needs torch")
        print(json.dumps(torch_times(torch, shapes, args.dtype, args.rounds)))
        return 0

    for line in environment(torch):
        print("#", line)
    rate = matmul_rate()
    print(f"# float32 matmul (2048^3) rate: {rate:.1f} GFLOP/s")

    header = [
        "N,C,H,W,O,k",
        "algorithm",
        "equicheck ms",
        "GFLOP/s",
        "x matmul",
        "torch ms",
        "torch GFLOP/s",
        "x torch",
    ]
    rows = []
    torch_ms = []
    rng = np.random.default_rng(0)
    for n, c, h, w, o, k, stride, groups in shapes:
        x = rng.standard_normal((n, c, h, w)).astype(args.dtype)
        weight = rng.standard_normal((o, c // groups, k, k)).astype(args.dtype)
        pad = k // 2
        ho, wo = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
        flops = 2.0 * n * o * (c // groups) * k * k * ho * wo
        kw = {"padding": pad, "stride": stride, "groups": groups}
        ours_fn = lambda x=x, weight=weight, kw=kw: conv2d(  # noqa: E731
            x, weight, algorithm=args.algorithm, **kw
        )
        assert ours_fn().dtype == np.dtype(args.dtype)
        torch_fn = None
        if torch is not None:
            tx, tw = torch.from_numpy(x), torch.from_numpy(weight)
            torch_fn = lambda tx=tx, tw=tw, kw=kw: torch.nn.functional.conv2d(tx, tw, **kw)  # noqa: E731
            ref = torch_fn().numpy()
            err = float(np.abs(ours_fn() - ref).max() / np.abs(ref).max())
            limit = 1e-4 if args.dtype == "float32" else 1e-10
            assert err < limit, f"results differ from PyTorch by {err:.2e} on {(n, c, h, w, o, k, stride)}"
        ours = theirs = float("inf")
        for _ in range(args.rounds):
            # A pause before each block lets the other library's idle threads stop spinning
            # (OpenBLAS and OpenMP workers busy-wait after a call and would steal the cores).
            time.sleep(0.05)
            ours = min(ours, best_time(ours_fn))
            if torch_fn is not None:
                time.sleep(0.05)
                theirs = min(theirs, best_time(torch_fn))
        algo = args.algorithm
        if algo == "auto":
            algo = choose_algorithm(
                x.shape, weight.shape, (stride, stride), (pad,) * 4, groups=groups, dtype=x.dtype
            )
        if algo in ("gemm", "direct") and groups > 1 and c // groups <= 4:
            algo = "gemm/broadcast"  # thin groups: broadcast multiply-adds, no GEMM
        elif algo in ("gemm", "direct"):
            algo = "gemm/" + choose_unrolling(
                x.shape, weight.shape, (stride, stride), (pad,) * 4, groups=groups, dtype=x.dtype
            )
        elif algo in ("im2col", "rows", "taps"):
            algo = "gemm/" + algo
        gf = flops / ours / 1e9
        label = ",".join(map(str, (n, c, h, w, o, k)))
        label += f" s{stride}" if stride > 1 else ""
        label += f" g{groups}" if groups > 1 else ""
        row = [
            label,
            algo,
            f"{ours * 1e3:.3f}",
            f"{gf:.1f}",
            f"{gf / rate:.2f}",
        ]
        if torch_fn is not None:
            row += [f"{theirs * 1e3:.3f}", f"{flops / theirs / 1e9:.1f}", f"{theirs / ours:.2f}"]
            torch_ms.append(theirs * 1e3)
        else:
            row += ["-", "-", "-"]
        rows.append(row)

    if args.torch_check and torch is not None:
        header.append("torch alone ms")
        command = [sys.executable, os.path.abspath(__file__), "--torch-only", "--dtype", args.dtype]
        command += ["--rounds", str(args.rounds)] + (["--more"] if args.more else [])
        command += ["--shapes", args.shapes] if args.shapes else []
        alone = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        for row, mine, other in zip(rows, torch_ms, alone):
            off = abs(mine - other) / other > 0.15
            row.append(f"{other:.3f}" + (" RERUN" if off else ""))
    ratios = sorted(float(r[7]) for r in rows if r[7] != "-")
    if ratios:
        print(f"# x torch: min {ratios[0]:.2f}, median {ratios[len(ratios) // 2]:.2f}")
    print_table(header, rows, args.markdown)
    return 0


def print_table(header: list[str], rows: list[list[str]], markdown: bool) -> None:
    """The rows as a Markdown table, or as right-aligned columns."""
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" for _ in header) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths)))


if __name__ == "__main__":
    raise SystemExit(main())
