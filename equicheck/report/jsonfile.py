"""The JSON report: a documented, versioned file (schema in docs/reports.md) that reads
back into :class:`~equicheck.CheckResult` objects.

Arrays go to a sidecar ``<name>.arrays.npz`` beside the JSON (named by ``arrays_file``), so
the JSON stays small and diffable. Numbers that JSON cannot hold (inf, NaN) are written as
the strings ``"inf"``, ``"-inf"``, ``"nan"``. Both files are written together, all or none
(:func:`~equicheck.report.atomic.atomic_write_all`), the sidecar renamed into place first, so
a JSON file never names a sidecar that is not there yet. Schema version 2 added the fields of
a partial run (``complete``, ``tests_run``, ``tests_collected``, ``stopped``).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from ..result import CheckResult
from . import arrays as arrays_mod
from .atomic import Writer, atomic_write_all
from .model import FORMAT, SCHEMA_VERSION, Report, ReportError

__all__ = ["from_json_dict", "json_files", "read_json", "sidecar_path", "to_json_dict", "write_json"]

#: Float fields that may hold "inf"/"nan" strings: in a result, its errors and counterexample.
_RESULT_FLOATS = ("max_error", "tolerance", "atol", "elapsed", "time_in_f")
_ERROR_FLOATS = ("max_error",)
_COUNTEREXAMPLE_FLOATS = ("error", "max_abs_diff", "max_rel_diff")


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """Where the arrays of the JSON report at ``path`` go: ``report.json`` -> ``report.arrays.npz``."""
    p = Path(path)
    return p.with_name(p.stem + ".arrays.npz")


def _finite(value: Any) -> Any:
    """A copy of ``value`` where non-finite floats are strings (JSON has no inf/NaN)."""
    if isinstance(value, float):  # np.float64 too
        return float(value) if math.isfinite(value) else repr(float(value))
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # NumPy scalars and arrays
        return _finite(value.tolist())
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)  # whatever else a check put in extra: shown, not lost


def _floats(data: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if isinstance(data.get(name), str):
            try:
                data[name] = float(data[name])
            except ValueError:
                raise ReportError(f"field {name!r} is not a number: {data[name]!r}") from None


def to_json_dict(report: Report, arrays_file: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The report as a JSON-able dict, and the arrays for the sidecar (empty when
    ``arrays_file`` is None: arrays are then left out)."""
    results = []
    arrays: dict[str, Any] = {}
    for i, result in enumerate(report.results):
        data = result.to_dict()
        if arrays_file is None:
            data = arrays_mod.pack(data, keep_arrays=False)
        else:
            arrays.update(arrays_mod.split(data, f"r{i}"))
        data["environment"] = report.origins[i]
        results.append(_finite(data))
    doc = {
        "format": FORMAT,
        "version": SCHEMA_VERSION,
        "title": report.title,
        "created": report.created,
        "complete": report.complete,
        "tests_run": report.tests_run,
        "tests_collected": report.tests_collected,
        "stopped": report.stopped,
        "summary": report.counts(),
        "environments": _finite(report.environments),
        "arrays_file": arrays_file if arrays else None,
        "results": results,
    }
    return doc, arrays


def json_files(
    report: Report, path: str | os.PathLike[str], *, arrays: bool = True
) -> list[tuple[Path, Writer]]:
    """The files of the JSON report at ``path``, rendered but not written: (path, writer)
    pairs for :func:`~equicheck.report.atomic.atomic_write_all`, the sidecar (if there are
    arrays) first, so that a JSON file never names a sidecar that is not there yet."""
    target = Path(path)
    side = sidecar_path(target)
    doc, found = to_json_dict(report, side.name if arrays else None)
    data = (json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    files: list[tuple[Path, Writer]] = []
    if found:
        files.append((side, lambda handle: arrays_mod.save_npz(handle, found)))
    files.append((target, lambda handle: handle.write(data)))
    return files


def write_json(report: Report, path: str | os.PathLike[str], *, arrays: bool = True) -> list[Path]:
    """Write ``report`` to ``path`` (and its arrays to the sidecar), both or neither; return
    the files written (the JSON first)."""
    written = atomic_write_all(json_files(report, path, arrays=arrays))
    return written[-1:] + written[:-1]


def _run_fields(doc: dict[str, Any], source: str) -> dict[str, Any]:
    """``complete``, ``tests_run``, ``tests_collected``, ``stopped`` (schema 2; a version 1
    report, which has none of them, reads as complete with unknown counts)."""
    complete = doc.get("complete", True)
    if not isinstance(complete, bool):
        raise ReportError(f"{source}: field 'complete' is not true or false: {complete!r}")
    out: dict[str, Any] = {"complete": complete}
    for name in ("tests_run", "tests_collected"):
        value = doc.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise ReportError(f"{source}: field {name!r} is not a count: {value!r}")
        out[name] = value
    stopped = doc.get("stopped")
    out["stopped"] = None if stopped is None else str(stopped)
    return out


def from_json_dict(doc: Any, arrays: dict[str, Any] | None = None, source: str = "report") -> Report:
    """Build a :class:`Report` from a parsed JSON document (``arrays``: the sidecar's)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ReportError(f'{source} is not an equicheck report (no "format": {FORMAT!r})')
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ReportError(f"{source} has no integer schema version")
    if version > SCHEMA_VERSION:
        raise ReportError(
            f"{source} uses schema version {version}, newer than this equicheck reads "
            f"({SCHEMA_VERSION}); upgrade equicheck"
        )
    results: list[CheckResult] = []
    origins: list[int] = []
    environments = doc.get("environments") or []
    for n, raw in enumerate(doc.get("results", [])):
        if not isinstance(raw, dict):
            raise ReportError(f"{source}: result #{n} is not an object")
        data = dict(raw)
        origins.append(int(data.pop("environment", 0)))
        _floats(data, _RESULT_FLOATS)
        data["errors"] = [dict(e) for e in data.get("errors", [])]
        for e in data["errors"]:
            _floats(e, _ERROR_FLOATS)
        if isinstance(data.get("counterexample"), dict):
            data["counterexample"] = dict(data["counterexample"])
            _floats(data["counterexample"], _COUNTEREXAMPLE_FLOATS)
        arrays_mod.join(data, arrays)
        try:
            results.append(CheckResult.from_dict(data))
        except (TypeError, ValueError) as exc:
            raise ReportError(f"{source}: result #{n} cannot be read: {exc}") from None
    try:
        return Report(
            results,
            list(environments),
            origins,
            created=str(doc.get("created", "")),
            title=str(doc.get("title", "equicheck report")),
            **_run_fields(doc, source),
        )
    except ReportError as exc:
        raise ReportError(f"{source}: {exc}") from None


def read_json(path: str | os.PathLike[str], *, arrays: bool = True) -> Report:
    """Read a JSON report (and, with ``arrays``, its sidecar if it is there)."""
    source = Path(path)
    try:
        doc = json.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot read {source}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ReportError(f"{source} is not valid JSON: {exc}") from None
    found = None
    name = doc.get("arrays_file") if isinstance(doc, dict) else None
    if arrays and isinstance(name, str):
        side = source.parent / Path(name).name  # only beside the report, never elsewhere
        if side.exists():
            try:
                found = arrays_mod.read_sidecar(side)
            except (OSError, ValueError) as exc:
                raise ReportError(f"cannot read the arrays file {side}: {exc}") from None
    return from_json_dict(doc, found, str(source))
