"""PyTorch models and functions as functions of backend arrays.

Why each step: the check needs a deterministic function, so modules run in eval mode under
``torch.no_grad()`` (dropout and batch statistics would make a correct model "fail"); the
model is left exactly as it was found (modes restored, buffers restored in training mode);
inputs are made on the model's device in its dtype, so a float32 CUDA model gets float32 CUDA
tensors; CuPy arrays and CUDA tensors are exchanged by DLPack, without a copy.
"""

from __future__ import annotations

import contextlib
import copy
import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..backends import Backend
from .base import Adapted, missing_framework, tree_map

try:
    import torch
except ImportError as _exc:  # pragma: no cover - exercised only without torch
    raise missing_framework("PyTorch", "torch") from _exc

__all__ = ["TorchAdapted", "adapt_torch"]

# Layers whose output depends on the training mode: named in the training-mode warning.
#: Floating dtypes below float64: such a module gets a float64 copy for the rounding estimate.
_NARROW = (torch.float32, torch.float16, torch.bfloat16)

_MODE_SENSITIVE = ("Dropout", "BatchNorm", "InstanceNorm", "SyncBatchNorm", "RReLU", "AlphaDropout")


def _numpy_able(t: torch.Tensor) -> torch.Tensor:
    """Widen dtypes NumPy cannot hold (bfloat16, float8, complex32), losslessly."""
    if t.dtype == torch.bfloat16 or str(t.dtype).startswith("torch.float8"):
        return t.to(torch.float32)
    if t.dtype == torch.complex32:
        return t.to(torch.complex64)
    return t


def _first_tensor(module: torch.nn.Module) -> torch.Tensor | None:
    for p in module.parameters():
        return p
    for b in module.buffers():
        return b
    return None


def _floating_dtype(module: torch.nn.Module) -> torch.dtype | None:
    for t in module.parameters():
        if t.is_floating_point():
            return t.dtype
    return None


def _mode_sensitive_layers(module: torch.nn.Module) -> list[str]:
    names = []
    for name, m in module.named_modules():
        kind = type(m).__name__
        if m.training and any(s in kind for s in _MODE_SENSITIVE):
            names.append(f"{name}: {kind}" if name else kind)
    return names


class TorchAdapted(Adapted):
    """A PyTorch callable taking and returning arrays of one backend."""

    framework = "torch"

    def __init__(
        self,
        fn: Callable[..., Any],
        backend: Backend,
        *,
        device: torch.device,
        dtype: torch.dtype | None,
        train: bool | None,
    ) -> None:
        super().__init__(fn, backend)
        self.module = _module_of(fn)
        self.torch_device = device
        self.dtype = dtype
        self.train = train
        self._cupy = backend.xp if backend.name == "cupy" else None
        self._wide: TorchAdapted | None = None

    @property
    def device(self) -> str:
        return str(self.torch_device)

    def in_float64(self) -> TorchAdapted | None:
        """A float64 deep copy of a lower-precision module (made once; the user's module is
        untouched), or None for functions, float64 modules and modules that refuse a copy."""
        module = self.module
        if self._wide is None and module is not None and self.dtype in _NARROW:
            wide = _float64_twin(module)
            if wide is None:
                return None
            fn = wide if self.original is module else getattr(wide, self.original.__name__)
            self._wide = TorchAdapted(
                fn, self.backend, device=self.torch_device, dtype=torch.float64, train=self.train
            )
        return self._wide

    def info(self) -> dict[str, Any]:
        out = super().info()
        out["version"] = torch.__version__
        if self.torch_device.type == "cuda":
            # TF32 rounds float32 matmul/conv inputs to 10-bit mantissas: tolerances must know.
            out["tf32_matmul"] = bool(torch.backends.cuda.matmul.allow_tf32)
            out["tf32_cudnn"] = bool(torch.backends.cudnn.allow_tf32)
        return out

    # --- arrays -> tensors ------------------------------------------------------------------
    def _is_input_array(self, x: Any) -> bool:
        return isinstance(x, np.ndarray) or self.backend.is_array(x)

    def _to_tensor(self, x: Any) -> torch.Tensor:
        cp = self._cupy
        if cp is not None and isinstance(x, cp.ndarray) and self.torch_device.type == "cuda":
            if any(s < 0 for s in x.strides):
                x = cp.ascontiguousarray(x)  # DLPack consumers reject negative strides
            t = torch.from_dlpack(x)  # zero-copy, stream-ordered by the DLPack protocol
        else:
            host = self.backend.to_host(x)
            if not host.flags.writeable or any(s < 0 for s in host.strides):
                host = np.array(host, order="C", copy=True)
            try:
                t = torch.from_numpy(host)  # shares memory: in-place edits by f stay visible
            except (TypeError, RuntimeError, ValueError):
                t = torch.tensor(np.array(host))
        dtype = self.dtype if (self.dtype is not None and t.is_floating_point()) else None
        if t.device != self.torch_device or dtype is not None:
            t = t.to(device=self.torch_device, dtype=dtype)
        return t

    # --- tensors -> arrays ------------------------------------------------------------------
    def _from_tensor(self, t: torch.Tensor) -> Any:
        t = _numpy_able(t.detach().resolve_conj().resolve_neg())
        cp = self._cupy
        if cp is not None and t.is_cuda:
            return cp.from_dlpack(t)
        return self.backend.asarray(t.cpu().numpy())

    # --- the call -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _mode(self) -> Iterator[None]:
        module = self.module
        if module is None:
            yield
            return
        modes = [(m, m.training) for m in module.modules()]
        saved = [b.detach().clone() for b in module.buffers()] if self.train else None
        module.train(bool(self.train))
        try:
            yield
        finally:
            for m, was in modes:
                m.training = was
            if saved is not None:
                for b, s in zip(module.buffers(), saved):
                    b.copy_(s)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args, kwargs = tree_map(self._to_tensor, (args, kwargs), self._is_input_array)
        with torch.no_grad(), self._mode():
            out = self.original(*args, **kwargs)
        return tree_map(self._from_tensor, out, lambda v: isinstance(v, torch.Tensor))


