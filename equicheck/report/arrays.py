"""The small arrays of a result (counterexample input and outputs, error map of the worst
element) kept out of the JSON text.

In a result's dict (``CheckResult.to_dict()``) arrays sit in two places, as nested lists:
``counterexample.arrays`` and ``extra.worst_arrays``. :func:`split` replaces each with a
reference ``{"$array": key, "shape": [...], "dtype": "..."}`` and returns the arrays for a
sidecar ``.npz`` file; :func:`join` puts arrays back. :func:`pack` / :func:`unpack` do the
same inline (base64 ``.npy`` bytes), for results that travel on pytest reports between
xdist workers and the controller.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

import numpy as np

__all__ = [
    "has_arrays",
    "join",
    "pack",
    "plain",
    "read_sidecar",
    "save_npz",
    "split",
    "unpack",
    "write_sidecar",
]

#: (container key, field) pairs of a result dict that hold a {name: array} mapping.
PLACES: tuple[tuple[str, str], ...] = (("counterexample", "arrays"), ("extra", "worst_arrays"))
_SHORT = {"counterexample": "counterexample", "extra": "worst"}


def _slots(result: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, mapping) for each array mapping present in ``result`` (a result dict).

    The containers are copied on the way (``to_dict()`` shares ``extra`` with the live
    result), so changing a mapping never changes the result it came from.
    """
    for container, name in PLACES:
        holder = result.get(container)
        if isinstance(holder, dict) and isinstance(holder.get(name), dict):
            holder = result[container] = dict(holder)
            mapping = holder[name] = dict(holder[name])
            yield _SHORT[container], mapping


def _as_array(value: Any) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype == object:
        array = np.asarray(value, dtype=np.float64)
    return array


def has_arrays(result: dict[str, Any]) -> bool:
    """Whether a result dict carries any array."""
    return any(bool(mapping) for _, mapping in _slots(result))


def split(result: dict[str, Any], prefix: str) -> dict[str, np.ndarray]:
    """Replace the arrays in ``result`` (in place) by references; return them by key.

    Keys are ``f"{prefix}.{place}.{name}"``, e.g. ``r3.counterexample.input``.
    """
    out: dict[str, np.ndarray] = {}
    for label, mapping in _slots(result):
        for name in list(mapping):
            value = mapping[name]
            if isinstance(value, dict) and ("$array" in value or "$npy" in value):
                continue
            array = _as_array(value)
            key = f"{prefix}.{label}.{name}"
            out[key] = array
            mapping[name] = {"$array": key, "shape": list(array.shape), "dtype": str(array.dtype)}
    return out


def join(result: dict[str, Any], arrays: Mapping[str, np.ndarray] | None) -> list[str]:
    """Replace references in ``result`` (in place) by nested lists; return missing keys.

    A reference whose array is missing (no sidecar file) is dropped from the mapping.
    """
    missing: list[str] = []
    for _, mapping in _slots(result):
        for name in list(mapping):
            value = mapping[name]
            if not isinstance(value, dict):
                continue
            if "$npy" in value:
                mapping[name] = _from_npy(value["$npy"]).tolist()
            elif "$array" in value:
                key = value["$array"]
                if arrays is not None and key in arrays:
                    mapping[name] = np.asarray(arrays[key]).tolist()
                else:
                    missing.append(key)
                    del mapping[name]
    return missing


def _to_npy(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _from_npy(text: str) -> np.ndarray:
    return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)


def plain(value: Any) -> Any:
    """``value`` with only plain Python data: NumPy scalars and arrays become numbers and
    lists, tuples lists, keys strings, and any other object its ``str()`` (so that it
    pickles across processes and writes as JSON, whatever a check put in ``extra``)."""
    if isinstance(value, np.generic):  # first: np.float64 is also a float
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def pack(result: dict[str, Any], keep_arrays: bool = True) -> dict[str, Any]:
    """Make ``result`` plain and compact for transport: arrays become base64 ``.npy``
    (``{"$npy": ...}``), or are dropped when ``keep_arrays`` is false. Returns the new dict."""
    for _, mapping in _slots(result):
        for name in list(mapping):
            if not keep_arrays:
                del mapping[name]
            elif not isinstance(mapping[name], dict):
                mapping[name] = {"$npy": _to_npy(_as_array(mapping[name]))}
    out: dict[str, Any] = plain(result)
    return out


def unpack(result: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`pack` (in place): arrays back to nested lists. Returns ``result``."""
    join(result, None)
    return result


def save_npz(handle: BinaryIO, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` as a compressed ``.npz`` to an open binary file (no pickles)."""
    np.savez_compressed(handle, **dict(arrays))  # type: ignore[arg-type]


def write_sidecar(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` to an ``.npz`` file atomically (compressed; no pickles)."""
    from .atomic import atomic_write

    atomic_write(path, lambda handle: save_npz(handle, arrays))


def read_sidecar(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read the arrays of a sidecar ``.npz`` (pickles refused)."""
    with np.load(path, allow_pickle=False) as data:
        return {name: np.array(data[name]) for name in data.files}
