/*
 * pool2d.cl: max and average pooling, NCHW, as dev.convcl.Pool2d defines them (PyTorch's
 * max_pool2d / avg_pool2d: ceil_mode decides the output size on the host, count_include_pad the
 * average's divisor; global average pooling is the window of the whole plane).
 * One work-item computes one output element. Padding never enters a max (it is -inf, and NaN
 * propagates: a NaN tap makes the output NaN); an average sums the taps inside the input and
 * divides by their count, or with COUNT_INCLUDE_PAD by the window clipped to the padded input
 * (PyTorch's rule: a window that reaches past the bottom/right padding, possible with ceil_mode,
 * counts only up to the padding's end).
 *
 * Build options (-D), besides the prelude's REAL and REAL_BYTES:
 *   POOL_MAX           1 for max pooling, 0 for average pooling
 *   COUNT_INCLUDE_PAD  average pooling: 1 to divide by the window clipped to the padded input, 0
 *                      to divide by the taps inside the input
 *   KH, KW             window height and width
 *   SH, SW             stride
 *   PH, PW             padding above and left of the input
 *   PH_END, PW_END     padding below and right of the input (the divisor's clip)
 *   DH, DW             dilation (1 for average pooling)
 * Kernel arguments: input [N, C, H, W], output [N, C, OH, OW], H, W, OH, OW, TOTAL (N*C*OH*OW).
 * NDRange: 1-D, global round_up(TOTAL, local); work-items past TOTAL return.
 */
__kernel void pool2d(__global const real* restrict input,
                     __global real* restrict output,
                     const int H, const int W, const int OH, const int OW, const int TOTAL)
{
    ITEM_OR_RETURN(o, TOTAL);
    const int4 p = unravel4(o, 1, OH, OW); /* (plane, 0, oy, ox) */
    const __global real* in = input + (size_t)p.s0 * H * W;
    const int y0 = p.s2 * SH - PH;
    const int x0 = p.s3 * SW - PW;
#if POOL_MAX
    real m = -INFINITY;
    for (int i = 0; i < KH; ++i) {
        const int iy = y0 + i * DH;
        if (iy < 0 || iy >= H) {
            continue;
        }
        for (int j = 0; j < KW; ++j) {
            const int ix = x0 + j * DW;
            if (ix >= 0 && ix < W) {
                const real t = in[iy * W + ix];
                if (t > m || isnan(t)) {
                    m = t;
                }
            }
        }
    }
    output[o] = m;
#else
    real s = (real)0.0f;
    int taps = 0;
    for (int i = 0; i < KH; ++i) {
        const int iy = y0 + i;
        if (iy < 0 || iy >= H) {
            continue;
        }
        for (int j = 0; j < KW; ++j) {
            const int ix = x0 + j;
            if (ix >= 0 && ix < W) {
                s += in[iy * W + ix];
                ++taps;
            }
        }
    }
#if COUNT_INCLUDE_PAD
    const int divisor = (min(y0 + KH, H + PH_END) - y0) * (min(x0 + KW, W + PW_END) - x0);
#else
    const int divisor = taps;
#endif
    output[o] = s / (real)divisor;
#endif
}
