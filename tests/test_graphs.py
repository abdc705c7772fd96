"""Graphs without PyTorch: the permutation kernels and their one convention, the graph actions
and their names, bad inputs, and the graph strategies (kinds, layout, shrinking)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from equicheck import actions
from equicheck.actions import graphs as kernels
from equicheck.errors import DtypeError, OptionError, ShapeError, SpecError
from equicheck.graph_strategies import KINDS, batch_elements, batches, build_edges, graph_inputs, graphs
from equicheck.groups import perm
from equicheck.groups.points import permute

FAST = settings(max_examples=40, deadline=None, database=None)


def dense(edge_index: np.ndarray, n: int) -> np.ndarray:
    """The adjacency with edge multiplicities, written out by hand (to_dense_adj's rule)."""
    a = np.zeros((n, n))
    for s, t in edge_index.T:
        a[s, t] += 1
    return a


@st.composite
def graph_and_permutation(draw):
    g = draw(graphs((1, 9), directed=draw(st.booleans()), self_loops=draw(st.booleans())))
    p = np.asarray(draw(st.permutations(range(g["x"].shape[0]))), dtype=np.int64)
    return g, p


# --- the convention -----------------------------------------------------------------------------
def test_node_i_goes_to_position_p_i():
    x = np.array([[10.0], [11.0], [12.0]])
    p = [2, 0, 1]  # node 0 -> position 2, node 1 -> 0, node 2 -> 1
    out = kernels.permute_axis(np, x, p)
    assert out[:, 0].tolist() == [11.0, 12.0, 10.0]
    for i in range(3):
        assert out[p[i]] == x[i]
    edge_index = np.array([[0, 1], [1, 2]])
    assert kernels.relabel_edge_index(np, edge_index, p).tolist() == [[2, 0], [0, 1]]


@FAST
@given(graph_and_permutation())
def test_relabelled_edges_give_the_permuted_adjacency(case):
    g, p = case
    n = g["x"].shape[0]
    moved = kernels.relabel_edge_index(np, g["edge_index"], p)
    assert moved.dtype == np.int64
    assert np.array_equal(dense(moved, n), kernels.permute_adjacency(np, dense(g["edge_index"], n), p))


@FAST
@given(graph_and_permutation(), st.data())
def test_permutations_compose_as_the_group_law(case, data):
    g, p = case
    q = np.asarray(data.draw(st.permutations(range(len(p)))), dtype=np.int64)
    pq = p[q]  # q first, then p: node i -> q[i] -> p[q[i]]
    x = g["x"]
    twice = kernels.permute_axis(np, kernels.permute_axis(np, x, q), p)
    assert np.array_equal(twice, kernels.permute_axis(np, x, pq))
    back = kernels.permute_axis(np, kernels.permute_axis(np, x, p), kernels.inverse_permutation(p))
    assert np.array_equal(back, x)


def test_edge_order_moves_columns_and_keeps_the_graph():
    edge_index = np.array([[0, 1, 2, 2], [1, 2, 0, 1]])
    q = [3, 0, 1, 2]  # edge 0 -> position 3
    moved = kernels.permute_edge_order(np, edge_index, q)
    assert moved[:, 3].tolist() == [0, 1]
    assert np.array_equal(dense(moved, 3), dense(edge_index, 3))


def test_kernels_run_on_the_strict_array_api():
    xp = pytest.importorskip("array_api_strict", reason="array-api-strict is in the test extra")
    x = xp.asarray(np.arange(12.0).reshape(4, 3))
    p = [1, 3, 0, 2]
    out = kernels.permute_axis(xp, x, p)
    assert np.array_equal(np.asarray(out), kernels.permute_axis(np, np.arange(12.0).reshape(4, 3), p))
    ei = xp.asarray(np.array([[0, 1], [2, 3]], dtype=np.int64))
    assert np.asarray(kernels.relabel_edge_index(xp, ei, p)).tolist() == [[1, 3], [0, 2]]


# --- bad input: named errors before any work ------------------------------------------------------
@pytest.mark.parametrize(
    "edge_index, error, words",
    [
        (np.array([[0, 1], [1, 3]]), ShapeError, "refers to node 3, but the graph has 3 nodes"),
        (np.array([[0, -1], [1, 2]]), ShapeError, "refers to node -1"),
        (np.array([[0.0, 1.0], [1.0, 2.0]]), DtypeError, "integer node numbers"),
        (np.array([[0, 1, 2]]), ShapeError, "shape (2, E)"),
        (np.array([[0, 1], [1, 2], [2, 0]]), ShapeError, ".T"),
    ],
)
def test_bad_edge_index_is_refused_by_name(edge_index, error, words):
    with pytest.raises(error, match=None) as info:
        kernels.relabel_edge_index(np, edge_index, [1, 2, 0])
    assert words in str(info.value)


def test_a_range_just_inside_passes():
    assert kernels.relabel_edge_index(np, np.array([[0, 2], [2, 0]]), [1, 2, 0]).tolist() == [[1, 0], [0, 1]]


@pytest.mark.parametrize(
    "p, words",
    [
        ([0, 0, 1], "no permutation"),
        ([0, 1, 3], "no permutation"),
        ([0.5, 1, 2], "integer"),
        ([[0, 1]], "one row"),
    ],
)
def test_bad_permutations_are_refused(p, words):
    with pytest.raises((ShapeError, DtypeError), match=words):
        kernels.as_permutation(p)


def test_permutation_length_must_match_the_axis():
    with pytest.raises(ShapeError, match="moves 3 nodes .* has 4 on axis 0"):
        kernels.permute_axis(np, np.zeros((4, 2)), [1, 2, 0])


def test_adjacency_must_be_square():
    with pytest.raises(ShapeError, match="two axes of the same length"):
        actions.from_name("adjacency").prepare(perm(), (3, 4))


# --- the actions ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "nodes",
        "nodes(axis=1)",
        "adjacency",
        "adjacency(axes=[1, 2])",
        "edge_index",
        "edges",
        "edge_order(axis=1)",
        "batch",
    ],
)
def test_graph_actions_read_back_from_their_names(name):
    act = actions.from_name(name)
    assert act.name == name
    assert actions.from_name(act.name).name == name
    assert actions.is_named(act)


