/*
 * Direct float32 and float64 convolution for x86-64 CPUs with AVX-512 or AVX2, called from
 * equicheck/nn/_native.py through ctypes. The kernels themselves are in _kernels_impl.h,
 * included here once per (element type, instruction set); this file holds what they share:
 * the job, the blocking choices, per-thread scratch, padding indices, the thread pool and the
 * entry points.
 *
 * Why C: a GEMM per kernel tap (the NumPy path) runs products with only C and O (3-64)
 * columns, which OpenBLAS executes at a fraction of the machine's rate; NumPy cannot fuse
 * the layout passes around them. This kernel keeps a block of up to 28 output pixels of one
 * row for 16 output channels (AVX-512 float32) in vector registers and streams the input
 * through broadcast FMAs, the register-blocked direct method of oneDNN-like libraries:
 *
 *     acc[p][0:VL] += W[ob][c][i][j][0:VL] * x[c][y*sy + i*dy][(x0 + p)*sx + j*dx]
 *
 * Work is split over rows of output; each work item copies the input rows it needs (with
 * their padding, any mode) into a per-thread scratch, so no padded copy of the whole input
 * is made and no thread waits for another. Results are transposed in registers (VL pixels x
 * VL channels at a time) and stored straight into the NCHW output.
 *
 * Threads: a small persistent pool. Workers spin briefly (yielding) after a job, then
 * sleep; the calling thread always works too and never waits for a worker to wake up
 * (items are handed out by an atomic counter), so a late worker costs nothing.
 *
 * Each kernel exists for AVX-512 (16 float / 8 double lanes, 28-pixel blocks) and for AVX2 with
 * FMA (8 / 4 lanes, 14-pixel blocks); ec_isa() says which the CPU has. Elsewhere (other CPUs
 * or compilers) it returns 0 and Python uses NumPy.
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

#define EC_MAX_THREADS 64
#define EC_XVEC_MAX_OG 5  /* below this many output channels per group, vectorise over columns */
#define EC_SPIN_US 500.0 /* how long an idle worker polls (yielding) before it sleeps */

typedef struct conv_job conv_job;
struct conv_job {
    const void *x;      /* input (N, C, H, W), C-contiguous */
    const void *w;      /* packed weights (G, OB, Cg, kh, kw, VL), zero-padded channels */
    const void *weight; /* the weights as given (O, Cg, kh, kw) */
    const void *bias;   /* (O,) or NULL */
    void *out;          /* output (N, O, Ho, Wo), C-contiguous */
    int N, C, H, W, O, G, kh, kw, sy, sx, dy, dx, top, left, Ho, Wo;
    int Cg, Og, OB;     /* channels per group, VL-channel output blocks per group */
    int rows;           /* output rows per work item */
    int cb;             /* input channels per pass (their weights stay in L1) */
    int obg;            /* output blocks per work item (their weights stay in L2) */
    int in_rows, Wn;    /* input rows / columns one item reads (padded coordinates) */
    int ws;             /* row stride of the gathered rows: Wn rounded up to VL */
    int mode;           /* padding: EC_ZEROS, EC_CIRCULAR, EC_REFLECT or EC_REPLICATE */
    int direct;         /* 1: read x in place (no padding needed) */
    int prepad;         /* 1: read the input padded once into `padded` (hp rows of ws) */
    int hp;
    void *padded;
    int xvec;           /* 1: vectorise over output columns (few output channels per group) */
    long items;
    size_t scratch_bytes; /* per thread: gathered input rows, then partial sums */
    _Atomic long next;  /* next item to hand out */
    long npack;         /* weight blocks to pack before any item runs */
    long npad;          /* (image, group) planes to pad before any item runs, if prepad */
    _Atomic long next_pack, packed;
    int (*run_item)(const conv_job *, long);     /* the kernels of the type and ISA */
    void (*pack_block)(const conv_job *, long);
    void (*pad_image)(const conv_job *, long);
};

/* ------------------------------------------------------------------------------------------- */
/* Padding modes, as PyTorch's padding_mode: where an index outside [0, n) reads from. */
enum { EC_ZEROS = 0, EC_CIRCULAR = 1, EC_REFLECT = 2, EC_REPLICATE = 3 };

#if EC_HAVE_KERNEL
#define EC_TARGET_512 __attribute__((target("avx512f,fma")))
#define EC_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define EC_INLINE static inline __attribute__((always_inline))

