"""A minimal module system: callable layers that own named parameters, and ``Sequential``.

Deliberately small (no autograd, no hooks): equicheck needs networks to *check*, built
reproducibly from a seed, with their parameters countable and movable between backends.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..backends import Backend, get_backend

__all__ = ["Module", "Sequential"]


class Module:
    """Base class of the layers. Subclasses set ``param_names`` and implement ``forward``."""

    #: Attribute names of this module's own parameter arrays (None values are skipped).
    param_names: tuple[str, ...] = ()

    def forward(self, x: Any) -> Any:
        raise NotImplementedError

    def __call__(self, x: Any) -> Any:
        return self.forward(x)

    def children(self) -> list[tuple[str, Module]]:
        """Sub-modules, in the order they were assigned."""
        return [(k, v) for k, v in vars(self).items() if isinstance(v, Module)]

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Any]]:
        """(dotted name, array) for every parameter, this module's first, then its children's."""
        out = []
        for name in self.param_names:
            value = getattr(self, name, None)
            if value is not None:
                out.append((prefix + name, value))
        for name, child in self.children():
            out += child.named_parameters(f"{prefix}{name}.")
        return out

    def parameters(self) -> list[Any]:
        """The parameter arrays (weights and biases), in a stable order."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """The number of scalar parameters (what papers call the parameter count)."""
        total = 0
        for p in self.parameters():
            size = 1
            for s in p.shape:
                size *= int(s)
            total += size
        return total

    def to(self, backend: str | Backend) -> Module:
        """Move every parameter to ``backend`` (e.g. ``"cupy"``), in place; returns self."""
        target = get_backend(backend)
        for name in self.param_names:
            value = getattr(self, name, None)
            if value is not None:
                setattr(self, name, target.asarray(value))
        for _, child in self.children():
            child.to(target)
        return self

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        kids = self.children()
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not kids:
            return head + ")"
        lines = [head]
        for name, child in kids:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"


class Sequential(Module):
    """Layers applied in order: ``Sequential(Conv2d(...), ReLU(), ...)(x)``."""

    def __init__(self, *layers: Module) -> None:
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module) and not callable(layer):
                raise TypeError(f"Sequential takes modules or callables; item {i} is {layer!r}")
        self.layers = list(layers)

    def children(self) -> list[tuple[str, Module]]:
        return [(str(i), m) for i, m in enumerate(self.layers) if isinstance(m, Module)]

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]
