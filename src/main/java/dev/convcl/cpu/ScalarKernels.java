package dev.convcl.cpu;

import dev.convcl.Binary;
import java.util.Arrays;

/**
 * Plain-Java kernels shaped for C2's auto-vectorizer (JDK 17). Measured rule: C2 vectorizes a
 * counted loop over float arrays only when every array index in it is the loop variable plus the
 * same (or no) loop-invariant offset; a second offset, even into another array, makes it keep
 * the loop scalar (about 8x slower). So every array in an inner loop is indexed from 0: C rows
 * are arrays of their own, and both kernels first copy each B row or shifted input window into a
 * scratch array ({@code System.arraycopy} is an intrinsic, cheap next to the arithmetic). Four B
 * rows per pass is the widest form C2 still vectorized (eight were left scalar).
 */
final class ScalarKernels implements Kernels {
    /** Taps combined per pass over the output: fewer loads and stores of it per multiply-add. */
    private static final int TAPS_PER_PASS = 4;

    @Override
    public String name() {
        return "scalar";
    }

    private final int quantum;

    /** Quantum 16: tiles the same as with 512-bit vectors (any quantum works here). */
    ScalarKernels() {
        this(16);
    }

    /** With the given quantum: what the tests compare vector kernels of that width against. */
    ScalarKernels(int quantum) {
        if (quantum < 1) {
            throw new IllegalArgumentException("quantum " + quantum + " must be positive");
        }
        this.quantum = quantum;
    }

    @Override
    public int quantum() {
        return quantum;
    }

    @Override
    public void gemm(int m, int depth, int cols, float[] a, int aOff, int lda, float[] b, int[] rowOffsets, int colOffset,
                     float[][] c) {
        // Four B rows at a time stay in L1 while every C row passes over them (measured faster
        // than sweeping longer blocks of B per C row).
        float[][] window = Workspace.zeroedRows(Workspace.Rows.WINDOW, 4, cols);
        int r = 0;
        for (; r + 4 <= depth; r += 4) {
            for (int u = 0; u < 4; u++) {
                System.arraycopy(b, rowOffsets[r + u] + colOffset, window[u], 0, cols);
            }
            for (int i = 0; i < m; i++) {
                int ai = aOff + i * lda + r;
                fma4(a[ai], a[ai + 1], a[ai + 2], a[ai + 3], window[0], window[1], window[2], window[3], c[i], cols);
            }
        }
        for (; r < depth; r++) {
            System.arraycopy(b, rowOffsets[r] + colOffset, window[0], 0, cols);
            for (int i = 0; i < m; i++) {
                fma1(a[aOff + i * lda + r], window[0], c[i], cols);
            }
        }
    }

    @Override
    public boolean flatPays() {
        return false;
    }

    @Override
    public boolean lanes() {
        return true;
    }

    @Override
    public void gemmLanes(int m, int depth, int cols, float[] at, int atOff, int atDepth, int k0, float[] b,
                          int[] rowOffsets, int colOffset, float[] ct, int ctOff, int ldct) {
        int panel = lanePanel();
        // Depth in chunks of 64 rows, every pixel over a chunk before the next: the chunk of AT
        // stays in cache instead of streaming once per pixel.
        for (int r0 = 0; r0 < depth; r0 += 64) {
            int r1 = Math.min(depth, r0 + 64);
            for (int p = 0; p < cols; p++) {
                int c = ctOff + p * ldct;
                for (int r = r0; r < r1; r++) {
                    Kernels.laneRowFma(b[rowOffsets[r] + colOffset + p], m, k0, panel, at, atOff, atDepth, r, ct, c);
                }
            }
        }
    }

    /** {@code c[p] += w0*b0[p] + w1*b1[p] + w2*b2[p] + w3*b3[p]}, as four FMAs in that order. */
    private static void fma4(float w0, float w1, float w2, float w3, float[] b0, float[] b1, float[] b2,
                             float[] b3, float[] c, int cols) {
        for (int p = 0; p < cols; p++) {
            c[p] = Math.fma(w3, b3[p], Math.fma(w2, b2[p], Math.fma(w1, b1[p], Math.fma(w0, b0[p], c[p]))));
        }
    }

    private static void fma1(float w0, float[] b0, float[] c, int cols) {
        for (int p = 0; p < cols; p++) {
            c[p] = Math.fma(w0, b0[p], c[p]);
        }
    }

    /** The four B rows copied per pass. */
    @Override
    public long gemmScratchFloats(int cols) {
        return 4L * cols;
    }

    /** The accumulator row and the shifted windows of one pass. */
    @Override
    public long tapsScratchFloats(int rowLen) {
        return (1L + TAPS_PER_PASS) * rowLen;
    }

