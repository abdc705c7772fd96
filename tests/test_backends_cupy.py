"""The CuPy backend: what happens without CuPy, with CuPy but no GPU, and on a GPU.

The error paths are tested twice: for real (whatever this machine has) and with the import or
the device check replaced, so that both the 'not installed' and the 'installed, no GPU'
messages are covered on every machine.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import types
from typing import Any

import numpy as np
import pytest

import equicheck
from equicheck import actions, backends
from equicheck.backends import available_backends, get_backend, use_backend
from equicheck.backends.cupy_backend import INSTALL_HINT, is_cupy_array
from equicheck.groups import p4m, shift

Unavailable = equicheck.BackendUnavailableError


def _real_state() -> str:
    """'missing', 'no-gpu' or 'gpu', found without equicheck's help."""
    try:
        cupy = importlib.import_module("cupy")
    except ImportError:
        return "missing"
    return "gpu" if cupy.cuda.is_available() else "no-gpu"


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget a CuPy backend built earlier, so the factory runs again (restored afterwards)."""
    monkeypatch.delitem(backends._CACHE, "cupy", raising=False)


def _fake_cupy(available: bool, *, version: str = "99.1.0", kernel_error: bool = False) -> types.ModuleType:
    cupy = types.ModuleType("cupy")
    cupy.__version__ = version  # type: ignore[attr-defined]

    class CUDARuntimeError(RuntimeError):
        pass

    def get_device_count() -> int:
        raise CUDARuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    runtime = types.SimpleNamespace(getDeviceCount=get_device_count)
    cupy.cuda = types.SimpleNamespace(  # type: ignore[attr-defined]
        is_available=lambda: available, runtime=runtime
    )

    def arange(*args: Any, **kwargs: Any) -> Any:
        if kernel_error:
            raise RuntimeError("CompileException: nvrtc: libnvrtc.so.12 not found")
        return np.arange(*args)

    cupy.arange = arange  # type: ignore[attr-defined]
    cupy.float32 = np.float32  # type: ignore[attr-defined]
    cupy.ndarray = type("ndarray", (), {"__module__": "cupy"})  # type: ignore[attr-defined]
    return cupy


def _fake_cupyx(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("cupyx", "cupyx.scipy", "cupyx.scipy.ndimage", "cupyx.scipy.fft", "cupyx.scipy.signal"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))


# --- the real machine ------------------------------------------------------------------------
@pytest.mark.usefixtures("fresh_registry")
def test_real_machine_gives_the_matching_answer() -> None:
    state = _real_state()
    if state == "gpu":
        b = get_backend("cupy")
        assert b.name == "cupy" and b.device.startswith("cuda:")
        assert available_backends()["cupy"] is None
        return
    with pytest.raises(Unavailable) as info:
        get_backend("cupy")
    message = str(info.value)
    assert message == available_backends()["cupy"]
    assert 'pip install "equicheck[cupy]"' in message or "driver" in message
    if state == "missing":
        assert "not installed" in message and "cupy-cuda12x" in message
    else:
        assert "is installed but found no GPU" in message
    with pytest.raises(Unavailable):
        use_backend("cupy")
    assert get_backend().name == "numpy", "a failed use_backend must leave the setting alone"
    assert available_backends()["numpy"] is None, "the NumPy backend must keep working"


# --- not installed ---------------------------------------------------------------------------
@pytest.mark.usefixtures("fresh_registry")
def test_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes `import cupy` fail
    with pytest.raises(Unavailable, match="needs CuPy, which is not installed") as info:
        get_backend("cupy")
    assert 'pip install "equicheck[cupy]"' in str(info.value)
    assert "cupy-cuda12x" in str(info.value)
    assert isinstance(info.value, equicheck.EquicheckError)
    with pytest.raises(Unavailable, match="not installed"):
        with use_backend("cupy"):
            pass  # pragma: no cover
    assert get_backend().name == "numpy"
    assert "not installed" in str(available_backends()["cupy"])


@pytest.mark.usefixtures("fresh_registry")
def test_installed_but_broken_dependency(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(name: str, *a: Any, **k: Any) -> Any:
        err = ModuleNotFoundError("No module named 'fastrlock'")
        err.name = "fastrlock"
        raise err

    monkeypatch.setattr(importlib, "import_module", fail)
    with pytest.raises(Unavailable, match="CuPy is installed but a module it needs is missing"):
        get_backend("cupy")


# --- installed, no usable GPU ---------------------------------------------------------------
@pytest.mark.usefixtures("fresh_registry")
def test_installed_without_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(available=False))
    with pytest.raises(Unavailable) as info:
        use_backend("cupy")
    message = str(info.value)
    assert "needs a usable NVIDIA GPU" in message
    assert "CuPy 99.1.0 is installed but found no GPU" in message
    assert "cudaErrorNoDevice" in message, "CUDA's own reason is passed on"
    assert "'numpy' backend" in message
    assert get_backend().name == "numpy"


@pytest.mark.usefixtures("fresh_registry")
def test_gpu_but_cuda_libraries_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(available=True))
    monkeypatch.setitem(sys.modules, "cupyx.scipy.ndimage", None)
    with pytest.raises(Unavailable, match="cupyx.scipy failed to import") as info:
        get_backend("cupy")
    assert "cupy-cuda12x" in str(info.value)


@pytest.mark.usefixtures("fresh_registry")
def test_gpu_but_kernels_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(available=True, kernel_error=True))
    _fake_cupyx(monkeypatch)
    with pytest.raises(Unavailable, match="cannot run a kernel") as info:
        get_backend("cupy")
    assert "nvrtc" in str(info.value) and INSTALL_HINT in str(info.value)


# --- recognising CuPy arrays without importing CuPy ------------------------------------------
def test_is_cupy_array_by_module_name() -> None:
    fake = type("ndarray", (), {"__module__": "cupy"})()
    deep = type("_ndarray_base", (), {"__module__": "cupy._core.core"})()
    other = type("ndarray", (), {"__module__": "cupyish"})()
    assert is_cupy_array(fake) and is_cupy_array(deep)
    assert not is_cupy_array(other) and not is_cupy_array(np.zeros(2))
    assert backends._OWNERS["cupy"](fake) and not backends._OWNERS["cupy"](np.zeros(2))


def test_selecting_by_array_does_not_import_cupy() -> None:
    code = (
        "import sys, numpy as np, equicheck\n"
        "from equicheck import actions, groups\n"
        "x = np.zeros((1, 2, 4, 4))\n"
        "assert equicheck.get_backend(None, x).name == 'numpy'\n"
        "actions.spatial().apply(groups.rot90(1), x)\n"
        "assert 'cupy' not in sys.modules, 'selecting a backend imported CuPy'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# --- on a GPU ---------------------------------------------------------------------------------
@pytest.mark.gpu
def test_cupy_backend_on_gpu() -> None:
    import cupy

    b = get_backend("cupy")
    assert b.name == "cupy" and b.xp is cupy
    assert b.device.startswith("cuda:") and "(" in b.device
    info = b.info()
    assert {"gpu", "cuda_runtime", "cuda_driver", "compute_capability", "tf32"} <= set(info)
    x = cupy.arange(16.0).reshape(1, 1, 4, 4)
    assert get_backend(None, x) is b, "a CuPy array selects the CuPy backend"
    with use_backend("cupy") as used:
        assert used is b and get_backend() is b
    out = actions.spatial().prepare(p4m(), x.shape).apply(shift(1, 0), x)
    assert isinstance(out, cupy.ndarray), "the action stayed on the GPU"
    host = b.to_host(out)
    assert isinstance(host, np.ndarray)
    np.testing.assert_array_equal(host, np.roll(np.arange(16.0).reshape(1, 1, 4, 4), 1, axis=2))
    assert b.ndimage.__name__.startswith("cupyx.scipy")
    assert b.fft.__name__.startswith("cupyx.scipy") and b.signal.__name__.startswith("cupyx.scipy")
    b.synchronize()


@pytest.mark.gpu
def test_cupy_takes_gpu_tensors_without_copy() -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("this PyTorch build has no CUDA")
    b = get_backend("cupy")
    t = torch.arange(6.0, device="cuda")
    x = b.asarray(t)
    assert b.is_array(x)
    t[0] = 42.0
    torch.cuda.synchronize()
    assert float(x[0].get()) == 42.0, "DLPack exchange shares memory"
