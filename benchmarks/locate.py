"""Localisation: correctness on networks with one planted bug, and cost on a ResNet-18.

Correctness: each planted network has its bug in one known layer; ``equicheck.locate`` must
name that layer first, for every seed (weights and inputs drawn from it), and must report no
breaking layer for the same network without the bug.

Cost: ``locate`` on a ResNet-18-sized PyTorch model (torchvision's layout, random weights) on
one 1x3x64x64 input under C4, everything included (recording, local errors, inference),
against |G| + 1 plain forward passes of that input measured in the same run (target <= 2x).

    python benchmarks/locate.py                 # both, 20 seeds
    python benchmarks/locate.py --seeds 3 --quick
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import torch
from torch import nn

import equicheck

# --- planted networks ---------------------------------------------------------------------------
# Each builder takes (seed, bug) and returns (model, group, input_shape, planted layer name).


class Pool(nn.Module):
    """Global average over the grid: (N, C, H, W) -> (N, C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3))


class SixConvs(nn.Module):
    """Six circular 3x3 convolutions; with the bug the third pads with zeros."""

    def __init__(self, bug: bool) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(
                3 if i == 0 else 8, 8, 3, padding=1, padding_mode="zeros" if bug and i == 2 else "circular"
            )
            for i in range(6)
        )
        self.act = nn.ReLU(inplace=True)  # one module called six times: six rows
        self.pool = Pool()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = self.act(conv(x))
        return self.pool(x)


class Blur(nn.Module):
    """Binomial blur then every second entry (BlurPool), circular."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        k = torch.tensor([1.0, 2.0, 1.0])
        self.register_buffer("weight", (k[:, None] * k[None, :] / 16).expand(channels, 1, 3, 3).clone())
        self.channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.pad(x, (1, 1, 1, 1), mode="circular")
        return nn.functional.conv2d(x, self.weight, stride=2, groups=self.channels)


class Strided(nn.Module):
    """conv, ReLU, a subsampling layer, a linear conv, global pooling: shift-invariant when the
    subsampling blurs first; with the bug a plain stride-2 convolution subsamples."""

    def __init__(self, bug: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, padding_mode="circular")
        self.relu = nn.ReLU()
        self.down = nn.Conv2d(8, 8, 3, stride=2, padding=1, padding_mode="circular") if bug else Blur(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular")
        self.pool = Pool()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.conv2(self.down(self.relu(self.conv1(x)))))


class PositionalEmbedding(nn.Module):
    """A learned array added at fixed grid positions."""

    def __init__(self, channels: int, size: int) -> None:
        super().__init__()
        self.table = nn.Parameter(torch.randn(1, channels, size, size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.table


class Embedded(nn.Module):
    def __init__(self, bug: bool, size: int = 16) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, padding_mode="circular")
        self.relu = nn.ReLU()
        self.pos = PositionalEmbedding(8, size) if bug else nn.Identity()
        self.body = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular"), nn.ReLU())
        self.pool = Pool()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.body(self.pos(self.relu(self.stem(x)))))


class Lifting(nn.Module):
    """Image -> p4 features: output channel (field, j) is the image convolved with rot90(w, j)."""

    def __init__(self, cin: int, fields: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(fields, cin, 3, 3) / 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = torch.stack([torch.rot90(self.weight, j, (2, 3)) for j in range(4)], dim=1)
        return nn.functional.conv2d(x, w.reshape(-1, *w.shape[2:]), padding=1)


class GroupConv(nn.Module):
    """p4 -> p4: output orientation j uses rot90(w, j) with the input orientations rolled by j;
    ``wrong_roll`` rolls them by -j (the planted bug)."""

    def __init__(self, fin: int, fout: int, wrong_roll: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(fout, fin, 4, 3, 3) / (3 * fin) ** 0.5)
        self.wrong_roll = wrong_roll

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sign = -1 if self.wrong_roll else 1
        w = torch.stack(
            [torch.rot90(torch.roll(self.weight, sign * j, dims=2), j, (3, 4)) for j in range(4)], dim=1
        )  # (fout, 4, fin, 4, 3, 3)
        fout, fin = self.weight.shape[:2]
        return nn.functional.conv2d(x, w.reshape(fout * 4, fin * 4, 3, 3), padding=1)


class OrientationMax(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        return x.reshape(n, c // 4, 4, h, w).amax(dim=2)


class P4Net(nn.Module):
    def __init__(self, bug: bool) -> None:
        super().__init__()
        self.lift = Lifting(3, 4)
        self.g1 = GroupConv(4, 4)
        self.g2 = GroupConv(4, 4, wrong_roll=bug)
        self.g3 = GroupConv(4, 4)
        self.relu = nn.ReLU()
        self.pool = OrientationMax()
        self.head = Pool()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.lift(x))
        x = self.relu(self.g1(x))
        x = self.relu(self.g2(x))
        x = self.relu(self.g3(x))
        return self.head(self.pool(x))


def _isotropic(cout: int, cin: int, anisotropic: bool, size: int = 9) -> torch.Tensor:
    """Radial kernels (sums of Gaussians of the radius); the anisotropic one is stretched along x."""
    r = torch.arange(size, dtype=torch.float64) - size // 2
    yy, xx = torch.meshgrid(r, r, indexing="ij")
    sx = 2.0 if anisotropic else 1.0
    rr = yy**2 + (xx / sx) ** 2
    a, b = (
        torch.randn(cout, cin, 1, 1, dtype=torch.float64),
        torch.randn(cout, cin, 1, 1, dtype=torch.float64),
    )
    w = a * torch.exp(-rr / 2.0) + b * torch.exp(-rr / 3.125)  # sigma 1 and 1.25: ~0 at the square edge
    return (w / w.abs().sum(dim=(1, 2, 3), keepdim=True)).float()


class Isotropic(nn.Module):
    """Radially symmetric convolutions with tanh between them; with the bug the third kernel is
    stretched (anisotropic): equivariant to rotations by any angle, up to interpolation, without it."""

    def __init__(self, bug: bool) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(1 if i == 0 else 4, 4, 9, padding=4, bias=False) for i in range(4)
        )
        with torch.no_grad():
            for i, conv in enumerate(self.convs):
                conv.weight.copy_(_isotropic(4, conv.in_channels, bug and i == 2))
        self.act = nn.Tanh()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = self.act(conv(x))
        return x


class MixBatch(nn.Module):
    """Subtracts half the batch mean: each output depends on the other inputs of the batch."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - 0.5 * x.mean(dim=0, keepdim=True)


