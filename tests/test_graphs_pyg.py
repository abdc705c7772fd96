"""Graphs with PyTorch Geometric: the convention against ``to_dense_adj``, GCN layers that
must pass and planted bugs that must fail, edge-order permutations, dense adjacencies,
``Data``/``Batch`` objects, bad inputs refused before f runs, and the example script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch", reason="PyTorch Geometric examples need torch")
pyg = pytest.importorskip("torch_geometric", reason="the torch-geometric extra is not installed")

from torch_geometric.data import Batch, Data  # noqa: E402
from torch_geometric.nn import GATConv, GCNConv, SAGEConv, global_mean_pool  # noqa: E402
from torch_geometric.utils import to_dense_adj  # noqa: E402

import equicheck  # noqa: E402
from equicheck.actions import graphs as kernels  # noqa: E402
from equicheck.adapters import pyg as pyg_adapter  # noqa: E402
from equicheck.adapters import torch_function  # noqa: E402
from equicheck.errors import DtypeError, ShapeError  # noqa: E402
from equicheck.graph_strategies import batch_elements, batches, graphs  # noqa: E402
from equicheck.groups.points import permute  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NODES = {"x": "nodes", "edge_index": "edge_index"}
#: graphs of one node upward, with and without edges
SMALL = graphs((1, 9))
QUICK = {"seed": 0, "max_examples": 15, "replay_dir": None}


def check(f, **kwargs):
    options = {"in_action": NODES, "out_action": "nodes", "inputs": SMALL, **QUICK}
    options.update(kwargs)
    return equicheck.check_equivariance(f, "perm", **options)


@pytest.fixture(scope="module")
def conv():
    torch.manual_seed(0)
    return GCNConv(3, 4).eval()


# --- the convention, against PyG ------------------------------------------------------------------
@settings(max_examples=40, deadline=None, database=None)
@given(graphs((1, 9), directed=True, self_loops=True), st.data())
def test_permuting_edge_index_then_to_dense_adj_permutes_rows_and_columns(g, data):
    n = g["x"].shape[0]
    p = np.asarray(data.draw(st.permutations(range(n))), dtype=np.int64)
    before = to_dense_adj(torch.from_numpy(g["edge_index"]), max_num_nodes=n)[0].numpy()
    after = to_dense_adj(
        torch.from_numpy(kernels.relabel_edge_index(np, g["edge_index"], p)), max_num_nodes=n
    )[0].numpy()
    assert np.array_equal(after, kernels.permute_adjacency(np, before, p))
    q = np.asarray(data.draw(st.permutations(range(g["edge_index"].shape[1]))), dtype=np.int64)
    reordered = kernels.permute_edge_order(np, g["edge_index"], q)
    assert np.array_equal(to_dense_adj(torch.from_numpy(reordered), max_num_nodes=n)[0].numpy(), before)


# --- node permutations: must pass, must fail ------------------------------------------------------
def test_gcnconv_is_equivariant_to_node_permutations(conv):
    result = check(conv)
    assert result.passed, result.message
    assert result.elements_checked > 10


@pytest.mark.parametrize("layer", [GCNConv, SAGEConv, GATConv])
def test_no_false_alarm_on_three_layer_float32_networks_and_larger_graphs(layer):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.ModuleList([layer(8, 32), layer(32, 32), layer(32, 8)])

        def forward(self, x, edge_index):
            for conv in self.layers:
                x = conv(x, edge_index).tanh()
            return x

    torch.manual_seed(0)
    inputs = graphs((10, 40), features=8, kinds=["random", "complete", "circulant", "tree", "bipartite"])
    result = check(Net().eval(), inputs=inputs, max_examples=8)
    assert result.passed, result.message


class NodeIndexBug(torch.nn.Module):
    """A GCN layer plus ``eps`` times the node's index: breaks equivariance by ``eps``."""

    def __init__(self, conv, eps):
        super().__init__()
        self.conv, self.eps = conv, eps

    def forward(self, x, edge_index):
        h = self.conv(x, edge_index)
        return h + self.eps * torch.arange(h.shape[0], dtype=h.dtype)[:, None]


@pytest.mark.parametrize("eps, passes", [(1e-2, False), (1e-4, False), (1e-6, True), (0.0, True)])
def test_a_layer_using_the_node_index_fails_just_above_the_tolerance(conv, eps, passes):
    result = check(NodeIndexBug(conv, eps).eval())
    assert result.passed is passes, result.message


