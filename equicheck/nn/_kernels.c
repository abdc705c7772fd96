/*
 * Direct float32 convolution for x86-64 CPUs with AVX-512, called from equicheck/nn/_native.py
 * through ctypes.
 *
 * Why C: a GEMM per kernel tap (the NumPy path) runs products with only C and O (3-64)
 * columns, which OpenBLAS executes at a fraction of the machine's rate; NumPy cannot fuse
 * the layout passes around them. This kernel keeps one row block of output pixels for 16
 * output channels in 28 vector registers and streams the input through broadcast FMAs, the
 * register-blocked direct method of oneDNN-like libraries:
 *
 *     acc[p][0:16] += W[ob][c][i][j][0:16] * x[c][y*sy + i*dy][(x0 + p)*sx + j*dx]
 *
 * Work is split over rows of output; each work item copies the input rows it needs (with
 * the zero padding) into a per-thread scratch, so no padded copy of the whole input is
 * made and no thread waits for another. Results are transposed in registers (16 pixels x
 * 16 channels at a time) and stored straight into the NCHW output.
 *
 * Threads: a small persistent pool. Workers spin briefly (yielding) after a job, then
 * sleep; the calling thread always works too and never waits for a worker to wake up
 * (items are handed out by an atomic counter), so a late worker costs nothing.
 *
 * Elsewhere (other CPUs or compilers) ec_supported() returns 0 and Python uses NumPy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define EC_HAVE_KERNEL 1
#include <immintrin.h>
#else
#define EC_HAVE_KERNEL 0
#endif

#define EC_PMAX 28     /* output pixels per register block (28 accumulators + weight + spare) */
#define EC_MAX_THREADS 64
#define EC_XVEC_MAX_OG 5  /* below this many output channels per group, vectorise over columns */
#define EC_SPIN_US 500.0 /* how long an idle worker polls (yielding) before it sleeps */

typedef struct {
    const float *x;    /* input (N, C, H, W), C-contiguous */
    const float *w;    /* packed weights (G, OB, Cg, kh, kw, 16), zero-padded channels */
    const float *weight; /* the weights as given (O, Cg, kh, kw) */
    const float *bias; /* (O,) or NULL */
    float *out;        /* output (N, O, Ho, Wo), C-contiguous */
    int N, C, H, W, O, G, kh, kw, sy, sx, dy, dx, top, left, Ho, Wo;
    int Cg, Og, OB;    /* channels per group, 16-channel output blocks per group */
    int rows;          /* output rows per work item */
    int cb;            /* input channels per pass (their weights stay in L1) */
    int obg;           /* output blocks per work item (their weights stay in L2) */
    int in_rows, Wn;   /* input rows / columns one item reads (padded coordinates) */
    int ws;            /* row stride of the gathered rows: Wn rounded up to 16 */
    int mode;          /* padding: EC_ZEROS, EC_CIRCULAR, EC_REFLECT or EC_REPLICATE */
    int direct;        /* 1: read x in place (no padding needed) */
    int xvec;          /* 1: vectorise over output columns (few output channels per group) */
    long items;
    size_t scratch_floats; /* per thread: gathered input rows, then partial sums */
    _Atomic long next; /* next item to hand out */
    long npack;        /* weight blocks to pack before any item runs */
    _Atomic long next_pack, packed;
} conv_job;

/* ------------------------------------------------------------------------------------------- */
#if EC_HAVE_KERNEL
#define EC_TARGET __attribute__((target("avx512f,fma")))
#define EC_INLINE static inline __attribute__((always_inline))

/* acc[p] = init + sum over channels and taps; then stored to tmp[p][0:16]. P and SX are
 * compile-time constants in every instantiation (SX == 0 means "use sxr"), so the broadcast
 * addresses are constant offsets and the 28 accumulators stay in registers. */
