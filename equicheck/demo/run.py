"""Running the demo: the claims in order, a line per claim on the terminal, and the report
written (the JSON of every check, and the HTML page of :mod:`equicheck.demo.page`).
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from ..backends import Backend, get_backend
from ..progress import Progress
from .claims import (
    BUDGETS,
    Claim,
    Context,
    DemoRun,
    claim_circular,
    claim_cube,
    claim_p4,
    claim_pooling,
    claim_standard_rotations,
    claim_weight_sharing,
    claim_zero_padding,
)
from .figures import draw

__all__ = ["CLAIMS", "DEFAULT_REPORT", "report_paths", "run_demo"]

#: Where the demo writes its report unless told otherwise (relative to the working directory).
DEFAULT_REPORT = Path("equicheck-report") / "demo.html"


#: The claims in the order they run: id -> (builder, progress units: its checks + 1). The same
#: ids, in the same order, are :data:`equicheck.demo.names.CLAIM_IDS` (what the command line
#: reads without loading the demo).
CLAIMS: dict[str, tuple[Callable[[Context, list[Claim]], Claim], int]] = {
    "conv-circular": (lambda ctx, done: claim_circular(ctx), 2),
    "conv-zero-padding": (lambda ctx, done: claim_zero_padding(ctx), 3),
    "pooling-stride": (lambda ctx, done: claim_pooling(ctx), 5),
    "cnn-rotations-scalings": (lambda ctx, done: claim_standard_rotations(ctx), 4),
    "p4-cnn": (
        lambda ctx, done: claim_p4(ctx, next((c for c in done if c.id == "cnn-rotations-scalings"), None)),
        3,
    ),
    "weight-sharing": (lambda ctx, done: claim_weight_sharing(ctx), 3),
    "voxel-cube-cnn": (lambda ctx, done: claim_cube(ctx), 4),
}


def report_paths(report: str | Path | None) -> tuple[Path, Path]:
    """(HTML, JSON) paths for ``--report``: a .html or .json path (the other beside it) or a
    folder (``demo.html`` and ``demo.json`` in it); None means :data:`DEFAULT_REPORT`."""
    path = Path(report) if report is not None else DEFAULT_REPORT
    suffix = path.suffix.lower()
    if suffix == ".html":
        return path, path.with_suffix(".json")
    if suffix == ".json":
        return path.with_suffix(".html"), path
    if suffix:
        raise ValueError(f"--report takes a .html or .json path or a folder, got {str(path)!r}")
    return path / "demo.html", path / "demo.json"


def run_demo(
    *,
    mode: str = "default",
    seed: int = 0,
    backend: str | Backend | None = None,
    report: str | Path | None = None,
    write: bool = True,
    out: IO[str] | None = None,
    progress: bool | None = None,
    command: str = "equicheck demo",
    only: Sequence[str] | None = None,
) -> DemoRun:
    """Check every claim (or those whose ids are in ``only``, see :data:`CLAIMS`), print a
    line per claim to ``out`` and write the report (HTML and JSON) unless ``write`` is False.
    Raises BackendUnavailableError for an unusable backend and ValueError for a bad mode,
    claim id or report path, before any work."""
    if mode not in BUDGETS:
        raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(BUDGETS)}")
    unknown = sorted(set(only or ()) - set(CLAIMS))
    if unknown:
        raise ValueError(f"unknown claim {', '.join(unknown)}; the claims are: {', '.join(CLAIMS)}")
    chosen = [cid for cid in CLAIMS if only is None or cid in only]
    out = out if out is not None else sys.stdout
    html_path, json_path = report_paths(report)
    be = get_backend(backend)
    budget = BUDGETS[mode]
    start = time.perf_counter()
    replay_dir = html_path.parent / "counterexamples" if write else None
    claims: list[Claim] = []
    print(
        f"equicheck demo ({budget.name}, seed {seed}, backend {be.name} on {be.device}): "
        "checking what people say about CNNs",
        file=out,
        flush=True,
    )
    steps = sum(CLAIMS[cid][1] for cid in chosen) + (2 if write else 0)
    #: figures need matplotlib (as the HTML page does); without it the checks and data still run
    can_draw = importlib.util.find_spec("matplotlib") is not None
    with Progress(steps, "demo", enabled=progress) as bar:
        ctx = Context(budget, seed, be, bar, replay_dir)
        for cid in chosen:
            t0 = time.perf_counter()
            claim = CLAIMS[cid][0](ctx, claims)
            if can_draw:
                claim.figures = draw(claim)
            claim.elapsed = time.perf_counter() - t0
            claims.append(claim)
            bar.advance()  # the measurement step of the claim (or a spare one)
            bar.close()
            _print_claim(claim, out)
        run = DemoRun(claims, budget, seed, be.name, be.device, time.perf_counter() - start)
        if write:
            bar.set_note("writing the report")
            _write(run, html_path, json_path, bar, command)
    run.elapsed = time.perf_counter() - start
    held = sum(c.holds for c in claims)
    print(
        f"{len(claims)} claim{'s' if len(claims) != 1 else ''}: {held} hold{'s' if held == 1 else ''}, "
        f"{len(claims) - held} do{'es' if len(claims) - held == 1 else ''} not hold "
        f"({len(run.results)} checks, {run.elapsed:.1f}s)",
        file=out,
    )
    if run.html is not None:
        print(f"report: {run.html} (open it in a browser)", file=out)
    for path in run.written:
        if path != run.html:
            print(f"data:   {path}", file=out)
    if run.note:
        print(run.note, file=out)
    out.flush()
    return run


def _print_claim(claim: Claim, out: IO[str]) -> None:
    mark = "HOLDS        " if claim.holds else "DOES NOT HOLD"
    print(f"{mark} {claim.title} ({claim.elapsed:.1f}s)", file=out)
    for c in claim.checks:
        r = c.result
        print(
            f"    {c.label}: {c.describe()}; max error {r.max_error:.3g} (tolerance {r.tolerance:.3g})",
            file=out,
        )
        if not c.as_claimed and r.counterexample is not None:
            ce = r.counterexample
            print(f"      counterexample: {ce.element} on {ce.input}", file=out)
    for text, ok in claim.conditions:
        print(f"    {'ok ' if ok else 'NOT'} {text}", file=out)
    for text in claim.findings:
        print(f"    - {text}", file=out)
    out.flush()


def _write(run: DemoRun, html_path: Path, json_path: Path, bar: Progress, command: str) -> None:
    """The JSON report (every check, with its claim) and the HTML page (claims first)."""
    from ..report import Report, ReportError, capture, write_reports

    for claim in run.claims:
        info = {k: v for k, v in claim.to_dict().items() if k not in ("measures", "findings")}
        for i, c in enumerate(claim.checks):
            c.result.extra["claim"] = dict(info, expect=c.expect, label=c.label)
            if i == 0:
                c.result.extra["claim"]["findings"] = list(claim.findings)
                c.result.extra["claim"]["measures"] = claim.measures
    env = capture(
        command=command,
        demo={"mode": run.budget.name, "seed": run.seed, "claims": len(run.claims)},
        backend={"name": run.backend, "device": run.device},
    )
    report = Report.of(run.results, env, title="equicheck demo: what CNNs are equivariant to")
    run.written.extend(write_reports(report, [json_path]))
    bar.advance()
    try:
        from ..report.html import require

        require()
    except ReportError as exc:
        run.note = f"no HTML report: {exc}"
        return
    from ..report.atomic import atomic_write_text
    from .page import render_page

    atomic_write_text(html_path, render_page(run, report, command))
    run.html = html_path
    run.written.insert(0, html_path)
    bar.advance()
