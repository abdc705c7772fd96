"""PyTorch Geometric ``Data`` and ``Batch`` objects as inputs and outputs.

The engine checks functions of arrays, so a graph travels as a dict of arrays named as PyG
names its attributes (``x``, ``edge_index``, ``edge_attr``, ``batch``, ``ptr``, ...):
:func:`from_data` turns a ``Data`` or ``Batch`` into such a dict (for ``inputs=``),
:func:`to_data` turns one back, and :func:`data_model` wraps a model that takes one ``Data``
argument (``model(data)``) into a module that takes those arrays as keywords, rebuilds the
``Data`` (a ``Batch`` when a ``batch`` vector is given) and returns the model's tensors (a
``Data`` output becomes a dict of its tensors, so each can have its own output action).
Layers that take tensors (``GCNConv()(x, edge_index)``) need no wrapper: the keys of the
input dict are their keyword arguments. :data:`ACTIONS` says how PyG's usual attributes move
under node permutations (``in_action=actions_for(data)``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .base import missing_framework

try:
    import torch
    from torch_geometric.data import Batch, Data
except ImportError as _exc:  # pragma: no cover - exercised only without torch_geometric
    raise missing_framework("PyTorch Geometric", "torch-geometric") from _exc

__all__ = ["ACTIONS", "DataModel", "actions_for", "data_model", "from_data", "to_data"]

#: How PyG's usual attributes move when the nodes are permuted (names of equicheck actions).
ACTIONS: dict[str, str] = {
    "x": "nodes",
    "pos": "nodes",
    "edge_index": "edge_index",
    "edge_attr": "edges",
    "edge_weight": "edges",
    "batch": "batch",
    "ptr": "trivial",
}


def from_data(data: Any) -> dict[str, np.ndarray]:
    """The tensors of a PyG ``Data`` or ``Batch`` as NumPy arrays by attribute name; a
    TypeError names an attribute that is no tensor (a string, a list), which the check
    cannot move."""
    if not isinstance(data, Data):
        raise TypeError(f"expected a torch_geometric.data.Data or Batch, got {type(data).__name__}")
    out: dict[str, np.ndarray] = {}
    for key, value in data.items():
        if not isinstance(value, torch.Tensor):
            raise TypeError(
                f"attribute {key!r} of the graph is a {type(value).__name__}, not a tensor; equicheck "
                "checks tensors only: delete it (del data[key]) or make it a tensor"
            )
        out[key] = value.detach().cpu().numpy()
    return out


def to_data(arrays: Mapping[str, Any]) -> Any:
    """A ``Data`` of ``arrays`` (NumPy arrays or tensors), or a ``Batch`` when a ``batch``
    vector is among them."""
    tensors = {k: torch.as_tensor(v) for k, v in arrays.items()}
    return Batch(**tensors) if "batch" in tensors else Data(**tensors)


def actions_for(data: Any) -> dict[str, str]:
    """``in_action=`` for a ``Data``/``Batch`` (or a dict from :func:`from_data`) under node
    permutations, from :data:`ACTIONS`; a KeyError names an attribute whose action is unknown."""
    keys = list(data.keys()) if isinstance(data, Data) else list(data)
    unknown = [k for k in keys if k not in ACTIONS]
    if unknown:
        raise KeyError(
            f"no default action for the graph attributes {unknown}; give in_action= yourself "
            f"(known: {', '.join(f'{k}: {v}' for k, v in ACTIONS.items())})"
        )
    return {k: ACTIONS[k] for k in keys}


def _outputs(out: Any) -> Any:
    """A ``Data`` output as a dict of its tensors (each output then has its own action)."""
    if isinstance(out, Data):
        return {k: v for k, v in out.items() if isinstance(v, torch.Tensor)}
    return out


class DataModel(torch.nn.Module):
    """``model`` (which takes one ``Data``) as a module of keyword tensors (see :func:`data_model`)."""

    def __init__(self, model: Callable[[Any], Any]) -> None:
        super().__init__()
        self.model = model
        if isinstance(model, torch.nn.Module):
            self.train(model.training)  # the wrapper's mode is the model's (no spurious warning)

    def forward(self, **tensors: torch.Tensor) -> Any:
        return _outputs(self.model(to_data(tensors)))


def data_model(model: Callable[[Any], Any]) -> DataModel:
    """A model called as ``model(data)`` as a function of the graph's arrays as keywords
    (``x=``, ``edge_index=``, ``batch=``...), rebuilding the ``Data``/``Batch`` on each call."""
    if not callable(model):
        raise TypeError(f"expected a model that takes a Data object, got {model!r}")
    return DataModel(model)
