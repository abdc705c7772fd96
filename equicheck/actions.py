"""Actions: how a group element moves an array.

Every action is a :class:`Field`: an optional *spatial* part that moves entries over two grid
axes, and an optional *fiber* part that mixes the entries of one channel axis (trivial,
regular, vector, or a user matrix ρ(g)). ``trivial()`` has neither (invariance);
``spatial()`` has no fiber; ``regular(axis=1)`` is a feature map of a group convolution
(both parts); ``regular(axis=1, spatial=False)`` moves the orientation channels only.

A spatial part with ``stride=s`` acts through the homomorphism ``shift(dy, dx) ↦
shift(dy/s, dx/s)`` (a stride-s layer: shift by s in, by 1 out). :func:`via` composes any
action with any homomorphism.

Actions are written against the backend's array namespace (array API functions only), so
they run unchanged on NumPy, CuPy or any array-API library.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .backends import Backend, get_backend
from .errors import EquicheckError, ShapeError, SpecError
from .groups import Element, Group
from .groups.grid import GridElement, GridGroup
from .spec import Named, Spec, bare_word, parse_spec

__all__ = [
    "Action",
    "Fiber",
    "Field",
    "Matrix",
    "Regular",
    "Spatial",
    "Vector",
    "from_dict",
    "from_name",
    "matrix",
    "register_spatial",
    "regular",
    "spatial",
    "trivial",
    "vector",
    "via",
]

# --- spatial implementations, by element type ---------------------------------------------
# apply(element, x, axes, boundary, xp) -> array ; extensions (continuous groups) add theirs.
SpatialImpl = Callable[[Any, Any, tuple[int, int], str, Backend], Any]
_SPATIAL: dict[type, SpatialImpl] = {}


# mask(element, grid, margin, boundary, backend) -> boolean (H, W) array or None (all valid)
_SPATIAL_MASKS: dict[type, Callable[..., Any]] = {}


def register_spatial(element_type: type, apply: SpatialImpl, mask: Callable[..., Any] | None = None) -> None:
    """Teach :class:`Spatial` to move arrays by elements of ``element_type`` (and, optionally,
    which entries stay comparable after the move: ``mask``, used by :meth:`Field.valid_mask`)."""
    _SPATIAL[element_type] = apply
    if mask is not None:
        _SPATIAL_MASKS[element_type] = mask


def _swap(xp: Any, x: Any, a: int, b: int) -> Any:
    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return xp.permute_dims(x, tuple(perm))


def _shift_zero_fill(xp: Any, x: Any, shifts: tuple[int, int], axes: tuple[int, int]) -> Any:
    out = xp.zeros_like(x)
    dst: list[slice] = [slice(None)] * x.ndim
    src: list[slice] = [slice(None)] * x.ndim
    for s, ax in zip(shifts, axes):
        n = x.shape[ax]
        if abs(s) >= n:
            return out
        dst[ax] = slice(s, n) if s >= 0 else slice(0, n + s)
        src[ax] = slice(0, n - s) if s >= 0 else slice(-s, n)
    out[tuple(dst)] = x[tuple(src)]
    return out


def _apply_grid_element(
    g: GridElement, x: Any, axes: tuple[int, int], boundary: str, backend: Backend
) -> Any:
    xp = backend.xp
    a, b = axes
    if g.flipped:
        x = xp.flip(x, axis=b)
    if g.k == 1:
        x = _swap(xp, xp.flip(x, axis=b), a, b)
    elif g.k == 2:
        x = xp.flip(x, axis=(a, b))
    elif g.k == 3:
        x = xp.flip(_swap(xp, x, a, b), axis=b)
    if g.dy or g.dx:
        if boundary == "wrap":
            x = xp.roll(x, (g.dy, g.dx), axis=(a, b))
        else:
            x = _shift_zero_fill(xp, x, (g.dy, g.dx), (a, b))
    return x


register_spatial(GridElement, _apply_grid_element)


def _norm_axis(axis: int, ndim: int, what: str) -> int:
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{what} axis {axis} is out of range for an array with {ndim} dimensions")
    return axis % ndim


# --- the spatial part -----------------------------------------------------------------------
class Spatial:
    """Moves entries over the grid axes ``axes`` (rows, columns).

    ``boundary`` is ``'wrap'`` (cyclic) or ``'zeros'`` (entries shifted in are zero); None
    takes the group's. ``stride`` divides shifts (a stride-s layer's output).
    """

    def __init__(self, axes: Sequence[int] = (-2, -1), stride: int = 1, boundary: str | None = None) -> None:
        axes = tuple(int(a) for a in axes)
        if len(axes) != 2 or axes[0] == axes[1]:
            raise ValueError(f"spatial axes must be two distinct axes, got {axes!r}")
        if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
            raise ValueError(f"stride must be a positive integer, got {stride!r}")
        if boundary not in (None, "wrap", "zeros"):
            raise ValueError(f"boundary must be 'wrap' or 'zeros', got {boundary!r}")
        self.axes = axes
        self.stride = stride
        self.boundary = boundary

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.axes != (-2, -1):
            out["axes"] = list(self.axes)
        if self.stride != 1:
            out["stride"] = self.stride
        if self.boundary is not None:
            out["boundary"] = self.boundary
        return out

    def grid_axes(self, ndim: int) -> tuple[int, int]:
        a, b = (_norm_axis(ax, ndim, "spatial") for ax in self.axes)
        if a == b:
            raise ShapeError(f"spatial axes {self.axes} name the same axis of a {ndim}-D array")
        return a, b

    def grid(self, shape: Sequence[int]) -> tuple[int, int]:
        a, b = self.grid_axes(len(shape))
        return int(shape[a]), int(shape[b])

    def map_element(self, g: Element) -> Element:
        """The homomorphism behind ``stride``: shifts divided by the stride."""
        if self.stride == 1:
            return g
        if isinstance(g, GridElement):
            if g.dy % self.stride or g.dx % self.stride:
                raise EquicheckError(
                    f"{g!r} is not a multiple of the stride {self.stride}: a stride-"
                    f"{self.stride} output moves only under shifts by multiples of "
                    f"{self.stride}; check with translation(step={self.stride})"
                )
            return GridElement(g.k, g.flipped, g.dy // self.stride, g.dx // self.stride)
        scaled = getattr(g, "divide_shift", None)
        if scaled is None:
            raise EquicheckError(f"stride {self.stride} is not defined for {g!r}")
        return scaled(self.stride)

    def apply(self, g: Element, x: Any, backend: Backend, boundary: str) -> Any:
        g = self.map_element(g)
        impl = None
        for cls in type(g).__mro__:
            impl = _SPATIAL.get(cls)
            if impl is not None:
                break
        if impl is None:
            raise EquicheckError(f"no spatial action is known for elements like {g!r}")
        return impl(g, x, self.grid_axes(x.ndim), boundary, backend)


# --- fiber parts ----------------------------------------------------------------------------
class Fiber(ABC):
    """Mixes the entries of one channel axis according to the element's point part."""

    name: str = "fiber"

    def __init__(self, axis: int = -3) -> None:
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"axis must be an integer, got {axis!r}")
        self.axis = axis

    def params(self) -> dict[str, Any]:
        return {} if self.axis == -3 else {"axis": self.axis}

    def prepare(self, group: Group) -> Fiber:
        """A copy ready for ``group`` (resolves what depends on it); raise if it cannot act."""
        return self

    @abstractmethod
    def channels(self) -> int:
        """The number of channels one field takes (the axis size must be a multiple)."""

    def check_shape(self, shape: Sequence[int]) -> None:
        ax = _norm_axis(self.axis, len(shape), f"{self.name} fiber")
        d = self.channels()
        if shape[ax] % d:
            raise ShapeError(
                f"the {self.name} action needs axis {self.axis} to hold fields of {d} channels, "
                f"but it has size {shape[ax]} (shape {tuple(shape)}); check the axis= argument"
            )

    @abstractmethod
    def apply(self, g: Element, x: Any, backend: Backend) -> Any: ...


