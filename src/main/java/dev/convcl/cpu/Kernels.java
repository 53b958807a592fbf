package dev.convcl.cpu;

import java.lang.reflect.InvocationTargetException;

/**
 * The inner loops every CPU algorithm is built on (a GEMM and a sum of shifted taps, and the
 * element-wise loops C2 leaves scalar: pooling taps, broadcast rows, stride-2 splits, GELU), in two
 * interchangeable implementations:
 * {@link VectorKernels} (the JDK incubator Vector API, register-blocked) and {@link ScalarKernels}
 * (plain Java that C2 auto-vectorizes where it can). Both accumulate in the same order with fused
 * multiply-adds, so they give bit-identical results, except {@link #gelu} (float with the Vector
 * API's EXP against double: both within a few ulp of the definition); the Vector API one is about 2.5x faster on a dense GEMM but
 * needs {@code --add-modules jdk.incubator.vector} at run time, which library users rarely pass.
 * Implementations are stateless and safe to share between threads.
 */
interface Kernels {

    /** System property that switches the Vector API kernels off ({@code -Dconvcl.cpu.vector=false}). */
    String VECTOR_PROPERTY = "convcl.cpu.vector";

    /** {@code vector} or {@code scalar}. */
    String name();

    /**
     * Column counts passed to {@link #gemm} and row lengths passed to {@link #taps} must be
     * multiples of this.
     */
    int quantum();

    /**
     * {@code C[i][p] += sum_r A[i][r] * B[r][p]} for {@code i < m}, {@code r < depth},
     * {@code p < cols} (a multiple of {@link #quantum()}), accumulating over r in ascending order
     * with one fused multiply-add per term. A row i starts at {@code a[aOff + i*lda]}; B row r is
     * the window of {@code b} starting at {@code rowOffsets[r] + colOffset} (rows may overlap: an
     * implicit GEMM reads shifted windows of one padded image); C row i is the array {@code c[i]}.
     */
    void gemm(int m, int depth, int cols, float[] a, int aOff, int lda, float[] b, int[] rowOffsets, int colOffset,
              float[][] c);

    /**
     * Rows of A in one panel of {@link #gemmPanels}, or 0 where these kernels read A only as rows
     * (then {@link #gemmPanels} is {@link #gemm} and panels are not worth making).
     */
    default int panelRows() {
        return 0;
    }

    /**
     * {@link #gemm} with A's whole blocks of {@link #panelRows()} rows read from panels, each
     * {@code [depth][panelRows]}: row {@code i} below the last whole block at
     * {@code ap[apOff + i/panelRows * panelStride + panelRows*r + i%panelRows]} for depth {@code r},
     * so that the values a depth step broadcasts are adjacent, one stream instead of rows
     * {@code lda} apart; the rows past the last whole block from {@code a} as {@link #gemm} reads
     * them ({@code a[aOff + i*lda + r]}). The same sums, bit for bit, as {@link #gemm} on the
     * row-major A the panels were made from ({@link WeightPanels}). This form: {@link #gemm} on
     * {@code a}.
     */
    default void gemmPanels(int m, int depth, int cols, float[] ap, int apOff, int panelStride, float[] a, int aOff,
                            int lda, float[] b, int[] rowOffsets, int colOffset, float[][] c) {
        gemm(m, depth, cols, a, aOff, lda, b, rowOffsets, colOffset, c);
    }

    /**
     * {@link #gemm} into a zeroed C, then finished by {@code store} and written to the output:
     * {@code out[outOff + i*ldo + p] = store(sum_r A[i][r] * B[r][p])} for {@code i < m},
     * {@code p < cols} (a multiple of {@link #quantum()}), row i taking output channel
     * {@code k0 + i}'s bias. The sums and the epilogue are {@link #gemm}'s and
     * {@link DirectStore#put}'s, bit for bit. This form goes through a C tile of the thread's
     * workspace; vector kernels keep the sums in registers and store them finished, so a GEMM of
     * small depth (a 1x1 conv on 16 to 96 channels) does not spend more on its tile (zeroing it,
     * loading and storing it, copying it out) than on its multiply-adds.
     */
    default void gemmInto(int m, int depth, int cols, float[] a, int aOff, int lda, float[] b, int[] rowOffsets,
                          int colOffset, float[] out, int outOff, int ldo, DirectStore store, int k0) {
        float[][] c = Workspace.zeroedRows(Workspace.Rows.ACC, m, cols);
        gemm(m, depth, cols, a, aOff, lda, b, rowOffsets, colOffset, c);
        for (int i = 0; i < m; i++) {
            store.put(c[i], 0, out, outOff + i * ldo, cols, k0 + i);
        }
    }

