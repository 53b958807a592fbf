package dev.convcl.cpu;

import dev.convcl.Pool2d;
import dev.convcl.Window2d;

/**
 * {@code cpu-pool2d}: max and average pooling as {@link Pool2d} defines them, planes in parallel.
 * Strides of 1 and 2 ({@link #phased}: every stem, branch and transition pool of the seed networks)
 * stage blocks of planes into their stride phases and compute every window of a block in one
 * vector loop ({@link Kernels#maxTaps}, {@link Kernels#sumTaps}); other strides go output row by
 * output row ({@link #maxPlane}, {@link #averagePlane}). Padding never enters a max, and is
 * counted in an average's divisor only with count_include_pad; global average pooling is
 * {@link #globalAverage}.
 */
final class CpuPool2d extends CpuOneInputPlan<Pool2d> {
    /** Window column j (0 until kw) falls inside the input for the outputs ox in [colLo[j], colHi[j]). */
    private final int[] colLo, colHi;
    /** Average pooling: the columns each output's window counts in its divisor. */
    private final double[] cols;
    /** Max pooling (else average). */
    private final boolean max;
    /** Global average pooling: one window, the whole unpadded plane ({@link #globalAverage}). */
    private final boolean global;
    /** Taken by {@link #phasedBlock} ({@link #phased(Pool2d)}); never with {@link #global}. */
    private final boolean phased;
    /**
     * Phased pools that read the input where it is ({@link #phasedBlock}): stride 1, no padding and
     * no ceil-mode window past the input, so that the planes, one after another in the input, are
     * the block already.
     */
    private final boolean direct;
    /** Phased pools: the columns and rows of one phase plane (the padded plane's over the stride). */
    private final int phaseCols, phaseRows;
    /** Phased pools: the planes a block holds, and one phase's floats for a block. */
    private final int blockPlanes, stackLen;
    /** Phased pools: where tap (i, j) reads in the staged block, at {@code i * kw + j}, in the taps' order. */
    private final int[] taps;
    /** Phased pools: the largest of {@link #taps}. */
    private final int lastTap;
    /**
     * Phased average pools: each output's divisor (its window's count) at the place the block puts the
     * output, over a whole block ({@link Kernels#divideInto}); 1 where no output goes.
     */
    private final float[] divisors;
    /**
     * Lengths of the arrays a task takes from {@link Workspace}: {@link Workspace.Slot#WIDE} (the column sums of
     * {@link #globalAverage}, the outputs of {@link #phasedBlock}, a window row's sums in
     * {@link #averagePlane}), {@link Workspace.Slot#BUFFER} (the staged phases of {@link #phasedBlock}),
     * and doubles ({@link Workspace#zeroedDoubles}: the accumulators of {@link #averagePlane}); 0
     * where the path takes none.
     */
    private final int partLen, bufferLen, accLen;
    /** The backend's kernels: the windows ({@link Kernels#maxTaps}, {@link Kernels#sumTaps}) and the staging. */
    private final Kernels kernels;

    /**
     * Floats a phased block aims at (all its phases): 16 KiB, so that the staged block and its
     * outputs (written once, then divided and copied out) stay in a first-level data cache of 32 KiB
     * or more. A plane larger than that is a block alone.
     */
    static final int BLOCK_FLOATS = 4096;

    /**
     * Floats past a block's end, staged and output arrays alike: a block's window loop runs to a
     * multiple of 16 (the most lanes of a float vector, AVX-512), so it has no scalar tail; the
     * values it computes there are dropped.
     */
    static final int SLACK = 16;