class Mixed(nn.Module):
    def __init__(self, bug: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, padding_mode="circular")
        self.mix = MixBatch() if bug else nn.Identity()
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular")
        self.pool = Pool()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.conv2(torch.relu(self.mix(self.conv1(x)))))


#: name -> (model class, group, input shape, planted layer)
PLANTED: dict[str, tuple[Callable[[bool], nn.Module], str, tuple[int, ...], str]] = {
    "zero padding in the 3rd of 6 convolutions": (SixConvs, "translation", (1, 3, 16, 16), "convs.2"),
    "stride 2 without blur": (Strided, "translation", (1, 3, 16, 16), "down"),
    "learned positional embedding": (Embedded, "translation", (1, 3, 16, 16), "pos"),
    "group convolution rolled the wrong way": (P4Net, "c4", (1, 3, 12, 12), "g2"),
    "anisotropic kernel under rotations": (Isotropic, "so2", (1, 1, 40, 40), "convs.2"),
    "a layer that mixes the batch": (Mixed, "translation", (1, 3, 16, 16), "mix"),
}


def localise(case: str, seed: int, bug: bool) -> equicheck.LocateResult:
    """``locate`` on one planted network (with or without its bug), weights and input from ``seed``."""
    build, group, shape, _ = PLANTED[case]
    torch.manual_seed(seed)
    model = build(bug).eval()
    margin = 4 if group == "so2" else 0
    return equicheck.locate(model, group, input_shape=shape, seed=seed, margin=margin)


def correctness(seeds: int, report: Callable[[str], None] = print) -> bool:
    """Every planted layer named first for every seed, and no break without the bug."""
    ok = True
    for case, (_, group, _, planted) in PLANTED.items():
        named = clean = 0
        wrong: list[str] = []
        for seed in range(seeds):
            found = localise(case, seed, True).first_break
            named += found == planted
            if found != planted:
                wrong.append(f"seed {seed}: {found}")
            fixed = localise(case, seed, False).first_break
            clean += fixed is None
            if fixed is not None:
                wrong.append(f"seed {seed} without the bug: {fixed}")
        ok &= named == seeds and clean == seeds
        report(
            f"{case:45s} {group:12s} planted {planted:8s} named {named}/{seeds}, clean {clean}/{seeds}"
            + (f"  ({'; '.join(wrong[:3])})" if wrong else "")
        )
    return ok


# --- cost ---------------------------------------------------------------------------------------
class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            if stride != 1 or cin != cout
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)  # the residual addition: attributed to the block


class ResNet18(nn.Module):
    """torchvision's ResNet-18 layout (11.7 M parameters), written out here."""

    def __init__(self, classes: int = 1000) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        widths, cin, layers = [64, 128, 256, 512], 64, []
        for i, w in enumerate(widths):
            layers.append(nn.Sequential(BasicBlock(cin, w, 1 if i == 0 else 2), BasicBlock(w, w, 1)))
            cin = w
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def cost(repeats: int, report: Callable[[str], None] = print) -> float:
    """locate's time over the time of |G| + 1 plain forward passes, repeats interleaved in the
    same run; the ratio of the best times (least disturbed by other work on the machine), the
    ratio of the medians printed beside it."""
    torch.manual_seed(0)
    model = ResNet18().eval()
    x = torch.randn(1, 3, 64, 64)
    order = 4  # |C4|
    plain, located = [], []
    result = None
    with torch.no_grad():
        model(x)  # warm-up
    equicheck.locate(model, "c4", inputs=x)
    for _ in range(repeats):
        t = time.perf_counter()
        with torch.no_grad():
            for _ in range(order + 1):
                model(x)
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        result = equicheck.locate(model, "c4", inputs=x)
        located.append(time.perf_counter() - t)
    assert result is not None
    ratio = min(located) / min(plain)
    median = statistics.median(located) / statistics.median(plain)
    report(
        f"ResNet-18 (11.7 M parameters), 1x3x64x64, c4, torch {torch.__version__} on "
        f"{torch.get_num_threads()} threads: {len(result.layers)} layer calls, first break "
        f"{result.first_break}; locate {min(located) * 1e3:.0f} ms, |G|+1 = {order + 1} forward passes "
        f"{min(plain) * 1e3:.0f} ms (best of {repeats}): ratio {ratio:.2f} (target <= 2; medians: "
        f"{median:.2f}); {result.forward_calls} model calls, {result.layer_calls} layer calls"
    )
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds per planted network (default 20)")
    parser.add_argument("--quick", action="store_true", help="fewer timing repeats")
    parser.add_argument("--only", choices=["correctness", "cost"], default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    ok = True
    if args.only in (None, "correctness"):
        ok &= correctness(args.seeds)
    if args.only in (None, "cost"):
        ok &= cost(3 if args.quick else 15) <= 2.0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
