package dev.convcl.cpu;

import dev.convcl.Arg;
import dev.convcl.RoiAlign;
import dev.convcl.spi.RoiGrid;
import java.util.Map;

/**
 * {@code cpu-roi-align}: roi_align, ps_roi_align and deform_roi_pool as {@link RoiAlign} defines
 * them, in float with the peers' order of operations (as {@code roi_align.cl} computes them);
 * (RoI, channel) planes in parallel. No scratch: memory is the output, whatever the number of RoIs.
 */
final class CpuRoiAlign extends CpuOpPlan<RoiAlign> {
    CpuRoiAlign(RoiAlign op, WorkerPool pool) {
        super("cpu-roi-align", op, pool);
    }

    @Override
    void run(Map<Arg, float[]> args) {
        float[] x = args.get(Arg.SRC), rois = args.get(Arg.ROIS), y = args.get(Arg.DST);
        float[] off = op.offset() ? args.get(Arg.OFFSET) : null;
        float[] mask = op.mask() ? args.get(Arg.MASK) : null;
        int ph = op.outH(), pw = op.outW(), cOut = op.outC();
        forRanges((long) op.rois() * cOut, Math.max(1, 1024 / (ph * pw)), (from, to) -> {
            for (long p = from; p < to; p++) {
                int k = (int) (p / cOut), co = (int) (p % cOut);
                plane(x, rois, off, mask, y, k, co);
            }
        });
    }

    private void plane(float[] x, float[] rois, float[] off, float[] mask, float[] y, int k, int co) {
        int ph = op.outH(), pw = op.outW(), h = op.h(), w = op.w();
        boolean ps = op.kind() == RoiAlign.Kind.PS_ROI_ALIGN;
        int b = (int) rois[k * 5];
        RoiGrid g = RoiGrid.of(op, rois, k);
        float startW = g.startW(), startH = g.startH(), roiW = g.roiW(), roiH = g.roiH();
        float binH = roiH / ph, binW = roiW / pw;
        int gh = (int) g.gh(), gw = (int) g.gw(); // below 2^31: checkRois refused a larger grid
        float count = ps ? (float) gh * gw : Math.max(gh * gw, 1);
        int out = (k * op.outC() + co) * ph * pw;
        for (int i = 0; i < ph; i++) {
            for (int j = 0; j < pw; j++) {
                int ci = ps ? (co * ph + i) * pw + j : co;
                int plane = (b * op.c() + ci) * h * w;
                float sw = startW, sh = startH;
                int bin = (k * ph + i) * pw + j;
                if (off != null) {
                    sw += op.gamma() * roiW * off[(k * 2) * ph * pw + i * pw + j];
                    sh += op.gamma() * roiH * off[(k * 2 + 1) * ph * pw + i * pw + j];
                }
                float sum = 0;
                for (int iy = 0; iy < gh; iy++) {
                    float yy = sh + i * binH + (iy + 0.5f) * binH / gh;
                    for (int ix = 0; ix < gw; ix++) {
                        float xx = sw + j * binW + (ix + 0.5f) * binW / gw;
                        sum += bilinear(x, plane, h, w, yy, xx);
                    }
                }
                float v = sum / count;
                if (mask != null) {
                    v *= mask[bin];
                }
                y[out + i * pw + j] = v;
            }
        }
    }

    /** The peers' bilinear rule (see {@link RoiAlign}); NaN for a NaN coordinate. */
    static float bilinear(float[] x, int plane, int h, int w, float y, float xx) {
        if (Float.isNaN(y) || Float.isNaN(xx)) {
            return Float.NaN;
        }
        if (y < -1f || y > h || xx < -1f || xx > w) {
            return 0f;
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
        float ly = y - yl, lx = xx - xl, hy = 1f - ly, hx = 1f - lx;
        return hy * hx * x[plane + yl * w + xl] + hy * lx * x[plane + yl * w + xh]
                + ly * hx * x[plane + yh * w + xl] + ly * lx * x[plane + yh * w + xh];
    }
}