EC_INLINE EC_TARGET void kernel_block(const int P, const int SX, const int KW, int sxr, const float *xin,
                                       size_t cs, size_t rs, const float *w, int Cg, int kh, int kwr, int dy,
                                       int dx, __m512 init, const float *acc_in, float *tmp)
{
    const int s = SX ? SX : sxr;
    const int kw = KW ? KW : kwr;
    __m512 acc[EC_PMAX];
    if (acc_in) {
#pragma GCC unroll 28
        for (int p = 0; p < P; p++) acc[p] = _mm512_load_ps(acc_in + 16 * p);
    } else {
#pragma GCC unroll 28
        for (int p = 0; p < P; p++) acc[p] = init;
    }
    for (int c = 0; c < Cg; c++) {
        const float *xc = xin + (size_t)c * cs;
        for (int i = 0; i < kh; i++) {
            const float *xr = xc + (size_t)i * dy * rs;
#pragma GCC unroll 8
            for (int j = 0; j < kw; j++) {
                const float *xs = xr + (size_t)j * dx;
                const __m512 v = _mm512_loadu_ps(w);
                w += 16;
#pragma GCC unroll 28
                for (int p = 0; p < P; p++) acc[p] = _mm512_fmadd_ps(v, _mm512_set1_ps(xs[p * s]), acc[p]);
            }
        }
    }
#pragma GCC unroll 28
    for (int p = 0; p < P; p++) _mm512_store_ps(tmp + 16 * p, acc[p]);
}

#define EC_ARGS sxr, xin, cs, rs, w, Cg, kh, kw, dy, dx, init, acc_in, tmp
#define EC_CASES(SX, KW)                                                                                 \
    switch (P) {                                                                                       \
    case 1: kernel_block(1, SX, KW, EC_ARGS); break;   case 2: kernel_block(2, SX, KW, EC_ARGS); break;        \
    case 3: kernel_block(3, SX, KW, EC_ARGS); break;   case 4: kernel_block(4, SX, KW, EC_ARGS); break;        \
    case 5: kernel_block(5, SX, KW, EC_ARGS); break;   case 6: kernel_block(6, SX, KW, EC_ARGS); break;        \
    case 7: kernel_block(7, SX, KW, EC_ARGS); break;   case 8: kernel_block(8, SX, KW, EC_ARGS); break;        \
    case 9: kernel_block(9, SX, KW, EC_ARGS); break;   case 10: kernel_block(10, SX, KW, EC_ARGS); break;      \
    case 11: kernel_block(11, SX, KW, EC_ARGS); break; case 12: kernel_block(12, SX, KW, EC_ARGS); break;      \
    case 13: kernel_block(13, SX, KW, EC_ARGS); break; case 14: kernel_block(14, SX, KW, EC_ARGS); break;      \
    case 15: kernel_block(15, SX, KW, EC_ARGS); break; case 16: kernel_block(16, SX, KW, EC_ARGS); break;      \
    case 17: kernel_block(17, SX, KW, EC_ARGS); break; case 18: kernel_block(18, SX, KW, EC_ARGS); break;      \
    case 19: kernel_block(19, SX, KW, EC_ARGS); break; case 20: kernel_block(20, SX, KW, EC_ARGS); break;      \
    case 21: kernel_block(21, SX, KW, EC_ARGS); break; case 22: kernel_block(22, SX, KW, EC_ARGS); break;      \
    case 23: kernel_block(23, SX, KW, EC_ARGS); break; case 24: kernel_block(24, SX, KW, EC_ARGS); break;      \
    case 25: kernel_block(25, SX, KW, EC_ARGS); break; case 26: kernel_block(26, SX, KW, EC_ARGS); break;      \
    case 27: kernel_block(27, SX, KW, EC_ARGS); break; default: kernel_block(28, SX, KW, EC_ARGS); break;      \
    }

static EC_TARGET void block_s1(int P, int sxr, const float *xin, size_t cs, size_t rs, const float *w,
                               int Cg, int kh, int kw, int dy, int dx, __m512 init, const float *acc_in,
                               float *tmp)
{
    /* the common kernel widths get their tap loop unrolled (measured 1.2-1.3x faster) */
    if (kw == 3) {
        EC_CASES(1, 3)
    } else if (kw == 1) {
        EC_CASES(1, 1)
    } else if (kw == 5) {
        EC_CASES(1, 5)
    } else {
        EC_CASES(1, 0)
    }
}

