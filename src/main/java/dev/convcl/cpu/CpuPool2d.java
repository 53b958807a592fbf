package dev.convcl.cpu;

import dev.convcl.Pool2d;
import dev.convcl.Window2d;

/**
 * {@code cpu-pool2d}: max and average pooling as {@link Pool2d} defines them, planes in parallel.
 * Both go tap by tap over a whole output row ({@link #maxPlane}); padding never enters a max,
 * and is counted in an average's divisor only with count_include_pad; an average sums each
 * window row in float and the rows in double (a global average: {@link #globalAverage}).
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
    /** Stride 1, taken by {@link #widePlane} ({@link #wide(Pool2d)}); never with {@link #global}. */
    private final boolean wide;
    /**
     * Max pooling at column stride 2 (dilation 1: the 3x3 stride-2 pools of Inception and
     * ResNet stems): {@link #maxPlane} splits each window row into its even and odd columns
     * ({@link Kernels#deinterleave2}), so that every tap is a stride-1 {@link Kernels#maxInto}.
     */
    private final boolean split;
    /** Row pitch of the plane {@link #widePlane} reads: the input's, plus the padding. */
    private final int pitch;
    /**
     * Lengths of the arrays a task takes from {@link Workspace}: {@link Workspace.Slot#WIDE} (the column sums of
     * {@link #globalAverage}, the long row of {@link #widePlane}, the window-row sums of
     * {@link #averagePlane}), {@link Workspace.Slot#BUFFER} (the padded plane of {@link #widePlane}),
     * and doubles ({@link Workspace#zeroedDoubles}: the accumulators of {@link #averagePlane}); 0
     * where the path takes none.
     */
    private final int partLen, paddedLen, accLen;
    /** The backend's kernels: the stride-1 tap loops ({@link Kernels#addInto}, {@link Kernels#maxInto}). */
    private final Kernels kernels;

    CpuPool2d(Pool2d op, WorkerPool pool, Kernels kernels) {
        super("cpu-pool2d", op, pool);
        this.kernels = kernels;
        Window2d win = op.window();
        int w = op.w(), ow = op.outW(), sw = win.strideW(), kw = win.kw();
        colLo = new int[kw];
        colHi = new int[kw];
        for (int j = 0; j < kw; j++) {
            int shift = j * win.dilW() - win.padLeft(); // input column of output ox: ox * sw + shift
            colLo[j] = Math.min(ow, shift >= 0 ? 0 : (-shift + sw - 1) / sw);
            colHi[j] = Math.max(colLo[j], w - 1 - shift < 0 ? 0 : Math.min(ow, (w - 1 - shift) / sw + 1));
        }
        cols = new double[ow];
        for (int ox = 0; ox < ow; ox++) {
            int x0 = ox * sw - win.padLeft();
            cols[ox] = op.countIncludePad() ? Math.min(x0 + kw, w + win.padRight()) - x0
                    : Math.max(0, Math.min(kw, x0 >= w ? 0 : w - x0) - (x0 >= 0 ? 0 : -x0));
        }
        int oh = op.outH();
        boolean noPad = win.padTop() == 0 && win.padLeft() == 0 && win.padBottom() == 0 && win.padRight() == 0;
        max = op.kind() == Pool2d.Kind.MAX;
        global = !max && oh == 1 && ow == 1 && win.kh() == op.h() && kw == w && noPad;
        wide = !global && wide(op);
        pitch = w + win.padLeft() + win.padRight();
        split = max && !wide && sw == 2 && win.dilW() == 1;
        partLen = global ? Math.min(op.h() * w, GLOBAL_COLUMNS) : wide ? (oh - 1) * pitch + ow : split ? w : max ? 0 : ow;
        // a padded wide pool reads a padded copy of each plane (stride 1: every window lies inside it)
        paddedLen = wide && !noPad ? (op.h() + win.padTop() + win.padBottom()) * pitch : 0;
        accLen = max || global || wide ? 0 : ow;
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
            float[] pad = paddedLen == 0 ? null : Workspace.zeroed(Workspace.Slot.BUFFER, paddedLen);
            if (pad != null && max) {
                // the border, which no plane's copy overwrites: -inf for a max (an average's is 0 already)
                java.util.Arrays.fill(pad, 0, paddedLen, Float.NEGATIVE_INFINITY);
            }
            double[] acc = accLen == 0 ? null : Workspace.zeroedDoubles(accLen);
            for (int p = (int) from; p < to; p++) {
                int in = p * op.h() * op.w(), out = p * oh * ow;
                if (global) {
                    y[out] = globalAverage(x, in, part);
                } else if (wide) {
                    widePlane(x, in, y, out, oh, ow, part, pad);
                } else if (max) {
                    maxPlane(x, in, y, out, oh, ow, part);
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

    /** The most taps a window may have for {@link #widePlane}'s average, summed in float. */
    static final int WIDE_MAX_TAPS = 64;

    /**
     * Whether {@link #widePlane} takes {@code op}: stride 1 (Inception's branch pools, whose Pad
     * the ONNX import folds in, ShuffleNet's and GoogLeNet-style 3x3 max pools), and for an average
     * at most {@link #WIDE_MAX_TAPS} taps.
     */
    static boolean wide(Pool2d op) {
        Window2d win = op.window();
        return win.strideH() == 1 && win.strideW() == 1
                && (op.kind() == Pool2d.Kind.MAX || win.kh() * win.kw() <= WIDE_MAX_TAPS);
    }

    /**
     * A stride-1 plane as one long row: output (oy, ox) is computed at {@code oy*pitch + ox} of
     * {@code wide}, where {@code pitch} is the padded input's row length (the columns between output
     * rows are computed and dropped), so each tap is one vector loop over the whole plane
     * ({@link Kernels#addInto}, {@link Kernels#maxInto}; C2 left the plain loop scalar, both arrays
     * being float[], and Inception's branch pools took 0.9-1.3 ms each instead of 0.2-0.4); short
     * rows (Inception's 35, 17 and 8) would leave the vector loop little to do. A padded pool first
     * copies the plane into the inside of {@code padded}, whose border (set once a task by
     * {@link #run}) is -inf for a max and 0 for an average.
     * An average sums its window in float, in the taps' order (as PyTorch's CPU kernel does), then
     * divides by its count: the window's size with count_include_pad, else the taps inside the input.
     */
    private void widePlane(float[] x, int in, float[] y, int out, int oh, int ow, float[] wide, float[] padded) {
        Window2d win = op.window();
        int h = op.h(), w = op.w(), kh = win.kh(), kw = win.kw(), dh = win.dilH(), dw = win.dilW();
        float[] src = x;
        int origin = in;
        if (padded != null) {
            for (int r = 0; r < h; r++) {
                System.arraycopy(x, in + r * w, padded, (r + win.padTop()) * pitch + win.padLeft(), w);
            }
            src = padded;
            origin = 0;
        }
        int len = (oh - 1) * pitch + ow;
        java.util.Arrays.fill(wide, 0, len, max ? Float.NEGATIVE_INFINITY : 0f);
        for (int i = 0; i < kh; i++) {
            for (int j = 0; j < kw; j++) {
                int base = origin + i * dh * pitch + j * dw;
                if (max) {
                    kernels.maxInto(src, base, wide, 0, len);
                } else {
                    kernels.addInto(src, base, wide, 0, len);
                }
            }
        }
        for (int oy = 0; oy < oh; oy++) {
            int o = out + oy * ow, r = oy * pitch;
            if (max) {
                System.arraycopy(wide, r, y, o, ow);
                continue;
            }
            int y0 = oy - win.padTop();
            float rows = op.countIncludePad() ? Math.min(y0 + kh, h + win.padBottom()) - y0
                    : Math.min(kh, h - y0) - Math.max(0, -y0);
            for (int ox = 0; ox < ow; ox++) {
                y[o + ox] = wide[r + ox] / (rows * (float) cols[ox]);
            }
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
     * Max pooling of one plane, output row by output row: the row starts at -inf and each tap
     * (i, j) takes the max over the outputs whose window has that tap inside the input, a loop over
     * independent outputs (no chain of dependent max operations a window, no branch a tap).
     * Padding never enters; a NaN tap makes the output NaN ({@link Math#max}), as in PyTorch.
     */
    private void maxPlane(float[] x, int in, float[] y, int out, int oh, int ow, float[] phases) {
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
                if (split) {
                    // input column 2t + b at phases[b * even + t]; tap j reads column 2*ox + j - padL
                    int even = (w + 1) / 2, start = row + padL;
                    kernels.deinterleave2(x, start, w / 2, phases, 0, even);
                    if (w % 2 == 1) {
                        phases[even - 1] = x[start + w - 1];
                    }
                    for (int j = 0; j < kw; j++) {
                        int c = j - padL, lo = colLo[j];
                        kernels.maxInto(phases, Math.floorMod(c, 2) * even + lo + Math.floorDiv(c, 2), y, o + lo,
                                colHi[j] - lo);
                    }
                    continue;
                }
                for (int j = 0; j < kw; j++) {
                    int base = row + j * dw;
                    if (sw == 1) {
                        kernels.maxInto(x, base + colLo[j], y, o + colLo[j], colHi[j] - colLo[j]);
                    } else {
                        for (int ox = colLo[j], hi = colHi[j]; ox < hi; ox++) {
                            y[o + ox] = Math.max(y[o + ox], x[base + ox * sw]);
                        }
                    }
                }
            }
        }
    }
}
