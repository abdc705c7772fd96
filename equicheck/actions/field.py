"""Fields: a spatial part together with a fiber part (escnn's FieldType idea), and actions
through group homomorphisms.

``trivial()`` has neither part (invariance); ``spatial()`` has no fiber;
``regular(axis=1)`` is a feature map of a group convolution (both parts);
``regular(axis=1, spatial=False)`` moves the orientation channels only. A spatial part with
``stride=s`` acts through the homomorphism ``shift(dy, dx) ↦ shift(dy/s, dx/s)`` (a stride-s
layer: shift by s in, by 1 out). :func:`via` composes any action with any homomorphism.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..backends import Backend, get_backend
from ..errors import EquicheckError, SpecError
from ..groups import Element, Group
from ..options import did_you_mean
from ..spec import Spec, bare_word, parse_spec
from .base import Action
from .fibers import Fiber, IrrepsField, Matrix, Regular, Vector
from .graphs import Adjacency, Batch, EdgeIndex, EdgeOrder, Edges, Nodes
from .points import ACTIONS as POINT_ACTIONS
from .spatial_part import Spatial

__all__ = [
    "Field",
    "from_dict",
    "from_name",
    "irreps_field",
    "matrix",
    "regular",
    "spatial",
    "trivial",
    "vector",
    "via",
]


class Field(Action):
    """A spatial part and/or a fiber part; both None is the trivial action."""

    def __init__(
        self,
        spatial: Spatial | None = None,
        fiber: Fiber | None = None,
        group: Group | None = None,
        name: str | None = None,
    ) -> None:
        self._spatial = spatial
        self._fiber = fiber
        self.group = group
        self._name = name

    @property
    def spatial(self) -> Spatial | None:
        return self._spatial

    @property
    def fiber(self) -> Fiber | None:
        return self._fiber

    @property
    def spec(self) -> Spec:
        params: dict[str, Any] = {}
        if self.fiber is not None:
            params.update(self.fiber.params())
            if self.spatial is None:
                params["spatial"] = False
            else:
                params.update(self.spatial.params())
            return Spec(self._name or self.fiber.name, (), params)
        if self.spatial is not None:
            return Spec("spatial", (), self.spatial.params())
        return Spec("trivial")

    @property
    def exact(self) -> bool:
        return self.group is None or self.group.exact

    def on_dims(self, dims: int) -> Field:
        """This field for a group acting on ``dims`` grid axes: the default grid axes are the
        last ``dims``, the default channel axis the one before them."""
        spatial = self.spatial.on_dims(dims) if self.spatial is not None else None
        fiber = self.fiber.on_dims(dims) if self.fiber is not None else None
        if spatial is self.spatial and fiber is self.fiber:
            return self
        return Field(spatial, fiber, self.group, self._name)

    def check_group(self, group: Group) -> None:
        bound = self.on_dims(group.dims)
        if bound is not self:
            bound.check_group(group)
            return
        if self.fiber is not None:
            self.fiber.prepare(group)
        if self.spatial is not None:
            self.spatial.check_group(group)
            stride = self.spatial.stride
            step = group.step
            if stride > 1 and step is not None and step % stride:
                raise SpecError(
                    f"{self.name} divides shifts by {stride}, but {group.name} "
                    f"shifts by {step}; use a group with step={stride}"
                )

    def prepare(self, group: Group, shape: Sequence[int]) -> Field:
        bound = self.on_dims(group.dims)
        if bound is not self:
            return bound.prepare(group, shape)
        self.check_group(group)
        fiber = self.fiber.prepare(group) if self.fiber is not None else None
        if fiber is not None:
            fiber.check_shape(shape)
        if self.spatial is not None:
            group.check_grid(self.spatial.grid(shape), stride=self.spatial.stride)
        return Field(self.spatial, fiber, group, self._name)

    def moves_exactly(self, g: Element, shape: Sequence[int]) -> bool:
        if self.spatial is None:
            return bool(g.exact)
        return self.spatial.moves_exactly(g, self.spatial.grid(shape))

    def boundary(self) -> str:
        """``'wrap'`` or ``'zeros'``: the spatial part's own, else the group's."""
        if self.spatial is not None and self.spatial.boundary is not None:
            return self.spatial.boundary
        return "wrap" if self.group is None or self.group.cyclic else "zeros"

    def apply(self, g: Element, x: Any, backend: Backend | None = None) -> Any:
        backend = backend or get_backend(None, x)
        if self.spatial is not None:
            x = self.spatial.apply(g, x, backend, self.boundary())
        if self.fiber is not None:
            x = self.fiber.apply(g, x, backend)
        return x

    def valid_mask(self, g: Element, shape: Sequence[int], margin: int, backend: Backend) -> Any:
        if self.spatial is None:
            return None
        return self.spatial.valid_mask(g, shape, margin, self.boundary(), backend)


# --- constructors (the public names) -------------------------------------------------------
Axes = Sequence[int] | None
Spacing = Sequence[float] | None


def _spatial_part(
    spatial: bool, axes: Axes, stride: int, boundary: str | None, spacing: Spacing
) -> Spatial | None:
    return Spatial(axes, stride, boundary, spacing) if spatial else None


def trivial() -> Field:
    """The trivial action: the array does not move (use it on outputs for invariance)."""
    return Field()


def spatial(
    axes: Axes = None, stride: int = 1, boundary: str | None = None, spacing: Spacing = None
) -> Field:
    """The group moves the grid axes ``axes`` (default: the last 1, 2 or 3, as many as the
    group's grid has); channels do not mix. ``spacing``: the physical step of each grid axis."""
    return Field(Spatial(axes, stride, boundary, spacing))


def regular(
    axis: int | None = None,
    layout: str = "field",
    orientation: str = "ccw",
    spatial: bool = True,
    axes: Axes = None,
    stride: int = 1,
    boundary: str | None = None,
    spacing: Spacing = None,
) -> Field:
    """Group-convolution feature maps: orientation channels on ``axis`` (default: the axis
    before the grid's) permuted by the group law (see :class:`Regular`), and the grid moved
    unless ``spatial=False``."""
    return Field(_spatial_part(spatial, axes, stride, boundary, spacing), Regular(axis, layout, orientation))


def vector(
    axis: int | None = None,
    components: str | None = None,
    y_up: bool = False,
    spatial: bool = True,
    axes: Axes = None,
    stride: int = 1,
    boundary: str | None = None,
    spacing: Spacing = None,
) -> Field:
    """A vector field: groups of 1, 2 or 3 channels on ``axis`` turn with the grid (see :class:`Vector`)."""
    return Field(_spatial_part(spatial, axes, stride, boundary, spacing), Vector(axis, components, y_up))


def irreps_field(
    irreps: Any,
    axis: int | None = None,
    spatial: bool = True,
    axes: Axes = None,
    stride: int = 1,
    boundary: str | None = None,
    spacing: Spacing = None,
) -> Field:
    """Fields of e3nn irreps on a volume (see :class:`IrrepsField`), channels on ``axis`` (default:
    the axis before the grid), the grid moved unless ``spatial=False``. e3nn's voxel layout
    ``(N, C, x, y, z)`` is ``irreps_field(..., axis=1, axes=(-1, -2, -3))``."""
    return Field(_spatial_part(spatial, axes, stride, boundary, spacing), IrrepsField(irreps, axis))


def matrix(
    rho: Callable[[Element], Any] | dict[Element, Any],
    axis: int | None = None,
    spatial: bool = True,
    axes: Axes = None,
    stride: int = 1,
    boundary: str | None = None,
    spacing: Spacing = None,
) -> Field:
    """A user representation ``rho(g)`` (d×d) on the fields of ``axis``, with the grid moved
    unless ``spatial=False``."""
    return Field(_spatial_part(spatial, axes, stride, boundary, spacing), Matrix(rho, axis))


class Via(Action):
    """``action`` applied to ``hom(g)``: an action through a group homomorphism."""

    def __init__(self, action: Action, hom: Callable[[Element], Element], group: Group | None = None):
        self.action = action
        self.hom = hom
        self.group = group

    @property
    def spatial(self) -> Spatial | None:
        return self.action.spatial

    @property
    def fiber(self) -> Fiber | None:
        return self.action.fiber

    @property
    def spec(self) -> Spec:
        return Spec("via", (self.action.spec,), {"hom": getattr(self.hom, "__name__", "user")})

    @property
    def exact(self) -> bool:
        return self.action.exact

    def moves_exactly(self, g: Element, shape: Sequence[int]) -> bool:
        return self.action.moves_exactly(self.hom(g), shape)

    def on_dims(self, dims: int) -> Action:
        bound = self.action.on_dims(dims)
        return self if bound is self.action else Via(bound, self.hom, self.group)

    def prepare(self, group: Group, shape: Sequence[int]) -> Action:
        return Via(self.action.prepare(group, shape), self.hom, group)

    def apply(self, g: Element, x: Any, backend: Backend | None = None) -> Any:
        return self.action.apply(self.hom(g), x, backend)

    def grid(self, shape: Sequence[int]) -> tuple[int, int] | None:
        return self.action.grid(shape)

    def valid_mask(self, g: Element, shape: Sequence[int], margin: int, backend: Backend) -> Any:
        return self.action.valid_mask(self.hom(g), shape, margin, backend)


def via(action: Action | str, hom: Callable[[Element], Element]) -> Action:
    """``action`` through the homomorphism ``hom``: ``ρ'(g) = ρ(hom(g))``."""
    return Via(from_name(action), hom)


#: What words that name no action usually mean (suggested when an action name is unknown).
ACTION_HINTS = {
    "invariant": "'trivial' (an output that must not move; or assert_invariant)",
    "none": "'trivial' (an output that must not move)",
    "identity": "'trivial' (an output that must not move)",
    "grid": "'spatial'",
    "image": "'spatial'",
    "channels": "'regular' (orientation channels) or 'vector'",
    "graph": "'trivial' (a per-graph output does not move under node permutations)",
    "readout": "'trivial' (a per-graph output does not move under node permutations)",
    "edge_attr": "'edges' (edge features do not move under node permutations)",
    "forces": "'vectors' (polar vectors of each point)",
    "coordinates": "'positions'",
    "pos": "'positions'",
    "energy": "'trivial' (an invariant output)",
    "features": "\"irreps('...')\" (e3nn irreps) or 'scalars'",
}

_ACTIONS: dict[str, Callable[..., Action]] = {
    "trivial": trivial,
    "spatial": spatial,
    "regular": regular,
    "vector": vector,
    "irreps_field": irreps_field,
    # graphs (actions/graphs.py): node permutations and permutations of the edge order
    "nodes": Nodes,
    "adjacency": Adjacency,
    "edge_index": EdgeIndex,
    "edges": Edges,
    "edge_order": EdgeOrder,
    "batch": Batch,
    # point clouds (actions/points.py): positions, vectors, tensors, irreps, scalars, types, cell
    **POINT_ACTIONS,
}


def from_name(name: str | Spec | Action) -> Action:
    """The action called ``name``: ``'trivial'``, ``'spatial(stride=2)'``, ``'regular(axis=1)'``,
    ``'vector(axis=1, components=xy)'``. (A user matrix needs Python: use :func:`matrix`.)"""
    if isinstance(name, Action):
        return name
    spec = parse_spec(name)
    if spec.name == "matrix":
        raise SpecError("the matrix action needs a Python callable: use equicheck.actions.matrix(rho)")
    if spec.name not in _ACTIONS:
        hint = did_you_mean(spec.name, _ACTIONS, ACTION_HINTS)
        raise SpecError(f"unknown action {spec.name!r}{hint}; known actions: {', '.join(sorted(_ACTIONS))}")
    args = [bare_word(a) for a in spec.args]
    params = {k: bare_word(v) for k, v in spec.params.items()}
    for key in ("axes", "spacing"):
        if key in params and isinstance(params[key], list):
            params[key] = tuple(params[key])
    try:
        return _ACTIONS[spec.name](*args, **params)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"bad parameters for action {str(spec)!r}: {exc}") from None


def from_dict(data: dict[str, Any] | str) -> Action:
    """Inverse of ``Action.to_dict()``."""
    return from_name(Spec.from_dict(data))


def is_named(action: Action) -> bool:
    """Whether ``action`` reads back from its name (a user matrix or homomorphism does not)."""
    try:
        from_name(action.name)
    except EquicheckError:
        return False
    return True
