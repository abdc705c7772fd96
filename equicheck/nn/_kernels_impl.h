/*
 * The convolution kernels for one element type and instruction set, included by _kernels.c
 * once per (type, ISA) with (see there): EC_TARGET (the ISA's function attribute), EC_PMAX
 * (pixels per register block), EC_T (float / double), EC_V (its vector), EC_VL (lanes),
 * EC_MASK (a lane mask), EC_OP(name) (the intrinsic <prefix>_<name>_ps / _pd for load, loadu,
 * store, setzero, set1, fmadd), EC_LANES(n) (mask of the first n lanes), EC_RANGE(first, limit)
 * (mask of lanes l with 0 <= first + l < limit), EC_MASKZ_LOADU(mask, p), EC_MASK_STOREU(p,
 * mask, v), EC_TRANSPOSE (VL x VL in registers), EC_GATHER(mask, stride, address) (one masked
 * gather of VL weights) and EC_NAME(name) (name with the type's and ISA's suffix).
 *
 * The cache blocking chosen in _kernels.c is in bytes, so it holds for every vector width.
 */

#if EC_PMAX > 14
#define EC_CASES_HI(SX, KW)                                                                                \
    case 15: EC_K(15, SX, KW, EC_ARGS); break; case 16: EC_K(16, SX, KW, EC_ARGS); break;                  \
    case 17: EC_K(17, SX, KW, EC_ARGS); break; case 18: EC_K(18, SX, KW, EC_ARGS); break;                  \
    case 19: EC_K(19, SX, KW, EC_ARGS); break; case 20: EC_K(20, SX, KW, EC_ARGS); break;                  \
    case 21: EC_K(21, SX, KW, EC_ARGS); break; case 22: EC_K(22, SX, KW, EC_ARGS); break;                  \
    case 23: EC_K(23, SX, KW, EC_ARGS); break; case 24: EC_K(24, SX, KW, EC_ARGS); break;                  \
    case 25: EC_K(25, SX, KW, EC_ARGS); break; case 26: EC_K(26, SX, KW, EC_ARGS); break;                  \
    case 27: EC_K(27, SX, KW, EC_ARGS); break;
#else
#define EC_CASES_HI(SX, KW)
#endif

/* acc[p] = init (or acc_in[p]) + the sum over Cg channels and the taps; then stored to
 * tmp[p][0:VL], for p = rb*P + q: RB output rows (rstep apart in the input) of P pixels.
 * P, RB, SX and KW are compile-time constants in every instantiation (SX == 0: use sxr;
 * KW == 0: use kwr), so the broadcast addresses are constant offsets, the tap loop unrolls
 * and the accumulators stay in registers. */
EC_INLINE EC_TARGET void EC_NAME(kernel_block)(const int P, const int RB, const int SX, const int KW, int sxr,
                                                size_t rstep, const EC_T *xin, size_t cs, size_t rs,
                                                const EC_T *w, int Cg, int kh, int kwr, int dy, int dx, EC_V init,
                                                const EC_T *acc_in, EC_T *tmp)
{
    const int s = SX ? SX : sxr;
    const int kw = KW ? KW : kwr;
    const int n = P * RB;
    EC_V acc[EC_PMAX];
    if (acc_in) {
#pragma GCC unroll 28
        for (int p = 0; p < n; p++) acc[p] = EC_OP(load)(acc_in + EC_VL * p);
    } else {
#pragma GCC unroll 28
        for (int p = 0; p < n; p++) acc[p] = init;
    }
    for (int c = 0; c < Cg; c++) {
        const EC_T *xc = xin + (size_t)c * cs;
        for (int i = 0; i < kh; i++) {
            const EC_T *xr = xc + (size_t)i * dy * rs;
#pragma GCC unroll 8
            for (int j = 0; j < kw; j++) {
                const EC_T *xs = xr + (size_t)j * dx;
                const EC_V v = EC_OP(loadu)(w);
                w += EC_VL;
#pragma GCC unroll 4
                for (int rb = 0; rb < RB; rb++) {
                    const EC_T *xq = xs + rb * rstep;
#pragma GCC unroll 28
                    for (int q = 0; q < P; q++)
                        acc[rb * P + q] = EC_OP(fmadd)(v, EC_OP(set1)(xq[q * s]), acc[rb * P + q]);
                }
            }
        }
    }
#pragma GCC unroll 28
    for (int p = 0; p < n; p++) EC_OP(store)(tmp + EC_VL * p, acc[p]);
}

