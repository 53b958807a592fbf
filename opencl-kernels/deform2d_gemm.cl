/*
 * deform2d_gemm.cl: deformable 2-D convolution v1/v2, NCHW, with the semantics of
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
 * offset pair of kernel point i*KW+j in the channel's offset group, sampled by the prelude's
 * bilinear_taps (each neighbour outside the image counts as zero; the sample is zero unless
 * -1 < y < H and -1 < x < W, an infinite offset being outside, and NaN when dy or dx is NaN, its
 * four weights being NaN; the integer cell and the fraction are taken apart, so no bits are lost
 * on wide or tall maps). The sample is multiplied by the mask as given; then the epilogue (bias,
 * post-ops).
 *
 * Build options (-D), besides the prelude's (REAL, REAL_BYTES, HAS_BIAS, POST_N, POSTi_*: the
 * element type and the epilogue, see prelude.h):
 *   KH, KW     kernel height and width
 *   SH, SW     stride
 *   PH, PW     zero padding above and left of the input (the padding after is implied by OH, OW)
 *   DH, DW     dilation
 *   CG         input channels per group   (C / groups)
 *   KG         output channels per group  (K / groups)
 *   OG         offset groups
 *   CPOG       input channels per offset group (C / OG)
 *   HAS_MASK   0 or 1: multiply each sample by the mask (DCNv2)
 *   VW         pixels per vector: 1, 2, 4, 8 or 16 (the prelude's realv)
 *   PV         vectors per register tile along pixels
 *   NPT        register tiles per work-group along pixels   (P  = VW*PV*NPT pixels)
 *   KT         output channels per register tile
 *   NKT        register tiles per work-group along channels (KB = KT*NKT channels)
 *   CC         input channels sampled per chunk
 *   WGS        work-items per work-group (1-D). With WGS == 1 the kernel has no barrier (the
 *              right shape for CPU devices, where a barrier splits the work-item loop).
 * Kernel arguments: input, offset, mask (any buffer when HAS_MASK is 0), weight, bias (any
 *   buffer without HAS_BIAS), sum (the sum post-op's tensor, of the output's shape; any buffer
 *   without one), output, N, C, H, W, K, OH, OW.
 * NDRange: global (ceil(OH*OW / P) * WGS, N * groups * ceil(KG / KB)), local (WGS, 1).
 * Local memory: 5 * KH*KW * P ints + (5 + CC) * KH*KW * P reals + KB * P reals, sized at
 * compile time.
 */

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
#define SAMPLE_CH 4           /* channels sampled together in step 2 */