static EC_TARGET void block_s2(int P, int sxr, const float *xin, size_t cs, size_t rs, const float *w,
                               int Cg, int kh, int kw, int dy, int dx, __m512 init, const float *acc_in,
                               float *tmp)
{
    if (kw == 3) {
        EC_CASES(2, 3)
    } else {
        EC_CASES(2, 0)
    }
}

static EC_TARGET void block_any(int P, int sxr, const float *xin, size_t cs, size_t rs, const float *w,
                                int Cg, int kh, int kw, int dy, int dx, __m512 init, const float *acc_in,
                                float *tmp)
{
    EC_CASES(0, 0)
}

/* r[q][l] -> r[l][q] for a 16 x 16 block of floats. */
EC_INLINE EC_TARGET void transpose16(__m512 r[16])
{
    __m512 t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        u[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(u[i], u[4 + i], 0x88);
        t[4 + i] = _mm512_shuffle_f32x4(u[i], u[4 + i], 0xDD);
        t[8 + i] = _mm512_shuffle_f32x4(u[8 + i], u[12 + i], 0x88);
        t[12 + i] = _mm512_shuffle_f32x4(u[8 + i], u[12 + i], 0xDD);
    }
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xDD);
    }
}

/* tmp holds P pixels x 16 channels; write channel l (< nvalid) to out0 + l*ostride + p. */
static EC_TARGET void store_block(const float *tmp, int P, float *out0, size_t ostride, int nvalid)
{
    for (int p0 = 0; p0 < P; p0 += 16) {
        const int np = P - p0 < 16 ? P - p0 : 16;
        __m512 r[16];
        for (int q = 0; q < 16; q++) r[q] = q < np ? _mm512_load_ps(tmp + 16 * (p0 + q)) : _mm512_setzero_ps();
        transpose16(r);
        const __mmask16 m = (__mmask16)(np == 16 ? 0xFFFFu : ((1u << np) - 1u));
        for (int l = 0; l < nvalid; l++) _mm512_mask_storeu_ps(out0 + (size_t)l * ostride + p0, m, r[l]);
    }
}

/* Per-thread scratch buffers, grown on demand and kept (no allocation, so no fresh pages to
 * fault in, on every call); freed when the thread ends. Slot 0: an item's gathered input rows
 * and partial sums; slot 1: the packed weights of the call being made on this thread. */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
typedef struct { float *data[2]; size_t cap[2]; } scratch_t;

static void scratch_free(void *p)
{
    scratch_t *s = p;
    if (s) { free(s->data[0]); free(s->data[1]); free(s); }
}

static void scratch_init(void) { pthread_key_create(&scratch_key, scratch_free); }

static float *scratch_get(int slot, size_t floats)
{
    pthread_once(&scratch_once, scratch_init);
    scratch_t *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s) return NULL;
        pthread_setspecific(scratch_key, s);
    }
    if (s->cap[slot] < floats) {
        void *p = NULL;
        if (posix_memalign(&p, 64, floats * sizeof(float)) != 0) return NULL;
        free(s->data[slot]);
        s->data[slot] = p;
        s->cap[slot] = floats;
    }
    return s->data[slot];
}

/* Block b = g*OB + ob of weight (G*Og, Cg, taps) -> packed (G, OB, Cg, taps, 16), output
 * channels past Og zero: one masked gather per (channel, tap). */
static EC_TARGET void pack_block(const conv_job *j, long b)
{
    const int taps = j->kh * j->kw, g = (int)(b / j->OB), ob = (int)(b % j->OB);
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i idx = _mm512_mullo_epi32(lane, _mm512_set1_epi32(j->Cg * taps));
    const int nvalid = j->Og - ob * 16 < 16 ? j->Og - ob * 16 : 16;
    const __mmask16 m = (__mmask16)(nvalid == 16 ? 0xFFFFu : ((1u << nvalid) - 1u));
    const float *base = j->weight + ((size_t)g * j->Og + (size_t)ob * 16) * j->Cg * taps;
    float *packed = (float *)j->w + (size_t)b * j->Cg * taps * 16;
    for (int k = 0; k < j->Cg * taps; k++, packed += 16)
        _mm512_store_ps(packed, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, base + k, 4));
}