/* Short rows (7 or 14 output columns, column stride 1, 3-wide kernels: the small grids of
 * deep layers) would leave most accumulators idle, so whole rows are stacked into one block:
 * how many rows per block for a row of Q pixels (1: not stacked). */
static int EC_NAME(rows_per_block)(int Q)
{
#if EC_PMAX >= 28
    if (Q == 14) return 2;
    if (Q == 7) return 4;
#else
    if (Q == 7) return 2;
#endif
    return 1;
}

static EC_TARGET void EC_NAME(block_rows)(int Q, int RB, size_t rstep, const EC_T *xin, size_t cs, size_t rs,
                                          const EC_T *w, int Cg, int kh, int dy, int dx, EC_V init,
                                          const EC_T *acc_in, EC_T *tmp)
{
#define EC_ROWS(QQ, RR) EC_NAME(kernel_block)(QQ, RR, 1, 3, 1, rstep, xin, cs, rs, w, Cg, kh, 3, dy, dx, init, acc_in, tmp)
#if EC_PMAX >= 28
    if (Q == 14) {
        EC_ROWS(14, 2);
    } else if (RB == 4) {
        EC_ROWS(7, 4);
    } else if (RB == 3) {
        EC_ROWS(7, 3);
    } else {
        EC_ROWS(7, 2);
    }
#else
    (void)Q;
    (void)RB;
    EC_ROWS(7, 2);
#endif
#undef EC_ROWS
}

#define EC_ARGS xin, cs, rs, w, Cg, kh, kw, dy, dx, init, acc_in, tmp
#define EC_K(P, SX, KW, ...) EC_NAME(kernel_block)(P, 1, SX, KW, sxr, 0, __VA_ARGS__)
#define EC_CASES(SX, KW)                                                                                   \
    switch (P) {                                                                                           \
    case 1: EC_K(1, SX, KW, EC_ARGS); break;   case 2: EC_K(2, SX, KW, EC_ARGS); break;                    \
    case 3: EC_K(3, SX, KW, EC_ARGS); break;   case 4: EC_K(4, SX, KW, EC_ARGS); break;                    \
    case 5: EC_K(5, SX, KW, EC_ARGS); break;   case 6: EC_K(6, SX, KW, EC_ARGS); break;                    \
    case 7: EC_K(7, SX, KW, EC_ARGS); break;   case 8: EC_K(8, SX, KW, EC_ARGS); break;                    \
    case 9: EC_K(9, SX, KW, EC_ARGS); break;   case 10: EC_K(10, SX, KW, EC_ARGS); break;                  \
    case 11: EC_K(11, SX, KW, EC_ARGS); break; case 12: EC_K(12, SX, KW, EC_ARGS); break;                  \
    case 13: EC_K(13, SX, KW, EC_ARGS); break; case 14: EC_K(14, SX, KW, EC_ARGS); break;                  \
    EC_CASES_HI(SX, KW)                                                                                    \
    default: EC_K(EC_PMAX, SX, KW, EC_ARGS); break; /* P == EC_PMAX: callers never pass more */            \
    }

/* Column stride 1: the common kernel widths get their tap loop unrolled (measured 1.2-1.3x
 * faster in float32); column stride 2: width 3; other strides: nothing compile-time. */