def test_actions_say_n_from_the_shape():
    assert actions.from_name("nodes").grid((5, 3)) == (5,)
    assert actions.from_name("nodes(axis=1)").grid((2, 7, 3)) == (7,)
    assert actions.from_name("adjacency").grid((4, 4)) == (4,)
    assert actions.from_name("edge_order(axis=1)").grid((2, 9)) == (9,)
    assert actions.from_name("edge_index").grid((2, 9)) is None
    assert actions.from_name("edges").grid((9, 2)) is None


def test_actions_move_arrays_by_the_elements_permutation():
    g = permute(p=[2, 0, 1])
    x = np.arange(6.0).reshape(3, 2)
    ei = np.array([[0, 1], [1, 2]])
    assert np.array_equal(actions.from_name("nodes").apply(g, x), kernels.permute_axis(np, x, [2, 0, 1]))
    assert actions.from_name("edge_index").apply(g, ei).tolist() == [[2, 0], [0, 1]]
    assert actions.from_name("edges").apply(g, x) is x
    a = dense(ei, 3)
    assert np.array_equal(actions.from_name("adjacency").apply(g, a), dense(np.array([[2, 0], [0, 1]]), 3))
    identity = permute(p=[0, 1, 2])
    assert np.array_equal(actions.from_name("nodes").apply(identity, x), x)


def test_an_element_without_permutation_is_refused():
    from equicheck.groups import rot90

    with pytest.raises(SpecError, match="no permutation part"):
        actions.from_name("nodes").apply(rot90(k=1), np.zeros((3, 2)))


