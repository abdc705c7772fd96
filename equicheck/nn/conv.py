"""``conv1d``, ``conv2d``, ``conv3d``: PyTorch's convolutions (cross-correlations) on grids of
1, 2 or 3 axes, one N-d implementation with the algorithm chosen by shape.

Everything here runs on public NumPy / SciPy APIs (``numpy.matmul``, ``scipy.fft``), and the
same code on CuPy through the backend object: no compiled extension, no ctypes, no thread
pool of our own (BLAS and ``scipy.fft`` thread themselves). Two families compute the same thing
(described for images; a signal is one row, a volume a stack of planes of rows):

* ``'gemm'`` (GEMM over a flat channels-first buffer, any backend). The input is laid out
  once as a (channels × positions) buffer in which the images follow each other with their
  zero padding *shared* between neighbouring rows and images. In that buffer a kernel tap
  (i, j) is a constant column offset, so its operand is a plain strided matrix. How many
  taps go into one matrix product's inner dimension K is the *unrolling*:

  - ``'im2col'``: all kh·kw taps copied into one (C·kh·kw × positions) matrix, one product.
  - ``'rows'``: the kw taps of a kernel row copied once (C·kw × positions); each of the kh
    kernel rows is then a column offset of that copy: kh products, added up (3-D: kd·kh).
  - ``'taps'``: no copy; one product per tap on the shifted buffer, added up.

  ``numpy.matmul`` cannot accumulate (BLAS ``beta`` is 0), so every product after the first
  costs a pass over the (small) output; copies cost a pass over K × positions; BLAS is fast
  for K of about 64 to 256 and slow for thin K or for thin O with large K (it packs the big
  operand once per product). :func:`choose_unrolling` weighs these. Strides split the input
  into stride^d phases first (a stride-s convolution is a sum of stride-1 convolutions of
  the phases); depthwise / thin groups use broadcast multiply-adds instead of tiny GEMMs.
  ``'direct'`` is accepted as another name of ``'gemm'`` (it named a compiled kernel before
  0.2).
* ``'fft'``. rFFT of the (padded) inputs, the kernels' spectra by one small DFT product per
  axis (cheaper than FFTs of mostly-zero arrays), a per-frequency channel mix, one inverse
  rFFT (``scipy.fft`` with ``workers=-1`` on NumPy). Wins for large kernels with few channels.

``algorithm='auto'`` compares a cost model of them (see :func:`choose_algorithm`).
"""

from __future__ import annotations

import functools
import math
import threading
from typing import Any, NamedTuple

import numpy as np

from ..backends import Backend
from ..errors import ShapeError
from ._args import contiguous, float_dtype, materialize, ntuple, require_grid, resolve
from .padding import check_mode, check_pad_limits, pad_nd

__all__ = [
    "ALGORITHMS",
    "UNROLLINGS",
    "choose_algorithm",
    "choose_unrolling",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_output_size",
    "resolve_padding",
]

#: Accepted values of ``conv2d(..., algorithm=)``: ``'direct'`` is another name of ``'gemm'``;
#: ``'im2col'``, ``'rows'`` and ``'taps'`` force one unrolling of ``'gemm'``.
ALGORITHMS = ("auto", "direct", "gemm", "im2col", "rows", "taps", "fft")

#: The unrollings of the GEMM family (see :func:`choose_unrolling`).
UNROLLINGS = ("im2col", "rows", "taps")


