"""Check a PyTorch voxel model (Conv3d) on volumes: shifts, and the 24 rotations of the cube.

Volumes are (N, C, D, H, W) with the grid axes stored (z, y, x), x last; the 3-D groups move the
last three axes. A Conv3d stack with circular padding commutes with cyclic shifts of the volume
(``translation(dims=3)``), but its learned 3x3x3 kernels are anisotropic (they prefer
directions), so a quarter turn of the input is not a quarter turn of the output: under
``cube24`` equicheck finds a rotation that breaks it and prints it as a signed permutation of
the axes, ``rotation(maps='x->-y, y->x, z->z')``, which reads back. Kernels that depend only on
the distance from their centre (isotropic) commute with every symmetry of the cube.
Skips cleanly (exit status 0) where PyTorch is not installed.

Run: python examples/voxel_model.py [--examples N]
"""

from __future__ import annotations

import argparse
from typing import Any

import equicheck
from equicheck.groups import element_from_repr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10, help="inputs per check (default 10)")
    args = parser.parse_args(argv)
    try:
        import torch
        from torch import nn
    except ImportError as exc:
        print(f"skipped: PyTorch is not available ({exc}); pip install torch")
        return 0

    torch.manual_seed(0)
    voxel_cnn = nn.Sequential(
        nn.Conv3d(1, 4, 3, padding=1, padding_mode="circular"),
        nn.ReLU(),
        nn.Conv3d(4, 2, 3, padding=1, padding_mode="circular"),
    ).eval()
    isotropic = nn.Sequential(
        nn.Conv3d(1, 4, 3, padding=1, padding_mode="circular"),
        nn.ReLU(),
        nn.Conv3d(4, 2, 3, padding=1, padding_mode="circular"),
    ).eval()
    with torch.no_grad():  # each tap's weight depends on its squared distance from the centre only
        r2 = sum(torch.arange(-1, 2).reshape(shape) ** 2 for shape in ((3, 1, 1), (1, 3, 1), (1, 1, 3)))
        for layer in (isotropic[0], isotropic[2]):
            radial = torch.randn(layer.out_channels, layer.in_channels, 4)
            layer.weight.copy_(radial[..., r2])

    common: dict[str, Any] = {
        "input_shape": (1, 1, None, None, None),  # (N, C, z, y, x): None marks the grid axes
        "batched": True,
        "seed": 0,
        "max_examples": args.examples,
        "sizes": (4, 10),  # sides of the volumes drawn (odd and even)
    }
    checks: list[tuple[str, Any, str, str]] = [
        ("voxel CNN, cyclic shifts", voxel_cnn, "translation(dims=3)", "passed"),
        ("voxel CNN, 24 rotations", voxel_cnn, "cube24", "failed"),
        ("isotropic kernels, 48 symmetries", isotropic, "cube48", "passed"),
        ("isotropic kernels, shifts and turns", isotropic, "p432", "passed"),
    ]
    unexpected = 0
    for what, model, group, expected in checks:
        result = equicheck.check_equivariance(model, group, **common)
        unexpected += result.verdict != expected
        mark = "as expected" if result.verdict == expected else f"UNEXPECTED (expected {expected})"
        print(f"{what:36s} {result.verdict.upper():7s} max error {result.max_error:.2g} ({mark})")
        ce = result.counterexample
        if ce is not None:
            element = element_from_repr(ce.element)
            print(f"{'':36s} counterexample: {ce.element} on {ce.input}")
            print(f"{'':36s} in words: {element.describe()}")
            print(f"{'':36s} replay: {ce.replay}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    raise SystemExit(main())
