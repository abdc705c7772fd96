"""``equicheck.locate``: which layer of a network breaks equivariance.

The front door: the arguments checked before any work, the model's input drawn, the elements
chosen, then two recorded forward passes (x, and the moved inputs ``g·x`` batched into one
call where the model allows it) with the model kept as found (:mod:`.state`); the rows are
built by :mod:`.rows` and returned as a :class:`~.result.LocateResult`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import actions as actions_mod
from .. import groups as groups_mod
from ..actions import Action
from ..adapters import framework_of
from ..engine.tolerance import default_tolerance, dtype_name
from ..errors import EquicheckError, FunctionError, KeywordError, ShapeError
from ..groups import Element, Group
from ..options import did_you_mean, non_negative_int, positive_int
from ..options import dtypes as dtype_names
from ..options import seed as seed_value
from ..options import shape as shape_value
from ..options import tolerance as tolerance_value
from .measure import Judge, moved
from .record import Call, record
from .result import LocateResult
from .rows import Run, advice_for, build_row, finish, first_error_map
from .state import preserved
from .values import Values, values_for

__all__ = ["MAX_ELEMENTS", "LocateError", "locate"]

#: Elements used at most when the group has more on the grid (translations, p4, so2).
MAX_ELEMENTS = 8


class LocateError(EquicheckError):
    """A model that cannot be localised as given (what to change is in the message)."""


#: Dtypes every array library takes from NumPy as they are.
NUMPY_NATIVE = ("float16", "float32", "float64", "complex64", "complex128")


def _model_kind(model: Any) -> str | None:
    """'torch', 'nn' or 'list'; raises TypeError for anything else."""
    from ..nn import Module

    if isinstance(model, type):
        raise TypeError(
            f"locate takes a model, got the class {model.__name__}; pass an instance, "
            f"e.g. {model.__name__}(...)"
        )
    if framework_of(model) == "torch" and hasattr(model, "named_modules"):
        import torch

        if isinstance(model, torch.jit.ScriptModule):
            raise TypeError(
                "locate records layer calls with forward hooks, which TorchScript modules (scripted or "
                "traced) do not run; pass the original torch.nn.Module"
            )
        return "torch"
    if isinstance(model, Module):
        return "nn"
    if isinstance(model, (list, tuple)):
        if not model:
            raise TypeError("locate got an empty list of layers; give at least one callable")
        for i, layer in enumerate(model):
            if not callable(layer):
                raise TypeError(f"locate takes a list of callables; item {i} is {type(layer).__name__}")
        return "list"
    raise TypeError(
        f"locate takes a torch.nn.Module, an equicheck.nn module or a list of callables (the layers in "
        f"order), got {type(model).__name__}; for a plain function, split it into its layers as a list"
    )


def _declared(actions: Mapping[str, Any] | None, group: Group) -> dict[str, Action]:
    if actions is None:
        return {}
    if not isinstance(actions, Mapping):
        raise TypeError(
            f"actions= is a mapping from layer names to actions, e.g. {{'layer1': 'regular(axis=1)'}}, "
            f"got {type(actions).__name__}"
        )
    out = {str(k): actions_mod.from_name(v) for k, v in actions.items()}
    for name, action in out.items():
        if action.fiber is not None:  # one that needs what the group lacks (orientations)
            try:
                action.fiber.prepare(group)
            except EquicheckError as exc:
                raise type(exc)(f"the action declared for {name}, {action.name!r}: {exc}") from None
    return out


def _check_names(declared: Mapping[str, Action], names: Sequence[str]) -> None:
    known = set(names)
    for name in declared:
        if name not in known and name.split("#")[0] not in known:
            hint = did_you_mean(name, known)
            raise KeywordError(
                f"actions= names layer {name!r}, which the model does not have{hint}; "
                f"layers: {', '.join(list(names)[:12])}{' ...' if len(names) > 12 else ''}"
            )


def _layer_names(layers: Sequence[Any], prefix: str = "") -> list[str]:
    """The row names of a list of callables or an equicheck.nn Sequential, known before it runs."""
    from ..nn import Sequential

    out = []
    for i, layer in enumerate(layers):
        if isinstance(layer, Sequential):
            out.extend(_layer_names(list(layer), f"{prefix}{i}."))
        out.append(f"{prefix}{i}")
    return out


def _elements(
    group: Group, grid: tuple[int, int] | None, given: Sequence[Any] | None, limit: int, rng: Any
) -> list[Element]:
    if given is not None:
        out = []
        for e in given:
            g = groups_mod.element_from_repr(e) if isinstance(e, str) else e
            if not isinstance(g, Element) or not group.contains(g):
                raise EquicheckError(f"element {e!r} is not an element of {group.name}")
            out.append(g)
        if not out:
            raise EquicheckError("elements= is empty; give at least one element, or leave it out")
        return out
    found = group.elements(grid)
    if found is not None and len(found) - 1 <= 16:
        return [g for g in found if not g.is_identity]
    drawn = group.sample(rng, limit + 1, grid)
    return [g for g in drawn if not g.is_identity][:limit]


def _input(
    kind: str, model: Any, inputs: Any, input_shape: Any, dtypes: Any, group: Group, rng: Any, values: Values
) -> tuple[np.ndarray, Any]:
    """The model's input on the host and as the model takes it."""
    if (inputs is None) == (input_shape is None):
        raise ShapeError(
            "locate needs one input: give inputs= (an array the model takes) or input_shape= "
            "(e.g. (1, 3, 32, 32)), not both and not neither"
        )
    device = None
    param_dtype = None
    if kind == "torch":
        first = next(iter(model.parameters()), None)
        if first is not None:
            device, param_dtype = first.device, first.dtype
    if inputs is not None:
        if values.is_array(inputs):
            return values.to_host(inputs), inputs
        try:
            host = np.asarray(inputs)
        except ValueError as exc:  # ragged nested lists
            raise ShapeError(f"inputs= must be a numeric array: {exc}") from None
        if host.dtype == object or not np.issubdtype(host.dtype, np.number):
            raise ShapeError(f"inputs= must be a numeric array, got {type(inputs).__name__} of {host.dtype}")
        if kind == "torch":
            import torch

            if (
                param_dtype is not None
                and param_dtype.is_floating_point
                and np.issubdtype(host.dtype, np.floating)
            ):
                host = host.astype(dtype_name(param_dtype))  # a float32 array for a float64 model
            return host, torch.from_numpy(np.ascontiguousarray(host)).to(device=device)
        return host, host
    shape = shape_value(input_shape, name="input_shape")
    if any(n is None for n in shape):
        raise ShapeError(f"input_shape must give every size, e.g. (1, 3, 32, 32), got {input_shape!r}")
    if dtypes is not None:
        name = dtype_names(dtypes)[0]
    elif param_dtype is not None:
        name = dtype_name(param_dtype)
    else:
        name = "float32"
    # bfloat16 (NumPy knows it only once ml_dtypes is loaded, and PyTorch never takes such an
    # array): drawn in float32, rounded by the model's library
    drawn = name if name in NUMPY_NATIVE else "float32"
    if group.exact:
        host = rng.standard_normal(shape).astype(drawn)
    else:
        from ..actions.interpolation import smooth_disk

        host = smooth_disk(rng, shape).astype(drawn)
    if kind == "torch":
        import torch

        native = torch.from_numpy(host).to(device=device)
        if drawn != name and param_dtype is not None:
            native = native.to(dtype=param_dtype)
            host = values.to_host(native)
        return host, native
    return host, host


