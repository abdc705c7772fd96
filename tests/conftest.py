"""Shared test configuration. Append new fixtures and hooks below; keep each part small."""

from __future__ import annotations

import pytest
from hypothesis import settings

# Tests here run arrays through scipy on a shared 2-core machine: no per-example deadline.
# Only the default profile is touched; the `ci` profile (CI=true) stays as Hypothesis made it.
if settings.get_current_profile_name() == "default":
    settings.register_profile("default", deadline=None)
    settings.load_profile("default")


# --- the `gpu` marker: tests that need a usable CUDA GPU (CuPy backend) ------------------
class _SkipWithoutGpu:
    """Skips `gpu`-marked tests where the CuPy backend cannot run, giving its reason."""

    reason: str | None = None
    checked = False

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if item.get_closest_marker("gpu") is None:
            return
        if not self.checked:
            from equicheck.backends import available_backends

            self.reason = available_backends().get("cupy", "the 'cupy' backend is not registered")
            self.checked = True
        if self.reason is not None:
            pytest.skip(f"needs a GPU: {self.reason}")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "gpu: needs a usable CUDA GPU with CuPy; skipped with the reason otherwise"
    )
    config.addinivalue_line(
        "markers",
        "slow: builds environments or downloads packages (minutes); CI runs them, -m 'not slow' skips them",
    )
    config.pluginmanager.register(_SkipWithoutGpu(), "equicheck-gpu-skip")


# --- real check results for the report tests (tests/test_report*.py, test_cli_report*.py) ---
@pytest.fixture(scope="session")
def report_results() -> list:
    """A few real CheckResults, made once: passes and failures (mismatches on a finite group
    and on shifts), an injected function name, a continuous-group curve. Small and fast."""
    import numpy as np

    from equicheck import check_equivariance

    def square(x):
        return x * x

    def rolled(x):
        return np.roll(x, 1, axis=-1)

    def injected(x):
        return np.roll(x, 1, axis=-2)

    injected.__qualname__ = "<script>alert('pwned')</script>"
    made = [
        (check_equivariance(square, "c4", max_examples=3, replay_dir=None), "tests/t.py::test_c4"),
        (check_equivariance(rolled, "c4", max_examples=3, replay_dir=None), "tests/t.py::test_roll"),
        (check_equivariance(square, "translation", max_examples=8, replay_dir=None), "tests/t.py::test_t"),
        (check_equivariance(rolled, "p4", max_examples=4, replay_dir=None), "tests/t.py::test_p4"),
        (
            check_equivariance(injected, "c4", max_examples=2, replay_dir=None),
            "tests/t.py::test_x[<img src=x onerror=\"document.title='pwned'\">]",
        ),
    ]
    results = []
    for result, test_id in made:
        result.test_id = test_id
        results.append(result)
    curve = check_equivariance(square, "c4", max_examples=2, replay_dir=None)
    angles = [float(a) for a in range(0, 360, 15)]
    curve.extra["curve"] = {
        "parameter": "angle",
        "values": angles,
        "errors": [1e-3 * abs(np.sin(np.radians(a))) for a in angles],
        "floor": [2e-4] * len(angles),
        "kappa": 4.0,
    }
    curve.test_id = "tests/t.py::test_curve"
    results.append(curve)
    return results
