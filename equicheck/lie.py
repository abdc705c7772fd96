"""Local equivariance: the Lie derivative of f along rotation, scaling and translation.

A generator ``X`` has a flow ``φ_t`` of the plane about the grid centre ``c`` (positions are
(row, column); angles counter-clockwise as an image is shown, as :func:`rotate`):

=================  ==========================  ======================  ===========
generator          ``φ_t(p)``                  velocity ``ξ(p)``       unit of t
=================  ==========================  ======================  ===========
``rotation``       ``c + R(t)·(p - c)``        ``A·(p - c)``           radian
``scaling``        ``c + e^t·(p - c)``         ``p - c``               log-scale
``translation_y``  ``p + t·(1, 0)``            ``(1, 0)``              pixel (down)
``translation_x``  ``p + t·(0, 1)``            ``(0, 1)``              pixel (right)
=================  ==========================  ======================  ===========

with ``A = [[0, -1], [1, 0]]``. It acts on an array by ``(ρ(φ_t)·y)(p) = B_t·y(φ_t⁻¹(p))``
(``B_t`` the fiber part: the rotation of a vector field's components, identity otherwise), so
its infinitesimal action is ``X·y = -(ξ·∇)y + B'·y``. The Lie derivative of f at x is::

    L_X f(x) = d/dt|₀ ρ_out(φ_t)⁻¹·f(ρ_in(φ_t)·x) = J_f(x)·(X·x) - X·f(x)

zero for every x exactly when f is equivariant to the one-parameter group (Gruver et al. 2022,
"The Lie derivative for measuring learned equivariance"). The number reported is relative::

    value = ||L_X f(x)||₂ / ||f(x)||₂        (both over the mask M, per unit of t)

M keeps entries at least ``3 + margin`` from the grid border and, for rotation and scaling,
inside the inscribed disk. ``∇`` is the 6th-order central difference (7-point stencil) along
each grid axis, in float64; ``J_f·v`` is a central finite difference ``(f(x + h·v) - f(x - h·v))
/ 2h`` with ``h = ∛ε·rms(x)/rms(v)`` (ε of x's dtype), on any backend, or forward-mode autodiff
(``method='autodiff'``) for PyTorch and JAX callables. ``floor`` is the same quantity with the
4th-order stencil minus this one: what the discretisation of ``∇`` alone leaves (the value is
meaningful only well above it). Inputs should be smooth: ``∇`` of noise is not a derivative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

import numpy as np

from . import actions as actions_mod
from .actions.kernels import apply_linear
from .adapters import Adapted, Declared, adapt, framework_of
from .backends import Backend, get_backend
from .errors import EquicheckError
from .groups import from_name

__all__ = ["GENERATORS", "LieDerivative", "lie_derivative", "lie_derivatives"]

GENERATORS = ("rotation", "scaling", "translation_y", "translation_x")

#: Central-difference stencils for d/dx on a unit grid (offsets -r..r).
_STENCILS = {
    6: np.array([-1.0, 9.0, -45.0, 0.0, 45.0, -9.0, 1.0]) / 60.0,
    4: np.array([1.0, -8.0, 0.0, 8.0, -1.0]) / 12.0,
}


@dataclass
class LieDerivative:
    """One generator's relative Lie derivative (module docstring) and how it was computed."""

    generator: str
    value: float  # ||L_X f(x)|| / ||f(x)|| over the mask, per unit of t
    floor: float  # the same with the 4th-order stencil minus this one
    output_norm: float  # ||f(x)|| over the mask
    method: str  # 'fd' or 'autodiff'
    step: float | None  # h of the finite difference

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _derivative(backend: Backend, y: Any, axis: int, order: int) -> Any:
    xp = backend.xp
    y64 = xp.astype(y, xp.float64) if y.dtype != xp.float64 else y
    weights = _STENCILS[order]
    # correlate1d computes sum_k w[k]·y[i + k - r]: the stencil as written
    w = xp.asarray(weights) if backend.name != "numpy" else weights
    return backend.ndimage.correlate1d(y64, w, axis=axis, mode="constant")