def test_batch_vector_stays_put_within_graphs_and_refuses_crossing():
    batch = np.array([0, 0, 1, 1, 1])
    act = actions.from_name("batch")
    assert act.blocks(batch) == (2, 3)
    assert np.array_equal(act.apply(permute(p=[1, 0, 4, 2, 3]), batch), batch)
    with pytest.raises(ShapeError, match="between the graphs of a batch"):
        act.apply(permute(p=[2, 1, 0, 3, 4]), batch)
    with pytest.raises(ShapeError, match="in order"):
        kernels.blocks_of(np.array([1, 0, 0]))
    assert kernels.within_blocks([1, 0, 2], (2, 1)) and not kernels.within_blocks([0, 2, 1], (2, 1))


# --- strategies -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("directed", [False, True])
def test_every_kind_is_a_valid_pyg_graph(kind, directed):
    for n in range(1, 9):
        for seed in range(3):
            ei = build_edges(kind, n, seed, directed=directed)
            assert ei.dtype == np.int64 and ei.shape[0] == 2
            assert ei.size == 0 or (ei.min() >= 0 and ei.max() < n)
            pairs = set(map(tuple, ei.T.tolist()))
            assert all(s != t for s, t in pairs), "no self-loops unless asked"
            assert ei.T.tolist() == sorted(ei.T.tolist())
            if directed:
                assert not any((t, s) in pairs for s, t in pairs)
            else:
                assert all((t, s) in pairs for s, t in pairs)


def degrees(ei: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(ei[0], minlength=n)


def components(ei: np.ndarray, n: int) -> int:
    parent = list(range(n))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for s, t in ei.T:
        parent[root(s)] = root(t)
    return len({root(i) for i in range(n)})


def test_kinds_have_their_shape():
    n = 8
    assert set(degrees(build_edges("cycle", n, 0), n)) == {2}
    assert set(degrees(build_edges("complete", n, 0), n)) == {n - 1}
    assert len(set(degrees(build_edges("circulant", n, 5), n))) == 1  # regular
    assert build_edges("tree", n, 3).shape[1] == 2 * (n - 1) and components(build_edges("tree", n, 3), n) == 1
    assert all(components(build_edges("disconnected", n, s), n) >= 2 for s in range(5))
    assert all(0 in degrees(build_edges("isolated", n, s), n) for s in range(5))
    loops = build_edges("path", n, 1, self_loops=True)
    assert any(s == t for s, t in loops.T)


def test_graphs_have_pyg_layout():
    g = find(graphs((3, 5), edge_features=2, dtype="float64"), lambda g: g["edge_index"].shape[1] > 2)
    assert g["x"].dtype == np.float64 and g["x"].shape == (3, 3)
    assert g["edge_attr"].shape == (g["edge_index"].shape[1], 2)
    d = find(graphs((3, 5), dense=True), lambda g: True)
    assert set(d) == {"x", "adj"} and d["adj"].shape == (3, 3)
    m = find(graphs((3, 5), positions=3), lambda g: True)
    assert m["pos"].shape == (3, 3) and m["pos"].dtype == np.float32


def test_graphs_shrink_to_the_fewest_nodes_and_a_path():
    smallest = find(graphs(), lambda g: True)
    assert smallest["x"].shape[0] == 1 and smallest["edge_index"].shape == (2, 0)
    with_edges = find(graphs(), lambda g: g["edge_index"].shape[1] > 0)
    assert with_edges["edge_index"].tolist() == [[0, 1], [1, 0]]  # two nodes, one undirected edge
    three = find(graphs(), lambda g: g["edge_index"].shape[1] >= 6)
    # three undirected edges: a triangle (3 nodes) or a path toward which kinds shrink (4 nodes)
    assert three["x"].shape[0] in (3, 4) and three["edge_index"].shape[1] == 6


def test_batches_offset_each_graph():
    b = find(batches(), lambda b: b["batch"].max() >= 1 and b["edge_index"].shape[1] > 0)
    assert b["batch"].tolist() == sorted(b["batch"].tolist())
    blocks = kernels.blocks_of(b["batch"])
    ends = np.cumsum(blocks)
    graph_of = np.searchsorted(ends, b["edge_index"], side="right")
    assert np.array_equal(graph_of[0], graph_of[1]), "edges stay inside their graph"


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"nodes": (0, 3)}, "1 <= min <= max"),
        ({"nodes": (4, 3)}, "1 <= min <= max"),
        ({"nodes": "many"}, "(min, max)"),
        ({"features": -1}, "non-negative"),
        ({"dtype": "int8"}, "'float16', 'float32' or 'float64'"),
        ({"kinds": ["hexagon"]}, "hexagon"),
        ({"positions": 4}, "positions must be 0 (none), 2 or 3"),
    ],
)
def test_bad_strategy_arguments_are_refused_when_built(kwargs, words):
    with pytest.raises(OptionError, match=None) as info:
        graphs(**kwargs)
    assert words in str(info.value)


