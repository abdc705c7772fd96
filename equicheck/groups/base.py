"""What every group and element provides. Groups know grid shapes, never arrays."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from ..errors import EquicheckError
from ..spec import Named

__all__ = ["Element", "Group", "Grid"]

#: The sizes of the grid axes a group acts on: (n,), (H, W) or (D, H, W).
Grid = tuple[int, ...]


class Element(ABC):
    """An immutable, hashable group element whose ``repr`` evaluates back to an equal element.

    ``g * h`` is the composition "h first, then g", so ``rho(g * h) == rho(g) ∘ rho(h)``.
    """

    @abstractmethod
    def __mul__(self, other: Any) -> Element: ...

    @abstractmethod
    def inverse(self) -> Element: ...

    @property
    @abstractmethod
    def is_identity(self) -> bool: ...

    @property
    def exact(self) -> bool:
        """True when the element moves grids by an index permutation (no interpolation)."""
        return True

    # What actions on coordinates read (None: the element has no such part). Elements of the
    # groups on coordinates override them; grid elements have none of them.
    @property
    def rotation(self) -> Any:
        """The orthogonal matrix (d, d) the element turns coordinates by, or None."""
        return None

    @property
    def translation(self) -> Any:
        """The vector (d,) the element moves coordinates by, or None."""
        return None

    @property
    def permutation(self) -> tuple[int, ...] | None:
        """``p`` sending item i to position ``p[i]``, or None (no items move)."""
        return None

    def describe(self) -> str:
        """The element in words, for messages (axis and angle, the points swapped)."""
        return repr(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form; :func:`equicheck.groups.element_from_dict` reads it back."""
        return {"repr": repr(self)}


class Group(Named):
    """A group: identity, composition, inverse, elements as a Hypothesis strategy.

    Subclasses say which grids they act on (:meth:`check_grid`) and, when finite on a given
    grid, enumerate their elements with the identity first.
    """

    #: True when every element acts on a grid by an index permutation (no interpolation).
    exact: bool = True
    #: The number of grid axes the group acts on (1: signals, 2: images, 3: volumes).
    dims: int = 2
    #: True when translations wrap around (cyclic); False when they fill with zeros.
    cyclic: bool = True
    #: How elements resample arrays: 'exact', 'fourier' or 'spline'.
    interpolation: str = "exact"
    #: Drawn grids are at least this large (interpolation floors mean nothing on tiny grids).
    min_grid: int = 1
    #: Value families drawn when the user names none (None: all of them).
    families: tuple[str, ...] | None = None
    #: Shifts come in multiples of this (None: the group has no lattice of integer shifts).
    step: int | None = None
    #: Orientation channels of the regular action (None: the group has no orientations).
    point_elements: Sequence[Element] | None = None

    @property
    def needs_square(self) -> bool:
        """Whether the group turns the grid by quarter turns (so it must be square)."""
        return False

    def sample(self, rng: Any, n: int, grid: Grid | None = None) -> list[Element]:
        """Up to ``n`` distinct elements drawn with NumPy's generator ``rng`` (no Hypothesis),
        the identity among them; infinite groups override this."""
        found = self.elements(grid)
        if found is None:
            raise EquicheckError(f"{self.name} cannot be sampled without Hypothesis; pass elements=")
        idx = sorted(set(rng.choice(len(found), size=min(n, len(found)), replace=False).tolist()) | {0})
        return [found[i] for i in idx]

    def curve_elements(self, points: int = 24) -> tuple[str, list[tuple[float, Element]]] | None:
        """A one-parameter sweep of elements (angle, scale, shift) for error curves, or None."""
        return None

    @property
    @abstractmethod
    def identity(self) -> Element: ...

    def compose(self, a: Element, b: Element) -> Element:
        """``a ∘ b``: act with ``b`` first, then ``a``."""
        return a * b

    def inverse(self, a: Element) -> Element:
        return a.inverse()

    @abstractmethod
    def contains(self, element: Element) -> bool:
        """Whether ``element`` belongs to this group."""

    @abstractmethod
    def check_grid(self, grid: Grid, *, stride: int = 1) -> None:
        """Raise :class:`~equicheck.ShapeError` if the group cannot act on a grid of this size
        (``stride``: the grid of a stride-s layer's output, which moves by shifts divided by s)."""

    @abstractmethod
    def elements(self, grid: Grid | None = None) -> Sequence[Element] | None:
        """All elements (identity first) as they act on ``grid``, or None if infinite there."""

    def order(self, grid: Grid | None = None) -> float:
        """Number of distinct elements acting on ``grid`` (``math.inf`` for infinite groups)."""
        found = self.elements(grid)
        return float("inf") if found is None else len(found)

    @abstractmethod
    def strategy(self, grid: Grid | None = None) -> st.SearchStrategy[Element]:
        """Elements acting on ``grid``; shrinks toward the identity, then toward small shifts."""

    def generators(self, grid: Grid | None = None) -> list[Element]:
        """A few elements that generate the group (used for Lie derivatives and quick checks)."""
        found = self.elements(grid)
        return list(found[1:]) if found else []

    def __repr__(self) -> str:
        return f"equicheck.groups.from_name({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Group) and other.spec == self.spec

    def __hash__(self) -> int:
        return hash(str(self.spec))
