/*
 * roi_align.cl: RoI pooling by bilinear sampling, NCHW: torchvision's roi_align and ps_roi_align,
 * mmcv's deform_roi_pool (plain and modulated), as dev.convcl.RoiAlign defines them. One
 * work-item computes one output element (RoI k, output channel co, bin (i, j)): the RoI's geometry,
 * the bin's sample grid and the average of its bilinear samples. No scratch: the memory is the
 * output's, whatever the number of RoIs.
 *
 * Border rule (the peers', not the deformable convolution's sample_cell/bilinear_taps, which
 * count neighbours outside the map as zero): a point with y < -1, y > H, x < -1 or x > W is 0;
 * otherwise a negative coordinate is clamped to 0 and a point at or past the last row or column
 * reads that row or column. A NaN coordinate (from a NaN offset) gives NaN.
 *
 * Build options (-D), besides the prelude's REAL and REAL_BYTES (no epilogue):
 *   KIND        0 roi_align, 1 ps_roi_align, 2 deform_roi_pool
 *   SHIFTED     1: scaled corners are shifted by -0.5 pixel (aligned roi_align, ps_roi_align,
 *               deform_roi_pool); 0: unaligned roi_align, whose RoI sizes are raised to at least 1
 *   HAS_OFFSET  0 or 1: deform_roi_pool reads offset [K, 2, PH, PW] (dx, dy)
 *   HAS_MASK    0 or 1: deform_roi_pool multiplies each bin by mask [K, 1, PH, PW]
 * Kernel arguments: input [N, C, H, W], rois [K, 5], offset (any buffer without HAS_OFFSET), mask
 *   (any buffer without HAS_MASK), output [K, COUT, PH, PW], N, C, H, W, K, COUT, PH, PW,
 *   spatial_scale, sampling_ratio (0 or less: adaptive), gamma.
 * NDRange: 1-D, global round_up(K * COUT * PH * PW, local); work-items past the end return.
 * The host has checked the RoIs (finite, batch index in [0, N)); a batch index outside writes NaN.
 */
#pragma OPENCL FP_CONTRACT OFF

#if SHIFTED
#define SHIFT ((real)0.5f)
#else
#define SHIFT ((real)0.0f)
#endif

inline real roi_bilinear(__global const real* restrict plane, const int H, const int W, real y, real x)
{
    if (isnan(y) || isnan(x)) {
        return (real)NAN;
    }
    if (y < (real)-1.0f || y > (real)H || x < (real)-1.0f || x > (real)W) {
        return (real)0.0f;
    }
    if (y <= (real)0.0f) {
        y = (real)0.0f;
    }
    if (x <= (real)0.0f) {
        x = (real)0.0f;
    }
    int yl = (int)y, xl = (int)x, yh, xh;
    if (yl >= H - 1) {
        yh = yl = H - 1;
        y = (real)yl;
    } else {
        yh = yl + 1;
    }
    if (xl >= W - 1) {
        xh = xl = W - 1;
        x = (real)xl;
    } else {
        xh = xl + 1;
    }
    const real ly = y - (real)yl, lx = x - (real)xl;
    const real hy = (real)1.0f - ly, hx = (real)1.0f - lx;
    return hy * hx * plane[yl * W + xl] + hy * lx * plane[yl * W + xh]
         + ly * hx * plane[yh * W + xl] + ly * lx * plane[yh * W + xh];
}

__kernel void roi_align(__global const real* restrict input,
                        __global const real* restrict rois,
                        __global const real* restrict offset,
                        __global const real* restrict mask,
                        __global real* restrict output,
                        const int N, const int C, const int H, const int W,
                        const int K, const int COUT, const int PH, const int PW,
                        const real spatial_scale, const int sampling_ratio, const real gamma)
{
    const int total = K * COUT * PH * PW; /* below 2^31: RoiAlign checks it */
    ITEM_OR_RETURN(o, total);
    const int4 kcij = unravel4(o, COUT, PH, PW);
    const int k = kcij.s0;
    const int co = kcij.s1;
    const int i = kcij.s2;
    const int j = kcij.s3;

    __global const real* r = rois + k * 5;
    const int b = (int)r[0];
    if (b < 0 || b >= N) {
        output[o] = (real)NAN;
        return;
    }
    real start_w = r[1] * spatial_scale - SHIFT;
    real start_h = r[2] * spatial_scale - SHIFT;
    const real end_w = r[3] * spatial_scale - SHIFT;
    const real end_h = r[4] * spatial_scale - SHIFT;
    real roi_w = end_w - start_w;
    real roi_h = end_h - start_h;
#if KIND == 0 && !SHIFTED
    roi_w = roi_w < (real)1.0f ? (real)1.0f : roi_w;
    roi_h = roi_h < (real)1.0f ? (real)1.0f : roi_h;
#endif
    const real bin_h = roi_h / (real)PH;
    const real bin_w = roi_w / (real)PW;
    const int gh = sampling_ratio > 0 ? sampling_ratio : (int)ceil(roi_h / (real)PH);
    const int gw = sampling_ratio > 0 ? sampling_ratio : (int)ceil(roi_w / (real)PW);
#if KIND == 1
    const real count = (real)gh * (real)gw;
    const int ci = (co * PH + i) * PW + j;
#else
    const real count = (real)max(gh * gw, 1);
    const int ci = co;
#endif
#if KIND == 2 && HAS_OFFSET
    start_w += gamma * roi_w * offset[(k * 2) * PH * PW + i * PW + j];
    start_h += gamma * roi_h * offset[(k * 2 + 1) * PH * PW + i * PW + j];
#endif
    __global const real* plane = input + (b * C + ci) * H * W;
    real sum = (real)0.0f;
    for (int iy = 0; iy < gh; iy++) {
        const real y = start_h + (real)i * bin_h + ((real)iy + (real)0.5f) * bin_h / (real)gh;
        for (int ix = 0; ix < gw; ix++) {
            const real x = start_w + (real)j * bin_w + ((real)ix + (real)0.5f) * bin_w / (real)gw;
            sum += roi_bilinear(plane, H, W, y, x);
        }
    }
    real v = sum / count;
#if KIND == 2 && HAS_MASK
    v *= mask[(k * PH + i) * PW + j];
#endif
    output[o] = v;
}