def test_actions_name_the_axis_they_enumerate():
    assert actions.from_name("nodes(axis=-2)").point_axis(3) == 1
    assert actions.from_name("adjacency(axes=[1, 2])").point_axis(3) == 1
    assert actions.from_name("edge_order(axis=1)").item == "edge"
    assert actions.from_name("nodes").item == "node"
    with pytest.raises(ShapeError, match="out of range"):
        actions.from_name("nodes(axis=2)").grid((4, 3))


# --- end to end, NumPy models ---------------------------------------------------------------------
SMALL = dict(nodes=(1, 8), dtype="float64")


def message_passing(x, edge_index):
    out = x.copy()
    np.add.at(out, edge_index[1], x[edge_index[0]])
    return out


def distance_weighted(x, edge_index, pos):
    d = np.sum((pos[edge_index[0]] - pos[edge_index[1]]) ** 2, axis=-1, keepdims=True)
    out = x.copy()
    np.add.at(out, edge_index[1], x[edge_index[0]] * np.exp(-d))
    return out


def run(f, group="perm", **kwargs):
    import equicheck

    options = {
        "in_action": {"x": "nodes", "edge_index": "edge_index"},
        "out_action": "nodes",
        "inputs": graphs(**SMALL),
        "max_examples": 20,
        "seed": 0,
        "replay_dir": None,
    }
    return equicheck.check_equivariance(f, group, **{**options, **kwargs})


def test_numpy_message_passing_holds_and_a_node_0_readout_fails():
    assert run(message_passing).passed
    bad = run(lambda x, edge_index: message_passing(x, edge_index) + x[0])
    assert not bad.passed and bad.counterexample.element.startswith("permute(p=")
    assert bad.counterexample.input_shapes[0] == [2, 3], "shrinks to two nodes"
    assert "worst node: " in bad.message


def test_graphs_are_drawn_for_the_actions_when_no_inputs_are_given():
    import equicheck

    options = {"in_action": {"x": "nodes", "edge_index": "edge_index"}, "out_action": "nodes"}
    options.update(max_examples=20, seed=0, replay_dir=None)
    assert equicheck.check_equivariance(message_passing, "perm", **options).passed
    def reversed_rows(x, edge_index):
        return message_passing(x, edge_index)[::-1]

    bad = equicheck.check_equivariance(reversed_rows, "perm", **options)
    assert not bad.passed and "worst node: " in bad.message


def test_a_molecule_graph_under_e3_times_permutations():
    inputs = graphs(**SMALL, positions=3)
    both = {"in_action": {"x": "nodes", "edge_index": "edge_index", "pos": "positions"}, "inputs": inputs}
    assert run(distance_weighted, "product(e3, perm)", **both).passed
    def origin_dependent(x, edge_index, pos):
        return distance_weighted(x, edge_index, pos) + pos[:, :1]

    assert not run(origin_dependent, "product(e3, perm)", **both).passed


