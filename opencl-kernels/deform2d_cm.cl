/*
 * deform2d_cm.cl: deformable 2-D convolution v1/v2, NCHW, with the semantics of
 * torchvision.ops.deform_conv2d, as fused sampling + matrix multiply with the channels in the
 * vectors, for CPU devices (one work-item a work-group, no barriers).
 *
 * deform2d_gemm.cl samples a chunk of input channels pixel by pixel: its vectors run along the
 * pixels of a tile, so each neighbour of a sample is a gather from an NCHW plane. Here the input
 * is first copied channels-last (deform2d_nhwc: [N][H*W][C]), so the four neighbours of one
 * sample point are four contiguous vectors of VW channels, and the GEMM keeps VW*MV output channels
 * in its vectors (the channel-vector register tile of conv2d_gemm_cm), broadcasting one sample a
 * pixel. Sampling a point for VW channels costs four vector loads and four fma; a gather of VW
 * lanes costs about VW loads.
 *
 * A work-group owns a tile of P = TN*NPT output pixels (consecutive in row-major order) and
 * KB = TM*NKT output channels (TM = VW*MV) of one group, for one image. For a chunk of at most CC
 * input channels of one offset group it
 *   1. tabulates, once per offset group, the four neighbour indices (times C: offsets into the
 *      channels-last image) and bilinear weights (and the mask) of every (kernel point, pixel) of
 *      the tile, VW pixels at a time in vectors where they all lie in the plane, else pixel by
 *      pixel with the prelude's bilinear_taps; both follow bilinear_taps' rule (deform2d_gemm.cl's),
 *      so NaN and infinite offsets, and NaN or infinite inputs at neighbours outside the image,
 *      behave alike. Each table array has VW entries of slack past its end (TABS): a vector of
 *      the last kernel point may run past the tile's pixels;
 *   2. samples the chunk's channels, col[point][pixel][channel], into local memory;
 *   3. multiplies them by the packed weights of its KB output channels in register tiles of TM
 *      channels x TN pixels, the reduction ordered (kernel point, channel), accumulating into
 *      local memory accbuf[pixel][channel].
 * Then the epilogue (bias, post-ops, the sum tensor) writes the tile's outputs.
 *
 * Kernels and their build options (-D), besides the prelude's (REAL, REAL_BYTES, HAS_BIAS,
 * POST_N, POSTi_*):
 *   deform2d_nhwc     none beyond the prelude's: input [N][C][H*W] -> nhwc [N][H*W][C].
 *                     NDRange (round_up(H*W, l), N), local (l, 1).
 *   deform2d_cm_pack  KH, KW, CG, KG, VW, MV: weights [K][CG][KH][KW] -> panels
 *                     [groups][ceil(KG/TM)][KH*KW][CG][TM], zero past the group's KG channels.
 *                     NDRange (ceil(KG/TM)*TM, CG*KH*KW, groups), any local size.
 *   deform2d_cm       KH, KW, SH, SW, PH, PW, DH, DW, CG, KG, OG, CPOG (input channels per offset
 *                     group), HAS_MASK; VW (1, 2, 4, 8, 16: channels a vector), MV (vectors a
 *                     register tile), TN (pixels a register tile), NPT and NKT (register tiles a
 *                     work-group along pixels and channels), CC (channels a chunk).
 *                     Arguments: nhwc, offset, mask (any buffer without HAS_MASK), the packed
 *                     weights, then as CONV_TAIL_ARGS (bias, sum, output, N, C, H, W, K, OH, OW).
 *                     NDRange (ceil(OH*OW / P), N * groups * ceil(KG / KB)), local (1, 1).
 *                     Local memory, sized at compile time: 5 * (KH*KW*P + VW) ints, 4 * (KH*KW*P
 *                     + VW) reals (and as many more with HAS_MASK), CC * KH*KW*P + KB * P reals.
 */

#define KK (KH * KW)
#define TM (VW * MV)          /* output channels per register tile */
#define KB (TM * NKT)         /* output channels per work-group */
#define P (TN * NPT)          /* pixels per work-group */
#define TAB (KK * P)          /* entries of the sampling table */
#define TABS (TAB + VW)       /* the table's arrays, each with VW entries of slack (the last vector's) */
#define MT ((KG + TM - 1) / TM) /* weight panels per group */
#define KBLK ((KG + KB - 1) / KB)

