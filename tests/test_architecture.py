"""The architecture is a checked contract: layers (import-linter), no cycles, a light root.

The layers and forbidden imports live in pyproject.toml ([tool.importlinter]); these tests
run them, check that they name every module, find no import cycle (function-level imports
included), find no dynamic import of our own modules outside the root's lazy table, and
check that `import equicheck`, `equicheck --help` and `import equicheck.report` stay light.
"""

from __future__ import annotations

import ast
import graphlib
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import grimp
import numpy as np
import pytest

import equicheck

tomllib = pytest.importorskip("tomllib", reason="reads pyproject.toml with Python 3.11's tomllib")

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "equicheck"
HEAVY = ("hypothesis", "scipy", "matplotlib")


def _contracts() -> list[dict]:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["tool"]["importlinter"]["contracts"]


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(equicheck.__path__, "equicheck."))


def _layer_names(contract: dict) -> list[str]:
    return [name.strip() for layer in contract["layers"] for name in layer.split("|")]


def _covered(module: str, container: str, names: list[str]) -> bool:
    return any(module == f"{container}.{n}" or module.startswith(f"{container}.{n}.") for n in names)


def test_import_linter_contracts_hold() -> None:
    code = "from importlinter.cli import lint_imports; raise SystemExit(lint_imports(no_cache=True))"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_the_layers_name_every_module() -> None:
    layered = [c for c in _contracts() if c["type"] == "layers"]
    top = next(c for c in layered if c["containers"] == ["equicheck"])
    modules = _modules()
    assert len(modules) > 50
    missing = [m for m in modules if not _covered(m, "equicheck", _layer_names(top))]
    assert not missing, f"modules in no layer of pyproject.toml's contract: {missing}"
    for contract in layered:
        for container in contract["containers"]:
            inside = [m for m in modules if m.startswith(container + ".")]
            missing = [m for m in inside if not _covered(m, container, _layer_names(contract))]
            assert not missing, f"{contract['name']!r} leaves out {missing}"
    # every package with modules of its own reads top-down under a contract of its own
    packages = {m.rsplit(".", 1)[0] for m in modules if m.count(".") >= 2}
    containers = {c for contract in layered for c in contract["containers"]}
    assert packages <= containers, f"packages without a layers contract: {sorted(packages - containers)}"


def test_no_import_cycles_function_level_imports_included() -> None:
    graph = grimp.build_graph("equicheck")
    sorter = graphlib.TopologicalSorter(
        {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    )
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def _dynamic_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            arg = node.args[0] if node.args else None
            text = ast.unparse(arg) if arg is not None else ""
            if "equicheck" in text or text.startswith(("'.", '".', "f'.", 'f".')) or "__name__" in text:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_dynamic_imports_of_our_modules_outside_the_lazy_root() -> None:
    modules = [p for p in sorted(PACKAGE.rglob("*.py")) if p != PACKAGE / "__init__.py"]
    found = [hit for p in modules for hit in _dynamic_imports(p)]
    assert not found, found
    # ... and the check itself sees one where there is one
    assert _dynamic_imports(PACKAGE / "__init__.py") == []  # the root imports by table entries
    assert equicheck._LAZY["replay"] == ("equicheck.engine", "replay")


def _imported_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    return [m for m in run.stdout.strip().split(",") if m]


@pytest.mark.parametrize(
    "code",
    [
        "import equicheck",
        "import equicheck.report",
        "import equicheck.cli",
        "import equicheck.errors, equicheck.result, equicheck.options",
        "import contextlib, io\nfrom equicheck.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])",
    ],
)
def test_light_imports(code: str) -> None:
    assert _imported_after(code) == []


def test_a_check_does_load_the_engine() -> None:
    # the probe above can see heavy imports: a check needs Hypothesis and SciPy
    assert set(_imported_after("import equicheck\nequicheck.check_equivariance")) >= {"hypothesis", "scipy"}


def test_every_submodule_imports_then_the_root_still_answers(tmp_path: Path) -> None:
    optional = {"equicheck.adapters.jax": "jax", "equicheck.adapters.torch": "torch"}
    for name in _modules():
        if name in optional and importlib.util.find_spec(optional[name]) is None:
            continue
        importlib.import_module(name)
    # no submodule rebound a public name of the root
    for name, (module, attr) in equicheck._LAZY.items():
        value = getattr(equicheck, name)
        home = importlib.import_module(module)
        expected = home if attr is None else getattr(home, attr)
        assert value is expected, name

    def shifted(x: np.ndarray) -> np.ndarray:
        return np.roll(x, 1, axis=-1)

    ok = equicheck.check_equivariance(np.abs, "c4", max_examples=3, replay_dir=None)
    assert ok.passed and isinstance(ok, equicheck.CheckResult)
    bad = equicheck.check_equivariance(shifted, "c4", max_examples=3, replay_dir=tmp_path, seed=0)
    assert not bad.passed and bad.counterexample is not None and bad.counterexample.path
    value, meta = equicheck.load_counterexample(bad.counterexample.path)
    assert meta["group"] == "c4" and isinstance(value, np.ndarray)
    assert not equicheck.replay(bad.counterexample.path, shifted).passed
    assert equicheck.replay(bad.counterexample.path, np.abs).passed
    equicheck.assert_equivariant(np.abs, "flips", max_examples=3, replay_dir=None)
    equicheck.assert_invariant(np.sum, "c4", max_examples=3, replay_dir=None)
    with pytest.raises(equicheck.EquivarianceError):
        equicheck.assert_equivariant(shifted, "c4", max_examples=3, replay_dir=None)
    with equicheck.recording() as seen:
        equicheck.check_equivariance(np.abs, "c2", max_examples=2, replay_dir=None)
    assert len(seen) == 1
    assert equicheck.get_backend("numpy").name == "numpy"
    with equicheck.use_backend("numpy"):
        pass
    x = np.random.default_rng(0).standard_normal((16, 16))
    assert equicheck.lie_derivative(np.abs, x, "rotation").value >= 0
    assert set(equicheck.error_curve(np.abs, "so2", x)) >= {"values", "errors", "floor"}
    logits = np.random.default_rng(1).standard_normal((4, 1, 8, 8))

    def classifier(v: np.ndarray) -> np.ndarray:
        return v.mean(axis=(2, 3)).repeat(3, axis=1)

    consistency = equicheck.prediction_consistency(classifier, "c4", logits)
    assert consistency["consistency"] == 1.0
    assert set(equicheck.__all__) >= set(equicheck._LAZY)


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    found.append(f"{where}: from {node.module} import {alias.name}")
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    found = [hit for p in sorted(PACKAGE.rglob("*.py")) for hit in _private_imports(p)]
    assert not found, found


def test_the_scans_find_what_they_look_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import importlib\n"
        "from equicheck.engine.listeners import _LISTENERS\n"
        "from .x import __version__\n"
        "importlib.import_module('.engine', __name__)\n"
    )
    assert len(_private_imports(bad)) == 1
    assert len(_dynamic_imports(bad)) == 1


def test_ruff_finds_nothing() -> None:
    ruff = pytest.importorskip("ruff", reason="ruff is in the test extra")
    run = subprocess.run(
        [ruff.find_ruff_bin(), "check", "equicheck", "tests", "benchmarks", "examples"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-4000:]
