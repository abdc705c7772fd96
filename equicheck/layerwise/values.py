"""The model's own arrays (NumPy arrays or PyTorch tensors) and host NumPy copies of them.

Recording keeps the model's values as the model made them (copies: a ``ReLU(inplace=True)``
overwrites its input); comparisons and actions run on host NumPy arrays. One small class per
array library, so the rest of the package never asks which library it holds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["NumpyValues", "TorchValues", "Values", "values_for"]


class Values:
    """How the arrays of one model are copied, moved to the host and made from host arrays."""

    def is_array(self, v: Any) -> bool:
        raise NotImplementedError

    def copy(self, v: Any) -> Any:
        raise NotImplementedError

    def to_host(self, v: Any) -> np.ndarray:
        raise NotImplementedError

    def from_host(self, a: np.ndarray, like: Any) -> Any:
        """``a`` as an array of the model's kind, on ``like``'s device and in its dtype."""
        raise NotImplementedError

    def concat(self, parts: list[Any]) -> Any:
        raise NotImplementedError

    def same(self, a: Any, b: Any) -> bool:
        """Whether two arrays hold the same values (NaN equal to NaN)."""
        raise NotImplementedError

    def host(self, v: Any) -> Any:
        """``v`` on the host when it is one of the model's arrays; anything else as it is."""
        return self.to_host(v) if self.is_array(v) else v

    def split(self, v: Any, count: int) -> list[np.ndarray | None]:
        """A batched array cut into ``count`` host chunks along axis 0 (None each when ``v`` is
        not an array, or its batch axis is not a multiple of ``count``)."""
        if v is None or not self.is_array(v):
            return [None] * count
        host = self.to_host(v)
        if host.ndim == 0 or host.shape[0] % count:
            return [None] * count
        n = host.shape[0] // count
        return [host[e * n : (e + 1) * n] for e in range(count)]


class NumpyValues(Values):
    """NumPy arrays (equicheck.nn modules and plain callables on the CPU backend)."""

    def is_array(self, v: Any) -> bool:
        return isinstance(v, np.ndarray)

    def copy(self, v: Any) -> Any:
        return np.array(v, copy=True)

    def to_host(self, v: Any) -> np.ndarray:
        return np.asarray(v)

    def from_host(self, a: np.ndarray, like: Any) -> Any:
        return np.ascontiguousarray(a, dtype=like.dtype)

    def concat(self, parts: list[Any]) -> Any:
        return np.concatenate(parts, axis=0)

    def same(self, a: Any, b: Any) -> bool:
        return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


class TorchValues(Values):
    """PyTorch tensors, on whatever device the model runs."""

    def __init__(self) -> None:
        import torch

        self.torch = torch

    def is_array(self, v: Any) -> bool:
        return isinstance(v, self.torch.Tensor)

    def copy(self, v: Any) -> Any:
        return v.detach().clone()

    def to_host(self, v: Any) -> np.ndarray:
        t = v.detach()
        if t.dtype in (self.torch.bfloat16,):
            t = t.float()
        return t.cpu().numpy()

    def from_host(self, a: np.ndarray, like: Any) -> Any:
        t = self.torch.from_numpy(np.ascontiguousarray(a))
        return t.to(device=like.device, dtype=like.dtype)

    def concat(self, parts: list[Any]) -> Any:
        return self.torch.cat(parts, dim=0)

    def same(self, a: Any, b: Any) -> bool:
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if self.torch.equal(a, b):
            return True
        return bool(
            a.is_floating_point() and self.torch.equal(a.isnan(), b.isnan()) and (a == b)[~a.isnan()].all()
        )


def values_for(framework: str | None) -> Values:
    """The values of a model of ``framework`` ('torch' or None for NumPy)."""
    return TorchValues() if framework == "torch" else NumpyValues()
