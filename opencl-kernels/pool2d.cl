/*
 * pool2d.cl: max and average pooling, NCHW, as dev.convcl.Pool2d defines them (PyTorch's
 * max_pool2d / avg_pool2d: ceil_mode decides the output size on the host, count_include_pad the
 * average's divisor; global average pooling is the window of the whole plane).
 * One work-item computes a run of XR outputs of one output row. Padding never enters a max (it is -inf, and NaN
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
 *   IN_H, IN_W         input plane size
 *   OUT_H, OUT_W       output plane size
 *   XR                 outputs a work-item computes along a row (1 to OUT_W): 16 on CPU devices,
 *                      where a work-item per output spent more on each work-item's start than on
 *                      its window (POCL: 5.0 ms for ResNet-18's 3x3/2 max pool of 64x112x112,
 *                      1.1 ms with runs of 16); 1 on GPUs, whose neighbouring work-items must read
 *                      neighbouring addresses
 * Kernel arguments: input [N, C, IN_H, IN_W], output [N, C, OUT_H, OUT_W], TOTAL (N*C*OUT_H*runs,
 * runs = ceil(OUT_W / XR)).
 * NDRange: 1-D, global round_up(TOTAL, local); work-items past TOTAL return.
 * Branch-free windows: a tap outside the input reads a clamped neighbour and is not taken, and
 * t != t is the NaN test (a call to isnan cost as much as the rest of the window on POCL).
 */
__kernel void pool2d(__global const real* restrict input,
                     __global real* restrict output,
                     const int TOTAL)
{
    ITEM_OR_RETURN(r, TOTAL);
    const int runs = (OUT_W + XR - 1) / XR;
    const int orow = r / runs;            /* the output row: plane * OUT_H + oy */
    const int ox0 = (r - orow * runs) * XR;
    const int plane = orow / OUT_H;
    const int y0 = (orow - plane * OUT_H) * SH - PH;
    const __global real* in = input + (size_t)plane * IN_H * IN_W;
    __global real* out = output + (size_t)orow * OUT_W;
#if POOL_MAX
    real m[XR];
    for (int l = 0; l < XR; ++l) {
        m[l] = -INFINITY;
    }
    for (int i = 0; i < KH; ++i) {
        const int iy = y0 + i * DH;
        const bool row_in = iy >= 0 && iy < IN_H;
        const int row = clamp(iy, 0, IN_H - 1) * IN_W;
        for (int j = 0; j < KW; ++j) {
            for (int l = 0; l < XR; ++l) {
                const int ix = (ox0 + l) * SW - PW + j * DW;
                const real t = in[row + clamp(ix, 0, IN_W - 1)];
                const bool take = row_in && ix >= 0 && ix < IN_W && (t > m[l] || t != t);
                m[l] = take ? t : m[l];
            }
        }
    }
    for (int l = 0; l < XR; ++l) {
        if (XR == OUT_W || ox0 + l < OUT_W) {
            out[ox0 + l] = m[l];
        }
    }
#else
    real s[XR];
    int taps[XR];
    for (int l = 0; l < XR; ++l) {
        s[l] = (real)0.0f;
        taps[l] = 0;
    }
    for (int i = 0; i < KH; ++i) {
        const int iy = y0 + i;
        const bool row_in = iy >= 0 && iy < IN_H;
        const int row = clamp(iy, 0, IN_H - 1) * IN_W;
        for (int j = 0; j < KW; ++j) {
            for (int l = 0; l < XR; ++l) {
                const int ix = (ox0 + l) * SW - PW + j;
                const bool take = row_in && ix >= 0 && ix < IN_W;
                const real t = in[row + clamp(ix, 0, IN_W - 1)];
                s[l] += take ? t : (real)0.0f;
                taps[l] += take ? 1 : 0;
            }
        }
    }
    for (int l = 0; l < XR; ++l) {
        if (XR == OUT_W || ox0 + l < OUT_W) {
#if COUNT_INCLUDE_PAD
            const int x0 = (ox0 + l) * SW - PW;
            const int divisor = (min(y0 + KH, IN_H + PH_END) - y0) * (min(x0 + KW, IN_W + PW_END) - x0);
#else
            const int divisor = taps[l];
#endif
            out[ox0 + l] = s[l] / (real)divisor;
        }
    }
#endif
}