/* Padding modes, as PyTorch's padding_mode: where an index outside [0, n) reads from. */
enum { EC_ZEROS = 0, EC_CIRCULAR = 1, EC_REFLECT = 2, EC_REPLICATE = 3 };

static int source_index(int i, int n, int mode)
{
    if (mode == EC_CIRCULAR) {
        i %= n;
        return i < 0 ? i + n : i;
    }
    if (mode == EC_REPLICATE) return i < 0 ? 0 : n - 1;
    /* reflect about the edge entries without repeating them */
    const int period = 2 * (n - 1);
    if (period == 0) return 0;
    i = (i < 0 ? -i : i) % period;
    return i >= n ? period - i : i;
}

/* Copy input rows [iy0, iy0 + in_rows) x columns [-left, Wn - left) of image n, group g, into
 * dst (Cg, in_rows, ws), padded by the job's mode; ws is Wn rounded up to 16 so that every row
 * is whole vectors (masked loads, no per-row library calls: rows can be a few floats). Other
 * modes than zeros then overwrite the few border entries from their source columns. */
static EC_TARGET void gather_rows(const conv_job *j, int n, int g, int iy0, float *dst)
{
    const int ws = j->ws;
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    for (int c = 0; c < j->Cg; c++) {
        const float *src = j->x + ((size_t)n * j->C + (size_t)g * j->Cg + c) * j->H * j->W;
        for (int r = 0; r < j->in_rows; r++, dst += ws) {
            int iy = iy0 + r;
            if (iy < 0 || iy >= j->H) {
                if (j->mode == EC_ZEROS) {
                    for (int k = 0; k < ws; k += 16) _mm512_store_ps(dst + k, _mm512_setzero_ps());
                    continue;
                }
                iy = source_index(iy, j->H, j->mode);
            }
            const float *row = src + (size_t)iy * j->W;
            for (int k = 0; k < ws; k += 16) {
                /* image column of lane l: k + l - left; valid when 0 <= it < min(W, Wn - left) */
                const __m512i col = _mm512_add_epi32(lane, _mm512_set1_epi32(k - j->left));
                __mmask16 m = _mm512_cmpge_epi32_mask(col, _mm512_setzero_si512()) &
                              _mm512_cmplt_epi32_mask(col, _mm512_set1_epi32(j->W < j->Wn - j->left ? j->W : j->Wn - j->left));
                _mm512_store_ps(dst + k, _mm512_maskz_loadu_ps(m, row + (k - j->left)));
            }
            if (j->mode != EC_ZEROS) {
                for (int k = 0; k < j->Wn && k < j->left; k++) dst[k] = row[source_index(k - j->left, j->W, j->mode)];
                for (int k = j->left + j->W; k < j->Wn; k++) dst[k] = row[source_index(k - j->left, j->W, j->mode)];
            }
        }
    }
}

/* Few output channels per group (depthwise, thin groups): vectorising over 16 output channels
 * would leave most lanes idle, so vectorise over 16 output columns instead (stride 1 along
 * rows), V vectors at a time: acc[v] += w[o][c][i][j] * x[c][y + i*dy][x0 + 16v + j*dx .. +16]. */
