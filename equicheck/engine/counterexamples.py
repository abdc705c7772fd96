"""Counterexamples on disk: saved atomically as .npz (arrays + the check's metadata) and
loaded back, independent of random-number streams (:func:`equicheck.replay` re-checks one)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

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


def load_counterexample(path: str | os.PathLike[str]) -> tuple[Any, dict[str, Any]]:
    """The saved input (an array, tuple or dict, as f takes it) and the check's metadata."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["__meta__"]))
        raw = {name[4:]: np.array(data[name]) for name in data.files if name.startswith("arg_")}
    if all(k.isdigit() for k in raw):
        ordered = tuple(raw[k] for k in sorted(raw, key=int))
        value: Any = ordered[0] if len(ordered) == 1 else ordered
    else:
        value = dict(raw)
    return value, meta


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
        "rtol": meta["rtol"],
        "atol": meta["atol"],
        "replay_dir": None,
    }