def _record_moved(
    run: Run, model: Any, x_host: np.ndarray, x_native: Any, batchable: bool, notes: list[str]
) -> list[list[Call]]:
    """The recorded passes for every g·x: one batched pass where allowed, else one per element."""
    moved_inputs = []
    for g in run.elements:
        m = moved(run.in_action, g, x_host)
        if m is None:
            raise EquicheckError(f"the input action {run.in_action.name} cannot move {g!r} on the input")
        moved_inputs.append(run.values.from_host(m, x_native))
    E = len(run.elements)
    if run.batched and batchable and E > 1:
        try:
            calls = record(model, run.values.concat(moved_inputs), run.values, run.framework)
            run.forward_calls += 1
            per: list[list[Call]] = [[] for _ in range(E)]
            for c in calls:
                outs = run.values.split(c.output, E)
                args = [run.values.split(a, E) for a in c.args]
                for e in range(E):
                    per[e].append(
                        Call(c.name, c.kind, c.layer, tuple(a[e] for a in args), c.kwargs, c.sources, outs[e])
                    )
            return per
        except Exception as exc:  # noqa: BLE001 - the model refuses a larger batch: one call per element
            notes.append(
                f"the model refused the moved inputs batched ({type(exc).__name__}); they ran one call each"
            )
    run.batched = False
    out = []
    for m in moved_inputs:
        out.append(record(model, m, run.values, run.framework))
        run.forward_calls += 1
    return out


