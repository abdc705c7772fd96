"""Groups and their elements. Nothing here touches arrays.

Look a group up by name with :func:`from_name` (``'p4m'``, ``'translation(step=2)'``), or
call its constructor. Elements print as expressions (``shift(dy=1, dx=-2) * rot90(k=1)``)
that :func:`element_from_repr` reads back.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import SpecError
from ..options import did_you_mean
from ..spec import Spec, bare_word, parse_spec
from .base import Element, Grid, Group
from .grid import (
    GridElement,
    GridGroup,
    c2,
    c4,
    d4,
    flip,
    flips,
    identity,
    p4,
    p4m,
    rot90,
    shift,
    translation,
)

__all__ = [
    "MAX_FACTORS",
    "MAX_NESTING",
    "Element",
    "Grid",
    "GridElement",
    "GridGroup",
    "Group",
    "available",
    "c2",
    "c4",
    "d4",
    "element_from_dict",
    "element_from_repr",
    "flip",
    "flips",
    "from_dict",
    "from_name",
    "identity",
    "p4",
    "p4m",
    "register_element",
    "register_group",
    "rot90",
    "shift",
    "translation",
]

#: The most factors :func:`element_from_repr` reads in one product (``a * b * ...``): reprs
#: that equicheck writes have at most three; more is a crafted or corrupt name.
MAX_FACTORS = 100_000
#: The deepest nesting of brackets :func:`element_from_repr` reads (reprs have depth 1).
MAX_NESTING = 50

_GROUPS: dict[str, Callable[..., Group]] = {}
_ELEMENTS: dict[str, Callable[..., Element]] = {}


def register_group(name: str, constructor: Callable[..., Group]) -> None:
    """Make ``constructor`` reachable as ``from_name(name)`` (and from the CLI, marker, reports)."""
    _GROUPS[name] = constructor


def register_element(name: str, constructor: Callable[..., Element]) -> None:
    """Allow ``name(...)`` in element reprs read by :func:`element_from_repr`."""
    _ELEMENTS[name] = constructor


def available() -> list[str]:
    """Names of the registered groups."""
    return sorted(_GROUPS)


#: What words that name no group usually mean (suggested when a group name is unknown).
GROUP_HINTS = {
    "rotation": "'c4' (quarter turns, exact) or 'so2' (any angle, interpolated)",
    "rotations": "'c4' (quarter turns, exact) or 'so2' (any angle, interpolated)",
    "rot90": "'c4' (quarter turns)",
    "reflection": "'flips' (mirror images) or 'd4' (quarter turns and flips)",
    "reflections": "'flips' (mirror images) or 'd4' (quarter turns and flips)",
    "flip": "'flips'",
    "shift": "'translation'",
    "shifts": "'translation'",
    "translations": "'translation'",
    "scale": "'scaling'",
    "sn": "'perm' (the permutations of the points or nodes)",
    "permutation": "'perm' (the permutations of the points or nodes)",
    "permutations": "'perm' (the permutations of the points or nodes)",
    "euclidean": "'e3' (rotations, reflections, translations of 3-D coordinates) or 'se3'",
    "rotations3": "'so3' (rotations of 3-D coordinates)",
    "e3xsn": "'product(e3, perm)'",
    "cube": "'cube24' (the 24 rotations of the cube) or 'cube48' (with reflections)",
    "octahedral": "'cube24' (the 24 rotations of the cube) or 'cube48' (with reflections)",
    "oh": "'cube48' (the 48 symmetries of the cube)",
    "reverse": "'flips(dims=1)' (the reversal of a 1-D signal)",
    "reversal": "'flips(dims=1)' (the reversal of a 1-D signal)",
    "so3_grid": "'so3_volume' (rotations of a 3-D grid by any angle, interpolated)",
    "rotations3d": "'cube24' (exact quarter turns of a volume) or 'so3_volume' (any angle)",
}


def _call(kind: str, table: dict[str, Callable[..., Any]], spec: Spec) -> Any:
    if spec.name not in table:
        hint = did_you_mean(spec.name, table, GROUP_HINTS if kind == "group" else None)
        raise SpecError(f"unknown {kind} {spec.name!r}{hint}; known {kind}s: {', '.join(sorted(table))}")
    constructor = table[spec.name]
    args = [bare_word(a) for a in spec.args]
    params = {k: bare_word(v) for k, v in spec.params.items()}
    try:
        inspect.signature(constructor).bind(*args, **params)
    except TypeError as exc:
        sig = inspect.signature(constructor)
        raise SpecError(f"bad parameters for {kind} {spec.name!r}: {exc}; it takes {sig}") from None
    try:
        return constructor(*args, **params)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"bad parameters for {kind} {str(spec)!r}: {exc}") from None


def from_name(name: str | Spec | Group) -> Group:
    """The group called ``name`` in the name grammar, e.g. ``'p4m'`` or ``'translation(step=2)'``."""
    if isinstance(name, Group):
        return name
    return _call("group", _GROUPS, parse_spec(name))


def from_dict(data: dict[str, Any] | str) -> Group:
    """Inverse of ``Group.to_dict()``."""
    return _call("group", _GROUPS, Spec.from_dict(data))


def element_from_repr(text: str) -> Element:
    """Read an element's repr back (``'shift(dy=1, dx=-2) * rot90(k=1)'``); runs no code.

    A product is split at its top-level ``*`` and composed left to right without recursion,
    so a product of any length reads back (each factor is one short name)."""
    if not isinstance(text, str):
        raise SpecError(f"an element repr must be a string, got {type(text).__name__}")
    if not text.strip():
        raise SpecError(
            "an element repr is empty; expected e.g. 'rot90(k=1)' or 'shift(dy=1, dx=0) * rot90(k=1)'"
        )
    depth = deepest = 0
    for ch in text:  # quotes aside: an upper bound, checked once so each level scans the text once
        depth += (ch in "([{") - (ch in ")]}")
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        raise SpecError(
            f"element {_shown(text)} nests brackets {deepest} deep; equicheck reads at most "
            f"{MAX_NESTING} (groups.MAX_NESTING)"
        )
    return _product(text.strip(), text)


def _shown(text: str, limit: int = 200) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"


def _scan(text: str) -> Iterator[tuple[int, str, int]]:
    """``(index, character, bracket depth after it)`` for each character outside quotes."""
    depth, quote = 0, ""
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        else:
            depth += (ch in "([{") - (ch in ")]}")
            yield i, ch, depth


def _factors(text: str, whole: str) -> list[str]:
    """``text`` split at each ``*`` outside brackets and quotes."""
    parts: list[str] = []
    start = 0
    for i, ch, depth in _scan(text):
        if depth < 0:
            raise SpecError(f"cannot parse element {_shown(whole)}: unmatched {ch!r}")
        if ch == "*" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _wrapped(text: str) -> bool:
    """Whether ``text`` is one parenthesised expression: ``(...)`` with the first ``(``
    closed by the last character."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    return next((i == len(text) - 1 for i, ch, depth in _scan(text) if ch in ")]}" and depth == 0), False)


