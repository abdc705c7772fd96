"""Hypothesis strategies for graphs: random graphs, trees, automorphism-rich graphs (cycles,
complete, circulant and complete bipartite graphs, stars), disconnected graphs and isolated
nodes, as PyTorch Geometric lays them out.

Hypothesis draws only a few numbers (node count, kind, seed, density, feature family) and
NumPy builds the graph from them, so an example costs little and shrinks to the fewest nodes,
the simplest kind (a path), seed 0 and plain Gaussian features. A drawn graph is a dict of
NumPy arrays, ready for ``check_equivariance(..., inputs=graphs())``: ``"x"`` (n, F) node
features, ``"edge_index"`` (2, E) int64 in PyG's layout (an undirected edge is two columns,
edges sorted by source then target), and on request ``"edge_attr"`` (E, F_e), ``"adj"``
(n, n) or, from :func:`batches`, PyG's ``"batch"`` vector.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .errors import OptionError

__all__ = ["FEATURES", "KINDS", "batch_elements", "batches", "build_edges", "graph_inputs", "graphs"]

#: Kinds of graph, simplest first (what shrinking moves toward).
KINDS: tuple[str, ...] = (
    "path",
    "star",
    "cycle",
    "complete",
    "tree",
    "random",
    "circulant",
    "bipartite",
    "disconnected",
    "isolated",
)

#: Node feature families, simplest first: Gaussian noise, or one value shared by every node
#: (then every automorphism of the graph maps the input to itself).
FEATURES: tuple[str, ...] = ("noise", "constant")


def _pairs(kind: str, n: int, rng: np.random.Generator, density: float) -> list[tuple[int, int]]:
    """The undirected edges (i < j) of one graph of ``kind`` on nodes 0..n-1."""
    if n < 2:
        return []
    if kind == "path":
        return [(i, i + 1) for i in range(n - 1)]
    if kind == "star":
        return [(0, i) for i in range(1, n)]
    if kind == "cycle":
        return [(i, i + 1) for i in range(n - 1)] + ([(0, n - 1)] if n > 2 else [])
    if kind == "complete":
        return [(i, j) for i in range(n) for j in range(i + 1, n)]
    if kind == "tree":  # each node hangs from an earlier one: a uniform recursive tree
        return [(int(rng.integers(0, i)), i) for i in range(1, n)]
    if kind == "random":  # Erdős–Rényi with the drawn density
        return [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < density]
    if kind == "circulant":  # i ~ i ± s for a few steps s: vertex-transitive, regular
        steps = {int(s) for s in rng.integers(1, n // 2 + 1, size=2)} if n > 2 else {1}
        return sorted({(min(i, (i + s) % n), max(i, (i + s) % n)) for i in range(n) for s in steps})
    if kind == "bipartite":  # complete bipartite K_{a, n-a}
        a = int(rng.integers(1, n))
        return [(i, j) for i in range(a) for j in range(a, n)]
    if kind == "disconnected":  # two components of random kinds, side by side
        a = int(rng.integers(1, n))
        left = _pairs(str(rng.choice(KINDS[:6])), a, rng, density)
        right = _pairs(str(rng.choice(KINDS[:6])), n - a, rng, density)
        return left + [(i + a, j + a) for i, j in right]
    if kind == "isolated":  # a tree on some nodes; the rest touch nothing
        return _pairs("tree", int(rng.integers(2, n)) if n > 2 else 1, rng, density)
    raise OptionError(f"unknown graph kind {kind!r}; known kinds: {', '.join(KINDS)}")


def build_edges(
    kind: str, n: int, seed: int, *, density: float = 0.3, directed: bool = False, self_loops: bool = False
) -> np.ndarray:
    """``edge_index`` (2, E) int64 of one graph: undirected edges as two columns, directed ones
    oriented at random (from ``seed``), self-loops on some nodes if asked; sorted by source,
    then target."""
    rng = np.random.default_rng(seed)
    pairs = _pairs(kind, n, rng, density)
    edges: set[tuple[int, int]] = set()
    for i, j in pairs:
        if i == j:
            continue
        if directed:
            edges.add((i, j) if rng.random() < 0.5 else (j, i))
        else:
            edges.update({(i, j), (j, i)})
    if self_loops:
        edges.update((i, i) for i in range(n) if rng.random() < 0.5)
    ordered = sorted(edges)
    return np.asarray(ordered, dtype=np.int64).T.reshape(2, len(ordered))


def _features(family: str, shape: tuple[int, ...], seed: int, dtype: str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if family == "constant":
        return np.full(shape, rng.standard_normal(), dtype=dtype)
    return rng.standard_normal(shape).astype(dtype)


def _checked(
    nodes: tuple[int, int], features: int, edge_features: int, dtype: str, kinds: Sequence[str] | None
) -> tuple[int, int, tuple[str, ...]]:
    """The arguments every graph strategy shares, rejected with the offending value when built."""
    try:
        lo, hi = (int(v) for v in nodes)
    except (TypeError, ValueError):
        raise OptionError(f"nodes must be (min, max) node counts, got {nodes!r}") from None
    if lo < 1 or hi < lo:
        raise OptionError(f"nodes=(min, max) needs 1 <= min <= max, got {tuple(nodes)!r}")
    for name, value in (("features", features), ("edge_features", edge_features)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise OptionError(f"{name} must be a non-negative integer, got {value!r}")
    if dtype not in ("float16", "float32", "float64"):
        raise OptionError(f"dtype must be 'float16', 'float32' or 'float64', got {dtype!r}")
    chosen = tuple(KINDS if kinds is None else kinds)
    unknown = [k for k in chosen if k not in KINDS]
    if unknown or not chosen:
        raise OptionError(f"unknown graph kinds {unknown or list(chosen)}; known kinds: {', '.join(KINDS)}")
    return lo, hi, tuple(k for k in KINDS if k in chosen)  # simplest first, whatever the order given


def graphs(
    nodes: tuple[int, int] = (1, 12),
    *,
    features: int = 3,
    edge_features: int = 0,
    dtype: str = "float32",
    kinds: Sequence[str] | None = None,
    directed: bool = False,
    self_loops: bool = False,
    dense: bool = False,
    positions: int = 0,
) -> Any:
    """One graph per example, as a dict of NumPy arrays: ``"x"`` (n, ``features``) node
    features of ``dtype``, ``"edge_index"`` (2, E) int64, ``"edge_attr"`` (E, ``edge_features``)
    when ``edge_features > 0``, ``"adj"`` (n, n) the dense adjacency (instead of
    ``edge_index``) when ``dense=True``, and ``"pos"`` (n, ``positions``) Gaussian node
    coordinates when ``positions`` is 2 or 3 (a molecule's atoms, for ``product(e3, perm)``).
    ``kinds`` limits the kinds of :data:`KINDS`.

    Shrinks toward the fewest nodes (``nodes[0]``), a path, seed 0 and Gaussian features.
    """
    lo, hi, chosen = _checked(nodes, features, edge_features, dtype, kinds)
    if positions not in (0, 2, 3):
        raise OptionError(f"positions must be 0 (none), 2 or 3 (coordinates per node), got {positions!r}")
    build = functools.partial(
        _graph,
        features=features,
        edge_features=edge_features,
        dtype=dtype,
        directed=directed,
        self_loops=self_loops,
        dense=dense,
        positions=positions,
    )
    return _drawn(lo, hi, chosen, build)


def _drawn(lo: int, hi: int, kinds: tuple[str, ...], build: Callable[..., dict[str, np.ndarray]]) -> Any:
    """The numbers Hypothesis draws for one graph (each shrinks toward its first value), built."""
    from hypothesis import strategies as st

    @st.composite
    def graph(draw: Callable[..., Any]) -> dict[str, np.ndarray]:
        n = draw(st.integers(lo, hi))
        kind = draw(st.sampled_from(kinds))
        seed = draw(st.integers(0, 2**32 - 1))
        density = draw(st.sampled_from((0.3, 0.1, 0.6, 1.0)))
        family = draw(st.sampled_from(FEATURES))
        return build(n, kind, seed, density, family)

    return graph()


def _graph(
    n: int,
    kind: str,
    seed: int,
    density: float,
    family: str,
    *,
    features: int,
    edge_features: int,
    dtype: str,
    directed: bool,
    self_loops: bool,
    dense: bool,
    positions: int = 0,
) -> dict[str, np.ndarray]:
    edge_index = build_edges(kind, n, seed, density=density, directed=directed, self_loops=self_loops)
    out = {"x": _features(family, (n, features), seed, dtype)}
    if dense:
        adj = np.zeros((n, n), dtype=dtype)
        adj[edge_index[0], edge_index[1]] = 1
        out["adj"] = adj
    else:
        out["edge_index"] = edge_index
    if edge_features:
        out["edge_attr"] = _features("noise", (edge_index.shape[1], edge_features), seed + 1, dtype)
    if positions:
        out["pos"] = _features("noise", (n, positions), seed + 2, dtype)
    return out


def batches(
    graphs_per_batch: tuple[int, int] = (1, 3),
    nodes: tuple[int, int] = (1, 8),
    *,
    features: int = 3,
    edge_features: int = 0,
    dtype: str = "float32",
    kinds: Sequence[str] | None = None,
    directed: bool = False,
    self_loops: bool = False,
    blocks: Sequence[int] | None = None,
) -> Any:
    """Several graphs in one batch, laid out as ``torch_geometric.data.Batch`` does: node
    features stacked, ``edge_index`` with each graph's node numbers offset by the nodes
    before it, and ``"batch"`` (N,) int64, the graph number of every node.

    ``blocks`` fixes the node count of each graph (``(3, 4)``: two graphs of 3 and 4 nodes,
    their edges and features drawn), so that one list of :func:`batch_elements` fits every
    drawn batch. Shrinks toward one graph (``graphs_per_batch[0]``), then as :func:`graphs`.
    """
    from hypothesis import strategies as st

    lo, hi, chosen = _checked(nodes, features, edge_features, dtype, kinds)
    sizes = _checked_blocks(blocks) if blocks is not None else None
    try:
        g_lo, g_hi = (int(v) for v in graphs_per_batch)
    except (TypeError, ValueError):
        raise OptionError(f"graphs_per_batch must be (min, max), got {graphs_per_batch!r}") from None
    if g_lo < 1 or g_hi < g_lo:
        raise OptionError(f"graphs_per_batch=(min, max) needs 1 <= min <= max, got {graphs_per_batch!r}")
    build = functools.partial(
        _graph,
        features=features,
        edge_features=edge_features,
        dtype=dtype,
        directed=directed,
        self_loops=self_loops,
        dense=False,
    )
    if sizes is not None:
        fixed = [_drawn(n, n, chosen, build) for n in sizes]
        return st.tuples(*fixed).map(lambda parts: _concatenated(list(parts)))
    one = _drawn(lo, hi, chosen, build)
    return st.lists(one, min_size=g_lo, max_size=g_hi).map(_concatenated)


def _checked_blocks(blocks: Any) -> tuple[int, ...]:
    """Node counts of the graphs of a batch: positive integers, at least one."""
    try:
        sizes = tuple(blocks)
    except TypeError:
        sizes = ()
    if not sizes or any(isinstance(b, bool) or not isinstance(b, (int, np.integer)) or b < 1 for b in sizes):
        raise OptionError(f"blocks must be positive node counts, one per graph, e.g. (3, 4), got {blocks!r}")
    return tuple(int(b) for b in sizes)


def _concatenated(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    offsets = np.cumsum([0] + [p["x"].shape[0] for p in parts])
    out = {
        "x": np.concatenate([p["x"] for p in parts]),
        "edge_index": np.concatenate([p["edge_index"] + o for p, o in zip(parts, offsets)], axis=1),
        "batch": np.repeat(np.arange(len(parts), dtype=np.int64), np.diff(offsets)),
    }
    if "edge_attr" in parts[0]:
        out["edge_attr"] = np.concatenate([p["edge_attr"] for p in parts])
    return out


def batch_elements(
    batch: Any = None, *, blocks: Sequence[int] | None = None, count: int = 8, seed: int = 0
) -> list[Any]:
    """Up to ``count`` node permutations that keep every graph of a batch in place, the graphs
    given by PyG's ``batch`` vector or by their node counts ``blocks``: a transposition inside
    each graph with two nodes or more, then shuffles of every graph at once (from ``seed``);
    for ``elements=`` when checking batches."""
    from .actions.graphs import blocks_of
    from .groups.points import permute

    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise OptionError(f"count must be a positive integer, got {count!r}")
    if (batch is None) == (blocks is None):
        raise OptionError("give the graphs of the batch either as a batch vector or as blocks=, not both")
    blocks = blocks_of(np.asarray(batch)) if batch is not None else _checked_blocks(blocks)
    starts = np.cumsum((0, *blocks[:-1]))
    n = int(sum(blocks))
    found: list[tuple[int, ...]] = []
    for start, size in zip(starts, blocks):
        if size > 1:
            p = list(range(n))
            p[start], p[start + 1] = p[start + 1], p[start]
            found.append(tuple(p))
    rng = np.random.default_rng(seed)
    for _ in range(4 * count):
        p = np.concatenate([start + rng.permutation(size) for start, size in zip(starts, blocks)])
        found.append(tuple(int(v) for v in p))
    unique = [p for i, p in enumerate(found) if p not in found[:i] and p != tuple(range(n))]
    return [permute(p=list(p)) for p in unique[:count]] or [permute(p=list(range(n)))]


def graph_inputs(
    in_action: Any,
    nodes: tuple[int, int] = (1, 12),
    *,
    features: int = 3,
    edge_features: int = 3,
    dtype: str = "float32",
    kinds: Sequence[str] | None = None,
    directed: bool = False,
    self_loops: bool = False,
) -> Any:
    """Graphs laid out for the inputs that ``in_action`` names (a dict: keywords; a tuple:
    positional arguments), read from the graph actions: ``nodes`` gets node features (n,
    ``features``), ``edge_index`` the edges, ``edges`` (or ``edge_order``) edge features (E,
    ``edge_features``), ``edge_order(axis=1)`` the edges, ``adjacency`` the dense adjacency,
    ``batch`` a batch of one graph, and ``trivial`` node features where no input is ``nodes``
    (PyG's edge-order check). An action it cannot draw for is an OptionError that says to
    pass ``inputs=``. Shrinks as :func:`graphs` does.
    """
    from .actions import from_name

    keyed = dict(in_action) if isinstance(in_action, dict) else dict(enumerate(in_action))
    roles: dict[Any, str] = {}
    named = [_role(from_name(spec)) for spec in keyed.values()]
    for (key, spec), role in zip(keyed.items(), named):
        if from_name(spec).name == "trivial" and "x" not in named:
            role = "x"  # node features that no node permutation moves: the edge-order check
        if role is None:
            raise OptionError(
                f"cannot draw input {key!r} for the action {from_name(spec).name}: graph_inputs draws "
                "node features (nodes), edge_index, edge features (edges), adjacency and batch; "
                "give inputs= yourself (e.g. graphs(...).map(...))"
            )
        if role in roles.values():
            raise OptionError(f"two inputs would be drawn as {role!r}; give inputs= yourself")
        roles[key] = role
    strategy = graphs(
        nodes,
        features=features,
        edge_features=edge_features if "edge_attr" in roles.values() else 0,
        dtype=dtype,
        kinds=kinds,
        directed=directed,
        self_loops=self_loops,
    )

    def laid_out(g: dict[str, np.ndarray]) -> Any:
        n = g["x"].shape[0]
        adj = np.zeros((n, n), dtype=dtype)
        adj[g["edge_index"][0], g["edge_index"][1]] = 1
        arrays = {**g, "adj": adj, "batch": np.zeros(n, dtype=np.int64)}
        out = {key: arrays[role] for key, role in roles.items()}
        return out if isinstance(in_action, dict) else tuple(out[i] for i in range(len(out)))

    return strategy.map(laid_out)


def _role(action: Any) -> str | None:
    """Which array of a drawn graph an input under ``action`` is (None: none of them)."""
    from .actions.graphs import Adjacency, Batch, EdgeIndex, EdgeOrder, Edges, Nodes

    if isinstance(action, Batch):
        return "batch"
    if isinstance(action, Nodes):
        return "x" if action.axis in (0, -2) else None
    if isinstance(action, EdgeIndex):
        return "edge_index"
    if isinstance(action, EdgeOrder):
        return {0: "edge_attr", -2: "edge_attr", 1: "edge_index", -1: "edge_index"}.get(action.axis)
    if isinstance(action, Edges):
        return "edge_attr"
    if isinstance(action, Adjacency):
        return "adj" if action.axes in ((0, 1), (-2, -1)) else None
    return None
