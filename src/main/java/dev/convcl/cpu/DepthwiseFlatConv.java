package dev.convcl.cpu;

import dev.convcl.Convolution;

/**
 * Depthwise convolution (groups == C, any channel multiplier) whose stride-1 output rows would be
 * as wide as its input rows (a "same" padding across, {@code padLeft + padRight == dilW*(kW-1)}:
 * MobileNet's 3x3 and 5x5 at any stride): the input plane is copied whole, in one piece, between
 * zero rows, and the stride-1 output is computed flat, rows of W laid end to end, by
 * {@link Kernels#flatTaps}. A tap then reads the plane at a constant shift; where its column falls
 * outside the row (and the flat index would wrap into the next or previous row) the kernel
 * column's 0/1 flag drops it, so it reads padding as the reference does. At stride 1 the output
 * plane is that flat row, copied out in one piece; at stride (sh, sw) output (oy, ox) is the
 * stride-1 output (sh*oy, sw*ox): the whole stride-1 plane is computed (on small maps a call per
 * needed row cost more than the rows skipped) and every sw-th column of every sh-th row copied
 * out. The epilogue then runs over the output plane in place.
 *
 * <p>{@link DepthwiseConv} pads each row on its own (a copy call per input row, one per output
 * row back): on small maps (MobileNetV2's 14x14 and 7x7 at hundreds of channels) those calls cost
 * more than the arithmetic. An output channel's plane whose fast sums are not all finite (an
 * infinite or NaN weight or input, which a flag's 0 would turn into NaN where it wraps; the
 * check also sees the lanes past the plane and the positions a stride skips, so it may recompute
 * more than it must) is computed again tap by tap in float, in the reference's order of taps,
 * padding as +0.
 *
 * <p>Memory: per task an input buffer and the wide output (both within {@link Scratch#TILE_FLOATS},
 * {@link #fits}); per plan the column flags, {@code kW} floats per wide output value.
 */
final class DepthwiseFlatConv extends CpuPlan {
    /** Enough tasks per thread for work stealing to even out a shared machine. */
    private static final int TASKS_PER_THREAD = 8;

    private final Kernels kernels;
    private final int multiplier;
    private final int planeIn;   // H*W
    private final int planeOut;  // OH*OW
    private final int front;     // zeros before the plane in the buffer: padTop rows and padLeft columns
    private final int span;      // the stride-1 output plane (OH1 rows of W) rounded up to the quantum
    private final int bufferLen;
    private final int[] tapOffsets;
    private final float[] inside; // per kernel column j, at j * span: 1 where it lands in the row, else 0
    private final int tasks;

    DepthwiseFlatConv(Convolution spec, WorkerPool pool, Kernels kernels) {
        super(spec, pool, kernels);
        if (!fits(spec)) {
            throw new IllegalArgumentException("cpu-depthwise-flat needs a depthwise conv2d (groups == c) with "
                    + "padLeft + padRight == dilW * (kW - 1) whose plane fits the tile: " + spec);
        }
        this.kernels = kernels;
        KernelWarmup.startOnce(kernels);
        int q = kernels.quantum();
        this.multiplier = spec.k() / spec.c();
        int w = spec.w(), kh = spec.kh(), kw = spec.kw();
        this.planeIn = spec.h() * w;
        this.planeOut = spec.outH() * spec.outW();
        this.front = spec.padTop() * w + spec.padLeft();
        this.span = (int) span(spec, q);
        this.tapOffsets = new int[kh * kw];
        this.inside = new float[kw * span];
        for (int j = 0; j < kw; j++) {
            int dx = j * spec.dilW() - spec.padLeft();
            for (int x = 0; x < span; x++) {
                int col = x % w + dx;
                inside[j * span + x] = col >= 0 && col < w ? 1f : 0f;
            }
            for (int i = 0; i < kh; i++) {
                int t = i * kw + j, dy = i * spec.dilH() - spec.padTop();
                tapOffsets[t] = dy * w + dx;
            }
        }
        this.bufferLen = (int) bufferLen(spec, q);
        this.tasks = (int) Math.min((long) spec.n() * spec.c(), (long) TASKS_PER_THREAD * pool.getParallelism());
    }

    /**
     * Floats of a task's buffer with vectors of {@code q}: the zeros before the plane, then
     * whatever the last vector's taps read past it (at least the plane).
     */
    static long bufferLen(Convolution spec, int q) {
        long w = spec.w();
        long front = spec.padTop() * w + spec.padLeft();
        long span = span(spec, q);
        long maxOff = ((long) (spec.kh() - 1) * spec.dilH() - spec.padTop()) * w
                + (long) (spec.kw() - 1) * spec.dilW() - spec.padLeft();
        return front + Math.max((long) spec.h() * w, span + Math.max(0, maxOff));
    }