def _product(text: str, whole: str) -> Element:
    """The product of the factors of ``text``, left to right (recursing only into parentheses)."""
    factors = _factors(text, whole)
    if len(factors) > MAX_FACTORS:
        raise SpecError(
            f"element {_shown(whole)} is a product of {len(factors)} factors; equicheck reads at most "
            f"{MAX_FACTORS} (groups.MAX_FACTORS): write the element reduced, as repr() prints it"
        )
    result: Element | None = None
    for factor in factors:
        if not factor:
            raise SpecError(f"cannot parse element {_shown(whole)}: an empty factor around '*'")
        element = _product(factor[1:-1].strip(), whole) if _wrapped(factor) else _one(factor, whole)
        result = element if result is None else result * element
    assert result is not None
    return result


def _one(factor: str, whole: str) -> Element:
    """One factor such as ``rot90(k=1)``."""
    try:
        node = ast.parse(factor, mode="eval").body
    except SyntaxError as exc:
        raise SpecError(f"cannot parse element {_shown(whole)}: {exc.msg}") from None
    if not isinstance(node, ast.Call):
        raise SpecError(f"unsupported expression {_shown(ast.unparse(node))} in element {_shown(whole)}")
    return _call("element", _ELEMENTS, parse_spec(ast.unparse(node)))


def element_from_dict(data: dict[str, Any] | str) -> Element:
    """Inverse of ``Element.to_dict()``."""
    return element_from_repr(data if isinstance(data, str) else data["repr"])


for _name, _ctor in {
    "translation": translation,
    "c2": c2,
    "c4": c4,
    "flips": flips,
    "d4": d4,
    "p4": p4,
    "p4m": p4m,
}.items():
    register_group(_name, _ctor)

for _name, _ctor in {"identity": identity, "shift": shift, "rot90": rot90, "flip": flip}.items():
    register_element(_name, _ctor)

# --- continuous groups (rotations by any angle, scalings, sub-pixel shifts): groups/continuous.py
from . import continuous  # noqa: E402

for _group_name, _group_ctor in continuous.GROUPS.items():
    register_group(_group_name, _group_ctor)
for _element_name, _element_ctor in continuous.ELEMENTS.items():
    register_element(_element_name, _element_ctor)

# --- groups on coordinates (rotations, Euclidean motions, permutations): groups/points.py
from . import points  # noqa: E402
from .points import Motion, PointGroup, e3, motion, o3, perm, permute, product, se3, so3, translate  # noqa: E402
from .rotations import PlaneRotation, Rotation, inversion, rotation, turn  # noqa: E402

for _group_name, _group_ctor in points.GROUPS.items():
    register_group(_group_name, _group_ctor)
for _element_name, _element_ctor in points.ELEMENTS.items():
    register_element(_element_name, _element_ctor)

# --- 1-D signals and 3-D volumes (dims=1, dims=3; the same names keep their 2-D meaning): lattice.py
from . import lattice  # noqa: E402
from .lattice import (  # noqa: E402
    LatticeGroup,
    SignalElement,
    VolumeElement,
    cube24,
    cube48,
    dihedral,
    flip,
    flips,
    p432,
    pm3m,
    scale,
    shift,
    subshift,
    translation,
)

for _group_name, _group_ctor in lattice.GROUPS.items():
    register_group(_group_name, _group_ctor)
for _element_name, _element_ctor in lattice.ELEMENTS.items():
    register_element(_element_name, _element_ctor)

# --- interpolated 1-D/3-D groups (so3_volume, o3_volume; scaling/subpixel with dims=): resampled.py
from . import resampled  # noqa: E402
from .resampled import ResampledGroup, o3_volume, scaling, so3_volume, subpixel  # noqa: E402

for _group_name, _group_ctor in resampled.GROUPS.items():
    register_group(_group_name, _group_ctor)
__all__ += [
    "Motion",
    "PlaneRotation",
    "PointGroup",
    "Rotation",
    "e3",
    "inversion",
    "motion",
    "o3",
    "perm",
    "permute",
    "product",
    "rotation",
    "se3",
    "so3",
    "translate",
    "turn",
    "LatticeGroup",
    "SignalElement",
    "VolumeElement",
    "cube24",
    "cube48",
    "dihedral",
    "p432",
    "pm3m",
    "scale",
    "subshift",
    "ResampledGroup",
    "o3_volume",
    "scaling",
    "so3_volume",
    "subpixel",
]
