package dev.convcl.cpu;

import dev.convcl.Convolution;

/**
 * Column rows of a 1x1 convolution without padding: row r is input channel r of the group, so
 * at stride 1 a tile is one contiguous copy of each channel plane, and the convolution a plain GEMM.
 */
final class PointwisePacker implements ColumnPacker {
    private final Convolution s;

    PointwisePacker(Convolution spec) {
        if (spec.isDeformable() || spec.kh() != 1 || spec.kw() != 1 || spec.padTop() != 0 || spec.padLeft() != 0 || spec.padBottom() != 0 || spec.padRight() != 0) {
            throw new IllegalArgumentException("pointwise packing needs op=conv2d with a 1x1 kernel and no padding: " + spec);
        }
        this.s = spec;
    }

    @Override
    public String algorithm() {
        return "cpu-1x1";
    }

    @Override
    public void pack(CallData call, Object prepared, Object tile, int n, int g, int p0, int valid, int r0, int r1,
                     float[] panel, int ld, int row0) {
        int ow = s.outW(), hw = s.h() * s.w();
        int sh = s.strideH(), sw = s.strideW();
        float[] in = call.in();
        boolean contiguous = sh == 1 && sw == 1;
        for (int r = r0; r < r1; r++) {
            int row = (row0 + r - r0) * ld;
            int plane = (n * s.c() + g * s.cPerGroup() + r) * hw;
            if (contiguous) {
                System.arraycopy(in, plane + p0, panel, row, valid);
                continue;
            }
            int q = 0;
            while (q < valid) {
                int p = p0 + q, y = p / ow, x0 = p % ow;
                int x1 = Math.min(ow, x0 + valid - q);
                int src = plane + y * sh * s.w() + x0 * sw;
                for (int t = 0; t < x1 - x0; t++) {
                    panel[row + q + t] = in[src + t * sw];
                }
                q += x1 - x0;
            }
        }
    }
}
