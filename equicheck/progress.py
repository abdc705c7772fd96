"""A one-line progress bar on stderr for long runs (the demo, ``equicheck check``).

Why our own and not tqdm: it is twenty lines, needs no dependency, and does exactly what
the command line needs: draw only when stderr is a terminal (logs, CI output and pipes stay
clean), redraw at most ten times a second, and erase itself when done so that the results
printed on stdout are all that remains.
"""

from __future__ import annotations

import os
import sys
import time
from typing import IO, Any

__all__ = ["Progress", "counting"]

#: Seconds between redraws at most (drawing is cheap, but a terminal flooded is not).
REDRAW = 0.1


class Progress:
    """``with Progress(total=5, label="demo") as bar: bar.advance(note="step")``.

    ``total=None`` counts without a bar (e.g. calls of a function). ``enabled=None`` draws
    only when ``stream`` is a terminal and ``EQUICHECK_NO_PROGRESS`` is unset.
    """

    def __init__(
        self,
        total: int | None = None,
        label: str = "",
        *,
        stream: IO[str] | None = None,
        enabled: bool | None = None,
        width: int = 24,
    ) -> None:
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty()) and not os.environ.get("EQUICHECK_NO_PROGRESS")
        self.enabled = enabled
        self.width = width
        self.done = 0
        self.note = ""
        self.start = time.perf_counter()
        self._last = 0.0
        self._drawn = 0  # characters on the line now

    def __enter__(self) -> Progress:
        self._draw(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def advance(self, n: int = 1, note: str | None = None) -> None:
        """``n`` more units done; ``note`` says what runs now."""
        self.done += n
        if note is not None:
            self.note = note
        self._draw()

    def set_note(self, note: str) -> None:
        """Say what runs now without counting a unit."""
        self.note = note
        self._draw(force=True)

    def line(self) -> str:
        """The text of the bar as it would be drawn now."""
        elapsed = time.perf_counter() - self.start
        head = f"{self.label} " if self.label else ""
        if self.total:
            share = min(self.done / self.total, 1.0)
            filled = int(round(share * self.width))
            bar = "#" * filled + "-" * (self.width - filled)
            body = f"[{bar}] {self.done}/{self.total}"
        else:
            body = f"{self.done}"
        note = f" {self.note}" if self.note else ""
        return f"{head}{body} {elapsed:5.1f}s{note}"

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last < REDRAW:
            return
        self._last = now
        text = self.line()
        columns = _columns() - 1
        if len(text) > columns:
            text = text[: columns - 1] + "…"
        pad = " " * max(self._drawn - len(text), 0)
        self._write("\r" + text + pad)
        self._drawn = len(text)

    def close(self) -> None:
        """Erase the bar (the line is left empty for what is printed next)."""
        if self.enabled and self._drawn:
            self._write("\r" + " " * self._drawn + "\r")
            self._drawn = 0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken terminal: stop drawing
            self.enabled = False


def _columns() -> int:
    """The terminal's width; 100 where it cannot be told (a pty that reports 0 columns)."""
    try:
        columns = os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 100
    return columns if columns >= 20 else 100


def counting(f: Any, bar: Progress) -> Any:
    """``f`` wrapped so that each call advances ``bar`` by one (for runs of unknown length)."""

    def counted(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        finally:
            bar.advance()

    return counted