#if VW == 1
typedef int intv;
#define VLOADI(p) (*(p))
#define VSTOREI(v, p) (*(p) = (v))
#define CONVERT_INTV_SAT(x) convert_int_sat(x)
#else
typedef CAT(int, VW) intv;
#define VLOADI(p) CAT(vload, VW)(0, (p))
#define VSTOREI(v, p) CAT(vstore, VW)((v), 0, (p))
#define CONVERT_INTV_SAT(x) CAT(CAT(convert_int, VW), _sat)(x)
#endif

__kernel void deform2d_nhwc(__global const real* restrict input, __global real* restrict nhwc,
                            const int C, const int HW)
{
    const int pix = get_global_id(0);
    const int n = get_global_id(1);
    if (pix >= HW) {
        return;
    }
    const __global real* src = input + (size_t)n * C * HW + pix;
    __global real* dst = nhwc + ((size_t)n * HW + pix) * C;
    for (int c = 0; c < C; ++c) {
        dst[c] = src[(size_t)c * HW];
    }
}

__kernel void deform2d_cm_pack(__global const real* restrict weight, __global real* restrict wpack)
{
    const int kk = get_global_id(0); /* panel * TM + lane */
    const int rc = get_global_id(1); /* point * CG + channel */
    const int g = get_global_id(2);
    if (kk >= MT * TM || rc >= KK * CG) {
        return;
    }
    const int panel = kk / TM;
    const int lane = kk - panel * TM;
    const int point = rc / CG;
    const int c = rc - point * CG;
    const int k = panel * TM + lane;
    const real v = k < KG ? weight[((size_t)(g * KG + k) * CG + c) * KK + point] : (real)0.0f;
    wpack[(((size_t)g * MT + panel) * KK * CG + rc) * TM + lane] = v;
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void deform2d_cm(__global const real* restrict nhwc,
                 __global const real* restrict offset,
                 __global const real* restrict mask,
                 __global const real* restrict wpack, __global const real* restrict bias,
                 __global const real* restrict sum, __global real* restrict output,
                 const int N, const int C, const int H, const int W, const int K, const int OH, const int OW)
{
    __local int tap[4 * TABS];
    __local int tapok[TABS];
    __local real tapw[4 * TABS];
#if HAS_MASK
    __local real tapm[TABS];
#endif
    /* Each pixel's window origin (oy*SH - PH, ox*SW - PW), VW entries of slack. */
    int pby[P + VW], pbx[P + VW];
    __local real col[TAB * CC];
    __local real accbuf[P * KB];

    const int plane = OH * OW;
    const int hw = H * W;
    const int pix0 = (int)get_group_id(0) * P;
    const int groups = C / CG;
    const int gz = get_global_id(1);
    const int n = gz / (groups * KBLK);
    const int rest = gz - n * (groups * KBLK);
    const int g = rest / KBLK;
    const int kb = rest - g * KBLK;

    for (int e = 0; e < P * KB; ++e) {
        accbuf[e] = (real)0.0f;
    }
    for (int px = 0; px < P + VW; ++px) {
        const int pix = min(pix0 + px, plane - 1);
        const int oy = pix / OW;
        pby[px] = oy * SH - PH;
        pbx[px] = (pix - oy * OW) * SW - PW;
    }

    const int cbeg = g * CG;
    const int cend = cbeg + CG;
    const __global real* img = nhwc + (size_t)n * hw * C;
    int table_og = -1;
    for (int c0 = cbeg; c0 < cend;) {
        const int og = c0 / CPOG;
        const int c1 = min(min(c0 + CC, cend), (og + 1) * CPOG);
        const int nc = c1 - c0;

        /* 1. Sampling table of this offset group: VW pixels at a time where they all lie in the
           plane (bilinear_taps' rule, lane by lane), else one by one. */
        if (og != table_og) {
            const __global real* off = offset + (size_t)(n * OG + og) * 2 * KK * plane;
#if HAS_MASK
            const __global real* msk = mask + (size_t)(n * OG + og) * KK * plane;
#endif
            for (int p = 0; p < KK; ++p) {
                const int i = p / KW;
                const int j = p - i * KW;
                for (int px0 = 0; px0 < P; px0 += VW) {
                    const int e0 = p * P + px0;
                    if (pix0 + px0 + VW <= plane) {
                        const int q0 = pix0 + px0;
                        const realv dy = VLOAD(off + (size_t)(2 * p) * plane + q0);
                        const realv dx = VLOAD(off + (size_t)(2 * p + 1) * plane + q0);
                        const realv fy = floor(dy), fx = floor(dx);
                        const intv y0 = add_sat(VLOADI(pby + px0) + (intv)(i * DH), CONVERT_INTV_SAT(fy));
                        const intv x0 = add_sat(VLOADI(pbx + px0) + (intv)(j * DW), CONVERT_INTV_SAT(fx));
                        const realv ly = dy - fy, lx = dx - fx;
                        const intv num = (dy == dy) & (dx == dx);
                        const intv in = num & (y0 >= (intv)(-1)) & (y0 < (intv)(H)) & ((y0 >= (intv)(0)) | (ly > (realv)(0.0f)))
                                & (x0 >= (intv)(-1)) & (x0 < (intv)(W)) & ((x0 >= (intv)(0)) | (lx > (realv)(0.0f)));
                        const realv hy = (realv)(1.0f) - ly, hx = (realv)(1.0f) - lx;
                        const realv zero = (realv)(0.0f), nanv = (realv)(NAN);
                        VSTORE(select(nanv, select(zero, hy * hx, in), num), tapw + e0);
                        VSTORE(select(nanv, select(zero, hy * lx, in), num), tapw + TABS + e0);
                        VSTORE(select(nanv, select(zero, ly * hx, in), num), tapw + 2 * TABS + e0);
                        VSTORE(select(nanv, select(zero, ly * lx, in), num), tapw + 3 * TABS + e0);
                        const intv yc = select((intv)(0), y0, in), xc = select((intv)(0), x0, in);
                        const intv top = in & (yc >= (intv)(0)), bottom = in & (yc < (intv)(H - 1));
                        const intv left = xc >= (intv)(0), right = xc < (intv)(W - 1);
                        /* The next row and column clamped to the image, so that no lane's index
                           (a discarded one's too) passes H*W*C. */
                        const intv yb = min(yc + (intv)(1), (intv)(H - 1)), xr = min(xc + (intv)(1), (intv)(W - 1));
                        const intv izero = (intv)(0), iw = (intv)(W), ic = (intv)(C);
                        VSTOREI(select(izero, (yc * iw + xc) * ic, top & left), tap + e0);
                        VSTOREI(select(izero, (yc * iw + xr) * ic, top & right), tap + TABS + e0);
                        VSTOREI(select(izero, (yb * iw + xc) * ic, bottom & left), tap + 2 * TABS + e0);
                        VSTOREI(select(izero, (yb * iw + xr) * ic, bottom & right), tap + 3 * TABS + e0);
                        VSTOREI(select(izero, (intv)(1), top & left) | select(izero, (intv)(2), top & right)
                                | select(izero, (intv)(4), bottom & left) | select(izero, (intv)(8), bottom & right),
                                tapok + e0);
#if HAS_MASK
                        VSTORE(VLOAD(msk + (size_t)p * plane + q0), tapm + e0);
#endif
                        continue;
                    }
                    for (int px = px0; px < min(px0 + VW, P); ++px) {
                        const int e = p * P + px;
                        const int pix = pix0 + px;
                        int t[4] = {0, 0, 0, 0}, ok = 0;
                        real w[4] = {0.0f, 0.0f, 0.0f, 0.0f};
                        if (pix < plane) {
                            const real dy = off[(size_t)(2 * p) * plane + pix];
                            const real dx = off[(size_t)(2 * p + 1) * plane + pix];
                            ok = bilinear_taps(pby[px] + i * DH, dy, pbx[px] + j * DW, dx, H, W, t, w);
                        }
                        tap[e] = t[0] * C;
                        tap[TABS + e] = t[1] * C;
                        tap[2 * TABS + e] = t[2] * C;
                        tap[3 * TABS + e] = t[3] * C;
                        tapok[e] = ok;
                        tapw[e] = w[0];
                        tapw[TABS + e] = w[1];
                        tapw[2 * TABS + e] = w[2];
                        tapw[3 * TABS + e] = w[3];
#if HAS_MASK
                        tapm[e] = pix < plane ? msk[(size_t)p * plane + pix] : (real)0.0f;
#endif
                    }
                }
            }
            table_og = og;
        }

        /* 2. col[e * CC + (c - c0)]: the sample of channel c at table entry e, VW channels at a
           time from the four neighbours' contiguous channels; the chunk's last channels one by one. */
        const __global real* imc = img + c0;
        for (int e = 0; e < TAB; ++e) {
            const int ok = tapok[e];
            const __global real* pa = imc + tap[e];
            const __global real* pb = imc + tap[TABS + e];
            const __global real* pc = imc + tap[2 * TABS + e];
            const __global real* pd = imc + tap[3 * TABS + e];
            const real wa = tapw[e], wb = tapw[TABS + e], wc = tapw[2 * TABS + e], wd = tapw[3 * TABS + e];
#if HAS_MASK
            const real m = tapm[e];
#endif
            __local real* dst = col + e * CC;
            int cl = 0;
            for (; cl + VW <= nc; cl += VW) {
                const realv zero = (realv)((real)0.0f);
                const realv va = (ok & 1) ? VLOAD(pa + cl) : zero;
                const realv vb = (ok & 2) ? VLOAD(pb + cl) : zero;
                const realv vc = (ok & 4) ? VLOAD(pc + cl) : zero;
                const realv vd = (ok & 8) ? VLOAD(pd + cl) : zero;
                realv v = (realv)(wa) * va + (realv)(wb) * vb + (realv)(wc) * vc + (realv)(wd) * vd;
#if HAS_MASK
                v *= (realv)(m);
#endif
                VSTORE(v, dst + cl);
            }
            for (; cl < nc; ++cl) {
                const real va = (ok & 1) ? pa[cl] : (real)0.0f;
                const real vb = (ok & 2) ? pb[cl] : (real)0.0f;
                const real vc = (ok & 4) ? pc[cl] : (real)0.0f;
                const real vd = (ok & 8) ? pd[cl] : (real)0.0f;
                real v = bilinear_combine(wa, wb, wc, wd, va, vb, vc, vd);
#if HAS_MASK
                v *= m;
#endif
                dst[cl] = v;
            }
        }

        /* 3. accbuf[pixel][kl] += sum over (point, channel) of wpack * col, register tiles of TM
           channels x TN pixels. */
        for (int ks = 0; ks < NKT; ++ks) {
            const int kl = ks * TM;
            const int panel = (kb * KB + kl) / TM;
            if (panel >= MT) {
                break;
            }
            const __global real* wp = wpack + ((size_t)g * MT + panel) * KK * CG * TM + (size_t)(c0 - cbeg) * TM;
            for (int ps = 0; ps < NPT; ++ps) {
                realv acc[TN][MV];
                __local real* ab = accbuf + ps * TN * KB + kl;
#pragma unroll
                for (int t = 0; t < TN; ++t) {
#pragma unroll
                    for (int v = 0; v < MV; ++v) {
                        acc[t][v] = VLOAD(ab + t * KB + v * VW);
                    }
                }
                const __local real* src = col + ps * TN * CC;
                for (int p = 0; p < KK; ++p) {
                    const __global real* wr = wp + (size_t)p * CG * TM;
                    const __local real* sp = src + p * P * CC;
                    for (int cl = 0; cl < nc; ++cl) {
                        realv wv[MV];
#pragma unroll
                        for (int v = 0; v < MV; ++v) {
                            wv[v] = VLOAD(wr + cl * TM + v * VW);
                        }
#pragma unroll
                        for (int t = 0; t < TN; ++t) {
                            const realv x = (realv)(sp[t * CC + cl]);
#pragma unroll
                            for (int v = 0; v < MV; ++v) {
                                acc[t][v] = VFMA(wv[v], x, acc[t][v]);
                            }
                        }
                    }
                }
#pragma unroll
                for (int t = 0; t < TN; ++t) {
#pragma unroll
                    for (int v = 0; v < MV; ++v) {
                        VSTORE(acc[t][v], ab + t * KB + v * VW);
                    }
                }
            }
        }
        c0 = c1;
    }

    /* Epilogue (bias, post-ops); store the outputs inside the image and the group. */
    for (int kl = 0; kl < KB; ++kl) {
        const int k = kb * KB + kl;
        if (k >= KG) {
            break;
        }
        const size_t obase = ((size_t)n * K + g * KG + k) * plane;
        for (int px = 0; px < P; ++px) {
            const int pix = pix0 + px;
            if (pix < plane) {
                real r = accbuf[px * KB + kl];
                const size_t o = obase + pix;
                EPILOGUE(real, 1, r, bias[g * KG + k], sum[o]);
                output[o] = r;
            }
        }
    }
}
