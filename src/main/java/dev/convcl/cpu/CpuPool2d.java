package dev.convcl.cpu;

import dev.convcl.Pool2d;
import dev.convcl.Window2d;

/**
 * {@code cpu-pool2d}: max and average pooling as {@link Pool2d} defines them, planes in parallel.
 * Each window is clipped to the input once (padding never enters a max, and is counted in an
 * average's divisor only with count_include_pad); the average sums in double.
 */
final class CpuPool2d extends CpuOneInputPlan<Pool2d> {
    CpuPool2d(Pool2d op, WorkerPool pool) {
        super("cpu-pool2d", op, pool);
    }

    @Override
    void run(float[] x, float[] y) {
        int oh = op.outH(), ow = op.outW();
        forRanges((long) op.n() * op.c(), Math.max(1, 4096 / (oh * ow)), (from, to) -> {
            for (int p = (int) from; p < to; p++) {
                plane(x, p * op.h() * op.w(), y, p * oh * ow, oh, ow);
            }
        });
    }

    private void plane(float[] x, int in, float[] y, int out, int oh, int ow) {
        Window2d win = op.window();
        int h = op.h(), w = op.w(), kh = win.kh(), kw = win.kw(), dh = win.dilH(), dw = win.dilW();
        boolean max = op.kind() == Pool2d.Kind.MAX;
        for (int oy = 0; oy < oh; oy++) {
            int y0 = oy * win.strideH() - win.padTop();
            // taps i with 0 <= y0 + i*dh < h
            int iLo = y0 >= 0 ? 0 : (-y0 + dh - 1) / dh;
            int iHi = Math.min(kh, y0 >= h ? 0 : (h - 1 - y0) / dh + 1);
            for (int ox = 0; ox < ow; ox++) {
                int x0 = ox * win.strideW() - win.padLeft();
                int jLo = x0 >= 0 ? 0 : (-x0 + dw - 1) / dw;
                int jHi = Math.min(kw, x0 >= w ? 0 : (w - 1 - x0) / dw + 1);
                float v;
                if (max) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int i = iLo; i < iHi; i++) {
                        int row = in + (y0 + i * dh) * w + x0;
                        for (int j = jLo; j < jHi; j++) {
                            // NaN wins (Math.max keeps it), as in PyTorch; a branch per tap would be
                            // taken at random (see Epilogue).
                            m = Math.max(m, x[row + j * dw]);
                        }
                    }
                    v = m;
                } else {
                    double s = 0;
                    for (int i = iLo; i < iHi; i++) {
                        int row = in + (y0 + i) * w + x0;
                        for (int j = jLo; j < jHi; j++) {
                            s += x[row + j];
                        }
                    }
                    long divisor;
                    if (op.countIncludePad()) {
                        divisor = (long) (Math.min(y0 + kh, h + win.padBottom()) - y0)
                                * (Math.min(x0 + kw, w + win.padRight()) - x0);
                    } else {
                        divisor = (long) Math.max(0, iHi - iLo) * Math.max(0, jHi - jLo);
                    }
                    v = (float) (s / divisor);
                }
                y[out + oy * ow + ox] = v;
            }
        }
    }
}
