"""The progress bar: drawn on a terminal only, erased when done, never in pipes and logs."""

from __future__ import annotations

import io

from equicheck.progress import Progress, counting


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_the_stream_is_not_a_terminal():
    stream = io.StringIO()
    with Progress(3, "work", stream=stream) as bar:
        bar.advance(note="one")
    assert not bar.enabled and stream.getvalue() == ""


def test_drawn_on_a_terminal_and_erased_at_the_end(monkeypatch):
    monkeypatch.delenv("EQUICHECK_NO_PROGRESS", raising=False)
    stream = Terminal()
    with Progress(4, "demo", stream=stream) as bar:
        bar.set_note("claim 1")
        bar.advance(2)
        assert "[############------------] 2/4" in bar.line()
    text = stream.getvalue()
    assert text.startswith("\rdemo [") and "claim 1" in text
    assert text.endswith("\r")  # the line is blank again for what is printed next
    assert text.rstrip("\r").split("\r")[-1].strip() == ""


def test_turned_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("EQUICHECK_NO_PROGRESS", "1")
    assert not Progress(2, stream=Terminal()).enabled


def test_counting_calls_without_a_total():
    bar = Progress(None, "calls", stream=Terminal(), enabled=True)
    f = counting(lambda x: 2 * x, bar)
    assert [f(1), f(2)] == [2, 4]
    assert bar.done == 2 and bar.line().startswith("calls 2 ")
    bar.close()