def locate(
    model: Any,
    group: Group | str,
    *,
    in_action: Any = "spatial",
    actions: Mapping[str, Any] | None = None,
    inputs: Any = None,
    input_shape: Sequence[int] | None = None,
    dtypes: Sequence[str] | None = None,
    seed: int = 0,
    elements: Sequence[Element | str] | None = None,
    max_elements: int = MAX_ELEMENTS,
    rtol: float | None = None,
    atol: float | None = None,
    margin: int = 0,
    batched: bool = True,
    lie: bool = True,
    name: str | None = None,
) -> LocateResult:
    """Which layer of ``model`` breaks equivariance to ``group`` (docs/locate.md).

    ``model``: a torch.nn.Module, an equicheck.nn module (Sequential walked) or a list of
    callables (the layers in order). ``actions`` maps layer names (``'layer3.1.conv2'``) to the
    actions of their outputs; every other layer's is carried or inferred. Returns a
    :class:`LocateResult`; bad arguments raise before anything runs.
    """
    start = time.perf_counter()
    kind = _model_kind(model)
    grp = groups_mod.from_name(group) if isinstance(group, str) else group
    if not isinstance(grp, Group):
        raise TypeError(f"group must be a group or its name, got {type(group).__name__}")
    if grp.dims != 2:
        raise ShapeError(
            f"locate reads images (2-D grids); {grp.name} acts on {grp.dims}-D grids. Check the whole "
            "model with check_equivariance, or check its layers one by one (each layer is a function)"
        )
    in_act = actions_mod.from_name(in_action)
    declared = _declared(actions, grp)
    seed = seed_value(seed)
    max_elements = positive_int(max_elements, name="max_elements")
    margin = non_negative_int(margin, name="margin")
    rtol = tolerance_value(rtol, name="rtol") if rtol is not None else None
    atol = tolerance_value(atol, name="atol") if atol is not None else None
    framework = "torch" if kind == "torch" else None
    values = values_for(framework)
    if kind == "torch":
        _check_names(declared, [n or "(model)" for n, _ in model.named_modules()])
    rng = np.random.default_rng(seed)
    layers = [model] if kind == "nn" and not _is_sequential(model) else model
    if kind != "torch":
        whole = ["(model)"] if _is_sequential(model) else []
        _check_names(declared, [*whole, *_layer_names(layers)])
    x_host, x_native = _input(kind, model, inputs, input_shape, dtypes, grp, rng, values)
    x_host = np.array(x_host, copy=True)  # the model may change its input in place: x stays x
    if x_host.ndim < 3 and in_act.spatial is not None:
        raise ShapeError(
            f"locate reads the last two axes of the input as its grid and needs an axis before them "
            f"(batch or channels); got shape {tuple(x_host.shape)}: give (1, H, W) or (1, C, H, W)"
        )
    in_act = in_act.prepare(grp, tuple(x_host.shape))
    grid = in_act.grid(tuple(x_host.shape))
    elems = _elements(grp, grid, elements, max_elements, rng)
    dtype, tol = default_tolerance(x_host.dtype, getattr(x_native, "dtype", x_host.dtype))
    judge = Judge(
        elems, rtol if rtol is not None else tol.rtol, atol if atol is not None else tol.atol, margin
    )
    run = Run(
        group=grp,
        in_action=in_act,
        declared=declared,
        values=values,
        framework=framework,
        grid=grid,
        elements=elems,
        judge=judge,
        exact=grp.exact and all(g.exact for g in elems),
        margin=margin,
        batched=batched,
        lie=lie,
    )
    with preserved(model, framework) as prep:
        notes = list(prep.notes)
        try:
            run.calls = record(layers, values.copy(x_native), values, framework)
        except Exception as exc:  # noqa: BLE001 - the user's model
            raise FunctionError(f"the model raised {type(exc).__name__} on its input: {exc}") from exc
        run.forward_calls += 1
        if not run.calls:
            raise LocateError("the model called no layer: nothing to localise (are its layers modules?)")
        per = _record_moved(run, layers, x_host, x_native, prep.batchable and batched, notes)
        for e, calls in enumerate(per):
            if [c.name for c in calls] != [c.name for c in run.calls]:
                raise LocateError(
                    f"the model called other layers for {elems[e]!r}·x than for x (control flow that depends "
                    "on the input?); locate needs the same calls for both"
                )
        run.moved_outputs = [[values.host(c.output) for c in calls] for calls in per]
        run.moved_inputs = [[tuple(values.host(a) for a in c.args) for c in calls] for calls in per]
        for i in range(len(run.calls)):
            build_row(run, i)
        first = finish(run)
        emap, emap_element, sentence = None, None, ""
        if first is not None:
            sentence = advice_for(run, first)
            emap, emap_element = first_error_map(run, first)
    if not run.batched:
        notes.append("the moved inputs ran one call per element (not batched)")
    label = name or _label(model, kind)
    return LocateResult(
        model=label,
        group=grp.name,
        elements=[repr(g) for g in elems],
        in_action=in_act.name,
        dtype=dtype,
        rtol=judge.rtol,
        atol=judge.atol,
        exact=run.exact,
        layers=run.rows,
        first_break=run.rows[first].name if first is not None else None,
        advice=sentence,
        error_map=emap,
        error_map_element=emap_element,
        notes=notes,
        batched=run.batched,
        seed=seed,
        elapsed=time.perf_counter() - start,
        forward_calls=run.forward_calls,
        layer_calls=run.layer_calls,
    )


def _is_sequential(model: Any) -> bool:
    from ..nn import Sequential

    return isinstance(model, Sequential)


def _label(model: Any, kind: str) -> str:
    if kind == "list":
        return f"list of {len(model)} layers"
    return type(model).__name__
