/*
 * conv2d_direct.cl: direct 2-D convolution, NCHW, PyTorch conv2d semantics.
 * One work-item computes one output element; any stride, padding, dilation and groups.
 * The general-purpose kernel: every valid spec runs here, so faster kernels can be checked
 * against it. Zero padding is multiplied like any input (NaN/inf weights reach border outputs),
 * the semantics every convcl backend shares. Padding may differ before and after an axis: PH and
 * PW are the padding before (top, left); the padding after (bottom, right) is implied by OH, OW.
 *
 * Build options (-D), besides the prelude's (REAL, REAL_BYTES, HAS_BIAS, POST_N, POSTi_*: the
 * element type and the epilogue, see prelude.h):
 *   KH, KW     kernel height and width
 *   SH, SW     stride
 *   PH, PW     zero padding above and left of the input
 *   DH, DW     dilation
 *   CG         input channels per group  (C / groups)
 *   KG         output channels per group (K / groups)
 * Kernel arguments: input, weight, bias (any buffer without HAS_BIAS), sum (the sum post-op's
 *   tensor, of the output's shape; any buffer without one), output, N, C, H, W, K, OH, OW.
 * NDRange: global (round_up(OW, lx), round_up(OH, ly), N*K); work-items past OW/OH return.
 */
__kernel void conv2d_direct(__global const real* restrict input,
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
    const int iy0 = oy * SH - PH;
    const int ix0 = ox * SW - PW;
    real acc = 0.0f;
    for (int cl = 0; cl < CG; ++cl) {
        const __global real* in = input + ((size_t)(n * C + g * CG + cl)) * H * W;
        const __global real* wt = weight + ((size_t)(k * CG + cl)) * KH * KW;
        for (int i = 0; i < KH; ++i) {
            const int iy = iy0 + i * DH;
            const bool row_inside = iy >= 0 && iy < H;
            for (int j = 0; j < KW; ++j) {
                const int ix = ix0 + j * DW;
                /* A padding tap is a zero that is still multiplied: 0 * NaN and 0 * inf must give
                 * NaN, as in the reference. Skipping it would hide a non-finite weight. */
                const real v = (row_inside && ix >= 0 && ix < W) ? in[iy * W + ix] : (real)0.0f;
                acc = fma(v, wt[i * KW + j], acc);
            }
        }
    }
    const size_t o = ((size_t)nk * OH + oy) * OW + ox;
    EPILOGUE(real, 1, acc, bias[k], sum[o]);
    output[o] = acc;
}
