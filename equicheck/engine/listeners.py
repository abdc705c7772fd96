"""Who is told of every result: integrations (the pytest plugin) subscribe here."""

from __future__ import annotations

from collections.abc import Callable

from ..result import CheckResult

__all__ = ["notify", "recording", "subscribe", "unsubscribe"]

Listener = Callable[[CheckResult], None]

#: Callables told of every result, in subscription order.
_LISTENERS: list[Listener] = []


def subscribe(listener: Listener) -> None:
    """Call ``listener(result)`` for every check that finishes from now on."""
    _LISTENERS.append(listener)


def unsubscribe(listener: Listener) -> None:
    """Stop calling ``listener`` (no error if it was not subscribed)."""
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


def notify(result: CheckResult) -> None:
    """Tell every listener of ``result``."""
    for listener in list(_LISTENERS):
        listener(result)


class recording:  # noqa: N801 - used like a function, as warnings.catch_warnings
    """Collect every :class:`CheckResult` made inside the block: ``with recording() as results:``."""

    def __init__(self) -> None:
        self.results: list[CheckResult] = []

    def __enter__(self) -> list[CheckResult]:
        subscribe(self.results.append)
        return self.results

    def __exit__(self, *exc: object) -> None:
        unsubscribe(self.results.append)