/* r[q][l] -> r[l][q] for a 16 x 16 block of floats. */
EC_INLINE EC_TARGET_512 void transpose16_ps(__m512 r[16])
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

/* r[q][l] -> r[l][q] for an 8 x 8 block of doubles. */
EC_INLINE EC_TARGET_512 void transpose8_pd(__m512d r[8])
{
    __m512d t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm512_unpacklo_pd(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_pd(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
        u[4 * i + 0] = _mm512_shuffle_f64x2(t[4 * i], t[4 * i + 2], 0x88);
        u[4 * i + 1] = _mm512_shuffle_f64x2(t[4 * i + 1], t[4 * i + 3], 0x88);
        u[4 * i + 2] = _mm512_shuffle_f64x2(t[4 * i], t[4 * i + 2], 0xDD);
        u[4 * i + 3] = _mm512_shuffle_f64x2(t[4 * i + 1], t[4 * i + 3], 0xDD);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f64x2(u[i], u[4 + i], 0x88);
        r[4 + i] = _mm512_shuffle_f64x2(u[i], u[4 + i], 0xDD);
    }
}

/* Per-thread scratch buffers, grown on demand and kept (no allocation, so no fresh pages to
 * fault in, on every call); freed when the thread ends. Slot 0: an item's gathered input rows
 * and partial sums; slots 1 and 2: the packed weights and the padded input of the call being
 * made on this thread. */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
typedef struct { void *data[3]; size_t cap[3]; } scratch_t;

static void scratch_free(void *p)
{
    scratch_t *s = p;
    if (s) { free(s->data[0]); free(s->data[1]); free(s->data[2]); free(s); }
}

static void scratch_init(void) { pthread_key_create(&scratch_key, scratch_free); }

static void *scratch_get(int slot, size_t bytes)
{
    pthread_once(&scratch_once, scratch_init);
    scratch_t *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s) return NULL;
        pthread_setspecific(scratch_key, s);
    }
#ifdef EC_EXACT_SCRATCH
    /* checking builds (-DEC_EXACT_SCRATCH -fsanitize=address): exactly the bytes asked for, so
     * that a write past them is caught instead of landing in spare capacity */
    if (s->cap[slot] != bytes) {
#else
    if (s->cap[slot] < bytes) {
#endif
        void *p = NULL;
        if (posix_memalign(&p, 64, bytes) != 0) return NULL;
        free(s->data[slot]);
        s->data[slot] = p;
        s->cap[slot] = bytes;
    }
    return s->data[slot];
}

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

/* r[q][l] -> r[l][q] for 8 x 8 floats and 4 x 4 doubles in AVX2 registers. */
EC_INLINE EC_TARGET_AVX2 void transpose8_ps_avx2(__m256 r[8])
{
    __m256 t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
        u[4 * i + 0] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x20);
        r[4 + i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x31);
    }
}

EC_INLINE EC_TARGET_AVX2 void transpose4_pd_avx2(__m256d r[4])
{
    const __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
    const __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
    r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

/* ---- the kernels, once per (element type, instruction set): _kernels_impl.h ---------------- */
/* AVX-512: 32 vector registers, 28 of them accumulators; masks are k-registers. */
#define EC_TARGET EC_TARGET_512
#define EC_PMAX 28
#define EC_LANE16 _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define EC_LANES(n) ((EC_MASK)((n) >= EC_VL ? (1u << EC_VL) - 1u : (n) <= 0 ? 0u : (1u << (n)) - 1u))
#define EC_RANGE(first, limit)                                                                             \
    ((EC_MASK)(_mm512_cmpge_epi32_mask(_mm512_add_epi32(EC_LANE16, _mm512_set1_epi32(first)),             \
                                       _mm512_setzero_si512()) &                                          \
               _mm512_cmplt_epi32_mask(_mm512_add_epi32(EC_LANE16, _mm512_set1_epi32(first)),             \
                                       _mm512_set1_epi32(limit))))
#define EC_OP(name) _mm512_##name##_ps
#define EC_MASKZ_LOADU(m, p) _mm512_maskz_loadu_ps(m, p)
#define EC_MASK_STOREU(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#define EC_T float
#define EC_V __m512
#define EC_VL 16
#define EC_MASK __mmask16
#define EC_NAME(name) name##_f32_512
#define EC_TRANSPOSE transpose16_ps
#define EC_GATHER(m, stride, addr)                                                                         \
    _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, _mm512_mullo_epi32(EC_LANE16, _mm512_set1_epi32(stride)), \
                             addr, 4)
