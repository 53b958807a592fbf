package dev.convcl.cpu;

import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;

/**
 * Direct convolution in Java, one task per (image, output channel) plane, float accumulation.
 * Handles conv2d and deform2d with the reference's semantics.
 */
final class CpuDirectConv extends CpuPlan {
    private final int offsetGroups;

    CpuDirectConv(Convolution spec, WorkerPool pool, Kernels kernels) {
        super(spec, pool, kernels);
        this.offsetGroups = spec instanceof DeformConv2d d ? d.offsetGroups() : 1;
    }

    @Override
    public String algorithm() {
        return spec.isDeformable() ? "cpu-deform-direct" : "cpu-direct";
    }

    /** Accumulates in registers: none. */
    @Override
    long scratchBytes() {
        return 0;
    }

    @Override
    void run(CallData call) {
        Parallel.forEach(pool, spec.n() * spec.k(), nk -> plane(call, nk / spec.k(), nk % spec.k()));
    }

    private void plane(CallData call, int n, int k) {
        Convolution s = spec;
        float[] in = call.in(), wt = call.wt(), off = call.off(), msk = call.mask(), out = call.out();
        int oh = s.outH(), ow = s.outW(), cg = s.cPerGroup(), g = k / s.kPerGroup();
        int kk = s.kh() * s.kw();
        int cPerOg = s.c() / offsetGroups;
        int plane = oh * ow;
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                float acc = 0f;
                for (int cl = 0; cl < cg; cl++) {
                    int c = g * cg + cl;
                    int inBase = (n * s.c() + c) * s.h() * s.w();
                    int wBase = (k * cg + cl) * kk;
                    int og = c / cPerOg;
                    for (int i = 0; i < s.kh(); i++) {
                        for (int j = 0; j < s.kw(); j++) {
                            int p = i * s.kw() + j;
                            float v;
                            if (off == null) {
                                int iy = y * s.strideH() - s.padTop() + i * s.dilH();
                                int ix = x * s.strideW() - s.padLeft() + j * s.dilW();
                                v = iy >= 0 && iy < s.h() && ix >= 0 && ix < s.w() ? in[inBase + iy * s.w() + ix] : 0f;
                            } else {
                                int oBase = (n * 2 * offsetGroups * kk + og * 2 * kk + 2 * p) * plane + y * ow + x;
                                v = bilinear(in, inBase, s.h(), s.w(), y * s.strideH() - s.padTop() + i * s.dilH(), off[oBase],
                                        x * s.strideW() - s.padLeft() + j * s.dilW(), off[oBase + plane]);
                                if (msk != null) {
                                    v *= msk[(n * offsetGroups * kk + og * kk + p) * plane + y * ow + x];
                                }
                            }
                            acc = Math.fma(v, wt[wBase + p], acc);
                        }
                    }
                }
                out[(n * s.k() + k) * plane + y * ow + x] = acc;
            }
            call.finishInPlace((n * s.k() + k) * plane + y * ow, ow, k);
        }
    }

    /**
     * The bilinear sample at (by + dy, bx + dx): NaN at a NaN offset, zero outside -1 &lt; y &lt; H,
     * -1 &lt; x &lt; W (an infinite offset is outside), with the fraction taken from the offset
     * alone ({@link SampleAxis}).
     */
    static float bilinear(float[] in, int base, int h, int w, int by, float dy, int bx, float dx) {
        if (Float.isNaN(dy) || Float.isNaN(dx)) {
            return Float.NaN;
        }
        long y0 = SampleAxis.cell(by, dy), x0 = SampleAxis.cell(bx, dx);
        float ly = (float) SampleAxis.fraction(dy), lx = (float) SampleAxis.fraction(dx);
        if (!SampleAxis.inside(y0, ly, h) || !SampleAxis.inside(x0, lx, w)) {
            return 0f;
        }
        int iy = (int) y0, ix = (int) x0;
        float hy = 1f - ly, hx = 1f - lx;
        return hy * hx * at(in, base, h, w, iy, ix) + hy * lx * at(in, base, h, w, iy, ix + 1)
                + ly * hx * at(in, base, h, w, iy + 1, ix) + ly * lx * at(in, base, h, w, iy + 1, ix + 1);
    }

    private static float at(float[] in, int base, int h, int w, int y, int x) {
        return y >= 0 && y < h && x >= 0 && x < w ? in[base + y * w + x] : 0f;
    }

}
