"""One sentence per kind of layer: what that kind typically does wrong when it breaks
equivariance, and what to do about it. The sentence is picked from what was found (a batch
that mixes, an orientation axis rolled the other way, an output no action fits) and from
the layer's type and settings (padding, stride, kernel, mode)."""

from __future__ import annotations

from typing import Any

__all__ = ["advice"]

_KIND_SENTENCES = [
    (
        ("batchnorm", "syncbatchnorm"),
        "a batch norm in training mode normalises with the batch's statistics: they move only under "
        "exact pixel permutations of every entry; evaluate it in eval mode (model.eval()) or check "
        "exact elements",
    ),
    (
        ("groupnorm", "layernorm", "instancenorm"),
        "a normalisation layer is equivariant only when the statistics it takes are invariant "
        "(per channel over the whole grid); a learned per-position affine part breaks it",
    ),
    (
        ("dropout",),
        "dropout in training mode draws a mask that does not move with the input; evaluate the model "
        "in eval mode",
    ),
    (
        ("linear", "flatten"),
        "a linear layer on flattened features mixes positions with its own weights: it is invariant "
        "only after global pooling, or with weights tied across the group",
    ),
    (
        ("maxpool", "avgpool", "pool"),
        "a pooling layer with a stride samples every s-th window: shifts that are not multiples of s, "
        "and turns about a centre that is not a window's centre, move its output by part of a sample; "
        "blur first (BlurPool2d) or pool globally",
    ),
    (
        ("upsample", "interpolate"),
        "upsampling places new entries between the old ones: only shifts and turns that keep that "
        "lattice commute with it",
    ),
    (
        ("embedding", "positional"),
        "a learned positional embedding adds an array fixed to the grid positions: it does not move "
        "with the input; make it relative, or remove it for an equivariant model",
    ),
    (
        ("relu", "gelu", "silu", "tanh", "sigmoid", "elu", "softplus", "activation"),
        "a pointwise nonlinearity commutes with permutations of positions and orientation channels, "
        "but not with vector fields or mixed fibers: check the action assumed for its input",
    ),
]


def _conv_sentence(layer: Any, group_name: str, shifts: bool) -> str:
    padding = getattr(layer, "padding", 0)
    mode = getattr(layer, "padding_mode", "zeros")
    stride = getattr(layer, "stride", 1)
    pads = padding if isinstance(padding, (tuple, list)) else (padding,)
    strides = stride if isinstance(stride, (tuple, list)) else (stride,)
    padded = padding == "same" or any(isinstance(p, int) and p > 0 for p in pads)
    if any(int(s) > 1 for s in strides):
        s = max(int(v) for v in strides)
        return (
            f"a stride-{s} convolution keeps one position in {s} along each axis: a shift that is not "
            f"a multiple of {s}, or a turn about a centre that is not a sampled position, moves its "
            f"output by part of a sample; blur before subsampling (BlurPool2d) so that pooling "
            f"restores invariance, or check translation(step={s})"
        )
    if padded and mode == "zeros" and shifts:
        return (
            "a convolution that pads with zeros treats the border as a wall that does not move: cyclic "
            "shifts wrap content across it; use padding_mode='circular', or check translation(cyclic=false) "
            "with a margin of the padding width"
        )
    return (
        f"a convolution is equivariant to {group_name} only when its kernel is: an ordinary kernel is not "
        "symmetric under turns and mirrors (use a group convolution, or an isotropic kernel for rotations "
        "by any angle); under shifts look for padding, stride or dilation"
    )


def advice(layer: Any, kind: str, found: str, group_name: str, leaf: bool, shifts: bool = True) -> str:
    """The sentence for the first breaking layer. ``found`` says what the localisation saw:
    'mixes-batch', 'variant', 'regular' (a regular input, no action fits), 'nothing', or ''
    (a large local error). ``shifts``: whether the elements compared shift the grid (a zero
    padding is no suspect under turns alone)."""
    name = kind.lower()
    if found == "mixes-batch":
        return (
            f"{kind} mixes the entries of the batch: its output for one input depends on the others "
            "(batch statistics, a mean over axis 0, a wrong reshape); each input must be computed alone"
        )
    if found == "variant":
        return (
            f"{kind}'s orientation axis fits only when rolled the other way (or in the other layout): "
            "rotate the filters and roll the orientation channels in the same sense (channel j holds "
            "rot90(k=j), counter-clockwise), or declare the action if that convention is meant"
        )
    if found == "regular":
        return (
            f"{kind} takes a regular (orientation-channel) input and its output fits no action: a group "
            "convolution must rotate its filters and roll their orientation axis together, in the same "
            "sense (output orientation j uses rot90(w, j) with the input orientations rolled by j)"
        )
    if "conv" in name:
        return _conv_sentence(layer, group_name, shifts)
    for words, sentence in _KIND_SENTENCES:
        if any(w in name for w in words):
            return sentence
    if not leaf:
        return (
            f"the layers inside {kind} are equivariant, so its own forward code breaks it: a residual "
            "addition of arrays with different actions, a functional call (padding, striding, a "
            "reshape), or a parameter added at fixed positions such as a learned positional embedding"
        )
    if found == "nothing":
        return (
            f"no action fits {kind}'s output (not spatial, regular, strided or invariant): it treats "
            "positions or channels differently (fixed per-position weights, an asymmetric kernel, "
            "cropping or padding); declare its action if it has one of its own"
        )
    return (
        f"{kind} does not commute with the group: it treats positions or channels differently "
        "(per-position parameters, an asymmetric kernel, padding, a stride)"
    )
