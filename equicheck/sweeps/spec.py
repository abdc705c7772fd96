"""A sweep and its cells: the grid (targets x groups x actions x dtypes x seeds x other check
keywords) written in Python or in a TOML file, checked whole before any cell runs.

Each :class:`Cell` is one full ``check_equivariance`` call, described by plain values only
(strings, numbers, lists) so that it travels to a worker, goes into a cache key and reads
back from JSON. A sweep file::

    name = "zoo"                     # default: the file's stem
    targets = ["models:small", "models:make(width=16)"]
    groups = ["c4", "flips"]
    dtypes = ["float32", "float64"]  # default ["float32"]
    seeds = [0, 1]                   # default [0]
    actions = [{in = "spatial"}, {in = "regular(axis=1)", invariant = true}]  # default spatial
    path = ["."]                     # folders the targets' modules are in (from the file's folder)
    version = "run-7"                # optional: part of the cache key
    timeout = 120                    # seconds per cell (optional)
    cache = ".equicheck/sweeps/zoo"  # optional
    [check]                          # keywords of check_equivariance, the same in every cell
    max_examples = 20
    [grid]                           # keywords of check_equivariance, one cell per value
    margin = [0, 1]
"""

from __future__ import annotations

import inspect
import itertools
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EquicheckError
from ..options import did_you_mean
from ..options import dtypes as dtype_names
from ..options import seed as seed_value
from ..options import timeout as timeout_value
from .targets import SweepError, Target, parse_target

__all__ = ["RESERVED", "Cell", "Sweep", "checked_name", "checked_timeout", "make_sweep", "read_sweep"]

#: check_equivariance keywords a sweep sets itself (its axes, or what a worker must own).
RESERVED = {
    "f": "the target",
    "group": "groups",
    "in_action": "actions",
    "out_action": "actions",
    "invariant": "actions",
    "dtypes": "dtypes",
    "seed": "seeds",
    "name": "the target's reference",
    "replay_dir": "the sweep (counterexamples come back to the client)",
    "settings": "the sweep (workers write no Hypothesis database)",
    "inputs": "a target (arrays cannot be written in a sweep file: draw them, or check in Python)",
}
#: Keys of a sweep file.
FILE_KEYS = (
    "name",
    "targets",
    "groups",
    "dtypes",
    "seeds",
    "actions",
    "path",
    "version",
    "timeout",
    "cache",
    "check",
    "grid",
)
_ACTION_KEYS = ("in", "out", "invariant")


@dataclass(frozen=True)
class Cell:
    """One check: a target under a group with its actions, dtype, seed and keywords."""

    target: Target
    group: str
    in_action: str = "spatial"
    out_action: str | None = None
    invariant: bool = False
    dtype: str = "float32"
    seed: int = 0
    keywords: tuple[tuple[str, Any], ...] = ()
    #: keywords that vary over the grid (shown in the label)
    varied: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def actions(self) -> str:
        out = "trivial" if self.invariant else (self.out_action or self.in_action)
        return f"{self.in_action} -> {out}"

    @property
    def label(self) -> str:
        """``models:small[c4, spatial -> spatial, float32, seed=0, margin=1]``: the report's test id."""
        extra = "".join(f", {k}={json.dumps(v)}" for k, v in self.keywords if k in self.varied)
        return f"{self.target.text}[{self.group}, {self.actions}, {self.dtype}, seed={self.seed}{extra}]"

    def description(self) -> dict[str, Any]:
        """Everything that decides the cell's result, as plain JSON values (for the cache key)."""
        return {
            "target": self.target.text,
            "group": self.group,
            "in_action": self.in_action,
            "out_action": self.out_action,
            "invariant": self.invariant,
            "dtype": self.dtype,
            "seed": self.seed,
            "keywords": {k: v for k, v in self.keywords},
        }

    def check_keywords(self) -> dict[str, Any]:
        """The keywords of check_equivariance for this cell (but f, replay_dir and settings)."""
        out: dict[str, Any] = dict(self.keywords)
        out.update(
            group=self.group,
            in_action=self.in_action,
            invariant=self.invariant,
            dtypes=[self.dtype],
            seed=self.seed,
            name=self.target.text,
        )
        if self.out_action is not None:
            out["out_action"] = self.out_action
        return out


