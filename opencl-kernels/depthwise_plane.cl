/*
 * depthwise_plane.cl: depthwise 2-D convolution (groups == C, channel multiplier KG = K / C) at
 * stride 1, NCHW, PyTorch conv2d semantics, that visits only the (input pixel, tap) pairs inside
 * the image: the depthwise-plane implementation, for kernels about as large as the map or larger,
 * where most of a window's taps fall on padding (RepLKNet's 13x13 on 7x7 maps and 27x27 on 14x14:
 * about 29% and 27% of the taps are inside).
 *
 * out[oy][ox] = sum over input pixels (iy, ix) of in[iy][ix] * w[i][j], with iy = oy - PH + i*DH
 * and ix = ox - PW + j*DW. A work-item computes TH output rows of the whole output width (NV
 * vectors of VW outputs) for CB (n, k) planes in turn. For each kernel row i it walks, per output
 * vector, only the input columns some lane of the vector reaches; each input value is broadcast and
 * multiplied with a vector of weights, one per output column of the vector. Those weight vectors are
 * contiguous slices of the kernel row, zero-padded on both sides (and between dilated taps), because
 * a vector's lanes hold its output columns in reverse order: lane l is column
 * v*VW + VW-1-l, whose tap for input column ix sits at padded position ix - v*VW + PW + l. XC weight
 * vectors are held in registers at once and each feeds every output row of the tile that its
 * kernel row reaches. The lanes are put back in order before the epilogue. Where a real output
 * column of a vector has no tap for an input column (windows partly outside the map, dilation
 * gaps), the FMA's result is kept only in the lanes that have one, so an input NaN or infinity
 * reaches exactly the outputs whose windows hold it, as in the reference. The skipped taps on the
 * padding multiply zeros, which adds nothing unless the weight is NaN or infinite: a plane whose
 * weights hold one adds 0 * w for each such tap of each output, lane by lane (then NaN, as in
 * PyTorch).
 * The output width is a build option, so the column ranges and the unrolled loops over them are
 * compile-time constants: nothing is tested per FMA; only each (kernel row, output row) pair tests
 * whether its input row is inside the image.
 *
 * Build options (-D), besides the prelude's (REAL, REAL_BYTES, HAS_BIAS, POST_N, POSTi_*: the
 * element type and the epilogue, see prelude.h):
 *   KH, KW         kernel height and width
 *   SH, SW         stride: must be 1 (checked below)
 *   PH, PW         zero padding above and left of the input
 *   DH, DW         dilation
 *   KG             output channels per input channel; output k reads input channel k / KG
 *   MAP_H, MAP_W   input height and width
 *   OUT_H, OUT_W   output height and width
 *   VW             outputs per vector along x: 1, 2, 4, 8 or 16 (the prelude's realv)
 *   TH             output rows per work-item
 *   XC             weight vectors held in registers at once (input columns per step)
 *   CB             (n, k) planes a work-item computes in turn
 * Kernel arguments: input, padded (the weights as depthwise_plane_pack writes them, below), bias
 *   (any buffer without HAS_BIAS), sum (the sum post-op's tensor, of the output's shape; any
 *   buffer without one), output, N, C, H, W, K, OH, OW (the sizes are those of the build options;
 *   only N and K are read).
 * NDRange: global (1, ceil(OUT_H / TH), ceil(N*K / CB)), local (1, 1, 1). No local memory.
 *
 * depthwise_plane_pack(weight, padded, K) writes, once per set of weights (the plan runs it when
 * the weights are bound, or with a call that passes its own), each output channel's kernel rows
 * zero-padded as the main kernel reads them: channel k's KH rows of PROW reals at k * KH * PROW,
 * kernel row i's weight j at i * PROW + VW - 1 + j * DW; then, at K * KH * PROW + k, 1 where
 * one of channel k's weights is NaN or infinite, else 0. NDRange: global (K), any local size.
 * (Padding the rows in the main kernel, once per plane, took a third of its time on RepLKNet's
 * 13x13 on 7x7 maps, on POCL.)
 */

#if SH != 1 || SW != 1
#error "depthwise_plane.cl runs stride 1 only"
#endif

#define NV ((OUT_W + VW - 1) / VW)          /* vectors per output row */
#define KWE ((KW - 1) * DW + 1)             /* dilated kernel width */
#define PROW (KWE + 2 * (VW - 1))           /* reals per padded kernel row */
/* Input columns that reach some lane of output vector v: [IX_LO(v), IX_HI(v)). */
#define IX_LO(v) ((v) * VW - PW > 0 ? (v) * VW - PW : 0)
#define IX_HI(v) ((v) * VW - PW + KWE + VW - 1 < MAP_W ? (v) * VW - PW + KWE + VW - 1 : MAP_W)
/* Padded position of the weight of input column ix for lane 0 of output vector v. */
#define BASE(v, ix) ((ix) - (v) * VW + PW)

