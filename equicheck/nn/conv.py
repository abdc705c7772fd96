"""``conv2d``: PyTorch's 2-D convolution (cross-correlation), with the algorithm chosen by shape.

Everything here runs on public NumPy / SciPy APIs (``numpy.matmul``, ``scipy.fft``), and the
same code on CuPy through the backend object: no compiled extension, no ctypes, no thread
pool of our own (BLAS and ``scipy.fft`` thread themselves). Two families compute the same thing:

* ``'gemm'`` (GEMM over a flat channels-first buffer, any backend). The input is laid out
  once as a (channels × positions) buffer in which the images follow each other with their
  zero padding *shared* between neighbouring rows and images. In that buffer a kernel tap
  (i, j) is a constant column offset, so its operand is a plain strided matrix. How many
  taps go into one matrix product's inner dimension K is the *unrolling*:

  - ``'im2col'``: all kh·kw taps copied into one (C·kh·kw × positions) matrix, one product.
  - ``'rows'``: the kw taps of a kernel row copied once (C·kw × positions); each of the kh
    kernel rows is then a column offset of that copy: kh products, added up.
  - ``'taps'``: no copy; one product per tap on the shifted buffer, added up.

  ``numpy.matmul`` cannot accumulate (BLAS ``beta`` is 0), so every product after the first
  costs a pass over the (small) output; copies cost a pass over K × positions; BLAS is fast
  for K of about 64 to 256 and slow for thin K or for thin O with large K (it packs the big
  operand once per product). :func:`choose_unrolling` weighs these. Strides split the input
  into stride² phases first (a stride-s convolution is a sum of stride-1 convolutions of
  the phases); depthwise / thin groups use broadcast multiply-adds instead of tiny GEMMs.
  ``'direct'`` is accepted as another name of ``'gemm'`` (it named a compiled kernel before
  0.2).
* ``'fft'``. rFFT of the (padded) inputs, the kernels' spectra by two small DFT products
  (cheaper than FFTs of mostly-zero arrays), a per-frequency channel mix, one inverse rFFT
  (``scipy.fft`` with ``workers=-1`` on NumPy). Wins for large kernels with few channels.

``algorithm='auto'`` compares a cost model of them (see :func:`choose_algorithm`).
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

from ..backends import Backend
from ..errors import ShapeError
from ._args import contiguous, float_dtype, materialize, pair, require_4d, resolve
from .padding import check_mode, pad2d

__all__ = [
    "ALGORITHMS",
    "UNROLLINGS",
    "choose_algorithm",
    "choose_unrolling",
    "conv2d",
    "conv_output_size",
    "resolve_padding",
]

#: Accepted values of ``conv2d(..., algorithm=)``: ``'direct'`` is another name of ``'gemm'``;
#: ``'im2col'``, ``'rows'`` and ``'taps'`` force one unrolling of ``'gemm'``.
ALGORITHMS = ("auto", "direct", "gemm", "im2col", "rows", "taps", "fft")

#: The unrollings of the GEMM family (see :func:`choose_unrolling`).
UNROLLINGS = ("im2col", "rows", "taps")


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


def _gemm_rate(k: int, og: int) -> float:
    """Rough BLAS rate (flop/s, float32, 2 cores) of an (og × k) @ (k × many) product.

    Thin inner dimensions k leave the FMA units idle; thin outputs og with a large k make
    BLAS pack the big operand for few multiply-adds per element (measured: K=400, O=16 runs
    at a third of K=80's rate)."""
    rate = 1.6e11 * (k / (k + 10.0)) * (og / (og + 4.0))
    if k > 256:
        rate /= 1.0 + (k - 256) / 256 * (32.0 / max(og, 1))
    return rate


def _unrolling_costs(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride: tuple[int, int],
    out_hw: tuple[int, int],
    groups: int,
    itemsize: int,
) -> dict[str, float]:
    """Seconds each unrolling of the GEMM family is expected to take (see :func:`choose_unrolling`)."""
    n = x_shape[0]
    o, cg, kh, kw = w_shape
    ho, wo = out_hw
    c = cg * groups
    og = o // groups
    # positions computed: the output grid plus the shared padding columns (about one kernel
    # width per output row), per stride phase
    rows = n * ho * (wo + max(kw // stride[1], 1))
    slow = 2.0 if itemsize > 4 else 1.0
    flops = 2.0 * rows * cg * o * kh * kw
    add_pass = o * rows * itemsize / 3e10  # one pass over the output: out += product
    copy = itemsize / 2.5e10  # seconds per element copied (one thread)
    call = 1e-5  # one BLAS call: dispatch, waking its threads
    costs = {}
    for name, unroll, copied in (
        ("taps", 1, 0),
        ("rows", kw, c * kw * (rows + (kh - 1) * (wo + kw))),
        ("im2col", kh * kw, c * kh * kw * rows),
    ):
        products = kh * kw // unroll
        costs[name] = (
            slow * flops / _gemm_rate(cg * unroll, og)
            + copied * copy
            + (products - 1) * add_pass
            + products * groups * call
            + (kw if unroll == kw and unroll > 1 else 0) * 3e-6
        )
    return costs


def choose_unrolling(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride: tuple[int, int] = (1, 1),
    pads: tuple[int, int, int, int] = (0, 0, 0, 0),
    dilation: tuple[int, int] = (1, 1),
    groups: int = 1,
    *,
    dtype: Any = np.float32,
) -> str:
    """``'im2col'``, ``'rows'`` or ``'taps'``: how many kernel taps the GEMM family puts into
    one matrix product's inner dimension (a cost model fitted on a 2-core x86 CPU).

    Each costs its multiply-adds at a BLAS rate that depends on the inner dimension
    K = C/groups × (taps unrolled) and the output channels per group, plus one pass over the
    output per product after the first (NumPy's matmul cannot accumulate), plus the copies
    (K × positions entries for ``'im2col'``, C·kw × positions for ``'rows'``, none for
    ``'taps'``). Few channels favour ``'im2col'`` (one product with a usable K), tens of
    channels ``'rows'``, many channels ``'taps'``.
    """
    n, c, h, w = x_shape
    o, cg, kh, kw = w_shape
    ho, wo = conv_output_size((h, w), (kh, kw), stride, pads, dilation)
    costs = _unrolling_costs(x_shape, w_shape, stride, (max(ho, 1), max(wo, 1)), groups, _itemsize(dtype))
    return min(UNROLLINGS, key=lambda name: costs[name])


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
    """``'gemm'`` or ``'fft'``: the one a cost model (fitted on a 2-core x86 CPU) finds cheapest.

    GEMM costs what its best unrolling costs (:func:`choose_unrolling`), plus laying out the
    input and the output. FFT costs (N·C + N·O) transforms of size Ly·Lx plus N·C·O/groups
    complex multiply-adds per frequency (cheap as broadcast operations for few channels,
    dear as NumPy's one-BLAS-call-per-frequency batched products for many), and computes
    every position even for strides > 1. ``dtype`` is the element type (float64 halves the
    rates). ``native`` is accepted and ignored: it chose the compiled kernel, which is gone
    since 0.2.
    """
    del native  # the compiled kernel it selected no longer exists
    n, c, h, w = x_shape
    o, cg, kh, kw = w_shape
    ho, wo = conv_output_size((h, w), (kh, kw), stride, pads, dilation)
    if ho <= 0 or wo <= 0 or kh * kw < 16:
        return "gemm"
    size = _itemsize(dtype)
    layout = (n * c * h * w + n * o * ho * wo) * size * 2 / 2e10 + 5e-5
    gemm = min(_unrolling_costs(x_shape, w_shape, stride, (ho, wo), groups, size).values()) + layout
    ly, lx = _fft_sizes((h, w), (kh, kw), pads, dilation)
    area = ly * lx
    transforms = 1.8e-10 * (n * c + n * o) * area * math.log2(max(area, 2))
    freqs = ly * (lx // 2 + 1)
    macs = n * cg * o * freqs
    og = o // groups
    mix = (7e-10 if n * cg * og < _MIX_MATMUL else 1.5e-9) * macs
    spectra = 1e-10 * o * cg * freqs * 4
    fft = (transforms + mix + spectra) * (2.0 if size > 4 else 1.0) + 3e-4
    return "fft" if fft < gemm else "gemm"


def _itemsize(dtype: Any) -> int:
    """Bytes per element of ``dtype`` (NumPy's, or another array library's)."""
    try:
        return int(np.dtype(dtype).itemsize)
    except TypeError:
        return 8 if "64" in str(dtype) else 4


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
    algorithm : ``'auto'`` (by a cost model, :func:`choose_algorithm`), ``'gemm'`` (GEMMs on
        a flat buffer, unrolled as :func:`choose_unrolling` says), ``'im2col'``, ``'rows'`` or
        ``'taps'`` (``'gemm'`` with that unrolling), ``'fft'``, or ``'direct'`` (another name
        of ``'gemm'``, kept from the compiled kernel of equicheck < 0.2).

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
    if algorithm == "auto":
        algorithm = choose_algorithm(tuple(x.shape), tuple(weight.shape), st, pads, dil, groups, dtype=dtype)
    if algorithm == "fft":
        return _fft_conv(backend, x, weight, bias, st, pads, dil, groups, padding_mode, (ho, wo))
    forced = algorithm in UNROLLINGS
    unrolling = (
        algorithm
        if forced
        else choose_unrolling(tuple(x.shape), tuple(weight.shape), st, pads, dil, groups, dtype=dtype)
    )
    return _gemm_conv(
        backend, x, weight, bias, st, pads, dil, groups, padding_mode, (ho, wo), unrolling, forced
    )


# --- gemm: GEMMs over a flat channels-first buffer -----------------------------------------------
class _Workspace:
    """Scratch arrays for one call: on NumPy reused between calls of the same thread.

    Fresh multi-megabyte arrays are fresh pages from the OS: the first touch of each page
    (a page fault) measured a third of a mid-sized convolution's time. So NumPy scratch
    memory (the input buffers, copies and products, never the returned array) is kept per
    thread and per role, up to ``_WORKSPACE_MAX`` bytes each. CuPy has its own memory pool.
    """

    _local = threading.local()

    def __init__(self, xp: Any) -> None:
        self.xp = xp
        self.cache: dict[str, np.ndarray] | None = None
        if xp is np:
            cache = getattr(self._local, "cache", None)
            if cache is None:
                cache = self._local.cache = {}
            self.cache = cache

    def empty(self, role: str, shape: tuple[int, ...], dtype: Any) -> Any:
        if self.cache is None:
            return self.xp.empty(shape, dtype=dtype)
        dtype = np.dtype(dtype)
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > _WORKSPACE_MAX:
            return np.empty(shape, dtype=dtype)
        raw = self.cache.get(role)
        if raw is None or raw.nbytes < nbytes:
            raw = self.cache[role] = np.empty(max(nbytes, 64), dtype=np.uint8)
        return raw[:nbytes].view(dtype).reshape(shape)

    def zeros(self, role: str, shape: tuple[int, ...], dtype: Any) -> Any:
        if self.cache is None:
            return self.xp.zeros(shape, dtype=dtype)
        out = self.empty(role, shape, dtype)
        out.fill(0)
        return out


#: The largest scratch array kept between calls (bytes); larger ones are allocated per call.
_WORKSPACE_MAX = 32 << 20


def _matmul_into(xp: Any, out: Any, a: Any, b: Any) -> None:
    """``out[...] = a @ b`` without a temporary where the namespace has ``out=``."""
    if xp is np or getattr(xp, "__name__", "") == "cupy":
        xp.matmul(a, b, out=out)
    else:  # the array API has no out= arguments
        out[...] = xp.matmul(a, b)


def _add_into(xp: Any, acc: Any, term: Any) -> None:
    if xp is np or getattr(xp, "__name__", "") == "cupy":
        xp.add(acc, term, out=acc)
    else:
        acc[...] = acc + term


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
    unrolling: str,
    forced: bool = False,
) -> Any:
    xp = backend.xp
    ws = _Workspace(xp)
    n, c, h, w = (int(s) for s in x.shape)
    o, cg, kh, kw = (int(s) for s in weight.shape)
    sy, sx = stride
    dy, dx = dilation
    ho, wo = out_hw
    top, bottom, left, right = pads
    # Buffers are (C, positions): channel rows over a flat grid of images. A tap (i, j) is
    # then (phase, row_base[i] + col_off[j]): a column offset in one stride phase's buffer.
    if stride == (1, 1) and mode == "zeros":
        # One buffer; padding shared between neighbouring rows and images. (Padding wider
        # than the kernel reaches makes the output larger than the grid: slots must hold it.)
        row_len = max(w + max(left, right), wo)
        slot = max(h + max(top, bottom), ho)
        start = top * row_len + left
        data = n * slot * row_len
        phase_of = {(0, 0): 0}
        row_phase = [0] * kh
        col_phase = [0] * kw
        row_base = [i * dy * row_len for i in range(kh)]
        col_off = [j * dx for j in range(kw)]
        rows = ((n - 1) * slot + ho - 1) * row_len + wo
        length = max(start + data, rows + row_base[-1] + col_off[-1])
        buf = ws.zeros("in0", (c, length), x.dtype)
        view = xp.reshape(buf[:, start : start + data], (c, n, slot, row_len))
        view[:, :, :h, :w] = xp.permute_dims(x, (1, 0, 2, 3))
        buffers = [buf]
    else:
        # Explicit padding, then one buffer per stride phase (a, b) = xpad[:, :, a::sy, b::sx].
        xpad = pad2d(x, pads, mode)
        hp, wp = int(xpad.shape[2]), int(xpad.shape[3])
        slot = -(-hp // sy)
        row_len = -(-wp // sx)
        row_phase = [(i * dy) % sy for i in range(kh)]
        col_phase = [(j * dx) % sx for j in range(kw)]
        row_base = [(i * dy // sy) * row_len for i in range(kh)]
        col_off = [j * dx // sx for j in range(kw)]
        phase_of = {}
        for a in row_phase:
            for b in col_phase:
                phase_of.setdefault((a, b), len(phase_of))
        rows = ((n - 1) * slot + ho - 1) * row_len + wo
        data = n * slot * row_len
        length = max(data, rows + row_base[-1] + col_off[-1])
        buffers = []
        for a, b in phase_of:
            buf = ws.zeros(f"in{len(buffers)}", (c, length), x.dtype)
            part = xpad[:, :, a::sy, b::sx]
            view = xp.reshape(buf[:, :data], (c, n, slot, row_len))
            view[:, :, : part.shape[2], : part.shape[3]] = xp.permute_dims(part, (1, 0, 2, 3))
            buffers.append(buf)
    taps = [
        [(phase_of[(row_phase[i], col_phase[j])], row_base[i] + col_off[j]) for j in range(kw)]
        for i in range(kh)
    ]

    og = o // groups
    total = n * slot * row_len
    out = ws.empty("out", (o, total), x.dtype)
    acc = out[:, :rows]
    if groups > 1 and cg <= 4 and not forced:
        wt = xp.reshape(weight, (groups, og, cg, kh * kw))
        wt = contiguous(xp, xp.permute_dims(wt, (3, 0, 1, 2)))  # (tap, group, O/groups, C/groups)
        flat = [tap for row in taps for tap in row]
        _taps_broadcast(xp, ws, buffers, flat, wt, acc, rows, groups, cg, og)
    elif unrolling == "im2col":
        _im2col_gemm(xp, ws, buffers, taps, weight, acc, rows, groups)
    elif unrolling == "rows":
        layout = (row_phase, row_base, col_phase, col_off, phase_of)
        _rows_gemm(xp, ws, buffers, layout, weight, acc, rows, groups)
    else:
        _taps_gemm(xp, ws, buffers, taps, weight, acc, rows, groups)

    grid = xp.reshape(out, (o, n, slot, row_len))[:, :, :ho, :wo]
    return materialize(xp, xp.permute_dims(grid, (1, 0, 2, 3)), bias)


def _im2col_gemm(
    xp: Any,
    ws: _Workspace,
    buffers: list[Any],
    taps: list[list[tuple[int, int]]],
    weight: Any,
    acc: Any,
    rows: int,
    groups: int,
) -> None:
    """All taps copied under each other (C × taps × positions), one product per group."""
    o, cg, kh, kw = (int(s) for s in weight.shape)
    c, og, k = cg * groups, o // groups, cg * kh * kw
    cols = ws.empty("cols", (c, kh * kw, rows), acc.dtype)
    for i, row in enumerate(taps):
        for j, (phase, off) in enumerate(row):
            cols[:, i * kw + j, :] = buffers[phase][:, off : off + rows]
    cols = xp.reshape(cols, (groups, k, rows))
    wk = xp.reshape(contiguous(xp, weight), (groups, og, k))
    for g in range(groups):
        _matmul_into(xp, acc[g * og : (g + 1) * og, ...], wk[g, ...], cols[g, ...])


def _rows_gemm(
    xp: Any,
    ws: _Workspace,
    buffers: list[Any],
    layout: tuple[list[int], list[int], list[int], list[int], dict[tuple[int, int], int]],
    weight: Any,
    acc: Any,
    rows: int,
    groups: int,
) -> None:
    """The kw taps of a kernel row copied under each other (C × kw × positions) once per row
    phase; kernel row i is then a column offset of that copy: one product per row and group."""
    row_phase, row_base, col_phase, col_off, phase_of = layout
    o, cg, kh, kw = (int(s) for s in weight.shape)
    c, og, k = cg * groups, o // groups, cg * kw
    span = rows + max(row_base)
    copies: dict[int, Any] = {}
    for a in sorted(set(row_phase)):
        cols = ws.empty(f"cols{len(copies)}", (c, kw, span), acc.dtype)
        for j in range(kw):
            cols[:, j, :] = buffers[phase_of[(a, col_phase[j])]][:, col_off[j] : col_off[j] + span]
        copies[a] = xp.reshape(cols, (groups, k, span))
    # weight as (row, group, O/groups, C/groups · kw): each row's operand contiguous
    wr = xp.reshape(weight, (groups, og, cg, kh, kw))
    wr = contiguous(xp, xp.reshape(xp.permute_dims(wr, (3, 0, 1, 2, 4)), (kh, groups, og, k)))
    tmp = ws.empty("tmp", (og, rows), acc.dtype) if kh > 1 else None
    for g in range(groups):
        target = acc[g * og : (g + 1) * og, ...]
        for i in range(kh):
            operand = copies[row_phase[i]][g, :, row_base[i] : row_base[i] + rows]
            if i == 0:
                _matmul_into(xp, target, wr[i, g, ...], operand)
            else:
                _matmul_into(xp, tmp, wr[i, g, ...], operand)
                _add_into(xp, target, tmp)


def _taps_gemm(
    xp: Any,
    ws: _Workspace,
    buffers: list[Any],
    taps: list[list[tuple[int, int]]],
    weight: Any,
    acc: Any,
    rows: int,
    groups: int,
) -> None:
    """No copy: one product per tap and group on the shifted buffer, added up."""
    o, cg, kh, kw = (int(s) for s in weight.shape)
    og = o // groups
    # weight as (tap, group, O/groups, C/groups): each tap's operand contiguous
    wt = xp.reshape(weight, (groups, og, cg, kh * kw))
    wt = contiguous(xp, xp.permute_dims(wt, (3, 0, 1, 2)))
    tmp = ws.empty("tmp", (og, rows), acc.dtype) if kh * kw > 1 else None
    flat = [tap for row in taps for tap in row]
    for g in range(groups):
        target = acc[g * og : (g + 1) * og, ...]
        for t, (phase, off) in enumerate(flat):
            operand = buffers[phase][g * cg : (g + 1) * cg, off : off + rows]
            if t == 0:
                _matmul_into(xp, target, wt[t, g, ...], operand)
            else:
                _matmul_into(xp, tmp, wt[t, g, ...], operand)
                _add_into(xp, target, tmp)


def _taps_broadcast(
    xp: Any,
    ws: _Workspace,
    buffers: list[Any],
    taps: list[tuple[int, int]],
    wt: Any,
    acc: Any,
    rows: int,
    groups: int,
    cg: int,
    og: int,
) -> None:
    """Depthwise and thin groups: broadcast multiply-adds over all groups at once."""
    acc = xp.reshape(acc, (groups, og, rows))
    has_out = xp is np or getattr(xp, "__name__", "") == "cupy"
    tmp = ws.empty("tmp", (groups, og, rows), acc.dtype) if has_out else None
    first = True
    for t, (phase, off) in enumerate(taps):
        a = xp.reshape(buffers[phase][:, off : off + rows], (groups, cg, rows))
        for k in range(cg):
            w_k, a_k = wt[t, :, :, k : k + 1], a[:, k : k + 1, :]
            if first:
                if has_out:
                    xp.multiply(w_k, a_k, out=acc)
                else:
                    acc[...] = w_k * a_k
                first = False
            elif has_out:
                xp.multiply(w_k, a_k, out=tmp)
                xp.add(acc, tmp, out=acc)
            else:
                acc[...] = acc + w_k * a_k


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
