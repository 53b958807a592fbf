/*
 * deform2d_direct.cl: deformable 2-D convolution v1/v2, NCHW, with the semantics of
 * torchvision.ops.deform_conv2d. One work-item computes one output element and samples the
 * input on the fly (no im2col buffer, so memory does not grow with N, H or W).
 *
 * Sample point: y = oy*SH - PH + i*DH + dy, x = ox*SW - PW + j*DW + dx, where (dy, dx) is the
 * offset pair of kernel point i*KW+j in the channel's offset group, sampled by the prelude's
 * bilinear_taps (each neighbour outside the image counts as zero; the sample is zero unless
 * -1 < y < H and -1 < x < W, an infinite offset being outside, and NaN when dy or dx is NaN; the
 * integer cell and the fraction are taken apart, so no bits are lost on wide or tall maps).
 * The sample is multiplied by the mask as given.
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
 *   HAS_MASK   0 or 1: multiply each sample by the mask (DCNv2)
 * Kernel arguments: input, offset, mask (any buffer when HAS_MASK is 0), weight, bias (any
 *   buffer without HAS_BIAS), sum (the sum post-op's tensor, of the output's shape; any buffer
 *   without one), output, N, C, H, W, K, OH, OW.
 * NDRange: global (round_up(OW, lx), round_up(OH, ly), N*K); work-items past OW/OH return.
 */

/* The bilinear sample at (by + dy, bx + dx) of one H x W plane. */
inline real bilinear(__global const real* img, int H, int W, int by, real dy, int bx, real dx)
{
    int tap[4];
    real w[4];
    const int ok = bilinear_taps(by, dy, bx, dx, H, W, tap, w);
    return bilinear_combine(w[0], w[1], w[2], w[3], (ok & 1) ? img[tap[0]] : (real)0.0f,
                            (ok & 2) ? img[tap[1]] : (real)0.0f, (ok & 4) ? img[tap[2]] : (real)0.0f,
                            (ok & 8) ? img[tap[3]] : (real)0.0f);
}

__kernel void deform2d_direct(__global const real* restrict input,
                              __global const real* restrict offset,
                              __global const real* restrict mask,
                              __global const real* restrict weight,
                              __global const real* restrict bias,
                              __global const real* restrict sum,
                              __global real* restrict output,
                              const int N, const int C, const int H, const int W,
                              const int K, const int OH, const int OW)
{
    const int ox = get_global_id(0);
    const int oy = get_global_id(1);
    const int nk = get_global_id(2);
    if (ox >= OW || oy >= OH) {
        return;
    }
    const int n = nk / K;
    const int k = nk - n * K;
    const int g = k / KG;
    const int c_per_og = C / OG;
    const size_t plane = (size_t)OH * OW;
    const size_t pix = (size_t)oy * OW + ox;
    real acc = 0.0f;
    for (int cl = 0; cl < CG; ++cl) {
        const int c = g * CG + cl;
        const int og = c / c_per_og;
        const __global real* img = input + ((size_t)(n * C + c)) * H * W;
        const __global real* wt = weight + ((size_t)(k * CG + cl)) * KH * KW;
        const __global real* off = offset + ((size_t)n * 2 * OG * KH * KW + (size_t)og * 2 * KH * KW) * plane + pix;
#if HAS_MASK
        const __global real* msk = mask + ((size_t)n * OG * KH * KW + (size_t)og * KH * KW) * plane + pix;
#endif
        for (int i = 0; i < KH; ++i) {
            for (int j = 0; j < KW; ++j) {
                const int p = i * KW + j;
                real v = bilinear(img, H, W, oy * SH - PH + i * DH, off[(2 * p) * plane],
                                  ox * SW - PW + j * DW, off[(2 * p + 1) * plane]);
#if HAS_MASK
                v *= msk[p * plane];
#endif
                acc = fma(v, wt[p], acc);
            }
        }
    }
    const size_t o = (size_t)nk * plane + pix;
    EPILOGUE(real, 1, acc, bias[k], sum[o]);
    output[o] = acc;
}
