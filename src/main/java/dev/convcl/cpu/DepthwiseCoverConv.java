package dev.convcl.cpu;

import dev.convcl.Convolution;

/**
 * Depthwise convolution (groups == C == K, stride 1, no dilation) whose kernel covers the plane:
 * every output pixel's window holds every input pixel (RepLKNet's 13x13 on 7x7, padding 6), so
 * each channel is a small dense product, {@code out[oy][ox] = sum_{iy,ix} in[iy][ix] *
 * w[iy - oy + padTop][ix - ox + padLeft]}, with no tap to skip or pad.
 *
 * <p>With the output columns reversed ({@code r = OW-1-ox}) the weights of consecutive r are
 * consecutive in a kernel row, {@code w[iy - oy + padTop][ix + r + padLeft - OW + 1]}: each input
 * value is broadcast once and multiplies a vector of weights read straight from the caller's
 * array, one per output row ({@link Kernels#coverRows}), on NCHW planes with no layout copy in or
 * out. Rows shorter than a vector waste lanes (7 of 16 used on 7x7), where
 * {@link DepthwiseBlockedConv} (channels in vector lanes) uses them all but copies inputs and
 * outputs between layouts; {@link #pays} weighs the two.
 *
 * <p>The taps over padding are not computed; they read zeros, so only an infinite or NaN weight or
 * input changes the result (NaN, as the reference's {@code w * 0}). Such a channel's outputs come
 * out non-finite here too, and then the channel is recomputed tap by tap, padding included.
 */
final class DepthwiseCoverConv extends CpuPlan {
    /** Tasks per thread: enough for work stealing to even out a shared machine. */
    private static final int TASKS_PER_THREAD = 4;

    private final Kernels kernels;
    private final int q;
    private final int chunks;   // vectors of q reversed output columns per output row
    private final int[] wOff;   // per input pixel t = iy*W + ix: its weight's offset for output row 0, column r = 0
    private final int rows;     // output rows computed: OH rounded up to 4 (the kernels' passes take 8 or 4)
    private final int front;    // weights the junk rows read before a channel's first
    private final int span;     // weights a channel's kernel calls read from its first on, junk lanes included
    private final int tasks;

    DepthwiseCoverConv(Convolution spec, WorkerPool pool, Kernels kernels) {
        super(spec, pool, kernels);
        if (!covers(spec)) {
            throw new IllegalArgumentException("cpu-depthwise-cover needs a depthwise conv2d (groups == c == k, "
                    + "stride 1, dilation 1) whose kernel covers the input plane from every output: " + spec);
        }
        this.kernels = kernels;
        KernelWarmup.startOnce(kernels);
        this.q = kernels.quantum();
        this.chunks = PhaseLayout.ceilDiv(spec.outW(), q);
        int h = spec.h(), w = spec.w(), kw = spec.kw();
        int c0 = spec.padLeft() - spec.outW() + 1;
        this.wOff = new int[h * w];
        int max = 0;
        for (int iy = 0; iy < h; iy++) {
            for (int ix = 0; ix < w; ix++) {
                wOff[iy * w + ix] = (iy + spec.padTop()) * kw + ix + c0;
                max = Math.max(max, wOff[iy * w + ix]);
            }
        }
        this.rows = PhaseLayout.ceilDiv(spec.outH(), 4) * 4;
        // Row r reads wOff[t] - r*kw: the lowest, for t = 0 and the last row, may fall before the channel.
        this.front = Math.max(0, (rows - 1) * kw - wOff[0]);
        this.span = max + chunks * q;
        this.tasks = (int) Math.min((long) spec.n() * spec.c(), (long) TASKS_PER_THREAD * pool.getParallelism());
    }

    /**
     * Whether {@code spec} is a depthwise conv2d, one output channel per input channel, stride 1
     * and dilation 1, in which every kernel window holds the whole input plane: kernel row
     * {@code iy - oy + padTop} is in range for every input row iy and output row oy, and likewise
     * for the columns.
     */
    static boolean covers(Convolution spec) {
        return !spec.isDeformable() && spec.isDepthwise() && spec.k() == spec.c()
                && spec.strideH() == 1 && spec.strideW() == 1 && spec.dilH() == 1 && spec.dilW() == 1
                && spec.padTop() >= spec.outH() - 1 && spec.h() - 1 + spec.padTop() <= spec.kh() - 1
                && spec.padLeft() >= spec.outW() - 1 && spec.w() - 1 + spec.padLeft() <= spec.kw() - 1;
    }

