"""Counterexamples on disk: saved atomically as .npz (arrays + the check's metadata) and
loaded back, independent of random-number streams (:func:`equicheck.replay` re-checks one)."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ReplayError

__all__ = ["load_counterexample", "replay_kwargs", "save_counterexample"]


def save_counterexample(
    directory: Path, stem: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]
) -> Path | None:
    """Write ``arrays`` (named ``arg_<key>``) and ``meta`` to ``directory/<stem>-<hash>.npz``.

    The name carries a hash of the content, so the same failure is written once; the file
    appears whole or not at all (temporary file + rename). Returns None if it cannot write.
    """
    digest = hashlib.sha1(json.dumps(meta, sort_keys=True, default=str).encode())
    for v in arrays.values():
        digest.update(np.ascontiguousarray(v).tobytes())
    name = f"{stem}-{digest.hexdigest()[:10]}"
    name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{name}.npz"
        tmp = directory / f".{name}.{os.getpid()}.tmp.npz"
        np.savez(tmp, __meta__=np.asarray(json.dumps(meta, default=str)), **arrays)
        os.replace(tmp, path)
    except OSError:
        return None
    return path


#: What a counterexample's metadata must hold to be replayed, and the types each may have.
_META_TYPES: dict[str, tuple[type, ...]] = {
    "group": (str,),
    "in_action": (dict,),
    "out_action": (str, list, dict, type(None)),
    "batched": (bool,),
    "margin": (int,),
    "rtol": (int, float, type(None)),
    "atol": (int, float, type(None)),
}
#: Keys that may be absent (files of older versions) but have a type when present.
_OPTIONAL_META_TYPES: dict[str, tuple[type, ...]] = {"element": (str, type(None))}

#: The first bytes of files that are not an equicheck .npz, and what they are.
_MAGIC = ((b"\x93NUMPY", "a single NumPy array (.npy), not an .npz archive"), (b"\x80", "a Python pickle"))


def load_counterexample(path: str | os.PathLike[str]) -> tuple[Any, dict[str, Any]]:
    """The saved input (an array, tuple or dict, as f takes it) and the check's metadata.

    A file that is missing, empty, truncated, not an equicheck ``.npz`` (a pickle, a ``.npy``,
    anything else), or whose metadata is unreadable or incomplete raises
    :class:`~equicheck.errors.ReplayError` naming the file and what is wrong. Pickles are never
    loaded."""
    where = os.fspath(path)
    try:
        with open(where, "rb") as handle:
            head = handle.read(8)
    except FileNotFoundError:
        raise ReplayError(f"no counterexample file at {where!r}: check the path") from None
    except OSError as exc:
        raise ReplayError(f"cannot read counterexample file {where!r}: {exc.strerror or exc}") from None
    if not head:
        raise ReplayError(f"counterexample file {where!r} is empty (a write that did not finish?)")
    if not head.startswith(b"PK"):
        what = next((name for magic, name in _MAGIC if head.startswith(magic)), "not an .npz archive")
        raise ReplayError(
            f"{where!r} is not an equicheck counterexample: it is {what}; replay takes the .npz "
            "files that equicheck saves under replay_dir"
        )
    try:
        with np.load(where, allow_pickle=False) as data:
            if "__meta__" not in data.files:
                raise ReplayError(
                    f"{where!r} is an .npz archive but not an equicheck counterexample: it has no "
                    f"__meta__ entry (it holds {', '.join(data.files) or 'nothing'})"
                )
            text = str(data["__meta__"])
            raw = {name[4:]: np.array(data[name]) for name in data.files if name.startswith("arg_")}
    except ReplayError:
        raise
    except ValueError as exc:  # NumPy refuses object arrays (pickled) when allow_pickle=False
        if "pickle" in str(exc):
            raise ReplayError(
                f"counterexample file {where!r} holds pickled (object) arrays, which equicheck "
                "never loads; equicheck saves numeric arrays only"
            ) from None
        raise ReplayError(f"counterexample file {where!r} is corrupt: {exc}") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise ReplayError(
            f"counterexample file {where!r} is truncated or corrupt ({type(exc).__name__}: {exc}); "
            "run the check again to save a new one"
        ) from None
    try:
        meta = json.loads(text)
    except ValueError as exc:
        raise ReplayError(f"the metadata of {where!r} is not valid JSON: {exc}") from None
    _check_meta(meta, where)
    if not raw:
        raise ReplayError(f"counterexample file {where!r} holds no input arrays (arg_0, ...)")
    if all(k.isdigit() for k in raw):
        ordered = tuple(raw[k] for k in sorted(raw, key=int))
        value: Any = ordered[0] if len(ordered) == 1 else ordered
    else:
        value = dict(raw)
    return value, meta


def _check_meta(meta: Any, where: str) -> None:
    """Raise :class:`ReplayError` unless ``meta`` has every key a replay reads, each of its type."""
    if not isinstance(meta, dict):
        raise ReplayError(f"the metadata of {where!r} is a JSON {type(meta).__name__}, not an object")
    missing = [key for key in _META_TYPES if key not in meta]
    if missing:
        raise ReplayError(
            f"the metadata of {where!r} lacks {', '.join(missing)}; it was not written by equicheck, "
            "or by a version that cannot be replayed"
        )
    for key, types in (*_META_TYPES.items(), *_OPTIONAL_META_TYPES.items()):
        if key not in meta:
            continue
        value = meta[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            allowed = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            raise ReplayError(f"the metadata of {where!r} has {key} = {value!r}; expected {allowed}")
    if not meta["in_action"] or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in meta["in_action"].items()
    ):
        raise ReplayError(f"the metadata of {where!r} has in_action = {meta['in_action']!r}; expected names")


def replay_kwargs(meta: dict[str, Any], value: Any) -> dict[str, Any]:
    """The keywords of :func:`equicheck.check_equivariance` that re-check a saved case."""
    in_action: Any = meta["in_action"]
    if list(in_action) == ["0"]:
        in_action = in_action["0"]
    elif all(k.isdigit() for k in in_action):
        in_action = tuple(in_action[k] for k in sorted(in_action, key=int))
    invariant = meta["out_action"] == "invariant"
    return {
        "in_action": in_action,
        "out_action": None if invariant else meta["out_action"],
        "invariant": invariant,
        "inputs": value,
        "elements": [meta["element"]] if meta.get("element") else None,
        "batched": meta["batched"],
        "margin": meta["margin"],
        "allow_non_finite": bool(meta.get("allow_non_finite", False)),  # files of 0.1 lack it
        "rtol": meta["rtol"],
        "atol": meta["atol"],
        "replay_dir": None,
    }
