package dev.convcl.reference;

import dev.convcl.RoiAlign;

/**
 * The reference of {@link RoiAlign}'s three operators, straight from the peers' definitions
 * (torchvision's {@code roi_align} and {@code ps_roi_align} kernels, mmcv's
 * {@code deform_roi_pool_forward} kernel), in double: RoI geometry, sample points, bilinear
 * weights and the bin's sum. One thread, no shortcuts.
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
        double shift = op.pixelShift();
        double scale = op.spatialScale();
        boolean ps = op.kind() == RoiAlign.Kind.PS_ROI_ALIGN;
        for (int k = 0; k < op.rois(); k++) {
            int b = (int) rois[k * 5]; // truncation toward zero, as the peers' int cast
            double startW = rois[k * 5 + 1] * scale - shift;
            double startH = rois[k * 5 + 2] * scale - shift;
            double endW = rois[k * 5 + 3] * scale - shift;
            double endH = rois[k * 5 + 4] * scale - shift;
            double roiW = endW - startW, roiH = endH - startH;
            if (op.kind() == RoiAlign.Kind.ROI_ALIGN && !op.aligned()) {
                roiW = Math.max(roiW, 1.0);
                roiH = Math.max(roiH, 1.0);
            }
            double binH = roiH / ph, binW = roiW / pw;
            int gh = op.samplingRatio() > 0 ? op.samplingRatio() : (int) Math.ceil(roiH / ph);
            int gw = op.samplingRatio() > 0 ? op.samplingRatio() : (int) Math.ceil(roiW / pw);
            double count = ps ? (double) gh * gw : Math.max((long) gh * gw, 1L);
            for (int co = 0; co < cOut; co++) {
                for (int i = 0; i < ph; i++) {
                    for (int j = 0; j < pw; j++) {
                        int ci = ps ? (co * ph + i) * pw + j : co;
                        int plane = (b * op.c() + ci) * h * w;
                        double sw = startW, sh = startH;
                        int bin = (k * ph + i) * pw + j;
                        if (offset != null) {
                            sw += op.gamma() * roiW * offset[(k * 2) * ph * pw + i * pw + j];
                            sh += op.gamma() * roiH * offset[(k * 2 + 1) * ph * pw + i * pw + j];
                        }
                        double sum = 0;
                        for (int iy = 0; iy < gh; iy++) {
                            double yy = sh + i * binH + (iy + 0.5) * binH / gh;
                            for (int ix = 0; ix < gw; ix++) {
                                double xx = sw + j * binW + (ix + 0.5) * binW / gw;
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