@dataclass(frozen=True)
class Sweep:
    """A named list of cells and how to run them (folders to import from, version, timeout)."""

    name: str
    cells: tuple[Cell, ...]
    path: tuple[str, ...] = ()
    version: str | None = None
    timeout: float | None = None
    cache_dir: Path | None = None

    @property
    def targets(self) -> list[Target]:
        return list({c.target.text: c.target for c in self.cells}.values())


def checked_name(name: Any) -> str:
    """A sweep's name, usable as a folder name (its cache folder is named after it)."""
    if not isinstance(name, str) or not name.strip() or any(c in name for c in "/\\") or name in (".", ".."):
        raise SweepError(f"a sweep's name is a word usable as a folder name, got {name!r}")
    return name


def checked_timeout(value: Any) -> float | None:
    """The per-cell timeout in seconds (a positive number)."""
    try:
        return timeout_value(value, name="the sweep's timeout")
    except EquicheckError as exc:
        raise SweepError(str(exc)) from None


def _listed(value: Any, name: str, default: Sequence[Any] | None = None) -> list[Any]:
    if value is None:
        if default is None:
            raise SweepError(f"a sweep needs {name}: give a list of at least one")
        return list(default)
    if isinstance(value, (str, Mapping)) or not isinstance(value, Sequence):
        value = [value]
    if not value:
        raise SweepError(f"{name} is an empty list: give at least one")
    return list(value)