EC_INLINE EC_TARGET void xvec_block(const int V, const float *xr, size_t cs, size_t rs, const float *w, int Cg,
                                    int kh, int kw, int dy, int dx, float b, int cols, float *orow)
{
    __m512 acc[4];
    __mmask16 m[4];
    for (int v = 0; v < V; v++) {
        const int left = cols - 16 * v;
        m[v] = (__mmask16)(left >= 16 ? 0xFFFFu : left <= 0 ? 0u : ((1u << left) - 1u));
        acc[v] = _mm512_set1_ps(b);
    }
    for (int c = 0; c < Cg; c++) {
        const float *xc = xr + (size_t)c * cs;
        for (int i = 0; i < kh; i++) {
            const float *xi = xc + (size_t)i * dy * rs;
            for (int jj = 0; jj < kw; jj++) {
                const __m512 wv = _mm512_set1_ps(*w++);
                const float *xs = xi + (size_t)jj * dx;
                for (int v = 0; v < V; v++)
                    acc[v] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(m[v], xs + 16 * v), acc[v]);
            }
        }
    }
    for (int v = 0; v < V; v++) _mm512_mask_storeu_ps(orow + 16 * v, m[v], acc[v]);
}

static EC_TARGET void xvec_rows(const conv_job *j, int n, int g, int y0, int R, const float *xin, size_t cs,
                                size_t rs)
{
    const int taps = j->kh * j->kw;
    for (int m = 0; m < j->Og; m++) {
        const int o = g * j->Og + m;
        const float *w = j->weight + (size_t)o * j->Cg * taps;
        const float b = j->bias ? j->bias[o] : 0.0f;
        for (int r = 0; r < R; r++) {
            const float *xr = xin + (size_t)r * j->sy * rs;
            float *orow = j->out + (((size_t)n * j->O + o) * j->Ho + y0 + r) * j->Wo;
            for (int x0 = 0; x0 < j->Wo; x0 += 64) {
                const int cols = j->Wo - x0;
                const float *xb = xr + x0;
                if (cols > 48)
                    xvec_block(4, xb, cs, rs, w, j->Cg, j->kh, j->kw, j->dy, j->dx, b, cols, orow + x0);
                else if (cols > 32)
                    xvec_block(3, xb, cs, rs, w, j->Cg, j->kh, j->kw, j->dy, j->dx, b, cols, orow + x0);
                else if (cols > 16)
                    xvec_block(2, xb, cs, rs, w, j->Cg, j->kh, j->kw, j->dy, j->dx, b, cols, orow + x0);
                else
                    xvec_block(1, xb, cs, rs, w, j->Cg, j->kh, j->kw, j->dy, j->dx, b, cols, orow + x0);
            }
        }
    }
}

