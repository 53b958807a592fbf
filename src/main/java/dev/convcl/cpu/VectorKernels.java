package dev.convcl.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on the JDK incubator Vector API: the GEMM keeps a block of 8 rows x 2 vectors of C in
 * registers over the whole depth (the B row is loaded once per 8 rows, the A element broadcast),
 * which C2's auto-vectorizer cannot do. Loaded only through {@link Kernels#detect()}, so the rest of
 * the package links without the incubator module. Same accumulation order as
 * {@link ScalarKernels}: results are bit-identical.
 */
final class VectorKernels implements Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public int quantum() {
        return L;
    }

    @Override
    public void gemm(int m, int depth, int cols, float[] a, int aOff, int lda, float[] b, int[] rowOffsets, int colOffset,
                     float[][] c) {
        int i = 0;
        for (; i + 8 <= m; i += 8) {
            int ai = aOff + i * lda;
            int p = 0;
            for (; p + 2 * L <= cols; p += 2 * L) {
                block8x2(depth, a, ai, lda, b, rowOffsets, colOffset + p, p, c, i);
            }
            if (p < cols) {
                block8x1(depth, a, ai, lda, b, rowOffsets, colOffset + p, p, c, i);
            }
        }
        for (; i + 4 <= m; i += 4) {
            int ai = aOff + i * lda;
            int p = 0;
            for (; p + 2 * L <= cols; p += 2 * L) {
                block4x2(depth, a, ai, lda, b, rowOffsets, colOffset + p, p, c, i);
            }
            if (p < cols) {
                block4x1(depth, a, ai, lda, b, rowOffsets, colOffset + p, p, c, i);
            }
        }
        for (; i < m; i++) {
            int ai = aOff + i * lda;
            int p = 0;
            for (; p + 2 * L <= cols; p += 2 * L) {
                block1x2(depth, a, ai, lda, b, rowOffsets, colOffset + p, p, c, i);
            }
            if (p < cols) {
                block1x1(depth, a, ai, lda, b, rowOffsets, colOffset + p, p, c, i);
            }
        }
    }

    /** C rows [0,8) x columns [p, p+2*L) += A x B over the whole depth, accumulators in registers. */
    private static void block8x2(int depth, float[] a, int ai, int lda, float[] b, int[] rowOffsets, int bp,
                               int p, float[][] c, int ci) {
        FloatVector c00 = FloatVector.fromArray(S, c[ci], p);
        FloatVector c01 = FloatVector.fromArray(S, c[ci], p + 1 * L);
        FloatVector c10 = FloatVector.fromArray(S, c[ci + 1], p);
        FloatVector c11 = FloatVector.fromArray(S, c[ci + 1], p + 1 * L);
        FloatVector c20 = FloatVector.fromArray(S, c[ci + 2], p);
        FloatVector c21 = FloatVector.fromArray(S, c[ci + 2], p + 1 * L);
        FloatVector c30 = FloatVector.fromArray(S, c[ci + 3], p);
        FloatVector c31 = FloatVector.fromArray(S, c[ci + 3], p + 1 * L);
        FloatVector c40 = FloatVector.fromArray(S, c[ci + 4], p);
        FloatVector c41 = FloatVector.fromArray(S, c[ci + 4], p + 1 * L);
        FloatVector c50 = FloatVector.fromArray(S, c[ci + 5], p);
        FloatVector c51 = FloatVector.fromArray(S, c[ci + 5], p + 1 * L);
        FloatVector c60 = FloatVector.fromArray(S, c[ci + 6], p);
        FloatVector c61 = FloatVector.fromArray(S, c[ci + 6], p + 1 * L);
        FloatVector c70 = FloatVector.fromArray(S, c[ci + 7], p);
        FloatVector c71 = FloatVector.fromArray(S, c[ci + 7], p + 1 * L);
        for (int r = 0; r < depth; r++) {
            int br = rowOffsets[r] + bp;
            FloatVector b0 = FloatVector.fromArray(S, b, br);
            FloatVector b1 = FloatVector.fromArray(S, b, br + L);
            FloatVector w0 = FloatVector.broadcast(S, a[ai + r]);
            c00 = w0.fma(b0, c00); c01 = w0.fma(b1, c01);
            FloatVector w1 = FloatVector.broadcast(S, a[ai + 1 * lda + r]);
            c10 = w1.fma(b0, c10); c11 = w1.fma(b1, c11);
            FloatVector w2 = FloatVector.broadcast(S, a[ai + 2 * lda + r]);
            c20 = w2.fma(b0, c20); c21 = w2.fma(b1, c21);
            FloatVector w3 = FloatVector.broadcast(S, a[ai + 3 * lda + r]);
            c30 = w3.fma(b0, c30); c31 = w3.fma(b1, c31);
            FloatVector w4 = FloatVector.broadcast(S, a[ai + 4 * lda + r]);
            c40 = w4.fma(b0, c40); c41 = w4.fma(b1, c41);
            FloatVector w5 = FloatVector.broadcast(S, a[ai + 5 * lda + r]);
            c50 = w5.fma(b0, c50); c51 = w5.fma(b1, c51);
            FloatVector w6 = FloatVector.broadcast(S, a[ai + 6 * lda + r]);
            c60 = w6.fma(b0, c60); c61 = w6.fma(b1, c61);
            FloatVector w7 = FloatVector.broadcast(S, a[ai + 7 * lda + r]);
            c70 = w7.fma(b0, c70); c71 = w7.fma(b1, c71);
        }
        c00.intoArray(c[ci], p);
        c01.intoArray(c[ci], p + 1 * L);
        c10.intoArray(c[ci + 1], p);
        c11.intoArray(c[ci + 1], p + 1 * L);
        c20.intoArray(c[ci + 2], p);
        c21.intoArray(c[ci + 2], p + 1 * L);
        c30.intoArray(c[ci + 3], p);
        c31.intoArray(c[ci + 3], p + 1 * L);
        c40.intoArray(c[ci + 4], p);
        c41.intoArray(c[ci + 4], p + 1 * L);
        c50.intoArray(c[ci + 5], p);
        c51.intoArray(c[ci + 5], p + 1 * L);
        c60.intoArray(c[ci + 6], p);
        c61.intoArray(c[ci + 6], p + 1 * L);
        c70.intoArray(c[ci + 7], p);
        c71.intoArray(c[ci + 7], p + 1 * L);
    }

    /** C rows [0,8) x columns [p, p+1*L) += A x B over the whole depth, accumulators in registers. */
    private static void block8x1(int depth, float[] a, int ai, int lda, float[] b, int[] rowOffsets, int bp,
                               int p, float[][] c, int ci) {
        FloatVector c00 = FloatVector.fromArray(S, c[ci], p);
        FloatVector c10 = FloatVector.fromArray(S, c[ci + 1], p);
        FloatVector c20 = FloatVector.fromArray(S, c[ci + 2], p);
        FloatVector c30 = FloatVector.fromArray(S, c[ci + 3], p);
        FloatVector c40 = FloatVector.fromArray(S, c[ci + 4], p);
        FloatVector c50 = FloatVector.fromArray(S, c[ci + 5], p);
        FloatVector c60 = FloatVector.fromArray(S, c[ci + 6], p);
        FloatVector c70 = FloatVector.fromArray(S, c[ci + 7], p);
        for (int r = 0; r < depth; r++) {
            int br = rowOffsets[r] + bp;
            FloatVector b0 = FloatVector.fromArray(S, b, br);
            FloatVector w0 = FloatVector.broadcast(S, a[ai + r]);
            c00 = w0.fma(b0, c00);
            FloatVector w1 = FloatVector.broadcast(S, a[ai + 1 * lda + r]);
            c10 = w1.fma(b0, c10);
            FloatVector w2 = FloatVector.broadcast(S, a[ai + 2 * lda + r]);
            c20 = w2.fma(b0, c20);
            FloatVector w3 = FloatVector.broadcast(S, a[ai + 3 * lda + r]);
            c30 = w3.fma(b0, c30);
            FloatVector w4 = FloatVector.broadcast(S, a[ai + 4 * lda + r]);
            c40 = w4.fma(b0, c40);
            FloatVector w5 = FloatVector.broadcast(S, a[ai + 5 * lda + r]);
            c50 = w5.fma(b0, c50);
            FloatVector w6 = FloatVector.broadcast(S, a[ai + 6 * lda + r]);
            c60 = w6.fma(b0, c60);
            FloatVector w7 = FloatVector.broadcast(S, a[ai + 7 * lda + r]);
            c70 = w7.fma(b0, c70);
        }
        c00.intoArray(c[ci], p);
        c10.intoArray(c[ci + 1], p);
        c20.intoArray(c[ci + 2], p);
        c30.intoArray(c[ci + 3], p);
        c40.intoArray(c[ci + 4], p);
        c50.intoArray(c[ci + 5], p);
        c60.intoArray(c[ci + 6], p);
        c70.intoArray(c[ci + 7], p);
    }

    /** C rows [0,4) x columns [p, p+2*L) += A x B over the whole depth, accumulators in registers. */
    private static void block4x2(int depth, float[] a, int ai, int lda, float[] b, int[] rowOffsets, int bp,
                               int p, float[][] c, int ci) {
        FloatVector c00 = FloatVector.fromArray(S, c[ci], p);
        FloatVector c01 = FloatVector.fromArray(S, c[ci], p + 1 * L);
        FloatVector c10 = FloatVector.fromArray(S, c[ci + 1], p);
        FloatVector c11 = FloatVector.fromArray(S, c[ci + 1], p + 1 * L);
        FloatVector c20 = FloatVector.fromArray(S, c[ci + 2], p);
        FloatVector c21 = FloatVector.fromArray(S, c[ci + 2], p + 1 * L);
        FloatVector c30 = FloatVector.fromArray(S, c[ci + 3], p);
        FloatVector c31 = FloatVector.fromArray(S, c[ci + 3], p + 1 * L);
        for (int r = 0; r < depth; r++) {
            int br = rowOffsets[r] + bp;
            FloatVector b0 = FloatVector.fromArray(S, b, br);
            FloatVector b1 = FloatVector.fromArray(S, b, br + L);
            FloatVector w0 = FloatVector.broadcast(S, a[ai + r]);
            c00 = w0.fma(b0, c00); c01 = w0.fma(b1, c01);
            FloatVector w1 = FloatVector.broadcast(S, a[ai + 1 * lda + r]);
            c10 = w1.fma(b0, c10); c11 = w1.fma(b1, c11);
            FloatVector w2 = FloatVector.broadcast(S, a[ai + 2 * lda + r]);
            c20 = w2.fma(b0, c20); c21 = w2.fma(b1, c21);
            FloatVector w3 = FloatVector.broadcast(S, a[ai + 3 * lda + r]);
            c30 = w3.fma(b0, c30); c31 = w3.fma(b1, c31);
        }
        c00.intoArray(c[ci], p);
        c01.intoArray(c[ci], p + 1 * L);
        c10.intoArray(c[ci + 1], p);
        c11.intoArray(c[ci + 1], p + 1 * L);
        c20.intoArray(c[ci + 2], p);
        c21.intoArray(c[ci + 2], p + 1 * L);
        c30.intoArray(c[ci + 3], p);
        c31.intoArray(c[ci + 3], p + 1 * L);
    }

    /** C rows [0,4) x columns [p, p+1*L) += A x B over the whole depth, accumulators in registers. */
    private static void block4x1(int depth, float[] a, int ai, int lda, float[] b, int[] rowOffsets, int bp,
                               int p, float[][] c, int ci) {
        FloatVector c00 = FloatVector.fromArray(S, c[ci], p);
        FloatVector c10 = FloatVector.fromArray(S, c[ci + 1], p);
        FloatVector c20 = FloatVector.fromArray(S, c[ci + 2], p);
        FloatVector c30 = FloatVector.fromArray(S, c[ci + 3], p);
        for (int r = 0; r < depth; r++) {
            int br = rowOffsets[r] + bp;
            FloatVector b0 = FloatVector.fromArray(S, b, br);
            FloatVector w0 = FloatVector.broadcast(S, a[ai + r]);
            c00 = w0.fma(b0, c00);
            FloatVector w1 = FloatVector.broadcast(S, a[ai + 1 * lda + r]);
            c10 = w1.fma(b0, c10);
            FloatVector w2 = FloatVector.broadcast(S, a[ai + 2 * lda + r]);
            c20 = w2.fma(b0, c20);
            FloatVector w3 = FloatVector.broadcast(S, a[ai + 3 * lda + r]);
            c30 = w3.fma(b0, c30);
        }
        c00.intoArray(c[ci], p);
        c10.intoArray(c[ci + 1], p);
        c20.intoArray(c[ci + 2], p);
        c30.intoArray(c[ci + 3], p);
    }

    /** C rows [0,1) x columns [p, p+2*L) += A x B over the whole depth, accumulators in registers. */
    private static void block1x2(int depth, float[] a, int ai, int lda, float[] b, int[] rowOffsets, int bp,
                               int p, float[][] c, int ci) {
        FloatVector c00 = FloatVector.fromArray(S, c[ci], p);
        FloatVector c01 = FloatVector.fromArray(S, c[ci], p + 1 * L);
        for (int r = 0; r < depth; r++) {
            int br = rowOffsets[r] + bp;
            FloatVector b0 = FloatVector.fromArray(S, b, br);
            FloatVector b1 = FloatVector.fromArray(S, b, br + L);
            FloatVector w0 = FloatVector.broadcast(S, a[ai + r]);
            c00 = w0.fma(b0, c00); c01 = w0.fma(b1, c01);
        }
        c00.intoArray(c[ci], p);
        c01.intoArray(c[ci], p + 1 * L);
    }

    /** C rows [0,1) x columns [p, p+1*L) += A x B over the whole depth, accumulators in registers. */
    private static void block1x1(int depth, float[] a, int ai, int lda, float[] b, int[] rowOffsets, int bp,
                               int p, float[][] c, int ci) {
        FloatVector c00 = FloatVector.fromArray(S, c[ci], p);
        for (int r = 0; r < depth; r++) {
            int br = rowOffsets[r] + bp;
            FloatVector b0 = FloatVector.fromArray(S, b, br);
            FloatVector w0 = FloatVector.broadcast(S, a[ai + r]);
            c00 = w0.fma(b0, c00);
        }
        c00.intoArray(c[ci], p);
    }

    /** Accumulates in registers. */
    @Override
    public long gemmScratchFloats(int cols) {
        return 0;
    }

    /** Accumulates in registers. */
    @Override
    public long tapsScratchFloats(int rowLen) {
        return 0;
    }

    /** Units of four vectors span row ends, so rows of any length run at full speed. */
    @Override
    public int minRowLength() {
        return L;
    }

    @Override
    public void taps(int rows, int rowLen, int inStride, float[] w, int wOff, int[] tapOffsets, int taps, float[] in,
                     int inOff, float[] out, int outOff) {
        // Units of one vector each, numbered row by row; four at a time keep four independent
        // FMA chains in flight whether they lie in one long row or in four short ones.
        int perRow = rowLen / L, units = rows * perRow;
        int u = 0;
        if (rows >= ROW_BLOCK && isGridOf3(tapOffsets, taps, inStride)) {
            // Blocks of four output rows reuse each loaded input row for every tap row that reads it.
            int blocks = rows / ROW_BLOCK, colStep = tapOffsets[1] - tapOffsets[0];
            for (int b = 0; b < blocks; b++) {
                int rowIn = inOff + tapOffsets[0] + b * ROW_BLOCK * inStride;
                int rowOut = outOff + b * ROW_BLOCK * rowLen;
                for (int x = 0; x < rowLen; x += L) {
                    rows4Grid3(taps / 3, inStride, colStep, w, wOff, in, rowIn + x, out, rowOut + x, rowLen);
                }
            }
            u = blocks * ROW_BLOCK * perRow;
        }
        for (; u + 4 <= units; u += 4) {
            int i0 = unitIn(u, perRow, inStride) + inOff, i1 = unitIn(u + 1, perRow, inStride) + inOff;
            int i2 = unitIn(u + 2, perRow, inStride) + inOff, i3 = unitIn(u + 3, perRow, inStride) + inOff;
            FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
            for (int q = 0; q < taps; q++) {
                FloatVector wq = FloatVector.broadcast(S, w[wOff + q]);
                int o = tapOffsets[q];
                s0 = wq.fma(FloatVector.fromArray(S, in, i0 + o), s0);
                s1 = wq.fma(FloatVector.fromArray(S, in, i1 + o), s1);
                s2 = wq.fma(FloatVector.fromArray(S, in, i2 + o), s2);
                s3 = wq.fma(FloatVector.fromArray(S, in, i3 + o), s3);
            }
            int o0 = outOff + u * L;
            s0.intoArray(out, o0);
            s1.intoArray(out, o0 + L);
            s2.intoArray(out, o0 + 2 * L);
            s3.intoArray(out, o0 + 3 * L);
        }
        for (; u < units; u++) {
            int i0 = unitIn(u, perRow, inStride) + inOff;
            FloatVector s0 = FloatVector.zero(S);
            for (int q = 0; q < taps; q++) {
                s0 = FloatVector.broadcast(S, w[wOff + q]).fma(FloatVector.fromArray(S, in, i0 + tapOffsets[q]), s0);
            }
            s0.intoArray(out, outOff + u * L);
        }
    }

    /** Output rows {@link #rows4Grid3} computes at once. */
    private static final int ROW_BLOCK = 4;

    /**
     * Whether the taps form a grid of rows of three, {@code tapOffsets[3i + j] = tapOffsets[0] +
     * i * inStride + j * colStep}: tap row i + 1 reads the input row that output row y + 1 reads at
     * tap row i (a depthwise kernel three wide at vertical stride and dilation 1).
     */
    private static boolean isGridOf3(int[] tapOffsets, int taps, int inStride) {
        if (taps < 3 || taps % 3 != 0 || inStride <= 0) {
            return false;
        }
        int o = tapOffsets[0], colStep = tapOffsets[1] - o;
        for (int q = 0; q < taps; q++) {
            if (tapOffsets[q] != o + q / 3 * inStride + q % 3 * colStep) {
                return false;
            }
        }
        return true;
    }

    /**
     * One vector of columns of four output rows, {@code out[outOff + r*rowLen]} for {@code r < 4},
     * over {@code kh} tap rows of three: input row r + i at columns +0, +colStep, +2*colStep, held
     * in registers from tap row i (output row r + 1's) to tap row i + 1 (output row r's), so each
     * tap row loads one new input row instead of four. Each output still adds its taps in
     * ascending order, one fused multiply-add each, as {@link #taps} does.
     */
    private static void rows4Grid3(int kh, int inStride, int colStep, float[] w, int wOff, float[] in, int inOff,
                                   float[] out, int outOff, int rowLen) {
        int c1 = colStep, c2 = 2 * colStep;
        int i0 = inOff, i1 = i0 + inStride, i2 = i1 + inStride, i3 = i2 + inStride;
        FloatVector a0 = FloatVector.fromArray(S, in, i0), b0 = FloatVector.fromArray(S, in, i0 + c1);
        FloatVector c0 = FloatVector.fromArray(S, in, i0 + c2);
        FloatVector a1 = FloatVector.fromArray(S, in, i1), b1 = FloatVector.fromArray(S, in, i1 + c1);
        FloatVector cc1 = FloatVector.fromArray(S, in, i1 + c2);
        FloatVector a2 = FloatVector.fromArray(S, in, i2), b2 = FloatVector.fromArray(S, in, i2 + c1);
        FloatVector cc2 = FloatVector.fromArray(S, in, i2 + c2);
        FloatVector a3 = FloatVector.fromArray(S, in, i3), b3 = FloatVector.fromArray(S, in, i3 + c1);
        FloatVector cc3 = FloatVector.fromArray(S, in, i3 + c2);
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
        int next = i3 + inStride, q = wOff;
        // Every tap row but the last, then the last without loading a row after it.
        for (int i = 1; i < kh; i++, q += 3, next += inStride) {
            FloatVector w0 = FloatVector.broadcast(S, w[q]), w1 = FloatVector.broadcast(S, w[q + 1]);
            FloatVector w2 = FloatVector.broadcast(S, w[q + 2]);
            s0 = w2.fma(c0, w1.fma(b0, w0.fma(a0, s0)));
            s1 = w2.fma(cc1, w1.fma(b1, w0.fma(a1, s1)));
            s2 = w2.fma(cc2, w1.fma(b2, w0.fma(a2, s2)));
            s3 = w2.fma(cc3, w1.fma(b3, w0.fma(a3, s3)));
            a0 = a1;
            b0 = b1;
            c0 = cc1;
            a1 = a2;
            b1 = b2;
            cc1 = cc2;
            a2 = a3;
            b2 = b3;
            cc2 = cc3;
            a3 = FloatVector.fromArray(S, in, next);
            b3 = FloatVector.fromArray(S, in, next + c1);
            cc3 = FloatVector.fromArray(S, in, next + c2);
        }
        FloatVector w0 = FloatVector.broadcast(S, w[q]), w1 = FloatVector.broadcast(S, w[q + 1]);
        FloatVector w2 = FloatVector.broadcast(S, w[q + 2]);
        s0 = w2.fma(c0, w1.fma(b0, w0.fma(a0, s0)));
        s1 = w2.fma(cc1, w1.fma(b1, w0.fma(a1, s1)));
        s2 = w2.fma(cc2, w1.fma(b2, w0.fma(a2, s2)));
        s3 = w2.fma(cc3, w1.fma(b3, w0.fma(a3, s3)));
        s0.intoArray(out, outOff);
        s1.intoArray(out, outOff + rowLen);
        s2.intoArray(out, outOff + 2 * rowLen);
        s3.intoArray(out, outOff + 3 * rowLen);
    }

    /** Input index of vector unit u: its row's start plus its place in the row. */
    private static int unitIn(int u, int perRow, int inStride) {
        int y = u / perRow;
        return y * inStride + (u - y * perRow) * L;
    }
}
