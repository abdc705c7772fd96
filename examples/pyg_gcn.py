"""Check a PyTorch Geometric GCN under permutations of its nodes, and catch a planted bug.

A two-layer GCN (``GCNConv``) is permutation-equivariant: renumbering the nodes renumbers
its per-node outputs the same way (``perm`` with ``x`` as ``nodes`` and ``edge_index`` as
``edge_index``), and its mean readout is invariant. The planted bug adds node 0's features to
every node (a "readout of node 0"), which depends on the numbering: equicheck finds a
permutation that shows it and names the node where the error is largest.
Skips cleanly (exit status 0) where PyTorch Geometric is not installed.

Run: python examples/pyg_gcn.py [--examples N]
"""

from __future__ import annotations

import argparse
from typing import Any

import equicheck
from equicheck.graph_strategies import graphs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=30, help="graphs per check (default 30)")
    args = parser.parse_args(argv)
    try:
        import torch
        from torch_geometric.nn import GCNConv
    except ImportError as exc:
        print(f"skipped: PyTorch Geometric is not available ({exc}); pip install torch-geometric")
        return 0

    class GCN(torch.nn.Module):
        def __init__(self, read_node_0: bool = False) -> None:
            super().__init__()
            self.conv1, self.conv2 = GCNConv(3, 16), GCNConv(16, 4)
            self.read_node_0 = read_node_0

        def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
            h = self.conv1(x, edge_index).relu()
            if self.read_node_0:
                h = h + h[0]  # the bug: every node sees node 0, whichever node is numbered 0
            return self.conv2(h, edge_index)

    def mean_readout(x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        return gcn(x, edge_index).mean(dim=0)

    torch.manual_seed(0)
    gcn, buggy = GCN().eval(), GCN(read_node_0=True).eval()
    # paths, stars, cycles, complete graphs, trees, random, circulant, bipartite, disconnected, ...
    inputs = graphs((1, 10), features=3)
    common: dict[str, Any] = {
        "in_action": {"x": "nodes", "edge_index": "edge_index"},
        "inputs": inputs,
        "seed": 0,
        "max_examples": args.examples,
        "replay_dir": None,
    }
    checks: list[tuple[str, Any, str, str]] = [
        ("GCN, per-node outputs", gcn, "nodes", "passed"),
        ("GCN, mean readout", equicheck.adapters.torch_function(mean_readout), "trivial", "passed"),
        ("GCN reading node 0", buggy, "nodes", "failed"),
    ]
    unexpected = 0
    for what, model, out_action, expected in checks:
        result = equicheck.check_equivariance(model, "perm", out_action=out_action, **common)
        unexpected += result.verdict != expected
        mark = "as expected" if result.verdict == expected else f"UNEXPECTED (expected {expected})"
        print(f"{what:24s} {result.verdict.upper():7s} max error {result.max_error:.2g} ({mark})")
        ce = result.counterexample
        if ce is not None:
            nodes = ce.input_shapes[0][0]
            print(f"{'':24s} counterexample: {ce.element} on a graph of {nodes} nodes")
            if ce.worst_index:
                node, channel = ce.worst_index[0], ce.worst_index[1]
                where = f"node {node} (numbered after the permutation), channel {channel}"
                print(f"{'':24s} largest error at {where}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    raise SystemExit(main())
