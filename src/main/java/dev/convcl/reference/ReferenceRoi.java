package dev.convcl.reference;

import dev.convcl.RoiAlign;

/**
 * The reference of {@link RoiAlign}'s three operators, straight from the peers' definitions
 * (torchvision's {@code roi_align} and {@code ps_roi_align} kernels, mmcv's
 * {@code deform_roi_pool_forward} kernel). The RoI's geometry, its start, end and size on the
 * map, the bin size and the adaptive grid {@code ceil(roi_h / PH)}, is computed in float, as the
 * peers compute it in the tensor's scalar type (torchvision's {@code roi_align_kernel.cpp} takes
 * {@code spatial_scale} as a {@code T} and {@code ceil}s a {@code T}); in double the grid differs
 * where {@code roi_h / PH} lands on a whole number in float but just past it in double (RoI
 * {@code (0, 0, 0, 40, 40)} at scale {@code 0.1f} over 2x2 bins: 2 samples a bin and axis in float,
 * 3 in double). Sample points (from that float geometry), bilinear weights and the bin's sum are in
 * double. One thread, no shortcuts.
 */
public final class ReferenceRoi {
    private ReferenceRoi() {
    }

    /**
     * The output of {@code op}, unrounded.
     *
     * @param op     the operator
     * @param x      input {@code [n, c, h, w]}
     * @param rois   {@code [rois, 5]} rows (batch_index, x1, y1, x2, y2), checked by {@link RoiAlign#checkRois}
     * @param offset {@code [rois, 2, outH, outW]} (dx, dy), or null
     * @param mask   {@code [rois, 1, outH, outW]}, or null
     * @return {@code [rois, outC, outH, outW]}
     */
    public static double[] run(RoiAlign op, double[] x, double[] rois, double[] offset, double[] mask) {
        int ph = op.outH(), pw = op.outW(), cOut = op.outC(), h = op.h(), w = op.w();
        double[] y = new double[op.rois() * cOut * ph * pw];
        float shift = op.pixelShift();
        float scale = op.spatialScale();
        boolean ps = op.kind() == RoiAlign.Kind.PS_ROI_ALIGN;
        for (int k = 0; k < op.rois(); k++) {
            int b = (int) rois[k * 5]; // truncation toward zero, as the peers' int cast
            // the geometry in float, in the peers' order of operations (their T is float)
            float startW = (float) rois[k * 5 + 1] * scale - shift;
            float startH = (float) rois[k * 5 + 2] * scale - shift;
            float endW = (float) rois[k * 5 + 3] * scale - shift;
            float endH = (float) rois[k * 5 + 4] * scale - shift;
            float roiW = endW - startW, roiH = endH - startH;
            if (op.kind() == RoiAlign.Kind.ROI_ALIGN && !op.aligned()) {
                roiW = Math.max(roiW, 1f);
                roiH = Math.max(roiH, 1f);
            }
            float binH = roiH / ph, binW = roiW / pw;
            // ceil of a float quotient (float / int is float), as torchvision's ceil(roi_height / pooled_height)
            int gh = op.samplingRatio() > 0 ? op.samplingRatio() : (int) Math.ceil(roiH / ph);
            int gw = op.samplingRatio() > 0 ? op.samplingRatio() : (int) Math.ceil(roiW / pw);
            double count = ps ? (double) gh * gw : Math.max((long) gh * gw, 1L);
            for (int co = 0; co < cOut; co++) {
                for (int i = 0; i < ph; i++) {
                    for (int j = 0; j < pw; j++) {
                        int ci = ps ? (co * ph + i) * pw + j : co;
                        int plane = (b * op.c() + ci) * h * w;
                        double sw = startW, sh = startH; // the sample points from here in double
                        int bin = (k * ph + i) * pw + j;
                        if (offset != null) {
                            sw += (double) op.gamma() * roiW * offset[(k * 2) * ph * pw + i * pw + j];
                            sh += (double) op.gamma() * roiH * offset[(k * 2 + 1) * ph * pw + i * pw + j];
                        }
                        double sum = 0;
                        for (int iy = 0; iy < gh; iy++) {
                            double yy = sh + i * (double) binH + (iy + 0.5) * binH / gh;
                            for (int ix = 0; ix < gw; ix++) {
                                double xx = sw + j * (double) binW + (ix + 0.5) * binW / gw;
                                sum += bilinear(x, plane, h, w, yy, xx);
                            }
                        }
                        double v = sum / count;
                        if (mask != null) {
                            v *= mask[bin];
                        }
                        y[((k * cOut + co) * ph + i) * pw + j] = v;
                    }
                }
            }
        }
        return y;
    }

    /**
     * The peers' bilinear sample of the plane at {@code x[plane ..]}: 0 beyond one pixel outside,
     * else clamped to the map; NaN for a NaN coordinate.
     */
    static double bilinear(double[] x, int plane, int h, int w, double y, double xx) {
        if (Double.isNaN(y) || Double.isNaN(xx)) {
            return Double.NaN;
        }
        if (y < -1.0 || y > h || xx < -1.0 || xx > w) {
            return 0;
        }
        if (y <= 0) {
            y = 0;
        }
        if (xx <= 0) {
            xx = 0;
        }
        int yl = (int) y, xl = (int) xx, yh, xh;
        if (yl >= h - 1) {
            yh = yl = h - 1;
            y = yl;
        } else {
            yh = yl + 1;
        }
        if (xl >= w - 1) {
            xh = xl = w - 1;
            xx = xl;
        } else {
            xh = xl + 1;
        }
        double ly = y - yl, lx = xx - xl, hy = 1 - ly, hx = 1 - lx;
        return hy * hx * x[plane + yl * w + xl] + hy * lx * x[plane + yl * w + xh]
                + ly * hx * x[plane + yh * w + xl] + ly * lx * x[plane + yh * w + xh];
    }
}
