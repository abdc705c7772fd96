"""The demo's claim ids, for the command line: ``equicheck demo --claim ID`` lists and checks
them without loading the networks, the engine or matplotlib (this module imports nothing).
:data:`equicheck.demo.run.CLAIMS` runs them, in this order.
"""

from __future__ import annotations

__all__ = ["CLAIM_IDS"]

#: Every claim's id, in the order the demo checks them.
CLAIM_IDS: tuple[str, ...] = (
    "conv-circular",
    "conv-zero-padding",
    "pooling-stride",
    "cnn-rotations-scalings",
    "p4-cnn",
    "weight-sharing",
    "voxel-cube-cnn",
)
