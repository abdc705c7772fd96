"""Finished cells on disk, so that a rerun (or a resumed sweep) skips them.

A cell's key is the SHA-256 of a stable JSON of: the target's reference, the hash of its
module's file and of every file a factory argument names (a checkpoint), the sweep's
``version`` (for what the hashes cannot see: the packages the module imports, the data), and
the cell's group, actions, dtype, seed and keywords. One file per finished cell,
``<folder>/cells/<key>.json``, written atomically after the cell's counterexample file: a
sweep stopped at any point leaves only whole entries, each naming files that exist.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..report.atomic import atomic_write_text
from .spec import Cell, Sweep
from .targets import file_digest, on_path

__all__ = ["FORMAT", "Cache", "target_digests"]

#: The ``format`` field of a cache entry (and part of every key: a new format, new keys).
FORMAT = "equicheck-sweep-cell-1"


def target_digests(sweep: Sweep) -> dict[str, dict[str, Any]]:
    """Per target reference: the hash of its module's file and of the files its factory
    arguments name (those that exist, relative to the working folder)."""
    out: dict[str, dict[str, Any]] = {}
    with on_path(list(sweep.path)):
        for target in sweep.targets:
            source = target.module_file()
            files = {a: file_digest(Path(a)) for a in target.path_arguments() if a and Path(a).is_file()}
            out[target.text] = {"module": file_digest(source) if source else None, "files": files}
    return out


class Cache:
    """The cached results of one sweep, under ``folder`` (``read``/``write`` off: no cache)."""

    def __init__(self, folder: Path, sweep: Sweep, *, read: bool = True, write: bool = True) -> None:
        self.folder = Path(folder)
        self.read = read
        self.write = write
        self.version = sweep.version
        self.digests = target_digests(sweep)

    def key(self, cell: Cell) -> str:
        doc = {
            "format": FORMAT,
            "cell": cell.description(),
            "sources": self.digests[cell.target.text],
            "version": self.version,
        }
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def path(self, cell: Cell) -> Path:
        return self.folder / "cells" / f"{self.key(cell)}.json"

    def get(self, cell: Cell) -> dict[str, Any] | None:
        """The cached result dict of ``cell``, or None (not cached, unreadable, or its
        counterexample file is gone)."""
        if not self.read:
            return None
        try:
            entry = json.loads(self.path(cell).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if (
            not isinstance(entry, dict)
            or entry.get("format") != FORMAT
            or not isinstance(entry.get("result"), dict)
        ):
            return None
        counterexample = entry["result"].get("counterexample") or {}
        if counterexample.get("path") and not Path(counterexample["path"]).is_file():
            return None
        return entry["result"]

    def put(self, cell: Cell, result: dict[str, Any]) -> None:
        """Store a finished cell's result dict (its counterexample file already written)."""
        if not self.write:
            return
        entry = {"format": FORMAT, "key": self.key(cell), "cell": cell.description(), "result": result}
        atomic_write_text(self.path(cell), json.dumps(entry, default=str))