    /** The stride-1 output plane (OH1 rows of W) rounded up to vectors of {@code q}: what the kernel computes. */
    static long span(Convolution spec, int q) {
        long oh1 = spec.h() + (long) spec.padTop() + spec.padBottom() - (long) spec.dilH() * (spec.kh() - 1);
        return (oh1 * spec.w() + q - 1) / q * q;
    }

    /**
     * Whether this path runs {@code spec}: a depthwise conv2d whose stride-1 output rows are as
     * wide as its input rows ({@code padLeft + padRight == dilW*(kW-1)}) and whose task scratch
     * (the input buffer and the wide output) fits the tile with any vector width up to 64 floats
     * (2048-bit SVE), as does the plan's array of column flags ({@code kW} times the wide output).
     */
    static boolean fits(Convolution spec) {
        if (!spec.isDepthwise() || spec.isDeformable() || spec.outH() <= 0 || spec.outW() <= 0
                || (long) spec.padLeft() + spec.padRight() != (long) spec.dilW() * (spec.kw() - 1)) {
            return false;
        }
        long span = span(spec, 64);
        return bufferLen(spec, 64) + span <= Scratch.TILE_FLOATS && spec.kw() * span <= Scratch.TILE_FLOATS;
    }

    /** The widest rows this path is chosen for with 3x3 at stride 1 ({@link #pays}); at a stride, half as wide. */
    static final int MAX_CHOSEN_WIDTH = 32;
    /** The widest rows this path is chosen for with 5x5 (at stride 1 only; {@link #pays}). */
    static final int MAX_CHOSEN_WIDTH_5X5 = 64;

    /**
     * Whether selection takes this path over {@link DepthwiseConv} for {@code spec} (which it
     * {@link #fits}) with {@code kernels}: never with kernels whose flat taps are slow
     * ({@link Kernels#flatPays}, the plain-Java ones); 3x3 kernels on rows of at most
     * {@link #MAX_CHOSEN_WIDTH} at stride 1, half that at a stride, and 5x5 at stride 1 on rows of at most {@link #MAX_CHOSEN_WIDTH_5X5}
     * (3x3 at a stride: it computes the whole stride-1 plane, sh*sw times the
     * outputs; measured at stride 2, and by a reviewer at 4 and 8 on 16x16, where the row path is
     * slower still).
     * Its cost against the row path: a multiply by the column flags per kernel column and vector (a
     * third more arithmetic for 3x3), against a copy call per input row and per output row, which
     * short rows do not repay. Measured (MobileNetV2's 3x3 layers at batch 8, 2 threads, medians of
     * 150-call rounds alternating in one process), here against the row path: on 16 lanes 7x7
     * 0.41-0.43 ms against 0.67-1.12, 14x14 0.29-0.32 against 0.50-0.56, 28x28 0.66 against 0.74,
     * 56x56 3.06 against 2.85, 112x112 2.45 against 2.50; at stride 2, 14x14 0.65 against 0.75, 7x7
     * 0.42 against 0.59, 28x28 0.51 against 0.53; on 8 lanes ({@code -XX:MaxVectorSize=32}) 7x7
     * 0.31 against 0.54, 14x14 0.34 against 0.51, 28x28 0.60 against 0.67, at stride 2 14x14 0.53
     * against 0.83, 7x7 0.34 against 0.45. 5x5 kernels at stride 1 too, since they have a kernel
     * with their 25 weights in registers (with the general loop, reloading a weight per tap, 5x5
     * ran even on 7x7 and slower on 14x14): MobileNetV3's 5x5 layers at batch 8, on 16 lanes 7x7x576
     * 0.40 against 0.50 ms, 14x14x240 0.38 against 0.57, 28x28x240 1.43 against 1.54; on 8 lanes
     * 0.39 against 0.72, 0.44 against 0.76, 1.77 against 2.77 (a reviewer, with 16 registers as on
     * AVX2, {@code -XX:UseAVX=2}: 1.12-1.23 against 1.70-1.86, 0.52-0.81 against 0.65-0.90, 2.2-2.6
     * against 2.7-3.1: the spilled weights still win); at stride 2 slower on 16 lanes
     * (28x28 0.56 against 0.45, 14x14 0.53 against 0.51), so not chosen there. All on one 2-core
     * AVX-512 machine (8 lanes: the same machine with the JVM's vectors capped); the reasoning, a
     * copy call per row against a fifth (5x5) to a third (3x3) more arithmetic, holds on any, and
     * the 3x3 crossover (28 wins, 56 loses) is far from the cut. 5x5 at stride 1 wins on wider rows
     * than 3x3 (the row path has no 25-register kernel; medians of 12 rounds of 150 calls, the two
     * paths alternating in one process): RepLKNet's 56x56x128 at batch 1 on 16 lanes 0.33 against
     * 0.40 ms, at batch 8 3.95 against 4.43; 64x64x32 0.22 against 0.28; on 8 lanes 56x56 0.41
     * against 0.66; with {@code -XX:UseAVX=2} 0.55 against 0.63 and at batch 8 4.98 against 6.18; on
     * 112x112x64 0.75 against 0.80 on 16 lanes (1.31 against 1.81 on 8), on 224x224 slower (2.61
     * against 2.09): the cut is at 64, where every configuration measured won.
     */
    static boolean pays(Convolution spec, Kernels kernels) {
        if (!kernels.flatPays()) {
            return false;
        }
        boolean unit = spec.strideH() == 1 && spec.strideW() == 1;
        int widest;
        if (spec.kh() == 3 && spec.kw() == 3) {
            widest = unit ? MAX_CHOSEN_WIDTH : MAX_CHOSEN_WIDTH / 2;
        } else if (spec.kh() == 5 && spec.kw() == 5 && unit) {
            widest = MAX_CHOSEN_WIDTH_5X5;
        } else {
            return false;
        }
        return fits(spec) && spec.w() <= widest;
    }

