"""``python -m equicheck.cli ...``: the ``equicheck`` command (as ``python -m equicheck``)."""

from __future__ import annotations

from . import main

if __name__ == "__main__":
    raise SystemExit(main())