    @Override
    public void deinterleave2(float[] in, int from, int pairs, float[] out, int even, int odd) {
        for (int t = 0; t < pairs; t++) {
            out[even + t] = in[from + 2 * t];
            out[odd + t] = in[from + 2 * t + 1];
        }
    }

    @Override
    public void addInto(float[] src, int srcOff, float[] acc, int accOff, int len) {
        for (int p = 0; p < len; p++) {
            acc[accOff + p] += src[srcOff + p];
        }
    }

    @Override
    public void copyRows(float[] src, int srcOff, int srcPitch, float[] dst, int dstOff, int dstPitch, int rows,
                         int cols) {
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src, srcOff + r * srcPitch, dst, dstOff + r * dstPitch, cols);
        }
    }

    @Override
    public void maxTaps(float[] src, int origin, int[] taps, float[] out, int len) {
        maxTapsFrom(0, src, origin, taps, out, len);
    }

    @Override
    public void sumTaps(float[] src, int origin, int[] taps, float[] out, int len) {
        sumTapsFrom(0, src, origin, taps, out, len);
    }

    /** {@link #maxTaps} for the outputs {@code [from, len)} (also the vector kernels' tail). */
    static void maxTapsFrom(int from, float[] src, int origin, int[] taps, float[] out, int len) {
        for (int p = from; p < len; p++) {
            float v = Float.NEGATIVE_INFINITY;
            for (int tap : taps) {
                v = Math.max(v, src[origin + tap + p]);
            }
            out[p] = v;
        }
    }

    /** {@link #sumTaps} for the outputs {@code [from, len)} (also the vector kernels' tail). */
    static void sumTapsFrom(int from, float[] src, int origin, int[] taps, float[] out, int len) {
        for (int p = from; p < len; p++) {
            float v = 0f;
            for (int tap : taps) {
                v += src[origin + tap + p];
            }
            out[p] = v;
        }
    }

    @Override
    public void divideInto(float[] sum, int sumOff, float[] div, int divOff, float[] y, int yOff, int len) {
        for (int p = 0; p < len; p++) {
            y[yOff + p] = sum[sumOff + p] / div[divOff + p];
        }
    }

    @Override
    public void binaryRow(Binary.Kind kind, float[] a, int ia, int sa, float[] b, int ib, int sb, float[] y, int off,
                          int len) {
        row(kind, a, ia, sa, b, ib, sb, y, off, len);
    }

    /** {@link #binaryRow}, value by value (also the vector kernels' tail). */
    static void row(Binary.Kind kind, float[] a, int ia, int sa, float[] b, int ib, int sb, float[] y, int off, int len) {
        switch (kind) {
            case ADD -> {
                for (int i = 0; i < len; i++) {
                    y[off + i] = a[ia + i * sa] + b[ib + i * sb];
                }
            }
            case SUB -> {
                for (int i = 0; i < len; i++) {
                    y[off + i] = a[ia + i * sa] - b[ib + i * sb];
                }
            }
            case MUL -> {
                for (int i = 0; i < len; i++) {
                    y[off + i] = a[ia + i * sa] * b[ib + i * sb];
                }
            }
            case DIV -> {
                for (int i = 0; i < len; i++) {
                    y[off + i] = a[ia + i * sa] / b[ib + i * sb];
                }
            }
        }
    }

    @Override
    public void hardswishStore(float[] src, int srcOff, float[] dst, int dstOff, int len, boolean addBias, float b) {
        hardswishRange(src, srcOff, dst, dstOff, len, addBias, b);
    }

    /** {@link #hardswishStore} value by value (also the vector kernels' tail). */
    static void hardswishRange(float[] src, int srcOff, float[] dst, int dstOff, int len, boolean addBias, float b) {
        for (int i = 0; i < len; i++) {
            float v = addBias ? src[srcOff + i] + b : src[srcOff + i];
            dst[dstOff + i] = v * Math.min(Math.max(v / 6f + 0.5f, 0f), 1f);
        }
    }

    /** {@link Epilogue#gelu} a value at a time, in double. */
    @Override
    public void gelu(float[] a, int off, int len) {
        for (int i = off; i < off + len; i++) {
            a[i] = (float) Epilogue.gelu(a[i]);
        }
    }

    @Override
    public void coverRows(int rows, int pixels, float[] in, int inOff, float[] w, int wBase, int[] wOff, int rowShift,
                          float[] out, int outOff, int outStride) {
        int q = quantum();
        for (int r = 0; r < rows; r++) {
            int dst = outOff + r * outStride, base = wBase - r * rowShift;
            Arrays.fill(out, dst, dst + q, 0f);
            for (int t = 0; t < pixels; t++) {
                float v = in[inOff + t];
                int o = base + wOff[t];
                for (int x = 0; x < q; x++) {
                    out[dst + x] = Math.fma(w[o + x], v, out[dst + x]);
                }
            }
        }
    }

    /** Each row costs a copy call per tap here: short rows are slow, so ask for long ones. */
    @Override
    public int minRowLength() {
        return 64;
    }

    @Override
    public void taps(int rows, int rowLen, int inStride, float[] w, int wOff, int[] tapOffsets, int taps, float[] in,
                     int inOff, float[] out, int outOff, int outStride) {
        float[] acc = Workspace.zeroed(Workspace.Slot.KERNEL, rowLen);
        float[][] window = Workspace.zeroedRows(Workspace.Rows.WINDOW, TAPS_PER_PASS, rowLen);
        for (int y = 0; y < rows; y++) {
            int rowIn = inOff + y * inStride;
            java.util.Arrays.fill(acc, 0f);
            int q = 0;
            for (; q + TAPS_PER_PASS <= taps; q += TAPS_PER_PASS) {
                for (int u = 0; u < TAPS_PER_PASS; u++) {
                    System.arraycopy(in, rowIn + tapOffsets[q + u], window[u], 0, rowLen);
                }
                fma4(w[wOff + q], w[wOff + q + 1], w[wOff + q + 2], w[wOff + q + 3],
                        window[0], window[1], window[2], window[3], acc, rowLen);
            }
            for (; q < taps; q++) {
                System.arraycopy(in, rowIn + tapOffsets[q], window[0], 0, rowLen);
                fma1(w[wOff + q], window[0], acc, rowLen);
            }
            System.arraycopy(acc, 0, out, outOff + y * outStride, rowLen);
        }
    }

    /** The same sums as {@link VectorKernels#flatTaps}, term for term. */
    @Override
    public boolean flatTaps(int from, int to, float[] w, int wOff, int kh, int kw, int[] tapOffsets, float[] inside,
                            int insideStride, float[] in, int inOff, float[] out, int outOff) {
        float probe = 0f;
        for (int x = from; x < to; x++) {
            float s = 0f;
            for (int j = 0; j < kw; j++) {
                float c = 0f;
                for (int r = 0; r < kh; r++) {
                    int t = r * kw + j;
                    c = Math.fma(w[wOff + t], in[inOff + x + tapOffsets[t]], c);
                }
                s = Math.fma(c, inside[j * insideStride + x], s);
            }
            out[outOff + x] = s;
            probe = Math.fma(s, 0f, probe);
        }
        return probe == 0f;
    }

    /**
     * The same sums as {@link VectorKernels#blockedTaps}, term for term: per kernel row four chains
     * by column, then acc + ((0 + 1) + (2 + 3)).
     */
    @Override
    public void blockedTaps(float[] w, int wBase, int kw, int i0, int i1, int j0, int j1, float[] in, int inBase,
                            int rowStep, int colStep, float[] acc, int accOff) {
        int q = quantum();
        for (int l = 0; l < q; l++) {
            float a = acc[accOff + l];
            for (int i = i0; i < i1; i++) {
                int wi = wBase + (i * kw + j0) * q + l, ii = inBase + i * rowStep + j0 * colStep + l;
                float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
                int j = j0;
                for (; j + 4 <= j1; j += 4, wi += 4 * q, ii += 4 * colStep) {
                    s0 = Math.fma(w[wi], in[ii], s0);
                    s1 = Math.fma(w[wi + q], in[ii + colStep], s1);
                    s2 = Math.fma(w[wi + 2 * q], in[ii + 2 * colStep], s2);
                    s3 = Math.fma(w[wi + 3 * q], in[ii + 3 * colStep], s3);
                }
                for (; j < j1; j++, wi += q, ii += colStep) {
                    s0 = Math.fma(w[wi], in[ii], s0);
                }
                a = a + ((s0 + s1) + (s2 + s3));
            }
            acc[accOff + l] = a;
        }
    }

    @Override
    public void blockedCoverRow(int outs, int pixels, float[] w, int wBase, int[] wOff, float[] in, int inOff,
                                float[] acc, int accOff) {
        int q = quantum();
        for (int o = 0; o < outs; o++) {
            for (int l = 0; l < q; l++) {
                float s = 0f;
                for (int t = 0; t < pixels; t++) {
                    s = Math.fma(w[wBase + wOff[t] - o * q + l], in[inOff + t * q + l], s);
                }
                acc[accOff + o * q + l] = s;
            }
        }
    }
}
