/*
 * deform2d_gemm.cl: deformable 2-D convolution v1/v2, NCHW float32, with the semantics of
 * torchvision.ops.deform_conv2d, as fused sampling + matrix multiply on tiles.
 *
 * A work-group owns a tile of P output pixels (consecutive in row-major order, so narrow images
 * still fill it) and KB output channels of one group, for one image. For a chunk of at most CC
 * input channels it
 *   1. tabulates, once per offset group, the four neighbour indices and bilinear weights (and
 *      the mask) of every (kernel point, pixel) of the tile;
 *   2. samples the chunk's columns, col[c][kernel point][pixel], into local memory;
 *   3. multiplies them by the weights of its KB output channels, in register tiles of
 *      KT channels x PV vectors of VW pixels, accumulating into local memory.
 * Each sample is therefore computed once per tile and reused by KB output channels (the direct
 * kernel computes it once per output channel). Device memory beyond the tensors: none, so any
 * N, H, W run in the same local footprint.
 *
 * Sample point: y = oy*SH - PH + i*DH + dy, x = ox*SW - PW + j*DW + dx, where (dy, dx) is the
 * offset pair of kernel point i*KW+j in the channel's offset group. Bilinear interpolation in
 * which each neighbour outside the image counts as zero; the sample is zero unless
 * -1 < y < H and -1 < x < W (an infinite offset is outside), and NaN when dy or dx is NaN (its
 * four weights are NaN). The point is split into an integer cell, base + floor(d) (int
 * arithmetic, saturated, so a huge offset stays outside), and the fraction d - floor(d), which
 * depends on the offset alone: no bits are lost on wide or tall maps, and the inside test is
 * exact. The sample is multiplied by the mask as given; bias is added last, then ReLU.
 *
 * Build options (-D):
 *   KH, KW     kernel height and width
 *   SH, SW     stride
 *   PH, PW     zero padding
 *   DH, DW     dilation
 *   CG         input channels per group   (C / groups)
 *   KG         output channels per group  (K / groups)
 *   OG         offset groups
 *   CPOG       input channels per offset group (C / OG)
 *   HAS_MASK   0 or 1: multiply each sample by the mask (DCNv2)
 *   HAS_BIAS   0 or 1: add bias[k]
 *   RELU       0 or 1: apply x < 0 ? 0 : x (NaN stays NaN)
 *   VW         pixels per vector: 1, 2, 4, 8 or 16
 *   PV         vectors per register tile along pixels
 *   NPT        register tiles per work-group along pixels   (P  = VW*PV*NPT pixels)
 *   KT         output channels per register tile
 *   NKT        register tiles per work-group along channels (KB = KT*NKT channels)
 *   CC         input channels sampled per chunk
 *   WGS        work-items per work-group (1-D). With WGS == 1 the kernel has no barrier (the
 *              right shape for CPU devices, where a barrier splits the work-item loop).
 * Kernel arguments: input, offset, mask (any buffer when HAS_MASK is 0), weight, bias (any
 *   buffer when HAS_BIAS is 0), output, N, C, H, W, K, OH, OW.
 * NDRange: global (ceil(OH*OW / P) * WGS, N * groups * ceil(KG / KB)), local (WGS, 1).
 * Local memory: (10 + CC) * KH*KW * P floats + KB * P floats, sized at compile time.
 */

#include "vectors.h" /* floatv, VLOAD, VSTORE, VFMA: vectors of VW floats */

/*
 * The cell of base + d: base + floor(d), saturated. Exact unless the true cell is outside the int
 * range; a saturated cell is outside the image, because the host guarantees H + 2*PH < 2^31 (so
 * -PH <= base <= H + PH - 1) and likewise for W.
 */
inline int sample_cell(int base, float d)
{
    return add_sat(base, convert_int_sat(floor(d)));
}

/* Whether -1 < cell + frac < size, for 0 <= frac <= 1. */
inline bool sample_inside(int cell, float frac, int size)
{
    return cell >= -1 && cell < size && (cell >= 0 || frac > 0.0f);
}


#if WGS > 1
#define LOCAL_BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
#else
#define LOCAL_BARRIER()
#endif

