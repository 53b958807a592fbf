package dev.convcl.cpu;

import dev.convcl.Convolution;

/**
 * Column rows straight from the input for any stride, padding and dilation: each row is copied
 * output row by output row, the padding written as zeros (the zeros are multiplied like any other
 * value, so a NaN or infinite weight poisons the output exactly as in the reference).
 */
class Im2colPacker implements ColumnPacker {
    final Convolution s;

    Im2colPacker(Convolution spec) {
        this.s = spec;
    }

    @Override
    public String algorithm() {
        return "cpu-gemm";
    }

    @Override
    public void pack(CallData call, Object prepared, Object tile, int n, int g, int p0, int valid, int r0, int r1,
                     float[] panel, int ld, int row0) {
        int kk = s.kh() * s.kw(), ow = s.outW(), h = s.h(), w = s.w();
        int sh = s.strideH(), sw = s.strideW();
        float[] in = call.in();
        // The first output pixel's row and column: each segment below is the rest of one output
        // row, so no division per segment (7x7 maps: 7 segments a row of the panel).
        int yFirst = p0 / ow, xFirst = p0 % ow;
        for (int r = r0; r < r1; r++) {
            int row = (row0 + r - r0) * ld;
            int c = g * s.cPerGroup() + r / kk;
            int i = r % kk / s.kw(), j = r % s.kw();
            int plane = (n * s.c() + c) * h * w;
            int xShift = j * s.dilW() - s.padLeft();
            // Output columns x whose input column x*sw + xShift lies inside [0, w).
            int xLo = Math.max(0, Math.floorDiv(-xShift + sw - 1, sw));
            int xHi = Math.min(ow, Math.floorDiv(w - 1 - xShift, sw) + 1);
            int y = yFirst, x0 = xFirst;
            for (int q = 0; q < valid; y++, x0 = 0) {
                int x1 = Math.min(ow, x0 + valid - q);
                int at = row + q - x0; // panel index of output column x: at + x
                int iy = y * sh - s.padTop() + i * s.dilH();
                int a = Math.max(x0, xLo), b = Math.min(x1, xHi);
                if (iy < 0 || iy >= h || a >= b) {
                    zero(panel, at + x0, at + x1);
                } else {
                    zero(panel, at + x0, at + a);
                    int src = plane + iy * w + a * sw + xShift;
                    if (sw == 1) {
                        System.arraycopy(in, src, panel, at + a, b - a);
                    } else {
                        for (int t = 0; t < b - a; t++) {
                            panel[at + a + t] = in[src + t * sw];
                        }
                    }
                    zero(panel, at + b, at + x1);
                }
                q += x1 - x0;
            }
        }
    }

    /**
     * Zeroes {@code a[from .. to)}: the padding runs here are 0-2 values, for which a plain loop beats
     * {@code Arrays.fill}'s call (it was most of this packer's time on 7x7 maps, JFR).
     */
    private static void zero(float[] a, int from, int to) {
        for (int t = from; t < to; t++) {
            a[t] = 0f;
        }
    }
}
