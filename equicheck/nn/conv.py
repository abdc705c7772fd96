"""``conv2d``: PyTorch's 2-D convolution (cross-correlation), with the algorithm chosen by shape.

Three algorithms compute the same thing:

* ``'direct'`` (compiled). A register-blocked direct convolution in C (``_kernels.c``, via
  :mod:`equicheck.nn._native`) for float32 and float64 NumPy arrays on x86-64 CPUs with
  AVX-512 or AVX2: 28 output pixels x 16 output channels (AVX-512, float32) stay in vector
  registers while the input is streamed through broadcast FMAs; near the machine's peak FMA
  rate. Elsewhere ``'direct'`` runs as ``'gemm'``.
* ``'gemm'`` (implicit GEMM, any backend). The input is laid out once as a (channels × positions)
  buffer in which the images follow each other with their zero padding *shared* between
  neighbouring rows and images. In that buffer a kernel tap (i, j) is a constant column
  offset, so each tap is one matrix product ``(O × C) @ (C × positions)`` on a strided
  view, accumulated in place into one output (BLAS ``beta=1``; see
  :mod:`equicheck.nn._blas`). Nothing of size ``kh·kw`` × input is materialised (no
  im2col) except for a few input channels (C·kh·kw <= 32), where one product over copied
  rows beats many thin ones; the price is a few garbage positions in the padding
  columns, which are dropped. Channels-first keeps the NCHW <-> buffer copies cheap
  (contiguous rows). Strides split the input into
  stride² phases first (a stride-s convolution is a sum of stride-1 convolutions of the
  phases). Depthwise / thin groups use broadcast multiply-adds instead of tiny GEMMs.
* ``'fft'``. rFFT of the (padded) inputs, the kernels' spectra by two small DFT products
  (cheaper than FFTs of mostly-zero arrays), a per-frequency channel mix, one inverse rFFT.
  Wins for large kernels with few channels (against ``'gemm'`` from about 9×9, against the
  compiled kernel only from about 15×15, on this kind of CPU).

``algorithm='auto'`` compares a cost model of them (see :func:`choose_algorithm`).
``'gemm'`` and ``'fft'`` are written against the backend's array namespace and its ``fft``
module; the compiled kernel takes NumPy arrays only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backends import Backend
from ..errors import ShapeError
from ._args import contiguous, float_dtype, materialize, pair, require_4d, resolve
from ._blas import blas_gemm, gemm_into
from ._native import native_conv2d, native_status
from .padding import check_mode, check_pad_limits, pad2d

__all__ = ["ALGORITHMS", "choose_algorithm", "conv2d", "conv_output_size", "resolve_padding"]

#: Accepted values of ``conv2d(..., algorithm=)``.
ALGORITHMS = ("auto", "direct", "gemm", "fft")


def resolve_padding(
    padding: Any, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]
) -> tuple[int, int, int, int]:
    """PyTorch's ``padding`` as (top, bottom, left, right).

    ``'valid'`` is no padding; ``'same'`` keeps the size at stride 1 (odd extra on the
    bottom/right, as PyTorch); ints and pairs pad both sides of an axis equally.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(
                    f"padding='same' needs stride=1 (got stride={stride}), as in PyTorch; "
                    "give an explicit padding instead"
                )
            out = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                out += [total // 2, total - total // 2]
            return (out[0], out[1], out[2], out[3])
        raise ValueError(f"padding must be 'valid', 'same', an int or a pair of ints, got {padding!r}")
    ph, pw = pair(padding, "padding", minimum=0)
    return (ph, ph, pw, pw)


def conv_output_size(
    size: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    pads: tuple[int, int, int, int],
    dilation: tuple[int, int],
) -> tuple[int, int]:
    """Output grid size, PyTorch's formula: floor((n + pads - d·(k-1) - 1) / s) + 1."""
    h = (size[0] + pads[0] + pads[1] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    w = (size[1] + pads[2] + pads[3] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    return h, w


def _gemm_rate(cg: int, og: int) -> float:
    """Rough GEMM throughput (flop/s) of the direct method's thin products on 2 cores."""
    return 2.5e11 * (cg / (cg + 6.0)) * (og / (og + 6.0))


def choose_algorithm(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride: tuple[int, int] = (1, 1),
    pads: tuple[int, int, int, int] = (0, 0, 0, 0),
    dilation: tuple[int, int] = (1, 1),
    groups: int = 1,
    *,
    native: bool | None = None,
    dtype: Any = np.float32,
) -> str:
    """``'direct'``, ``'gemm'`` or ``'fft'``: the one a cost model (fitted on a 2-core x86 CPU)
    finds cheapest.

    ``native``: whether the compiled direct kernel may be used (default: whether it is
    available here, i.e. for float32/float64 NumPy arrays). It costs its multiply-adds, with
    the output channels of each group rounded up to its vector width (16 float32, 8 float64),
    at about 380 GFLOP/s in float32 on 2 cores (half that in float64), plus a little per
    output pixel. ``dtype`` is the element type (float64 halves the compiled and GEMM rates).
    GEMM costs N·Ho·Wo·C·O·kh·kw/groups multiply-adds at a GEMM rate that falls for thin
    channel counts; FFT costs (N·C + N·O) transforms of size Ly·Lx plus N·C·O/groups complex
    multiply-adds per frequency (cheap as broadcast operations for few channels, dear as
    NumPy's one-BLAS-call-per-frequency batched products for many), and computes every
    position even for strides > 1.
    """
    n, c, h, w = x_shape
    o, cg, kh, kw = w_shape
    ho, wo = conv_output_size((h, w), (kh, kw), stride, pads, dilation)
    if native is None:
        native = native_status().available
    og = o // groups
    if ho <= 0 or wo <= 0:
        return "direct" if native else "gemm"
    wide = _is_double(dtype)  # float64: half the lanes, half the rate
    lanes, slow = (8, 2.0) if wide else (16, 1.0)
    if og < _XVEC_MAX_OG and stride[1] == 1:
        # few output channels per group: the kernel vectorises over output columns instead
        compiled = slow * 2.0 * n * ho * wo * cg * o * kh * kw / 6e10 + 2e-10 * n * ho * wo * o + 1.5e-5
    else:
        ob = -(-og // lanes) * groups
        macs = n * ho * wo * cg * ob * lanes * kh * kw
        compiled = slow * 2.0 * macs / 3.8e11 + 1.5e-9 * n * ho * wo * ob + 1.5e-5
    gemm = slow * 2.0 * n * ho * wo * cg * o * kh * kw / _gemm_rate(cg, og) + 2e-4
    direct, direct_name = (compiled, "direct") if native and compiled <= gemm else (gemm, "gemm")
    if kh * kw < 16:
        return direct_name
    ly, lx = _fft_sizes((h, w), (kh, kw), pads, dilation)
    area = ly * lx
    transforms = 1.8e-10 * (n * c + n * o) * area * math.log2(max(area, 2))
    freqs = ly * (lx // 2 + 1)
    macs = n * cg * o * freqs
    mix = (7e-10 if n * cg * og < _MIX_MATMUL else 1.5e-9) * macs
    spectra = 1e-10 * o * cg * freqs * 4
    fft = transforms + mix + spectra + 3e-4
    return "fft" if fft < direct else direct_name


def _is_double(dtype: Any) -> bool:
    """Whether ``dtype`` (NumPy's, or another array library's) has 8-byte elements."""
    try:
        return np.dtype(dtype).itemsize > 4
    except TypeError:
        return "64" in str(dtype)


#: The widest padding the compiled kernel takes (it refuses more than 4096 entries past the
#: grid); wider padding, all zeros around the grid anyway, runs on the NumPy path.
_NATIVE_MAX_PAD = 4096

#: Below this many output channels per group (and at column stride 1) the compiled kernel
#: vectorises over output columns (``EC_XVEC_MAX_OG`` in ``_kernels.c``).
_XVEC_MAX_OG = 5

#: From this many (sample × input × output channel) products per frequency, the FFT method mixes
#: channels with a matrix product per frequency instead of broadcast multiply-adds.
_MIX_MATMUL = 384


def conv2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
    *,
    algorithm: str = "auto",
) -> Any:
    """2-D cross-correlation of a batch, with the arguments and meanings of PyTorch's conv2d.

    Parameters
    ----------
    x : (N, C, H, W) array.
    weight : (O, C / groups, kh, kw) array.
    bias : (O,) array or None.
    stride, dilation : int or (rows, columns).
    padding : int, (rows, columns), ``'valid'`` or ``'same'`` (stride 1 only).
    groups : split C and O into this many independent groups (``groups=C`` is depthwise).
    padding_mode : ``'zeros'``, ``'circular'``, ``'reflect'`` or ``'replicate'``.
    algorithm : ``'auto'`` (by a cost model), ``'direct'`` (the compiled kernel for float32 and
        float64 NumPy arrays where :func:`native_status` says it is available, else ``'gemm'``),
        ``'gemm'`` (implicit GEMM) or ``'fft'``.

    Returns an (N, O, Ho, Wo) array of the promoted floating dtype of x and weight
    (float32 in, float32 out), on the backend of ``x``.
    """
    backend, xp = resolve(x, weight, bias)
    x, weight = (a if backend.is_array(a) else backend.asarray(a) for a in (x, weight))
    if bias is not None and not backend.is_array(bias):
        bias = backend.asarray(bias)
    require_4d(x, "conv2d")
    if getattr(weight, "ndim", None) != 4:
        raise ShapeError(
            f"conv2d weight must have shape (out_channels, in_channels / groups, kh, kw), "
            f"got shape {getattr(weight, 'shape', None)}"
        )
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups must be a positive integer, got {groups!r}")
    check_mode(padding_mode)
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {', '.join(map(repr, ALGORITHMS))}, got {algorithm!r}")
    n, c, h, w = (int(s) for s in x.shape)
    o, cg, kh, kw = (int(s) for s in weight.shape)
    if c % groups or o % groups:
        raise ShapeError(
            f"groups={groups} must divide both the input channels ({c}) and the output channels "
            f"({o}); choose a common divisor"
        )
    if cg * groups != c:
        raise ShapeError(
            f"weight of shape {tuple(weight.shape)} expects {cg * groups} input channels "
            f"({cg} per group × groups={groups}), but the input has {c} (shape {tuple(x.shape)})"
        )
    if bias is not None and tuple(bias.shape) != (o,):
        raise ShapeError(f"bias must have shape ({o},) to match the weight, got {tuple(bias.shape)}")
    if kh < 1 or kw < 1:
        raise ShapeError(f"the kernel must be at least 1x1, got {kh}x{kw}")
    st = pair(stride, "stride")
    dil = pair(dilation, "dilation")
    pads = resolve_padding(padding, (kh, kw), st, dil)
    ho, wo = conv_output_size((h, w), (kh, kw), st, pads, dil)
    if ho <= 0 or wo <= 0:
        raise ShapeError(
            f"the input grid {h}x{w} padded by {pads} (top, bottom, left, right) is smaller than "
            f"the dilated kernel {dil[0] * (kh - 1) + 1}x{dil[1] * (kw - 1) + 1}; pad more or use "
            "a smaller kernel"
        )
    dtype = float_dtype(xp, x, weight, bias)
    x = xp.asarray(x, dtype=dtype)
    weight = xp.asarray(weight, dtype=dtype)
    if bias is not None:
        bias = xp.asarray(bias, dtype=dtype)
    if n == 0 or o == 0 or c == 0:
        out = xp.zeros((n, o, ho, wo), dtype=dtype)
        return out if bias is None or n == 0 else out + xp.reshape(bias, (1, o, 1, 1))
    native = (
        backend.name == "numpy"
        and dtype in (np.float32, np.float64)
        and min(h, w) > 0  # an empty grid, padded: the NumPy path gives the bias alone
        and max(pads) <= _NATIVE_MAX_PAD
        and native_status().available
    )
    if algorithm == "auto":
        algorithm = choose_algorithm(
            tuple(x.shape), tuple(weight.shape), st, pads, dil, groups, native=native, dtype=dtype
        )
    if algorithm == "fft":
        return _fft_conv(backend, x, weight, bias, st, pads, dil, groups, padding_mode, (ho, wo))
    if algorithm == "direct" and native:
        if padding_mode != "zeros":
            check_pad_limits((h, w), pads, padding_mode)
        return native_conv2d(x, weight, bias, st, pads, dil, groups, padding_mode, (ho, wo))
    return _gemm_conv(backend, x, weight, bias, st, pads, dil, groups, padding_mode, (ho, wo))


# --- gemm: implicit GEMM over a flat channels-first buffer ---------------------------------------
def _gemm_conv(
    backend: Backend,
    x: Any,
    weight: Any,
    bias: Any,
    stride: tuple[int, int],
    pads: tuple[int, int, int, int],
    dilation: tuple[int, int],
    groups: int,
    mode: str,
    out_hw: tuple[int, int],
) -> Any:
    xp = backend.xp
    n, c, h, w = (int(s) for s in x.shape)
    o, cg, kh, kw = (int(s) for s in weight.shape)
    sy, sx = stride
    dy, dx = dilation
    ho, wo = out_hw
    top, bottom, left, right = pads
    # Buffers are (C, positions): channel rows over a flat grid of images. A tap is then a
    # column offset, and its operand buffer[:, off : off + rows] a plain strided matrix.
    taps: list[tuple[int, int]] = []  # (phase, flat offset), in the weight's (i, j) order
    if stride == (1, 1) and mode == "zeros":
        # One buffer; padding shared between neighbouring rows and images. (Padding wider
        # than the kernel reaches makes the output larger than the grid: slots must hold it.)
        row_len = max(w + max(left, right), wo)
        slot = max(h + max(top, bottom), ho)
        start = top * row_len + left
        data = n * slot * row_len
        for i in range(kh):
            for j in range(kw):
                taps.append((0, i * dy * row_len + j * dx))
        rows = ((n - 1) * slot + ho - 1) * row_len + wo
        length = max(start + data, rows + max(off for _, off in taps))
        buf = xp.zeros((c, length), dtype=x.dtype)
        view = xp.reshape(buf[:, start : start + data], (c, n, slot, row_len))
        view[:, :, :h, :w] = xp.permute_dims(x, (1, 0, 2, 3))
        buffers = [buf]
    else:
        # Explicit padding, then one buffer per stride phase (a, b) = xpad[:, :, a::sy, b::sx].
        xpad = pad2d(x, pads, mode)
        hp, wp = int(xpad.shape[2]), int(xpad.shape[3])
        slot = -(-hp // sy)
        row_len = -(-wp // sx)
        phase_index: dict[tuple[int, int], int] = {}
        for i in range(kh):
            for j in range(kw):
                a, b = (i * dy) % sy, (j * dx) % sx
                phase = phase_index.setdefault((a, b), len(phase_index))
                taps.append((phase, (i * dy // sy) * row_len + (j * dx // sx)))
        rows = ((n - 1) * slot + ho - 1) * row_len + wo
        data = n * slot * row_len
        length = max(data, rows + max(off for _, off in taps))
        buffers = []
        for a, b in phase_index:
            buf = xp.zeros((c, length), dtype=x.dtype)
            part = xpad[:, :, a::sy, b::sx]
            view = xp.reshape(buf[:, :data], (c, n, slot, row_len))
            view[:, :, : part.shape[2], : part.shape[3]] = xp.permute_dims(part, (1, 0, 2, 3))
            buffers.append(buf)

    og = o // groups
    total = n * slot * row_len
    out = xp.empty((o, total), dtype=x.dtype)
    if groups == 1 and c * kh * kw <= _IM2COL_MAX_K:
        _im2col_gemm(xp, buffers, taps, weight, out, rows)
    else:
        # weight as (tap, group, O/groups, C/groups): each tap's (M × K) operand is contiguous.
        wt = xp.reshape(weight, (groups, og, cg, kh, kw))
        wt = contiguous(xp, xp.reshape(xp.permute_dims(wt, (3, 4, 0, 1, 2)), (kh * kw, groups, og, cg)))
        if groups > 1 and cg <= 4:
            _taps_broadcast(xp, buffers, taps, wt, out, rows, groups, cg, og)
        else:
            _taps_gemm(xp, buffers, taps, wt, out, rows, groups, cg, og)

    grid = xp.reshape(out, (o, n, slot, row_len))[:, :, :ho, :wo]
    return materialize(xp, xp.permute_dims(grid, (1, 0, 2, 3)), bias)


#: Up to this many input channels × taps, one GEMM over copied shifted rows (im2col) beats
#: one GEMM per tap: with a handful of channels each tap's product is too thin to be fast.
_IM2COL_MAX_K = 32


def _im2col_gemm(
    xp: Any, buffers: list[Any], taps: list[tuple[int, int]], weight: Any, out: Any, rows: int
) -> None:
    """Few input channels: gather the shifted rows (contiguous copies) and do one product."""
    o, c = int(weight.shape[0]), int(weight.shape[1])
    cols = xp.empty((c, len(taps), rows), dtype=out.dtype)
    for t, (phase, off) in enumerate(taps):
        cols[:, t, :] = buffers[phase][:, off : off + rows]
    wk = contiguous(xp, xp.reshape(weight, (o, c * len(taps))))
    gemm_into(out[:, :rows], wk, xp.reshape(cols, (c * len(taps), rows)), 0.0, xp)


def _taps_gemm(
    xp: Any,
    buffers: list[Any],
    taps: list[tuple[int, int]],
    wt: Any,
    out: Any,
    rows: int,
    groups: int,
    cg: int,
    og: int,
) -> None:
    """Accumulate one GEMM per (tap, group) into ``out[:, :rows]``: out += W_t @ X_shifted."""
    gemm = blas_gemm(out.dtype) if isinstance(out, np.ndarray) else None
    # Raw pointers get no bounds checks: refuse anything that would read or write outside.
    c = groups * cg
    in_bounds = rows <= out.shape[1] and all(
        off + rows <= buffers[phase].shape[1] and buffers[phase].shape[0] == c for phase, off in taps
    )
    if not in_bounds:  # pragma: no cover - a layout bug, never a user error
        raise RuntimeError("equicheck.nn.conv2d: internal layout error (buffer too small); please report")
    if gemm is not None and all(b.flags.c_contiguous for b in buffers) and wt.flags.c_contiguous:
        item = out.itemsize
        ld_out = int(out.shape[1])
        out_ptr = out.ctypes.data
        w_ptr = wt.ctypes.data
        buf_ptr = [b.ctypes.data for b in buffers]
        buf_ld = [int(b.shape[1]) for b in buffers]

        def run(lo: int, hi: int) -> None:
            """Every tap and group on output columns [lo, hi)."""
            for t, (phase, off) in enumerate(taps):
                for g in range(groups):
                    gemm.rowmajor(
                        og,
                        hi - lo,
                        cg,
                        w_ptr + ((t * groups + g) * og * cg) * item,
                        cg,
                        buf_ptr[phase] + (g * cg * buf_ld[phase] + off + lo) * item,
                        buf_ld[phase],
                        out_ptr + (g * og * ld_out + lo) * item,
                        ld_out,
                        0.0 if t == 0 else 1.0,
                    )

        # One call per tap over all columns: BLAS threads each call itself. (Splitting the
        # columns over a pool of single-threaded workers measured faster in isolation but
        # slower next to other BLAS and FFT work, whose idle threads spin; not worth it.)
        run(0, rows)
        return
    for t, (phase, off) in enumerate(taps):
        for g in range(groups):
            b = buffers[phase][g * cg : (g + 1) * cg, off : off + rows]
            gemm_into(out[g * og : (g + 1) * og, :rows], wt[t, g, ...], b, 0.0 if t == 0 else 1.0, xp)


def _taps_broadcast(
    xp: Any,
    buffers: list[Any],
    taps: list[tuple[int, int]],
    wt: Any,
    out: Any,
    rows: int,
    groups: int,
    cg: int,
    og: int,
) -> None:
    """Depthwise and thin groups: broadcast multiply-adds over all groups at once."""
    acc = xp.reshape(out[:, :rows], (groups, og, rows))
    first = True
    for t, (phase, off) in enumerate(taps):
        a = xp.reshape(buffers[phase][:, off : off + rows], (groups, cg, rows))
        for k in range(cg):
            term = wt[t, :, :, k : k + 1] * a[:, k : k + 1, :]
            if first:
                acc[...] = term
                first = False
            else:
                acc += term


# --- FFT ----------------------------------------------------------------------------------------
def _fast_len(n: int) -> int:
    """Smallest 2·3·5·7-smooth integer >= n (pocketfft and cuFFT are fast on these)."""
    best = n
    while True:
        m = best
        for p in (2, 3, 5, 7):
            while m % p == 0:
                m //= p
        if m == 1:
            return best
        best += 1


def _fft_sizes(
    size: tuple[int, int], kernel: tuple[int, int], pads: tuple[int, int, int, int], dilation: tuple[int, int]
) -> tuple[int, int]:
    """Transform sizes that make circular correlation equal the zero-padded one.

    Entries read from before the start wrap to the end, so the grid needs only the larger
    of the two pads appended (not both); the output must also fit.
    """
    out = []
    for n, k, d, (before, after) in zip(size, kernel, dilation, ((pads[0], pads[1]), (pads[2], pads[3]))):
        full = n + before + after - d * (k - 1)
        out.append(_fast_len(max(n + max(before, after), full, 1)))
    return out[0], out[1]


def _fft_conv(
    backend: Backend,
    x: Any,
    weight: Any,
    bias: Any,
    stride: tuple[int, int],
    pads: tuple[int, int, int, int],
    dilation: tuple[int, int],
    groups: int,
    mode: str,
    out_hw: tuple[int, int],
) -> Any:
    xp = backend.xp
    fft = backend.fft
    if mode != "zeros":
        x = pad2d(x, pads, mode)
        pads = (0, 0, 0, 0)
    n, c, h, w = (int(s) for s in x.shape)
    o, cg, kh, kw = (int(s) for s in weight.shape)
    og = o // groups
    ho, wo = out_hw
    ly, lx = _fft_sizes((h, w), (kh, kw), pads, dilation)
    lxr = lx // 2 + 1
    freqs = ly * lxr
    complex_dtype = xp.complex64 if x.dtype == xp.float32 else xp.complex128
    kwargs = {"workers": -1} if backend.name == "numpy" else {}
    spectrum = fft.rfft2(x, s=(ly, lx), axes=(2, 3), **kwargs)
    spectrum = xp.reshape(spectrum, (n, groups, cg, freqs))

    # Kernel spectra K[o, c, fy, fx] = Σ_ij w[o,c,i,j] e^{-2πi(fy(top - i·dy)/ly + fx(left - j·dx)/lx)}
    # (tap (i, j) placed at (top - i·dy, left - j·dx) turns circular convolution into the
    # zero-padded correlation), by two small DFT products instead of FFTs of sparse arrays.
    # Each is ONE matrix product: NumPy's batched matmul makes one BLAS call per batch entry,
    # which measured up to 10x slower here when BLAS's threads had gone idle.
    cnp = np.complex64 if complex_dtype == xp.complex64 else np.complex128
    ey = np.exp(-2j * np.pi * np.outer(np.arange(ly), pads[0] - dilation[0] * np.arange(kh)) / ly)
    ex = np.exp(-2j * np.pi * np.outer(np.arange(lxr), pads[2] - dilation[1] * np.arange(kw)) / lx)
    ey_b = xp.asarray(ey.astype(cnp))
    ex_b = xp.asarray(ex.T.astype(cnp))
    taps_first = contiguous(xp, xp.permute_dims(xp.reshape(weight, (o * cg, kh, kw)), (1, 0, 2)))
    rows = xp.matmul(ey_b, xp.reshape(taps_first, (kh, o * cg * kw)).astype(complex_dtype))  # (ly, oc·kw)
    rows = contiguous(xp, xp.permute_dims(xp.reshape(rows, (ly, o * cg, kw)), (1, 0, 2)))  # (oc, ly, kw)
    kernel = xp.matmul(xp.reshape(rows, (o * cg * ly, kw)), ex_b)  # (oc·ly, lxr)
    kernel = xp.reshape(kernel, (groups, og, cg, freqs))

    result = xp.empty((n, groups, og, freqs), dtype=complex_dtype)
    for g in range(groups):
        xs = spectrum[:, g, ...]  # (n, cg, F)
        ks = kernel[g, ...]  # (og, cg, F)
        if n * cg * og >= _MIX_MATMUL:
            # Many channels: one matrix product per frequency, (n × cg) @ (cg × og).
            xt = contiguous(xp, xp.permute_dims(xs, (2, 0, 1)))
            kt = contiguous(xp, xp.permute_dims(ks, (2, 1, 0)))
            result[:, g, ...] = xp.permute_dims(xp.matmul(xt, kt), (1, 2, 0))
        else:
            # Few channels: broadcast multiply-adds, one per (sample, input channel).
            tmp = xp.empty((og, freqs), dtype=complex_dtype)
            for i in range(n):
                acc = result[i, g, ...]
                acc[...] = xs[i, 0, :][None, :] * ks[:, 0, :]
                for k in range(1, cg):
                    xp.multiply(xs[i, k, :][None, :], ks[:, k, :], out=tmp)
                    acc += tmp
    result = xp.reshape(result, (n, o, ly, lxr))
    full = fft.irfft2(result, s=(ly, lx), axes=(2, 3), **kwargs)
    sy, sx = stride
    out = full[:, :, : (ho - 1) * sy + 1 : sy, : (wo - 1) * sx + 1 : sx]
    if out.dtype != x.dtype:
        out = out.astype(x.dtype)
    return materialize(xp, out, bias)
