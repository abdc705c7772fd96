"""The model as it was found: modes, buffers and random state restored after a localisation,
and the stateful and random layers handled the way a localisation needs them.

- Dropout in training mode draws a mask that does not move with ``g`` (the same seed gives the
  same mask for ``x`` and ``g·x``), so it would fake a break: it is evaluated in eval mode,
  and the result says so.
- Batch norm in training mode normalises with the batch's statistics: transformed inputs are
  evaluated in separate calls (one per element, never batched together), and the result says
  so. Its running statistics are buffers; they are put back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Preparation", "preserved"]


@dataclass
class Preparation:
    """What was found and done: notes for the result, and whether elements may be batched."""

    notes: list[str] = field(default_factory=list)
    batchable: bool = True


def _torch_layers(model: Any) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    import torch

    dropout = (
        torch.nn.Dropout,
        torch.nn.Dropout1d,
        torch.nn.Dropout2d,
        torch.nn.Dropout3d,
        torch.nn.AlphaDropout,
        torch.nn.FeatureAlphaDropout,
    )
    norm = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d, torch.nn.SyncBatchNorm)
    drops = [(n, m) for n, m in model.named_modules() if isinstance(m, dropout) and m.training]
    norms = [(n, m) for n, m in model.named_modules() if isinstance(m, norm) and m.training]
    return drops, norms


def _names(pairs: list[tuple[str, Any]]) -> str:
    shown = ", ".join(n or "(model)" for n, _ in pairs[:5])
    return shown + (f" and {len(pairs) - 5} more" if len(pairs) > 5 else "")


@contextmanager
def preserved(model: Any, framework: str | None) -> Iterator[Preparation]:
    """Prepare ``model`` for recording (module docstring) and put it back exactly as it was:
    every module's mode, every buffer, the random number generators' state."""
    prep = Preparation()
    if framework != "torch":
        yield prep
        return
    import torch

    modes = [(m, m.training) for m in model.modules()]
    buffers = [(b, b.detach().clone()) for b in model.buffers()]
    cpu_rng = torch.get_rng_state()
    cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    drops, norms = _torch_layers(model)
    if drops:
        prep.notes.append(
            f"dropout in training mode ({_names(drops)}) was evaluated in eval mode: a mask drawn with "
            "the same seed does not move with g, so it would fake a break"
        )
        for _, m in drops:
            m.eval()
    if norms:
        prep.batchable = False
        prep.notes.append(
            f"batch norm in training mode ({_names(norms)}) normalises with batch statistics: the "
            "transformed inputs were evaluated in separate calls, and its running statistics restored"
        )
    try:
        yield prep
    finally:
        for m, training in modes:
            m.training = training
        with torch.no_grad():
            for b, saved in buffers:
                b.copy_(saved)
        torch.set_rng_state(cpu_rng)
        if cuda_rng is not None:
            torch.cuda.set_rng_state_all(cuda_rng)