def _velocity(generator: str, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[:h, :w].astype(np.float64)
    oy, ox = yy - (h - 1) / 2.0, xx - (w - 1) / 2.0
    if generator == "rotation":
        return -ox, oy  # A·(p - c), A = [[0, -1], [1, 0]]
    if generator == "scaling":
        return oy, ox
    if generator == "translation_y":
        return np.ones_like(yy), np.zeros_like(xx)
    if generator == "translation_x":
        return np.zeros_like(yy), np.ones_like(xx)
    raise EquicheckError(f"unknown generator {generator!r}; choose from {list(GENERATORS)}")


def _infinitesimal(action: actions_mod.Action, generator: str, y: Any, backend: Backend, order: int) -> Any:
    """``X·y = -(ξ·∇)y + B'·y`` for an action (Field) on array ``y``."""
    xp = backend.xp
    spatial = action.spatial
    fiber = action.fiber
    out = xp.zeros(y.shape, dtype=xp.float64)
    if spatial is not None:
        a, b = spatial.grid_axes(y.ndim)
        h, w = y.shape[a], y.shape[b]
        vy, vx = _velocity(generator, h, w)
        shape = [1] * y.ndim
        shape[a], shape[b] = h, w
        if a > b:
            vy, vx = vy.T, vx.T
        vy_b = xp.reshape(xp.asarray(vy), tuple(shape))
        vx_b = xp.reshape(xp.asarray(vx), tuple(shape))
        out = out - vy_b * _derivative(backend, y, a, order) - vx_b * _derivative(backend, y, b, order)
    if fiber is not None and generator == "rotation":
        if isinstance(fiber, actions_mod.Vector):
            gen = fiber.matrix(cast(Any, _Generator()))
            out = out + apply_linear(xp, xp.astype(y, xp.float64), gen, fiber.axis)
        else:
            raise EquicheckError(
                f"the Lie derivative along rotation needs a scalar or vector field; the "
                f"{fiber.name} action has no infinitesimal rotation (it is discrete)"
            )
    return out


class _Generator:
    """Stands in for an element: ``matrix`` is the rotation generator A (Vector.matrix maps it
    through the same component conventions as a rotation)."""

    matrix = ((0.0, -1.0), (1.0, 0.0))


def _mask(
    action: actions_mod.Action, shape: tuple[int, ...], generator: str, margin: int, backend: Backend
) -> Any:
    spatial = action.spatial
    if spatial is None:
        return None
    a, b = spatial.grid_axes(len(shape))
    h, w = shape[a], shape[b]
    rim = 3 + margin
    yy, xx = np.mgrid[:h, :w].astype(np.float64)
    keep = (yy >= rim) & (yy <= h - 1 - rim) & (xx >= rim) & (xx <= w - 1 - rim)
    if generator in ("rotation", "scaling"):
        keep &= np.hypot(yy - (h - 1) / 2.0, xx - (w - 1) / 2.0) <= (min(h, w) - 1) / 2.0 - rim
    if a > b:
        keep = keep.T
    full = [1] * len(shape)
    full[a], full[b] = shape[a], shape[b]
    return backend.xp.reshape(backend.xp.asarray(keep), tuple(full))


def _norm(xp: Any, y: Any, mask: Any) -> float:
    y = xp.astype(y, xp.float64)
    if mask is not None:
        y = xp.where(xp.broadcast_to(mask, y.shape), y, xp.zeros_like(y))
    return float(xp.sqrt(xp.sum(y * y)))


def _unwrap(f: Any) -> Any:

    while isinstance(f, (Adapted, Declared)):
        f = f.original if isinstance(f, Adapted) else f.fn
    return f


def _autodiff_jvp(f: Any, x: Any, vs: list[Any], backend: Backend) -> tuple[Any, list[Any]]:
    """f(x) and J_f(x)·v for each v, by the framework's forward-mode autodiff."""

    kind = framework_of(f)
    fn = _unwrap(f)
    host = np.asarray(backend.to_host(x))
    if kind == "torch":
        import torch

        module = fn if isinstance(fn, torch.nn.Module) else getattr(fn, "__self__", None)
        param = next(iter(module.parameters()), None) if isinstance(module, torch.nn.Module) else None
        device = param.device if param is not None else torch.device("cpu")
        dtype = param.dtype if param is not None and param.is_floating_point() else None
        xt = torch.as_tensor(host, device=device, dtype=dtype)
        was = module.training if isinstance(module, torch.nn.Module) else None
        if was and isinstance(module, torch.nn.Module):
            module.eval()
        try:
            outs = []
            for v in vs:
                vt = torch.as_tensor(np.asarray(backend.to_host(v)), device=device, dtype=xt.dtype)
                pair = torch.func.jvp(fn, (xt,), (vt,))
                out, jv = pair[0], pair[1]
                outs.append(backend.asarray(jv.detach().cpu().numpy()))
        finally:
            if was and isinstance(module, torch.nn.Module):
                module.train(True)
        return backend.asarray(out.detach().cpu().numpy()), outs
    if kind == "jax":
        import jax
        import jax.numpy as jnp

        xj = jnp.asarray(host)
        outs = []
        for v in vs:
            out, jv = jax.jvp(fn, (xj,), (jnp.asarray(np.asarray(backend.to_host(v)), dtype=xj.dtype),))
            outs.append(backend.asarray(np.asarray(jv)))
        return backend.asarray(np.asarray(out)), outs
    raise EquicheckError(
        "method='autodiff' needs a PyTorch module/function or a JAX function (declare plain "
        "functions with equicheck.adapters.torch_function / jax_function); use method='fd'"
    )


def lie_derivatives(
    f: Callable[..., Any],
    x: Any,
    generators: Sequence[str] = GENERATORS,
    *,
    in_action: Any = "spatial",
    out_action: Any = None,
    invariant: bool = False,
    method: str = "fd",
    step: float | None = None,
    margin: int = 0,
    backend: str | Backend | None = None,
) -> dict[str, LieDerivative]:
    """The relative Lie derivative of ``f`` at ``x`` along each generator (module docstring).

    ``x`` is one array (f's single input); ``in_action``/``out_action`` name how generators
    act on it and on f's output (default: the same; ``invariant=True``: the output does not
    move). ``method`` is ``'fd'`` (finite differences, any backend) or ``'autodiff'``.
    """
    if method not in ("fd", "autodiff"):
        raise EquicheckError(f"method must be 'fd' or 'autodiff', got {method!r}")
    for gname in generators:
        if gname not in GENERATORS:
            raise EquicheckError(f"unknown generator {gname!r}; choose from {list(GENERATORS)}")

    be = get_backend(backend, x)
    xp = be.xp
    x = be.asarray(x)
    group = from_name("translation")  # prepare() only checks shapes here
    act_in = actions_mod.from_name(in_action)
    act_in = act_in.prepare(group, tuple(x.shape)) if isinstance(act_in, actions_mod.Field) else act_in
    fn = adapt(f, be)

    def call(arr: Any) -> Any:
        out = fn(xp.asarray(arr, copy=True))
        return be.asarray(out)

    # X·x for each generator and stencil order, then J_f·(X·x)
    vs = {
        (gn, o): xp.astype(_infinitesimal(act_in, gn, x, be, o), x.dtype) for gn in generators for o in (6, 4)
    }
    steps: dict[tuple[str, int], float] = {}
    if method == "autodiff":
        keys = list(vs)
        fx, jvs_list = _autodiff_jvp(f, x, [vs[k] for k in keys], be)
        jvs = dict(zip(keys, jvs_list))
    else:
        fx = call(x)
        eps = float(np.finfo(np.dtype(str(x.dtype))).eps) if "float" in str(x.dtype) else 2.2e-16
        x_rms = _norm(xp, x, None) / max(1, x.size) ** 0.5
        jvs = {}
        for k, v in vs.items():
            v_rms = _norm(xp, v, None) / max(1, v.size) ** 0.5
            if v_rms == 0:
                jvs[k] = xp.zeros(fx.shape, dtype=xp.float64)
                steps[k] = 0.0
                continue
            h = step if step is not None else eps ** (1 / 3) * max(x_rms, 1e-30) / v_rms
            hx = xp.asarray(h, dtype=x.dtype)
            up, down = call(x + hx * v), call(x - hx * v)
            jvs[k] = (xp.astype(up, xp.float64) - xp.astype(down, xp.float64)) / (2 * float(hx))
            steps[k] = float(hx)
    if invariant:
        act_out: Any = actions_mod.trivial()
    else:
        act_out = actions_mod.from_name(out_action if out_action is not None else in_action)
        if isinstance(act_out, actions_mod.Field):
            act_out = act_out.prepare(group, tuple(fx.shape))
    results = {}
    for gn in generators:
        mask = _mask(act_out, tuple(fx.shape), gn, margin, be)
        norm = _norm(xp, fx, mask)
        lie = {o: jvs[(gn, o)] - _infinitesimal(act_out, gn, fx, be, o) for o in (6, 4)}
        value = _norm(xp, lie[6], mask) / norm if norm > 0 else 0.0
        floor = _norm(xp, lie[4] - lie[6], mask) / norm if norm > 0 else 0.0
        results[gn] = LieDerivative(gn, value, floor, norm, method, steps.get((gn, 6)))
    return results


def lie_derivative(
    f: Callable[..., Any], x: Any, generator: str = "rotation", **kwargs: Any
) -> LieDerivative:
    """The relative Lie derivative along one generator (see :func:`lie_derivatives`)."""
    return lie_derivatives(f, x, (generator,), **kwargs)[generator]