    @Override
    public String algorithm() {
        return "cpu-depthwise-flat";
    }

    @Override
    long scratchBytes() {
        return 4 * Math.min(tasks, pool.getParallelism()) * ((long) bufferLen + span);
    }

    @Override
    void run(CallData call) {
        int items = spec.n() * spec.c();
        Parallel.forEach(pool, tasks, task -> {
            // The zeros around the plane stay: every plane fills the same interior.
            float[] buf = Workspace.zeroed(Workspace.Slot.BUFFER, bufferLen);
            float[] wide = Workspace.uncleared(Workspace.Slot.WIDE, span);
            int end = (int) ((long) (task + 1) * items / tasks);
            for (int plane = (int) ((long) task * items / tasks); plane < end; plane++) {
                plane(call, plane, buf, wide);
            }
        });
    }

    /** The output channels of input plane {@code plane} (= n*C + c). */
    private void plane(CallData call, int plane, float[] buf, float[] wide) {
        System.arraycopy(call.in(), plane * planeIn, buf, front, planeIn);
        int n = plane / spec.c(), c = plane % spec.c(), kh = spec.kh(), kw = spec.kw(), taps = kh * kw;
        int w = spec.w(), oh = spec.outH(), ow = spec.outW(), sh = spec.strideH(), sw = spec.strideW();
        float[] wt = call.wt(), out = call.out();
        for (int j = 0; j < multiplier; j++) {
            int k = c * multiplier + j, dst = (n * spec.k() + k) * planeOut;
            if (!kernels.flatTaps(0, span, wt, k * taps, kh, kw, tapOffsets, inside, span, buf, front, wide, 0)) {
                exactTaps(wt, k * taps, buf, wide);
            }
            if (sh == 1 && sw == 1) {
                System.arraycopy(wide, 0, out, dst, planeOut);
            } else {
                for (int oy = 0; oy < oh; oy++) {
                    int src = sh * oy * w, row = dst + oy * ow;
                    for (int ox = 0; ox < ow; ox++) {
                        out[row + ox] = wide[src + sw * ox];
                    }
                }
            }
            call.finishInPlace(dst, planeOut, k);
        }
    }

    /**
     * The plane's outputs tap by tap (the reference's order of taps, in float FMAs), a wrapped
     * column read as the padding's +0, where {@link #plane} reads them in the wide output: for a
     * plane whose fast sums were not all finite (a non-finite term times a column's 0 flag gives NaN).
     */
    private void exactTaps(float[] wt, int wOff, float[] buf, float[] wide) {
        int kw = spec.kw(), w = spec.w(), sh = spec.strideH(), sw = spec.strideW();
        for (int oy = 0; oy < spec.outH(); oy++) {
            for (int ox = 0; ox < spec.outW(); ox++) {
                int x = sh * oy * w + sw * ox; // the flat stride-1 index
                float s = 0f;
                for (int t = 0; t < tapOffsets.length; t++) {
                    float v = inside[(t % kw) * span + x] != 0f ? buf[front + x + tapOffsets[t]] : 0f;
                    s = Math.fma(wt[wOff + t], v, s);
                }
                wide[x] = s;
            }
        }
    }
}
