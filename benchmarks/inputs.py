"""Cost of drawing one input: equicheck's seeded families vs hypothesis.extra.numpy.arrays.

Each strategy runs inside a Hypothesis @given test (generation phase only) for a fixed
number of examples; the table gives milliseconds per example and the ratio to
``arrays(float32, shape, elements=floats(-1e3, 1e3, width=32))`` measured in the same run.

    python benchmarks/inputs.py [--examples 60]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from equicheck.strategies import FAMILIES
from equicheck.strategies import arrays as eq_arrays

SHAPES = [(1, 3, 32, 32), (1, 3, 224, 224)]


def per_example(strategy: st.SearchStrategy, n: int) -> float:
    """Milliseconds per example, after a short untimed warm-up (imports, lookup tables)."""
    _run(strategy, 5)
    return _run(strategy, n)


def _run(strategy: st.SearchStrategy, n: int) -> float:
    @settings(
        max_examples=n,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(x):
        assert x.size > 0

    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) / n * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=60)
    args = parser.parse_args()
    print("ms per example inside @given; 'net' subtracts the engine's own cost, measured with")
    print("st.just(a fixed array) in the same run. Ratios are against hypothesis arrays().")
    print(f"{'shape':>18} {'strategy':>22} {'ms/example':>11} {'net ms':>8} {'ratio':>7} {'net ratio':>10}")
    for shape in SHAPES:
        engine = per_example(st.just(np.zeros(shape, np.float32)), args.examples)
        base = per_example(arrays(np.float32, shape, elements=st.floats(-1e3, 1e3, width=32)), args.examples)
        base_net = max(base - engine, 1e-9)
        label = "hypothesis arrays()"
        print(f"{str(shape):>18} {label:>22} {base:11.2f} {base_net:8.2f} {1.0:7.2f} {1.0:10.2f}")
        for fam in FAMILIES:
            t = per_example(eq_arrays(shape, ("float32",), (fam,)), args.examples)
            net = max(t - engine, 0.0)
            print(
                f"{str(shape):>18} {'equicheck ' + fam:>22} {t:11.2f} {net:8.2f} "
                f"{t / base:7.3f} {net / base_net:10.3f}"
            )


if __name__ == "__main__":
    main()
