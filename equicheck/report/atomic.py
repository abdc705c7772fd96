"""Atomic file writes: a reader (or a CI job collecting artifacts) never sees half a report,
and the files of one report set (JSON, sidecar, HTML, Markdown) replace the old ones all or
none.

The data goes to temporary files in each destination's folder; only when every one of them
is written do they replace their destinations with :func:`os.replace` (atomic on POSIX and
Windows within one file system). An error or a KeyboardInterrupt while any file is written
removes the temporary files and leaves every destination as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

__all__ = ["Writer", "atomic_write", "atomic_write_all", "atomic_write_bytes", "atomic_write_text"]

#: Writes a file's content to the open binary handle it is given.
Writer = Callable[[BinaryIO], object]


def _discard(temporaries: Sequence[str]) -> None:
    for tmp in temporaries:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def atomic_write_all(files: Sequence[tuple[str | os.PathLike[str], Writer]]) -> list[Path]:
    """Write every ``(path, write)`` pair, all or none; return the paths, in order.

    Each ``write(file)`` fills a temporary file beside its ``path`` (parent folders are
    created if needed). Only after all of them succeeded are the temporary files moved over
    their paths, in the order given. On any error (KeyboardInterrupt included) before that,
    the temporary files are removed and every ``path`` is left as it was.
    """
    targets = [Path(path) for path, _ in files]
    temporaries: list[str] = []
    umask = os.umask(0)
    os.umask(umask)
    try:
        for target, (_, write) in zip(targets, files):
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            temporaries.append(tmp)
            with os.fdopen(fd, "wb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            # mkstemp creates files readable by the owner only; a report is an ordinary file
            os.chmod(tmp, 0o666 & ~umask)
    except BaseException:
        _discard(temporaries)
        raise
    # Everything is on disk: the renames are all that is left (no rendering, no writing).
    done = 0
    try:
        for tmp, target in zip(temporaries, targets):
            os.replace(tmp, target)
            done += 1
    except BaseException:
        _discard(temporaries[done:])
        raise
    return targets


def atomic_write(path: str | os.PathLike[str], write: Writer) -> Path:
    """Call ``write(file)`` on a temporary file, then move it over ``path``; returns ``path``.

    The parent folder is created if needed. On any error the temporary file is removed and
    ``path`` is left as it was.
    """
    return atomic_write_all([(path, write)])[0]


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda handle: handle.write(data))


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))
