"""Write a report of your own checks: HTML with plots (for people), JSON (data, merges across
runs) and Markdown (for pull requests).

``equicheck.recording()`` collects every check made inside its block, however it was made
(directly, through assertions, inside helpers); ``equicheck.report.write_reports`` writes them
to each path by its suffix. ``equicheck report OUT/report.json -o merged.html`` renders the
JSON again later, alone or merged with the reports of other runs.

Run: python examples/write_report.py [--out DIR] [--examples N]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy import ndimage

import equicheck
from equicheck.report import Report, capture, write_reports


def gaussian_blur(x: np.ndarray) -> np.ndarray:
    """Isotropic: equivariant to rotations by any angle (up to interpolation)."""
    return ndimage.gaussian_filter(x, sigma=2.0, mode="constant")


def stretched_blur(x: np.ndarray) -> np.ndarray:
    """Anisotropic (sigma 2 along rows, 3 along columns): not rotation-equivariant."""
    return ndimage.gaussian_filter(x, sigma=(2.0, 3.0), mode="constant")


def shifted_by_one(x: np.ndarray) -> np.ndarray:
    """A planted bug: rolls every output by one column."""
    return np.roll(ndimage.uniform_filter(x, 3, mode="wrap"), 1, axis=-1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="equicheck-report/example", help="output folder")
    parser.add_argument("--examples", type=int, default=20, help="inputs per check (default 20)")
    args = parser.parse_args(argv)
    n = args.examples
    with equicheck.recording() as results:
        few = {"max_examples": max(2, n // 4), "seed": 0, "replay_dir": None}
        equicheck.check_equivariance(gaussian_blur, "so2", **few)
        equicheck.check_equivariance(stretched_blur, "so2", **few)
        equicheck.check_equivariance(shifted_by_one, "p4m", max_examples=n, seed=0, replay_dir=None)
    for result in results:
        print(result.summary())
    out = Path(args.out)
    report = Report.of(results, capture(command="python examples/write_report.py"), title="example report")
    for path in write_reports(report, [out / "report.html", out / "report.json", out / "report.md"]):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
