"""The HTML report in a real headless browser: the page loads, every image renders with a
size, nothing is logged as an error, injected markup stays text, and nothing is clipped: no
table is wider than the 1280-px window's page, and every text of every SVG figure lies
within its figure.

Drives Debian's ``chromium`` over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
JSON messages separated by NUL bytes on file descriptors 3 and 4), so no WebDriver, no
network port and no Python package beyond the standard library are needed. Skipped, with
the reason, where chromium is not installed (``apt-get install chromium``); under ``CI=true``
that is a failure instead (:func:`require_chromium`), so CI cannot pass them by skipping.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import select
import shutil
import signal
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from equicheck import CheckResult
from equicheck.report import Report, capture, write_reports

pytest.importorskip("jinja2")
pytest.importorskip("matplotlib")
fcntl = pytest.importorskip("fcntl", reason="drives the browser through POSIX pipes")

#: Why the browser tests do not run here: the skip reason, and under CI=true the failure.
MISSING = "needs Debian's chromium (apt-get install chromium); not found on PATH"


def find_chromium(path: str | None = None) -> str | None:
    """The chromium executable on ``path`` (default: ``$PATH``), or None."""
    found = (shutil.which(name, path=path) for name in ("chromium", "chromium-browser"))
    return next((f for f in found if f), None)


def on_ci(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether ``CI`` says this is a CI run (``true``, as GitHub Actions and GitLab set it, or 1/yes)."""
    return environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require_chromium(executable: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """``executable``; without one, skip the test with :data:`MISSING`, or under ``CI=true``
    fail it with that message (a CI run must not pass the browser tests by skipping them)."""
    if executable is not None:
        return executable
    if on_ci(environ):
        pytest.fail(f"{MISSING} (CI=true: the browser tests must run there)", pytrace=False)
    pytest.skip(MISSING)


CHROMIUM = find_chromium()
TIMEOUT = 60.0
#: Half a pixel of slack for rounding when comparing extents.
SLACK = 0.5


#: An async JS function measuring what a reader would see cut off, on the page as laid out:
#: ``overflow`` (how far the page is wider than the window), ``tables`` (each table whose
#: container scrolls or which reaches past its container or the window) and ``clipped`` (each
#: text of each ``data:`` SVG figure whose box is not within its figure's box). Each figure is
#: parsed with DOMParser and inserted off-screen, where its texts' boxes can be measured.
LAYOUT = """
async () => {
  const root = document.documentElement;
  const rect = r => [r.left, r.top, r.right, r.bottom].map(v => Math.round(v * 10) / 10);
  const tables = [];
  for (const [k, table] of [...document.querySelectorAll("table")].entries()) {
    const box = table.parentElement;
    const t = table.getBoundingClientRect(), b = box.getBoundingClientRect();
    const wide = t.right > b.right + SLACK || t.right > root.clientWidth + SLACK;
    if (box.scrollWidth > box.clientWidth || wide) {
      tables.push({table: k, container: box.tagName + "." + box.className, scrollWidth: box.scrollWidth,
                   clientWidth: box.clientWidth, table_box: rect(t), container_box: rect(b)});
    }
  }
  const overflow = root.scrollWidth - root.clientWidth;
  const clipped = [];
  const host = document.createElement("div");
  host.style.cssText = "position: absolute; left: -30000px; top: 0;";
  document.body.appendChild(host);
  for (const img of document.images) {
    const prefix = "data:image/svg+xml;base64,";
    if (!img.src.startsWith(prefix)) continue;
    const bytes = Uint8Array.from(atob(img.src.slice(prefix.length)), c => c.charCodeAt(0));
    const parsed = new DOMParser().parseFromString(new TextDecoder().decode(bytes), "image/svg+xml");
    host.replaceChildren(document.importNode(parsed.documentElement, true));
    const svg = host.firstElementChild;
    const s = svg.getBoundingClientRect();
    for (const text of svg.querySelectorAll("text")) {
      const r = text.getBoundingClientRect();
      if (!text.textContent.trim() || r.width === 0) continue;
      if (r.left < s.left - SLACK || r.top < s.top - SLACK || r.right > s.right + SLACK
          || r.bottom > s.bottom + SLACK) {
        clipped.push({figure: img.alt, text: text.textContent, text_box: rect(r), svg_box: rect(s)});
      }
    }
  }
  host.remove();
  return {overflow, tables, clipped};
}
""".replace("SLACK", str(SLACK))

#: What the page reports about itself once every image has decoded.
PROBE = """
(async () => {
  const images = [...document.images];
  const decoded = await Promise.all(images.map(i => i.decode().then(() => null, e => String(e))));
  return {
    title: document.title,
    scripts: document.scripts.length,
    articles: document.querySelectorAll("article.check").length,
    text: document.body.innerText,
    images: images.map((img, k) => {
      const box = img.getBoundingClientRect();
      return {alt: img.alt, natural: [img.naturalWidth, img.naturalHeight],
              shown: [box.width, box.height], complete: img.complete, error: decoded[k]};
    }),
    layout: await (LAYOUT)(),
  };
})()
""".replace("LAYOUT", LAYOUT)


class Chromium:
    """A headless chromium spoken to over ``--remote-debugging-pipe``."""

    def __init__(self, executable: str, profile: Path) -> None:
        to_browser_r, self._to_browser = (_high(fd) for fd in os.pipe())
        self._from_browser, from_browser_w = (_high(fd) for fd in os.pipe())
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-quic",
            "--no-first-run",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            "--window-size=1280,900",
            "about:blank",
        ]
        # The browser reads commands on its fd 3 and answers on fd 4. posix_spawn places our
        # pipe ends there without forking this (possibly multithreaded) process.
        self.pid = os.posix_spawn(
            executable,
            [executable, *flags],
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_DUP2, to_browser_r, 3),
                (os.POSIX_SPAWN_DUP2, from_browser_w, 4),
            ],
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise ConnectionError("chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        for event in self.events:
            if event.get("method") == method and event.get("sessionId") == session:
                return event
        while True:
            event = self._read(deadline)
            self.events.append(event)
            if event.get("method") == method and event.get("sessionId") == session:
                return event

    def probe(self, url: str, expression: str, screenshot: Path | None = None) -> tuple[Any, list[str]]:
        """Open ``url`` in a new tab, evaluate ``expression`` (awaited) there, optionally save a
        screenshot; the value and the page's errors (:func:`_errors`)."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        answer = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session=session,
        )
        assert "exceptionDetails" not in answer, answer
        if screenshot is not None:
            shot = self.send("Page.captureScreenshot", {"format": "png"}, session=session)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        return answer["result"]["value"], _errors(self.events)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (OSError, RuntimeError, TimeoutError, ConnectionError):
            pass
        deadline = time.monotonic() + 10
        while os.waitpid(self.pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                break
            time.sleep(0.05)
        os.close(self._to_browser)
        os.close(self._from_browser)


def _high(fd: int) -> int:
    """``fd`` moved to 10 or above (so placing the pipes on 3 and 4 cannot clobber them)."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


def _errors(events: list[dict[str, Any]]) -> list[str]:
    """Console errors, uncaught exceptions and error log entries (CSP violations, failed loads)."""
    out = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            out.append(f"console: {params.get('args')}")
        elif method == "Runtime.exceptionThrown":
            out.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            out.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
    return out


def assert_nothing_clipped(layout: dict[str, Any]) -> None:
    """What :data:`LAYOUT` measured: the page fits the window, every table its container, and
    every figure's texts the figure."""
    problems = [f"the page is {layout['overflow']}px wider than the window"] if layout["overflow"] > 0 else []
    problems += [f"table wider than its container: {t}" for t in layout["tables"]]
    problems += [f"text outside its figure: {c}" for c in layout["clipped"]]
    assert problems == [], "\n".join(problems)


def test_html_report_in_a_headless_browser(report_results: list[CheckResult], tmp_path: Path):
    chromium = require_chromium(CHROMIUM)  # in the test, not a fixture: under CI=true a failure
    results = copy.deepcopy(report_results)
    # names as long as a plugin report's (pytest ids, nested functions): they must wrap, not widen
    long_id = "tests/test_with_plugin.py::test_x_derivative_is_not_rotation_equivariant[float32-28x28]"
    results[0].test_id = long_id
    results[0].function = "test_with_plugin.test_sum_over_the_grid_is_invariant.<locals>.<lambda>"
    report = Report.of(results, capture(), created="2026-01-01T00:00:00+00:00")
    page = tmp_path / "report.html"
    write_reports(report, [page])
    browser = Chromium(chromium, tmp_path / "profile")
    try:
        found, errors = browser.probe(page.as_uri(), PROBE, screenshot=tmp_path / "report.png")
    finally:
        browser.close()

    assert found["title"] == "equicheck report"  # an injected onerror= would have changed it
    assert found["scripts"] == 0  # escaped markup stays text
    assert "<script>alert('pwned')</script>" in found["text"]
    assert found["articles"] == len(report.results)
    assert len(found["images"]) >= 2 * len(report.results)
    for image in found["images"]:
        assert image["complete"] and image["error"] is None, image
        assert min(image["natural"]) > 0 and min(image["shown"]) > 0, image
    assert errors == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert_nothing_clipped(found["layout"])