def test_a_readout_of_node_0_fails_and_the_counterexample_names_the_nodes(conv):
    def readout_of_node_0(x, edge_index):
        h = conv(x, edge_index)
        return h + h[0]

    result = check(torch_function(readout_of_node_0))
    assert not result.passed
    ce = result.counterexample
    assert ce.element.startswith("permute(p=[")
    n = ce.input_shapes[0][0]
    assert 2 <= n <= 4, "shrinks to a small graph"
    assert 0 <= ce.worst_index[0] < n and len(ce.worst_index) == 2  # (node, channel)
    assert f"worst node: {ce.worst_index[0]} of {n}" in result.message
    assert f"for g = {ce.element}" in result.message


def test_a_sum_readout_is_invariant_and_a_first_node_readout_is_not(conv):
    def total(x, edge_index):
        return conv(x, edge_index).sum(dim=0)

    def first(x, edge_index):
        return conv(x, edge_index)[0]

    assert check(torch_function(total), out_action="trivial").passed
    assert not check(torch_function(first), out_action="trivial").passed


def test_per_edge_outputs_stay_aligned_and_do_not_move():
    def messages(x, edge_index):  # one value per edge: aligned with edge_index's columns
        return x[edge_index[0]] - x[edge_index[1]]

    def sorted_messages(x, edge_index):  # the bug: sorted, so no longer aligned with the edges
        return torch.sort(messages(x, edge_index), dim=0).values

    assert check(torch_function(messages), out_action="edges").passed
    # a per-edge output read as per-node is wrong, and the check says so
    assert not check(torch_function(messages), out_action="nodes").passed
    edges = {"in_action": {"x": "trivial", "edge_index": "edge_order(axis=1)"}, "out_action": "edge_order"}
    assert check(torch_function(messages), **edges).passed
    assert not check(torch_function(sorted_messages), **edges).passed


def test_permuting_the_edge_order_alone_as_pyg_tests_it(conv):
    """PyG's own permutation test: shuffle edge_index's columns, the nodes' outputs stay put."""
    result = check(conv, in_action={"x": "trivial", "edge_index": "edge_order(axis=1)"}, out_action="trivial")
    assert result.passed, result.message

    def first_edge_only(x, edge_index):
        return conv(x, edge_index[:, :1])

    bad = check(
        torch_function(first_edge_only),
        in_action={"x": "trivial", "edge_index": "edge_order(axis=1)"},
        out_action="trivial",
    )
    assert not bad.passed


def test_dense_adjacency_models():
    torch.manual_seed(1)
    w = torch.randn(3, 4, dtype=torch.float64)

    def dense_layer(x, adj):
        return adj.double() @ x.double() @ w

    def dense_bug(x, adj):
        return adj.double() @ x.double() @ w + x.double()[-1] @ w

    dense = {"in_action": {"x": "nodes", "adj": "adjacency"}, "inputs": graphs((2, 8), dense=True)}
    assert check(torch_function(dense_layer), **dense).passed
    assert not check(torch_function(dense_bug), **dense).passed


# --- Data and Batch -------------------------------------------------------------------------------
def test_data_round_trip_and_default_actions():
    data = Data(x=torch.randn(4, 3), edge_index=torch.tensor([[0, 1, 2], [1, 2, 3]]))
    arrays = pyg_adapter.from_data(data)
    assert set(arrays) == {"x", "edge_index"} and arrays["edge_index"].dtype == np.int64
    back = pyg_adapter.to_data(arrays)
    assert isinstance(back, Data) and torch.equal(back.edge_index, data.edge_index)
    assert pyg_adapter.actions_for(data) == NODES
    batch = Batch.from_data_list([data, data])
    assert isinstance(pyg_adapter.to_data(pyg_adapter.from_data(batch)), Batch)
    assert pyg_adapter.actions_for(batch) == {**NODES, "batch": "batch", "ptr": "trivial"}


def test_data_attributes_that_are_no_tensors_are_refused():
    data = Data(x=torch.randn(2, 3), edge_index=torch.tensor([[0], [1]]), name="mol")
    with pytest.raises(TypeError, match="'name'"):
        pyg_adapter.from_data(data)
    with pytest.raises(KeyError, match="smiles"):
        pyg_adapter.actions_for({"x": 0, "smiles": 0})
    with pytest.raises(TypeError, match="Data or Batch"):
        pyg_adapter.from_data({"x": 1})