def _apply_linear(xp: Any, x: Any, m: np.ndarray, axis: int) -> Any:
    """Apply the d×d matrix m to every field of d channels along ``axis``."""
    d = m.shape[0]
    ax = axis % x.ndim
    moved = xp.moveaxis(x, ax, -1)
    shape = moved.shape
    fields = xp.reshape(moved, (*shape[:-1], shape[-1] // d, d))
    mat = xp.asarray(m.T, dtype=x.dtype)
    out = xp.reshape(xp.matmul(fields, mat), shape)
    return xp.moveaxis(out, -1, ax)


class Regular(Fiber):
    """The regular representation: |P| orientation channels permuted by the group law.

    Channel ``j`` of a field holds orientation ``h_j`` (``rot90(k=j)`` for C4; for D4,
    ``rot90(k=j % 4) * flip('x')**(j // 4)``); ``g`` moves the channel of ``h`` to that of
    ``g·h`` (for C4 a cyclic roll by k). ``orientation='cw'`` relabels ``h_j`` as
    ``rot90(k=-j)``; ``layout='field'`` stores a field's orientations contiguously
    (channel = field·|P| + j, as GrouPy and escnn), ``'orientation'`` stores
    channel = j·fields + field.
    """

    name = "regular"

    def __init__(
        self,
        axis: int = -3,
        layout: str = "field",
        orientation: str = "ccw",
        elements: Sequence[Element] | None = None,
    ) -> None:
        super().__init__(axis)
        if layout not in ("field", "orientation"):
            raise ValueError(f"layout must be 'field' or 'orientation', got {layout!r}")
        if orientation not in ("ccw", "cw"):
            raise ValueError(f"orientation must be 'ccw' or 'cw', got {orientation!r}")
        self.layout = layout
        self.orientation = orientation
        self.elements = tuple(elements) if elements is not None else None

    def params(self) -> dict[str, Any]:
        out = super().params()
        if self.layout != "field":
            out["layout"] = self.layout
        if self.orientation != "ccw":
            out["orientation"] = self.orientation
        return out

    def prepare(self, group: Group) -> Regular:
        if self.elements is not None:
            return self
        point = getattr(group, "point_elements", None)
        if not point or len(point) < 2:
            raise EquicheckError(
                f"the regular action needs a group with orientations (c4, d4, p4, p4m, ...), got {group.name}"
            )
        elems = list(point)
        if self.orientation == "cw":
            elems = [_reverse_rotation(e) for e in elems]
        return Regular(self.axis, self.layout, self.orientation, elems)

    def channels(self) -> int:
        if self.elements is None:
            raise EquicheckError("regular action used before prepare(group)")
        return len(self.elements)

    def permutation(self, g: Element) -> list[int]:
        """``src`` such that ``out[j] = in[src[j]]`` for one field."""
        assert self.elements is not None
        index = {e: i for i, e in enumerate(self.elements)}
        p = getattr(g, "point", g)
        inv = p.inverse()
        try:
            return [index[inv * h] for h in self.elements]
        except KeyError:
            raise EquicheckError(f"{g!r} does not permute the orientations {list(self.elements)}") from None

    def apply(self, g: Element, x: Any, backend: Backend) -> Any:
        src = self.permutation(g)
        if src == list(range(len(src))):
            return x
        xp = backend.xp
        ax = self.axis % x.ndim
        n, d = x.shape[ax], len(src)
        fields = n // d
        if self.layout == "field":
            idx = [f * d + src[j] for f in range(fields) for j in range(d)]
        else:
            idx = [src[j] * fields + f for j in range(d) for f in range(fields)]
        return xp.take(x, xp.asarray(np.asarray(idx, dtype=np.int64)), axis=ax)


def _reverse_rotation(e: Element) -> Element:
    if isinstance(e, GridElement):
        return GridElement(-e.k, e.flipped, e.dy, e.dx)
    return e.inverse() if not getattr(e, "flipped", False) else e


class Vector(Fiber):
    """Pairs of channels that rotate and reflect with the grid (e.g. an image gradient).

    ``components='yx'`` stores (row, column) components, ``'xy'`` stores (x, y);
    ``y_up=True`` says the y component points up (against the row axis), as in most
    geometric code; the default follows array indices (rows grow downwards).
    """

    name = "vector"

    def __init__(self, axis: int = -3, components: str = "yx", y_up: bool = False) -> None:
        super().__init__(axis)
        if components not in ("yx", "xy"):
            raise ValueError(f"components must be 'yx' or 'xy', got {components!r}")
        self.components = components
        self.y_up = bool(y_up)

    def params(self) -> dict[str, Any]:
        out = super().params()
        if self.components != "yx":
            out["components"] = self.components
        if self.y_up:
            out["y_up"] = True
        return out

    def channels(self) -> int:
        return 2

    def matrix(self, g: Element) -> np.ndarray:
        a = np.asarray(g.matrix, dtype=np.float64)
        if self.y_up:
            s = np.diag([-1.0, 1.0])
            a = s @ a @ s
        if self.components == "xy":
            p = np.array([[0.0, 1.0], [1.0, 0.0]])
            a = p @ a @ p
        return a

    def apply(self, g: Element, x: Any, backend: Backend) -> Any:
        if not hasattr(g, "matrix"):
            raise EquicheckError(f"the vector action needs elements with a matrix, got {g!r}")
        return _apply_linear(backend.xp, x, self.matrix(g), self.axis)


class Matrix(Fiber):
    """A user representation: ``rho(g)`` is a d×d matrix applied to every field of d channels.

    ``rho`` is a callable or a mapping from elements to matrices. Prefer it for third-party
    conventions not covered by ``regular`` or ``vector``.
    """

    name = "matrix"

    def __init__(self, rho: Callable[[Element], Any] | dict[Element, Any], axis: int = -3) -> None:
        super().__init__(axis)
        self.rho = rho
        self._d: int | None = None

    def _matrix(self, g: Element) -> np.ndarray:
        p = getattr(g, "point", g)
        if isinstance(self.rho, dict):
            raw = self.rho[p] if p in self.rho else self.rho.get(g)
            if raw is None:
                raise EquicheckError(f"the matrix action has no entry for {p!r}")
        else:
            raw = self.rho(g)
        m = np.asarray(raw, dtype=np.float64)
        if m.ndim != 2 or m.shape[0] != m.shape[1]:
            raise ShapeError(f"rho({g!r}) must be a square matrix, got shape {m.shape}")
        return m

    def prepare(self, group: Group) -> Matrix:
        m = self._matrix(group.identity)
        if not np.allclose(m, np.eye(m.shape[0])):
            raise EquicheckError("rho(identity) must be the identity matrix")
        out = Matrix(self.rho, self.axis)
        out._d = m.shape[0]
        return out

    def channels(self) -> int:
        if self._d is None:
            return self._matrix(_IDENTITY).shape[0]
        return self._d

    def apply(self, g: Element, x: Any, backend: Backend) -> Any:
        return _apply_linear(backend.xp, x, self._matrix(g), self.axis)


_IDENTITY = GridElement()


# --- actions ----------------------------------------------------------------------------------
class Action(Named):
    """How elements of a group move one array (an input or an output of f)."""

    #: True when the action is an index permutation or exact linear map (no interpolation).
    exact: bool = True

    @abstractmethod
    def prepare(self, group: Group, shape: Sequence[int]) -> Action:
        """A copy bound to ``group`` for arrays of ``shape``; raises ShapeError if it cannot act."""

    @abstractmethod
    def apply(self, g: Element, x: Any, backend: Backend | None = None) -> Any:
        """``ρ(g)·x``."""

    def grid(self, shape: Sequence[int]) -> tuple[int, int] | None:
        """The sizes of the grid axes this action moves, or None if it moves none."""
        return None

    def valid_mask(self, g: Element, shape: Sequence[int], margin: int, backend: Backend) -> Any:
        """Boolean grid mask of the entries where ``f(ρ_in(g)x)`` and ``ρ_out(g)f(x)`` are
        comparable (None: all of them)."""
        return None

    def __repr__(self) -> str:
        return f"equicheck.actions.from_name({self.name!r})"

    def __call__(self, g: Element, x: Any) -> Any:
        return self.apply(g, x)


class Field(Action):
    """A spatial part and/or a fiber part; both None is the trivial action."""

    def __init__(
        self,
        spatial: Spatial | None = None,
        fiber: Fiber | None = None,
        group: Group | None = None,
        name: str | None = None,
    ) -> None:
        self.spatial = spatial
        self.fiber = fiber
        self.group = group
        self._name = name

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
    def exact(self) -> bool:  # type: ignore[override]
        return self.group is None or getattr(self.group, "exact", True)

    def prepare(self, group: Group, shape: Sequence[int]) -> Field:
        fiber = self.fiber.prepare(group) if self.fiber is not None else None
        if fiber is not None:
            fiber.check_shape(shape)
        if self.spatial is not None:
            grid = self.spatial.grid(shape)
            if self.spatial.stride > 1:
                step = getattr(group, "step", None)
                if step is not None and step % self.spatial.stride:
                    raise SpecError(
                        f"{self.name} divides shifts by {self.spatial.stride}, but {group.name} "
                        f"shifts by {step}; use a group with step={self.spatial.stride}"
                    )
                if isinstance(group, GridGroup):
                    GridGroup(group.spec, group.point, group.translations, 1, group.cyclic).check_grid(grid)
                else:
                    group.check_grid(grid)
            else:
                group.check_grid(grid)
        return Field(self.spatial, fiber, group, self._name)

    def grid(self, shape: Sequence[int]) -> tuple[int, int] | None:
        return None if self.spatial is None else self.spatial.grid(shape)

    def _boundary(self) -> str:
        if self.spatial is not None and self.spatial.boundary is not None:
            return self.spatial.boundary
        return "wrap" if getattr(self.group, "cyclic", True) else "zeros"

    def apply(self, g: Element, x: Any, backend: Backend | None = None) -> Any:
        backend = backend or get_backend(None, x)
        if self.spatial is not None:
            x = self.spatial.apply(g, x, backend, self._boundary())
        if self.fiber is not None:
            x = self.fiber.apply(g, x, backend)
        return x

    def valid_mask(self, g: Element, shape: Sequence[int], margin: int, backend: Backend) -> Any:
        if self.spatial is None:
            return None
        custom = _SPATIAL_MASKS.get(type(g))
        if custom is not None:  # interpolated actions (equicheck/interpolation.py)
            grid = self.spatial.grid(shape)
            return custom(self.spatial.map_element(g), grid, margin, self._boundary(), backend)
        zero_fill = self._boundary() == "zeros"
        if not zero_fill and margin <= 0:
            return None
        xp = backend.xp
        h, w = self.spatial.grid(shape)
        ones = xp.ones((h, w), dtype=xp.float32)
        moved = self.spatial.apply(g, ones, backend, self._boundary()) if zero_fill else ones
        valid = moved > 0.5
        if margin > 0:
            valid = _erode(xp, valid, margin)
        return valid


def _erode(xp: Any, valid: Any, r: int) -> Any:
    """Entries at least r steps (in each axis, and from the grid border) inside ``valid``."""
    h, w = valid.shape
    if 2 * r >= h or 2 * r >= w:
        return xp.zeros_like(valid)
    out = valid
    for dy in range(-r, r + 1):
        for dx in (-r, r) if abs(dy) != r else range(-r, r + 1):
            shifted = _shift_zero_fill(xp, valid, (dy, dx), (0, 1))
            out = xp.logical_and(out, shifted)
    border = xp.zeros((h, w), dtype=xp.bool)
    border[r : h - r, r : w - r] = True
    return xp.logical_and(out, border)


# --- constructors (the public names) -------------------------------------------------------
def _spatial_part(spatial: bool, axes: Sequence[int], stride: int, boundary: str | None) -> Spatial | None:
    return Spatial(axes, stride, boundary) if spatial else None


def trivial() -> Field:
    """The trivial action: the array does not move (use it on outputs for invariance)."""
    return Field()


def spatial(axes: Sequence[int] = (-2, -1), stride: int = 1, boundary: str | None = None) -> Field:
    """The group moves the grid axes ``axes`` (rows, columns); channels do not mix."""
    return Field(Spatial(axes, stride, boundary))


def regular(
    axis: int = -3,
    layout: str = "field",
    orientation: str = "ccw",
    spatial: bool = True,
    axes: Sequence[int] = (-2, -1),
    stride: int = 1,
    boundary: str | None = None,
) -> Field:
    """Group-convolution feature maps: orientation channels on ``axis`` permuted by the group
    law (see :class:`Regular`), and the grid moved unless ``spatial=False``."""
    return Field(_spatial_part(spatial, axes, stride, boundary), Regular(axis, layout, orientation))


def vector(
    axis: int = -3,
    components: str = "yx",
    y_up: bool = False,
    spatial: bool = True,
    axes: Sequence[int] = (-2, -1),
    stride: int = 1,
    boundary: str | None = None,
) -> Field:
    """A vector field: channel pairs on ``axis`` rotate with the grid (see :class:`Vector`)."""
    return Field(_spatial_part(spatial, axes, stride, boundary), Vector(axis, components, y_up))


def matrix(
    rho: Callable[[Element], Any] | dict[Element, Any],
    axis: int = -3,
    spatial: bool = True,
    axes: Sequence[int] = (-2, -1),
    stride: int = 1,
    boundary: str | None = None,
) -> Field:
    """A user representation ``rho(g)`` (d×d) on the fields of ``axis``, with the grid moved
    unless ``spatial=False``."""
    return Field(_spatial_part(spatial, axes, stride, boundary), Matrix(rho, axis))


class _Via(Action):
    """``action`` applied to ``hom(g)``: an action through a group homomorphism."""

    def __init__(self, action: Action, hom: Callable[[Element], Element], group: Group | None = None):
        self.action = action
        self.hom = hom
        self.group = group

    @property
    def spec(self) -> Spec:
        return Spec("via", (self.action.spec,), {"hom": getattr(self.hom, "__name__", "user")})

    @property
    def exact(self) -> bool:  # type: ignore[override]
        return self.action.exact

    def prepare(self, group: Group, shape: Sequence[int]) -> Action:
        return _Via(self.action.prepare(group, shape), self.hom, group)

    def apply(self, g: Element, x: Any, backend: Backend | None = None) -> Any:
        return self.action.apply(self.hom(g), x, backend)

    def grid(self, shape: Sequence[int]) -> tuple[int, int] | None:
        return self.action.grid(shape)

    def valid_mask(self, g: Element, shape: Sequence[int], margin: int, backend: Backend) -> Any:
        return self.action.valid_mask(self.hom(g), shape, margin, backend)


def via(action: Action | str, hom: Callable[[Element], Element]) -> Action:
    """``action`` through the homomorphism ``hom``: ``ρ'(g) = ρ(hom(g))``."""
    return _Via(from_name(action), hom)


_ACTIONS: dict[str, Callable[..., Action]] = {
    "trivial": trivial,
    "spatial": spatial,
    "regular": regular,
    "vector": vector,
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
        raise SpecError(f"unknown action {spec.name!r}; known actions: {', '.join(sorted(_ACTIONS))}")
    args = [bare_word(a) for a in spec.args]
    params = {k: bare_word(v) for k, v in spec.params.items()}
    if "axes" in params and isinstance(params["axes"], list):
        params["axes"] = tuple(params["axes"])
    try:
        return _ACTIONS[spec.name](*args, **params)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"bad parameters for action {str(spec)!r}: {exc}") from None


def from_dict(data: dict[str, Any] | str) -> Action:
    """Inverse of ``Action.to_dict()``."""
    return from_name(Spec.from_dict(data))


# interpolated actions of continuous groups register themselves on import
from . import interpolation as _interpolation  # noqa: E402,F401