    /**
     * {@link DirectStore#put} in place on {@code a[off .. off+len)}, values of {@code len}
     * consecutive channels from {@code k0} (a row of {@link #gemmLanes}' CT): value j takes channel
     * {@code k0 + j}'s bias. Not for a store that reads a sum (its values lie in the output's layout).
     * This form goes a value at a time; vector kernels take the bias a vector of channels at a time.
     */
    default void finishChannels(float[] a, int off, int len, DirectStore store, int k0) {
        for (int j = 0; j < len; j++) {
            store.put(a, off + j, a, off + j, 1, k0 + j);
        }
    }

    /**
     * Whether {@link #gemmLanes} runs at least about as fast per multiply-add as {@link #gemm} (vector
     * kernels with 32 registers; the scalar kernels, whose loops have no blocks to fill).
     */
    boolean lanes();

    /**
     * Whether {@link #flatTaps} runs about as fast per multiply-add as {@link #taps}, so that
     * selection may choose {@link DepthwiseFlatConv}: the vector kernels. The plain-Java flatTaps
     * (a fused multiply-add per element, the column flags read at a stride) ran about 10x slower
     * than the row path's loops on MobileNetV2's 28x28 3x3 (0.90 against 0.09 ms) and RepLKNet's
     * 56x56 5x5 (10.0 against 0.77).
     */
    boolean flatPays();

    /**
     * Channels per panel of {@link #gemmLanes}' transposed weights: three vectors of lanes, its
     * widest register block.
     */
    default int lanePanel() {
        return 3 * quantum();
    }

    /**
     * The GEMM with output channels across the vector lanes, for few columns (a 7x7 map fills 49
     * of a 64-column block of {@link #gemm}): {@code CT[p][i] += sum_r AT[r][k0 + i] * B[r][p]} for
     * {@code p < cols} (any count), {@code i < m} ({@code k0} and {@code m} multiples of
     * {@link #quantum()}), {@code r < depth}, accumulating over r in ascending order with one fused
     * multiply-add per term, so the sums are {@link #gemm}'s bit for bit.
     *
     * <p>AT (the weights transposed) lies in panels of {@link #lanePanel()} channels, each panel
     * {@code atDepth} rows of P = lanePanel() floats one after another: element (r, c) at
     * {@code at[atOff + (c / P) * P * atDepth + r * P + c % P]}, so a register block reads its weights
     * as one contiguous stream (rows a whole layer's channels apart cost a TLB entry every two rows:
     * 1.3-1.45x slower, measured on 512 channels). {@code atDepth} is always the panels' full depth;
     * a call over a depth chunk starting at row r0 passes {@code atOff + r0 * P} and the chunk's rows
     * as {@code depth}. B row r as in {@link #gemm}, CT row p at {@code ct[ctOff + p*ldct]}.
     * {@code k0} and {@code m} must be multiples of {@link #quantum()}: the vector kernels run whole
     * vectors of channels.
     */
    void gemmLanes(int m, int depth, int cols, float[] at, int atOff, int atDepth, int k0, float[] b,
                   int[] rowOffsets, int colOffset, float[] ct, int ctOff, int ldct);

    /** Pixels of {@link #gemmLanesPixelMajor}'s register block: a call's columns in runs of it run fastest. */
    default int pixelMajorRows() {
        return 1;
    }

    /**
     * Channels per panel of {@link #gemmLanesPixelMajor}'s transposed weights: four vectors of
     * lanes (its widest block, with 32 registers; one layout for every kernel set of a quantum).
     */
    default int pixelMajorPanel() {
        return 4 * quantum();
    }

