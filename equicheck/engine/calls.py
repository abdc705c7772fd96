"""Calling f: in a thread under a time limit, and what to say about what f did (returned no
array, raised before any call returned) so that the message says the fix."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .plan import Case, Plan
from .tolerance import dtype_name

__all__ = [
    "RETURN_RULE",
    "as_float64",
    "call_in_thread",
    "expected_channels",
    "is_numeric",
    "layout_hint",
    "not_an_array",
]


#: What f must return, as the failures for other results say it.
RETURN_RULE = "f must return a numeric array (or a tuple or dict of arrays)"


def not_an_array(value: Any) -> str | None:
    """What ``value`` is when it is plainly no array (None, text, an iterator), else None."""
    if value is None:
        return "None (does f lack a return statement?)"
    if isinstance(value, (str, bytes)):
        text = repr(value)
        return f"a {type(value).__name__} ({text if len(text) <= 40 else text[:40] + '...'})"
    if isinstance(value, Iterator):
        return f"a {type(value).__name__}, an iterator (build the array, e.g. np.stack(list(...)))"
    if callable(value) and not hasattr(value, "shape"):
        return (
            f"a {type(value).__name__}, which is itself callable: is f a factory that builds the model? "
            "check what it returns, f() (on the command line: MODULE:NAME())"
        )
    return None


def expected_channels(f: Any) -> int | None:
    """The input channels a model declares (its first layer's ``in_channels``), if it does."""
    if isinstance(getattr(f, "in_channels", None), int):
        return int(f.in_channels)
    modules = getattr(f, "modules", None)
    if callable(modules):
        try:
            for m in modules():
                if isinstance(getattr(m, "in_channels", None), int):
                    return int(m.in_channels)
        except Exception:  # noqa: BLE001 - only a hint
            return None
    return None


def layout_hint(plan: Plan, case: Case) -> str:
    """What to say when f raised before it ever returned: the shape equicheck passed and how
    to pass the shape f takes (``input_shape=``, ``batched=``), as equicheck.nn's shape errors do."""
    passed = ", ".join(f"{dtype_name(v.dtype)}{list(v.shape)}" for v in case.values())
    if not plan.drawn:
        return (
            f"f raised on its first call, on the input given ({passed}): check that inputs= has the "
            "layout f takes (e.g. a batch axis: x[None] for a single image, and batched=True)"
        )
    channels = expected_channels(getattr(plan.given, "fn", plan.given)) or 3
    d = plan.group.dims
    ndim = max(len(v.shape) for v in case.values())
    layout = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}.get(d, "(N, C, ...)")
    default = f"one {d}-D grid, no batch or channel axes" if ndim == d else f"shape {passed}"
    nones = ", ".join(["None"] * d)
    return (
        f"f raised on its first call, so the input's layout is the likely cause: equicheck passed "
        f"{passed} ({default}). Say the shape f takes with input_shape= (None for the grid axes "
        f"it draws) and batched=True when axis 0 is a batch, e.g. for a model of {layout} "
        f"batches: input_shape=(2, {channels}, {nones}), batched=True (command line: "
        f"--input-shape 2,{channels},{nones.replace(' ', '')} --batched); or give an example input "
        "with inputs="
    )


def is_numeric(xp: Any, array: Any) -> bool:
    """Whether ``array`` holds bools or numbers (not strings, dates or Python objects)."""
    try:
        return bool(xp.isdtype(array.dtype, ("bool", "numeric")))
    except (TypeError, ValueError):
        return False


def call_in_thread(
    f: Callable[..., Any], args: list[Any], kwargs: dict[str, Any], timeout: float, backend: Any
) -> tuple[bool, Any]:
    """``(True, f(*args, **kwargs))`` when f returns within ``timeout`` seconds, else
    ``(False, None)``. f runs in a daemon thread (in a copy of the caller's context variables,
    so e.g. NumPy's errstate holds); a thread that does not finish is left running and its
    result is discarded. What f raises is raised here."""
    box: dict[str, Any] = {}
    context = contextvars.copy_context()

    def run() -> None:
        try:
            out = context.run(f, *args, **kwargs)
            backend.synchronize()
            box["out"] = out
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread below
            box["exc"] = exc

    thread = threading.Thread(target=run, name="equicheck-f", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return False, None
    if "exc" in box:
        raise box.pop("exc")
    return True, box.pop("out")


def as_float64(xp: Any, case: Case) -> Case:
    """``case`` with its real floating arrays in float64 (for the rounding estimate)."""
    return {
        k: xp.astype(v, xp.float64) if xp.isdtype(v.dtype, "real floating") else v for k, v in case.items()
    }