    CpuPool2d(Pool2d op, WorkerPool pool, Kernels kernels) {
        super("cpu-pool2d", op, pool);
        this.kernels = kernels;
        Window2d win = op.window();
        int h = op.h(), w = op.w(), oh = op.outH(), ow = op.outW();
        int sh = win.strideH(), sw = win.strideW(), kh = win.kh(), kw = win.kw(), dh = win.dilH(), dw = win.dilW();
        colLo = new int[kw];
        colHi = new int[kw];
        for (int j = 0; j < kw; j++) {
            int shift = j * dw - win.padLeft(); // input column of output ox: ox * sw + shift
            colLo[j] = Math.min(ow, shift >= 0 ? 0 : (-shift + sw - 1) / sw);
            colHi[j] = Math.max(colLo[j], w - 1 - shift < 0 ? 0 : Math.min(ow, (w - 1 - shift) / sw + 1));
        }
        cols = new double[ow];
        for (int ox = 0; ox < ow; ox++) {
            int x0 = ox * sw - win.padLeft();
            cols[ox] = op.countIncludePad() ? Math.min(x0 + kw, w + win.padRight()) - x0
                    : Math.max(0, Math.min(kw, x0 >= w ? 0 : w - x0) - (x0 >= 0 ? 0 : -x0));
        }
        boolean noPad = win.padTop() == 0 && win.padLeft() == 0 && win.padBottom() == 0 && win.padRight() == 0;
        max = op.kind() == Pool2d.Kind.MAX;
        global = !max && oh == 1 && ow == 1 && kh == h && kw == w && noPad;
        phased = !global && phased(op);
        // the padded plane, long enough for every window (ceil mode's last one may pass the padding),
        // rounded up to whole strides
        int rowsPad = ceilTo(Math.max(h + win.padTop() + win.padBottom(), (oh - 1) * sh + (kh - 1) * dh + 1), sh);
        int colsPad = ceilTo(Math.max(w + win.padLeft() + win.padRight(), (ow - 1) * sw + (kw - 1) * dw + 1), sw);
        direct = phased && sh == 1 && sw == 1 && noPad && rowsPad == h && colsPad == w;
        phaseRows = rowsPad / sh;
        phaseCols = colsPad / sw;
        int planeLen = phaseRows * phaseCols;
        blockPlanes = (int) Math.max(1, Math.min((long) op.n() * op.c(), BLOCK_FLOATS / ((long) rowsPad * colsPad)));
        stackLen = blockPlanes * planeLen;
        taps = new int[kh * kw];
        for (int i = 0; i < kh; i++) {
            for (int j = 0; j < kw; j++) {
                int r = i * dh, c = j * dw;
                taps[i * kw + j] = ((r % sh) * sw + c % sw) * stackLen + (r / sh) * phaseCols + c / sw;
            }
        }
        lastTap = java.util.Arrays.stream(taps).max().orElse(0);
        divisors = phased && !max ? divisors(op, planeLen) : null;
        partLen = global ? Math.min(h * w, GLOBAL_COLUMNS) : phased ? stackLen + SLACK : max ? 0 : ow;
        bufferLen = phased && !direct ? sh * sw * stackLen + SLACK : 0;
        accLen = max || global || phased ? 0 : ow;
    }

    private static int ceilTo(int v, int m) {
        return (v + m - 1) / m * m;
    }

    /** {@link #divisors}: a plane's counts at {@code oy * phaseCols + ox}, repeated for each plane of a block. */
    private float[] divisors(Pool2d op, int planeLen) {
        Window2d win = op.window();
        int h = op.h(), kh = win.kh();
        float[] d = new float[stackLen + SLACK];
        java.util.Arrays.fill(d, 1f);
        for (int oy = 0; oy < op.outH(); oy++) {
            int y0 = oy * win.strideH() - win.padTop();
            float rows = op.countIncludePad() ? Math.min(y0 + kh, h + win.padBottom()) - y0
                    : Math.min(kh, h - y0) - Math.max(0, -y0);
            for (int ox = 0; ox < op.outW(); ox++) {
                d[oy * phaseCols + ox] = rows * (float) cols[ox];
            }
        }
        for (int p = 1; p < blockPlanes; p++) {
            System.arraycopy(d, 0, d, p * planeLen, planeLen);
        }
        return d;
    }