    /**
     * {@link #gemmLanes} on a pixel-major B: {@code CT[p][i] += sum_r AT[r][k0 + i] * b[bOff + p*ldb + r]}
     * for {@code p < cols}, {@code i < m}, {@code r < depth}, AT as in {@link #gemmLanes} but in panels of
     * {@link #pixelMajorPanel()} channels (a depth chunk from row r0 passes
     * {@code atOff + r0 * pixelMajorPanel()}), accumulating over r in ascending order
     * with one fused multiply-add per term. B's pixel rows are what a sampler that fills a vector of
     * channels at a time writes contiguously ({@link DeformSampler} on channels-last data).
     */
    default void gemmLanesPixelMajor(int m, int depth, int cols, float[] at, int atOff, int atDepth, int k0,
                                     float[] b, int bOff, int ldb, float[] ct, int ctOff, int ldct) {
        int panel = pixelMajorPanel();
        for (int r0 = 0; r0 < depth; r0 += 64) {
            int r1 = Math.min(depth, r0 + 64);
            for (int p = 0; p < cols; p++) {
                int c = ctOff + p * ldct;
                for (int r = r0; r < r1; r++) {
                    laneRowFma(b[bOff + p * ldb + r], m, k0, panel, at, atOff, atDepth, r, ct, c);
                }
            }
        }
    }

    /**
     * The plain-Java step of both channel-lane GEMMs: {@code ct[c + i] += AT[r][k0 + i] * v} for
     * {@code i < m}, one fused multiply-add each, AT in panels of {@code panel} channels as in
     * {@link #gemmLanes}; channel blocks within one panel each, so AT's row r of a block is contiguous.
     */
    static void laneRowFma(float v, int m, int k0, int panel, float[] at, int atOff, int atDepth, int r, float[] ct,
                           int c) {
        for (int i = 0; i < m; ) {
            int k = k0 + i, width = Math.min(panel - k % panel, m - i);
            int a = atOff + k / panel * panel * atDepth + r * panel + k % panel;
            for (int j = 0; j < width; j++) {
                ct[c + i + j] = Math.fma(at[a + j], v, ct[c + i + j]);
            }
            i += width;
        }
    }

    /**
     * Bilinear samples of {@code len} consecutive channels of channels-last data:
     * {@code dst[d + j] = w00*src[a + j] + w01*src[a + dx + j] + w10*src[a + dy + j] + w11*src[a + dy + dx + j]}
     * for {@code j < len}: the first product, then the other three added left to right with fused
     * multiply-adds (every kernel set rounds alike).
     */
    default void bilinearChannels(float[] src, int a, int dx, int dy, float w00, float w01, float w10, float w11,
                                  float[] dst, int d, int len) {
        for (int j = 0; j < len; j++) {
            int e = a + j;
            dst[d + j] = Math.fma(w11, src[e + dy + dx], Math.fma(w10, src[e + dy], Math.fma(w01, src[e + dx], w00 * src[e])));
        }
    }

    /**
     * {@code out[outOff + y*outStride + x] = sum_q w[wOff + q] * in[inOff + y*inStride + tapOffsets[q] + x]}
     * for {@code y < rows}, {@code x < rowLen} (a multiple of {@link #quantum()}) and
     * {@code q < taps}, starting from +0 and adding the taps in ascending order with fused
     * multiply-adds. Overwrites {@code out}. One row of the whole length is a "wide" plane; several
     * short rows skip the columns between output rows. Rows are written in ascending order, each
     * from its first column on, so with {@code outStride < rowLen} a row's columns past
     * {@code outStride} land on the next row's start and are overwritten by it (rows written
     * straight into an output of that width); only the last row's stay.
     */
    void taps(int rows, int rowLen, int inStride, float[] w, int wOff, int[] tapOffsets, int taps, float[] in,
              int inOff, float[] out, int outOff, int outStride);

    /**
     * Taps over a flat plane, its rows of W laid end to end between zero rows (a depthwise plane
     * at stride 1 whose output rows are as wide as its input rows, {@link DepthwiseFlatConv}): for
     * {@code from <= x < to} ({@code to - from} a multiple of {@link #quantum()}),
     * {@code out[outOff + x] = sum_j inside[j*insideStride + x] * c_j(x)} over the kernel columns
     * {@code j < kw} in ascending order, where
     * {@code c_j(x) = sum_i w[wOff + i*kw + j] * in[inOff + x + tapOffsets[i*kw + j]]} over
     * {@code i < kh} in ascending order, each from +0 with fused multiply-adds. {@code inside} is 1
     * where column j lands in the row at x and 0 where it would wrap into the next or previous row
     * (it reads padding there), so a value is the convolution's wherever the terms are finite; a
     * non-finite term (an infinite or NaN weight, or input read through a wrap) can make a value
     * NaN that the convolution has finite. Overwrites those values of {@code out} and returns
     * whether they are all finite. Every index it reads must be in its array.
     */
    boolean flatTaps(int from, int to, float[] w, int wOff, int kh, int kw, int[] tapOffsets, float[] inside,
                     int insideStride, float[] in, int inOff, float[] out, int outOff);