def test_batches_of_fixed_sizes_and_their_elements():
    b = find(batches(blocks=(3, 1, 2)), lambda b: True)
    assert b["batch"].tolist() == [0, 0, 0, 1, 2, 2]
    els = batch_elements(blocks=(3, 1, 2), count=5)
    assert len(els) == 5 and len(set(map(repr, els))) == 5
    assert els[0].permutation == (1, 0, 2, 3, 4, 5)  # a transposition in the first graph first
    assert all(kernels.within_blocks(g.permutation, (3, 1, 2)) for g in els)
    assert [repr(g) for g in batch_elements(b["batch"], count=5)] == [repr(g) for g in els]
    assert batch_elements(blocks=(1,))[0].permutation in (None, (0,))


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: batches(blocks=(3, 0)), "positive node counts"),
        (lambda: batches(blocks=5), "positive node counts"),
        (lambda: batch_elements(), "either as a batch vector or as blocks="),
        (lambda: batch_elements([0, 1], blocks=(1, 1)), "not both"),
        (lambda: batch_elements(blocks=(2,), count=0), "positive integer"),
        (lambda: batches((0, 2)), "1 <= min <= max"),
    ],
)
def test_bad_batch_arguments_are_refused(call, words):
    with pytest.raises(OptionError) as info:
        call()
    assert words in str(info.value)


def test_a_graph_counterexample_replays_in_one_line(tmp_path):
    import equicheck

    def reads_node_0(x, edge_index):
        return message_passing(x, edge_index) + x[0]

    result = run(reads_node_0, replay_dir=tmp_path)
    ce = result.counterexample
    assert ce.replay.startswith("equicheck.replay(") and ce.path is not None
    again = equicheck.replay(ce.path, reads_node_0)
    assert not again.passed and again.worst_element == ce.element
    assert equicheck.replay(ce.path, message_passing).passed


@pytest.mark.parametrize(
    "word, suggestion", [("graph", "'trivial'"), ("node", "'nodes'"), ("edge_attr", "'edges'")]
)
def test_words_for_graph_outputs_suggest_the_action(word, suggestion):
    with pytest.raises(SpecError, match=suggestion):
        actions.from_name(word)


def test_graph_inputs_lay_a_graph_out_for_the_actions():
    drawn = find(
        graph_inputs({"h": "nodes", "ei": "edge_index", "ea": "edges", "a": "adjacency", "b": "batch"}),
        lambda g: g["ei"].shape[1] > 0,
    )
    assert drawn["h"].shape == (2, 3) and drawn["ea"].shape == (2, 3)
    assert drawn["a"].tolist() == [[0, 1], [1, 0]] and drawn["b"].tolist() == [0, 0]
    pair = find(graph_inputs(("nodes", "edge_index")), lambda g: True)
    assert isinstance(pair, tuple) and pair[0].shape == (1, 3) and pair[1].shape == (2, 0)
    order = find(graph_inputs({"x": "trivial", "ei": "edge_order(axis=1)"}), lambda g: True)
    assert order["x"].shape == (1, 3)


@pytest.mark.parametrize(
    "in_action, words",
    [
        ({"x": "nodes", "y": "trivial"}, "cannot draw input 'y' for the action trivial"),
        ({"x": "nodes", "y": "nodes"}, "two inputs"),
        ({"x": "nodes(axis=1)"}, "give inputs="),
        ({"x": "spatial"}, "give inputs="),
    ],
)
def test_graph_inputs_refuse_what_they_cannot_draw(in_action, words):
    with pytest.raises(OptionError) as info:
        graph_inputs(in_action)
    assert words in str(info.value)


def test_a_check_with_inputs_drawn_for_its_actions():
    in_action = {"x": "nodes", "edge_index": "edge_index"}
    assert run(message_passing, inputs=graph_inputs(in_action, (1, 8))).passed


def test_per_edge_outputs_of_a_graph_without_edges():
    """Zero edges: the per-edge output has zero rows and still compares (nothing to differ)."""
    import equicheck

    def per_edge(x, edge_index):
        return x[edge_index[0]] - x[edge_index[1]]

    empty = {"x": np.ones((2, 3)), "edge_index": np.zeros((2, 0), dtype=np.int64)}
    nodes = run(per_edge, inputs=empty, out_action="edges")
    assert nodes.passed
    order = equicheck.check_equivariance(
        per_edge,
        "perm",
        in_action={"x": "trivial", "edge_index": "edge_order(axis=1)"},
        out_action="edge_order",
        inputs=empty,
        replay_dir=None,
    )
    assert order.passed
