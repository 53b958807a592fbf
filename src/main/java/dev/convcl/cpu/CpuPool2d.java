package dev.convcl.cpu;

import dev.convcl.Pool2d;
import dev.convcl.Window2d;

/**
 * {@code cpu-pool2d}: max and average pooling as {@link Pool2d} defines them, planes in parallel.
 * Max pooling goes tap by tap over a whole output row ({@link #maxPlane}); average pooling clips
 * each window to the input once (padding is counted in its divisor only with count_include_pad)
 * and sums in double.
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
        if (op.kind() == Pool2d.Kind.MAX) {
            maxPlane(x, in, y, out, oh, ow);
            return;
        }
        Window2d win = op.window();
        int h = op.h(), w = op.w(), kh = win.kh(), kw = win.kw(), dh = win.dilH(), dw = win.dilW();
        for (int oy = 0; oy < oh; oy++) {
            int y0 = oy * win.strideH() - win.padTop();
            // taps i with 0 <= y0 + i*dh < h
            int iLo = y0 >= 0 ? 0 : (-y0 + dh - 1) / dh;
            int iHi = Math.min(kh, y0 >= h ? 0 : (h - 1 - y0) / dh + 1);
            for (int ox = 0; ox < ow; ox++) {
                int x0 = ox * win.strideW() - win.padLeft();
                int jLo = x0 >= 0 ? 0 : (-x0 + dw - 1) / dw;
                int jHi = Math.min(kw, x0 >= w ? 0 : (w - 1 - x0) / dw + 1);
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
                y[out + oy * ow + ox] = (float) (s / divisor);
            }
        }
    }

    /**
     * Max pooling of one plane, output row by output row: the row starts at -inf and each tap
     * (i, j) takes the max over the outputs whose window has that tap inside the input, a loop over
     * independent outputs (no chain of dependent max operations a window, no branch a tap).
     * Padding never enters; a NaN tap makes the output NaN ({@link Math#max}), as in PyTorch.
     */
    private void maxPlane(float[] x, int in, float[] y, int out, int oh, int ow) {
        Window2d win = op.window();
        int h = op.h(), w = op.w(), kh = win.kh(), kw = win.kw(), dh = win.dilH(), dw = win.dilW();
        int sw = win.strideW(), padL = win.padLeft();
        for (int oy = 0; oy < oh; oy++) {
            int y0 = oy * win.strideH() - win.padTop();
            int iLo = y0 >= 0 ? 0 : (-y0 + dh - 1) / dh;
            int iHi = Math.min(kh, y0 >= h ? 0 : (h - 1 - y0) / dh + 1);
            int o = out + oy * ow;
            java.util.Arrays.fill(y, o, o + ow, Float.NEGATIVE_INFINITY);
            for (int i = iLo; i < iHi; i++) {
                int row = in + (y0 + i * dh) * w;
                for (int j = 0; j < kw; j++) {
                    int shift = j * dw - padL; // input column of output ox: ox * sw + shift
                    int lo = shift >= 0 ? 0 : (-shift + sw - 1) / sw;
                    int hi = w - 1 - shift < 0 ? 0 : Math.min(ow, (w - 1 - shift) / sw + 1);
                    int base = row + shift;
                    for (int ox = lo; ox < hi; ox++) {
                        y[o + ox] = Math.max(y[o + ox], x[base + ox * sw]);
                    }
                }
            }
        }
    }
}
