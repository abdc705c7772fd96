"""The Action interface: how elements of a group move one array.

Every action says explicitly which spatial part (grid axes it moves, :class:`Spatial`) and
which fiber part (channel axis it mixes, :class:`Fiber`) it has, either possibly None, so
that the engine, the interpolation floor and the reports ask the action instead of probing.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from ..backends import Backend
from ..groups import Element, Group
from ..spec import Named
from .fibers import Fiber
from .spatial_part import Spatial

__all__ = ["Action"]


class Action(Named):
    """How elements of a group move one array (an input or an output of f)."""

    @property
    def spatial(self) -> Spatial | None:
        """The part that moves grid axes (None: the grid does not move)."""
        return None

    @property
    def fiber(self) -> Fiber | None:
        """The part that mixes a channel axis (None: channels do not mix)."""
        return None

    #: What the point axis enumerates, in messages ("worst node: 2 of 5").
    item: str = "point"

    def point_axis(self, ndim: int) -> int | None:
        """The axis of an ``ndim``-axis array that enumerates points, nodes or edges (None: none);
        the reports give the error per entry of that axis."""
        return None

    @property
    def exact(self) -> bool:
        """True when the action is an index permutation or exact linear map (no interpolation)."""
        return True

    def on_dims(self, dims: int) -> Action:
        """This action for a group acting on ``dims`` grid axes (defaults bound; self if none)."""
        return self

    def check_group(self, group: Group) -> None:
        """Raise (ShapeError, SpecError, ...) if the action cannot act with ``group`` whatever the
        array's shape: checked before any work, for outputs too (nothing by default)."""

    def moves_exactly(self, g: Element, shape: Sequence[int]) -> bool:
        """Whether ``g`` moves an array of ``shape`` by an index permutation (no resampling)."""
        return bool(g.exact)

    @abstractmethod
    def prepare(self, group: Group, shape: Sequence[int]) -> Action:
        """A copy bound to ``group`` for arrays of ``shape``; raises ShapeError if it cannot act."""

    @abstractmethod
    def apply(self, g: Element, x: Any, backend: Backend | None = None) -> Any:
        """``ρ(g)·x``."""

    def grid(self, shape: Sequence[int]) -> tuple[int, ...] | None:
        """The sizes of the grid axes this action moves, or None if it moves none."""
        spatial = self.spatial
        return None if spatial is None else spatial.grid(shape)

    def valid_mask(self, g: Element, shape: Sequence[int], margin: int, backend: Backend) -> Any:
        """Boolean grid mask of the entries where ``f(ρ_in(g)x)`` and ``ρ_out(g)f(x)`` are
        comparable (None: all of them), in the order of ``spatial.axes``."""
        return None

    def grid_mask(self, g: Element, shape: Sequence[int], margin: int, backend: Backend) -> Any:
        """:meth:`valid_mask` shaped to broadcast against an array of ``shape`` (None: all valid)."""
        mask = self.valid_mask(g, shape, margin, backend)
        if mask is None:
            return None
        spatial = self.spatial
        assert spatial is not None, "an action without a spatial part has no mask"
        axes = spatial.grid_axes(len(shape))
        xp = backend.xp
        order = sorted(range(len(axes)), key=lambda i: axes[i])
        if order != list(range(len(axes))):
            mask = xp.permute_dims(mask, tuple(order))
        full = [1] * len(shape)
        for ax in axes:
            full[ax] = shape[ax]
        return xp.reshape(mask, tuple(full))

    def __repr__(self) -> str:
        return f"equicheck.actions.from_name({self.name!r})"

    def __call__(self, g: Element, x: Any) -> Any:
        return self.apply(g, x)