def test_a_model_of_data_objects(conv):
    class OnData(torch.nn.Module):
        def __init__(self, conv):
            super().__init__()
            self.conv = conv

        def forward(self, data):
            return Data(h=self.conv(data.x, data.edge_index), edge_index=data.edge_index)

    model = pyg_adapter.data_model(OnData(conv).eval())
    result = check(model, out_action={"h": "nodes", "edge_index": "edge_index"})
    assert result.passed, result.message


def test_batches_with_permutations_within_each_graph(conv):
    def pooled(x, edge_index, batch):
        return global_mean_pool(conv(x, edge_index), batch)

    def first_of_each_graph(x, edge_index, batch):  # the bug: reads the first node of each graph
        h = conv(x, edge_index)
        starts = torch.cumsum(torch.bincount(batch), 0) - torch.bincount(batch)
        return h[starts]

    data = Batch.from_data_list(
        [Data(x=torch.randn(n, 3), edge_index=torch.tensor([[0, 1], [1, 0]])) for n in (3, 4)]
    )
    arrays = pyg_adapter.from_data(data)
    arrays.pop("ptr")
    options = {
        "in_action": pyg_adapter.actions_for(arrays),
        "inputs": arrays,
        "elements": batch_elements(arrays["batch"], count=6),
        "out_action": "trivial",
        **QUICK,
    }
    assert equicheck.check_equivariance(torch_function(pooled), "perm", **options).passed
    assert not equicheck.check_equivariance(torch_function(first_of_each_graph), "perm", **options).passed
    crossing = {**options, "elements": [permute(p=[3, 1, 2, 0, 4, 5, 6])]}
    with pytest.raises(ShapeError, match="between the graphs of a batch"):
        equicheck.check_equivariance(torch_function(pooled), "perm", **crossing)


def test_drawn_batches_of_fixed_graph_sizes(conv):
    def pooled(x, edge_index, batch):
        return global_mean_pool(conv(x, edge_index), batch)

    def first_of_each_graph(x, edge_index, batch):
        return conv(x, edge_index)[torch.tensor([0, 3])]

    options = {
        "in_action": {"x": "nodes", "edge_index": "edge_index", "batch": "batch"},
        "inputs": batches(blocks=(3, 4)),
        "elements": batch_elements(blocks=(3, 4)),
        "out_action": "trivial",
        **QUICK,
    }
    assert equicheck.check_equivariance(torch_function(pooled), "perm", **options).passed
    assert not equicheck.check_equivariance(torch_function(first_of_each_graph), "perm", **options).passed


def test_drawn_batches_keep_graphs_apart():
    found = find(batches((2, 2), (2, 4)), lambda b: True)
    assert found["batch"].tolist() == [0, 0, 1, 1]


# --- bad inputs: named errors before f runs -------------------------------------------------------
@pytest.mark.parametrize(
    "edge_index, error, words",
    [
        (np.array([[0, 1], [1, 5]]), ShapeError, "refers to node 5, but the graph has 4 nodes"),
        (np.array([[0.0, 1.0], [1.0, 2.0]]), DtypeError, "integer node numbers"),
        (np.array([[0, 1, 2], [1, 2, 3], [2, 3, 0]]), ShapeError, "shape (2, E)"),
    ],
)
def test_bad_graphs_are_refused_before_f_runs(edge_index, error, words):
    calls = []

    def f(x, edge_index):
        calls.append(1)
        return x

    with pytest.raises(error) as info:
        check(f, inputs={"x": np.ones((4, 3)), "edge_index": edge_index})
    assert words in str(info.value)
    assert not calls


def test_inputs_that_disagree_on_n_are_refused():
    with pytest.raises(ShapeError, match="disagree on the number of nodes"):
        check(
            lambda x, adj: x,
            in_action={"x": "nodes", "adj": "adjacency"},
            inputs={"x": np.ones((5, 3)), "adj": np.ones((4, 4))},
        )


# --- the example ----------------------------------------------------------------------------------
def test_the_example_passes_the_gcn_and_catches_the_bug(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "pyg_gcn.py"), "--examples", "8"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "GCN, per-node outputs    PASSED" in proc.stdout
    assert "GCN reading node 0       FAILED" in proc.stdout
    assert "counterexample: permute(p=[" in proc.stdout and "largest error at node" in proc.stdout
    assert "UNEXPECTED" not in proc.stdout
