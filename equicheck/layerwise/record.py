"""Recording every layer call of one forward pass: its inputs, its output, who produced them.

Three kinds of model: a PyTorch module (forward hooks on every sub-module; a module called
several times, or reused in several places, gives one call each, ``name#2`` for the second),
an ``equicheck.nn.Sequential`` (walked, nested ones too) and a plain list of callables. Calls
come in the order they *finish*, so a container follows the layers inside it and its row
holds what its own code adds (a residual addition, a functional call). Inputs and outputs are
copies taken when the call starts and ends: an in-place layer overwrites them later.

Each positional input remembers its source: the call whose output it is (``-1`` the model's
input, None when it was made by code between layers), found by object identity while the
recorder keeps every output alive (so no identity is reused during the pass), and only while
its values are still the ones that call made (code that changes it in place, ``out +=
identity``, makes a new array between layers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .values import Values

__all__ = ["MODEL_INPUT", "Call", "record", "run_layer"]

#: The source of an input that is the model's own input.
MODEL_INPUT = -1


@dataclass
class Call:
    """One call of one layer during a recorded forward pass."""

    name: str
    kind: str
    layer: Any  # what re-runs it: layer(*args, **kwargs)
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    sources: list[int | None]  # per positional argument (None: not an array, or made between layers)
    output: Any = None  # a copy of the output, or of its first item (None when not an array)
    first_of: bool = False  # the output is a tuple or list led by an array (attention's (out, weights))
    parent: int | None = None
    leaf: bool = True
    children: list[int] = field(default_factory=list)


class _Recorder:
    def __init__(self, values: Values, x: Any) -> None:
        self.values = values
        self.started: list[Call] = []
        self.finished: list[int] = []  # start index, in the order calls finish
        self.stack: list[int] = []
        self.produced: dict[int, int] = {id(x): MODEL_INPUT}
        self.alive: list[Any] = [x]
        self.counts: dict[str, int] = {}

    def begin(self, name: str, kind: str, layer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        n = self.counts.get(name, 0) + 1
        self.counts[name] = n
        label = name if n == 1 else f"{name}#{n}"
        v = self.values
        sources = [self._source(a) if v.is_array(a) else None for a in args]
        copied = tuple(v.copy(a) if v.is_array(a) else a for a in args)
        parent = self.stack[-1] if self.stack else None
        index = len(self.started)
        self.started.append(Call(label, kind, layer, copied, dict(kwargs), sources, parent=parent))
        if parent is not None:
            self.started[parent].leaf = False
        self.stack.append(index)

    def _source(self, a: Any) -> int | None:
        """The call whose output ``a`` is, unless code changed it in place since (``out +=
        identity``): then it was made between layers."""
        src = self.produced.get(id(a))
        if src is None or src == MODEL_INPUT:
            return src
        made = self.started[src].output
        return src if made is not None and self.values.same(a, made) else None

    def end(self, output: Any) -> None:
        index = self.stack.pop()
        if _leading(output, self.values.is_array) is not None:
            self.started[index].first_of = True
            output = output[0]
        if self.values.is_array(output):
            self.started[index].output = self.values.copy(output)
            self.produced[id(output)] = index
            self.alive.append(output)
        self.finished.append(index)

    def calls(self) -> list[Call]:
        """The calls in the order they finished, with parents and sources renumbered."""
        order = {start: i for i, start in enumerate(self.finished)}
        out = [self.started[s] for s in self.finished]
        for call in out:
            call.parent = None if call.parent is None else order[call.parent]
            call.sources = [s if s is None or s == MODEL_INPUT else order.get(s) for s in call.sources]
        for i, call in enumerate(out):
            if call.parent is not None:
                out[call.parent].children.append(i)
        return out


def _record_torch(model: Any, x: Any, recorder: _Recorder) -> None:
    import torch

    names: dict[int, str] = {}
    for name, module in model.named_modules(remove_duplicate=False):
        names.setdefault(id(module), name or "(model)")
    handles = []

    def pre(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        recorder.begin(names[id(module)], type(module).__name__, module, args, kwargs)

    def post(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any) -> None:
        recorder.end(output)

    seen: set[int] = set()
    try:
        for module in model.modules():
            if id(module) in seen:
                continue
            seen.add(id(module))
            handles.append(module.register_forward_pre_hook(pre, with_kwargs=True))
            handles.append(module.register_forward_hook(post, with_kwargs=True))
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()


def _kind(layer: Any) -> str:
    return (
        type(layer).__name__
        if not callable(layer) or hasattr(layer, "forward")
        else getattr(layer, "__name__", type(layer).__name__)
    )


def _record_layers(layers: Sequence[Any], prefix: str, x: Any, recorder: _Recorder) -> Any:
    from ..nn import Sequential

    for i, layer in enumerate(layers):
        name = f"{prefix}{i}"
        recorder.begin(name, _kind(layer), layer, (x,), {})
        if isinstance(layer, Sequential):
            out = _record_layers(list(layer), name + ".", x, recorder)
        else:
            out = layer(x)
        recorder.end(out)
        x = out
    return x


def record(model: Any, x: Any, values: Values, framework: str | None) -> list[Call]:
    """Every layer call of ``model(x)``, in the order calls finish (module docstring)."""
    recorder = _Recorder(values, x)
    from ..nn import Sequential

    if framework == "torch":
        _record_torch(model, x, recorder)
    elif isinstance(model, Sequential):
        recorder.begin("(model)", "Sequential", model, (x,), {})
        recorder.end(_record_layers(list(model), "", x, recorder))
    else:
        _record_layers(list(model), "", x, recorder)
    return recorder.calls()


def _leading(output: Any, is_array: Callable[[Any], bool]) -> Any:
    """The first item of a tuple or list output led by an array, else None."""
    if isinstance(output, (tuple, list)) and output and is_array(output[0]):
        return output[0]
    return None


def run_layer(call: Call, args: tuple[Any, ...], framework: str | None) -> Any:
    """The call's layer on other positional arguments (its recorded keywords kept); of a
    tuple output, the first item where the recorded call kept that."""
    fn: Callable[..., Any] = call.layer
    if framework == "torch":
        import torch

        with torch.no_grad():
            out = fn(*args, **call.kwargs)
    else:
        out = fn(*args, **call.kwargs)
    return out[0] if call.first_of and isinstance(out, (tuple, list)) and out else out