static EC_TARGET int run_item(const conv_job *j, long item)
{
    /* item = ((output block group, group), image, row chunk), the block group slowest so that
     * the threads share one group's weights in cache at a time */
    const int chunks = (j->Ho + j->rows - 1) / j->rows;
    const int y0 = (int)(item % chunks) * j->rows;
    long t = item / chunks;
    const int n = (int)(t % j->N);
    t /= j->N;
    const int g = (int)(t % j->G);
    const int ob_lo = (int)(t / j->G) * j->obg;
    const int ob_hi = ob_lo + j->obg < j->OB ? ob_lo + j->obg : j->OB;
    const int R = j->Ho - y0 < j->rows ? j->Ho - y0 : j->rows;
    const int taps = j->kh * j->kw;
    const float *xin;
    size_t cs, rs;
    if (j->direct) {
        xin = j->x + (((size_t)n * j->C + (size_t)g * j->Cg) * j->H + (size_t)y0 * j->sy) * j->W;
        cs = (size_t)j->H * j->W;
        rs = j->W;
    } else {
        xin = NULL;
        cs = rs = 0;
    }
    /* Partial sums of the item's output (R rows x Wo pixels x 16 channels) between passes
     * over the input channels; each pass keeps its weights in L1 across all the rows. */
    float *part = scratch_get(0, j->scratch_floats ? j->scratch_floats : 16);
    if (!part) return ENOMEM;
    if (!j->direct) {
        gather_rows(j, n, g, y0 * j->sy - j->top, part);
        xin = part;
        cs = (size_t)j->in_rows * j->ws;
        rs = j->ws;
        part += (size_t)j->Cg * j->in_rows * j->ws;
    }
    if (j->xvec) {
        xvec_rows(j, n, g, y0, R, xin, cs, rs);
        return 0;
    }
    const int nblk = (j->Wo + EC_PMAX - 1) / EC_PMAX;
    const size_t plane = (size_t)j->Ho * j->Wo;
    for (int ob = ob_lo; ob < ob_hi; ob++) {
        const int oc = g * j->Og + ob * 16;
        const int nvalid = j->Og - ob * 16 < 16 ? j->Og - ob * 16 : 16;
        const __mmask16 bm = (__mmask16)(nvalid == 16 ? 0xFFFFu : ((1u << nvalid) - 1u));
        const __m512 init = j->bias ? _mm512_maskz_loadu_ps(bm, j->bias + oc) : _mm512_setzero_ps();
        const float *wob = j->w + ((size_t)g * j->OB + ob) * j->Cg * taps * 16;
        for (int c0 = 0; c0 < j->Cg; c0 += j->cb) {
            const int cn = j->Cg - c0 < j->cb ? j->Cg - c0 : j->cb;
            const int last = c0 + cn == j->Cg;
            const float *w = wob + (size_t)c0 * taps * 16;
            for (int r = 0; r < R; r++) {
                const float *xrow = xin + (size_t)c0 * cs + (size_t)r * j->sy * rs;
                float *orow = j->out + ((size_t)n * j->O + oc) * plane + (size_t)(y0 + r) * j->Wo;
                int x0 = 0;
                for (int b = 0; b < nblk; b++) {
                    const int left = j->Wo - x0, P = (left + (nblk - b) - 1) / (nblk - b);
                    const float *xb = xrow + (size_t)x0 * j->sx;
                    float *pp = part + ((size_t)r * j->Wo + x0) * 16;
                    const float *acc_in = c0 ? pp : NULL;
                    if (j->sx == 1)
                        block_s1(P, 1, xb, cs, rs, w, cn, j->kh, j->kw, j->dy, j->dx, init, acc_in, pp);
                    else if (j->sx == 2)
                        block_s2(P, 2, xb, cs, rs, w, cn, j->kh, j->kw, j->dy, j->dx, init, acc_in, pp);
                    else
                        block_any(P, j->sx, xb, cs, rs, w, cn, j->kh, j->kw, j->dy, j->dx, init, acc_in, pp);
                    if (last) store_block(pp, P, orow + x0, plane, nvalid);
                    x0 += P;
                }
            }
        }
    }
    return 0;
}
#endif /* EC_HAVE_KERNEL */

/* ---- thread pool --------------------------------------------------------------------------- */
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;  /* one job at a time */
static pthread_mutex_t wake_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cv = PTHREAD_COND_INITIALIZER;
static int pool_started;                 /* workers created so far */
static _Atomic long pool_gen;            /* bumped for every job */
static conv_job *_Atomic pool_job;       /* the current job, NULL between jobs */
static _Atomic int pool_busy;            /* workers that may be touching pool_job */
static _Atomic int pool_error;
static _Atomic int pool_sleepers;

/* Work on a job until nothing is left to hand out: first the weight blocks to pack, then
 * (once every claimed block is packed) the output items. Anyone can take any piece, so a
 * worker that wakes late finds less to do, never something to wait for. */
static int drain(conv_job *j)
{
#if EC_HAVE_KERNEL
    long i;
    while ((i = atomic_fetch_add(&j->next_pack, 1)) < j->npack) {
        pack_block(j, i);
        atomic_fetch_add(&j->packed, 1);
    }
    while (atomic_load(&j->packed) < j->npack) sched_yield();
    while ((i = atomic_fetch_add(&j->next, 1)) < j->items) {
        int err = run_item(j, i);
        if (err) return err;
    }
#else
    (void)j;
#endif
    return 0;
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec * 1e-3;
}

