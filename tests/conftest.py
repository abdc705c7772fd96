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
    config.pluginmanager.register(_SkipWithoutGpu(), "equicheck-gpu-skip")
