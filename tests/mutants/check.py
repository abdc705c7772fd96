"""Apply each hand-made mutant of the verdict path and require the tests to fail.

Each ``*.patch`` beside this script changes one rule the verdict depends on (a tolerance
swapped, a limit loosened, a comparison weakened). For each, the project is copied to a
temporary folder, the patch applied with ``git apply``, and the tests that pin these rules
run there; a mutant that leaves them passing is reported and the script exits 1.

    python tests/mutants/check.py            # the tests that pin the rules
    python tests/mutants/check.py --full     # the whole suite for each mutant (slow)
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
#: The tests that pin the verdict's rules (the whole suite with --full).
PINNING = [
    "tests/test_thresholds.py",
    "tests/test_verdict.py",
    "tests/test_groups.py",
    "tests/test_points.py",
    "tests/test_irreps.py",
    "tests/test_float64_reference.py",
    "tests/test_lattice.py",
    "tests/test_grids_nd.py",
    "tests/test_continuous_nd_verdict.py",
]


def copy_project(to: Path) -> None:
    shutil.copytree(ROOT / "equicheck", to / "equicheck", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "tests", to / "tests", ignore=shutil.ignore_patterns("__pycache__", "mutants"))
    shutil.copy2(ROOT / "pyproject.toml", to / "pyproject.toml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="run the whole test suite for each mutant")
    parser.add_argument("patches", nargs="*", help="patches to try (default: all beside this script)")
    args = parser.parse_args(argv)
    patches = [Path(p) for p in args.patches] or sorted(HERE.glob("*.patch"))
    if not patches:
        print("no patches found", file=sys.stderr)
        return 2
    tests = ["tests"] if args.full else PINNING
    survived = []
    for patch in patches:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            copy_project(work)
            applied = subprocess.run(["git", "apply", str(patch)], cwd=work, capture_output=True, text=True)
            if applied.returncode != 0:
                print(f"{patch.name}: does not apply: {applied.stderr.strip()}")
                survived.append(patch.name)
                continue
            run = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
                cwd=work,
                capture_output=True,
                text=True,
            )
            killed = run.returncode != 0
            last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-200:]
            print(f"{patch.name}: {'killed' if killed else 'SURVIVED'} ({last})")
            if not killed:
                survived.append(patch.name)
    print(f"{len(patches) - len(survived)} of {len(patches)} mutants killed")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
