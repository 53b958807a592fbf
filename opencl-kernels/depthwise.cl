/*
 * depthwise.cl: depthwise 2-D convolution (groups == C, one input channel per group, channel
 * multiplier KG = K / C), NCHW, PyTorch conv2d semantics.
 *
 * A work-group computes an output tile of one (n, k) plane; it first copies the input rows and
 * columns the tile needs into local memory, zero-filling the padding, so the compute loop has no
 * edge tests and reads every input value from the fast copy. Staged columns are stored split by
 * phase (column modulo SW), so that the inputs of VW horizontally adjacent outputs are contiguous
 * for any stride and dilation, and one vector load serves VW outputs.
 * A work-item computes TH rows x NV vectors of VW outputs. At stride 1 and dilation 1 along y it
 * walks the staged input rows once and adds each loaded vector into every output row it belongs
 * to, so an input vector is loaded once per (row, kernel column) instead of once per output row.
 * With ROWS=1 (the depthwise-rows implementation, for large kernels) that walk is a register-tiled
 * row-reuse loop: every input row that feeds all TH output rows (all but the first and last TH-1)
 * runs the KW taps fully unrolled with no test, each tap one load of NV vectors at a compile-time
 * offset of the staged row and TH x NV FMAs with broadcast weights; only the rows at the tile's
 * edges test which output rows they feed. A work-group may also compute CB channels in turn,
 * which spreads its start-up over more work on small maps.
 * Small maps (14 or 7 wide) spend a plane's time outside its FMAs, so three things are kept out
 * of per-element code: with at most two vectors a row and a kernel of at most 25 taps the
 * row-reuse loop of ROWS=0 is unrolled too, and its tests of which output rows an input row
 * feeds fold away at compile time (at NV <= 2 each test guards only NV FMAs); at stride 2 staging
 * de-interleaves a row's last 15 positions or fewer as runs of 8, 4 and 2, not one by one; and a
 * row's last, partial vector gets the epilogue as a vector and is stored as runs.
 *
 * Build options (-D), besides the prelude's (REAL, REAL_BYTES, HAS_BIAS, POST_N, POSTi_*: the
 * element type and the epilogue, see prelude.h):
 *   KH, KW     kernel height and width
 *   SH, SW     stride
 *   PH, PW     zero padding above and left of the input; the padding below and right is implied
 *              by OH and OW (staged rows and columns outside the image are zero either way)
 *   DH, DW     dilation
 *   KG         output channels per input channel (the channel multiplier); output k reads
 *              input channel k / KG
 *   VW         outputs per vector along x: 1, 2, 4, 8 or 16 (the prelude's realv)
 *   NV         vectors per work-item along x
 *   TH         output rows per work-item
 *   WGX, WGY   work-items per work-group along x and y. The work-group tile is
 *              (VW*NV*WGX) columns x (TH*WGY) rows. With WGX*WGY == 1 the kernel has no barrier
 *              (the right shape for CPU devices, where a barrier splits the work-item loop).
 *   ROWS       0 or 1 [0]: 1 unrolls the taps of the row-reuse loop and takes the edge tests out of
 *              its middle rows (see above); used at stride 1 and dilation 1 along y with TH > 1
 *   CB         (n, k) planes a work-group computes in turn [1]
 * Kernel arguments: input, weight, bias (any buffer without HAS_BIAS), sum (the sum post-op's
 *   tensor, of the output's shape; any buffer without one), output, N, C, H, W, K, OH, OW.
 * NDRange: global (ceil(OW / (VW*NV*WGX)) * WGX, ceil(OH / (TH*WGY)) * WGY, ceil(N*K / CB)),
 *   local (WGX, WGY, 1).
 * Local memory: IN_TH * SW * QW reals (see below), sized at compile time.
 */

#ifndef ROWS
#define ROWS 0
#endif
#ifndef CB
#define CB 1
#endif

#define WG_SIZE (WGX * WGY)
#if WG_SIZE > 1
#define LOCAL_BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
#else
#define LOCAL_BARRIER()
#endif

#define XW (VW * NV)                              /* output columns per work-item */
#define OTW (XW * WGX)                            /* output columns per work-group */
#define OTH (TH * WGY)                            /* output rows per work-group */
#define IN_TH ((OTH - 1) * SH + (KH - 1) * DH + 1) /* staged input rows */
#define IN_TW ((OTW - 1) * SW + (KW - 1) * DW + 1) /* staged input columns */
#define QW ((IN_TW + SW - 1) / SW)                /* staged columns per phase */
#define ROW (SW * QW)                             /* reals per staged row */

/* Staged column of input column c (relative to the tile): phase c % SW, position c / SW. */
#define STAGED(c) (((c) % SW) * QW + (c) / SW)

