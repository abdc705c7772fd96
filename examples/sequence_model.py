"""Check a PyTorch sequence model (Conv1d) on 1-D signals: shifts in time and time reversal.

A stack of Conv1d layers with circular padding commutes with cyclic shifts of the signal
(``translation(dims=1)``: the group moves the last axis, t). The same stack with zero padding
does not: a shift carries samples across the ends, where the padding zeros differ from the
wrapped-around samples; equicheck shrinks that to a one-sample shift on the shortest signal
and prints the line that replays it. A causal convolution (padding on the left only, as in
WaveNet) is shift equivariant but not equivariant to reversing time (``flips(dims=1)``).
Skips cleanly (exit status 0) where PyTorch is not installed.

Run: python examples/sequence_model.py [--examples N]
"""

from __future__ import annotations

import argparse
from typing import Any

import equicheck


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20, help="inputs per check (default 20)")
    args = parser.parse_args(argv)
    try:
        import torch
        from torch import nn
    except ImportError as exc:
        print(f"skipped: PyTorch is not available ({exc}); pip install torch")
        return 0

    def stack(padding_mode: str) -> nn.Module:
        torch.manual_seed(0)
        return nn.Sequential(
            nn.Conv1d(2, 8, 5, padding=2, padding_mode=padding_mode),
            nn.ReLU(),
            nn.Conv1d(8, 4, 3, padding=1, padding_mode=padding_mode),
        ).eval()

    class Causal(nn.Module):
        """out[t] depends on x[t - 2], x[t - 1], x[t] only: left padding, circular."""

        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(1)
            self.conv = nn.Conv1d(2, 4, 3)

        def forward(self, x: Any) -> Any:
            return self.conv(torch.cat([x[..., -2:], x], dim=-1))

    circular, zeros, causal = stack("circular"), stack("zeros"), Causal().eval()
    common: dict[str, Any] = {
        "input_shape": (2, 2, None),  # (batch, channels, t): None marks the time axis
        "batched": True,
        "seed": 0,
        "max_examples": args.examples,
        "sizes": (4, 32),
    }
    checks: list[tuple[str, Any, str, dict[str, Any], str]] = [
        ("circular padding, cyclic shifts", circular, "translation(dims=1)", {}, "passed"),
        ("zero padding, cyclic shifts", zeros, "translation(dims=1)", {}, "failed"),
        (
            "zero padding, zero-filled shifts",
            zeros,
            "translation(dims=1, cyclic=false)",
            {"margin": 3},
            "passed",
        ),
        ("causal conv, cyclic shifts", causal, "translation(dims=1)", {}, "passed"),
        ("causal conv, time reversal", causal, "flips(dims=1)", {}, "failed"),
    ]
    unexpected = 0
    for what, model, group, kwargs, expected in checks:
        result = equicheck.check_equivariance(model, group, **common, **kwargs)
        unexpected += result.verdict != expected
        mark = "as expected" if result.verdict == expected else f"UNEXPECTED (expected {expected})"
        print(f"{what:34s} {result.verdict.upper():7s} max error {result.max_error:.2g} ({mark})")
        ce = result.counterexample
        if ce is not None:
            print(f"{'':34s} counterexample: {ce.element} on {ce.input}")
            print(f"{'':34s} replay: {ce.replay}")
            again = equicheck.replay(ce.path, model)
            print(f"{'':34s} replayed: {again.verdict} (error {again.max_error:.2g} under {ce.element})")
            print(f"{'':34s} error along t: {' '.join(f'{v:.1g}' for v in ce.arrays['error_map'])}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    raise SystemExit(main())
