"""The demo's figures: each claim's data (:attr:`Claim.measures` and :attr:`Claim.plot_data`)
drawn as SVG plots with matplotlib, in the report's style. Nothing is measured here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .claims import UNCHANGED, Claim

__all__ = ["FIGURES", "draw"]


def _plot(name: str, alt: str, fig: Any) -> Any:
    from ..report.figures import Plot, to_svg

    return Plot(name, alt, to_svg(fig))


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _plain_log(axis: Any) -> None:
    """Log ticks as plain ``1e-05`` (see :func:`equicheck.report.figures.plain_log`); call it
    after the last ``semilogy``/``set_xscale``, which put back the mathtext formatter."""
    from ..report.figures import plain_log

    plain_log(axis)


def _style() -> Any:
    import matplotlib

    from ..report.figures import STYLE

    return matplotlib.rc_context(STYLE)  # type: ignore[arg-type]  # rcParams keys as plain strings


def zero_padding(claim: Claim) -> list[Any]:
    """Error maps of cyclic and zero-filled shifts, and the error by distance from the border."""
    cyc, zer = claim.plot_data["cyclic"], claim.plot_data["zero_filled"]
    profile = claim.measures["error_by_distance_from_border"]
    plots: list[Any] = []
    with _style():
        from matplotlib.colors import LogNorm

        fig = _figure(9.0, 3.0)
        axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.3]})
        floor = 1e-8
        norm = LogNorm(vmin=floor, vmax=max(1.0, float(cyc.max()), float(zer.max())))
        for ax, data, title in ((axes[0], cyc, "cyclic shifts"), (axes[1], zer, "zero-filled shifts")):
            im = ax.imshow(np.maximum(data, floor), norm=norm, cmap="magma")
            ax.set_title(f"{title}: error map", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        bar = fig.colorbar(im, ax=axes[1], fraction=0.046, pad=0.04, label="relative error")
        _plain_log(bar.ax.yaxis)
        ax = axes[2]
        ax.semilogy(range(len(profile)), np.maximum(profile, floor), marker="o", markersize=3)
        ax.axhline(UNCHANGED, color="#c0392b", linestyle="--", linewidth=1, label="float32 tolerance")
        ax.set_xlabel("distance from the border (entries)")
        ax.set_ylabel("largest relative error")
        ax.set_title("zero-filled shifts, by distance", fontsize=9)
        ax.legend(fontsize=7)
        _plain_log(ax.yaxis)
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.17, top=0.88, wspace=1.0)
        plots.append(
            _plot(
                "zero-padding-error-map",
                "Largest error of the zero-padded convolution over 6 shifts, per entry: cyclic shifts "
                "err along the border, where wrapped-around content meets the padding zeros; "
                "zero-filled shifts only within a few entries of the border",
                fig,
            )
        )
    return plots


def pooling(claim: Claim) -> list[Any]:
    """Shift consistency of the five classifiers, and the change per shift as heat maps."""
    stats = claim.measures["variants"]
    variants = [(name, s["label"]) for name, s in stats.items()]
    shifts = claim.measures["shifts"]
    batch = claim.measures["images"]
    per_axis = claim.plot_data["shifts_per_axis"]
    plots: list[Any] = []
    with _style():
        fig = _figure(9.0, 3.0)
        ax1, ax2 = fig.subplots(1, 2)
        labels = [stats[n]["label"] for n, _ in variants]
        ypos = np.arange(len(variants))
        ax1.barh(ypos, [100 * stats[n]["unchanged_share"] for n, _ in variants], color="#2e7d32")
        ax1.set_yticks(ypos, labels)
        ax1.invert_yaxis()
        ax1.set_xlim(0, 100)
        ax1.set_xlabel("% of (shift, image) pairs with the output unchanged")
        ax2.barh(ypos, [max(stats[n]["mean_change"], 1e-9) for n, _ in variants], color="#c0392b")
        ax2.set_xscale("log")
        ax2.set_yticks(ypos, [""] * len(variants))
        ax2.invert_yaxis()
        ax2.set_xlabel("mean relative change of the logits")
        _plain_log(ax2.xaxis)
        fig.subplots_adjust(left=0.17, right=0.98, bottom=0.2, wspace=0.08)
        plots.append(
            _plot(
                "shift-consistency",
                f"Shift consistency of five classifiers over {len(shifts)} cyclic shifts of "
                f"{batch} images: share unchanged and mean relative change",
                fig,
            )
        )
        fig = _figure(9.0, 2.6)
        panels = fig.subplots(1, 4)
        vmax = max(max(stats[n]["per_shift_mean"]) for n in stats)
        for ax, (name, label) in zip(panels, variants[1:]):
            grid = np.asarray(stats[name]["per_shift_mean"]).reshape(per_axis, per_axis)
            im = ax.imshow(grid, vmin=0, vmax=vmax, cmap="viridis")
            ax.set_title(label, fontsize=8)
            ax.set_xlabel("shift dx")
        panels[0].set_ylabel("shift dy")
        fig.colorbar(im, ax=list(panels), shrink=0.85, label="mean relative change")
        plots.append(
            _plot(
                "shift-heatmaps",
                "Mean relative change of the logits per shift (dy, dx): zero at multiples of the "
                "stride, smaller in between with blur pooling",
                fig,
            )
        )
    return plots


def p4(claim: Claim) -> list[Any]:
    """Error against rotation angle: the p4 CNN, the standard CNN and the interpolation floor."""
    angles = np.asarray(claim.measures["angles"], dtype=float)
    p4e = np.asarray(claim.measures["p4_errors"], dtype=float)
    ste = np.asarray(claim.measures["standard_errors"], dtype=float)
    p4_floor = np.asarray(claim.measures["floor"], dtype=float)
    kappa = claim.measures["kappa"]
    plots: list[Any] = []
    with _style():
        fig = _figure(8.0, 3.2)
        ax = fig.add_subplot()
        tiny = 1e-9
        ax.semilogy(angles, np.maximum(ste, tiny), marker="o", markersize=3, label="standard CNN")
        ax.semilogy(angles, np.maximum(p4e, tiny), marker="s", markersize=3, label="p4 group CNN")
        ax.semilogy(
            angles, np.maximum(p4_floor, tiny), color="grey", linewidth=1, label="interpolation floor"
        )
        ax.semilogy(
            angles,
            np.maximum(kappa * p4_floor, tiny),
            color="grey",
            linestyle=":",
            linewidth=1,
            label=f"{kappa:g}x floor (pass limit)",
        )
        for q in (90, 180, 270):
            ax.axvline(q, color="#999", linewidth=0.6)
        ax.set_xticks(range(0, 361, 45))
        ax.set_xlabel("rotation angle (degrees)")
        ax.set_ylabel("relative RMS change of the output")
        ax.set_ylim(bottom=1e-9)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
        _plain_log(ax.yaxis)
        fig.subplots_adjust(left=0.1, right=0.98, bottom=0.15, top=0.95)
        plots.append(
            _plot(
                "error-vs-angle",
                "Error vs rotation angle on the same input: the p4 CNN is exact at quarter turns "
                "and approximate between them; the standard CNN errs at every angle",
                fig,
            )
        )
    return plots


def weight_sharing(claim: Claim) -> list[Any]:
    """Memory of the CNN and the dense network, and the conv layer as a dense matrix."""
    rows = claim.measures["networks"]
    activations = rows["cnn"]["activation_bytes_batch64"]
    m, w = claim.plot_data["conv_matrix"], claim.plot_data["filter"]
    plots: list[Any] = []
    with _style():
        fig = _figure(9.0, 3.2)
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.4, 1]})
        names = ["CNN", "dense"]
        values = [rows["cnn"]["parameter_bytes"], rows["dense"]["parameter_bytes"]]
        train = [rows["cnn"]["training_bytes"], rows["dense"]["training_bytes"]]
        ypos = np.arange(2)
        ax1.barh(ypos - 0.2, values, height=0.4, label="parameters (float32)", color="#1f77b4")
        ax1.barh(ypos + 0.2, train, height=0.4, label="training with Adam (x4)", color="#ff7f0e")
        ax1.axvline(activations, color="grey", linestyle="--", linewidth=1, label="activations, batch 64")
        ax1.set_xscale("log")
        _plain_log(ax1.xaxis)
        ax1.set_xlim(1e3, 1e10)
        ax1.set_yticks(
            ypos, [f"{n}\n{rows[k]['parameters']:,} params" for n, k in zip(names, ("cnn", "dense"))]
        )
        ax1.invert_yaxis()
        ax1.set_xlabel("bytes")
        ax1.legend(fontsize=7, loc="upper right")
        zoom = 3 * 28
        ax2.imshow(m[:zoom, :zoom], cmap="coolwarm", vmin=-np.abs(w).max(), vmax=np.abs(w).max())
        ax2.set_title(f"the conv layer as a dense matrix (first {zoom} rows/cols)", fontsize=8)
        ax2.set_xticks([])
        ax2.set_yticks([])
        fig.subplots_adjust(left=0.16, right=0.98, bottom=0.17, wspace=0.15)
        plots.append(
            _plot(
                "weight-sharing",
                "Memory of the CNN and the dense network on 28x28 images, and the conv layer "
                "written as a dense matrix: one 3x3 filter repeated along its diagonals",
                fig,
            )
        )
    return plots


def cube(claim: Claim) -> list[Any]:
    """Change of the logits against the turn of the volume, about z and about the diagonal:
    the cube-group CNN and the voxel CNN."""
    m = claim.measures
    plots: list[Any] = []
    with _style():
        fig = _figure(9.0, 3.0)
        panels = fig.subplots(1, len(m["turns"]), sharey=True)
        tiny = 1e-9
        for ax, turn in zip(panels, m["turns"]):
            label, angles = turn["turn"], np.asarray(turn["angles"], dtype=float)
            for name, text, marker in (("voxel_cnn", "voxel CNN", "o"), ("cube_cnn", "cube-group CNN", "s")):
                values = np.maximum(np.asarray(m[name][label], dtype=float), tiny)
                ax.semilogy(angles, values, marker=marker, markersize=3, label=text)
            for a in m["cube_angles"][label][1:]:
                ax.axvline(a, color="#999", linewidth=0.6)
            ax.axhline(UNCHANGED, color="#c0392b", linestyle="--", linewidth=1, label="float32 tolerance")
            ax.set_xticks(angles)
            ax.set_xlabel(f"turn {label} (degrees)")
            ax.set_ylim(bottom=tiny)
            ax.grid(True, alpha=0.3)
            _plain_log(ax.yaxis)
        panels[0].set_ylabel("relative change of the logits")
        panels[0].legend(fontsize=7, loc="lower right")
        fig.subplots_adjust(left=0.1, right=0.98, bottom=0.17, top=0.95, wspace=0.08)
        plots.append(
            _plot(
                "volume-turns",
                "Change of the logits when the volume turns: the cube-group CNN is exact at the "
                "cube's rotations (90 degrees about z, 120 about the body diagonal) and approximate "
                "between them; the voxel CNN changes at every angle",
                fig,
            )
        )
    return plots


#: The figures of each claim that has some, by claim id.
FIGURES: dict[str, Callable[[Claim], list[Any]]] = {
    "conv-zero-padding": zero_padding,
    "pooling-stride": pooling,
    "p4-cnn": p4,
    "weight-sharing": weight_sharing,
    "voxel-cube-cnn": cube,
}


def draw(claim: Claim) -> list[Any]:
    """The plots (:class:`equicheck.report.figures.Plot`) of ``claim``; needs matplotlib."""
    figures = FIGURES.get(claim.id)
    return figures(claim) if figures is not None else []