/* Input column col of a staged row: src[col] inside the image (a <= col < b), else zero. */
inline real column_or_zero(const __global real* src, int col, int a, int b)
{
    return col >= a && col < b ? src[col] : (real)0.0f;
}

/* Stride 2: stages the N positions from q on (both phases inside the image) as vectors,
   de-interleaved into the two phases, if that many are left before qb, and moves q past them. */
#define STAGE_RUN(N, q, qb)                                                                       \
    if ((qb) - (q) >= (N)) {                                                                      \
        const CAT(real, N) lo_ = CAT(VLOAD, N)(src + 2 * (q));                                    \
        const CAT(real, N) hi_ = CAT(VLOAD, N)(src + 2 * (q) + (N));                              \
        CAT(VSTORE, N)(((CAT(real, N))(lo_.even, hi_.even)), dst + (q));                          \
        CAT(VSTORE, N)(((CAT(real, N))(lo_.odd, hi_.odd)), dst + QW + (q));                       \
        (q) += (N);                                                                               \
    }

/*
 * Stages one input row that lies inside the image: dst[STAGED(col)] = src[col] for tile columns
 * col in [a, b), zero for the others. Whole runs of 16 staged positions whose columns are all
 * inside are copied as vectors (at stride 2 de-interleaved into the two phases); the rest one
 * by one. Work-item lx of WGX takes every WGX-th run and position.
 */
inline void stage_row(__local real* dst, const __global real* src, int a, int b, int lx)
{
#if SW == 1
    const int qa = a, qb = b;
#elif SW == 2
    const int qa = (a + 1) / 2, qb = max(qa, b / 2);
#else
    const int qa = 0, qb = 0;
#endif
    /* Positions q in [qa, qb) have every phase inside: 16-wide runs, then single positions. */
    const int runs = (qb - qa) / 16;
    for (int m = lx; m < runs; m += WGX) {
        const int q = qa + 16 * m;
#if SW == 1
        const real16 v = VLOAD16(src + q);
        VSTORE16(v, dst + q);
#elif SW == 2
        const real16 lo = VLOAD16(src + 2 * q);
        const real16 hi = VLOAD16(src + 2 * q + 16);
        const real16 even = (real16)(lo.even, hi.even);
        const real16 odd = (real16)(lo.odd, hi.odd);
        VSTORE16(even, dst + q);
        VSTORE16(odd, dst + QW + q);
#endif
    }
    int q0 = qa + 16 * runs;
#if WGX == 1 && SW == 2
    /* At stride 2 the last 15 positions or fewer: one run each of 8, 4 and 2 that fits, not a
       two-phase scalar copy per position. (At stride 1 a scalar copy is one load and one store,
       and the runs' tests cost more than they save: measured 0.8x on 112- and 56-wide maps.) */
    STAGE_RUN(8, q0, qb);
    STAGE_RUN(4, q0, qb);
    STAGE_RUN(2, q0, qb);
#endif
    for (int q = q0 + lx; q < qb; q += WGX) {
#pragma unroll
        for (int p = 0; p < SW; ++p) {
            dst[p * QW + q] = src[q * SW + p];
        }
    }
    /* The positions outside [qa, qb), column by column with the image test. */
    for (int q = lx; q < qa; q += WGX) {
#pragma unroll
        for (int p = 0; p < SW; ++p) {
            dst[p * QW + q] = column_or_zero(src, q * SW + p, a, b);
        }
    }
    for (int q = qb + lx; q < QW; q += WGX) {
#pragma unroll
        for (int p = 0; p < SW; ++p) {
            dst[p * QW + q] = column_or_zero(src, q * SW + p, a, b);
        }
    }
}