static void *pool_worker(void *arg)
{
    (void)arg;
    long seen = atomic_load(&pool_gen);
    for (;;) {
        /* Wait for a new job: spin (yielding the core to anyone runnable), then sleep. */
        const double until = now_us() + EC_SPIN_US;
        while (atomic_load(&pool_gen) == seen) {
            if (now_us() < until) {
                sched_yield();
                continue;
            }
            pthread_mutex_lock(&wake_mu);
            atomic_fetch_add(&pool_sleepers, 1);
            while (atomic_load(&pool_gen) == seen) pthread_cond_wait(&wake_cv, &wake_mu);
            atomic_fetch_sub(&pool_sleepers, 1);
            pthread_mutex_unlock(&wake_mu);
        }
        seen = atomic_load(&pool_gen);
        atomic_fetch_add(&pool_busy, 1);
        conv_job *j = atomic_load(&pool_job);
        if (j) {
            int err = drain(j);
            if (err) atomic_store(&pool_error, err);
        }
        atomic_fetch_sub(&pool_busy, 1);
    }
    return NULL;
}

static void pool_after_fork(void)
{
    /* Threads do not survive fork(): the child starts with an empty pool. */
    pthread_mutex_init(&pool_mu, NULL);
    pthread_mutex_init(&wake_mu, NULL);
    pthread_cond_init(&wake_cv, NULL);
    pool_started = 0;
    atomic_store(&pool_job, NULL);
    atomic_store(&pool_busy, 0);
    atomic_store(&pool_sleepers, 0);
}

static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static void fork_init(void) { pthread_atfork(NULL, NULL, pool_after_fork); }

/* Run the job on the calling thread and up to nthreads - 1 pool workers. */
static int run_job(conv_job *j, int nthreads)
{
    pthread_once(&fork_once, fork_init);
    if (nthreads > j->items) nthreads = (int)j->items;
    if (nthreads <= 1 || pthread_mutex_trylock(&pool_mu) != 0) return drain(j);  /* busy: go alone */
    if (nthreads > EC_MAX_THREADS) nthreads = EC_MAX_THREADS;
    while (pool_started < nthreads - 1) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&t, &attr, pool_worker, NULL);
        pthread_attr_destroy(&attr);
        if (rc != 0) break;
        pool_started++;
    }
    atomic_store(&pool_error, 0);
    atomic_store(&pool_job, j);
    atomic_fetch_add(&pool_gen, 1);
    if (atomic_load(&pool_sleepers) > 0) {
        pthread_mutex_lock(&wake_mu);
        pthread_cond_broadcast(&wake_cv);
        pthread_mutex_unlock(&wake_mu);
    }
    int err = drain(j);
    atomic_store(&pool_job, NULL);
    while (atomic_load(&pool_busy) > 0) sched_yield();  /* workers finishing their last item */
    if (!err) err = atomic_load(&pool_error);
    pthread_mutex_unlock(&pool_mu);
    return err;
}

