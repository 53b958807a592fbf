package dev.convcl.cpu;

/**
 * Plain-Java kernels shaped for C2's auto-vectorizer (JDK 17): each inner loop is a counted loop
 * over contiguous floats with one store, and each array it reads is indexed with a single offset
 * (two offsets into one array, or two stores, stop C2 from vectorizing the loop). That is why the
 * GEMM takes B as one array per row: four B rows are four distinct arrays.
 */
final class ScalarKernels implements Kernels {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public int quantum() {
        return 16;
    }

    @Override
    public void gemm(int m, int depth, int cols, float[] a, int aOff, int lda, float[][] b, int bRow0,
                     float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * lda;
            int ci = cOff + i * ldc;
            int r = 0;
            for (; r + 4 <= depth; r += 4) {
                row4(a[ai + r], a[ai + r + 1], a[ai + r + 2], a[ai + r + 3],
                        b[bRow0 + r], b[bRow0 + r + 1], b[bRow0 + r + 2], b[bRow0 + r + 3], c, ci, cols);
            }
            for (; r < depth; r++) {
                row1(a[ai + r], b[bRow0 + r], c, ci, cols);
            }
        }
    }

    private static void row4(float w0, float w1, float w2, float w3, float[] b0, float[] b1, float[] b2,
                             float[] b3, float[] c, int ci, int cols) {
        for (int p = 0; p < cols; p++) {
            c[ci + p] = Math.fma(w3, b3[p], Math.fma(w2, b2[p], Math.fma(w1, b1[p], Math.fma(w0, b0[p], c[ci + p]))));
        }
    }

    private static void row1(float w0, float[] b0, float[] c, int ci, int cols) {
        for (int p = 0; p < cols; p++) {
            c[ci + p] = Math.fma(w0, b0[p], c[ci + p]);
        }
    }

    @Override
    public void taps(int len, float[] w, int wOff, int[] tapOffsets, int taps, float[] in, int inOff,
                     float[] out, int outOff) {
        java.util.Arrays.fill(out, outOff, outOff + len, 0f);
        for (int q = 0; q < taps; q++) {
            axpy(w[wOff + q], in, inOff + tapOffsets[q], out, outOff, len);
        }
    }

    private static void axpy(float wq, float[] in, int io, float[] out, int oo, int len) {
        for (int t = 0; t < len; t++) {
            out[oo + t] = Math.fma(wq, in[io + t], out[oo + t]);
        }
    }
}
