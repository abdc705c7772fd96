"""Layer-by-layer localisation: which layer of a network breaks equivariance
(docs/locate.md).

``equicheck.locate(model, group, ...)`` records every layer call of a PyTorch module, an
``equicheck.nn`` module or a list of callables, and returns a :class:`LocateResult`: per layer
the cumulative and local errors, the action assumed for its output and where it came from,
and the first layer that breaks equivariance with a sentence on what that kind of layer
typically does wrong.

Modules, each importing only the ones listed after it: ``localisation`` (the front door),
``rows`` (each layer call's action, errors and status), ``infer`` | ``measure`` (actions of
outputs; errors against moved outputs), ``record`` | ``state`` (recorded calls; the model
kept as found), ``values`` | ``advice`` | ``result`` (the model's arrays; sentences; the
result data).
"""

from __future__ import annotations

from .localisation import LocateError, locate
from .result import LayerRow, LocateResult

__all__ = ["LayerRow", "LocateError", "LocateResult", "locate"]