__kernel __attribute__((reqd_work_group_size(WGS, 1, 1)))
void deform2d_gemm(__global const real* restrict input,
                   __global const real* restrict offset,
                   __global const real* restrict mask,
                   CONV_TAIL_ARGS)
{
    /* tap[q][point][pixel]: flat input index of neighbour q (top-left, top-right, bottom-left,
       bottom-right), 0 when it lies outside the image or the whole sample is zero; bit q of
       tapok[point][pixel] says whether it is inside. Indices that are always in range let the
       sampling loop load unconditionally (full-width gathers on CPUs) and then select. */
    __local int tap[4 * TAB];
    __local int tapok[TAB];
    __local real tapw[4 * TAB];
#if HAS_MASK
    __local real tapm[TAB];
#endif
    __local real col[CC * TAB];
    __local real accbuf[KB * P];

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
        accbuf[e] = (real)0.0f;
    }

    const int cbeg = g * CG;
    const int cend = cbeg + CG;
    int table_og = -1;
    for (int c0 = cbeg; c0 < cend;) {
        const int og = c0 / CPOG;
        const int c1 = min(min(c0 + CC, cend), (og + 1) * CPOG);

        /* 1. Sampling table of this offset group. */
        if (og != table_og) {
            const __global real* off = offset + (size_t)(n * OG + og) * 2 * KK * plane;
#if HAS_MASK
            const __global real* msk = mask + (size_t)(n * OG + og) * KK * plane;
#endif
            for (int p = 0; p < KK; ++p) {
                const int i = p / KW;
                const int j = p - i * KW;
                for (int px = lid; px < P; px += WGS) {
                    const int e = p * P + px;
                    const int pix = pix0 + px;
                    int t[4] = {0, 0, 0, 0}, ok = 0;
                    real w[4] = {0.0f, 0.0f, 0.0f, 0.0f};
                    if (pix < plane) {
                        const int oy = pix / OW;
                        const int ox = pix - oy * OW;
                        const real dy = off[(size_t)(2 * p) * plane + pix];
                        const real dx = off[(size_t)(2 * p + 1) * plane + pix];
                        ok = bilinear_taps(oy * SH - PH + i * DH, dy, ox * SW - PW + j * DW, dx, H, W, t, w);
                    }
                    tap[e] = t[0];
                    tap[TAB + e] = t[1];
                    tap[2 * TAB + e] = t[2];
                    tap[3 * TAB + e] = t[3];
                    tapok[e] = ok;
                    tapw[e] = w[0];
                    tapw[TAB + e] = w[1];
                    tapw[2 * TAB + e] = w[2];
                    tapw[3 * TAB + e] = w[3];
#if HAS_MASK
                    tapm[e] = pix < plane ? msk[(size_t)p * plane + pix] : (real)0.0f;
#endif
                }
            }
            table_og = og;
            LOCAL_BARRIER();
        }

        /* 2. Columns of channels c0..c1-1: col[(c - c0) * TAB + point * P + pixel]. SAMPLE_CH
           channels at a time share each table entry's reads (the loop over entries stays the
           inner one, so a CPU compiler still vectorises it into gathers); then the rest one by one. */
        const int nc = c1 - c0;
        const int hw = H * W;
        const __global real* img0 = input + ((size_t)n * C + c0) * hw;
        int cl = 0;
        for (; cl + SAMPLE_CH <= nc; cl += SAMPLE_CH) {
            const __global real* img = img0 + (size_t)cl * hw;
            __local real* dst = col + cl * TAB;
            for (int e = lid; e < TAB; e += WGS) {
                const int ok = tapok[e];
                const int ia = tap[e], ib = tap[TAB + e], ic = tap[2 * TAB + e], id = tap[3 * TAB + e];
                const real wa = tapw[e], wb = tapw[TAB + e], wc = tapw[2 * TAB + e], wd = tapw[3 * TAB + e];
#if HAS_MASK
                const real m = tapm[e];
#endif
#pragma unroll
                for (int u = 0; u < SAMPLE_CH; ++u) {
                    const __global real* im = img + u * hw;
                    const real ga = im[ia], gb = im[ib], gc = im[ic], gd = im[id];
                    const real va = (ok & 1) ? ga : (real)0.0f;
                    const real vb = (ok & 2) ? gb : (real)0.0f;
                    const real vc = (ok & 4) ? gc : (real)0.0f;
                    const real vd = (ok & 8) ? gd : (real)0.0f;
                    real v = bilinear_combine(wa, wb, wc, wd, va, vb, vc, vd);
#if HAS_MASK
                    v *= m;
#endif
                    dst[u * TAB + e] = v;
                }
            }
        }
        for (; cl < nc; ++cl) {
            const __global real* img = img0 + (size_t)cl * hw;
            __local real* dst = col + cl * TAB;
            for (int e = lid; e < TAB; e += WGS) {
                const int ok = tapok[e];
                const real ga = img[tap[e]], gb = img[tap[TAB + e]];
                const real gc = img[tap[2 * TAB + e]], gd = img[tap[3 * TAB + e]];
                const real va = (ok & 1) ? ga : (real)0.0f;
                const real vb = (ok & 2) ? gb : (real)0.0f;
                const real vc = (ok & 4) ? gc : (real)0.0f;
                const real vd = (ok & 8) ? gd : (real)0.0f;
                real v = bilinear_combine(tapw[e], tapw[TAB + e], tapw[2 * TAB + e], tapw[3 * TAB + e], va, vb, vc, vd);
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
            const __global real* wrow[KT];
#pragma unroll
            for (int t = 0; t < KT; ++t) {
                /* Rows past the group's last channel read its last row and are never written. */
                const int k = min(kb * KB + kl + t, KG - 1);
                wrow[t] = weight + ((size_t)(g * KG + k) * CG + (c0 - cbeg)) * KK;
            }
            realv acc[KT][PV];
            __local real* ab = accbuf + kl * P + ps * PT;
#pragma unroll
            for (int t = 0; t < KT; ++t) {
#pragma unroll
                for (int v = 0; v < PV; ++v) {
                    acc[t][v] = VLOAD(ab + t * P + v * VW);
                }
            }
            const __local real* src = col + ps * PT;
            for (int r = 0; r < rows; ++r) {
                realv x[PV];
#pragma unroll
                for (int v = 0; v < PV; ++v) {
                    x[v] = VLOAD(src + r * P + v * VW);
                }
#pragma unroll
                for (int t = 0; t < KT; ++t) {
                    const realv w = (realv)(wrow[t][r]);
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

    /* Epilogue (bias, post-ops); store the pixels inside the image. */
    for (int e = lid; e < KB * P; e += WGS) {
        const int kl = e / P;
        const int px = e - kl * P;
        const int k = kb * KB + kl;
        const int pix = pix0 + px;
        if (k < KG && pix < plane) {
            real r = accbuf[e];
            const size_t o = ((size_t)n * K + g * KG + k) * plane + pix;
            EPILOGUE(real, 1, r, bias[g * KG + k], sum[o]);
            output[o] = r;
        }
    }
}
