"""The built-in audit behind ``equicheck demo``: what people say about convolutional
networks, checked end to end on reference networks built with :mod:`equicheck.nn`.

Why a demo at all: it shows on the user's machine, in about a minute, what the tool finds and
how a report reads, on claims whose truth is known. The modules, each importing only those
before it:

- :mod:`.names`: the claim ids (imports nothing; what ``equicheck demo --help`` reads);
- :mod:`.networks`: the reference networks, public by name (:func:`network`), so a
  counterexample saved by the demo replays with
  ``equicheck.replay(path, equicheck.demo.network("conv_zeros"))``;
- :mod:`.claims`: each claim runs its checks and measurements and returns its data;
- :mod:`.figures`: a claim's data drawn as plots;
- :mod:`.page`: the HTML page (claims first, then every check as the report shows it);
- :mod:`.run`: :func:`run_demo`, the lines printed and the report written.

The names below load their module on first use, so that the command line can read
:mod:`.names` without loading the networks and the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .claims import BUDGETS, Budget, Claim, DemoCheck, DemoRun
    from .networks import NETWORKS, network
    from .run import CLAIMS, DEFAULT_REPORT, report_paths, run_demo

__all__ = [
    "BUDGETS",
    "CLAIMS",
    "DEFAULT_REPORT",
    "NETWORKS",
    "Budget",
    "Claim",
    "DemoCheck",
    "DemoRun",
    "network",
    "report_paths",
    "run_demo",
]

#: The public names of each module.
CLAIMS_NAMES = ("BUDGETS", "Budget", "Claim", "DemoCheck", "DemoRun")
NETWORKS_NAMES = ("NETWORKS", "network")
RUN_NAMES = ("CLAIMS", "DEFAULT_REPORT", "report_paths", "run_demo")


def __getattr__(name: str) -> Any:
    # static imports, so that import-linter sees them; each module loads on first use
    if name in RUN_NAMES:
        from . import run as module
    elif name in CLAIMS_NAMES:
        from . import claims as module
    elif name in NETWORKS_NAMES:
        from . import networks as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value  # loaded once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