#: Float64 copies of the modules checked so far, kept while the module lives: a deep copy
#: costs far more than refreshing its values (e3nn modules recompile when copied).
_TWINS: weakref.WeakKeyDictionary[torch.nn.Module, torch.nn.Module] = weakref.WeakKeyDictionary()


def _state_names(module: torch.nn.Module) -> list[str]:
    return [n for n, _ in module.named_parameters()] + [n for n, _ in module.named_buffers()]


def _float64_twin(module: torch.nn.Module) -> torch.nn.Module | None:
    """A float64 copy of ``module`` holding its current parameters and buffers (made once per
    module, refreshed on every use); None when the module cannot be copied."""
    twin = _TWINS.get(module)
    if twin is None or _state_names(twin) != _state_names(module):
        try:
            twin = copy.deepcopy(module).to(dtype=torch.float64)
        except Exception:  # noqa: BLE001 - a module that cannot be copied has no float64 version
            return None
        _TWINS[module] = twin
        return twin
    with torch.no_grad():
        pairs = zip([*twin.parameters(), *twin.buffers()], [*module.parameters(), *module.buffers()])
        for mine, theirs in pairs:
            mine.copy_(theirs)  # casts to the twin's dtype
    for mine, theirs in zip(twin.modules(), module.modules()):
        mine.training = theirs.training
    return twin


def _module_of(fn: Any) -> torch.nn.Module | None:
    """The module whose mode and device matter: ``fn`` itself, or the owner of ``model.forward``."""
    for candidate in (fn, getattr(fn, "__self__", None)):
        if isinstance(candidate, torch.nn.Module):
            return candidate
    return None


def _default_device(backend: Backend) -> torch.device:
    if backend.name == "cupy":
        return torch.device("cuda", int(backend.xp.cuda.Device().id))
    return torch.device("cpu")


def adapt_torch(
    fn: Callable[..., Any],
    backend: Backend,
    *,
    train: bool | None = None,
    device: Any = None,
    dtype: Any = None,
) -> TorchAdapted:
    """Wrap a module or tensor function for ``backend`` arrays (see :mod:`equicheck.adapters`)."""
    if train is not None and not isinstance(train, bool):
        raise TypeError(f"train must be True, False or None, got {train!r}")
    if dtype is not None and not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype such as torch.float32, got {dtype!r}")
    module = _module_of(fn)
    if device is None:
        first = _first_tensor(module) if module is not None else None
        dev = first.device if first is not None else _default_device(backend)
    else:
        dev = torch.device(device)
    if dtype is None and module is not None:
        dtype = _floating_dtype(module)
    if module is not None and train is None and any(m.training for m in module.modules()):
        layers = _mode_sensitive_layers(module)
        which = f"; layers that behave differently there: {', '.join(layers)}" if layers else ""
        warnings.warn(
            f"the model {type(module).__name__} is in training mode{which}. equicheck checks "
            "it in eval mode (and restores the mode afterwards); call model.eval() first, or "
            "pass train=False to say so, or equicheck.adapters.torch_model(model, train=True) "
            "to check training mode",
            UserWarning,
            stacklevel=3,
        )
    return TorchAdapted(fn, backend, device=dev, dtype=dtype, train=train)