#define KK (KH * KW)
#define PT (VW * PV)          /* pixels per register tile */
#define P (PT * NPT)          /* pixels per work-group */
#define KB (KT * NKT)         /* output channels per work-group */
#define NSUB (NPT * NKT)      /* register tiles per work-group */
#define KBLK ((KG + KB - 1) / KB)
#define TAB (KK * P)          /* entries of the sampling table */

__kernel __attribute__((reqd_work_group_size(WGS, 1, 1)))
void deform2d_gemm(__global const float* restrict input,
                   __global const float* restrict offset,
                   __global const float* restrict mask,
                   __global const float* restrict weight,
                   __global const float* restrict bias,
                   __global float* restrict output,
                   const int N, const int C, const int H, const int W,
                   const int K, const int OH, const int OW)
{
    /* tap[q][point][pixel]: flat input index of neighbour q (top-left, top-right, bottom-left,
       bottom-right), 0 when it lies outside the image or the whole sample is zero; bit q of
       tapok[point][pixel] says whether it is inside. Indices that are always in range let the
       sampling loop load unconditionally (full-width gathers on CPUs) and then select. */
    __local int tap[4 * TAB];
    __local int tapok[TAB];
    __local float tapw[4 * TAB];
#if HAS_MASK
    __local float tapm[TAB];
#endif
    __local float col[CC * TAB];
    __local float accbuf[KB * P];

    const int lid = get_local_id(0);
    const int plane = OH * OW;
    const int pix0 = (int)get_group_id(0) * P;
    const int groups = C / CG;
    const int gz = get_global_id(1);
    const int n = gz / (groups * KBLK);
    const int rest = gz - n * (groups * KBLK);
    const int g = rest / KBLK;
    const int kb = rest - g * KBLK;

    for (int e = lid; e < KB * P; e += WGS) {
        accbuf[e] = 0.0f;
    }

    const int cbeg = g * CG;
    const int cend = cbeg + CG;
    int table_og = -1;
    for (int c0 = cbeg; c0 < cend;) {
        const int og = c0 / CPOG;
        const int c1 = min(min(c0 + CC, cend), (og + 1) * CPOG);

        /* 1. Sampling table of this offset group. */
        if (og != table_og) {
            const __global float* off = offset + (size_t)(n * OG + og) * 2 * KK * plane;
#if HAS_MASK
            const __global float* msk = mask + (size_t)(n * OG + og) * KK * plane;
#endif
            for (int p = 0; p < KK; ++p) {
                const int i = p / KW;
                const int j = p - i * KW;
                for (int px = lid; px < P; px += WGS) {
                    const int e = p * P + px;
                    const int pix = pix0 + px;
                    int t00 = 0, t01 = 0, t10 = 0, t11 = 0, ok = 0;
                    float w00 = 0.0f, w01 = 0.0f, w10 = 0.0f, w11 = 0.0f;
                    if (pix < plane) {
                        const int oy = pix / OW;
                        const int ox = pix - oy * OW;
                        const float dy = off[(size_t)(2 * p) * plane + pix];
                        const float dx = off[(size_t)(2 * p + 1) * plane + pix];
                        const int y0 = sample_cell(oy * SH - PH + i * DH, dy);
                        const int x0 = sample_cell(ox * SW - PW + j * DW, dx);
                        const float ly = dy - floor(dy), lx = dx - floor(dx);
                        if (isnan(dy) || isnan(dx)) {
                            w00 = w01 = w10 = w11 = NAN; /* times zero neighbours: a NaN sample */
                        } else if (sample_inside(y0, ly, H) && sample_inside(x0, lx, W)) {
                            const float hy = 1.0f - ly, hx = 1.0f - lx;
                            w00 = hy * hx;
                            w01 = hy * lx;
                            w10 = ly * hx;
                            w11 = ly * lx;
                            /* -1 <= y0 <= H-1 and -1 <= x0 <= W-1 hold inside. */
                            const bool top = y0 >= 0, bottom = y0 + 1 < H;
                            const bool left = x0 >= 0, right = x0 + 1 < W;
                            const int idx = y0 * W + x0;
                            t00 = top && left ? idx : 0;
                            t01 = top && right ? idx + 1 : 0;
                            t10 = bottom && left ? idx + W : 0;
                            t11 = bottom && right ? idx + W + 1 : 0;
                            ok = (top && left ? 1 : 0) | (top && right ? 2 : 0) | (bottom && left ? 4 : 0)
                                    | (bottom && right ? 8 : 0);
                        }
                    }
                    tap[e] = t00;
                    tap[TAB + e] = t01;
                    tap[2 * TAB + e] = t10;
                    tap[3 * TAB + e] = t11;
                    tapok[e] = ok;
                    tapw[e] = w00;
                    tapw[TAB + e] = w01;
                    tapw[2 * TAB + e] = w10;
                    tapw[3 * TAB + e] = w11;
#if HAS_MASK
                    tapm[e] = pix < plane ? msk[(size_t)p * plane + pix] : 0.0f;
#endif
                }
            }
            table_og = og;
            LOCAL_BARRIER();
        }

        /* 2. Columns of channels c0..c1-1: col[(c - c0) * TAB + point * P + pixel]. */
        const int nc = c1 - c0;
        for (int cl = 0; cl < nc; ++cl) {
            const __global float* img = input + ((size_t)n * C + c0 + cl) * H * W;
            __local float* dst = col + cl * TAB;
            for (int e = lid; e < TAB; e += WGS) {
                const int ok = tapok[e];
                const float ga = img[tap[e]], gb = img[tap[TAB + e]];
                const float gc = img[tap[2 * TAB + e]], gd = img[tap[3 * TAB + e]];
                const float va = (ok & 1) ? ga : 0.0f;
                const float vb = (ok & 2) ? gb : 0.0f;
                const float vc = (ok & 4) ? gc : 0.0f;
                const float vd = (ok & 8) ? gd : 0.0f;
                float v = tapw[e] * va + tapw[TAB + e] * vb + tapw[2 * TAB + e] * vc + tapw[3 * TAB + e] * vd;
#if HAS_MASK
                v *= tapm[e];
#endif
                dst[e] = v;
            }
        }
        LOCAL_BARRIER();

        /* 3. accbuf[kl][pixel] += sum over rows r of weight[k][c0*KK + r] * col[r][pixel]. */
        const int rows = nc * KK;
        for (int s = lid; s < NSUB; s += WGS) {
            const int ps = s % NPT;
            const int ks = s / NPT;
            const int kl = ks * KT; /* first channel of the tile, relative to the work-group */
            const __global float* wrow[KT];
#pragma unroll
            for (int t = 0; t < KT; ++t) {
                /* Rows past the group's last channel read its last row and are never written. */
                const int k = min(kb * KB + kl + t, KG - 1);
                wrow[t] = weight + ((size_t)(g * KG + k) * CG + (c0 - cbeg)) * KK;
            }
            floatv acc[KT][PV];
            __local float* ab = accbuf + kl * P + ps * PT;
#pragma unroll
            for (int t = 0; t < KT; ++t) {
#pragma unroll
                for (int v = 0; v < PV; ++v) {
                    acc[t][v] = VLOAD(ab + t * P + v * VW);
                }
            }
            const __local float* src = col + ps * PT;
            for (int r = 0; r < rows; ++r) {
                floatv x[PV];
#pragma unroll
                for (int v = 0; v < PV; ++v) {
                    x[v] = VLOAD(src + r * P + v * VW);
                }
#pragma unroll
                for (int t = 0; t < KT; ++t) {
                    const floatv w = (floatv)(wrow[t][r]);
#pragma unroll
                    for (int v = 0; v < PV; ++v) {
                        acc[t][v] = VFMA(w, x[v], acc[t][v]);
                    }
                }
            }
#pragma unroll
            for (int t = 0; t < KT; ++t) {
#pragma unroll
                for (int v = 0; v < PV; ++v) {
                    VSTORE(acc[t][v], ab + t * P + v * VW);
                }
            }
        }
        LOCAL_BARRIER();
        c0 = c1;
    }

    /* Epilogue: bias, ReLU, store the pixels inside the image. */
    for (int e = lid; e < KB * P; e += WGS) {
        const int kl = e / P;
        const int px = e - kl * P;
        const int k = kb * KB + kl;
        const int pix = pix0 + px;
        if (k < KG && pix < plane) {
            float r = accbuf[e];
#if HAS_BIAS
            r += bias[g * KG + k];
#endif
#if RELU
            r = r < 0.0f ? 0.0f : r;
#endif
            output[((size_t)n * K + g * KG + k) * plane + pix] = r;
        }
    }
}
