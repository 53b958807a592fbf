package dev.convcl.cpu;

import dev.convcl.Binary;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on the JDK incubator Vector API: the GEMM keeps a block of 8 rows x 2 vectors of C in
 * registers over the whole depth (the B row is loaded once per 8 rows, the A element broadcast),
 * which C2's auto-vectorizer cannot do. Loaded only through {@link Kernels#detect()}, so the rest of
 * the package links without the incubator module. Same accumulation order as
 * {@link ScalarKernels}: results are bit-identical, except {@link #gelu}'s (float, EXP from the
 * Vector API: native on x86 in JDK 17, lane by lane in Java elsewhere, where it may be slower than
 * the scalar form).
 */
final class VectorKernels implements Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /**
     * Whether the 8x3 block is used: with 512-bit vectors (x86 AVX-512 has 32 registers); with
     * 256-bit ones (AVX2, 16 registers) its 28 live vectors would spill.
     */
    private static final boolean WIDE_BLOCKS = S.vectorBitSize() >= 512;
    /** Depth rows {@link #gemmLanes} runs every pixel block over before the next rows. */
    private static final int LANE_DEPTH = 256;

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
        gemmFrom(0, m, depth, cols, a, aOff, lda, b, rowOffsets, colOffset, c);
    }

    @Override
    public int panelRows() {
        return 8;
    }

    @Override
    public void gemmPanels(int m, int depth, int cols, float[] ap, int apOff, int panelStride, float[] a, int aOff,
                           int lda, float[] b, int[] rowOffsets, int colOffset, float[][] c) {
        int i = 0;
        for (; i + 8 <= m; i += 8) {
            int ai = apOff + i / 8 * panelStride;
            int p = 0;
            if (WIDE_BLOCKS) {
                for (; p + 3 * L <= cols; p += 3 * L) {
                    panel8x3(depth, ap, ai, b, rowOffsets, colOffset + p, p, c, i);
                }
            }
            for (; p + 2 * L <= cols; p += 2 * L) {
                panel8x2(depth, ap, ai, b, rowOffsets, colOffset + p, p, c, i);
            }
            if (p < cols) {
                panel8x1(depth, ap, ai, b, rowOffsets, colOffset + p, p, c, i);
            }
        }
        gemmFrom(i, m, depth, cols, a, aOff, lda, b, rowOffsets, colOffset, c);
    }

    /** {@link #gemm}'s rows {@code [i, m)}. */
    private static void gemmFrom(int i, int m, int depth, int cols, float[] a, int aOff, int lda, float[] b,
                                 int[] rowOffsets, int colOffset, float[][] c) {
        for (; i + 8 <= m; i += 8) {
            int ai = aOff + i * lda;
            int p = 0;
            if (WIDE_BLOCKS) {
                for (; p + 3 * L <= cols; p += 3 * L) {
                    block8x3(depth, a, ai, lda, b, rowOffsets, colOffset + p, p, c, i);
                }
            }
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

    @Override
    public void gemmInto(int m, int depth, int cols, float[] a, int aOff, int lda, float[] b, int[] rowOffsets,
                         int colOffset, float[] out, int outOff, int ldo, DirectStore store, int k0) {
        int i = 0;
        for (; i + 8 <= m; i += 8) {
            int ai = aOff + i * lda, o = outOff + i * ldo;
            int p = 0;
            if (WIDE_BLOCKS) {
                for (; p + 3 * L <= cols; p += 3 * L) {
                    into8x3(depth, a, ai, lda, b, rowOffsets, colOffset + p, out, o + p, ldo);
                }
            }
            for (; p + 2 * L <= cols; p += 2 * L) {
                into8x2(depth, a, ai, lda, b, rowOffsets, colOffset + p, out, o + p, ldo);
            }
            for (; p < cols; p += L) {
                into8x1(depth, a, ai, lda, b, rowOffsets, colOffset + p, out, o + p, ldo);
            }
            // The strip's sums are still in L1/L2: finish them in place, a row at a time.
            for (int r = 0; r < 8; r++) {
                finish(out, o + r * ldo, cols, store, k0 + i + r);
            }
        }
        for (; i < m; i++) {
            int ai = aOff + i * lda, o = outOff + i * ldo;
            for (int p = 0; p < cols; p += L) {
                FloatVector c = FloatVector.zero(S);
                for (int r = 0; r < depth; r++) {
                    c = FloatVector.broadcast(S, a[ai + r]).fma(FloatVector.fromArray(S, b, rowOffsets[r] + colOffset + p), c);
                }
                c.intoArray(out, o + p);
            }
            finish(out, o, cols, store, k0 + i);
        }
    }

    @Override
    public void finishChannels(float[] a, int off, int len, DirectStore st, int k0) {
        float[] bias = st.bias();
        int mode = st.mode();
        if (bias == null && mode == DirectStore.NONE) {
            return;
        }
        float lo = st.lo(), hi = st.hi();
        int j = 0;
        for (; j + L <= len; j += L) {
            FloatVector v = FloatVector.fromArray(S, a, off + j);
            if (bias != null) {
                v = v.add(FloatVector.fromArray(S, bias, k0 + j));
            }
            switch (mode) {
                case DirectStore.RELU -> v = v.max(0f);
                case DirectStore.CLIP -> v = v.max(lo).min(hi);
                case DirectStore.HARDSWISH -> v = v.mul(v.div(6f).add(0.5f).max(0f).min(1f));
                default -> { }
            }
            v.intoArray(a, off + j);
        }
        for (; j < len; j++) {
            st.put(a, off + j, a, off + j, 1, k0 + j);
        }
    }

    /**
     * {@link DirectStore#put}'s operations, in vectors, in place on {@code out[off .. off+len)}
     * ({@code len} a multiple of L): sums of channel {@code k}.
     */
    private static void finish(float[] out, int off, int len, DirectStore st, int k) {
        float[] bias = st.bias();
        boolean biased = bias != null;
        float bk = biased ? bias[k] : 0f;
        int mode = st.mode();
        if (!biased && mode == DirectStore.NONE) {
            return;
        }
        float lo = st.lo(), hi = st.hi();
        float[] sum = st.sum();
        for (int i = off, end = off + len; i < end; i += L) {
            FloatVector v = FloatVector.fromArray(S, out, i);
            if (biased) {
                v = v.add(bk);
            }
            switch (mode) {
                case DirectStore.RELU -> v = v.max(0f);
                case DirectStore.CLIP -> v = v.max(lo).min(hi);
                case DirectStore.SUM -> v = v.add(FloatVector.fromArray(S, sum, i));
                case DirectStore.SUM_RELU -> v = v.add(FloatVector.fromArray(S, sum, i)).max(0f);
                case DirectStore.HARDSWISH -> v = v.mul(v.div(6f).add(0.5f).max(0f).min(1f));
                default -> { }
            }
            v.intoArray(out, i);
        }
    }

    /** Rows [0,8) x columns [p, p+3*L) of {@link #gemmInto}: the sums in registers from +0, stored unfinished. */
    private static void into8x3(int depth, float[] a, int ai, int lda, float[] b, int[] rowOffsets, int bp,
                                float[] out, int o, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c42 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S), c52 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S), c62 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S), c72 = FloatVector.zero(S);
        for (int r = 0; r < depth; r++) {
            int br = rowOffsets[r] + bp;
            FloatVector b0 = FloatVector.fromArray(S, b, br);
            FloatVector b1 = FloatVector.fromArray(S, b, br + L);
            FloatVector b2 = FloatVector.fromArray(S, b, br + 2 * L);
            FloatVector w0 = FloatVector.broadcast(S, a[ai + 0 * lda + r]);
            c00 = w0.fma(b0, c00); c01 = w0.fma(b1, c01); c02 = w0.fma(b2, c02);
            FloatVector w1 = FloatVector.broadcast(S, a[ai + 1 * lda + r]);
            c10 = w1.fma(b0, c10); c11 = w1.fma(b1, c11); c12 = w1.fma(b2, c12);
            FloatVector w2 = FloatVector.broadcast(S, a[ai + 2 * lda + r]);
            c20 = w2.fma(b0, c20); c21 = w2.fma(b1, c21); c22 = w2.fma(b2, c22);
            FloatVector w3 = FloatVector.broadcast(S, a[ai + 3 * lda + r]);
            c30 = w3.fma(b0, c30); c31 = w3.fma(b1, c31); c32 = w3.fma(b2, c32);
            FloatVector w4 = FloatVector.broadcast(S, a[ai + 4 * lda + r]);
            c40 = w4.fma(b0, c40); c41 = w4.fma(b1, c41); c42 = w4.fma(b2, c42);
            FloatVector w5 = FloatVector.broadcast(S, a[ai + 5 * lda + r]);
            c50 = w5.fma(b0, c50); c51 = w5.fma(b1, c51); c52 = w5.fma(b2, c52);
            FloatVector w6 = FloatVector.broadcast(S, a[ai + 6 * lda + r]);
            c60 = w6.fma(b0, c60); c61 = w6.fma(b1, c61); c62 = w6.fma(b2, c62);
            FloatVector w7 = FloatVector.broadcast(S, a[ai + 7 * lda + r]);
            c70 = w7.fma(b0, c70); c71 = w7.fma(b1, c71); c72 = w7.fma(b2, c72);
        }
        c00.intoArray(out, o + 0 * ldo);
        c01.intoArray(out, o + 0 * ldo + L);
        c02.intoArray(out, o + 0 * ldo + 2 * L);
        c10.intoArray(out, o + 1 * ldo);
        c11.intoArray(out, o + 1 * ldo + L);
        c12.intoArray(out, o + 1 * ldo + 2 * L);
        c20.intoArray(out, o + 2 * ldo);
        c21.intoArray(out, o + 2 * ldo + L);
        c22.intoArray(out, o + 2 * ldo + 2 * L);
        c30.intoArray(out, o + 3 * ldo);
        c31.intoArray(out, o + 3 * ldo + L);
        c32.intoArray(out, o + 3 * ldo + 2 * L);
        c40.intoArray(out, o + 4 * ldo);
        c41.intoArray(out, o + 4 * ldo + L);
        c42.intoArray(out, o + 4 * ldo + 2 * L);
        c50.intoArray(out, o + 5 * ldo);
        c51.intoArray(out, o + 5 * ldo + L);
        c52.intoArray(out, o + 5 * ldo + 2 * L);
        c60.intoArray(out, o + 6 * ldo);
        c61.intoArray(out, o + 6 * ldo + L);
        c62.intoArray(out, o + 6 * ldo + 2 * L);
        c70.intoArray(out, o + 7 * ldo);
        c71.intoArray(out, o + 7 * ldo + L);
        c72.intoArray(out, o + 7 * ldo + 2 * L);
    }

    /** Rows [0,8) x columns [p, p+2*L) of {@link #gemmInto}: the sums in registers from +0, stored unfinished. */
    private static void into8x2(int depth, float[] a, int ai, int lda, float[] b, int[] rowOffsets, int bp,
                                float[] out, int o, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        for (int r = 0; r < depth; r++) {
            int br = rowOffsets[r] + bp;
            FloatVector b0 = FloatVector.fromArray(S, b, br);
            FloatVector b1 = FloatVector.fromArray(S, b, br + L);
            FloatVector w0 = FloatVector.broadcast(S, a[ai + 0 * lda + r]);
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
        c00.intoArray(out, o + 0 * ldo);
        c01.intoArray(out, o + 0 * ldo + L);
        c10.intoArray(out, o + 1 * ldo);
        c11.intoArray(out, o + 1 * ldo + L);
        c20.intoArray(out, o + 2 * ldo);
        c21.intoArray(out, o + 2 * ldo + L);
        c30.intoArray(out, o + 3 * ldo);
        c31.intoArray(out, o + 3 * ldo + L);
        c40.intoArray(out, o + 4 * ldo);
        c41.intoArray(out, o + 4 * ldo + L);
        c50.intoArray(out, o + 5 * ldo);
        c51.intoArray(out, o + 5 * ldo + L);
        c60.intoArray(out, o + 6 * ldo);
        c61.intoArray(out, o + 6 * ldo + L);
        c70.intoArray(out, o + 7 * ldo);
        c71.intoArray(out, o + 7 * ldo + L);
    }

    /** Rows [0,8) x columns [p, p+1*L) of {@link #gemmInto}: the sums in registers from +0, stored unfinished. */
    private static void into8x1(int depth, float[] a, int ai, int lda, float[] b, int[] rowOffsets, int bp,
                                float[] out, int o, int ldo) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S);
        for (int r = 0; r < depth; r++) {
            int br = rowOffsets[r] + bp;
            FloatVector b0 = FloatVector.fromArray(S, b, br);
            FloatVector w0 = FloatVector.broadcast(S, a[ai + 0 * lda + r]);
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
        c00.intoArray(out, o + 0 * ldo);
        c10.intoArray(out, o + 1 * ldo);
        c20.intoArray(out, o + 2 * ldo);
        c30.intoArray(out, o + 3 * ldo);
        c40.intoArray(out, o + 4 * ldo);
        c50.intoArray(out, o + 5 * ldo);
        c60.intoArray(out, o + 6 * ldo);
        c70.intoArray(out, o + 7 * ldo);
    }

    /**
     * C rows [0,8) x columns [p, p+3*L) += A x B over the whole depth: 24 accumulators, 3 B
     * vectors and a broadcast, for machines with 32 vector registers (512-bit, {@link #WIDE_BLOCKS}):
     * 11 loads per 24 FMAs instead of 10 per 16.
     */
    private static void block8x3(int depth, float[] a, int ai, int lda, float[] b, int[] rowOffsets, int bp,
                               int p, float[][] c, int ci) {
        FloatVector c00 = FloatVector.fromArray(S, c[ci + 0], p + 0 * L);
        FloatVector c01 = FloatVector.fromArray(S, c[ci + 0], p + 1 * L);
        FloatVector c02 = FloatVector.fromArray(S, c[ci + 0], p + 2 * L);
        FloatVector c10 = FloatVector.fromArray(S, c[ci + 1], p + 0 * L);
        FloatVector c11 = FloatVector.fromArray(S, c[ci + 1], p + 1 * L);
        FloatVector c12 = FloatVector.fromArray(S, c[ci + 1], p + 2 * L);
        FloatVector c20 = FloatVector.fromArray(S, c[ci + 2], p + 0 * L);
        FloatVector c21 = FloatVector.fromArray(S, c[ci + 2], p + 1 * L);
        FloatVector c22 = FloatVector.fromArray(S, c[ci + 2], p + 2 * L);
        FloatVector c30 = FloatVector.fromArray(S, c[ci + 3], p + 0 * L);
        FloatVector c31 = FloatVector.fromArray(S, c[ci + 3], p + 1 * L);
        FloatVector c32 = FloatVector.fromArray(S, c[ci + 3], p + 2 * L);
        FloatVector c40 = FloatVector.fromArray(S, c[ci + 4], p + 0 * L);
        FloatVector c41 = FloatVector.fromArray(S, c[ci + 4], p + 1 * L);
        FloatVector c42 = FloatVector.fromArray(S, c[ci + 4], p + 2 * L);
        FloatVector c50 = FloatVector.fromArray(S, c[ci + 5], p + 0 * L);
        FloatVector c51 = FloatVector.fromArray(S, c[ci + 5], p + 1 * L);
        FloatVector c52 = FloatVector.fromArray(S, c[ci + 5], p + 2 * L);
        FloatVector c60 = FloatVector.fromArray(S, c[ci + 6], p + 0 * L);
        FloatVector c61 = FloatVector.fromArray(S, c[ci + 6], p + 1 * L);
        FloatVector c62 = FloatVector.fromArray(S, c[ci + 6], p + 2 * L);
        FloatVector c70 = FloatVector.fromArray(S, c[ci + 7], p + 0 * L);
        FloatVector c71 = FloatVector.fromArray(S, c[ci + 7], p + 1 * L);
        FloatVector c72 = FloatVector.fromArray(S, c[ci + 7], p + 2 * L);
        for (int r = 0; r < depth; r++) {
            int br = rowOffsets[r] + bp;
            FloatVector b0 = FloatVector.fromArray(S, b, br);
            FloatVector b1 = FloatVector.fromArray(S, b, br + L);
            FloatVector b2 = FloatVector.fromArray(S, b, br + 2 * L);
            FloatVector w0 = FloatVector.broadcast(S, a[ai + 0 * lda + r]);
            c00 = w0.fma(b0, c00); c01 = w0.fma(b1, c01); c02 = w0.fma(b2, c02);
            FloatVector w1 = FloatVector.broadcast(S, a[ai + 1 * lda + r]);
            c10 = w1.fma(b0, c10); c11 = w1.fma(b1, c11); c12 = w1.fma(b2, c12);
            FloatVector w2 = FloatVector.broadcast(S, a[ai + 2 * lda + r]);
            c20 = w2.fma(b0, c20); c21 = w2.fma(b1, c21); c22 = w2.fma(b2, c22);
            FloatVector w3 = FloatVector.broadcast(S, a[ai + 3 * lda + r]);
            c30 = w3.fma(b0, c30); c31 = w3.fma(b1, c31); c32 = w3.fma(b2, c32);
            FloatVector w4 = FloatVector.broadcast(S, a[ai + 4 * lda + r]);
            c40 = w4.fma(b0, c40); c41 = w4.fma(b1, c41); c42 = w4.fma(b2, c42);
            FloatVector w5 = FloatVector.broadcast(S, a[ai + 5 * lda + r]);
            c50 = w5.fma(b0, c50); c51 = w5.fma(b1, c51); c52 = w5.fma(b2, c52);
            FloatVector w6 = FloatVector.broadcast(S, a[ai + 6 * lda + r]);
            c60 = w6.fma(b0, c60); c61 = w6.fma(b1, c61); c62 = w6.fma(b2, c62);
            FloatVector w7 = FloatVector.broadcast(S, a[ai + 7 * lda + r]);
            c70 = w7.fma(b0, c70); c71 = w7.fma(b1, c71); c72 = w7.fma(b2, c72);
        }
        c00.intoArray(c[ci + 0], p + 0 * L);
        c01.intoArray(c[ci + 0], p + 1 * L);
        c02.intoArray(c[ci + 0], p + 2 * L);
        c10.intoArray(c[ci + 1], p + 0 * L);
        c11.intoArray(c[ci + 1], p + 1 * L);
        c12.intoArray(c[ci + 1], p + 2 * L);
        c20.intoArray(c[ci + 2], p + 0 * L);
        c21.intoArray(c[ci + 2], p + 1 * L);
        c22.intoArray(c[ci + 2], p + 2 * L);
        c30.intoArray(c[ci + 3], p + 0 * L);
        c31.intoArray(c[ci + 3], p + 1 * L);
        c32.intoArray(c[ci + 3], p + 2 * L);
        c40.intoArray(c[ci + 4], p + 0 * L);
        c41.intoArray(c[ci + 4], p + 1 * L);
        c42.intoArray(c[ci + 4], p + 2 * L);
        c50.intoArray(c[ci + 5], p + 0 * L);
        c51.intoArray(c[ci + 5], p + 1 * L);
        c52.intoArray(c[ci + 5], p + 2 * L);
        c60.intoArray(c[ci + 6], p + 0 * L);
        c61.intoArray(c[ci + 6], p + 1 * L);
        c62.intoArray(c[ci + 6], p + 2 * L);
        c70.intoArray(c[ci + 7], p + 0 * L);
        c71.intoArray(c[ci + 7], p + 1 * L);
        c72.intoArray(c[ci + 7], p + 2 * L);
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

    /*
     * The 8-row blocks again, A read from panels (gemmPanels): the 8 values a depth step broadcasts
     * are a[ar .. ar+8), one stream, where the blocks above read 8 rows lda apart. Kept apart from
     * them with the 8 a constant: one kernel taking the row and depth steps as arguments ran 5-10%
     * slower than either (single-thread microbenchmark, both layouts), most likely because C2 hoists
     * an array's bounds checks out of a loop only for an index of constant scale.
     */
    private static void panel8x3(int depth, float[] a, int ai, float[] b, int[] rowOffsets, int bp,
                                 int p, float[][] c, int ci) {
        FloatVector c00 = FloatVector.fromArray(S, c[ci + 0], p + 0 * L);
        FloatVector c01 = FloatVector.fromArray(S, c[ci + 0], p + 1 * L);
        FloatVector c02 = FloatVector.fromArray(S, c[ci + 0], p + 2 * L);
        FloatVector c10 = FloatVector.fromArray(S, c[ci + 1], p + 0 * L);
        FloatVector c11 = FloatVector.fromArray(S, c[ci + 1], p + 1 * L);
        FloatVector c12 = FloatVector.fromArray(S, c[ci + 1], p + 2 * L);
        FloatVector c20 = FloatVector.fromArray(S, c[ci + 2], p + 0 * L);
        FloatVector c21 = FloatVector.fromArray(S, c[ci + 2], p + 1 * L);
        FloatVector c22 = FloatVector.fromArray(S, c[ci + 2], p + 2 * L);
        FloatVector c30 = FloatVector.fromArray(S, c[ci + 3], p + 0 * L);
        FloatVector c31 = FloatVector.fromArray(S, c[ci + 3], p + 1 * L);
        FloatVector c32 = FloatVector.fromArray(S, c[ci + 3], p + 2 * L);
        FloatVector c40 = FloatVector.fromArray(S, c[ci + 4], p + 0 * L);
        FloatVector c41 = FloatVector.fromArray(S, c[ci + 4], p + 1 * L);
        FloatVector c42 = FloatVector.fromArray(S, c[ci + 4], p + 2 * L);
        FloatVector c50 = FloatVector.fromArray(S, c[ci + 5], p + 0 * L);
        FloatVector c51 = FloatVector.fromArray(S, c[ci + 5], p + 1 * L);
        FloatVector c52 = FloatVector.fromArray(S, c[ci + 5], p + 2 * L);
        FloatVector c60 = FloatVector.fromArray(S, c[ci + 6], p + 0 * L);
        FloatVector c61 = FloatVector.fromArray(S, c[ci + 6], p + 1 * L);
        FloatVector c62 = FloatVector.fromArray(S, c[ci + 6], p + 2 * L);
        FloatVector c70 = FloatVector.fromArray(S, c[ci + 7], p + 0 * L);
        FloatVector c71 = FloatVector.fromArray(S, c[ci + 7], p + 1 * L);
        FloatVector c72 = FloatVector.fromArray(S, c[ci + 7], p + 2 * L);
        for (int r = 0; r < depth; r++) {
            int br = rowOffsets[r] + bp;
            int ar = ai + 8 * r;
            FloatVector b0 = FloatVector.fromArray(S, b, br);
            FloatVector b1 = FloatVector.fromArray(S, b, br + L);
            FloatVector b2 = FloatVector.fromArray(S, b, br + 2 * L);
            FloatVector w0 = FloatVector.broadcast(S, a[ar + 0]);
            c00 = w0.fma(b0, c00); c01 = w0.fma(b1, c01); c02 = w0.fma(b2, c02);
            FloatVector w1 = FloatVector.broadcast(S, a[ar + 1]);
            c10 = w1.fma(b0, c10); c11 = w1.fma(b1, c11); c12 = w1.fma(b2, c12);
            FloatVector w2 = FloatVector.broadcast(S, a[ar + 2]);
            c20 = w2.fma(b0, c20); c21 = w2.fma(b1, c21); c22 = w2.fma(b2, c22);
            FloatVector w3 = FloatVector.broadcast(S, a[ar + 3]);
            c30 = w3.fma(b0, c30); c31 = w3.fma(b1, c31); c32 = w3.fma(b2, c32);
            FloatVector w4 = FloatVector.broadcast(S, a[ar + 4]);
            c40 = w4.fma(b0, c40); c41 = w4.fma(b1, c41); c42 = w4.fma(b2, c42);
            FloatVector w5 = FloatVector.broadcast(S, a[ar + 5]);
            c50 = w5.fma(b0, c50); c51 = w5.fma(b1, c51); c52 = w5.fma(b2, c52);
            FloatVector w6 = FloatVector.broadcast(S, a[ar + 6]);
            c60 = w6.fma(b0, c60); c61 = w6.fma(b1, c61); c62 = w6.fma(b2, c62);
            FloatVector w7 = FloatVector.broadcast(S, a[ar + 7]);
            c70 = w7.fma(b0, c70); c71 = w7.fma(b1, c71); c72 = w7.fma(b2, c72);
        }
        c00.intoArray(c[ci + 0], p + 0 * L);
        c01.intoArray(c[ci + 0], p + 1 * L);
        c02.intoArray(c[ci + 0], p + 2 * L);
        c10.intoArray(c[ci + 1], p + 0 * L);
        c11.intoArray(c[ci + 1], p + 1 * L);
        c12.intoArray(c[ci + 1], p + 2 * L);
        c20.intoArray(c[ci + 2], p + 0 * L);
        c21.intoArray(c[ci + 2], p + 1 * L);
        c22.intoArray(c[ci + 2], p + 2 * L);
        c30.intoArray(c[ci + 3], p + 0 * L);
        c31.intoArray(c[ci + 3], p + 1 * L);
        c32.intoArray(c[ci + 3], p + 2 * L);
        c40.intoArray(c[ci + 4], p + 0 * L);
        c41.intoArray(c[ci + 4], p + 1 * L);
        c42.intoArray(c[ci + 4], p + 2 * L);
        c50.intoArray(c[ci + 5], p + 0 * L);
        c51.intoArray(c[ci + 5], p + 1 * L);
        c52.intoArray(c[ci + 5], p + 2 * L);
        c60.intoArray(c[ci + 6], p + 0 * L);
        c61.intoArray(c[ci + 6], p + 1 * L);
        c62.intoArray(c[ci + 6], p + 2 * L);
        c70.intoArray(c[ci + 7], p + 0 * L);
        c71.intoArray(c[ci + 7], p + 1 * L);
        c72.intoArray(c[ci + 7], p + 2 * L);
    }

    private static void panel8x2(int depth, float[] a, int ai, float[] b, int[] rowOffsets, int bp,
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
            int ar = ai + 8 * r;
            FloatVector b0 = FloatVector.fromArray(S, b, br);
            FloatVector b1 = FloatVector.fromArray(S, b, br + L);
            FloatVector w0 = FloatVector.broadcast(S, a[ar]);
            c00 = w0.fma(b0, c00); c01 = w0.fma(b1, c01);
            FloatVector w1 = FloatVector.broadcast(S, a[ar + 1]);
            c10 = w1.fma(b0, c10); c11 = w1.fma(b1, c11);
            FloatVector w2 = FloatVector.broadcast(S, a[ar + 2]);
            c20 = w2.fma(b0, c20); c21 = w2.fma(b1, c21);
            FloatVector w3 = FloatVector.broadcast(S, a[ar + 3]);
            c30 = w3.fma(b0, c30); c31 = w3.fma(b1, c31);
            FloatVector w4 = FloatVector.broadcast(S, a[ar + 4]);
            c40 = w4.fma(b0, c40); c41 = w4.fma(b1, c41);
            FloatVector w5 = FloatVector.broadcast(S, a[ar + 5]);
            c50 = w5.fma(b0, c50); c51 = w5.fma(b1, c51);
            FloatVector w6 = FloatVector.broadcast(S, a[ar + 6]);
            c60 = w6.fma(b0, c60); c61 = w6.fma(b1, c61);
            FloatVector w7 = FloatVector.broadcast(S, a[ar + 7]);
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

    private static void panel8x1(int depth, float[] a, int ai, float[] b, int[] rowOffsets, int bp,
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
            int ar = ai + 8 * r;
            FloatVector b0 = FloatVector.fromArray(S, b, br);
            FloatVector w0 = FloatVector.broadcast(S, a[ar]);
            c00 = w0.fma(b0, c00);
            FloatVector w1 = FloatVector.broadcast(S, a[ar + 1]);
            c10 = w1.fma(b0, c10);
            FloatVector w2 = FloatVector.broadcast(S, a[ar + 2]);
            c20 = w2.fma(b0, c20);
            FloatVector w3 = FloatVector.broadcast(S, a[ar + 3]);
            c30 = w3.fma(b0, c30);
            FloatVector w4 = FloatVector.broadcast(S, a[ar + 4]);
            c40 = w4.fma(b0, c40);
            FloatVector w5 = FloatVector.broadcast(S, a[ar + 5]);
            c50 = w5.fma(b0, c50);
            FloatVector w6 = FloatVector.broadcast(S, a[ar + 6]);
            c60 = w6.fma(b0, c60);
            FloatVector w7 = FloatVector.broadcast(S, a[ar + 7]);
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

    @Override
    public boolean flatPays() {
        return true;
    }

    @Override
    public boolean lanes() {
        return WIDE_BLOCKS;
    }

    @Override
    public int lanePanel() {
        return 3 * L; // lanes7x3's block
    }

    @Override
    public void gemmLanes(int m, int depth, int cols, float[] at, int atOff, int atDepth, int k0, float[] b,
                          int[] rowOffsets, int colOffset, float[] ct, int ctOff, int ldct) {
        int panel = lanePanel();
        // Depth in chunks, every pixel block over each: a block's slice of AT (LANE_DEPTH rows of
        // up to 3 vectors, contiguous in its panel) stays in L1/L2 while the map's pixel blocks pass
        // over it, instead of the whole slice streaming from memory once per pixel block (deep
        // layers: 3x3 on 512 channels has 4608 rows, 0.9 MB a 48-channel slice).
        for (int r0 = 0; r0 < depth; r0 += LANE_DEPTH) {
            int r1 = Math.min(depth, r0 + LANE_DEPTH);
            for (int i = 0; i < m; ) {
                int c = k0 + i;
                // a block of channels within one panel: up to its end or the call's last channel
                int width = Math.min(panel - c % panel, m - i);
                int ai = atOff + c / panel * panel * atDepth + c % panel, ci = ctOff + i;
                int p = 0;
                if (width == 3 * L) {
                    for (; p + 7 <= cols; p += 7) {
                        lanes7x3(r0, r1, at, ai, panel, b, rowOffsets, colOffset + p, ct, ci + p * ldct, ldct);
                    }
                } else if (width == 2 * L) {
                    for (; p + 7 <= cols; p += 7) {
                        lanes7x2(r0, r1, at, ai, panel, b, rowOffsets, colOffset + p, ct, ci + p * ldct, ldct);
                    }
                } else {
                    for (; p + 7 <= cols; p += 7) {
                        lanes7x1(r0, r1, at, ai, panel, b, rowOffsets, colOffset + p, ct, ci + p * ldct, ldct);
                    }
                }
                lanesTail(p, cols, width / L, r0, r1, at, ai, panel, b, rowOffsets, colOffset, ct, ci, ldct);
                i += width;
            }
        }
    }

    @Override
    public int pixelMajorRows() {
        return 6;
    }

    @Override
    public void gemmLanesPixelMajor(int m, int depth, int cols, float[] at, int atOff, int atDepth, int k0,
                                    float[] b, int bOff, int ldb, float[] ct, int ctOff, int ldct) {
        int panel = pixelMajorPanel();
        // As gemmLanes: depth in chunks, every pixel block over each. Blocks of 6 pixels x a whole
        // panel of 4 vectors with 32 registers (24 accumulators, 4 weight vectors, a broadcast);
        // with 16 registers, or where the channels end inside a panel, 6 x 2 and 6 x 1.
        for (int r0 = 0; r0 < depth; r0 += LANE_DEPTH) {
            int r1 = Math.min(depth, r0 + LANE_DEPTH);
            for (int i = 0; i < m; ) {
                int c = k0 + i;
                int width = Math.min(panel - c % panel, m - i);
                int ai = atOff + c / panel * panel * atDepth + c % panel, ci = ctOff + i;
                for (int v = 0; v < width / L; ) {
                    int n = WIDE_BLOCKS && width / L - v == 4 ? 4 : Math.min(2, width / L - v);
                    int av = ai + v * L, cv = ci + v * L;
                    int p = 0;
                    for (; p + 6 <= cols; p += 6) {
                        int bp = bOff + p * ldb, cp = cv + p * ldct;
                        switch (n) {
                            case 4 -> pm6x4(r0, r1, at, av, panel, b, bp, ldb, ct, cp, ldct);
                            case 2 -> pm6x2(r0, r1, at, av, panel, b, bp, ldb, ct, cp, ldct);
                            default -> pm6x1(r0, r1, at, av, panel, b, bp, ldb, ct, cp, ldct);
                        }
                    }
                    pmTail(p, cols, n, r0, r1, at, av, panel, b, bOff, ldb, ct, cv, ldct);
                    v += n;
                }
                i += width;
            }
        }
    }

    /** Pixel-major B: CT rows [p0, cols) x {@code vectors} vectors, a row at a time (what the blocks leave). */
    private static void pmTail(int p0, int cols, int vectors, int r0, int r1, float[] at, int ai, int ldat,
                               float[] b, int bOff, int ldb, float[] ct, int ci, int ldct) {
        for (int p = p0; p < cols; p++) {
            int bp = bOff + p * ldb;
            for (int v = 0; v < vectors; v++) {
                int c = ci + p * ldct + v * L;
                FloatVector acc = FloatVector.fromArray(S, ct, c);
                for (int r = r0; r < r1; r++) {
                    acc = FloatVector.fromArray(S, at, ai + r * ldat + v * L).fma(FloatVector.broadcast(S, b[bp + r]), acc);
                }
                acc.intoArray(ct, c);
            }
        }
    }

    /** Pixel-major B: CT rows [p, p+6) x 4 vectors of lanes += AT x B over rows [r0, r1), accumulators in registers. */
    private static void pm6x4(int r0, int r1, float[] at, int ai, int ldat, float[] b, int bp, int ldb,
                               float[] ct, int ci, int ldct) {
        FloatVector c00 = FloatVector.fromArray(S, ct, ci + 0 * ldct + 0 * L);
        FloatVector c01 = FloatVector.fromArray(S, ct, ci + 0 * ldct + 1 * L);
        FloatVector c02 = FloatVector.fromArray(S, ct, ci + 0 * ldct + 2 * L);
        FloatVector c03 = FloatVector.fromArray(S, ct, ci + 0 * ldct + 3 * L);
        FloatVector c10 = FloatVector.fromArray(S, ct, ci + 1 * ldct + 0 * L);
        FloatVector c11 = FloatVector.fromArray(S, ct, ci + 1 * ldct + 1 * L);
        FloatVector c12 = FloatVector.fromArray(S, ct, ci + 1 * ldct + 2 * L);
        FloatVector c13 = FloatVector.fromArray(S, ct, ci + 1 * ldct + 3 * L);
        FloatVector c20 = FloatVector.fromArray(S, ct, ci + 2 * ldct + 0 * L);
        FloatVector c21 = FloatVector.fromArray(S, ct, ci + 2 * ldct + 1 * L);
        FloatVector c22 = FloatVector.fromArray(S, ct, ci + 2 * ldct + 2 * L);
        FloatVector c23 = FloatVector.fromArray(S, ct, ci + 2 * ldct + 3 * L);
        FloatVector c30 = FloatVector.fromArray(S, ct, ci + 3 * ldct + 0 * L);
        FloatVector c31 = FloatVector.fromArray(S, ct, ci + 3 * ldct + 1 * L);
        FloatVector c32 = FloatVector.fromArray(S, ct, ci + 3 * ldct + 2 * L);
        FloatVector c33 = FloatVector.fromArray(S, ct, ci + 3 * ldct + 3 * L);
        FloatVector c40 = FloatVector.fromArray(S, ct, ci + 4 * ldct + 0 * L);
        FloatVector c41 = FloatVector.fromArray(S, ct, ci + 4 * ldct + 1 * L);
        FloatVector c42 = FloatVector.fromArray(S, ct, ci + 4 * ldct + 2 * L);
        FloatVector c43 = FloatVector.fromArray(S, ct, ci + 4 * ldct + 3 * L);
        FloatVector c50 = FloatVector.fromArray(S, ct, ci + 5 * ldct + 0 * L);
        FloatVector c51 = FloatVector.fromArray(S, ct, ci + 5 * ldct + 1 * L);
        FloatVector c52 = FloatVector.fromArray(S, ct, ci + 5 * ldct + 2 * L);
        FloatVector c53 = FloatVector.fromArray(S, ct, ci + 5 * ldct + 3 * L);
        int p0 = bp;
        int p1 = bp + 1 * ldb;
        int p2 = bp + 2 * ldb;
        int p3 = bp + 3 * ldb;
        int p4 = bp + 4 * ldb;
        int p5 = bp + 5 * ldb;
        for (int r = r0; r < r1; r++) {
            int ar = ai + r * ldat;
            FloatVector w0 = FloatVector.fromArray(S, at, ar + 0 * L);
            FloatVector w1 = FloatVector.fromArray(S, at, ar + 1 * L);
            FloatVector w2 = FloatVector.fromArray(S, at, ar + 2 * L);
            FloatVector w3 = FloatVector.fromArray(S, at, ar + 3 * L);
            FloatVector b0 = FloatVector.broadcast(S, b[p0 + r]);
            c00 = w0.fma(b0, c00);
            c01 = w1.fma(b0, c01);
            c02 = w2.fma(b0, c02);
            c03 = w3.fma(b0, c03);
            FloatVector b1 = FloatVector.broadcast(S, b[p1 + r]);
            c10 = w0.fma(b1, c10);
            c11 = w1.fma(b1, c11);
            c12 = w2.fma(b1, c12);
            c13 = w3.fma(b1, c13);
            FloatVector b2 = FloatVector.broadcast(S, b[p2 + r]);
            c20 = w0.fma(b2, c20);
            c21 = w1.fma(b2, c21);
            c22 = w2.fma(b2, c22);
            c23 = w3.fma(b2, c23);
            FloatVector b3 = FloatVector.broadcast(S, b[p3 + r]);
            c30 = w0.fma(b3, c30);
            c31 = w1.fma(b3, c31);
            c32 = w2.fma(b3, c32);
            c33 = w3.fma(b3, c33);
            FloatVector b4 = FloatVector.broadcast(S, b[p4 + r]);
            c40 = w0.fma(b4, c40);
            c41 = w1.fma(b4, c41);
            c42 = w2.fma(b4, c42);
            c43 = w3.fma(b4, c43);
            FloatVector b5 = FloatVector.broadcast(S, b[p5 + r]);
            c50 = w0.fma(b5, c50);
            c51 = w1.fma(b5, c51);
            c52 = w2.fma(b5, c52);
            c53 = w3.fma(b5, c53);
        }
        c00.intoArray(ct, ci + 0 * ldct + 0 * L);
        c01.intoArray(ct, ci + 0 * ldct + 1 * L);
        c02.intoArray(ct, ci + 0 * ldct + 2 * L);
        c03.intoArray(ct, ci + 0 * ldct + 3 * L);
        c10.intoArray(ct, ci + 1 * ldct + 0 * L);
        c11.intoArray(ct, ci + 1 * ldct + 1 * L);
        c12.intoArray(ct, ci + 1 * ldct + 2 * L);
        c13.intoArray(ct, ci + 1 * ldct + 3 * L);
        c20.intoArray(ct, ci + 2 * ldct + 0 * L);
        c21.intoArray(ct, ci + 2 * ldct + 1 * L);
        c22.intoArray(ct, ci + 2 * ldct + 2 * L);
        c23.intoArray(ct, ci + 2 * ldct + 3 * L);
        c30.intoArray(ct, ci + 3 * ldct + 0 * L);
        c31.intoArray(ct, ci + 3 * ldct + 1 * L);
        c32.intoArray(ct, ci + 3 * ldct + 2 * L);
        c33.intoArray(ct, ci + 3 * ldct + 3 * L);
        c40.intoArray(ct, ci + 4 * ldct + 0 * L);
        c41.intoArray(ct, ci + 4 * ldct + 1 * L);
        c42.intoArray(ct, ci + 4 * ldct + 2 * L);
        c43.intoArray(ct, ci + 4 * ldct + 3 * L);
        c50.intoArray(ct, ci + 5 * ldct + 0 * L);
        c51.intoArray(ct, ci + 5 * ldct + 1 * L);
        c52.intoArray(ct, ci + 5 * ldct + 2 * L);
        c53.intoArray(ct, ci + 5 * ldct + 3 * L);
    }

    /** Pixel-major B: CT rows [p, p+6) x 2 vectors of lanes += AT x B over rows [r0, r1), accumulators in registers. */
    private static void pm6x2(int r0, int r1, float[] at, int ai, int ldat, float[] b, int bp, int ldb,
                               float[] ct, int ci, int ldct) {
        FloatVector c00 = FloatVector.fromArray(S, ct, ci + 0 * ldct + 0 * L);
        FloatVector c01 = FloatVector.fromArray(S, ct, ci + 0 * ldct + 1 * L);
        FloatVector c10 = FloatVector.fromArray(S, ct, ci + 1 * ldct + 0 * L);
        FloatVector c11 = FloatVector.fromArray(S, ct, ci + 1 * ldct + 1 * L);
        FloatVector c20 = FloatVector.fromArray(S, ct, ci + 2 * ldct + 0 * L);
        FloatVector c21 = FloatVector.fromArray(S, ct, ci + 2 * ldct + 1 * L);
        FloatVector c30 = FloatVector.fromArray(S, ct, ci + 3 * ldct + 0 * L);
        FloatVector c31 = FloatVector.fromArray(S, ct, ci + 3 * ldct + 1 * L);
        FloatVector c40 = FloatVector.fromArray(S, ct, ci + 4 * ldct + 0 * L);
        FloatVector c41 = FloatVector.fromArray(S, ct, ci + 4 * ldct + 1 * L);
        FloatVector c50 = FloatVector.fromArray(S, ct, ci + 5 * ldct + 0 * L);
        FloatVector c51 = FloatVector.fromArray(S, ct, ci + 5 * ldct + 1 * L);
        int p0 = bp;
        int p1 = bp + 1 * ldb;
        int p2 = bp + 2 * ldb;
        int p3 = bp + 3 * ldb;
        int p4 = bp + 4 * ldb;
        int p5 = bp + 5 * ldb;
        for (int r = r0; r < r1; r++) {
            int ar = ai + r * ldat;
            FloatVector w0 = FloatVector.fromArray(S, at, ar + 0 * L);
            FloatVector w1 = FloatVector.fromArray(S, at, ar + 1 * L);
            FloatVector b0 = FloatVector.broadcast(S, b[p0 + r]);
            c00 = w0.fma(b0, c00);
            c01 = w1.fma(b0, c01);
            FloatVector b1 = FloatVector.broadcast(S, b[p1 + r]);
            c10 = w0.fma(b1, c10);
            c11 = w1.fma(b1, c11);
            FloatVector b2 = FloatVector.broadcast(S, b[p2 + r]);
            c20 = w0.fma(b2, c20);
            c21 = w1.fma(b2, c21);
            FloatVector b3 = FloatVector.broadcast(S, b[p3 + r]);
            c30 = w0.fma(b3, c30);
            c31 = w1.fma(b3, c31);
            FloatVector b4 = FloatVector.broadcast(S, b[p4 + r]);
            c40 = w0.fma(b4, c40);
            c41 = w1.fma(b4, c41);
            FloatVector b5 = FloatVector.broadcast(S, b[p5 + r]);
            c50 = w0.fma(b5, c50);
            c51 = w1.fma(b5, c51);
        }
        c00.intoArray(ct, ci + 0 * ldct + 0 * L);
        c01.intoArray(ct, ci + 0 * ldct + 1 * L);
        c10.intoArray(ct, ci + 1 * ldct + 0 * L);
        c11.intoArray(ct, ci + 1 * ldct + 1 * L);
        c20.intoArray(ct, ci + 2 * ldct + 0 * L);
        c21.intoArray(ct, ci + 2 * ldct + 1 * L);
        c30.intoArray(ct, ci + 3 * ldct + 0 * L);
        c31.intoArray(ct, ci + 3 * ldct + 1 * L);
        c40.intoArray(ct, ci + 4 * ldct + 0 * L);
        c41.intoArray(ct, ci + 4 * ldct + 1 * L);
        c50.intoArray(ct, ci + 5 * ldct + 0 * L);
        c51.intoArray(ct, ci + 5 * ldct + 1 * L);
    }

    /** Pixel-major B: CT rows [p, p+6) x 1 vector of lanes += AT x B over rows [r0, r1), accumulators in registers. */
    private static void pm6x1(int r0, int r1, float[] at, int ai, int ldat, float[] b, int bp, int ldb,
                               float[] ct, int ci, int ldct) {
        FloatVector c00 = FloatVector.fromArray(S, ct, ci + 0 * ldct + 0 * L);
        FloatVector c10 = FloatVector.fromArray(S, ct, ci + 1 * ldct + 0 * L);
        FloatVector c20 = FloatVector.fromArray(S, ct, ci + 2 * ldct + 0 * L);
        FloatVector c30 = FloatVector.fromArray(S, ct, ci + 3 * ldct + 0 * L);
        FloatVector c40 = FloatVector.fromArray(S, ct, ci + 4 * ldct + 0 * L);
        FloatVector c50 = FloatVector.fromArray(S, ct, ci + 5 * ldct + 0 * L);
        int p0 = bp;
        int p1 = bp + 1 * ldb;
        int p2 = bp + 2 * ldb;
        int p3 = bp + 3 * ldb;
        int p4 = bp + 4 * ldb;
        int p5 = bp + 5 * ldb;
        for (int r = r0; r < r1; r++) {
            int ar = ai + r * ldat;
            FloatVector w0 = FloatVector.fromArray(S, at, ar + 0 * L);
            FloatVector b0 = FloatVector.broadcast(S, b[p0 + r]);
            c00 = w0.fma(b0, c00);
            FloatVector b1 = FloatVector.broadcast(S, b[p1 + r]);
            c10 = w0.fma(b1, c10);
            FloatVector b2 = FloatVector.broadcast(S, b[p2 + r]);
            c20 = w0.fma(b2, c20);
            FloatVector b3 = FloatVector.broadcast(S, b[p3 + r]);
            c30 = w0.fma(b3, c30);
            FloatVector b4 = FloatVector.broadcast(S, b[p4 + r]);
            c40 = w0.fma(b4, c40);
            FloatVector b5 = FloatVector.broadcast(S, b[p5 + r]);
            c50 = w0.fma(b5, c50);
        }
        c00.intoArray(ct, ci + 0 * ldct + 0 * L);
        c10.intoArray(ct, ci + 1 * ldct + 0 * L);
        c20.intoArray(ct, ci + 2 * ldct + 0 * L);
        c30.intoArray(ct, ci + 3 * ldct + 0 * L);
        c40.intoArray(ct, ci + 4 * ldct + 0 * L);
        c50.intoArray(ct, ci + 5 * ldct + 0 * L);
    }

    @Override
    public void bilinearChannels(float[] src, int a, int dx, int dy, float w00, float w01, float w10, float w11,
                                 float[] dst, int d, int len) {
        FloatVector v00 = FloatVector.broadcast(S, w00), v01 = FloatVector.broadcast(S, w01);
        FloatVector v10 = FloatVector.broadcast(S, w10), v11 = FloatVector.broadcast(S, w11);
        int j = 0;
        for (; j + L <= len; j += L) {
            int e = a + j;
            FloatVector.fromArray(S, src, e + dy + dx).fma(v11,
                    FloatVector.fromArray(S, src, e + dy).fma(v10,
                    FloatVector.fromArray(S, src, e + dx).fma(v01,
                    FloatVector.fromArray(S, src, e).mul(v00))))
                    .intoArray(dst, d + j);
        }
        for (; j < len; j++) {
            int e = a + j;
            dst[d + j] = Math.fma(w11, src[e + dy + dx], Math.fma(w10, src[e + dy], Math.fma(w01, src[e + dx], w00 * src[e])));
        }
    }

    /** CT rows [p0, cols) x {@code vectors} vectors of lanes, a row at a time (the pixels a 7-row block leaves). */
    private static void lanesTail(int p0, int cols, int vectors, int r0, int r1, float[] at, int ai, int ldat,
                                  float[] b, int[] rowOffsets, int colOffset, float[] ct, int ci, int ldct) {
        for (int p = p0; p < cols; p++) {
            for (int v = 0; v < vectors; v++) {
                int c = ci + p * ldct + v * L;
                FloatVector acc = FloatVector.fromArray(S, ct, c);
                for (int r = r0; r < r1; r++) {
                    FloatVector w = FloatVector.fromArray(S, at, ai + r * ldat + v * L);
                    acc = w.fma(FloatVector.broadcast(S, b[rowOffsets[r] + colOffset + p]), acc);
                }
                acc.intoArray(ct, c);
            }
        }
    }

    /** CT rows [p, p+7) x lanes [i, i+3*L) += AT x B over the whole depth, accumulators in registers. */
    private static void lanes7x3(int r0, int r1, float[] at, int ai, int ldat, float[] b, int[] rowOffsets, int bp,
                                float[] ct, int ci, int ldct) {
        FloatVector c00 = FloatVector.fromArray(S, ct, ci + 0 * ldct + 0 * L);
        FloatVector c01 = FloatVector.fromArray(S, ct, ci + 0 * ldct + 1 * L);
        FloatVector c02 = FloatVector.fromArray(S, ct, ci + 0 * ldct + 2 * L);
        FloatVector c10 = FloatVector.fromArray(S, ct, ci + 1 * ldct + 0 * L);
        FloatVector c11 = FloatVector.fromArray(S, ct, ci + 1 * ldct + 1 * L);
        FloatVector c12 = FloatVector.fromArray(S, ct, ci + 1 * ldct + 2 * L);
        FloatVector c20 = FloatVector.fromArray(S, ct, ci + 2 * ldct + 0 * L);
        FloatVector c21 = FloatVector.fromArray(S, ct, ci + 2 * ldct + 1 * L);
        FloatVector c22 = FloatVector.fromArray(S, ct, ci + 2 * ldct + 2 * L);
        FloatVector c30 = FloatVector.fromArray(S, ct, ci + 3 * ldct + 0 * L);
        FloatVector c31 = FloatVector.fromArray(S, ct, ci + 3 * ldct + 1 * L);
        FloatVector c32 = FloatVector.fromArray(S, ct, ci + 3 * ldct + 2 * L);
        FloatVector c40 = FloatVector.fromArray(S, ct, ci + 4 * ldct + 0 * L);
        FloatVector c41 = FloatVector.fromArray(S, ct, ci + 4 * ldct + 1 * L);
        FloatVector c42 = FloatVector.fromArray(S, ct, ci + 4 * ldct + 2 * L);
        FloatVector c50 = FloatVector.fromArray(S, ct, ci + 5 * ldct + 0 * L);
        FloatVector c51 = FloatVector.fromArray(S, ct, ci + 5 * ldct + 1 * L);
        FloatVector c52 = FloatVector.fromArray(S, ct, ci + 5 * ldct + 2 * L);
        FloatVector c60 = FloatVector.fromArray(S, ct, ci + 6 * ldct + 0 * L);
        FloatVector c61 = FloatVector.fromArray(S, ct, ci + 6 * ldct + 1 * L);
        FloatVector c62 = FloatVector.fromArray(S, ct, ci + 6 * ldct + 2 * L);
        for (int r = r0; r < r1; r++) {
            int ar = ai + r * ldat, br = rowOffsets[r] + bp;
            FloatVector w0 = FloatVector.fromArray(S, at, ar + 0 * L);
            FloatVector w1 = FloatVector.fromArray(S, at, ar + 1 * L);
            FloatVector w2 = FloatVector.fromArray(S, at, ar + 2 * L);
            FloatVector b0 = FloatVector.broadcast(S, b[br + 0]);
            c00 = w0.fma(b0, c00);
            c01 = w1.fma(b0, c01);
            c02 = w2.fma(b0, c02);
            FloatVector b1 = FloatVector.broadcast(S, b[br + 1]);
            c10 = w0.fma(b1, c10);
            c11 = w1.fma(b1, c11);
            c12 = w2.fma(b1, c12);
            FloatVector b2 = FloatVector.broadcast(S, b[br + 2]);
            c20 = w0.fma(b2, c20);
            c21 = w1.fma(b2, c21);
            c22 = w2.fma(b2, c22);
            FloatVector b3 = FloatVector.broadcast(S, b[br + 3]);
            c30 = w0.fma(b3, c30);
            c31 = w1.fma(b3, c31);
            c32 = w2.fma(b3, c32);
            FloatVector b4 = FloatVector.broadcast(S, b[br + 4]);
            c40 = w0.fma(b4, c40);
            c41 = w1.fma(b4, c41);
            c42 = w2.fma(b4, c42);
            FloatVector b5 = FloatVector.broadcast(S, b[br + 5]);
            c50 = w0.fma(b5, c50);
            c51 = w1.fma(b5, c51);
            c52 = w2.fma(b5, c52);
            FloatVector b6 = FloatVector.broadcast(S, b[br + 6]);
            c60 = w0.fma(b6, c60);
            c61 = w1.fma(b6, c61);
            c62 = w2.fma(b6, c62);
        }
        c00.intoArray(ct, ci + 0 * ldct + 0 * L);
        c01.intoArray(ct, ci + 0 * ldct + 1 * L);
        c02.intoArray(ct, ci + 0 * ldct + 2 * L);
        c10.intoArray(ct, ci + 1 * ldct + 0 * L);
        c11.intoArray(ct, ci + 1 * ldct + 1 * L);
        c12.intoArray(ct, ci + 1 * ldct + 2 * L);
        c20.intoArray(ct, ci + 2 * ldct + 0 * L);
        c21.intoArray(ct, ci + 2 * ldct + 1 * L);
        c22.intoArray(ct, ci + 2 * ldct + 2 * L);
        c30.intoArray(ct, ci + 3 * ldct + 0 * L);
        c31.intoArray(ct, ci + 3 * ldct + 1 * L);
        c32.intoArray(ct, ci + 3 * ldct + 2 * L);
        c40.intoArray(ct, ci + 4 * ldct + 0 * L);
        c41.intoArray(ct, ci + 4 * ldct + 1 * L);
        c42.intoArray(ct, ci + 4 * ldct + 2 * L);
        c50.intoArray(ct, ci + 5 * ldct + 0 * L);
        c51.intoArray(ct, ci + 5 * ldct + 1 * L);
        c52.intoArray(ct, ci + 5 * ldct + 2 * L);
        c60.intoArray(ct, ci + 6 * ldct + 0 * L);
        c61.intoArray(ct, ci + 6 * ldct + 1 * L);
        c62.intoArray(ct, ci + 6 * ldct + 2 * L);
    }

    /** CT rows [p, p+7) x lanes [i, i+2*L) += AT x B over the whole depth, accumulators in registers. */
    private static void lanes7x2(int r0, int r1, float[] at, int ai, int ldat, float[] b, int[] rowOffsets, int bp,
                                float[] ct, int ci, int ldct) {
        FloatVector c00 = FloatVector.fromArray(S, ct, ci + 0 * ldct + 0 * L);
        FloatVector c01 = FloatVector.fromArray(S, ct, ci + 0 * ldct + 1 * L);
        FloatVector c10 = FloatVector.fromArray(S, ct, ci + 1 * ldct + 0 * L);
        FloatVector c11 = FloatVector.fromArray(S, ct, ci + 1 * ldct + 1 * L);
        FloatVector c20 = FloatVector.fromArray(S, ct, ci + 2 * ldct + 0 * L);
        FloatVector c21 = FloatVector.fromArray(S, ct, ci + 2 * ldct + 1 * L);
        FloatVector c30 = FloatVector.fromArray(S, ct, ci + 3 * ldct + 0 * L);
        FloatVector c31 = FloatVector.fromArray(S, ct, ci + 3 * ldct + 1 * L);
        FloatVector c40 = FloatVector.fromArray(S, ct, ci + 4 * ldct + 0 * L);
        FloatVector c41 = FloatVector.fromArray(S, ct, ci + 4 * ldct + 1 * L);
        FloatVector c50 = FloatVector.fromArray(S, ct, ci + 5 * ldct + 0 * L);
        FloatVector c51 = FloatVector.fromArray(S, ct, ci + 5 * ldct + 1 * L);
        FloatVector c60 = FloatVector.fromArray(S, ct, ci + 6 * ldct + 0 * L);
        FloatVector c61 = FloatVector.fromArray(S, ct, ci + 6 * ldct + 1 * L);
        for (int r = r0; r < r1; r++) {
            int ar = ai + r * ldat, br = rowOffsets[r] + bp;
            FloatVector w0 = FloatVector.fromArray(S, at, ar + 0 * L);
            FloatVector w1 = FloatVector.fromArray(S, at, ar + 1 * L);
            FloatVector b0 = FloatVector.broadcast(S, b[br + 0]);
            c00 = w0.fma(b0, c00);
            c01 = w1.fma(b0, c01);
            FloatVector b1 = FloatVector.broadcast(S, b[br + 1]);
            c10 = w0.fma(b1, c10);
            c11 = w1.fma(b1, c11);
            FloatVector b2 = FloatVector.broadcast(S, b[br + 2]);
            c20 = w0.fma(b2, c20);
            c21 = w1.fma(b2, c21);
            FloatVector b3 = FloatVector.broadcast(S, b[br + 3]);
            c30 = w0.fma(b3, c30);
            c31 = w1.fma(b3, c31);
            FloatVector b4 = FloatVector.broadcast(S, b[br + 4]);
            c40 = w0.fma(b4, c40);
            c41 = w1.fma(b4, c41);
            FloatVector b5 = FloatVector.broadcast(S, b[br + 5]);
            c50 = w0.fma(b5, c50);
            c51 = w1.fma(b5, c51);
            FloatVector b6 = FloatVector.broadcast(S, b[br + 6]);
            c60 = w0.fma(b6, c60);
            c61 = w1.fma(b6, c61);
        }
        c00.intoArray(ct, ci + 0 * ldct + 0 * L);
        c01.intoArray(ct, ci + 0 * ldct + 1 * L);
        c10.intoArray(ct, ci + 1 * ldct + 0 * L);
        c11.intoArray(ct, ci + 1 * ldct + 1 * L);
        c20.intoArray(ct, ci + 2 * ldct + 0 * L);
        c21.intoArray(ct, ci + 2 * ldct + 1 * L);
        c30.intoArray(ct, ci + 3 * ldct + 0 * L);
        c31.intoArray(ct, ci + 3 * ldct + 1 * L);
        c40.intoArray(ct, ci + 4 * ldct + 0 * L);
        c41.intoArray(ct, ci + 4 * ldct + 1 * L);
        c50.intoArray(ct, ci + 5 * ldct + 0 * L);
        c51.intoArray(ct, ci + 5 * ldct + 1 * L);
        c60.intoArray(ct, ci + 6 * ldct + 0 * L);
        c61.intoArray(ct, ci + 6 * ldct + 1 * L);
    }

    /** CT rows [p, p+7) x lanes [i, i+1*L) += AT x B over the whole depth, accumulators in registers. */
    private static void lanes7x1(int r0, int r1, float[] at, int ai, int ldat, float[] b, int[] rowOffsets, int bp,
                                float[] ct, int ci, int ldct) {
        FloatVector c00 = FloatVector.fromArray(S, ct, ci + 0 * ldct + 0 * L);
        FloatVector c10 = FloatVector.fromArray(S, ct, ci + 1 * ldct + 0 * L);
        FloatVector c20 = FloatVector.fromArray(S, ct, ci + 2 * ldct + 0 * L);
        FloatVector c30 = FloatVector.fromArray(S, ct, ci + 3 * ldct + 0 * L);
        FloatVector c40 = FloatVector.fromArray(S, ct, ci + 4 * ldct + 0 * L);
        FloatVector c50 = FloatVector.fromArray(S, ct, ci + 5 * ldct + 0 * L);
        FloatVector c60 = FloatVector.fromArray(S, ct, ci + 6 * ldct + 0 * L);
        for (int r = r0; r < r1; r++) {
            int ar = ai + r * ldat, br = rowOffsets[r] + bp;
            FloatVector w0 = FloatVector.fromArray(S, at, ar + 0 * L);
            FloatVector b0 = FloatVector.broadcast(S, b[br + 0]);
            c00 = w0.fma(b0, c00);
            FloatVector b1 = FloatVector.broadcast(S, b[br + 1]);
            c10 = w0.fma(b1, c10);
            FloatVector b2 = FloatVector.broadcast(S, b[br + 2]);
            c20 = w0.fma(b2, c20);
            FloatVector b3 = FloatVector.broadcast(S, b[br + 3]);
            c30 = w0.fma(b3, c30);
            FloatVector b4 = FloatVector.broadcast(S, b[br + 4]);
            c40 = w0.fma(b4, c40);
            FloatVector b5 = FloatVector.broadcast(S, b[br + 5]);
            c50 = w0.fma(b5, c50);
            FloatVector b6 = FloatVector.broadcast(S, b[br + 6]);
            c60 = w0.fma(b6, c60);
        }
        c00.intoArray(ct, ci + 0 * ldct + 0 * L);
        c10.intoArray(ct, ci + 1 * ldct + 0 * L);
        c20.intoArray(ct, ci + 2 * ldct + 0 * L);
        c30.intoArray(ct, ci + 3 * ldct + 0 * L);
        c40.intoArray(ct, ci + 4 * ldct + 0 * L);
        c50.intoArray(ct, ci + 5 * ldct + 0 * L);
        c60.intoArray(ct, ci + 6 * ldct + 0 * L);
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

    /**
     * {@link Epilogue#gelu}'s two pieces on every lane, in float, blended: {@code erf(z) = z * P(z^2)}
     * for {@code z = |x| / sqrt(2)} below 0.84375, {@code erfc(z) = exp(-x^2 / 2) * R(1 / (1 + z/2))}
     * above, where {@code x^2} is split into its rounded value and the exact remainder (an FMA), so
     * that exp's argument carries no rounding error (it would be up to 6e-6 relative at |x| = 14).
     * About 1.2 ns a value on one AVX-512 core against 10-21 ns for the scalar form, whose branches on
     * the sign and the piece mispredict on activations of either sign. The tail goes the scalar way.
     */
    @Override
    public void gelu(float[] a, int off, int len) {
        int i = off, end = off + len;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (; i + L <= end; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, i);
            FloatVector ax = x.abs();
            FloatVector z = ax.mul(0.70710677f);
            FloatVector s = z.mul(z);
            FloatVector p = step(step(step(step(step(step(FloatVector.broadcast(S, 8.91320968515047e-05f),
                    s, -0.0008260604892272941f), s, 0.005210609136710925f), s, -0.02686297590445423f),
                    s, 0.11283755848394186f), s, -0.37612637479232647f), s, 1.1283791670371157f);
            FloatVector erf = z.mul(p);
            // exp(-x^2/2) as exp(-hi/2) * (1 - lo/2), hi + lo = x^2 exactly; |x| held to 20, past
            // which exp underflows anyway, so that hi and lo stay finite
            FloatVector xc = ax.min(20f);
            FloatVector hi = xc.mul(xc);
            FloatVector lo = xc.fma(xc, hi.neg());
            FloatVector e = hi.mul(-0.5f).lanewise(VectorOperators.EXP).mul(lo.mul(-0.5f).add(one));
            FloatVector t = one.div(z.mul(0.5f).add(one));
            FloatVector r = FloatVector.broadcast(S, -0.045799889303440866f);
            r = step(step(step(step(step(r, t, 0.12158013282110919f), t, -0.01729381455213135f),
                    t, -0.21062800536150972f), t, 0.12860901701456973f), t, 0.020291331640363314f);
            r = step(step(step(step(step(r, t, 0.1954278770932846f), t, 0.243098869533809f),
                    t, 0.28255459493775437f), t, 0.28206230543226596f), t, 1.0043125690215875e-06f);
            FloatVector erfc = e.mul(r);
            // 1 + erf(x / sqrt 2): 1 +- erf(z) near 0; 2 - erfc(z) above 0, erfc(z) itself below
            VectorMask<Float> negative = x.lt(0f);
            FloatVector near = one.add(erf.lanewise(VectorOperators.NEG, negative));
            FloatVector far = erfc.neg().add(2f).blend(erfc, negative);
            FloatVector onePlusErf = far.blend(near, z.lt(0.84375f));
            x.mul(0.5f).mul(onePlusErf).intoArray(a, i);
        }
        for (; i < end; i++) {
            a[i] = (float) Epilogue.gelu(a[i]);
        }
    }

    /** Lane l takes element 2l mod L: the even elements of a vector, in its lower half and again in its upper. */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, l -> (2 * l) % L);
    /** Lane l takes element (2l + 1) mod L: the odd elements, likewise. */
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, l -> (2 * l + 1) % L);
    /** The upper half of the lanes. */
    private static final VectorMask<Float> UPPER = VectorMask.fromLong(S, -1L << (L / 2));

    /**
     * Two vectors in, one of even and one of odd elements out: each vector permuted within
     * itself, the two results blended by halves (JDK 17's two-vector rearrange ran its shuffle
     * checks in Java and was slower than the scalar copy). On a stride-2 depthwise layer
     * (MobileNetV2's 112x112 -> 56x56) the scalar split of each input row took most of the time.
     */
    @Override
    public void deinterleave2(float[] in, int from, int pairs, float[] out, int even, int odd) {
        int t = 0;
        for (; t + L <= pairs; t += L) {
            FloatVector a = FloatVector.fromArray(S, in, from + 2 * t);
            FloatVector b = FloatVector.fromArray(S, in, from + 2 * t + L);
            a.rearrange(EVEN).blend(b.rearrange(EVEN), UPPER).intoArray(out, even + t);
            a.rearrange(ODD).blend(b.rearrange(ODD), UPPER).intoArray(out, odd + t);
        }
        if (t < pairs && pairs >= L) {
            // The last pairs as one more vector step ending at the row's end, over some pairs
            // already split (the same values again): MobileNetV2's rows of 56 pairs left 8 to the
            // scalar loop, which took as long as the three vector steps.
            t = pairs - L;
            FloatVector a = FloatVector.fromArray(S, in, from + 2 * t);
            FloatVector b = FloatVector.fromArray(S, in, from + 2 * t + L);
            a.rearrange(EVEN).blend(b.rearrange(EVEN), UPPER).intoArray(out, even + t);
            a.rearrange(ODD).blend(b.rearrange(ODD), UPPER).intoArray(out, odd + t);
            return;
        }
        for (; t < pairs; t++) {
            out[even + t] = in[from + 2 * t];
            out[odd + t] = in[from + 2 * t + 1];
        }
    }

    @Override
    public void addInto(float[] src, int srcOff, float[] acc, int accOff, int len) {
        int p = 0;
        for (; p + L <= len; p += L) {
            FloatVector.fromArray(S, acc, accOff + p).add(FloatVector.fromArray(S, src, srcOff + p))
                    .intoArray(acc, accOff + p);
        }
        for (; p < len; p++) {
            acc[accOff + p] += src[srcOff + p];
        }
    }

    /**
     * A row of at least a vector ends with one more vector that ends at the row's end, over values
     * already copied (the same values again: the ranges do not overlap); shorter rows (8x8 planes at
     * 16 lanes) by {@link System#arraycopy}, which took them at half the time of a scalar loop.
     */
    @Override
    public void copyRows(float[] src, int srcOff, int srcPitch, float[] dst, int dstOff, int dstPitch, int rows,
                         int cols) {
        for (int r = 0; r < rows; r++) {
            int s = srcOff + r * srcPitch, d = dstOff + r * dstPitch, c = 0;
            if (cols >= L) {
                for (; c + L <= cols; c += L) {
                    FloatVector.fromArray(S, src, s + c).intoArray(dst, d + c);
                }
                if (c < cols) {
                    FloatVector.fromArray(S, src, s + cols - L).intoArray(dst, d + cols - L);
                }
                continue;
            }
            System.arraycopy(src, s, dst, d, cols);
        }
    }

    /**
     * The taps in two chains, the even taps and the odd ones, joined at the end: a lane-wise
     * {@link Math#max} is several dependent instructions on x86 (NaN and the zeros' signs), and one
     * chain of nine ran at the latency, 1.6x slower; the max of a set does not depend on the order.
     */
    @Override
    public void maxTaps(float[] src, int origin, int[] taps, float[] out, int len) {
        int n = taps.length, p = 0;
        for (; p + L <= len; p += L) {
            int at = origin + p;
            FloatVector v = FloatVector.fromArray(S, src, at + taps[0]);
            FloatVector u = FloatVector.fromArray(S, src, at + taps[n > 1 ? 1 : 0]);
            int t = 2;
            for (; t + 1 < n; t += 2) {
                v = v.max(FloatVector.fromArray(S, src, at + taps[t]));
                u = u.max(FloatVector.fromArray(S, src, at + taps[t + 1]));
            }
            if (t < n) {
                v = v.max(FloatVector.fromArray(S, src, at + taps[t]));
            }
            v.max(u).intoArray(out, p);
        }
        ScalarKernels.maxTapsFrom(p, src, origin, taps, out, len);
    }

    @Override
    public void sumTaps(float[] src, int origin, int[] taps, float[] out, int len) {
        int n = taps.length, p = 0;
        for (; p + L <= len; p += L) {
            int at = origin + p;
            FloatVector v = FloatVector.zero(S);
            for (int t = 0; t < n; t++) {
                v = v.add(FloatVector.fromArray(S, src, at + taps[t]));
            }
            v.intoArray(out, p);
        }
        ScalarKernels.sumTapsFrom(p, src, origin, taps, out, len);
    }

    @Override
    public void divideInto(float[] sum, int sumOff, float[] div, int divOff, float[] y, int yOff, int len) {
        int p = 0;
        for (; p + L <= len; p += L) {
            FloatVector.fromArray(S, sum, sumOff + p).div(FloatVector.fromArray(S, div, divOff + p))
                    .intoArray(y, yOff + p);
        }
        for (; p < len; p++) {
            y[yOff + p] = sum[sumOff + p] / div[divOff + p];
        }
    }

    /**
     * Vectors where {@code a} is a whole row ({@code sa == 1}) and {@code b} a row or one value
     * broadcast ({@code sb} 1 or 0: residual adds, squeeze-and-excitation scales), or {@code a} one
     * value broadcast and {@code b} a row ({@code sa == 0, sb == 1}: torchvision's
     * squeeze-and-excitation computes {@code scale * input}, the broadcast operand first, which ran
     * value by value: 7% of MobileNetV3-small's CPU samples at batch 8, JFR); every other case, and
     * the tail, the scalar way. Each lane computes what the scalar loop does.
     */
    @Override
    public void binaryRow(Binary.Kind kind, float[] a, int ia, int sa, float[] b, int ib, int sb, float[] y, int off,
                          int len) {
        int i = 0;
        if (sa == 1 && (sb == 0 || sb == 1) && len >= L) {
            boolean one = sb == 0;
            FloatVector bb = FloatVector.broadcast(S, b[ib]);
            switch (kind) {
                case ADD -> {
                    for (; i + L <= len; i += L) {
                        FloatVector.fromArray(S, a, ia + i).add(one ? bb : FloatVector.fromArray(S, b, ib + i))
                                .intoArray(y, off + i);
                    }
                }
                case SUB -> {
                    for (; i + L <= len; i += L) {
                        FloatVector.fromArray(S, a, ia + i).sub(one ? bb : FloatVector.fromArray(S, b, ib + i))
                                .intoArray(y, off + i);
                    }
                }
                case MUL -> {
                    for (; i + L <= len; i += L) {
                        FloatVector.fromArray(S, a, ia + i).mul(one ? bb : FloatVector.fromArray(S, b, ib + i))
                                .intoArray(y, off + i);
                    }
                }
                case DIV -> {
                    for (; i + L <= len; i += L) {
                        FloatVector.fromArray(S, a, ia + i).div(one ? bb : FloatVector.fromArray(S, b, ib + i))
                                .intoArray(y, off + i);
                    }
                }
            }
        }
        if (sa == 0 && sb == 1 && len >= L) {
            FloatVector aa = FloatVector.broadcast(S, a[ia]);
            switch (kind) {
                case ADD -> {
                    for (; i + L <= len; i += L) {
                        aa.add(FloatVector.fromArray(S, b, ib + i)).intoArray(y, off + i);
                    }
                }
                case SUB -> {
                    for (; i + L <= len; i += L) {
                        aa.sub(FloatVector.fromArray(S, b, ib + i)).intoArray(y, off + i);
                    }
                }
                case MUL -> {
                    for (; i + L <= len; i += L) {
                        aa.mul(FloatVector.fromArray(S, b, ib + i)).intoArray(y, off + i);
                    }
                }
                case DIV -> {
                    for (; i + L <= len; i += L) {
                        aa.div(FloatVector.fromArray(S, b, ib + i)).intoArray(y, off + i);
                    }
                }
            }
        }
        ScalarKernels.row(kind, a, ia + i * sa, sa, b, ib + i * sb, sb, y, off + i, len - i);
    }

    /**
     * Vectors, then the scalar tail. Written with the Vector API because C2 left the equivalent
     * loop slow: JFR of MobileNetV3-small at batch 8 had the in-place hardswish loop at 15.5% of
     * the CPU path's samples, this one at 5.7%.
     */
    @Override
    public void hardswishStore(float[] src, int srcOff, float[] dst, int dstOff, int len, boolean addBias, float b) {
        int i = 0;
        for (; i + L <= len; i += L) {
            FloatVector v = FloatVector.fromArray(S, src, srcOff + i);
            if (addBias) {
                v = v.add(b);
            }
            v.mul(v.div(6f).add(0.5f).max(0f).min(1f)).intoArray(dst, dstOff + i);
        }
        ScalarKernels.hardswishRange(src, srcOff + i, dst, dstOff + i, len - i, addBias, b);
    }

    /** One step of Horner's rule: {@code p * v + c}, fused. */
    private static FloatVector step(FloatVector p, FloatVector v, float c) {
        return p.fma(v, FloatVector.broadcast(S, c));
    }

    /** Units of four vectors span row ends, so rows of any length run at full speed. */
    @Override
    public int minRowLength() {
        return L;
    }

    @Override
    public void taps(int rows, int rowLen, int inStride, float[] w, int wOff, int[] tapOffsets, int taps, float[] in,
                     int inOff, float[] out, int outOff, int outStride) {
        if (taps == 9) {
            taps9(rows, rowLen, inStride, w, wOff, tapOffsets, in, inOff, out, outOff, outStride);
            return;
        }
        // Units of one vector each, numbered row by row; four at a time keep four independent
        // FMA chains in flight whether they lie in one long row or in four short ones.
        int perRow = rowLen / L, units = rows * perRow;
        int u = 0;
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
            // in ascending order: a row's columns past outStride, then the next row's start over them
            s0.intoArray(out, outOff + unitIn(u, perRow, outStride));
            s1.intoArray(out, outOff + unitIn(u + 1, perRow, outStride));
            s2.intoArray(out, outOff + unitIn(u + 2, perRow, outStride));
            s3.intoArray(out, outOff + unitIn(u + 3, perRow, outStride));
        }
        for (; u < units; u++) {
            int i0 = unitIn(u, perRow, inStride) + inOff;
            FloatVector s0 = FloatVector.zero(S);
            for (int q = 0; q < taps; q++) {
                s0 = FloatVector.broadcast(S, w[wOff + q]).fma(FloatVector.fromArray(S, in, i0 + tapOffsets[q]), s0);
            }
            s0.intoArray(out, outOff + unitIn(u, perRow, outStride));
        }
    }

    /**
     * {@link #taps} for nine taps (a 3x3 kernel, any stride or dilation), the same sums term for
     * term: the weights and tap offsets held in registers for the whole call instead of loaded
     * for every block, two vectors a step (more chains were slower). A 112x112 plane (MobileNetV2's
     * first depthwise layer): 6.4 -> 3.7 us on one Zen 4 core.
     */
    private static void taps9(int rows, int rowLen, int inStride, float[] w, int wOff, int[] t, float[] in, int inOff,
                              float[] out, int outOff, int outStride) {
        FloatVector w0 = FloatVector.broadcast(S, w[wOff]), w1 = FloatVector.broadcast(S, w[wOff + 1]);
        FloatVector w2 = FloatVector.broadcast(S, w[wOff + 2]), w3 = FloatVector.broadcast(S, w[wOff + 3]);
        FloatVector w4 = FloatVector.broadcast(S, w[wOff + 4]), w5 = FloatVector.broadcast(S, w[wOff + 5]);
        FloatVector w6 = FloatVector.broadcast(S, w[wOff + 6]), w7 = FloatVector.broadcast(S, w[wOff + 7]);
        FloatVector w8 = FloatVector.broadcast(S, w[wOff + 8]);
        for (int y = 0; y < rows; y++) {
            int base = inOff + y * inStride, o = outOff + y * outStride;
            int t0 = base + t[0], t1 = base + t[1], t2 = base + t[2], t3 = base + t[3], t4 = base + t[4];
            int t5 = base + t[5], t6 = base + t[6], t7 = base + t[7], t8 = base + t[8];
            int x = 0;
            for (; x + 2 * L <= rowLen; x += 2 * L) {
                FloatVector z = FloatVector.zero(S);
                int x1 = x + L;
                FloatVector a = w0.fma(FloatVector.fromArray(S, in, t0 + x), z);
                FloatVector b = w0.fma(FloatVector.fromArray(S, in, t0 + x1), z);
                a = w1.fma(FloatVector.fromArray(S, in, t1 + x), a);
                b = w1.fma(FloatVector.fromArray(S, in, t1 + x1), b);
                a = w2.fma(FloatVector.fromArray(S, in, t2 + x), a);
                b = w2.fma(FloatVector.fromArray(S, in, t2 + x1), b);
                a = w3.fma(FloatVector.fromArray(S, in, t3 + x), a);
                b = w3.fma(FloatVector.fromArray(S, in, t3 + x1), b);
                a = w4.fma(FloatVector.fromArray(S, in, t4 + x), a);
                b = w4.fma(FloatVector.fromArray(S, in, t4 + x1), b);
                a = w5.fma(FloatVector.fromArray(S, in, t5 + x), a);
                b = w5.fma(FloatVector.fromArray(S, in, t5 + x1), b);
                a = w6.fma(FloatVector.fromArray(S, in, t6 + x), a);
                b = w6.fma(FloatVector.fromArray(S, in, t6 + x1), b);
                a = w7.fma(FloatVector.fromArray(S, in, t7 + x), a);
                b = w7.fma(FloatVector.fromArray(S, in, t7 + x1), b);
                a = w8.fma(FloatVector.fromArray(S, in, t8 + x), a);
                b = w8.fma(FloatVector.fromArray(S, in, t8 + x1), b);
                a.intoArray(out, o + x);
                b.intoArray(out, o + x1);
            }
            if (x < rowLen) {
                FloatVector a = w0.fma(FloatVector.fromArray(S, in, t0 + x), FloatVector.zero(S));
                a = w1.fma(FloatVector.fromArray(S, in, t1 + x), a);
                a = w2.fma(FloatVector.fromArray(S, in, t2 + x), a);
                a = w3.fma(FloatVector.fromArray(S, in, t3 + x), a);
                a = w4.fma(FloatVector.fromArray(S, in, t4 + x), a);
                a = w5.fma(FloatVector.fromArray(S, in, t5 + x), a);
                a = w6.fma(FloatVector.fromArray(S, in, t6 + x), a);
                a = w7.fma(FloatVector.fromArray(S, in, t7 + x), a);
                a = w8.fma(FloatVector.fromArray(S, in, t8 + x), a);
                a.intoArray(out, o + x);
            }
        }
    }

    @Override
    public boolean flatTaps(int from, int to, float[] w, int wOff, int kh, int kw, int[] tapOffsets, float[] inside,
                            int insideStride, float[] in, int inOff, float[] out, int outOff) {
        if (kh == 3 && kw == 3) {
            return flatTaps9(from, to, w, wOff, tapOffsets, inside, insideStride, in, inOff, out, outOff);
        }
        if (kh == 5 && kw == 5) {
            return flatTaps25(from, to, w, wOff, tapOffsets, inside, insideStride, in, inOff, out, outOff);
        }
        // Two vectors a step; per kernel column one FMA chain down its rows, then multiplied by the
        // column's 0/1 flags into the sum. (Zeroing each tap's wrapped lanes with a blend instead
        // cost twice the time on JDK 17, whose masks live in vector registers.) The probe turns NaN
        // where a value written is not finite.
        FloatVector zero = FloatVector.zero(S), probe = zero;
        int x = from;
        for (; x + 2 * L <= to; x += 2 * L) {
            FloatVector a = zero, b = zero;
            int i = inOff + x;
            for (int j = 0; j < kw; j++) {
                FloatVector ca = zero, cb = zero;
                for (int r = 0; r < kh; r++) {
                    int t = r * kw + j, at = i + tapOffsets[t];
                    FloatVector wt = FloatVector.broadcast(S, w[wOff + t]);
                    ca = wt.fma(FloatVector.fromArray(S, in, at), ca);
                    cb = wt.fma(FloatVector.fromArray(S, in, at + L), cb);
                }
                int m = j * insideStride + x;
                a = ca.fma(FloatVector.fromArray(S, inside, m), a);
                b = cb.fma(FloatVector.fromArray(S, inside, m + L), b);
            }
            a.intoArray(out, outOff + x);
            b.intoArray(out, outOff + x + L);
            probe = a.fma(zero, probe);
            probe = b.fma(zero, probe);
        }
        for (; x < to; x += L) {
            FloatVector a = zero;
            int i = inOff + x;
            for (int j = 0; j < kw; j++) {
                FloatVector ca = zero;
                for (int r = 0; r < kh; r++) {
                    int t = r * kw + j;
                    ca = FloatVector.broadcast(S, w[wOff + t]).fma(FloatVector.fromArray(S, in, i + tapOffsets[t]), ca);
                }
                a = ca.fma(FloatVector.fromArray(S, inside, j * insideStride + x), a);
            }
            a.intoArray(out, outOff + x);
            probe = a.fma(zero, probe);
        }
        return probe.reduceLanes(VectorOperators.ADD) == 0f;
    }

    /**
     * {@link #flatTaps} for 5x5 kernels: the 25 weights in registers (the general loop reloads and
     * broadcasts a weight per tap and vector; weights kept in an array of vectors stay on the heap
     * on JDK 17). The same sums as the general loop: per column one chain down its rows, the
     * columns multiplied by their flags into the sum in order.
     */
    private static boolean flatTaps25(int from, int to, float[] w, int wOff, int[] t, float[] inside, int stride,
                                      float[] in, int inOff, float[] out, int outOff) {
        FloatVector w0 = FloatVector.broadcast(S, w[wOff + 0]);
        FloatVector w1 = FloatVector.broadcast(S, w[wOff + 1]);
        FloatVector w2 = FloatVector.broadcast(S, w[wOff + 2]);
        FloatVector w3 = FloatVector.broadcast(S, w[wOff + 3]);
        FloatVector w4 = FloatVector.broadcast(S, w[wOff + 4]);
        FloatVector w5 = FloatVector.broadcast(S, w[wOff + 5]);
        FloatVector w6 = FloatVector.broadcast(S, w[wOff + 6]);
        FloatVector w7 = FloatVector.broadcast(S, w[wOff + 7]);
        FloatVector w8 = FloatVector.broadcast(S, w[wOff + 8]);
        FloatVector w9 = FloatVector.broadcast(S, w[wOff + 9]);
        FloatVector w10 = FloatVector.broadcast(S, w[wOff + 10]);
        FloatVector w11 = FloatVector.broadcast(S, w[wOff + 11]);
        FloatVector w12 = FloatVector.broadcast(S, w[wOff + 12]);
        FloatVector w13 = FloatVector.broadcast(S, w[wOff + 13]);
        FloatVector w14 = FloatVector.broadcast(S, w[wOff + 14]);
        FloatVector w15 = FloatVector.broadcast(S, w[wOff + 15]);
        FloatVector w16 = FloatVector.broadcast(S, w[wOff + 16]);
        FloatVector w17 = FloatVector.broadcast(S, w[wOff + 17]);
        FloatVector w18 = FloatVector.broadcast(S, w[wOff + 18]);
        FloatVector w19 = FloatVector.broadcast(S, w[wOff + 19]);
        FloatVector w20 = FloatVector.broadcast(S, w[wOff + 20]);
        FloatVector w21 = FloatVector.broadcast(S, w[wOff + 21]);
        FloatVector w22 = FloatVector.broadcast(S, w[wOff + 22]);
        FloatVector w23 = FloatVector.broadcast(S, w[wOff + 23]);
        FloatVector w24 = FloatVector.broadcast(S, w[wOff + 24]);
        int t0 = inOff + t[0];
        int t1 = inOff + t[1];
        int t2 = inOff + t[2];
        int t3 = inOff + t[3];
        int t4 = inOff + t[4];
        int t5 = inOff + t[5];
        int t6 = inOff + t[6];
        int t7 = inOff + t[7];
        int t8 = inOff + t[8];
        int t9 = inOff + t[9];
        int t10 = inOff + t[10];
        int t11 = inOff + t[11];
        int t12 = inOff + t[12];
        int t13 = inOff + t[13];
        int t14 = inOff + t[14];
        int t15 = inOff + t[15];
        int t16 = inOff + t[16];
        int t17 = inOff + t[17];
        int t18 = inOff + t[18];
        int t19 = inOff + t[19];
        int t20 = inOff + t[20];
        int t21 = inOff + t[21];
        int t22 = inOff + t[22];
        int t23 = inOff + t[23];
        int t24 = inOff + t[24];
        FloatVector zero = FloatVector.zero(S), probe = zero;
        for (int x = from; x < to; x += L) {
            FloatVector c0 = w0.fma(FloatVector.fromArray(S, in, t0 + x), zero);
            FloatVector c1 = w1.fma(FloatVector.fromArray(S, in, t1 + x), zero);
            FloatVector c2 = w2.fma(FloatVector.fromArray(S, in, t2 + x), zero);
            FloatVector c3 = w3.fma(FloatVector.fromArray(S, in, t3 + x), zero);
            FloatVector c4 = w4.fma(FloatVector.fromArray(S, in, t4 + x), zero);
            c0 = w5.fma(FloatVector.fromArray(S, in, t5 + x), c0);
            c1 = w6.fma(FloatVector.fromArray(S, in, t6 + x), c1);
            c2 = w7.fma(FloatVector.fromArray(S, in, t7 + x), c2);
            c3 = w8.fma(FloatVector.fromArray(S, in, t8 + x), c3);
            c4 = w9.fma(FloatVector.fromArray(S, in, t9 + x), c4);
            c0 = w10.fma(FloatVector.fromArray(S, in, t10 + x), c0);
            c1 = w11.fma(FloatVector.fromArray(S, in, t11 + x), c1);
            c2 = w12.fma(FloatVector.fromArray(S, in, t12 + x), c2);
            c3 = w13.fma(FloatVector.fromArray(S, in, t13 + x), c3);
            c4 = w14.fma(FloatVector.fromArray(S, in, t14 + x), c4);
            c0 = w15.fma(FloatVector.fromArray(S, in, t15 + x), c0);
            c1 = w16.fma(FloatVector.fromArray(S, in, t16 + x), c1);
            c2 = w17.fma(FloatVector.fromArray(S, in, t17 + x), c2);
            c3 = w18.fma(FloatVector.fromArray(S, in, t18 + x), c3);
            c4 = w19.fma(FloatVector.fromArray(S, in, t19 + x), c4);
            c0 = w20.fma(FloatVector.fromArray(S, in, t20 + x), c0);
            c1 = w21.fma(FloatVector.fromArray(S, in, t21 + x), c1);
            c2 = w22.fma(FloatVector.fromArray(S, in, t22 + x), c2);
            c3 = w23.fma(FloatVector.fromArray(S, in, t23 + x), c3);
            c4 = w24.fma(FloatVector.fromArray(S, in, t24 + x), c4);
            FloatVector a = c0.fma(FloatVector.fromArray(S, inside, x), zero);
            a = c1.fma(FloatVector.fromArray(S, inside, 1 * stride + x), a);
            a = c2.fma(FloatVector.fromArray(S, inside, 2 * stride + x), a);
            a = c3.fma(FloatVector.fromArray(S, inside, 3 * stride + x), a);
            a = c4.fma(FloatVector.fromArray(S, inside, 4 * stride + x), a);
            a.intoArray(out, outOff + x);
            probe = a.fma(zero, probe);
        }
        return probe.reduceLanes(VectorOperators.ADD) == 0f;
    }

    /**
     * {@link #flatTaps} for a 3x3 kernel, the same sums term for term: the weights and offsets
     * held in registers, as in {@link #taps9}; three column chains in flight.
     */
    private static boolean flatTaps9(int from, int to, float[] w, int wOff, int[] t, float[] inside, int stride,
                                     float[] in, int inOff, float[] out, int outOff) {
        FloatVector w0 = FloatVector.broadcast(S, w[wOff]), w1 = FloatVector.broadcast(S, w[wOff + 1]);
        FloatVector w2 = FloatVector.broadcast(S, w[wOff + 2]), w3 = FloatVector.broadcast(S, w[wOff + 3]);
        FloatVector w4 = FloatVector.broadcast(S, w[wOff + 4]), w5 = FloatVector.broadcast(S, w[wOff + 5]);
        FloatVector w6 = FloatVector.broadcast(S, w[wOff + 6]), w7 = FloatVector.broadcast(S, w[wOff + 7]);
        FloatVector w8 = FloatVector.broadcast(S, w[wOff + 8]);
        int t0 = inOff + t[0], t1 = inOff + t[1], t2 = inOff + t[2], t3 = inOff + t[3], t4 = inOff + t[4];
        int t5 = inOff + t[5], t6 = inOff + t[6], t7 = inOff + t[7], t8 = inOff + t[8];
        FloatVector zero = FloatVector.zero(S), probe = zero;
        for (int x = from; x < to; x += L) {
            FloatVector c0 = w0.fma(FloatVector.fromArray(S, in, t0 + x), zero);
            FloatVector c1 = w1.fma(FloatVector.fromArray(S, in, t1 + x), zero);
            FloatVector c2 = w2.fma(FloatVector.fromArray(S, in, t2 + x), zero);
            c0 = w3.fma(FloatVector.fromArray(S, in, t3 + x), c0);
            c1 = w4.fma(FloatVector.fromArray(S, in, t4 + x), c1);
            c2 = w5.fma(FloatVector.fromArray(S, in, t5 + x), c2);
            c0 = w6.fma(FloatVector.fromArray(S, in, t6 + x), c0);
            c1 = w7.fma(FloatVector.fromArray(S, in, t7 + x), c1);
            c2 = w8.fma(FloatVector.fromArray(S, in, t8 + x), c2);
            FloatVector a = c0.fma(FloatVector.fromArray(S, inside, x), zero);
            a = c1.fma(FloatVector.fromArray(S, inside, stride + x), a);
            a = c2.fma(FloatVector.fromArray(S, inside, 2 * stride + x), a);
            a.intoArray(out, outOff + x);
            probe = a.fma(zero, probe);
        }
        return probe.reduceLanes(VectorOperators.ADD) == 0f;
    }

    @Override
    public void blockedTaps(float[] w, int wBase, int kw, int i0, int i1, int j0, int j1, float[] in, int inBase,
                            int rowStep, int colStep, float[] acc, int accOff) {
        // Per kernel row, four accumulators (columns j, j+1, j+2, j+3: four FMA chains in flight),
        // added to acc in memory: vectors carried across the two loops made C2 (JDK 17) give up
        // the intrinsics and box them, 10x slower.
        for (int i = i0; i < i1; i++) {
            int wi = wBase + (i * kw + j0) * L, ii = inBase + i * rowStep + j0 * colStep;
            FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
            FloatVector s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
            int j = j0;
            for (; j + 4 <= j1; j += 4, wi += 4 * L, ii += 4 * colStep) {
                s0 = FloatVector.fromArray(S, w, wi).fma(FloatVector.fromArray(S, in, ii), s0);
                s1 = FloatVector.fromArray(S, w, wi + L).fma(FloatVector.fromArray(S, in, ii + colStep), s1);
                s2 = FloatVector.fromArray(S, w, wi + 2 * L).fma(FloatVector.fromArray(S, in, ii + 2 * colStep), s2);
                s3 = FloatVector.fromArray(S, w, wi + 3 * L).fma(FloatVector.fromArray(S, in, ii + 3 * colStep), s3);
            }
            for (; j < j1; j++, wi += L, ii += colStep) {
                s0 = FloatVector.fromArray(S, w, wi).fma(FloatVector.fromArray(S, in, ii), s0);
            }
            FloatVector.fromArray(S, acc, accOff).add(s0.add(s1).add(s2.add(s3))).intoArray(acc, accOff);
        }
    }

    @Override
    public void blockedCoverRow(int outs, int pixels, float[] w, int wBase, int[] wOff, float[] in, int inOff,
                                float[] acc, int accOff) {
        // Four outputs per pass over the inputs (each input vector loaded once for four weight
        // vectors): four accumulators, live across the one loop over t (see blockedTaps and
        // coverRows). The chains are as long as the inputs, so a pass takes about their FMA latency
        // whatever its width up to four: the last pass takes the last four outputs, recomputing
        // (to the same bits) up to three of the previous pass's, rather than one pass per output
        // left (7 outputs: two passes instead of four).
        if (outs < 4) {
            for (int o = 0; o < outs; o++) {
                FloatVector s0 = FloatVector.zero(S);
                int base = wBase - o * L;
                for (int t = 0; t < pixels; t++) {
                    s0 = FloatVector.fromArray(S, w, base + wOff[t]).fma(FloatVector.fromArray(S, in, inOff + t * L),
                            s0);
                }
                s0.intoArray(acc, accOff + o * L);
            }
            return;
        }
        for (int o = 0; o < outs; o += 4) {
            int first = Math.min(o, outs - 4);
            blockedCover4(pixels, w, wBase - first * L, wOff, in, inOff, acc, accOff + first * L);
        }
    }

    /**
     * The shape of {@link #cover4} with a vector of inputs (q channels of pixel t) in place of a
     * broadcast input: kept apart rather than shared through a parameter or a lambda, because the
     * Vector API is compiled to vector instructions only where everything inlines (a species
     * passed as a parameter ran 15x slower).
     */
    private static void blockedCover4(int pixels, float[] w, int base, int[] wOff, float[] in, int inOff, float[] acc,
                                      int accOff) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        FloatVector s2 = FloatVector.zero(S);
        FloatVector s3 = FloatVector.zero(S);
        for (int t = 0; t < pixels; t++) {
            FloatVector x = FloatVector.fromArray(S, in, inOff + t * L);
            int wi = base + wOff[t];
            s0 = FloatVector.fromArray(S, w, wi).fma(x, s0);
            s1 = FloatVector.fromArray(S, w, wi - L).fma(x, s1);
            s2 = FloatVector.fromArray(S, w, wi - 2 * L).fma(x, s2);
            s3 = FloatVector.fromArray(S, w, wi - 3 * L).fma(x, s3);
        }
        s0.intoArray(acc, accOff);
        s1.intoArray(acc, accOff + L);
        s2.intoArray(acc, accOff + 2 * L);
        s3.intoArray(acc, accOff + 3 * L);
    }

    @Override
    public void coverRows(int rows, int pixels, float[] in, int inOff, float[] w, int wBase, int[] wOff, int rowShift,
                          float[] out, int outOff, int outStride) {
        // Eight rows per pass over the inputs (each input broadcast once, eight weight loads), then
        // four, then one: the accumulators live across the one loop over t only (see blockedTaps).
        int r = 0;
        for (; r + 8 <= rows; r += 8) {
            cover8(pixels, in, inOff, w, wBase - r * rowShift, wOff, rowShift, out, outOff + r * outStride, outStride);
        }
        for (; r + 4 <= rows; r += 4) {
            cover4(pixels, in, inOff, w, wBase - r * rowShift, wOff, rowShift, out, outOff + r * outStride, outStride);
        }
        for (; r < rows; r++) {
            cover1(pixels, in, inOff, w, wBase - r * rowShift, wOff, rowShift, out, outOff + r * outStride, outStride);
        }
    }

    private static void cover8(int pixels, float[] in, int inOff, float[] w, int base, int[] wOff, int shift,
                               float[] out, int outOff, int outStride) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        FloatVector s2 = FloatVector.zero(S);
        FloatVector s3 = FloatVector.zero(S);
        FloatVector s4 = FloatVector.zero(S);
        FloatVector s5 = FloatVector.zero(S);
        FloatVector s6 = FloatVector.zero(S);
        FloatVector s7 = FloatVector.zero(S);
        for (int t = 0; t < pixels; t++) {
            FloatVector x = FloatVector.broadcast(S, in[inOff + t]);
            int o = base + wOff[t];
            s0 = FloatVector.fromArray(S, w, o).fma(x, s0);
            s1 = FloatVector.fromArray(S, w, o - shift).fma(x, s1);
            s2 = FloatVector.fromArray(S, w, o - 2 * shift).fma(x, s2);
            s3 = FloatVector.fromArray(S, w, o - 3 * shift).fma(x, s3);
            s4 = FloatVector.fromArray(S, w, o - 4 * shift).fma(x, s4);
            s5 = FloatVector.fromArray(S, w, o - 5 * shift).fma(x, s5);
            s6 = FloatVector.fromArray(S, w, o - 6 * shift).fma(x, s6);
            s7 = FloatVector.fromArray(S, w, o - 7 * shift).fma(x, s7);
        }
        s0.intoArray(out, outOff);
        s1.intoArray(out, outOff + outStride);
        s2.intoArray(out, outOff + 2 * outStride);
        s3.intoArray(out, outOff + 3 * outStride);
        s4.intoArray(out, outOff + 4 * outStride);
        s5.intoArray(out, outOff + 5 * outStride);
        s6.intoArray(out, outOff + 6 * outStride);
        s7.intoArray(out, outOff + 7 * outStride);
    }

    private static void cover4(int pixels, float[] in, int inOff, float[] w, int base, int[] wOff, int shift,
                               float[] out, int outOff, int outStride) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        FloatVector s2 = FloatVector.zero(S);
        FloatVector s3 = FloatVector.zero(S);
        for (int t = 0; t < pixels; t++) {
            FloatVector x = FloatVector.broadcast(S, in[inOff + t]);
            int o = base + wOff[t];
            s0 = FloatVector.fromArray(S, w, o).fma(x, s0);
            s1 = FloatVector.fromArray(S, w, o - shift).fma(x, s1);
            s2 = FloatVector.fromArray(S, w, o - 2 * shift).fma(x, s2);
            s3 = FloatVector.fromArray(S, w, o - 3 * shift).fma(x, s3);
        }
        s0.intoArray(out, outOff);
        s1.intoArray(out, outOff + outStride);
        s2.intoArray(out, outOff + 2 * outStride);
        s3.intoArray(out, outOff + 3 * outStride);
    }

    private static void cover1(int pixels, float[] in, int inOff, float[] w, int base, int[] wOff, int shift,
                               float[] out, int outOff, int outStride) {
        FloatVector s0 = FloatVector.zero(S);
        for (int t = 0; t < pixels; t++) {
            FloatVector x = FloatVector.broadcast(S, in[inOff + t]);
            int o = base + wOff[t];
            s0 = FloatVector.fromArray(S, w, o).fma(x, s0);
        }
        s0.intoArray(out, outOff);
    }

    /** Input index of vector unit u: its row's start plus its place in the row. */
    private static int unitIn(int u, int perRow, int inStride) {
        int y = u / perRow;
        return y * inStride + (u - y * perRow) * L;
    }
}