    /**
     * Whether this path costs less than the channel blocks of {@link DepthwiseBlockedConv} on
     * {@code spec} with vectors of {@code q} floats: its FMAs per channel (output rows rounded up
     * to 4, times vectors per row, times input pixels; lanes past OW wasted) against the blocked
     * path's (output pixels times input pixels over q lanes) plus its copies of inputs and outputs
     * between layouts at two FMAs per element (a scalar load and a strided store each); the blocked
     * path lays out bound weights once, when bound, so they count for nothing.
     * Measured (2 threads, AVX-512, medians of 2000 calls, weights bound, alternating runs): 13x13
     * on 7x7 (392 against 346 per channel) 0.12-0.20 ms blocked against 0.18-0.28 here; 27x27 on
     * 14x14 (3136 against 3185) 0.59-0.89 ms blocked against 0.58-0.95 here; on 8 lanes
     * ({@code -XX:MaxVectorSize=32}) 13x13 (392 against 496) 0.15-0.21 ms here against 0.15-0.21,
     * 27x27 (6272 against 5586) 0.53-0.76 ms blocked against 0.77-1.58 here. Before the blocked
     * path kept its weights laid out it copied them every call and was slower on 13x13 (0.28-0.46
     * ms).
     */
    static boolean pays(Convolution spec, int q) {
        long pixels = (long) spec.h() * spec.w();
        long cover = PhaseLayout.ceilDiv(spec.outH(), 4) * 4L * PhaseLayout.ceilDiv(spec.outW(), q) * pixels;
        long outs = (long) spec.outH() * spec.outW();
        double blocked = (double) outs * pixels / q + 2.0 * (pixels + outs);
        return covers(spec) && cover <= blocked;
    }

    @Override
    public String algorithm() {
        return "cpu-depthwise-cover";
    }

    @Override
    long scratchBytes() {
        long threads = Math.min(tasks, pool.getParallelism());
        return 4 * threads * ((long) rows * chunks * q + front + span);
    }

    @Override
    void run(CallData call) {
        int items = spec.n() * spec.c();
        Parallel.forEach(pool, tasks, task -> {
            float[] acc = Workspace.zeroed(Workspace.Slot.WIDE, rows * chunks * q);
            int end = (int) ((long) (task + 1) * items / tasks);
            for (int plane = (int) ((long) task * items / tasks); plane < end; plane++) {
                plane(call, plane, acc);
            }
        });
    }

    /** Output plane {@code plane} (= n*C + c) from input plane {@code plane} and channel c's weights. */
    private void plane(CallData call, int plane, float[] acc) {
        int c = plane % spec.c(), kk = spec.kh() * spec.kw(), oh = spec.outH(), ow = spec.outW();
        float[] w = call.wt();
        int base = c * kk;
        if (base - front < 0 || base + span > w.length) {
            // The first channel's junk rows or the last channels' junk lanes would read outside the
            // array: a zero-padded copy.
            float[] copy = Workspace.zeroed(Workspace.Slot.PANEL, front + span);
            System.arraycopy(w, base, copy, front, kk);
            w = copy;
            base = front;
        }
        int pixels = spec.h() * spec.w(), rowLen = chunks * q;
        for (int ch = 0; ch < chunks; ch++) {
            kernels.coverRows(rows, pixels, call.in(), plane * pixels, w, base + ch * q, wOff, spec.kw(), acc, ch * q,
                    rowLen);
        }
        float[] out = call.out();
        int dst = plane * oh * ow;
        boolean finite = true;
        for (int oy = 0; oy < oh; oy++) {
            int src = oy * rowLen + ow - 1, row = dst + oy * ow;
            for (int ox = 0; ox < ow; ox++) {
                float v = acc[src - ox];
                out[row + ox] = v;
                finite &= Float.isFinite(v);
            }
        }
        if (!finite) {
            allTaps(call.in(), plane * pixels, call.wt(), c * kk, out, dst);
        }
        call.finishInPlace(dst, oh * ow, c);
    }

    /** Every tap of every output of one plane, in the reference's order, padding zeros included. */
    private void allTaps(float[] in, int inOff, float[] w, int wOff, float[] out, int dst) {
        int h = spec.h(), wd = spec.w();
        for (int oy = 0; oy < spec.outH(); oy++) {
            for (int ox = 0; ox < spec.outW(); ox++) {
                float s = 0f;
                for (int i = 0; i < spec.kh(); i++) {
                    int iy = oy - spec.padTop() + i;
                    for (int j = 0; j < spec.kw(); j++) {
                        int ix = ox - spec.padLeft() + j;
                        float v = iy >= 0 && iy < h && ix >= 0 && ix < wd ? in[inOff + iy * wd + ix] : 0f;
                        s = Math.fma(w[wOff + i * spec.kw() + j], v, s);
                    }
                }
                out[dst + oy * spec.outW() + ox] = s;
            }
        }
    }
}
