"""Reading a cProfile run by parts: what the benchmarks' "time outside f, by part" tables use."""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from typing import Any


class Profiled:
    """One profiled call of ``run``: ``total`` seconds of the run, :meth:`cumulative` of parts."""

    def __init__(self, run: Callable[[], Any]) -> None:
        profile = cProfile.Profile()
        profile.enable()
        run()
        profile.disable()
        #: (file, line, name) -> (primitive calls, calls, own time, cumulative time, callers)
        self.stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
        self.total = sum(tt for (_, _, tt, _, _) in self.stats.values())

    def cumulative(self, where: str, *names: str) -> float:
        """Seconds inside the functions ``names`` of files whose path contains ``where``,
        counting only the outermost calls (functions that recurse or call each other)."""
        return sum(
            ct
            for (file, _, name), (_, _, _, ct, callers) in self.stats.items()
            if where in file
            and name in names
            and not any(where in caller[0] and caller[2] in names for caller in callers)
        )
