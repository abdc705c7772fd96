"""Actions on graphs: node features, adjacency, edge_index, edge features under permutations.

One convention, PyTorch Geometric's reading of ``edge_index``: a permutation ``p`` sends node
``i`` to position ``p[i]``, so node features move as ``x'[p[i]] = x[i]`` (``x' = x[argsort(p)]``),
``edge_index' = p[edge_index]`` with the edge order kept (per-edge arrays stay aligned and do
not move), and a dense adjacency moves its rows and columns: ``A'[p[i], p[j]] = A[i, j]``, so
``to_dense_adj(p[edge_index]) == A'``. A permutation of the edge order alone (PyG's own test)
moves the columns of ``edge_index`` and the rows of edge features the same way and leaves the
nodes alone. In a PyG batch a permutation must keep every graph's nodes in their graph.

The kernels take plain integer permutation arrays (array-API functions only, so NumPy, CuPy
and ``array_api_strict`` run the same code); the actions read ``g.permutation`` of an element.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backends import Backend, get_backend
from ..errors import DtypeError, ShapeError, SpecError
from ..groups import Element, Group
from ..spec import Spec
from .base import Action
from .kernels import normalise_axis

__all__ = [
    "GRAPH_ACTIONS",
    "Adjacency",
    "Batch",
    "EdgeIndex",
    "EdgeOrder",
    "Edges",
    "Nodes",
    "as_permutation",
    "blocks_of",
    "check_edge_index",
    "inverse_permutation",
    "permute_adjacency",
    "permute_axis",
    "permute_edge_order",
    "relabel_edge_index",
    "within_blocks",
]


# --- kernels on plain permutation arrays -------------------------------------------------------
def as_permutation(p: Any, n: int | None = None, what: str = "permutation") -> np.ndarray:
    """``p`` as an int64 NumPy array after checking that it permutes ``range(len(p))`` (and has
    ``n`` entries when ``n`` is given); a named error that shows the problem otherwise."""
    arr = np.asarray(p)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        if arr.size and not (np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr))):
            raise DtypeError(f"a {what} holds integer positions, got dtype {arr.dtype}")
        arr = arr.astype(np.int64)
    if arr.ndim != 1:
        raise ShapeError(f"a {what} is one row of positions, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ShapeError(f"the {what} has {arr.shape[0]} entries but the array has {n} along its axis")
    if not np.array_equal(np.sort(arr), np.arange(arr.shape[0])):
        raise ShapeError(f"{arr.tolist()} is no {what}: it must hold each of 0..{arr.shape[0] - 1} once")
    return arr.astype(np.int64, copy=False)


def inverse_permutation(p: Any) -> np.ndarray:
    """``q`` with ``q[p[i]] = i``."""
    p = as_permutation(p)
    inv = np.empty_like(p)
    inv[p] = np.arange(p.shape[0])
    return inv


def permute_axis(xp: Any, x: Any, p: Any, axis: int = 0) -> Any:
    """``x`` with the entries along ``axis`` moved by ``p``: ``x'[p[i]] = x[i]`` on that axis."""
    axis = normalise_axis(axis, x.ndim, "the permuted")
    inverse = inverse_permutation(p)
    if inverse.shape[0] != x.shape[axis]:
        raise ShapeError(
            f"the permutation moves {inverse.shape[0]} nodes (n, read from the first input with a "
            f"node axis) but an array of shape {tuple(x.shape)} has {x.shape[axis]} on axis {axis}: "
            "the inputs disagree on the number of nodes (or the action names the wrong axis=)"
        )
    return xp.take(x, xp.asarray(inverse), axis=axis)


def permute_adjacency(xp: Any, a: Any, p: Any, axes: Sequence[int] = (0, 1)) -> Any:
    """A dense adjacency with rows and columns moved by ``p``: ``A'[p[i], p[j]] = A[i, j]``."""
    r, c = (normalise_axis(ax, a.ndim, "the adjacency") for ax in axes)
    if r == c or a.shape[r] != a.shape[c]:
        raise ShapeError(
            f"an adjacency needs two axes of the same length, got axes {tuple(axes)} of shape "
            f"{tuple(a.shape)}"
        )
    return permute_axis(xp, permute_axis(xp, a, p, r), p, c)