static EC_TARGET void EC_NAME(block_s1)(int P, int sxr, const EC_T *xin, size_t cs, size_t rs, const EC_T *w,
                                        int Cg, int kh, int kw, int dy, int dx, EC_V init, const EC_T *acc_in,
                                        EC_T *tmp)
{
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

static EC_TARGET void EC_NAME(block_s2)(int P, int sxr, const EC_T *xin, size_t cs, size_t rs, const EC_T *w,
                                        int Cg, int kh, int kw, int dy, int dx, EC_V init, const EC_T *acc_in,
                                        EC_T *tmp)
{
    if (kw == 3) {
        EC_CASES(2, 3)
    } else {
        EC_CASES(2, 0)
    }
}

static EC_TARGET void EC_NAME(block_any)(int P, int sxr, const EC_T *xin, size_t cs, size_t rs, const EC_T *w,
                                         int Cg, int kh, int kw, int dy, int dx, EC_V init, const EC_T *acc_in,
                                         EC_T *tmp)
{
    EC_CASES(0, 0)
}
#undef EC_CASES
#undef EC_CASES_HI
#undef EC_K
#undef EC_ARGS

/* tmp holds P pixels x VL channels; write channel l (< nvalid) to out0 + l*ostride + p. */
static EC_TARGET void EC_NAME(store_block)(const EC_T *tmp, int P, EC_T *out0, size_t ostride, int nvalid)
{
    for (int p0 = 0; p0 < P; p0 += EC_VL) {
        const int np = P - p0 < EC_VL ? P - p0 : EC_VL;
        EC_V r[EC_VL];
        for (int q = 0; q < EC_VL; q++) r[q] = q < np ? EC_OP(load)(tmp + EC_VL * (p0 + q)) : EC_OP(setzero)();
        EC_TRANSPOSE(r);
        const EC_MASK m = EC_LANES(np);
        for (int l = 0; l < nvalid; l++) EC_MASK_STOREU(out0 + (size_t)l * ostride + p0, m, r[l]);
    }
}

/* Block b = g*OB + ob of weight (G*Og, Cg, taps) -> packed (G, OB, Cg, taps, VL), output
 * channels past Og zero: one masked gather per (channel, tap). */
static EC_TARGET void EC_NAME(pack_block)(const conv_job *j, long b)
{
    const int taps = j->kh * j->kw, g = (int)(b / j->OB), ob = (int)(b % j->OB);
    const int nvalid = j->Og - ob * EC_VL < EC_VL ? j->Og - ob * EC_VL : EC_VL;
    const EC_MASK m = EC_LANES(nvalid);
    const EC_T *base = (const EC_T *)j->weight + ((size_t)g * j->Og + (size_t)ob * EC_VL) * j->Cg * taps;
    EC_T *packed = (EC_T *)j->w + (size_t)b * j->Cg * taps * EC_VL;
    for (int k = 0; k < j->Cg * taps; k++, packed += EC_VL)
        EC_OP(store)(packed, EC_GATHER(m, j->Cg * taps, base + k));
}

/* Copy input rows [iy0, iy0 + rows) x columns [-left, Wn - left) of image n, group g, into
 * dst (Cg, rows, ws), padded by the job's mode; ws is Wn rounded up to VL so that every row
 * is whole vectors (masked loads, no per-row library calls: rows can be a few entries). Other
 * modes than zeros then overwrite the few border entries from their source columns. */
static EC_TARGET void EC_NAME(gather_rows)(const conv_job *j, int n, int g, int iy0, int rows, EC_T *dst)
{
    const int ws = j->ws;
    const int limit = j->W < j->Wn - j->left ? j->W : j->Wn - j->left;  /* image columns used */
    for (int c = 0; c < j->Cg; c++) {
        const EC_T *src = (const EC_T *)j->x + ((size_t)n * j->C + (size_t)g * j->Cg + c) * j->H * j->W;
        for (int r = 0; r < rows; r++, dst += ws) {
            int iy = iy0 + r;
            if (iy < 0 || iy >= j->H) {
                if (j->mode == EC_ZEROS) {
                    for (int k = 0; k < ws; k += EC_VL) EC_OP(store)(dst + k, EC_OP(setzero)());
                    continue;
                }
                iy = source_index(iy, j->H, j->mode);
            }
            const EC_T *row = src + (size_t)iy * j->W;
            for (int k = 0; k < ws; k += EC_VL) /* image column of lane l: k + l - left */
                EC_OP(store)(dst + k, EC_MASKZ_LOADU(EC_RANGE(k - j->left, limit), row + (k - j->left)));
            if (j->mode != EC_ZEROS) {
                for (int k = 0; k < j->Wn && k < j->left; k++) dst[k] = row[source_index(k - j->left, j->W, j->mode)];
                for (int k = j->left + j->W; k < j->Wn; k++) dst[k] = row[source_index(k - j->left, j->W, j->mode)];
            }
        }
    }
}

/* Few output channels per group (depthwise, thin groups): vectorising over VL output channels
 * would leave most lanes idle, so vectorise over VL output columns instead (stride 1 along
 * rows), V vectors at a time: acc[v] += w[o][c][i][j] * x[c][y + i*dy][x0 + VL*v + j*dx ..]. */
EC_INLINE EC_TARGET void EC_NAME(xvec_block)(const int V, const EC_T *xr, size_t cs, size_t rs, const EC_T *w,
                                             int Cg, int kh, int kw, int dy, int dx, EC_T b, int cols,
                                             EC_T *orow)
{
    EC_V acc[4];
    EC_MASK m[4];
    for (int v = 0; v < V; v++) {
        m[v] = EC_LANES(cols - EC_VL * v);
        acc[v] = EC_OP(set1)(b);
    }
    for (int c = 0; c < Cg; c++) {
        const EC_T *xc = xr + (size_t)c * cs;
        for (int i = 0; i < kh; i++) {
            const EC_T *xi = xc + (size_t)i * dy * rs;
            for (int jj = 0; jj < kw; jj++) {
                const EC_V wv = EC_OP(set1)(*w++);
                const EC_T *xs = xi + (size_t)jj * dx;
                for (int v = 0; v < V; v++)
                    acc[v] = EC_OP(fmadd)(wv, EC_MASKZ_LOADU(m[v], xs + EC_VL * v), acc[v]);
            }
        }
    }
    for (int v = 0; v < V; v++) EC_MASK_STOREU(orow + EC_VL * v, m[v], acc[v]);
}

static EC_TARGET void EC_NAME(xvec_rows)(const conv_job *j, int n, int g, int y0, int R, const EC_T *xin,
                                         size_t cs, size_t rs)
{
    const int taps = j->kh * j->kw;
    for (int m = 0; m < j->Og; m++) {
        const int o = g * j->Og + m;
        const EC_T *w = (const EC_T *)j->weight + (size_t)o * j->Cg * taps;
        const EC_T b = j->bias ? ((const EC_T *)j->bias)[o] : (EC_T)0;
        for (int r = 0; r < R; r++) {
            const EC_T *xr = xin + (size_t)r * j->sy * rs;
            EC_T *orow = (EC_T *)j->out + (((size_t)n * j->O + o) * j->Ho + y0 + r) * j->Wo;
            for (int x0 = 0; x0 < j->Wo; x0 += 4 * EC_VL) {
                const int cols = j->Wo - x0;
                const EC_T *xb = xr + x0;
                if (cols > 3 * EC_VL)
                    EC_NAME(xvec_block)(4, xb, cs, rs, w, j->Cg, j->kh, j->kw, j->dy, j->dx, b, cols, orow + x0);
                else if (cols > 2 * EC_VL)
                    EC_NAME(xvec_block)(3, xb, cs, rs, w, j->Cg, j->kh, j->kw, j->dy, j->dx, b, cols, orow + x0);
                else if (cols > EC_VL)
                    EC_NAME(xvec_block)(2, xb, cs, rs, w, j->Cg, j->kh, j->kw, j->dy, j->dx, b, cols, orow + x0);
                else
                    EC_NAME(xvec_block)(1, xb, cs, rs, w, j->Cg, j->kh, j->kw, j->dy, j->dx, b, cols, orow + x0);
            }
        }
    }
}

/* Image and group idx = n*G + g of the input, padded once for all work items (when several
 * groups of output blocks would each copy its rows again): (Cg, hp, ws) rows. */
static EC_TARGET void EC_NAME(pad_image)(const conv_job *j, long idx)
{
    const int n = (int)(idx / j->G), g = (int)(idx % j->G);
    EC_NAME(gather_rows)(j, n, g, -j->top, j->hp, (EC_T *)j->padded + (size_t)idx * j->Cg * j->hp * j->ws);
}

static EC_TARGET int EC_NAME(run_item)(const conv_job *j, long item)
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
    const EC_T *xin = NULL;
    size_t cs = 0, rs = 0;
    /* Scratch: the item's gathered input rows, then partial sums of its output (R rows x Wo
     * pixels x VL channels) between passes over the input channels; each pass keeps its
     * weights in L1 across all the rows. */
    EC_T *part = scratch_get(0, j->scratch_bytes ? j->scratch_bytes : 64);
    if (!part) return ENOMEM;
    if (j->direct) {
        xin = (const EC_T *)j->x + (((size_t)n * j->C + (size_t)g * j->Cg) * j->H + (size_t)y0 * j->sy) * j->W;
        cs = (size_t)j->H * j->W;
        rs = j->W;
    } else if (j->prepad) {
        xin = (const EC_T *)j->padded + (((size_t)n * j->G + g) * j->Cg * j->hp + (size_t)y0 * j->sy) * j->ws;
        cs = (size_t)j->hp * j->ws;
        rs = j->ws;
    } else {
        EC_NAME(gather_rows)(j, n, g, y0 * j->sy - j->top, j->in_rows, part);
        xin = part;
        cs = (size_t)j->in_rows * j->ws;
        rs = j->ws;
        part += (size_t)j->Cg * j->in_rows * j->ws;
    }
    if (j->xvec) {
        EC_NAME(xvec_rows)(j, n, g, y0, R, xin, cs, rs);
        return 0;
    }
    const int nblk = (j->Wo + EC_PMAX - 1) / EC_PMAX;
    const size_t plane = (size_t)j->Ho * j->Wo;
    const int stack = j->sx == 1 && j->kw == 3 ? EC_NAME(rows_per_block)(j->Wo) : 1;
    for (int ob = ob_lo; ob < ob_hi; ob++) {
        const int oc = g * j->Og + ob * EC_VL;
        const int nvalid = j->Og - ob * EC_VL < EC_VL ? j->Og - ob * EC_VL : EC_VL;
        const EC_V init = j->bias ? EC_MASKZ_LOADU(EC_LANES(nvalid), (const EC_T *)j->bias + oc)
                                  : EC_OP(setzero)();
        const EC_T *wob = (const EC_T *)j->w + ((size_t)g * j->OB + ob) * j->Cg * taps * EC_VL;
        for (int c0 = 0; c0 < j->Cg; c0 += j->cb) {
            const int cn = j->Cg - c0 < j->cb ? j->Cg - c0 : j->cb;
            const int last = c0 + cn == j->Cg;
            const EC_T *w = wob + (size_t)c0 * taps * EC_VL;
            for (int r = 0; r < R; r++) {
                const EC_T *xrow = xin + (size_t)c0 * cs + (size_t)r * j->sy * rs;
                EC_T *orow = (EC_T *)j->out + ((size_t)n * j->O + oc) * plane + (size_t)(y0 + r) * j->Wo;
                /* whole short rows, stacked into one block (the last stack may be shorter; a
                 * 14-wide row only stacks in pairs) */
                const int RB = R - r < stack ? R - r : stack;
                if (RB > 1 && (RB == stack || j->Wo == 7)) {
                    EC_T *pp = part + (size_t)r * j->Wo * EC_VL;
                    EC_NAME(block_rows)(j->Wo, RB, (size_t)j->sy * rs, xrow, cs, rs, w, cn, j->kh, j->dy, j->dx,
                                        init, c0 ? pp : NULL, pp);
                    if (last)
                        for (int rb = 0; rb < RB; rb++)
                            EC_NAME(store_block)(pp + (size_t)rb * j->Wo * EC_VL, j->Wo, orow + (size_t)rb * j->Wo,
                                                 plane, nvalid);
                    r += RB - 1;
                    continue;
                }
                int x0 = 0;
                for (int b = 0; b < nblk; b++) {
                    const int left = j->Wo - x0, P = (left + (nblk - b) - 1) / (nblk - b);
                    const EC_T *xb = xrow + (size_t)x0 * j->sx;
                    EC_T *pp = part + ((size_t)r * j->Wo + x0) * EC_VL;
                    const EC_T *acc_in = c0 ? pp : NULL;
                    if (j->sx == 1)
                        EC_NAME(block_s1)(P, 1, xb, cs, rs, w, cn, j->kh, j->kw, j->dy, j->dx, init, acc_in, pp);
                    else if (j->sx == 2)
                        EC_NAME(block_s2)(P, 2, xb, cs, rs, w, cn, j->kh, j->kw, j->dy, j->dx, init, acc_in, pp);
                    else
                        EC_NAME(block_any)(P, j->sx, xb, cs, rs, w, cn, j->kh, j->kw, j->dy, j->dx, init, acc_in,
                                           pp);
                    if (last) EC_NAME(store_block)(pp, P, orow + x0, plane, nvalid);
                    x0 += P;
                }
            }
        }
    }
    return 0;
}