#include "_kernels_impl.h"
#undef EC_OP
#undef EC_MASKZ_LOADU
#undef EC_MASK_STOREU
#undef EC_T
#undef EC_V
#undef EC_VL
#undef EC_MASK
#undef EC_NAME
#undef EC_TRANSPOSE
#undef EC_GATHER

#define EC_OP(name) _mm512_##name##_pd
#define EC_MASKZ_LOADU(m, p) _mm512_maskz_loadu_pd(m, p)
#define EC_MASK_STOREU(p, m, v) _mm512_mask_storeu_pd(p, m, v)
#define EC_T double
#define EC_V __m512d
#define EC_VL 8
#define EC_MASK __mmask8
#define EC_NAME(name) name##_f64_512
#define EC_TRANSPOSE transpose8_pd
#define EC_GATHER(m, stride, addr)                                                                         \
    _mm512_mask_i32gather_pd(_mm512_setzero_pd(), m,                                                     \
                             _mm256_mullo_epi32(_mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0),               \
                                                _mm256_set1_epi32(stride)),                             \
                             addr, 8)
#include "_kernels_impl.h"
#undef EC_OP
#undef EC_MASKZ_LOADU
#undef EC_MASK_STOREU
#undef EC_T
#undef EC_V
#undef EC_VL
#undef EC_MASK
#undef EC_NAME
#undef EC_TRANSPOSE
#undef EC_GATHER
#undef EC_TARGET
#undef EC_PMAX
#undef EC_LANES
#undef EC_RANGE

/* AVX2: 16 vector registers, 14 of them accumulators (plus the weight and a broadcast);
 * masks are vectors whose lanes are all ones or all zeros. */
#define EC_TARGET EC_TARGET_AVX2
#define EC_PMAX 14
#define EC_LANE8 _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0)
#define EC_LANE4 _mm256_set_epi64x(3, 2, 1, 0)
#define EC_OP(name) _mm256_##name##_ps
#define EC_MASKZ_LOADU(m, p) _mm256_maskload_ps(p, m)
#define EC_MASK_STOREU(p, m, v) _mm256_maskstore_ps(p, m, v)
#define EC_LANES(n) _mm256_cmpgt_epi32(_mm256_set1_epi32(n), EC_LANE8)
#define EC_RANGE(first, limit)                                                                             \
    _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(-(first)), EC_LANE8),                        \
                        _mm256_cmpgt_epi32(_mm256_set1_epi32((limit) - (first)), EC_LANE8))
#define EC_T float
#define EC_V __m256
#define EC_VL 8
#define EC_MASK __m256i
#define EC_NAME(name) name##_f32_avx2
#define EC_TRANSPOSE transpose8_ps_avx2
#define EC_GATHER(m, stride, addr)                                                                         \
    _mm256_mask_i32gather_ps(_mm256_setzero_ps(), addr, _mm256_mullo_epi32(EC_LANE8, _mm256_set1_epi32(stride)), \
                             _mm256_castsi256_ps(m), 4)
#include "_kernels_impl.h"
#undef EC_OP
#undef EC_MASKZ_LOADU
#undef EC_MASK_STOREU
#undef EC_LANES
#undef EC_RANGE
#undef EC_T
#undef EC_V
#undef EC_VL
#undef EC_MASK
#undef EC_NAME
#undef EC_TRANSPOSE
#undef EC_GATHER

#define EC_OP(name) _mm256_##name##_pd
#define EC_MASKZ_LOADU(m, p) _mm256_maskload_pd(p, m)
#define EC_MASK_STOREU(p, m, v) _mm256_maskstore_pd(p, m, v)
#define EC_LANES(n) _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), EC_LANE4)
#define EC_RANGE(first, limit)                                                                             \
    _mm256_andnot_si256(_mm256_cmpgt_epi64(_mm256_set1_epi64x(-(first)), EC_LANE4),                       \
                        _mm256_cmpgt_epi64(_mm256_set1_epi64x((limit) - (first)), EC_LANE4))
#define EC_T double
#define EC_V __m256d
#define EC_VL 4
#define EC_MASK __m256i
#define EC_NAME(name) name##_f64_avx2
#define EC_TRANSPOSE transpose4_pd_avx2
#define EC_GATHER(m, stride, addr)                                                                         \
    _mm256_mask_i32gather_pd(_mm256_setzero_pd(), addr,                                                  \
                             _mm_mullo_epi32(_mm_set_epi32(3, 2, 1, 0), _mm_set1_epi32(stride)),        \
                             _mm256_castsi256_pd(m), 8)