/* Whether every lane of output vector v that is a column of the output (not past OUT_W) has a tap
   for input column ix: then no lane multiplies the input by a padding zero, which would turn an
   input NaN or infinity into NaN in an output whose window does not hold it. Otherwise the FMA's
   result is kept only in the lanes that have a tap (or lie past the output). */
#define OX_FIRST(v) ((v) * VW)
#define OX_LAST(v) ((v) * VW + VW - 1 < OUT_W - 1 ? (v) * VW + VW - 1 : OUT_W - 1)
#define WHOLE(v, ix) (DW == 1 && OX_LAST(v) <= (ix) + PW && OX_FIRST(v) >= (ix) + PW - KWE + 1)

/* Lane numbers, and a vector's lanes in reverse order. */
#if VW == 1
typedef int intv;
#define LANES 0
#else
typedef CAT(int, VW) intv;
#endif
#if VW == 16
#define LANES ((int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
#elif VW == 8
#define LANES ((int8)(0, 1, 2, 3, 4, 5, 6, 7))
#elif VW == 4
#define LANES ((int4)(0, 1, 2, 3))
#elif VW == 2
#define LANES ((int2)(0, 1))
#endif

/* Declares M, the lanes of output vector v that have a tap for input column ix or lie past the
   output: -1 (1 when VW is 1) where they do, else 0. (A macro: a function returning a vector wider
   than the registers draws clang's ABI warning.) */
