/*
 * conv2d_direct.cl: direct 2-D convolution, NCHW float32, PyTorch conv2d semantics.
 * One work-item computes one output element; any stride, padding, dilation and groups.
 * The general-purpose kernel: every valid spec runs here, so faster kernels can be checked
 * against it. Zero padding is multiplied like any input (NaN/inf weights reach border outputs),
 * the semantics every convcl backend shares.
 *
 * Build options (-D):
 *   KH, KW     kernel height and width
 *   SH, SW     stride
 *   PH, PW     zero padding
 *   DH, DW     dilation
 *   CG         input channels per group  (C / groups)
 *   KG         output channels per group (K / groups)
 *   HAS_BIAS   0 or 1: add bias[k]
 *   RELU       0 or 1: apply x < 0 ? 0 : x (NaN stays NaN)
 * Kernel arguments: input, weight, bias (any buffer when HAS_BIAS is 0), output,
 *   N, C, H, W, K, OH, OW.
 * NDRange: global (round_up(OW, lx), round_up(OH, ly), N*K); work-items past OW/OH return.
 */
__kernel void conv2d_direct(__global const float* restrict input,
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
    const int iy0 = oy * SH - PH;
    const int ix0 = ox * SW - PW;
    float acc = 0.0f;
    for (int cl = 0; cl < CG; ++cl) {
        const __global float* in = input + ((size_t)(n * C + g * CG + cl)) * H * W;
        const __global float* wt = weight + ((size_t)(k * CG + cl)) * KH * KW;
        for (int i = 0; i < KH; ++i) {
            const int iy = iy0 + i * DH;
            const bool row_inside = iy >= 0 && iy < H;
            for (int j = 0; j < KW; ++j) {
                const int ix = ix0 + j * DW;
                /* A padding tap is a zero that is still multiplied: 0 * NaN and 0 * inf must give
                 * NaN, as in the reference. Skipping it would hide a non-finite weight. */
                const float v = (row_inside && ix >= 0 && ix < W) ? in[iy * W + ix] : 0.0f;
                acc = fma(v, wt[i * KW + j], acc);
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