#include "_kernels_impl.h"
#undef EC_OP
#undef EC_MASKZ_LOADU
#undef EC_MASK_STOREU
#undef EC_LANES
#undef EC_RANGE
#undef EC_T
#undef EC_V
#undef EC_VL
#undef EC_MASK
#undef EC_NAME
#undef EC_TRANSPOSE
#undef EC_GATHER
#undef EC_TARGET
#undef EC_PMAX
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

/* Work on a job until nothing is left to hand out: first the weight blocks to pack and the
 * input planes to pad, then (once every claimed one is done) the output items. Anyone can take any piece, so a
 * worker that wakes late finds less to do, never something to wait for. */
static int drain(conv_job *j)
{
#if EC_HAVE_KERNEL
    long i;
    const long before = j->npack + j->npad;
    while ((i = atomic_fetch_add(&j->next_pack, 1)) < before) {
        if (i < j->npack)
            j->pack_block(j, i);
        else
            j->pad_image(j, i - j->npack);
        atomic_fetch_add(&j->packed, 1);
    }
    while (atomic_load(&j->packed) < before) sched_yield();
    while ((i = atomic_fetch_add(&j->next, 1)) < j->items) {
        int err = j->run_item(j, i);
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
/* The best instruction set the kernels have for this CPU (and OS): 2 AVX-512, 1 AVX2, 0 none. */
int ec_isa(void)
{
#if EC_HAVE_KERNEL
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("fma")) return 0;
    if (__builtin_cpu_supports("avx512f")) return 2;
    return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

/*
 * out = conv2d(x, weight, bias) padded by mode (EC_ZEROS, EC_CIRCULAR, EC_REFLECT, EC_REPLICATE;
 * top and left given, the output size implies the rest), as PyTorch defines it. x (N, C, H, W),
 * weight (O, C/G, kh, kw), out (N, O, Ho, Wo), all C-contiguous, of the entry point's type.
 * isa: 0 the best this CPU has, 2 AVX-512, 1 AVX2. Returns 0, EINVAL for arguments out of range,
 * ENOMEM, or ENOSYS where the CPU lacks the instruction set.
 */
static int conv2d_entry(int f64, int isa, const void *x, const void *weight, const void *bias, void *out, int N,
                        int C, int H, int W, int O, int G, int kh, int kw, int sy, int sx, int dy, int dx, int top,
                        int left, int mode, int Ho, int Wo, int nthreads)
{
#if EC_HAVE_KERNEL
    const int best = ec_isa();
    if (isa == 0) isa = best;
    if (isa < 1 || isa > best) return ENOSYS;
    if (N < 1 || C < 1 || H < 1 || W < 1 || O < 1 || G < 1 || C % G || O % G || kh < 1 || kw < 1 || sy < 1 ||
        sx < 1 || dy < 1 || dx < 1 || top < 0 || left < 0 || Ho < 1 || Wo < 1 || mode < EC_ZEROS ||
        mode > EC_REPLICATE)
        return EINVAL;
    const size_t vb = isa == 2 ? 64 : 32;         /* bytes of a vector */
    const size_t elem = f64 ? sizeof(double) : sizeof(float);
    const int vl = (int)(vb / elem);              /* its lanes */
    conv_job j;
    memset(&j, 0, sizeof(j));
    j.x = x; j.weight = weight; j.bias = bias; j.out = out;
    if (isa == 2) {
        j.run_item = f64 ? run_item_f64_512 : run_item_f32_512;
        j.pack_block = f64 ? pack_block_f64_512 : pack_block_f32_512;
        j.pad_image = f64 ? pad_image_f64_512 : pad_image_f32_512;
    } else {
        j.run_item = f64 ? run_item_f64_avx2 : run_item_f32_avx2;
        j.pack_block = f64 ? pack_block_f64_avx2 : pack_block_f32_avx2;
        j.pad_image = f64 ? pad_image_f64_avx2 : pad_image_f32_avx2;
    }
    j.N = N; j.C = C; j.H = H; j.W = W; j.O = O; j.G = G; j.kh = kh; j.kw = kw;
    j.sy = sy; j.sx = sx; j.dy = dy; j.dx = dx; j.top = top; j.left = left; j.Ho = Ho; j.Wo = Wo;
    j.mode = mode;
    j.Cg = C / G; j.Og = O / G; j.OB = (j.Og + vl - 1) / vl;
    j.Wn = (Wo - 1) * sx + (kw - 1) * dx + 1;
    j.ws = (j.Wn + vl - 1) / vl * vl;
    const int hn = (Ho - 1) * sy + (kh - 1) * dy + 1;   /* padded rows the whole output reads */
    if (j.Wn > left + W + 4096 || hn > top + H + 4096) return EINVAL;  /* absurd padding */
    j.direct = top == 0 && left == 0 && j.Wn <= W && hn <= H;
    j.xvec = sx == 1 && j.Og < EC_XVEC_MAX_OG;
    const int taps = kh * kw;

    /* Output blocks per item: all of them unless their weights outgrow a share of L2. */
    const size_t ob_bytes = (size_t)j.Cg * taps * vb;
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
    while (rows > 1 && (size_t)j.Cg * ((rows - 1) * sy + (kh - 1) * dy + 1) * j.ws * elem > (512u << 10)) rows--;
    const int nchunks = (Ho + rows - 1) / rows;
    rows = (Ho + nchunks - 1) / nchunks;   /* equal chunks: no long item at the end */
    j.rows = rows;
    j.in_rows = (rows - 1) * sy + (kh - 1) * dy + 1;
    int cb = (int)(16384 / (taps * vb));   /* 16 KiB of weights per pass */
    if (cb < 1) cb = 1;
    const int passes = (j.Cg + cb - 1) / cb;
    j.cb = (j.Cg + passes - 1) / passes;
    /* Several groups of output blocks per image would each copy the same input rows: pad
     * the input once instead (as part of the job, on all threads). */
    j.prepad = !j.direct && !j.xvec && groups_of_blocks > 1;
    j.scratch_bytes = j.xvec ? 0 : (size_t)rows * Wo * vb;
    if (!j.direct && !j.prepad) j.scratch_bytes += (size_t)j.Cg * j.in_rows * j.ws * elem;
    j.items = per_image * ((Ho + rows - 1) / rows);
    if (j.prepad) {
        j.hp = hn;
        j.padded = scratch_get(2, (size_t)N * C * hn * j.ws * elem);
        if (!j.padded) return ENOMEM;
        j.npad = (long)N * G;
    }

    atomic_store(&j.next, 0);
    if (j.xvec) return run_job(&j, nthreads);  /* reads the weights as given */

    /* Weights to (G, OB, Cg, kh, kw, VL), output channels padded with zeros to VL. */
    if ((size_t)j.Cg * taps * vl > (size_t)1 << 30) return EINVAL;  /* gather indices are int32 */
    void *packed = scratch_get(1, (size_t)G * j.OB * j.Cg * taps * vb);
    if (!packed) return ENOMEM;
    j.w = packed;
    j.npack = (long)G * j.OB;   /* packed by the threads, as the first part of the job */
    return run_job(&j, nthreads);
#else
    (void)f64; (void)isa; (void)x; (void)weight; (void)bias; (void)out; (void)N; (void)C; (void)H; (void)W; (void)O;
    (void)G; (void)kh; (void)kw; (void)sy; (void)sx; (void)dy; (void)dx; (void)top; (void)left; (void)mode;
    (void)Ho; (void)Wo; (void)nthreads;
    return ENOSYS;
#endif
}

int ec_conv2d_f32(const float *x, const float *weight, const float *bias, float *out, int N, int C, int H,
                  int W, int O, int G, int kh, int kw, int sy, int sx, int dy, int dx, int top, int left,
                  int mode, int Ho, int Wo, int nthreads, int isa)
{
    return conv2d_entry(0, isa, x, weight, bias, out, N, C, H, W, O, G, kh, kw, sy, sx, dy, dx, top, left, mode, Ho,
                        Wo, nthreads);
}

int ec_conv2d_f64(const double *x, const double *weight, const double *bias, double *out, int N, int C, int H,
                  int W, int O, int G, int kh, int kw, int sy, int sx, int dy, int dx, int top, int left,
                  int mode, int Ho, int Wo, int nthreads, int isa)
{
    return conv2d_entry(1, isa, x, weight, bias, out, N, C, H, W, O, G, kh, kw, sy, sx, dy, dx, top, left, mode, Ho,
                        Wo, nthreads);
}
