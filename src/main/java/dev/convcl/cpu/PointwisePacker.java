package dev.convcl.cpu;

import dev.convcl.Convolution;

/**
 * Column rows of a 1x1 convolution without padding: row r is input channel r of the group, so
 * at stride 1 the rows lie in the input already (the GEMM reads them in place) and the convolution
 * is a plain GEMM. At a larger stride (ResNet's stride-2 projections) each call first copies the
 * input's sampled pixels into a compact [N][C][OH][OW] buffer ({@link #prepare}), which the GEMM
 * then reads in place the same way: one pass over the input, where packing its tiles went through
 * a C tile and took 34% of the FMA limit on resnet50.res3.proj against 75% at stride 1.
 */
final class PointwisePacker implements ColumnPacker {
    private final Convolution s;
    private final boolean strided;

    PointwisePacker(Convolution spec) {
        if (spec.isDeformable() || spec.kh() != 1 || spec.kw() != 1 || spec.padTop() != 0 || spec.padLeft() != 0 || spec.padBottom() != 0 || spec.padRight() != 0) {
            throw new IllegalArgumentException("pointwise packing needs op=conv2d with a 1x1 kernel and no padding: " + spec);
        }
        this.s = spec;
        this.strided = spec.strideH() != 1 || spec.strideW() != 1;
    }

    @Override
    public String algorithm() {
        return "cpu-1x1";
    }

    /** The compact input of a strided call (made on the calling thread's workspace); null at stride 1. */
    @Override
    public Object prepare(CallData call, WorkerPool pool) {
        if (!strided) {
            return null;
        }
        int oh = s.outH(), ow = s.outW(), h = s.h(), w = s.w(), sh = s.strideH(), sw = s.strideW();
        int planes = s.n() * s.c();
        float[] in = call.in();
        float[] compact = Workspace.uncleared(Workspace.Slot.BUFFER, Math.toIntExact(preparedFloats()));
        int pieces = Math.max(1, Math.min(planes, 4 * pool.getParallelism()));
        Parallel.forEach(pool, pieces, p -> {
            for (int plane = (int) ((long) planes * p / pieces), end = (int) ((long) planes * (p + 1) / pieces);
                 plane < end; plane++) {
                int src = plane * h * w, dst = plane * oh * ow;
                for (int y = 0; y < oh; y++) {
                    int row = src + y * sh * w, o = dst + y * ow;
                    for (int x = 0; x < ow; x++) {
                        compact[o + x] = in[row + x * sw];
                    }
                }
            }
        });
        return compact;
    }

    @Override
    public long preparedFloats() {
        return strided ? (long) s.n() * s.c() * s.outH() * s.outW() : 0;
    }

    /** A strided call reads its compact input ({@link #prepare}) in place of the caller's. */
    @Override
    public CallData inPlaceCall(CallData call, Object prepared) {
        return strided ? call.withIn((float[]) prepared) : call;
    }

    /** Row r is input channel r's plane (of the compact input at a larger stride): the output plane's size apart. */
    @Override
    public int inPlaceRowStride() {
        return s.outH() * s.outW();
    }

    @Override
    public int inPlaceOffset(int n, int g) {
        return (n * s.c() + g * s.cPerGroup()) * s.outH() * s.outW();
    }

    /** Copies of the rows' planes; {@code call} is {@link #inPlaceCall}'s (the compact input at a larger stride). */
    @Override
    public void pack(CallData call, Object prepared, Object tile, int n, int g, int p0, int valid, int r0, int r1,
                     float[] panel, int ld, int row0) {
        int hw = s.outH() * s.outW();
        float[] in = call.in();
        for (int r = r0; r < r1; r++) {
            int plane = (n * s.c() + g * s.cPerGroup() + r) * hw;
            System.arraycopy(in, plane + p0, panel, (row0 + r - r0) * ld, valid);
        }
    }
}
