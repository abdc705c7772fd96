"""The browser tests skip where chromium is missing, except under ``CI=true``, where a missing
chromium fails them (with the same message): a CI run cannot pass them by skipping.

Tests the decision (:func:`test_report_browser.require_chromium`) with a fake ``PATH`` and
environment, and once through pytest itself, to see the outcome a run reports.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

browser_test = pytest.importorskip("test_report_browser", reason="needs tests/test_report_browser.py")

pytest_plugins = ["pytester"]


def _fake_chromium(folder: Path, name: str = "chromium") -> Path:
    exe = folder / name
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


def test_chromium_is_looked_up_on_the_path(tmp_path: Path):
    assert browser_test.find_chromium(path=str(tmp_path)) is None
    exe = _fake_chromium(tmp_path, "chromium-browser")
    assert browser_test.find_chromium(path=str(tmp_path)) == str(exe)
    assert browser_test.find_chromium(path=os.pathsep.join(["/nonexistent", str(tmp_path)])) == str(exe)


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes"])
def test_missing_chromium_fails_under_ci(value: str):
    with pytest.raises(pytest.fail.Exception) as failed:
        browser_test.require_chromium(None, {"CI": value})
    assert browser_test.MISSING in str(failed.value)
    assert "CI=true" in str(failed.value)


@pytest.mark.parametrize(
    "environ", [{}, {"CI": ""}, {"CI": "false"}, {"CI": "0"}, {"GITHUB_ACTIONS": "true"}]
)
def test_missing_chromium_skips_elsewhere(environ: dict[str, str]):
    with pytest.raises(pytest.skip.Exception) as skipped:
        browser_test.require_chromium(None, environ)
    assert str(skipped.value) == browser_test.MISSING


@pytest.mark.parametrize("environ", [{}, {"CI": "true"}])
def test_found_chromium_is_used(tmp_path: Path, environ: dict[str, str]):
    exe = str(_fake_chromium(tmp_path))
    assert browser_test.require_chromium(exe, environ) == exe


#: A browser test as the real ones start, with chromium looked up on an empty PATH (so it is
#: missing whatever this machine has).
MISSING_BROWSER = """
import test_report_browser as browser_test


def test_in_a_browser():
    browser_test.require_chromium(browser_test.find_chromium(path=""))
    raise AssertionError("not reached")
"""


@pytest.mark.parametrize("ci", [True, False])
def test_a_run_without_chromium_fails_only_under_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: bool
):
    if ci:
        monkeypatch.setenv("CI", "true")
    else:
        monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_missing_browser=MISSING_BROWSER)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs", "-p", "no:equicheck", "-p", "no:benchmark")
    out = result.stdout.str()
    if ci:
        result.assert_outcomes(failed=1)
        assert browser_test.MISSING in out and "CI=true" in out
    else:
        result.assert_outcomes(skipped=1)
        assert browser_test.MISSING in out
