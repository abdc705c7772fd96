"""GPU benchmark: CuPy against NumPy (and PyTorch/cuDNN where present), in one short run.

    python benchmarks/gpu.py [--quick]

1. Agreement: every exact action, ``equicheck.nn.conv2d`` and a whole check give the same
   answers on the CuPy and NumPy backends (exit status 1 if not).
2. conv2d throughput in GFLOP/s (2·N·O·C·k²·H_out·W_out per call) on the shapes of
   ANCHORS.md and one GPU-sized shape: NumPy, CuPy, and PyTorch (cuDNN, TF32 on and off).
3. Check throughput: examples per second of ``check_equivariance`` on each backend, and the
   largest equivariance error of a cuDNN convolution with TF32 on and off (what float32
   tolerances on a GPU have to absorb).

Without a usable GPU it says why and exits 0, so it can sit in any script.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import equicheck
from equicheck import actions, groups
from equicheck.backends import Backend, get_backend, use_backend

# (N, C, H, W, O, k): ANCHORS.md's CPU shapes, then one that fills a GPU.
SHAPES = [
    (8, 3, 32, 32, 16, 3),
    (8, 32, 32, 32, 32, 3),
    (16, 64, 28, 28, 64, 3),
    (4, 16, 64, 64, 16, 5),
    (64, 64, 64, 64, 64, 3),
]


def timed(fn: Callable[[], Any], sync: Callable[[], None], budget: float = 0.5, max_reps: int = 50) -> float:
    """Median seconds per call: one warm-up, then repeats until ``budget`` seconds are spent."""
    fn()
    sync()
    times: list[float] = []
    while len(times) < max_reps and sum(times) < budget:
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def _conv2d() -> Callable[..., Any] | None:
    try:
        from equicheck.nn import conv2d  # type: ignore[attr-defined]
    except ImportError as exc:
        print(f"  equicheck.nn.conv2d is not available ({exc}); conv2d rows skipped")
        return None
    return conv2d  # type: ignore[no-any-return]


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        print("  PyTorch is not installed: no cuDNN rows")
        return None
    if not torch.cuda.is_available():
        print(f"  PyTorch {torch.__version__} has no CUDA here: no cuDNN rows")
        return None
    return torch


def blur(x: Any) -> Any:
    """A circular blur with a symmetric kernel, on whatever backend x lives (p4-equivariant)."""
    xp = get_backend(None, x).xp
    out = 4 * x
    for axis in (-2, -1):
        out = out + 2 * (xp.roll(x, 1, axis=axis) + xp.roll(x, -1, axis=axis))
    for shift in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
        out = out + xp.roll(x, shift, axis=(-2, -1))
    return out / 16


# --- 1. agreement ---------------------------------------------------------------------------
def agreement(gpu: Backend, cpu: Backend, conv2d: Callable[..., Any] | None) -> bool:
    print("\n== agreement: CuPy against NumPy")
    ok = True
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 8, 12, 12)).astype(np.float32)
    cases = [
        ("spatial", actions.spatial(), groups.p4m()),
        ("spatial zeros", actions.spatial(boundary="zeros"), groups.p4m(cyclic=False)),
        ("regular", actions.regular(axis=1), groups.p4m()),
        ("vector", actions.vector(axis=1), groups.p4m()),
    ]
    xg = gpu.asarray(x)
    for name, action, group in cases:
        prepared = action.prepare(group, x.shape)
        worst = 0.0
        for p in group.point_elements:  # type: ignore[attr-defined]
            g = groups.shift(3, -5) * p
            out = prepared.apply(g, xg, gpu)
            if not gpu.is_array(out):
                print(f"  {name}: returned {type(out)}, not a CuPy array")
                ok = False
                break
            worst = max(worst, float(np.max(np.abs(gpu.to_host(out) - prepared.apply(g, x, cpu)))))
        ok &= worst == 0.0
        print(f"  action {name:14s} max |cupy - numpy| = {worst:.3g}")
    if conv2d is not None:
        w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
        with use_backend("numpy"):
            want = np.asarray(conv2d(x, w))
        with use_backend("cupy"):
            got = conv2d(xg, gpu.asarray(w))
        rel = float(np.max(np.abs(gpu.to_host(got) - want)) / np.max(np.abs(want)))
        print(f"  nn.conv2d float32   max rel. difference = {rel:.3g}")
        ok &= bool(gpu.is_array(got)) and rel < 1e-4
    for bad in (False, True):
        f = (lambda a: blur(a) * (1 + 0 * a) + 1e-2 * a[..., ::-1, :]) if bad else blur
        verdicts = []
        for b in ("numpy", "cupy"):
            r = equicheck.check_equivariance(
                f, "p4", input_shape=(2, 1, None, None), batched=True, backend=b,
                max_examples=20, seed=0, replay_dir=None,
            )
            verdicts.append(r.passed)
        print(f"  check {'broken' if bad else 'blur  '} verdicts numpy/cupy = {verdicts}")
        ok &= verdicts[0] == verdicts[1] == (not bad)
    print(f"  -> {'agree' if ok else 'DISAGREE'}")
    return ok


# --- 2. conv2d throughput ---------------------------------------------------------------------
def _seconds(conv2d: Callable[..., Any], x: Any, w: Any, backend: Backend, budget: float) -> float:
    return timed(lambda: conv2d(x, w), backend.synchronize, budget)


def _torch_seconds(torch: Any, x: np.ndarray, w: np.ndarray, tf32: bool) -> float:
    """cuDNN's time for one conv2d, with TF32 as asked (restored to PyTorch's default after)."""
    xt, wt = torch.from_numpy(x).cuda(), torch.from_numpy(w).cuda()
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = tf32
    try:
        return timed(lambda: torch.nn.functional.conv2d(xt, wt), torch.cuda.synchronize)
    finally:
        torch.backends.cudnn.allow_tf32 = True


def conv_throughput(gpu: Backend, conv2d: Callable[..., Any] | None, torch: Any, quick: bool) -> None:
    print("\n== conv2d float32, GFLOP/s (no padding)")
    cols = (["numpy", "cupy"] if conv2d is not None else []) + (
        ["torch tf32", "torch fp32"] if torch is not None else []
    )
    if not cols:
        print("  nothing to time (neither equicheck.nn.conv2d nor CUDA PyTorch)")
        return
    print("  " + f"{'N,C,H,W,O,k':>22s}" + "".join(f"{c:>12s}" for c in cols))
    for n, c, h, w, o, k in SHAPES[: 2 if quick else None]:
        rng = np.random.default_rng(1)
        x = rng.standard_normal((n, c, h, w)).astype(np.float32)
        wt = rng.standard_normal((o, c, k, k)).astype(np.float32)
        flops = 2.0 * n * o * c * k * k * (h - k + 1) * (w - k + 1)
        row = []
        for name in ("numpy", "cupy") if conv2d is not None else ():
            assert conv2d is not None
            b = get_backend(name)
            xb, wb = b.asarray(x), b.asarray(wt)
            with use_backend(name):
                out = conv2d(xb, wb)
                flops_here = 2.0 * n * c * k * k * int(np.prod(out.shape[1:])) if out.ndim == 4 else flops
                budget = 0.3 if name == "numpy" else 0.5
                row.append(flops_here / _seconds(conv2d, xb, wb, b, budget) / 1e9)
        if torch is not None:
            row += [flops / _torch_seconds(torch, x, wt, tf32) / 1e9 for tf32 in (True, False)]
        shape = f"{n},{c},{h},{w},{o},{k}"
        print("  " + f"{shape:>22s}" + "".join(f"{v:12.1f}" for v in row))


def _rates(r: Any, seconds: float) -> str:
    d = r.to_dict()
    return (
        f"{d['examples'] / seconds:8.1f} examples/s ({d['evaluations']} calls of f in {seconds:.2f} s)"
        f"  passed={r.passed} max error {r.max_error:.2g}"
    )


# --- 3. check throughput and TF32 errors -----------------------------------------------------------
def _timed_check(f: Callable[..., Any], backend: str, n_examples: int) -> str:
    """One untimed warm-up check (kernel compilation, cuDNN autotuning), then the timed one."""
    options: dict[str, Any] = {
        "input_shape": (2, 8, 32, 32), "batched": True, "dtypes": ("float32",),
        "backend": backend, "seed": 0, "replay_dir": None,
    }
    equicheck.check_equivariance(f, "p4", max_examples=2, **options)
    t = time.perf_counter()
    r = equicheck.check_equivariance(f, "p4", max_examples=n_examples, **options)
    return _rates(r, time.perf_counter() - t)


def check_throughput(conv2d: Callable[..., Any] | None, torch: Any, quick: bool) -> None:
    print("\n== check_equivariance: examples per second (p4, batched, 2x8x32x32 float32)")
    n_examples = 10 if quick else 30
    kernel = np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]).astype(np.float32) / 16
    weight = np.tile(kernel, (8, 8, 1, 1)) / 8
    functions: dict[str, Callable[..., Any]] = {"roll blur": blur}
    if conv2d is not None:

        def nn_conv(x: Any) -> Any:
            w = get_backend(None, x).asarray(weight)
            return conv2d(x, w, padding=1, padding_mode="circular")

        functions["nn.conv2d"] = nn_conv
    for label, f in functions.items():
        for b in ("numpy", "cupy"):
            print(f"  {label:10s} {b:6s} {_timed_check(f, b, n_examples)}")
    if torch is None:
        return
    m = torch.nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular", bias=False).cuda().eval()
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(weight))
    for tf32 in (True, False):
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cuda.matmul.allow_tf32 = tf32
        for b in ("numpy", "cupy"):
            print(f"  torch conv {b:6s} TF32 {'on ' if tf32 else 'off'} {_timed_check(m, b, n_examples)}")
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cuda.matmul.allow_tf32 = False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two conv shapes, fewer examples")
    args = parser.parse_args(argv)
    try:
        gpu = get_backend("cupy")
    except equicheck.BackendUnavailableError as exc:
        print(f"benchmarks/gpu.py needs a usable GPU and cannot run here: {exc}")
        return 0
    cpu = get_backend("numpy")
    print(f"equicheck {equicheck.__version__}, Python {platform.python_version()}, {platform.machine()}")
    print(f"GPU backend: {gpu.info()}")
    print(f"CPU backend: {cpu.info()}")
    print(f"CuPy TF32 (CUPY_TF32): {os.environ.get('CUPY_TF32', '0') == '1'}")
    conv2d = _conv2d()
    torch = _torch()
    if torch is not None:
        print(f"PyTorch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}: TF32 defaults "
              f"cudnn={torch.backends.cudnn.allow_tf32} matmul={torch.backends.cuda.matmul.allow_tf32} "
              "(torch columns below say which was used)")
    ok = agreement(gpu, cpu, conv2d)
    conv_throughput(gpu, conv2d, torch, args.quick)
    check_throughput(conv2d, torch, args.quick)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
