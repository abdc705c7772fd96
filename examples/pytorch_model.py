"""Check a PyTorch model: pass the module itself, equicheck runs it in eval mode without
gradients and converts arrays both ways.

A small torch CNN with circular padding is equivariant to cyclic shifts; add a stride-2
max-pool and its (globally pooled) output is invariant to shifts by 2 but not by 1.
Skips cleanly (exit status 0) where PyTorch is not installed.

Run: python examples/pytorch_model.py [--examples N]
"""

from __future__ import annotations

import argparse
from typing import Any

import equicheck


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=30, help="inputs per check (default 30)")
    args = parser.parse_args(argv)
    try:
        import torch
        from torch import nn
    except ImportError as exc:
        print(f"skipped: PyTorch is not available ({exc}); pip install torch")
        return 0

    torch.manual_seed(0)
    conv = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, padding_mode="circular"),
        nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular"),
    ).eval()
    pooled = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, padding_mode="circular"),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
    ).eval()
    common: dict[str, Any] = {
        "input_shape": (2, 3, None, None),
        "batched": True,
        "seed": 0,
        "max_examples": args.examples,
        "replay_dir": None,
        "dtypes": ("float32",),
    }
    checks: list[tuple[str, Any, str, dict[str, Any], str]] = [
        ("conv, cyclic shifts", conv, "translation", {}, "passed"),
        ("max-pool, shifts by 2", pooled, "translation(step=2)", {"invariant": True}, "passed"),
        ("max-pool, shifts by 1", pooled, "translation", {"invariant": True}, "failed"),
    ]
    unexpected = 0
    for what, model, group, kwargs, expected in checks:
        result = equicheck.check_equivariance(model, group, **common, **kwargs)
        unexpected += result.verdict != expected
        mark = "as expected" if result.verdict == expected else f"UNEXPECTED (expected {expected})"
        print(f"{what:25s} {result.verdict.upper():7s} max error {result.max_error:.2g} ({mark})")
        if result.counterexample is not None:
            print(f"{'':25s} counterexample: {result.counterexample.element}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    raise SystemExit(main())