#define TAP_LANES(M, v, ix)                                                                       \
    const intv M##_ox = (intv)((v) * VW + VW - 1) - LANES;                                        \
    const intv M##_j = (intv)((ix) + PW) - M##_ox;                                                \
    const intv M = M##_ox >= (intv)(OUT_W)                                                        \
        || (M##_j >= (intv)(0) && M##_j < (intv)(KWE) && M##_j % (intv)(DW) == (intv)(0))

/* A vector's lanes in reverse order. */
#if VW == 16
#define REVERSED(x) ((x).sFEDCBA9876543210)
#elif VW == 8
#define REVERSED(x) ((x).s76543210)
#elif VW == 4
#define REVERSED(x) ((x).s3210)
#elif VW == 2
#define REVERSED(x) ((x).s10)
#else
#define REVERSED(x) (x)
#endif

/* Copies one kernel row (KW reals) to its padded row, at position VW-1 on, DW apart; returns
   nonzero when a weight of the row is NaN or infinite (x - x is NaN then, 0 otherwise). */
inline int copy_kernel_row(__global real* dst, const __global real* src)
{
    int bad = 0;
#if DW == 1
    int j = 0;
#pragma unroll
    for (; j + 16 <= KW; j += 16) {
        const real16 x = VLOAD16(src + j);
        const real8 lo = x.lo - x.lo, hi = x.hi - x.hi; /* any() of 16 ints is an ABI warning on AVX2 */
        bad |= any(lo != lo) | any(hi != hi);
        VSTORE16(x, dst + j);
    }
    if (KW - j >= 8) {
        const real8 x = VLOAD8(src + j);
        bad |= any((x - x) != (x - x));
        VSTORE8(x, dst + j);
        j += 8;
    }
    if (KW - j >= 4) {
        const real4 x = VLOAD4(src + j);
        bad |= any((x - x) != (x - x));
        VSTORE4(x, dst + j);
        j += 4;
    }
#pragma unroll
    for (; j < KW; ++j) {
        const real x = src[j];
        bad |= (x - x) != (x - x);
        dst[j] = x;
    }
#else
#pragma unroll
    for (int j = 0; j < KW; ++j) {
        const real x = src[j];
        bad |= (x - x) != (x - x);
        dst[j * DW] = x;
    }
#endif
    return bad;
}

__kernel void depthwise_plane_pack(__global const real* restrict weight, __global real* restrict padded,
                                   const int K)
{
    const int k = (int)get_global_id(0);
    if (k >= K) {
        return;
    }
    __global real* dst = padded + (size_t)k * (KH * PROW);
    for (int q = 0; q < KH * PROW; ++q) {
        dst[q] = (real)0.0f;
    }
    int bad = 0;
    for (int i = 0; i < KH; ++i) {
        bad |= copy_kernel_row(dst + i * PROW + VW - 1, weight + (size_t)k * (KH * KW) + i * KW);
    }
    padded[(size_t)K * (KH * PROW) + k] = bad ? (real)1.0f : (real)0.0f;
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void depthwise_plane(__global const real* restrict input,
                     CONV_TAIL_ARGS)
{
    const int oy0 = (int)get_group_id(1) * TH;
    const int nk0 = (int)get_group_id(2) * CB;
    const int nk1 = min(nk0 + CB, N * K);
    for (int nk = nk0; nk < nk1; ++nk) {
        const int n = nk / K;
        const int k = nk - n * K;
        const int c = k / KG;
        const __global real* img = input + ((size_t)n * C + c) * (MAP_H * MAP_W);
        /* weight: the padded rows of depthwise_plane_pack */
        const __global real* padded = weight + (size_t)k * (KH * PROW);
        /* a NaN or infinite weight: see the padding's products below */
        const int bad = weight[(size_t)K * (KH * PROW) + k] != (real)0.0f;

        realv acc[TH][NV];
        TILE_ZERO(acc, TH, NV);
        for (int i = 0; i < KH; ++i) {
            const int iy0 = oy0 - PH + i * DH; /* the input row of output row oy0 */
            if (iy0 + TH - 1 < 0 || iy0 >= MAP_H) {
                continue;
            }
            const __global real* prow = padded + i * PROW;
#pragma unroll
            for (int v = 0; v < NV; ++v) {
#pragma unroll
                for (int x0 = IX_LO(v); x0 < IX_HI(v); x0 += XC) {
                    realv w[XC];
#pragma unroll
                    for (int u = 0; u < XC; ++u) {
                        if (x0 + u < IX_HI(v)) {
                            w[u] = VLOAD(prow + BASE(v, x0 + u));
                        }
                    }
#pragma unroll
                    for (int t = 0; t < TH; ++t) {
                        const int iy = iy0 + t;
                        if (iy >= 0 && iy < MAP_H) {
                            const __global real* src = img + iy * MAP_W + x0;
#pragma unroll
                            for (int u = 0; u < XC; ++u) {
                                if (x0 + u < IX_HI(v) && WHOLE(v, x0 + u)) {
                                    acc[t][v] = VFMA((realv)(src[u]), w[u], acc[t][v]);
                                } else if (x0 + u < IX_HI(v)) {
                                    const realv r = VFMA((realv)(src[u]), w[u], acc[t][v]);
                                    TAP_LANES(m, v, x0 + u);
                                    acc[t][v] = m ? r : acc[t][v];
                                }
                            }
                        }
                    }
                }
            }
        }

        /* The taps skipped above multiply padding zeros, which is 0 unless the weight is NaN or
           infinite: then 0 * w is NaN, and PyTorch's output is NaN wherever such a tap falls on
           the padding. Rare (only a non-finite weight), so done lane by lane. */
        if (bad) {
#pragma unroll
            for (int t = 0; t < TH; ++t) {
#pragma unroll
                for (int v = 0; v < NV; ++v) {
                    real lanes[VW];
                    VSTORE(acc[t][v], lanes);
                    const int oy = oy0 + t;
                    for (int l = 0; l < VW; ++l) {
                        const int ox = v * VW + VW - 1 - l; /* lanes are in reverse order */
                        for (int i = 0; i < KH && ox < OUT_W; ++i) {
                            const int iy = oy - PH + i * DH;
                            for (int j = 0; j < KW; ++j) {
                                const int ix = ox - PW + j * DW;
                                if (iy < 0 || iy >= MAP_H || ix < 0 || ix >= MAP_W) {
                                    lanes[l] += (real)0.0f * padded[i * PROW + VW - 1 + j * DW];
                                }
                            }
                        }
                    }
                    acc[t][v] = VLOAD(lanes);
                }
            }
        }

        /* Epilogue: lanes back in order, whole vectors inside the row at once, then the row's
           last partial vector. */
#pragma unroll
        for (int t = 0; t < TH; ++t) {
            const int oy = oy0 + t;
            if (oy >= OUT_H) {
                break;
            }
            const size_t row0 = ((size_t)nk * OUT_H + oy) * OUT_W;
            __global real* out = output + row0;
#pragma unroll
            for (int v = 0; v < NV; ++v) {
                realv r = REVERSED(acc[t][v]);
                const int ox = v * VW;
                if (ox + VW <= OUT_W) {
                    EPILOGUE(realv, VW, r, bias[k], VLOAD(sum + row0 + ox));
                    VSTORE(r, out + ox);
                } else {
                    const int m = OUT_W - ox;
                    EPILOGUE_STORE_HEAD(r, bias[k], sum + row0 + ox, out + ox, m);
                }
            }
        }
    }
}