    /**
     * Pools planes in parallel; each task takes its scratch from the thread's {@link Workspace}
     * (sized by the constructor), so that later calls allocate none.
     */
    @Override
    void run(float[] x, float[] y) {
        int oh = op.outH(), ow = op.outW();
        // At least ~4096 values read or written a piece: a global pool's plane is one output, but
        // h*w inputs (counting outputs alone gave MobileNetV3's SE pools a single piece: one core).
        forRanges((long) op.n() * op.c(), Math.max(1, 4096 / Math.max(oh * ow, op.h() * op.w())), (from, to) -> {
            float[] part = partLen == 0 ? null : Workspace.zeroed(Workspace.Slot.WIDE, partLen);
            float[] staged = bufferLen == 0 ? null : Workspace.uncleared(Workspace.Slot.BUFFER, bufferLen);
            if (staged != null) {
                // the padding, which no plane's staging overwrites: -inf for a max, 0 for an average
                java.util.Arrays.fill(staged, 0, bufferLen, max ? Float.NEGATIVE_INFINITY : 0f);
            }
            double[] acc = accLen == 0 ? null : Workspace.zeroedDoubles(accLen);
            if (phased) {
                for (int p = (int) from; p < to; p += blockPlanes) {
                    phasedBlock(x, y, p, Math.min(blockPlanes, (int) to - p), part, staged);
                }
                return;
            }
            for (int p = (int) from; p < to; p++) {
                int in = p * op.h() * op.w(), out = p * oh * ow;
                if (global) {
                    y[out] = globalAverage(x, in, part);
                } else if (max) {
                    maxPlane(x, in, y, out, oh, ow);
                } else {
                    averagePlane(x, in, y, out, oh, ow, acc, part);
                }
            }
        });
    }

    /** The columns {@link #globalAverage} sums a plane into (in float) before adding them in double. */
    static final int GLOBAL_COLUMNS = 64;