def _plain(value: Any, where: str) -> Any:
    """``value`` if it is plain JSON data (what a sweep file can hold), else SweepError."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        raise SweepError(
            f"{where} = {value!r}: a sweep's keywords must be plain values (numbers, strings, "
            "booleans, lists, tables) so that workers, the cache and the report can hold them"
        ) from None
    return value


def _check_keywords(keywords: Mapping[str, Any], where: str) -> None:
    """Known keywords of check_equivariance only, none of those the sweep sets itself, and
    the common ones validated here (the rest are checked by each cell)."""
    from ..engine import check_equivariance
    from ..options import non_negative_int, positive_int, size_range, tolerance

    known = set(inspect.signature(check_equivariance).parameters)
    for key, value in keywords.items():
        if key in RESERVED:
            raise SweepError(f"{where}: {key!r} is set by the sweep from {RESERVED[key]}; remove it")
        if key not in known:
            raise SweepError(
                f"{where}: check_equivariance has no keyword {key!r}"
                f"{did_you_mean(key, sorted(known - set(RESERVED)))}"
            )
        _plain(value, f"{where}.{key}")
    validators: dict[str, Any] = {
        "max_examples": positive_int,
        "margin": non_negative_int,
        "rtol": tolerance,
        "atol": tolerance,
        "timeout": timeout_value,
        "sizes": size_range,
        "elements_per_example": positive_int,
    }
    for key, check in validators.items():
        if key in keywords and keywords[key] is not None:
            try:
                check(keywords[key], name=f"{where}.{key}")
            except EquicheckError as exc:
                raise SweepError(str(exc)) from None


def _actions(items: list[Any]) -> list[tuple[str, str | None, bool]]:
    from ..actions import from_name

    out = []
    for item in items:
        spec = {"in": item} if isinstance(item, str) else item
        if not isinstance(spec, Mapping):
            raise SweepError(f"an action is a name ('spatial') or a table {{in=..., out=...}}, got {item!r}")
        unknown = [k for k in spec if k not in _ACTION_KEYS]
        if unknown:
            raise SweepError(
                f"actions: unknown key {unknown[0]!r} in {dict(spec)!r}; keys: in, out, invariant"
            )
        in_action, out_action = spec.get("in", "spatial"), spec.get("out")
        invariant = spec.get("invariant", False)
        if not isinstance(invariant, bool):
            raise SweepError(f"actions: invariant must be true or false, got {invariant!r}")
        if invariant and out_action is not None:
            raise SweepError(f"actions: give invariant or out, not both, in {dict(spec)!r}")
        for name in (in_action, out_action):
            if name is None:
                continue
            if not isinstance(name, str):
                raise SweepError(f"actions: an action is written by name ('regular(axis=1)'), got {name!r}")
            try:
                from_name(name)
            except EquicheckError as exc:
                raise SweepError(f"actions: {exc}") from None
        out.append((in_action, out_action, invariant))
    return out


def make_sweep(
    targets: Any,
    groups: Any,
    *,
    actions: Any = None,
    dtypes: Any = None,
    seeds: Any = None,
    check: Mapping[str, Any] | None = None,
    grid: Mapping[str, Sequence[Any]] | None = None,
    name: str = "sweep",
    path: Sequence[str | os.PathLike[str]] = (),
    version: str | None = None,
    timeout: float | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Sweep:
    """The sweep of every combination; :class:`SweepError` (before anything runs) for a bad
    target, group, action, dtype, seed, keyword or a module that cannot be found."""
    from ..groups import from_name as group_from_name

    name = checked_name(name)
    parsed = [parse_target(t) for t in _listed(targets, "targets")]
    group_names = _listed(groups, "groups")
    for g in group_names:
        if not isinstance(g, str):
            raise SweepError(f"a group is written by name ('c4', 'translation(step=2)'), got {g!r}")
        try:
            group_from_name(g)
        except EquicheckError as exc:
            raise SweepError(f"groups: {exc}") from None
    action_list = _actions(_listed(actions, "actions", ["spatial"]))
    try:
        dtype_list = list(dict.fromkeys(dtype_names(_listed(dtypes, "dtypes", ["float32"]))))
        seed_list = [seed_value(s, name="a seed") for s in _listed(seeds, "seeds", [0])]
    except EquicheckError as exc:
        raise SweepError(str(exc)) from None
    per_cell = checked_timeout(timeout) if timeout is not None else None
    fixed = dict(check or {})
    _check_keywords(fixed, "check")
    grid = dict(grid or {})
    for key, values in grid.items():
        if isinstance(values, (str, Mapping)) or not isinstance(values, Sequence) or not values:
            raise SweepError(f"grid.{key} must be a non-empty list of values, one cell each, got {values!r}")
        if key in fixed:
            raise SweepError(f"{key!r} is in both check and grid: keep one")
        for value in values:
            _check_keywords({key: value}, "grid")
    folders = tuple(str(Path(p).resolve()) for p in path)
    for folder in folders:
        if not Path(folder).is_dir():
            raise SweepError(f"path: no such folder {folder!r}")
    varied = frozenset(grid)
    cells = []
    for target, group, (ia, oa, inv), dtype, s, *values in itertools.product(
        parsed, group_names, action_list, dtype_list, seed_list, *grid.values()
    ):
        keywords = {**fixed, **dict(zip(grid, values))}
        cells.append(Cell(target, group, ia, oa, inv, dtype, s, tuple(sorted(keywords.items())), varied))
    sweep = Sweep(
        name,
        tuple(cells),
        folders,
        None if version is None else str(version),
        per_cell,
        Path(cache_dir) if cache_dir is not None else None,
    )
    from .targets import on_path

    with on_path(list(folders)):
        for target in sweep.targets:
            target.module_file()  # a module that cannot be found fails here, before any work
    return sweep


def _toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 reads TOML with the backport
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise SweepError(f"cannot read the sweep file {str(path)!r}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SweepError(f"{path} is not valid TOML: {exc}") from None


def read_sweep(path: str | os.PathLike[str]) -> Sweep:
    """The sweep a TOML file describes (see the module docstring); paths in it are relative
    to the file's folder. :class:`SweepError` for anything wrong, before any cell runs."""
    file = Path(path)
    doc = _toml(file)
    unknown = [k for k in doc if k not in FILE_KEYS]
    if unknown:
        raise SweepError(
            f"{file}: unknown key {unknown[0]!r}{did_you_mean(unknown[0], FILE_KEYS)}; "
            f"a sweep file has {', '.join(FILE_KEYS)}"
        )
    for key in ("check", "grid"):
        if key in doc and not isinstance(doc[key], dict):
            raise SweepError(f"{file}: {key} must be a table ([{key}]), got {doc[key]!r}")
    base = file.resolve().parent
    folders = [str(base / p) for p in _listed(doc.get("path"), "path", [])] if doc.get("path") else []
    cache = doc.get("cache")
    try:
        return make_sweep(
            doc.get("targets"),
            doc.get("groups"),
            actions=doc.get("actions"),
            dtypes=doc.get("dtypes"),
            seeds=doc.get("seeds"),
            check=doc.get("check"),
            grid=doc.get("grid"),
            name=doc.get("name", file.stem),
            path=folders,
            version=doc.get("version"),
            timeout=doc.get("timeout"),
            cache_dir=base / cache if cache is not None else None,
        )
    except SweepError as exc:
        raise SweepError(f"{file}: {exc}") from None