/* ---- entry points -------------------------------------------------------------------------- */
int ec_supported(void)
{
#if EC_HAVE_KERNEL
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

/*
 * out = conv2d(x, weight, bias) padded by mode (EC_ZEROS, EC_CIRCULAR, EC_REFLECT, EC_REPLICATE;
 * top and left given, the output size implies the rest), as PyTorch defines it. x (N, C, H, W), weight (O, C/G, kh, kw), out (N, O, Ho, Wo), all
 * C-contiguous float32. Returns 0, EINVAL for arguments out of range, ENOMEM, or ENOSYS where
 * the CPU lacks AVX-512.
 */
int ec_conv2d_f32(const float *x, const float *weight, const float *bias, float *out, int N, int C, int H,
                  int W, int O, int G, int kh, int kw, int sy, int sx, int dy, int dx, int top, int left,
                  int mode, int Ho, int Wo, int nthreads)
{
#if EC_HAVE_KERNEL
    if (!ec_supported()) return ENOSYS;
    if (N < 1 || C < 1 || H < 1 || W < 1 || O < 1 || G < 1 || C % G || O % G || kh < 1 || kw < 1 || sy < 1 ||
        sx < 1 || dy < 1 || dx < 1 || top < 0 || left < 0 || Ho < 1 || Wo < 1 || mode < EC_ZEROS ||
        mode > EC_REPLICATE)
        return EINVAL;
    conv_job j;
    memset(&j, 0, sizeof(j));
    j.x = x; j.bias = bias; j.out = out;
    j.N = N; j.C = C; j.H = H; j.W = W; j.O = O; j.G = G; j.kh = kh; j.kw = kw;
    j.sy = sy; j.sx = sx; j.dy = dy; j.dx = dx; j.top = top; j.left = left; j.Ho = Ho; j.Wo = Wo;
    j.mode = mode;
    j.Cg = C / G; j.Og = O / G; j.OB = (j.Og + 15) / 16;
    j.Wn = (Wo - 1) * sx + (kw - 1) * dx + 1;
    j.ws = (j.Wn + 15) & ~15;
    const int hn = (Ho - 1) * sy + (kh - 1) * dy + 1;   /* padded rows the whole output reads */
    if (j.Wn > left + W + 4096 || hn > top + H + 4096) return EINVAL;  /* absurd padding */
    j.direct = top == 0 && left == 0 && j.Wn <= W && hn <= H;
    j.xvec = sx == 1 && j.Og < EC_XVEC_MAX_OG;
    j.weight = weight;
    const int taps = kh * kw;

    /* Output blocks per item: all of them unless their weights outgrow a share of L2. */
    const size_t ob_bytes = (size_t)j.Cg * taps * 16 * sizeof(float);
    j.obg = (int)((512u << 10) / ob_bytes);
    if (j.obg < 1) j.obg = 1;
    if (j.obg > j.OB || j.xvec) j.obg = j.OB;
    const int groups_of_blocks = (j.OB + j.obg - 1) / j.obg;
    j.obg = (j.OB + groups_of_blocks - 1) / groups_of_blocks;

    /* Rows per item: enough items to balance the threads, scratch within L2. */
    if (nthreads < 1) nthreads = 1;
    long want = 8L * nthreads;
    long per_image = (long)N * G * groups_of_blocks;
    int rows = (int)(per_image * Ho / want);
    if (rows < 1) rows = 1;
    if (rows > Ho) rows = Ho;
    if (rows > 16) rows = 16;
    while (rows > 1 && (size_t)j.Cg * ((rows - 1) * sy + (kh - 1) * dy + 1) * j.ws * 4 > (512u << 10)) rows--;
    const int nchunks = (Ho + rows - 1) / rows;
    rows = (Ho + nchunks - 1) / nchunks;   /* equal chunks: no long item at the end */
    j.rows = rows;
    j.in_rows = (rows - 1) * sy + (kh - 1) * dy + 1;
    int cb = 16384 / (taps * 64);          /* 16 KiB of weights per pass */
    if (cb < 1) cb = 1;
    const int passes = (j.Cg + cb - 1) / cb;
    j.cb = (j.Cg + passes - 1) / passes;
    j.scratch_floats = j.xvec ? 0 : (size_t)rows * Wo * 16;
    if (!j.direct) j.scratch_floats += (size_t)j.Cg * j.in_rows * j.ws;
    j.items = per_image * ((Ho + rows - 1) / rows);

    atomic_store(&j.next, 0);
    if (j.xvec) return run_job(&j, nthreads);  /* reads the weights as given */

    /* Weights to (G, OB, Cg, kh, kw, 16), output channels padded with zeros to 16. */
    if ((size_t)j.Cg * taps * 16 > (size_t)1 << 30) return EINVAL;  /* gather indices are int32 */
    float *packed = scratch_get(1, (size_t)G * j.OB * j.Cg * taps * 16);
    if (!packed) return ENOMEM;
    j.w = packed;
    j.npack = (long)G * j.OB;   /* packed by the threads, as the first part of the job */
    return run_job(&j, nthreads);
#else
    (void)x; (void)weight; (void)bias; (void)out; (void)N; (void)C; (void)H; (void)W; (void)O; (void)G;
    (void)kh; (void)kw; (void)sy; (void)sx; (void)dy; (void)dx; (void)top; (void)left; (void)mode; (void)Ho;
    (void)Wo;
    (void)nthreads;
    return ENOSYS;
#endif
}
