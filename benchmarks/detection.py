"""Detection power: share of planted bugs found, and false alarms on correct functions,
over many seeds, each check with equicheck's default budget.

The functions are those of tests/checkfuncs.py (the test suite's planted bugs), so the
figures describe exactly what the tests rely on, measured over seeds instead of one.

    python benchmarks/detection.py [--seeds 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import checkfuncs as cf  # noqa: E402

import equicheck  # noqa: E402
from equicheck import actions as A  # noqa: E402

CORRECT = [
    ("circular conv / translation", cf.circular_conv, "translation", {}),
    ("symmetric conv / p4m", cf.symmetric_conv, "p4m", {}),
    ("zero-padded conv / shifts, margin 1", cf.zero_padded_conv, "translation(cyclic=false)", {"margin": 1}),
    ("p4 lifting conv / p4, regular", cf.lifting_p4, "p4", {"out_action": A.regular(axis=0)}),
    ("gradient / p4m, vector", cf.gradient, "p4m", {"out_action": A.vector(axis=0)}),
    ("stride 2 / shifts by 2", cf.stride2, "translation(step=2)", {"out_action": A.spatial(stride=2)}),
    ("global max / p4m invariance", cf.global_max_of_conv, "p4m", {"out_action": "trivial"}),
    ("1e-6 relative noise, float32", cf.relative_perturbation(1e-6), "translation", {"dtypes": ["float32"]}),
    ("deep float32 net / d4", cf.deep_float32_net, "d4", {"dtypes": ["float32"], "max_examples": 40}),
]
BUGS = [
    ("zero padding / cyclic shifts", cf.zero_padded_conv, "translation", {}),
    ("random kernel / c4", cf.circular_conv, "c4", {}),
    ("x-mirror kernel / y flips", cf.lr_symmetric_conv, "flips(axis=y)", {}),
    ("lifting conv, wrong roll", cf.lifting_p4, "p4", {"out_action": A.regular(axis=0, orientation="cw")}),
    ("gradient, xy order", cf.gradient, "d4", {"out_action": A.vector(axis=0, components="xy")}),
    ("stride 2 / shifts by 1", cf.stride2, "translation", {"out_action": A.spatial()}),
    ("1e-3 position bias, float32", cf.position_bias, "translation", {"dtypes": ["float32"]}),
    ("1e-3 position bias, float64", cf.position_bias, "translation", {"dtypes": ["float64"]}),
    (
        "1e-4 relative violation, float32",
        cf.relative_perturbation(1e-4),
        "translation",
        {"dtypes": ["float32"]},
    ),
    ("bug on odd sizes", cf.bug_on_odd_sizes, "translation", {}),
    ("bug on sparse inputs", cf.bug_on_sparse_inputs, "translation", {}),
    ("bug on large magnitudes", cf.bug_on_large_magnitudes, "translation", {}),
    ("mutates its input", cf.mutates_input, "translation", {}),
    ("nondeterministic", cf.nondeterministic, "translation", {}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    print(f"{'function / group':42} {'kind':8} {'flagged':>8} {'rate':>6} {'s/check':>8}")
    totals = {"bug": [0, 0], "correct": [0, 0]}
    for kind, table in (("correct", CORRECT), ("bug", BUGS)):
        for title, f, group, kw in table:
            flagged = 0
            start = time.perf_counter()
            for seed in range(args.seeds):
                result = equicheck.check_equivariance(f, group, seed=seed, replay_dir=None, **kw)
                flagged += not result.passed
            per = (time.perf_counter() - start) / args.seeds
            totals[kind][0] += flagged
            totals[kind][1] += args.seeds
            print(f"{title:42} {kind:8} {flagged:>4}/{args.seeds:<3} {flagged / args.seeds:6.2f} {per:8.2f}")
    found, runs = totals["bug"]
    alarms, clean = totals["correct"]
    print(
        f"\nplanted bugs found: {found}/{runs} ({found / runs:.1%}); "
        f"false alarms: {alarms}/{clean} ({alarms / clean:.1%})"
    )


if __name__ == "__main__":
    main()
