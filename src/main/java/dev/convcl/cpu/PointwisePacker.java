package dev.convcl.cpu;

import dev.convcl.Convolution;

/**
 * Column rows of a 1x1 convolution without padding: row r is input channel r of the group, so
 * at stride 1 a tile is one contiguous copy of each channel plane, and the convolution a plain GEMM.
 * Other strides pack as the general {@link Im2colPacker} does (a 1x1 kernel without padding reads
 * no padding there).
 */
final class PointwisePacker extends Im2colPacker {

    PointwisePacker(Convolution spec) {
        super(spec);
        if (spec.isDeformable() || spec.kh() != 1 || spec.kw() != 1 || spec.padTop() != 0 || spec.padLeft() != 0 || spec.padBottom() != 0 || spec.padRight() != 0) {
            throw new IllegalArgumentException("pointwise packing needs op=conv2d with a 1x1 kernel and no padding: " + spec);
        }
    }

    @Override
    public String algorithm() {
        return "cpu-1x1";
    }

    /** At stride 1 row r is input channel r's plane: the planes' size apart. */
    @Override
    public int inPlaceRowStride() {
        return s.strideH() == 1 && s.strideW() == 1 ? s.h() * s.w() : 0;
    }

    @Override
    public int inPlaceOffset(int n, int g) {
        return (n * s.c() + g * s.cPerGroup()) * s.h() * s.w();
    }

    @Override
    public void pack(CallData call, Object prepared, Object tile, int n, int g, int p0, int valid, int r0, int r1,
                     float[] panel, int ld, int row0) {
        if (s.strideH() != 1 || s.strideW() != 1) {
            super.pack(call, prepared, tile, n, g, p0, valid, r0, r1, panel, ld, row0);
            return;
        }
        int hw = s.h() * s.w();
        float[] in = call.in();
        for (int r = r0; r < r1; r++) {
            int plane = (n * s.c() + g * s.cPerGroup() + r) * hw;
            System.arraycopy(in, plane + p0, panel, (row0 + r - r0) * ld, valid);
        }
    }
}