    /**
     * Channel-blocked taps (oneDNN's nChw{q}c layout, q = {@link #quantum()}): for each lane
     * {@code l < q},
     * {@code acc[accOff + l] += sum w[wBase + (i*kw + j)*q + l] * in[inBase + i*rowStep + j*colStep + l]}
     * over the rectangle of kernel taps {@code i0 <= i < i1}, {@code j0 <= j < j1}, with fused
     * multiply-adds (the order of the terms is the kernel's). Every index it reads must be in its
     * array; {@code inBase} alone may be negative.
     */
    void blockedTaps(float[] w, int wBase, int kw, int i0, int i1, int j0, int j1, float[] in, int inBase,
                     int rowStep, int colStep, float[] acc, int accOff);

    /**
     * One output row of a channel-blocked depthwise kernel that covers its whole plane (oneDNN's
     * nChw{q}c layout, q = {@link #quantum()}, as {@link #blockedTaps}): for {@code o < outs} and
     * lane {@code l < q},
     * {@code acc[accOff + o*q + l] = sum_t w[wBase + wOff[t] - o*q + l] * in[inOff + t*q + l]}
     * over {@code t < pixels} in ascending order, starting from +0 with fused multiply-adds.
     * Overwrites those {@code outs * q} values of {@code acc}. Every index it reads must be in its
     * array.
     */
    void blockedCoverRow(int outs, int pixels, float[] w, int wBase, int[] wOff, float[] in, int inOff, float[] acc,
                         int accOff);

    /**
     * Rows of a product in which every input value reaches every output, as in a depthwise kernel
     * that covers its whole plane ({@link DepthwiseCoverConv}): for {@code r < rows} and
     * {@code x < }{@link #quantum()},
     * {@code out[outOff + r*outStride + x] = sum_t in[inOff + t] * w[wBase + wOff[t] - r*rowShift + x]}
     * over {@code t < pixels} in ascending order, starting from +0 with fused multiply-adds.
     * Overwrites {@code out}. Every index of {@code w} it reads must be in the array.
     */
    void coverRows(int rows, int pixels, float[] in, int inOff, float[] w, int wBase, int[] wOff, int rowShift,
                   float[] out, int outOff, int outStride);

    /**
     * The shortest rows for which {@link #taps} with many rows is about as fast per column as one
     * long row; callers use one wide row (computing dropped columns) when theirs are shorter.
     */
    int minRowLength();

    /** Floats a {@link #gemm} call of {@code cols} columns allocates for itself (scratch accounting). */
    long gemmScratchFloats(int cols);

    /** Floats a {@link #taps} call with rows of {@code rowLen} allocates for itself (scratch accounting). */
    long tapsScratchFloats(int rowLen);

    /**
     * GELU in place, {@code a[i] = 0.5 * a[i] * (1 + erf(a[i] / sqrt(2)))} for
     * {@code off <= i < off + len} (any length): {@link Epilogue#gelu}'s fitted pieces, within 8
     * float ulp of the definition (OpenCL C allows its {@code erf} 16) where the result is a normal
     * float (below x = -13 it is subnormal or zero and may lose bits), NaN and -inf giving NaN.
     * Unlike the other kernels the two implementations may differ in the last bits: the scalar one
     * works in double, the vector one in float with the Vector API's {@code EXP}.
     */
    void gelu(float[] a, int off, int len);

    /**
     * {@code dst[dstOff + i] = v * Math.min(Math.max(v / 6 + 0.5, 0), 1)} in float with
     * {@code v = src[srcOff + i] + b} ({@code src[srcOff + i]} alone without {@code addBias}), for
     * {@code 0 <= i < len}: the bias then hardswish ({@code torch.nn.Hardswish}) in one pass from a
     * tile into the output. {@code src} and {@code dst} may be the same array at the same offset
     * (in place); other overlaps are not allowed. The float operations of {@link Epilogue}'s loop
     * before it, so both implementations give the same bits (NaN stays NaN).
     */
    void hardswishStore(float[] src, int srcOff, float[] dst, int dstOff, int len, boolean addBias, float b);