__kernel __attribute__((reqd_work_group_size(WGX, WGY, 1)))
void depthwise(__global const real* restrict input,
               CONV_TAIL_ARGS)
{
    __local real tile[IN_TH * ROW];

    const int lx = get_local_id(0);
    const int ly = get_local_id(1);
    const int ox0 = (int)get_group_id(0) * OTW;
    const int oy0 = (int)get_group_id(1) * OTH;
#if CB > 1
    const int nk0 = (int)get_global_id(2) * CB;
    const int nk1 = min(nk0 + CB, N * K);
    for (int nk = nk0; nk < nk1; ++nk) {
    LOCAL_BARRIER(); /* the previous plane's tile is no longer read */
#else
    { /* one plane: the staged kernel's code exactly */
    const int nk = get_global_id(2);
#endif
    const int n = nk / K;
    const int k = nk - n * K;
    const int c = k / KG;

    /* Stage the input tile, zero outside the image. */
    {
        const __global real* img = input + ((size_t)n * C + c) * H * W;
        const int iy0 = oy0 * SH - PH;
        const int ix0 = ox0 * SW - PW;
        /* Tile columns [a, b) lie inside the image. */
        const int a = clamp(-ix0, 0, IN_TW);
        const int b = clamp(W - ix0, a, IN_TW);
        for (int r = ly; r < IN_TH; r += WGY) {
            const int iy = iy0 + r;
            __local real* dst = tile + r * ROW;
            if (iy < 0 || iy >= H) {
                for (int q = lx; q < ROW; q += WGX) {
                    dst[q] = (real)0.0f;
                }
            } else {
                stage_row(dst, img + iy * W + ix0, a, b, lx);
            }
        }
    }
    LOCAL_BARRIER();

    const __global real* wt = weight + (size_t)k * KH * KW;
    realv acc[TH][NV];
    TILE_ZERO(acc, TH, NV);
    const int xq = lx * XW; /* first output column of this work-item, relative to the tile */

#if SH == 1 && DH == 1 && TH > 1 && ROWS
    /* Staged row ly*TH + r feeds output row t of this work-item through kernel row r - t: all TH
       output rows for TH-1 <= r < KH, without a test; the rows before and after test each t. */
    for (int r = 0; r < TH + KH - 1; ++r) {
        const __local real* row = tile + (ly * TH + r) * ROW + xq;
        const __global real* wr = wt + r * KW; /* kernel row r - t is at wr - t*KW */
        if (r >= TH - 1 && r < KH) {
#pragma unroll
            for (int j = 0; j < KW; ++j) {
                realv in[NV];
                VLOAD_ROW(in, row + STAGED(j * DW), NV);
#pragma unroll
                for (int t = 0; t < TH; ++t) {
                    const realv w = (realv)(wr[j - t * KW]);
                    VFMA_ROW(acc[t], w, in, NV);
                }
            }
        } else {
            for (int j = 0; j < KW; ++j) {
                realv in[NV];
                VLOAD_ROW(in, row + STAGED(j * DW), NV);
#pragma unroll
                for (int t = 0; t < TH; ++t) {
                    if (r - t >= 0 && r - t < KH) {
                        const realv w = (realv)(wr[j - t * KW]);
                        VFMA_ROW(acc[t], w, in, NV);
                    }
                }
            }
        }
    }
#elif SH == 1 && DH == 1 && TH > 1
    /* Staged row ly*TH + r feeds output row t of this work-item through kernel row r - t. With
       few vectors a row (NV <= 2) the TH tests of each (row, tap) cost as much as its NV FMAs, so
       for small kernels (KH*KW <= 25, a bounded code size) the rows and taps are unrolled and the
       tests fold away at compile time. */
#if NV <= 2 && KH * KW <= 25
#pragma unroll
#endif
    for (int r = 0; r < TH + KH - 1; ++r) {
        const __local real* row = tile + (ly * TH + r) * ROW;
#if NV <= 2 && KH * KW <= 25
#pragma unroll
#endif
        for (int j = 0; j < KW; ++j) {
            const __local real* src = row + STAGED(j * DW) + xq;
            realv in[NV];
            VLOAD_ROW(in, src, NV);
#pragma unroll
            for (int t = 0; t < TH; ++t) {
                const int i = r - t;
                if (i >= 0 && i < KH) {
                    const realv w = (realv)(wt[i * KW + j]);
                    VFMA_ROW(acc[t], w, in, NV);
                }
            }
        }
    }
#else
#pragma unroll
    for (int t = 0; t < TH; ++t) {
        for (int i = 0; i < KH; ++i) {
            const __local real* row = tile + ((ly * TH + t) * SH + i * DH) * ROW;
            for (int j = 0; j < KW; ++j) {
                const __local real* src = row + STAGED(j * DW) + xq;
                const realv w = (realv)(wt[i * KW + j]);
#pragma unroll
                for (int v = 0; v < NV; ++v) {
                    const realv x = VLOAD(src + v * VW);
                    acc[t][v] = VFMA(w, x, acc[t][v]);
                }
            }
        }
    }
#endif

    /* Epilogue: whole vectors inside the row at once, then the row's last partial vector. */
#pragma unroll
    for (int t = 0; t < TH; ++t) {
        const int oy = oy0 + ly * TH + t;
        if (oy >= OH) {
            break;
        }
        const size_t row0 = ((size_t)nk * OH + oy) * OW;
        __global real* out = output + row0;
#pragma unroll
        for (int v = 0; v < NV; ++v) {
            realv r = acc[t][v];
            const int ox = ox0 + xq + v * VW;
            if (ox + VW <= OW) {
                EPILOGUE(realv, VW, r, bias[k], VLOAD(sum + row0 + ox));
                VSTORE(r, out + ox);
            } else if (ox < OW) {
                /* The partial vector: the epilogue on all of it (the sum tensor's values read one
                   by one, zero in the lanes past the row), then its first OW - ox lanes stored. */
                const int n = OW - ox;
                EPILOGUE_STORE_HEAD(r, bias[k], sum + row0 + ox, out + ox, n);
            }
        }
    }
    } /* planes */
}
