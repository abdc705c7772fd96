"""Check an e3nn interatomic potential: energy invariant, forces polar vectors, per-atom
features equivariant in their irreps, all under E(3) x S_n (rotations, reflections,
translations and the order of the atoms) — and catch a planted bug.

The model is a 3-layer message-passing network as e3nn users write one: atom types embedded
as scalars, edge directions as spherical harmonics up to l = 2, tensor products weighted by
a radial network, forces as -dE/dx by autograd. The planted bug returns the l = 1 features
in the order (y, z, x) (e3nn's order before version 0.2) while they are declared as e3nn's
'1o' (x, y, z). Skips cleanly (exit status 0) where e3nn or PyTorch is not installed.

Run: python examples/e3nn_potential.py [--examples N] [--dtype float32|float64]
"""

from __future__ import annotations

import argparse
from typing import Any

import equicheck

#: The per-atom features the model returns, as e3nn writes irreps.
FEATURES = "8x0e + 4x1o + 2x2e"


def build_model(layers: int = 3, num_types: int = 4, seed: int = 0, swap_vectors: bool = False) -> Any:
    """The potential as a torch module: ``model(pos, types)`` with ``pos`` (B, n, 3) and
    ``types`` (B, n) integers returns ``{'energy': (B,), 'forces': (B, n, 3), 'features':
    (B, n, 30)}``; atoms of one structure all interact (a smooth radial cutoff at 4)."""
    import torch
    from e3nn import o3
    from e3nn.math import soft_one_hot_linspace
    from e3nn.nn import FullyConnectedNet

    torch.manual_seed(seed)

    class Potential(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.num_types = num_types
            self.sh = o3.Irreps.spherical_harmonics(2)
            hidden = o3.Irreps(FEATURES)
            irreps_in = o3.Irreps(f"{num_types}x0e")
            self.tps = torch.nn.ModuleList()
            self.radials = torch.nn.ModuleList()
            for _ in range(layers):
                tp = o3.FullyConnectedTensorProduct(irreps_in, self.sh, hidden, shared_weights=False)
                self.tps.append(tp)
                self.radials.append(FullyConnectedNet([8, 16, tp.weight_numel], torch.nn.functional.silu))
                irreps_in = hidden
            self.readout = o3.Linear(hidden, "1x0e")

        def forward(self, pos: torch.Tensor, types: torch.Tensor) -> dict[str, torch.Tensor]:
            with torch.enable_grad():
                pos = pos.detach().clone().requires_grad_(True)
                batch, n, _ = pos.shape
                flat = pos.reshape(batch * n, 3)
                index = torch.arange(batch * n).reshape(batch, n)
                src = index[:, :, None].expand(batch, n, n).reshape(-1)
                dst = index[:, None, :].expand(batch, n, n).reshape(-1)
                keep = src != dst
                src, dst = src[keep], dst[keep]
                vec = flat[dst] - flat[src]
                length = vec.norm(dim=-1)
                sh = o3.spherical_harmonics(self.sh, vec, normalize=True, normalization="component")
                basis = soft_one_hot_linspace(length, 0.0, 4.0, 8, basis="smooth_finite", cutoff=True)
                h = torch.nn.functional.one_hot(types.reshape(-1).long(), self.num_types).to(pos.dtype)
                for tp, radial in zip(self.tps, self.radials):
                    messages = tp(h[src], sh, radial(basis * 8**0.5)) / max(n - 1, 1) ** 0.5
                    h = torch.zeros(batch * n, messages.shape[1], dtype=pos.dtype).index_add(0, dst, messages)
                energy = self.readout(h).reshape(batch, n).sum(dim=1)
                (grad,) = torch.autograd.grad(energy.sum(), pos)
            features = h.detach().reshape(batch, n, -1)
            if swap_vectors:  # the planted bug: l = 1 components as (y, z, x)
                vectors = features[..., 8:20].reshape(batch, n, 4, 3)[..., [1, 2, 0]]
                parts = [features[..., :8], vectors.reshape(batch, n, 12), features[..., 20:]]
                features = torch.cat(parts, dim=-1)
            return {"energy": energy.detach(), "forces": -grad, "features": features}

    return Potential().eval()


def check(model: Any, examples: int, dtype: str, seed: int = 0) -> equicheck.CheckResult:
    """The one check: every output and its action, E(3) x S_n, batches of 2 structures."""
    return equicheck.check_equivariance(
        model,  # a float32 model: equicheck measures its rounding against a float64 copy
        "product(e3, perm)",
        in_action={"pos": "positions", "types": "types"},
        out_action={"energy": "trivial", "forces": "vectors", "features": f"irreps('{FEATURES}')"},
        input_shape={"pos": (2, None, 3), "types": (2, None)},
        batched=True,
        dtypes=(dtype,),
        sizes=(2, 8),
        seed=seed,
        max_examples=examples,
        replay_dir=None,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=30, help="inputs per check (default 30)")
    parser.add_argument("--dtype", default="float64", choices=("float32", "float64"))
    args = parser.parse_args(argv)
    try:
        import e3nn  # noqa: F401
        import torch
    except ImportError as exc:
        print(f"skipped: e3nn and PyTorch are needed ({exc}); pip install 'equicheck[e3nn]'")
        return 0
    torch.set_default_dtype(getattr(torch, args.dtype))  # the dtype e3nn builds its weights in

    good = check(build_model(), args.examples, args.dtype)
    print(good.summary() if hasattr(good, "summary") else good)
    bad = check(build_model(swap_vectors=True), args.examples, args.dtype)
    print(bad.summary() if hasattr(bad, "summary") else bad)
    if bad.counterexample is not None:
        print("counterexample:", bad.counterexample.element)
        print("message:", bad.message)
    ok = good.passed and not bad.passed
    print("as expected" if ok else "UNEXPECTED: the correct model must pass and the planted bug must fail")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