def resolve_padding(
    padding: Any, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]
) -> tuple[int, ...]:
    """PyTorch's ``padding`` as (before, after) per grid axis: (top, bottom, left, right) for
    an image, (left, right) for a signal, (front, back, top, bottom, left, right) for a volume.

    ``'valid'`` is no padding; ``'same'`` keeps the size at stride 1 (odd extra after, as
    PyTorch); an int or one int per axis pads both sides of an axis equally.
    """
    d = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * (2 * d)
        if padding == "same":
            if tuple(stride) != (1,) * d:
                raise ValueError(
                    f"padding='same' needs stride=1 (got stride={tuple(stride)}), as in PyTorch; "
                    "give an explicit padding instead"
                )
            out: list[int] = []
            for k, dil in zip(kernel, dilation):
                total = dil * (k - 1)
                out += [total // 2, total - total // 2]
            return tuple(out)
        raise ValueError(f"padding must be 'valid', 'same', an int or a tuple of ints, got {padding!r}")
    return tuple(p for p in ntuple(padding, "padding", d, minimum=0) for _ in range(2))


def conv_output_size(
    size: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    pads: tuple[int, ...],
    dilation: tuple[int, ...],
) -> tuple[int, ...]:
    """Output grid size, PyTorch's formula per axis: floor((n + pads - d·(k-1) - 1) / s) + 1."""
    return tuple(
        (n + before + after - d * (k - 1) - 1) // s + 1
        for n, k, s, before, after, d in zip(size, kernel, stride, pads[0::2], pads[1::2], dilation)
    )


def _gemm_rate(k: int, og: int) -> float:
    """Rough BLAS rate (flop/s, float32, 2 cores) of an (og × k) @ (k × many) product.

    Thin inner dimensions k leave the FMA units idle; thin outputs og with a large k make
    BLAS pack the big operand for few multiply-adds per element (measured: K=400, O=16 runs
    at a third of K=80's rate)."""
    rate = 1.6e11 * (k / (k + 10.0)) * (og / (og + 4.0))
    if k > 256:
        rate /= 1.0 + (k - 256) / 256 * (32.0 / max(og, 1))
    return rate


def _unrolled_axes(name: str, dims: int) -> int:
    """How many trailing kernel axes an unrolling copies: none, the last, or all of them."""
    return {"taps": 0, "rows": 1, "im2col": dims}[name]


def _unrolling_costs(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride: tuple[int, ...],
    out_size: tuple[int, ...],
    groups: int,
    itemsize: int,
) -> dict[str, float]:
    """Seconds each unrolling of the GEMM family is expected to take (see :func:`choose_unrolling`)."""
    n = x_shape[0]
    o, cg = w_shape[0], w_shape[1]
    kernel = tuple(w_shape[2:])
    d = len(kernel)
    c = cg * groups
    og = o // groups
    taps = math.prod(kernel)
    last = kernel[-1]
    # positions computed: the output grid plus the shared padding columns (about one kernel
    # width per output row), per stride phase
    rows = n * math.prod(out_size[:-1]) * (out_size[-1] + max(last // stride[-1], 1))
    slow = 2.0 if itemsize > 4 else 1.0
    flops = 2.0 * rows * cg * o * taps
    add_pass = o * rows * itemsize / 3e10  # one pass over the output: out += product
    copy = itemsize / 2.5e10  # seconds per element copied (one thread)
    call = 1e-5  # one BLAS call: dispatch, waking its threads
    spans = [m + k for m, k in zip(out_size, kernel)]  # an axis's extent in the flat buffer, roughly
    costs = {}
    for name in UNROLLINGS:
        depth = _unrolled_axes(name, d)
        unroll = math.prod(kernel[d - depth :])
        # a copy spans the positions plus the reach of the taps it leaves as offsets
        copied = 0
        if depth:
            reach = sum((kernel[a] - 1) * math.prod(spans[a + 1 :]) for a in range(d - depth))
            copied = c * unroll * (rows + reach)
        products = taps // unroll
        costs[name] = (
            slow * flops / _gemm_rate(cg * unroll, og)
            + copied * copy
            + (products - 1) * add_pass
            + products * groups * call
            + (last if unroll == last and unroll > 1 else 0) * 3e-6
        )
    return costs


def _grid_args(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride: tuple[int, ...] | None,
    pads: tuple[int, ...] | None,
    dilation: tuple[int, ...] | None,
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Defaults of the cost models' keywords for a grid of len(x_shape) - 2 axes: stride and
    dilation 1, no padding; and the output size."""
    d = len(x_shape) - 2
    stride = (1,) * d if stride is None else tuple(stride)
    dilation = (1,) * d if dilation is None else tuple(dilation)
    pads = (0,) * (2 * d) if pads is None else tuple(pads)
    out = conv_output_size(tuple(x_shape[2:]), tuple(w_shape[2:]), stride, pads, dilation)
    return stride, pads, dilation, out


def choose_unrolling(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride: tuple[int, ...] | None = None,
    pads: tuple[int, ...] | None = None,
    dilation: tuple[int, ...] | None = None,
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
    channels ``'rows'``, many channels ``'taps'``. Shapes are (N, C, *grid) and
    (O, C/groups, *kernel) for a grid of 1, 2 or 3 axes; stride and dilation default to 1 and
    ``pads`` ((before, after) per axis) to none.
    """
    stride, pads, dilation, out = _grid_args(x_shape, w_shape, stride, pads, dilation)
    out = tuple(max(m, 1) for m in out)
    costs = _unrolling_costs(tuple(x_shape), tuple(w_shape), stride, out, groups, _itemsize(dtype))
    return min(UNROLLINGS, key=lambda name: costs[name])


def choose_algorithm(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride: tuple[int, ...] | None = None,
    pads: tuple[int, ...] | None = None,
    dilation: tuple[int, ...] | None = None,
    groups: int = 1,
    *,
    native: bool | None = None,
    dtype: Any = np.float32,
) -> str:
    """``'gemm'`` or ``'fft'``: the one a cost model (fitted on a 2-core x86 CPU) finds cheapest.

    GEMM costs what its best unrolling costs (:func:`choose_unrolling`), plus laying out the
    input and the output. FFT costs (N·C + N·O) transforms of the padded grid's size plus
    N·C·O/groups complex multiply-adds per frequency (cheap as broadcast operations for few
    channels, dear as NumPy's one-BLAS-call-per-frequency batched products for many), and
    computes every position even for strides > 1. ``dtype`` is the element type (float64
    halves the rates). ``native`` is accepted and ignored: it chose the compiled kernel, which
    is gone since 0.2. Arguments as :func:`choose_unrolling`.
    """
    del native  # the compiled kernel it selected no longer exists
    stride, pads, dilation, out = _grid_args(x_shape, w_shape, stride, pads, dilation)
    if min(out) <= 0:
        return "gemm"
    size = _itemsize(dtype)
    costs = _unrolling_costs(tuple(x_shape), tuple(w_shape), stride, out, groups, size)
    return _gemm_or_fft(tuple(x_shape), tuple(w_shape), pads, dilation, out, groups, size, costs)


def _gemm_or_fft(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    pads: tuple[int, ...],
    dilation: tuple[int, ...],
    out: tuple[int, ...],
    groups: int,
    size: int,
    costs: dict[str, float],
) -> str:
    """:func:`choose_algorithm` given the unrollings' costs (computed once per call)."""
    n, c = x_shape[0], x_shape[1]
    o, cg = w_shape[0], w_shape[1]
    kernel = tuple(w_shape[2:])
    if math.prod(kernel) < 16:
        return "gemm"
    layout = (n * c * math.prod(x_shape[2:]) + n * o * math.prod(out)) * size * 2 / 2e10 + 5e-5
    gemm = min(costs.values()) + layout
    lengths = _fft_sizes(tuple(x_shape[2:]), kernel, pads, dilation)
    area = math.prod(lengths)
    transforms = 1.8e-10 * (n * c + n * o) * area * math.log2(max(area, 2))
    freqs = area // lengths[-1] * (lengths[-1] // 2 + 1)
    macs = n * cg * o * freqs
    og = o // groups
    mix = (7e-10 if n * cg * og < _MIX_MATMUL else 1.5e-9) * macs
    spectra = 1e-10 * o * cg * freqs * 4
    fft = (transforms + mix + spectra) * (2.0 if size > 4 else 1.0) + 3e-4
    return "fft" if fft < gemm else "gemm"


@functools.lru_cache(maxsize=256)
def _plan(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride: tuple[int, ...],
    pads: tuple[int, ...],
    dilation: tuple[int, ...],
    out: tuple[int, ...],
    groups: int,
    size: int,
) -> tuple[str, str]:
    """(algorithm, unrolling) the cost models choose (cached: checks repeat their shapes)."""
    costs = _unrolling_costs(x_shape, w_shape, stride, out, groups, size)
    algorithm = _gemm_or_fft(x_shape, w_shape, pads, dilation, out, groups, size, costs)
    return algorithm, min(UNROLLINGS, key=lambda name: costs[name])


def _itemsize(dtype: Any) -> int:
    """Bytes per element of ``dtype`` (NumPy's, or another array library's)."""
    try:
        return int(np.dtype(dtype).itemsize)
    except TypeError:
        return 8 if "64" in str(dtype) else 4


#: From this many (sample × input × output channel) products per frequency, the FFT method mixes
#: channels with a matrix product per frequency instead of broadcast multiply-adds.
_MIX_MATMUL = 384


def conv1d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: int | tuple[int] = 1,
    padding: int | tuple[int] | str = 0,
    dilation: int | tuple[int] = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
    *,
    algorithm: str = "auto",
) -> Any:
    """1-D cross-correlation of a batch of signals, as PyTorch's conv1d.

    x: (N, C, L); weight: (O, C / groups, k); returns (N, O, Lo). Other arguments as
    :func:`conv2d`, with one int per axis.
    """
    return _convolve(x, weight, bias, stride, padding, dilation, groups, padding_mode, algorithm, 1)


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
    return _convolve(x, weight, bias, stride, padding, dilation, groups, padding_mode, algorithm, 2)


def conv3d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: int | tuple[int, int, int] = 1,
    padding: int | tuple[int, int, int] | str = 0,
    dilation: int | tuple[int, int, int] = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
    *,
    algorithm: str = "auto",
) -> Any:
    """3-D cross-correlation of a batch of volumes, as PyTorch's conv3d.

    x: (N, C, D, H, W); weight: (O, C / groups, kd, kh, kw); returns (N, O, Do, Ho, Wo).
    Other arguments as :func:`conv2d`, with one int per axis (depth, rows, columns).
    """
    return _convolve(x, weight, bias, stride, padding, dilation, groups, padding_mode, algorithm, 3)


_KERNEL_AXES = {1: "k", 2: "kh, kw", 3: "kd, kh, kw"}
_PAD_ORDER = {
    1: "(left, right)",
    2: "(top, bottom, left, right)",
    3: "(front, back, top, bottom, left, right)",
}


def _convolve(
    x: Any,
    weight: Any,
    bias: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: int,
    padding_mode: str,
    algorithm: str,
    dims: int,
) -> Any:
    """conv1d / conv2d / conv3d: check every argument (before any work), then run the algorithm."""
    what = f"conv{dims}d"
    backend, xp = resolve(x, weight, bias)
    x, weight = (a if backend.is_array(a) else backend.asarray(a) for a in (x, weight))
    if bias is not None and not backend.is_array(bias):
        bias = backend.asarray(bias)
    require_grid(x, dims, what)
    if getattr(weight, "ndim", None) != dims + 2:
        raise ShapeError(
            f"{what} weight must have shape (out_channels, in_channels / groups, {_KERNEL_AXES[dims]}), "
            f"got shape {getattr(weight, 'shape', None)}"
        )
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups must be a positive integer, got {groups!r}")
    check_mode(padding_mode)
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {', '.join(map(repr, ALGORITHMS))}, got {algorithm!r}")
    n, c = int(x.shape[0]), int(x.shape[1])
    size = tuple(int(s) for s in x.shape[2:])
    o, cg = int(weight.shape[0]), int(weight.shape[1])
    kernel = tuple(int(s) for s in weight.shape[2:])
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
    if min(kernel) < 1:
        raise ShapeError(
            f"the kernel must be at least {'x'.join(['1'] * dims)}, got {'x'.join(map(str, kernel))}"
        )
    st = ntuple(stride, "stride", dims)
    dil = ntuple(dilation, "dilation", dims)
    pads = resolve_padding(padding, kernel, st, dil)
    out_size = conv_output_size(size, kernel, st, pads, dil)
    if min(out_size) <= 0:
        reach = "x".join(str(d * (k - 1) + 1) for d, k in zip(dil, kernel))
        raise ShapeError(
            f"the input grid {'x'.join(map(str, size))} padded by {pads} {_PAD_ORDER[dims]} is smaller "
            f"than the dilated kernel {reach}; pad more or use a smaller kernel"
        )
    if padding_mode != "zeros" and any(pads):
        check_pad_limits(size, pads, padding_mode)
    dtype = float_dtype(xp, x, weight, bias)
    x = xp.asarray(x, dtype=dtype)
    weight = xp.asarray(weight, dtype=dtype)
    if bias is not None:
        bias = xp.asarray(bias, dtype=dtype)
    if n == 0 or o == 0 or c == 0:
        out = xp.zeros((n, o, *out_size), dtype=dtype)
        return out if bias is None or n == 0 else out + xp.reshape(bias, (1, o) + (1,) * dims)
    forced = algorithm in UNROLLINGS
    unrolling = algorithm
    if not forced and algorithm != "fft":
        shapes = (tuple(int(s) for s in x.shape), tuple(int(s) for s in weight.shape))
        best, unrolling = _plan(*shapes, st, pads, dil, out_size, groups, _itemsize(dtype))
        algorithm = best if algorithm == "auto" else algorithm
    if algorithm == "fft":
        return _fft_conv(backend, x, weight, bias, st, pads, dil, groups, padding_mode, out_size)
    return _gemm_conv(
        backend, x, weight, bias, st, pads, dil, groups, padding_mode, out_size, unrolling, forced
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


class _Geometry(NamedTuple):
    """Where everything lies in the flat (C × positions) buffers of one call's shapes.

    Every buffer holds one stride phase of the (padded) batch; a sample is a block of
    ``extent`` entries (C order). Output position q of sample i is column i·|extent| + Σ q_a·step_a
    and tap t adds a constant offset there, in the buffer of its phase.
    """

    extent: tuple[int, ...]  # per grid axis: entries of one row / plane / sample in the buffer
    start: int  # column where the first sample's data begins (zero padding before it)
    rows: int  # columns computed (all output positions and the garbage between them)
    length: int  # columns of every buffer (data plus what the last taps read past it)
    phases: tuple[tuple[int, ...], ...]  # the stride phase each buffer holds
    taps: tuple[tuple[int, int], ...]  # (buffer, offset) of every tap, in the weight's order
    unrolled: tuple[tuple[Any, Any], ...]  # per depth: (outer taps, copies), see _unrolled_gemm


@functools.lru_cache(maxsize=256)
def _geometry(
    n: int,
    size: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    pads: tuple[int, ...],
    dilation: tuple[int, ...],
    out_size: tuple[int, ...],
    shared: bool,
) -> _Geometry:
    """The buffers' layout (cached: checks call the same shapes again and again).

    ``shared``: one buffer whose zero padding is shared between neighbouring rows, planes and
    samples (stride 1, zero padding): an axis keeps room for its larger pad after the data,
    which the next row reads as its pad before. (Padding wider than the kernel reaches makes
    the output larger than the grid: the extent must hold it.) Otherwise the input is padded
    explicitly (``size`` is then the padded size) and split into stride phases.
    """
    before, after = pads[0::2], pads[1::2]
    if shared:
        extent = tuple(max(m + max(b, e), q) for m, b, e, q in zip(size, before, after, out_size))
    else:
        extent = tuple(-(-m // s) for m, s in zip(size, stride))
    steps = [math.prod(extent[a + 1 :]) for a in range(len(extent))]
    start = sum(b * step for b, step in zip(before, steps)) if shared else 0
    # per axis a and tap index t: the phase of the tap and its column offset
    phase = [[(t * dil) % s for t in range(k)] for k, dil, s in zip(kernel, dilation, stride)]
    offset = [
        [(t * dil // s) * step for t in range(k)] for k, dil, s, step in zip(kernel, dilation, stride, steps)
    ]
    data = n * math.prod(extent)
    rows = (n - 1) * math.prod(extent) + sum((q - 1) * step for q, step in zip(out_size, steps)) + 1
    length = max(start + data, rows + sum(offs[-1] for offs in offset))

    def taps(first: int, last: int) -> list[tuple[tuple[int, ...], int]]:
        """(phase over axes first..last-1, offset) of every tap over those axes, C order."""
        out: list[tuple[tuple[int, ...], int]] = [((), 0)]
        for a in range(first, last):
            axis = list(zip(phase[a], offset[a]))
            out = [(p + (q,), base + off) for p, base in out for q, off in axis]
        return out

    d = len(kernel)
    phases = tuple(dict.fromkeys(p for p, _ in taps(0, d)))
    buffer_of = {p: i for i, p in enumerate(phases)}
    unrolled = []
    for depth in range(d + 1):
        inner, outer = taps(d - depth, d), taps(0, d - depth)
        copy_of = {p: i for i, p in enumerate(dict.fromkeys(p for p, _ in outer))}
        copies = tuple(tuple((buffer_of[p + q], off) for q, off in inner) for p in copy_of)
        unrolled.append((tuple((copy_of[p], base) for p, base in outer), copies))
    return _Geometry(
        extent,
        start,
        rows,
        length,
        phases,
        tuple((buffer_of[p], off) for p, off in taps(0, d)),
        tuple(unrolled),
    )


def _gemm_conv(
    backend: Backend,
    x: Any,
    weight: Any,
    bias: Any,
    stride: tuple[int, ...],
    pads: tuple[int, ...],
    dilation: tuple[int, ...],
    groups: int,
    mode: str,
    out_size: tuple[int, ...],
    unrolling: str,
    forced: bool = False,
) -> Any:
    xp = backend.xp
    ws = _Workspace(xp)
    d = len(out_size)
    n, c = int(x.shape[0]), int(x.shape[1])
    o, cg = int(weight.shape[0]), int(weight.shape[1])
    kernel = tuple(int(s) for s in weight.shape[2:])
    channels_first = (1, 0, *range(2, d + 2))
    # Buffers are (C, positions): channel rows over a flat grid of samples; a tap is then a
    # column offset in one stride phase's buffer (see _Geometry).
    shared = all(s == 1 for s in stride) and mode == "zeros"
    if not shared:
        x = pad_nd(x, pads, mode)
    size = tuple(int(s) for s in x.shape[2:])
    geo = _geometry(n, size, kernel, stride, pads, dilation, out_size, shared)
    data = n * math.prod(geo.extent)
    buffers = []
    for i, p in enumerate(geo.phases):
        buf = ws.zeros(f"in{i}", (c, geo.length), x.dtype)
        part = x if shared else x[(slice(None), slice(None), *(slice(a, None, s) for a, s in zip(p, stride)))]
        view = xp.reshape(buf[:, geo.start : geo.start + data], (c, n, *geo.extent))
        view[(slice(None), slice(None), *(slice(0, m) for m in part.shape[2:]))] = xp.permute_dims(
            part, channels_first
        )
        buffers.append(buf)

    og = o // groups
    out = ws.empty("out", (o, data), x.dtype)
    acc = out[:, : geo.rows]
    if groups > 1 and cg <= 4 and not forced:
        wt = xp.reshape(weight, (groups, og, cg, len(geo.taps)))
        wt = contiguous(xp, xp.permute_dims(wt, (3, 0, 1, 2)))  # (tap, group, O/groups, C/groups)
        _taps_broadcast(xp, ws, buffers, geo.taps, wt, acc, geo.rows, groups, cg, og)
    elif unrolling == "taps":
        _taps_gemm(xp, ws, buffers, geo.taps, weight, acc, geo.rows, groups)
    else:
        depth = _unrolled_axes(unrolling, d)
        _unrolled_gemm(xp, ws, buffers, geo.unrolled[depth], weight, acc, geo.rows, groups)

    grid = xp.reshape(out, (o, n, *geo.extent))[(slice(None), slice(None), *(slice(0, q) for q in out_size))]
    return materialize(xp, xp.permute_dims(grid, channels_first), bias)


def _unrolled_gemm(
    xp: Any,
    ws: _Workspace,
    buffers: list[Any],
    plan: tuple[Any, Any],
    weight: Any,
    acc: Any,
    rows: int,
    groups: int,
) -> None:
    """The taps of the last few kernel axes (all: im2col; the last: ``'rows'``) copied under
    each other, (C × those taps × positions), once per phase of the other axes; each tap of
    the other axes ("outer" taps) is then a column offset of a copy: one product per outer
    tap and group, added up. ``plan`` = (outer taps as (copy, offset), per copy its inner taps
    as (buffer, offset))."""
    outer, copies_of = plan
    o, cg = int(weight.shape[0]), int(weight.shape[1])
    inner = len(copies_of[0])
    c, og, k = cg * groups, o // groups, cg * inner
    span = rows + max(base for _, base in outer)
    copies = []
    for i, spec in enumerate(copies_of):
        cols = ws.empty(f"cols{i}", (c, inner, span), acc.dtype)
        for j, (b, off) in enumerate(spec):
            cols[:, j, :] = buffers[b][:, off : off + span]
        copies.append(xp.reshape(cols, (groups, k, span)))
    # weight as (outer tap, group, O/groups, C/groups · inner taps): each operand contiguous
    if len(outer) == 1:
        wr = xp.reshape(contiguous(xp, weight), (1, groups, og, k))
    else:
        wr = xp.reshape(weight, (groups, og, cg, len(outer), inner))
        wr = contiguous(xp, xp.reshape(xp.permute_dims(wr, (3, 0, 1, 2, 4)), (len(outer), groups, og, k)))
    tmp = ws.empty("tmp", (og, rows), acc.dtype) if len(outer) > 1 else None
    for g in range(groups):
        target = acc[g * og : (g + 1) * og, ...]
        for i, (copy, base) in enumerate(outer):
            operand = copies[copy][g, :, base : base + rows]
            if i == 0:
                _matmul_into(xp, target, wr[i, g, ...], operand)
            else:
                _matmul_into(xp, tmp, wr[i, g, ...], operand)
                _add_into(xp, target, tmp)


def _taps_gemm(
    xp: Any,
    ws: _Workspace,
    buffers: list[Any],
    taps: tuple[tuple[int, int], ...],
    weight: Any,
    acc: Any,
    rows: int,
    groups: int,
) -> None:
    """No copy: one product per tap and group on the shifted buffer, added up."""
    o, cg = int(weight.shape[0]), int(weight.shape[1])
    og = o // groups
    # weight as (tap, group, O/groups, C/groups): each tap's operand contiguous
    wt = xp.reshape(weight, (groups, og, cg, len(taps)))
    wt = contiguous(xp, xp.permute_dims(wt, (3, 0, 1, 2)))
    tmp = ws.empty("tmp", (og, rows), acc.dtype) if len(taps) > 1 else None
    for g in range(groups):
        target = acc[g * og : (g + 1) * og, ...]
        for t, (phase, off) in enumerate(taps):
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
    taps: tuple[tuple[int, int], ...],
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
    size: tuple[int, ...], kernel: tuple[int, ...], pads: tuple[int, ...], dilation: tuple[int, ...]
) -> tuple[int, ...]:
    """Transform sizes that make circular correlation equal the zero-padded one.

    Entries read from before the start wrap to the end, so the grid needs only the larger
    of the two pads appended (not both); the output must also fit.
    """
    out = []
    for n, k, d, before, after in zip(size, kernel, dilation, pads[0::2], pads[1::2]):
        full = n + before + after - d * (k - 1)
        out.append(_fast_len(max(n + max(before, after), full, 1)))
    return tuple(out)


def _fft_conv(
    backend: Backend,
    x: Any,
    weight: Any,
    bias: Any,
    stride: tuple[int, ...],
    pads: tuple[int, ...],
    dilation: tuple[int, ...],
    groups: int,
    mode: str,
    out_size: tuple[int, ...],
) -> Any:
    xp = backend.xp
    fft = backend.fft
    if mode != "zeros":
        x = pad_nd(x, pads, mode)
        pads = (0,) * len(pads)
    d = len(out_size)
    n = int(x.shape[0])
    o, cg = int(weight.shape[0]), int(weight.shape[1])
    kernel = tuple(int(s) for s in weight.shape[2:])
    og = o // groups
    lengths = _fft_sizes(tuple(int(s) for s in x.shape[2:]), kernel, pads, dilation)
    half = (*lengths[:-1], lengths[-1] // 2 + 1)  # the rFFT keeps half of the last axis
    freqs = math.prod(half)
    axes = tuple(range(2, d + 2))
    complex_dtype = xp.complex64 if x.dtype == xp.float32 else xp.complex128
    kwargs = {"workers": -1} if backend.name == "numpy" else {}
    spectrum = fft.rfftn(x, s=lengths, axes=axes, **kwargs)
    spectrum = xp.reshape(spectrum, (n, groups, cg, freqs))

    # Kernel spectra K[o, c, f] = Σ_t w[o,c,t] Π_a e^{-2πi f_a (before_a - t_a·dil_a) / L_a}
    # (tap t placed at before - t·dil turns circular convolution into the zero-padded
    # correlation), by one small DFT matrix product per axis instead of FFTs of sparse
    # arrays. Each is ONE 2-D matrix product: NumPy's batched matmul makes one BLAS call per
    # batch entry, which measured up to 10x slower here when BLAS's threads had gone idle.
    cnp = np.complex64 if complex_dtype == xp.complex64 else np.complex128
    kernel_spectrum = xp.reshape(weight, (o * cg, *kernel)).astype(complex_dtype)
    for a in range(d):
        dft = np.exp(
            -2j
            * np.pi
            * np.outer(np.arange(half[a]), pads[2 * a] - dilation[a] * np.arange(kernel[a]))
            / lengths[a]
        )
        # bring axis a + 1 last, contract it with the DFT matrix, put the frequencies back
        order = (*[i for i in range(d + 1) if i != a + 1], a + 1)
        moved = contiguous(xp, xp.permute_dims(kernel_spectrum, order))
        lead = moved.shape[:-1]
        product = xp.matmul(xp.reshape(moved, (-1, kernel[a])), xp.asarray(dft.T.astype(cnp)))
        back = [order.index(i) for i in range(d + 1)]
        kernel_spectrum = xp.permute_dims(xp.reshape(product, (*lead, half[a])), back)
    kernel_spectrum = xp.reshape(contiguous(xp, kernel_spectrum), (groups, og, cg, freqs))

    result = xp.empty((n, groups, og, freqs), dtype=complex_dtype)
    for g in range(groups):
        xs = spectrum[:, g, ...]  # (n, cg, F)
        ks = kernel_spectrum[g, ...]  # (og, cg, F)
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
    result = xp.reshape(result, (n, o, *half))
    full = fft.irfftn(result, s=lengths, axes=axes, **kwargs)
    out = full[(slice(None), slice(None), *(slice(0, (q - 1) * s + 1, s) for q, s in zip(out_size, stride)))]
    if out.dtype != x.dtype:
        out = out.astype(x.dtype)
    return materialize(xp, out, bias)