    /**
     * Splits {@code 2 * pairs} consecutive floats into their even and odd elements (a stride-2
     * row into its two column phases): {@code out[even + t] = in[from + 2t]} and
     * {@code out[odd + t] = in[from + 2t + 1]} for {@code t < pairs}. The two output ranges must not
     * overlap the input or each other.
     */
    void deinterleave2(float[] in, int from, int pairs, float[] out, int even, int odd);

    /**
     * {@code acc[accOff + p] += src[srcOff + p]} for {@code p < len} (any length), in float; the
     * ranges may lie in one array only if they do not overlap. C2 does not vectorise this loop
     * itself when both are float arrays (they might be one array): a stride-1 pool's taps ran at one
     * add a cycle.
     */
    void addInto(float[] src, int srcOff, float[] acc, int accOff, int len);

    /**
     * Copies {@code rows} rows of {@code cols} values: row r from {@code src[srcOff + r * srcPitch]}
     * to {@code dst[dstOff + r * dstPitch]}. The two arrays' ranges must not overlap. Rows of 8 to
     * 73 values (pooling's staged planes and outputs) took a {@link System#arraycopy} call each, and
     * the calls cost more than the values.
     */
    void copyRows(float[] src, int srcOff, int srcPitch, float[] dst, int dstOff, int dstPitch, int rows, int cols);

    /**
     * A pooling window over a whole run of outputs: {@code out[p]} ({@code p < len}) is the max
     * ({@link Math#max}: NaN wins, +0 above -0) of {@code src[origin + taps[t] + p]} over
     * {@code t < taps.length} (at least one tap). Each output is read and written once, its taps
     * taken in registers: a tap a pass over the outputs loaded and stored every output nine times
     * for a 3x3 window and ran at half the speed. {@code out} must not overlap what the taps read.
     */
    void maxTaps(float[] src, int origin, int[] taps, float[] out, int len);

    /**
     * As {@link #maxTaps}, the sum in float, in the taps' order, starting from +0 (PyTorch's CPU
     * average pooling adds its window that way). A method of its own, not a flag of one: with both
     * loops in one method, C2 compiled for the first kind a run met and, once the other came, the
     * recompiled loops ran up to 10x slower.
     */
    void sumTaps(float[] src, int origin, int[] taps, float[] out, int len);

    /**
     * {@code y[yOff + p] = sum[sumOff + p] / div[divOff + p]} for {@code p < len}, in float (each
     * output the one correctly rounded quotient, on every kernel set): an average pool's windows,
     * each sum over its count. The ranges may lie in one array only if they are the same range or
     * do not overlap.
     */
    void divideInto(float[] sum, int sumOff, float[] div, int divOff, float[] y, int yOff, int len);

    /**
     * One row of an element-wise binary op with broadcasting ({@link dev.convcl.Binary}):
     * {@code y[off + i] = a[ia + i*sa] (kind) b[ib + i*sb]} for {@code i < len}, each in float, the
     * steps 0 (a broadcast value) or 1. {@code y}'s range may be {@code a}'s or {@code b}'s (in place)
     * but must not otherwise overlap them. The plain loop is scalar under C2 (its steps are variables).
     */
    void binaryRow(dev.convcl.Binary.Kind kind, float[] a, int ia, int sa, float[] b, int ib, int sb, float[] y, int off,
                   int len);

    /** The plain-Java kernels, always available. */
    static Kernels scalar() {
        return new ScalarKernels();
    }

    /**
     * The Vector API kernels when {@code jdk.incubator.vector} is in the boot layer, the platform
     * has SIMD registers of at least 256 bits and {@value #VECTOR_PROPERTY} is not {@code false};
     * otherwise the plain-Java kernels.
     */
    static Kernels detect() {
        if ("false".equalsIgnoreCase(System.getProperty(VECTOR_PROPERTY, "true"))) {
            return scalar();
        }
        Kernels vector = vectorOrNull();
        return vector != null ? vector : scalar();
    }

    /** The Vector API kernels, or null when the module is absent or the hardware has no wide SIMD. */
    static Kernels vectorOrNull() {
        if (!VectorModule.readable()) {
            return null;
        }
        try {
            // Loaded by name so that this interface links without the incubator module.
            Object k = Class.forName("dev.convcl.cpu.VectorKernels").getDeclaredConstructor().newInstance();
            Kernels kernels = (Kernels) k;
            return kernels.quantum() >= 8 ? kernels : null;
        } catch (ClassNotFoundException | NoSuchMethodException | InstantiationException | IllegalAccessException
                 | InvocationTargetException | LinkageError e) {
            return null;
        }
    }
}