def check_edge_index(xp: Any, edge_index: Any, n: int | None = None) -> None:
    """A named error unless ``edge_index`` is an integer array of shape (2, E) with node
    numbers in ``0..n-1`` (PyG's layout); says how to fix it."""
    if not xp.isdtype(edge_index.dtype, "integral"):
        raise DtypeError(
            f"edge_index must hold integer node numbers (PyG uses int64), got dtype {edge_index.dtype}; "
            "convert it, e.g. edge_index.astype(np.int64) or edge_index.long()"
        )
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:
        raise ShapeError(
            f"edge_index must have shape (2, E) (sources, then targets), got {tuple(edge_index.shape)}; "
            "an (E, 2) list of pairs becomes one with .T"
        )
    if n is not None and edge_index.shape[1]:
        lo, hi = int(xp.min(edge_index)), int(xp.max(edge_index))
        if lo < 0 or hi >= n:
            bad = lo if lo < 0 else hi
            raise ShapeError(
                f"edge_index refers to node {bad}, but the graph has {n} nodes (0..{n - 1}); "
                "node features and edge_index must describe the same graph"
            )


def relabel_edge_index(xp: Any, edge_index: Any, p: Any) -> Any:
    """``p[edge_index]``: every edge renamed by the node permutation ``p``, edge order kept."""
    p = as_permutation(p)
    check_edge_index(xp, edge_index, p.shape[0])
    flat = xp.reshape(edge_index, (-1,))
    moved = xp.take(xp.asarray(p), xp.astype(flat, xp.int64), axis=0)
    return xp.astype(xp.reshape(moved, edge_index.shape), edge_index.dtype)


def permute_edge_order(xp: Any, edge_index: Any, q: Any) -> Any:
    """The columns of ``edge_index`` moved by the edge permutation ``q`` (nodes keep their names)."""
    check_edge_index(xp, edge_index)
    return permute_axis(xp, edge_index, q, 1)


def blocks_of(batch: Any) -> tuple[int, ...]:
    """The node count of each graph from PyG's ``batch`` vector (graph number per node,
    graphs stored one after another); a ShapeError if the vector is not of that form."""
    b = np.asarray(batch)
    if b.ndim != 1 or (b.size and not np.issubdtype(b.dtype, np.integer)):
        raise DtypeError(f"a batch vector is one row of integer graph numbers, got {b.dtype}{list(b.shape)}")
    if b.size and (b[0] != 0 or np.any(np.diff(b) < 0)):
        raise ShapeError(
            "a batch vector numbers graphs 0, 1, ... in order (as torch_geometric.data.Batch stores "
            f"them), got {b.tolist()[:20]}"
        )
    return tuple(int(c) for c in np.bincount(b)) if b.size else ()


def within_blocks(p: Any, blocks: Sequence[int]) -> bool:
    """Whether ``p`` maps each block of consecutive nodes (one graph of a batch) into itself."""
    p = as_permutation(p)
    ends = np.cumsum(blocks)
    if not ends.size or ends[-1] != p.shape[0]:
        return False
    graph = np.searchsorted(ends, np.arange(p.shape[0]), side="right")
    return bool(np.array_equal(graph[p], graph))


# --- actions -----------------------------------------------------------------------------------
def _permutation_of(g: Element) -> tuple[int, ...] | None:
    """The permutation part of ``g`` (None: g moves no nodes or edges)."""
    if g.permutation is None and g.rotation is None and g.translation is None and not g.is_identity:
        raise SpecError(
            f"the element {g!r} has no permutation part, so graph actions cannot use it; check graphs "
            "against a permutation group"
        )
    return g.permutation


class _Permuting(Action):
    """An action that moves one axis of length n by the element's permutation."""

    #: The action's name.
    kind = ""
    #: What the moved axis enumerates (for messages: "worst node: 2").
    item = "node"

    def __init__(self, axis: int = 0, *, group: Group | None = None) -> None:
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise SpecError(f"axis must be an integer, got {axis!r}")
        self.axis = axis
        self.group = group

    @property
    def spec(self) -> Spec:
        return Spec(self.kind, (), {} if self.axis == 0 else {"axis": self.axis})

    def point_axis(self, ndim: int) -> int | None:
        """The (non-negative) index of the axis the permutation moves."""
        return normalise_axis(self.axis, ndim, f"the {self.kind}")

    def grid(self, shape: Sequence[int]) -> tuple[int, ...] | None:
        """``(n,)``: how many items the permutation moves (the length of ``axis``); the
        permutation groups read n from it."""
        return (int(shape[self.point_axis(len(shape))]),)

    def prepare(self, group: Group, shape: Sequence[int]) -> Action:
        self.grid(shape)
        return type(self)(self.axis, group=group)

    def apply(self, g: Element, x: Any, backend: Backend | None = None) -> Any:
        p = _permutation_of(g)
        if p is None:
            return x
        xp = (backend or get_backend(None, x)).xp
        return permute_axis(xp, x, p, self.axis)


class Nodes(_Permuting):
    """Node features or per-node outputs: ``x'[p[i]] = x[i]`` along ``axis`` (default 0)."""

    kind = "nodes"


class EdgeOrder(_Permuting):
    """Per-edge arrays under a permutation of the edge order: the edge ``axis`` is moved
    (0 for edge features ``(E, F)``, 1 for ``edge_index`` ``(2, E)``); nodes keep their names."""

    kind = "edge_order"
    item = "edge"