    /**
     * The average of a whole plane (global average pooling: SE blocks, classifier heads). The
     * plane is read as one flat row of h*w values, cut into pieces of {@link #GLOBAL_COLUMNS}
     * that add in float, column by column, into {@code cols} ({@link Kernels#addInto}: a vector
     * loop, whatever the width of the map's rows; each column sums about h*w/64 values); the
     * columns then add in double, four running sums in turn, so that no add waits on the one
     * before. A plane of at most 64 values adds in double straight away. The same operations in
     * the same order on every kernel set (the float adds are element by element).
     */
    private float globalAverage(float[] x, int in, float[] cols) {
        int len = op.h() * op.w();
        float[] src = x;
        int at = in;
        int v = Math.min(len, GLOBAL_COLUMNS);
        if (len > v) {
            System.arraycopy(x, in, cols, 0, v);
            int k = v;
            for (; k + v <= len; k += v) {
                kernels.addInto(x, in + k, cols, 0, v);
            }
            if (k < len) {
                kernels.addInto(x, in + k, cols, 0, len - k);
            }
            src = cols;
            at = 0;
        }
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j + 4 <= v; j += 4) {
            s0 += src[at + j];
            s1 += src[at + j + 1];
            s2 += src[at + j + 2];
            s3 += src[at + j + 3];
        }
        for (; j < v; j++) {
            s0 += src[at + j];
        }
        return (float) (((s0 + s1) + (s2 + s3)) / len);
    }

    /** The most taps a window may have for {@link #phasedBlock}'s average, summed in float. */
    static final int PHASED_MAX_TAPS = 64;

    /**
     * Whether {@link #phasedBlock} takes {@code op}: strides of 1 or 2 (Inception's, ResNet's and
     * ShuffleNet's stem pools, Inception's branch pools, whose Pad the ONNX import folds in), padded
     * planes of at most {@link #PHASED_MAX_PLANE} floats, and for an average at most
     * {@link #PHASED_MAX_TAPS} taps.
     */
    static boolean phased(Pool2d op) {
        Window2d win = op.window();
        long rows = (long) op.h() + win.padTop() + win.padBottom() + win.strideH();
        long cols = (long) op.w() + win.padLeft() + win.padRight() + win.strideW();
        return win.strideH() <= 2 && win.strideW() <= 2 && rows * cols <= PHASED_MAX_PLANE
                && (op.kind() == Pool2d.Kind.MAX || win.kh() * win.kw() <= PHASED_MAX_TAPS);
    }

    /**
     * The largest padded plane, in floats, {@link #phasedBlock} stages (16 MiB; 2048x2048): a larger
     * one goes output row by output row, whose scratch is a row, not a plane (and whose buffer
     * lengths stay far from int's range).
     */
    static final long PHASED_MAX_PLANE = 1L << 22;

    /**
     * Planes {@code [p0, p0 + planes)} of a phased pool. Each plane is staged padded and split into
     * its stride phases (phase (a, b) holds the padded plane's rows a, a + sh, ... and columns b, b
     * + sw, ...; {@link Kernels#deinterleave2} at stride 2, {@link Kernels#copyRows} at stride 1),
     * the block's planes one after another in each phase. Output (oy, ox) of plane k is then
     * computed at {@code k * planeLen + oy * phaseCols + ox} of {@code wide}, and tap (i, j) reads
     * the phase of its offsets at the same place plus {@link #taps}, so that the whole block is one
     * run of outputs for {@link Kernels#maxTaps} or {@link Kernels#sumTaps} (the rows and columns
     * between outputs are computed and dropped). Going output row by output row, Inception's rows
     * of 73, 35 and 17 outputs left 9, 3 and 1 values a tap to a scalar loop, and each tap loaded
     * and stored every output: its pools took 4.9-5.4 ms of the network at batch 1 (3.3-3.8 ms
     * this way). An average sums its window in float, in the taps' order (as PyTorch's CPU kernel
     * does), then divides by its count ({@link #divisors}: the window's size with
     * count_include_pad, else the taps inside the input).
     */
    private void phasedBlock(float[] x, float[] y, int p0, int planes, float[] wide, float[] staged) {
        Window2d win = op.window();
        int h = op.h(), w = op.w(), oh = op.outH(), ow = op.outW(), sh = win.strideH(), sw = win.strideW();
        int planeLen = phaseRows * phaseCols;
        float[] src = staged;
        int origin = 0;
        if (direct) {
            src = x;
            origin = p0 * h * w;
        } else {
            int padL = win.padLeft(), even = padL & 1, evenAt = padL >> 1, oddAt = (padL + 1) >> 1;
            for (int k = 0; k < planes; k++) {
                int in = (p0 + k) * h * w;
                if (sh == 1 && sw == 1) {
                    kernels.copyRows(x, in, w, staged, k * planeLen + win.padTop() * phaseCols + padL, phaseCols, h, w);
                    continue;
                }
                for (int r = 0; r < h; r++) {
                    int rr = r + win.padTop();
                    int row = (rr % sh) * sw * stackLen + k * planeLen + (rr / sh) * phaseCols;
                    if (sw == 1) {
                        System.arraycopy(x, in + r * w, staged, row + padL, w);
                        continue;
                    }
                    // input column 2t goes to phase 'even' (the padding's parity), 2t + 1 to the other
                    kernels.deinterleave2(x, in + r * w, w / 2, staged, row + even * stackLen + evenAt,
                            row + (1 - even) * stackLen + oddAt);
                    if (w % 2 == 1) {
                        int c = w - 1 + padL;
                        staged[row + (c & 1) * stackLen + (c >> 1)] = x[in + r * w + w - 1];
                    }
                }
            }
        }
        int len = (planes - 1) * planeLen + (oh - 1) * phaseCols + ow;
        // to a multiple of 16 where the input has room (the staged block always has)
        int run = Math.min(ceilTo(len, SLACK), src.length - origin - lastTap);
        if (max) {
            kernels.maxTaps(src, origin, taps, wide, run);
        } else {
            kernels.sumTaps(src, origin, taps, wide, run);
            kernels.divideInto(wide, 0, divisors, 0, wide, 0, run);
        }
        for (int k = 0; k < planes; k++) {
            kernels.copyRows(wide, k * planeLen, phaseCols, y, (p0 + k) * oh * ow, ow, oh, ow);
        }
    }

    /**
     * Average pooling of one plane (dilation 1), output row by output row as {@link #maxPlane}
     * does: the taps of one window row add in float into {@code part} ({@link Kernels#addInto} at
     * stride 1; PyTorch's CPU kernel sums the whole window in float), each window row's sum then
     * into the double accumulators {@code acc}, and each output divides by its window's count.
     */
    private void averagePlane(float[] x, int in, float[] y, int out, int oh, int ow, double[] acc, float[] part) {
        Window2d win = op.window();
        int h = op.h(), w = op.w(), kh = win.kh(), kw = win.kw();
        int sw = win.strideW(), padL = win.padLeft();
        for (int oy = 0; oy < oh; oy++) {
            int y0 = oy * win.strideH() - win.padTop();
            // taps i with 0 <= y0 + i < h
            int iLo = y0 >= 0 ? 0 : -y0;
            int iHi = Math.min(kh, y0 >= h ? 0 : h - y0);
            java.util.Arrays.fill(acc, 0, ow, 0.0);
            for (int i = iLo; i < iHi; i++) {
                int row = in + (y0 + i) * w - padL;
                java.util.Arrays.fill(part, 0, ow, 0f);
                for (int j = 0; j < kw; j++) {
                    int base = row + j;
                    if (sw == 1) {
                        kernels.addInto(x, base + colLo[j], part, colLo[j], colHi[j] - colLo[j]);
                    } else {
                        for (int ox = colLo[j], hi = colHi[j]; ox < hi; ox++) {
                            part[ox] += x[base + ox * sw];
                        }
                    }
                }
                for (int ox = 0; ox < ow; ox++) {
                    acc[ox] += part[ox];
                }
            }
            double rows = op.countIncludePad() ? Math.min(y0 + kh, h + win.padBottom()) - y0 : Math.max(0, iHi - iLo);
            int o = out + oy * ow;
            for (int ox = 0; ox < ow; ox++) {
                y[o + ox] = (float) (acc[ox] / (rows * cols[ox]));
            }
        }
    }

    /**
     * Max pooling of one plane, output row by output row (strides above 2): the row starts at -inf
     * and each tap (i, j) takes the max over the outputs whose window has that tap inside the input,
     * a loop over independent outputs (no chain of dependent max operations a window, no branch a
     * tap). Padding never enters; a NaN tap makes the output NaN ({@link Math#max}), as in PyTorch.
     */
    private void maxPlane(float[] x, int in, float[] y, int out, int oh, int ow) {
        Window2d win = op.window();
        int h = op.h(), w = op.w(), kh = win.kh(), kw = win.kw(), dh = win.dilH(), dw = win.dilW();
        int sw = win.strideW(), padL = win.padLeft();
        for (int oy = 0; oy < oh; oy++) {
            int y0 = oy * win.strideH() - win.padTop();
            // taps i with 0 <= y0 + i*dh < h
            int iLo = y0 >= 0 ? 0 : (-y0 + dh - 1) / dh;
            int iHi = Math.min(kh, y0 >= h ? 0 : (h - 1 - y0) / dh + 1);
            int o = out + oy * ow;
            java.util.Arrays.fill(y, o, o + ow, Float.NEGATIVE_INFINITY);
            for (int i = iLo; i < iHi; i++) {
                int row = in + (y0 + i * dh) * w - padL;
                for (int j = 0; j < kw; j++) {
                    int base = row + j * dw;
                    for (int ox = colLo[j], hi = colHi[j]; ox < hi; ox++) {
                        y[o + ox] = Math.max(y[o + ox], x[base + ox * sw]);
                    }
                }
            }
        }
    }
}
