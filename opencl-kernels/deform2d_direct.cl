/*
 * deform2d_direct.cl: deformable 2-D convolution v1/v2, NCHW float32, with the semantics of
 * torchvision.ops.deform_conv2d. One work-item computes one output element and samples the
 * input on the fly (no im2col buffer, so memory does not grow with N, H or W).
 *
 * Sample point: y = oy*SH - PH + i*DH + dy, x = ox*SW - PW + j*DW + dx, where (dy, dx) is the
 * offset pair of kernel point i*KW+j in the channel's offset group. Bilinear interpolation in
 * which each neighbour outside the image counts as zero; the sample is zero unless
 * -1 < y < H and -1 < x < W (an infinite offset is outside), and NaN when dy or dx is NaN.
 * The point is split into an integer cell, base + floor(d) (int arithmetic, saturated, so a huge
 * offset stays outside), and the fraction d - floor(d), which depends on the offset alone: no
 * bits are lost on wide or tall maps, and the inside test is exact.
 *
 * Build options (-D):
 *   KH, KW     kernel height and width
 *   SH, SW     stride
 *   PH, PW     zero padding
 *   DH, DW     dilation
 *   CG         input channels per group   (C / groups)
 *   KG         output channels per group  (K / groups)
 *   OG         offset groups
 *   HAS_MASK   0 or 1: multiply each sample by the mask (DCNv2)
 *   HAS_BIAS   0 or 1: add bias[k]
 *   RELU       0 or 1: apply x < 0 ? 0 : x (NaN stays NaN)
 * Kernel arguments: input, offset, mask (any buffer when HAS_MASK is 0), weight, bias (any
 *   buffer when HAS_BIAS is 0), output, N, C, H, W, K, OH, OW.
 * NDRange: global (round_up(OW, lx), round_up(OH, ly), N*K); work-items past OW/OH return.
 */

inline float sample_or_zero(__global const float* img, int H, int W, int y, int x)
{
    return (y >= 0 && y < H && x >= 0 && x < W) ? img[y * W + x] : 0.0f;
}

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

inline float bilinear(__global const float* img, int H, int W, int by, float dy, int bx, float dx)
{
    if (isnan(dy) || isnan(dx)) {
        return NAN;
    }
    const int y0 = sample_cell(by, dy), x0 = sample_cell(bx, dx);
    const float ly = dy - floor(dy), lx = dx - floor(dx);
    if (!(sample_inside(y0, ly, H) && sample_inside(x0, lx, W))) {
        return 0.0f;
    }
    const float hy = 1.0f - ly, hx = 1.0f - lx;
    return hy * hx * sample_or_zero(img, H, W, y0, x0)
         + hy * lx * sample_or_zero(img, H, W, y0, x0 + 1)
         + ly * hx * sample_or_zero(img, H, W, y0 + 1, x0)
         + ly * lx * sample_or_zero(img, H, W, y0 + 1, x0 + 1);
}

__kernel void deform2d_direct(__global const float* restrict input,
                              __global const float* restrict offset,
                              __global const float* restrict mask,
                              __global const float* restrict weight,
                              __global const float* restrict bias,
                              __global float* restrict output,
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
    float acc = 0.0f;
    for (int cl = 0; cl < CG; ++cl) {
        const int c = g * CG + cl;
        const int og = c / c_per_og;
        const __global float* img = input + ((size_t)(n * C + c)) * H * W;
        const __global float* wt = weight + ((size_t)(k * CG + cl)) * KH * KW;
        const __global float* off = offset + ((size_t)n * 2 * OG * KH * KW + (size_t)og * 2 * KH * KW) * plane + pix;
#if HAS_MASK
        const __global float* msk = mask + ((size_t)n * OG * KH * KW + (size_t)og * KH * KW) * plane + pix;
#endif
        for (int i = 0; i < KH; ++i) {
            for (int j = 0; j < KW; ++j) {
                const int p = i * KW + j;
                float v = bilinear(img, H, W, oy * SH - PH + i * DH, off[(2 * p) * plane],
                                   ox * SW - PW + j * DW, off[(2 * p + 1) * plane]);
#if HAS_MASK
                v *= msk[p * plane];
#endif
                acc = fma(v, wt[p], acc);
            }
        }
    }
#if HAS_BIAS
    acc += bias[k];
#endif
#if RELU
    acc = acc < 0.0f ? 0.0f : acc;
#endif
    output[((size_t)(n * K + k) * OH + oy) * OW + ox] = acc;
}
