"""Which layer breaks it? A small ResNet whose third convolution pads with zeros.

The network is meant to be equivariant to cyclic shifts (every convolution pads circularly,
the head pools globally) — but one convolution was left with PyTorch's default zero padding.
A check says *that* it fails; ``equicheck.locate`` says *where*: the layer's name, the error
at every layer, and what that kind of layer typically does wrong. Run it:

    python examples/locate_resnet_bug.py [--size 32] [--report out/locate.html]
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

import equicheck


class Block(nn.Module):
    """conv-BN-ReLU-conv-BN plus the input (a residual block)."""

    def __init__(self, channels: int, padding_mode: str = "circular") -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, padding_mode="circular", bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, padding_mode=padding_mode, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + x)


class SmallResNet(nn.Module):
    def __init__(self, bug: bool = True) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1, padding_mode="circular")
        self.layer1 = nn.Sequential(Block(16), Block(16, "zeros" if bug else "circular"))
        self.head = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer1(torch.relu(self.stem(x)))
        return self.head(x.mean(dim=(2, 3)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=32, help="grid size of the input")
    parser.add_argument("--report", default=None, help="also write the localisation to this report")
    args = parser.parse_args()
    torch.manual_seed(0)
    shape = (1, 3, args.size, args.size)

    model = SmallResNet(bug=True).eval()
    result = equicheck.locate(model, "translation", input_shape=shape)
    print(result)
    print(f"\nthe bug: {result.first_break}")

    fixed = equicheck.locate(SmallResNet(bug=False).eval(), "translation", input_shape=shape)
    print(f"after the fix: {fixed.summary()}")

    if args.report:
        from equicheck.layerwise.result import as_check_result
        from equicheck.report import Report, write_reports

        for path in write_reports(Report.of([as_check_result(result)]), [args.report]):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
