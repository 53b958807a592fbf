package dev.convcl.cpu;

import dev.convcl.Convolution;
import java.util.Arrays;

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
        for (int r = r0; r < r1; r++) {
            int row = (row0 + r - r0) * ld;
            int c = g * s.cPerGroup() + r / kk;
            int i = r % kk / s.kw(), j = r % s.kw();
            int plane = (n * s.c() + c) * h * w;
            int xShift = j * s.dilW() - s.padLeft();
            // Output columns x whose input column x*sw + xShift lies inside [0, w).
            int xLo = Math.max(0, Math.floorDiv(-xShift + sw - 1, sw));
            int xHi = Math.min(ow, Math.floorDiv(w - 1 - xShift, sw) + 1);
            int q = 0;
            while (q < valid) {
                int p = p0 + q, y = p / ow, x0 = p % ow;
                int x1 = Math.min(ow, x0 + valid - q);
                int iy = y * sh - s.padTop() + i * s.dilH();
                if (iy < 0 || iy >= h || xLo >= xHi) {
                    Arrays.fill(panel, row + q, row + q + x1 - x0, 0f);
                } else {
                    int a = Math.max(x0, xLo), b = Math.min(x1, xHi);
                    if (a >= b) {
                        Arrays.fill(panel, row + q, row + q + x1 - x0, 0f);
                    } else {
                        Arrays.fill(panel, row + q, row + q + a - x0, 0f);
                        int src = plane + iy * w + a * sw + xShift;
                        int dst = row + q + a - x0;
                        if (sw == 1) {
                            System.arraycopy(in, src, panel, dst, b - a);
                        } else {
                            for (int t = 0; t < b - a; t++) {
                                panel[dst + t] = in[src + t * sw];
                            }
                        }
                        Arrays.fill(panel, row + q + b - x0, row + q + x1 - x0, 0f);
                    }
                }
                q += x1 - x0;
            }
        }
    }
}