class Adjacency(Action):
    """A dense adjacency (or any pairwise array): rows and columns on ``axes`` both moved."""

    #: What the rows enumerate (for messages).
    item = "node"

    def __init__(self, axes: Sequence[int] = (0, 1), *, group: Group | None = None) -> None:
        axes = tuple(axes)
        if len(axes) != 2 or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise SpecError(f"adjacency axes must be two integers (rows, columns), got {axes!r}")
        self.axes = axes
        self.group = group

    @property
    def spec(self) -> Spec:
        return Spec("adjacency", (), {} if self.axes == (0, 1) else {"axes": list(self.axes)})

    def point_axis(self, ndim: int) -> int | None:
        """The rows: the per-node error of a report is taken over them."""
        return normalise_axis(self.axes[0], ndim, "the adjacency")

    def grid(self, shape: Sequence[int]) -> tuple[int, ...] | None:
        """``(n,)``: the number of nodes (rows and columns)."""
        r, c = (normalise_axis(ax, len(shape), "the adjacency") for ax in self.axes)
        if r == c or shape[r] != shape[c]:
            raise ShapeError(
                f"an adjacency needs two axes of the same length, got axes {self.axes} of shape "
                f"{tuple(shape)}"
            )
        return (int(shape[r]),)

    def prepare(self, group: Group, shape: Sequence[int]) -> Action:
        self.grid(shape)
        return Adjacency(self.axes, group=group)

    def apply(self, g: Element, x: Any, backend: Backend | None = None) -> Any:
        p = _permutation_of(g)
        if p is None:
            return x
        return permute_adjacency((backend or get_backend(None, x)).xp, x, p, self.axes)


class EdgeIndex(Action):
    """PyG's ``edge_index`` (2, E) under node permutations: ``p[edge_index]``, edge order kept."""

    def __init__(self, *, group: Group | None = None) -> None:
        self.group = group

    @property
    def spec(self) -> Spec:
        return Spec("edge_index")

    def grid(self, shape: Sequence[int]) -> tuple[int, ...] | None:
        return None  # the node count is not in edge_index's shape

    def prepare(self, group: Group, shape: Sequence[int]) -> Action:
        if len(shape) != 2 or shape[0] != 2:
            raise ShapeError(
                f"edge_index must have shape (2, E) (sources, then targets), got {tuple(shape)}; "
                "an (E, 2) list of pairs becomes one with .T"
            )
        return EdgeIndex(group=group)

    def apply(self, g: Element, x: Any, backend: Backend | None = None) -> Any:
        xp = (backend or get_backend(None, x)).xp
        p = _permutation_of(g)
        if p is None:
            check_edge_index(xp, x)
            return x
        return relabel_edge_index(xp, x, p)


class Edges(Action):
    """Edge features or per-edge outputs under node permutations: they do not move (the edge
    order is kept, so entry e still belongs to column e of ``edge_index``)."""

    def __init__(self, *, group: Group | None = None) -> None:
        self.group = group

    @property
    def spec(self) -> Spec:
        return Spec("edges")

    def grid(self, shape: Sequence[int]) -> tuple[int, ...] | None:
        return None

    def prepare(self, group: Group, shape: Sequence[int]) -> Action:
        return Edges(group=group)

    def apply(self, g: Element, x: Any, backend: Backend | None = None) -> Any:
        _permutation_of(g)
        return x


class Batch(Nodes):
    """PyG's ``batch`` vector (graph number per node). A permutation within each graph leaves
    it unchanged; one that moves a node into another graph is refused (a ShapeError), because
    it would check a different batch, not a permuted one. ``blocks`` gives the graph sizes."""

    kind = "batch"

    def blocks(self, value: Any) -> tuple[int, ...]:
        """The node count of each graph of the batch (what a permutation must keep)."""
        return blocks_of(get_backend(None, value).to_host(value))

    def apply(self, g: Element, x: Any, backend: Backend | None = None) -> Any:
        p = _permutation_of(g)
        if p is None:
            return x
        host = (backend or get_backend(None, x)).to_host(x)
        if not within_blocks(p, blocks_of(host)):
            raise ShapeError(
                f"{g!r} moves nodes between the graphs of a batch (graph sizes {list(blocks_of(host))}); "
                "check batches with permutations within each graph: "
                "elements=equicheck.graph_strategies.batch_elements(batch)"
            )
        return x


#: The actions of graph inputs: a check whose inputs they move draws whole graphs
#: (:func:`equicheck.graph_strategies.graph_inputs`).
GRAPH_ACTIONS = (Adjacency, Batch, EdgeIndex, EdgeOrder, Edges, Nodes)
