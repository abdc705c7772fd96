"""Every ```python block of README.md and docs/*.md runs here (issue 15), through Sybil.

Sybil (https://sybil.readthedocs.io) parses the pages: its ``PythonCodeBlockParser`` finds the
```python fences and its ``SkipParser`` reads ``<!-- skip: next ... -->`` comments, the way to
mark a block not to run (the page says why in its visible text, too). The blocks of one page
share one namespace, in page order, as a reader runs them top to bottom; whatever a block
needs is defined in the page itself.

Sybil's own pytest integration collects only files that pytest walks (``testpaths`` is
``tests/``) and keeps a page's namespace across items that xdist may send to different
workers. So each block is one parametrized test here: a worker runs a page's blocks in order
in one namespace and one temporary working directory (what blocks write, such as
counterexamples and reports, stays out of the repository), continuing from the block it ran
last when it gets the page's next one, and starting the page afresh otherwise. That works
with ``python -m pytest -q -n 2`` and needs no extra flag.
"""

from __future__ import annotations

import re
import unittest
from importlib import metadata
from pathlib import Path

import pytest

# sybil is in the `test` extra; no importorskip: without it the docs' blocks would go untested
import sybil
from sybil.evaluators.skip import Skipper
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SYBIL = sybil.Sybil(parsers=[PythonCodeBlockParser(), SkipParser()])

#: an opening fence whose info string starts with "python" (```python, ~~~ python notest, ...)
PYTHON_FENCE = re.compile(r"^[ \t>*+-]*(`{3,}|~{3,})[ \t]*python\b", re.MULTILINE | re.IGNORECASE)


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def _is_block(example: sybil.Example) -> bool:
    """A Python block, not a skip comment."""
    return not isinstance(example.region.evaluator, Skipper)


def _page_blocks(page: Path) -> list[sybil.Example]:
    return [example for example in SYBIL.parse(page).examples() if _is_block(example)]


#: (page, index of the block in its page, its line): tests find a block by its index, so that
#: an edit to the page's text between collection and the run does not lose it
BLOCKS = [(_name(page), i, example.line) for page in PAGES for i, example in enumerate(_page_blocks(page))]


class _PageRun:
    """One page's examples evaluated in order, in one namespace and one working directory."""

    def __init__(self, page: str, folder: Path) -> None:
        self.page, self.folder = page, folder
        self.examples = iter(SYBIL.parse(ROOT / page).examples())
        self.done = 0  # blocks run so far
        self.broken: str | None = None  # the block that failed, after which nothing runs

    def run_to(self, index: int) -> None:
        """Runs the examples up to and including the page's block number ``index``."""
        if self.broken is not None:
            pytest.fail(f"{self.broken} failed before this block ran (see its own test)")
        for example in self.examples:
            block = _is_block(example)
            target = block and self.done == index
            self.done += block
            try:
                example.evaluate()
            except unittest.SkipTest as skip:
                if target:
                    pytest.skip(f"{self.page}:{example.line} is marked not to run: {skip}")
                continue
            except BaseException:
                self.broken = f"{self.page}:{example.line}"
                raise
            if target:
                return
        pytest.fail(f"{self.page} has no Python block number {index + 1}")  # pragma: no cover


_RUNS: dict[str, _PageRun] = {}


# the plugin page's blocks use @pytest.mark.equicheck; this suite runs with -p no:equicheck
@pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")
@pytest.mark.parametrize(("page", "index", "line"), BLOCKS, ids=[f"{p}:{n}" for p, _, n in BLOCKS])
def test_block_runs(
    page: str,
    index: int,
    line: int,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Runs ``page``'s blocks down to block ``index`` (at ``line`` when collected; those before
    it only if this worker has not run them yet); a block after ``<!-- skip: next ... -->`` is
    skipped with its reason."""
    run = _RUNS.get(page)
    if run is None or run.done > index:
        run = _RUNS[page] = _PageRun(page, tmp_path_factory.mktemp("docs"))
    monkeypatch.chdir(run.folder)
    run.run_to(index)


def test_every_python_block_is_collected() -> None:
    """A ```python fence that Sybil does not see (```python notest, ~~~python, a typo in the
    info string) would escape the tests: the fences counted in the text must equal the blocks
    collected, page by page. Hidden setup is not allowed either: no ``invisible-code-block``."""
    fences = {_name(page): len(PYTHON_FENCE.findall(page.read_text(encoding="utf-8"))) for page in PAGES}
    collected = {_name(page): sum(1 for p, _, _ in BLOCKS if p == _name(page)) for page in PAGES}
    assert collected == fences
    assert sum(collected.values()) >= 15
    assert {"README.md", "docs/getting-started.md"} <= {p for p, _, _ in BLOCKS}
    hidden = [_name(p) for p in PAGES if "invisible-code" in p.read_text(encoding="utf-8")]
    assert hidden == [], "the setup a block needs belongs in the page's visible text"


def test_plugin_page_is_a_passing_test_module(pytester: pytest.Pytester) -> None:
    """docs/plugin.md's blocks define tests that use the plugin's fixture and marker: run
    together as one module under pytest (with the plugin), every one of them passes."""
    source = "\n\n".join(str(e.parsed) for e in _page_blocks(ROOT / "docs" / "plugin.md"))
    pytester.makepyfile(test_plugin_page=source)
    installed = any(ep.name == "equicheck" for ep in metadata.entry_points(group="pytest11"))
    plugin = [] if installed else ["-p", "equicheck.pytest_plugin"]
    result = pytester.runpytest_subprocess(*plugin, "-p", "no:cacheprovider", "-p", "no:benchmark")
    result.assert_outcomes(passed=5)


def test_the_fence_count_sees_what_sybil_would_miss(tmp_path: Path) -> None:
    """The count above would catch a block Sybil does not collect: "```python notest" and an
    indented or tilde fence are counted as Python fences; Sybil runs only the plain one."""
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nx = 1\n```\n\n```python notest\ny = 2\n```\n\n~~~python\nz = 3\n~~~\n\n"
        "- item\n\n  ```python\nw = 4\n  ```\n\n```pycon\n>>> 1\n```\n",
        encoding="utf-8",
    )
    assert len(PYTHON_FENCE.findall(page.read_text(encoding="utf-8"))) == 4
    assert len(_page_blocks(page)) < 4
