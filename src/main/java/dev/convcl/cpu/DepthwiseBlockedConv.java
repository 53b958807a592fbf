package dev.convcl.cpu;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import dev.convcl.DeviceException;
import dev.convcl.spi.Memory;

/**
 * Depthwise convolution (groups == C, one output channel per input channel) on channel blocks:
 * a task copies q = {@link Kernels#quantum()} input planes into oneDNN's nChw{q}c layout
 * ({@code [H][W][q]}, a pixel's q channels adjacent) and the block's weights into
 * {@code [KH][KW][q]}, so one vector FMA serves q channels of one output pixel; then it copies the
 * block's outputs back to NCHW and applies the epilogue plane by plane.
 *
 * <p>Each output pixel runs only the taps that land in the image (a rectangle of kernel rows and
 * columns; where the kernel covers the plane, every input pixel, one output row per kernel call
 * with its outputs in registers): with a large kernel on a small map (RepLKNet's 13x13 on 7x7,
 * 27x27 on 14x14) most taps read padding, which {@link DepthwiseConv}, vectorised along output
 * rows shorter than a vector, multiplies like any value. The taps skipped read zeros, so the sums are the same unless a
 * weight is infinite or NaN: then (checked per block) each skipped tap adds {@code w * 0}, as the
 * reference does.
 *
 * <p>Bound weights ({@code Plan.bind}) are laid out in blocks once, when bound; weights passed
 * with a call are laid out block by block in that call. A call is taken to pass the bound weights
 * when it passes the bound array itself: {@code Plan} binds a private copy that nothing changes.
 */
final class DepthwiseBlockedConv extends CpuPlan {
    private final Kernels kernels;
    private final int q;
    private final int blocks;       // channel blocks per image
    private final int inFloats;     // H*W*q
    private final int weightFloats; // KH*KW*q
    private final int outFloats;    // OH*OW*q
    /**
     * When the kernel covers the plane ({@link DepthwiseCoverConv#covers}): per input pixel t, the
     * offset in the block's weights of its tap for output (0, 0), so an output row is one
     * {@link Kernels#blockedCoverRow} call with every output in registers; else null.
     */
    private final int[] coverOff;
    /** The bound weights laid out in blocks, or null when none are bound (published whole). */
    private volatile PackedWeights packed;

    /**
     * Bound weights: {@code source}, the bound array (compared by identity with a call's: Plan
     * binds a private copy, so a call that passes its own weights passes another array);
     * {@code blocks}, {@code [blocks][KH][KW][q]} with lanes past C zero; {@code finite}, per block,
     * whether all its weights are finite.
     */
    private record PackedWeights(float[] source, float[] blocks, boolean[] finite) {
    }

    DepthwiseBlockedConv(Convolution spec, WorkerPool pool, Kernels kernels) {
        super(spec, pool, kernels);
        if (!spec.isDepthwise() || spec.isDeformable() || spec.k() != spec.c()) {
            throw new IllegalArgumentException("cpu-depthwise-blocked needs op=conv2d with groups == c == k: " + spec);
        }
        this.kernels = kernels;
        KernelWarmup.startOnce(kernels);
        this.q = kernels.quantum();
        if (blockFloats(spec, q) > Scratch.TILE_FLOATS) {
            throw new DeviceException(DeviceException.Kind.OUT_OF_RESOURCES, "a block of " + q + " channels of "
                    + "cpu-depthwise-blocked holds " + blockFloats(spec, q) + " floats, above its tile of "
                    + Scratch.TILE_FLOATS + ": " + spec);
        }
        this.blocks = PhaseLayout.ceilDiv(spec.c(), q);
        this.inFloats = spec.h() * spec.w() * q;
        this.weightFloats = spec.kh() * spec.kw() * q;
        this.outFloats = spec.outH() * spec.outW() * q;
        this.coverOff = DepthwiseCoverConv.covers(spec) ? coverOffsets(spec, q) : null;
    }

    /** Tap (iy + padTop, ix + padLeft) of input pixel t = iy*W + ix, times q: its weights for output (0, 0). */
    private static int[] coverOffsets(Convolution spec, int q) {
        int[] off = new int[spec.h() * spec.w()];
        for (int iy = 0; iy < spec.h(); iy++) {
            for (int ix = 0; ix < spec.w(); ix++) {
                off[iy * spec.w() + ix] = ((iy + spec.padTop()) * spec.kw() + ix + spec.padLeft()) * q;
            }
        }
        return off;
    }

    /** Floats a task holds for blocks of {@code q} channels: input, weights and output blocks. */
    static long blockFloats(Convolution spec, int q) {
        return ((long) spec.h() * spec.w() + (long) spec.kh() * spec.kw() + (long) spec.outH() * spec.outW()) * q;
    }

    /**
     * Vector FMAs per q channels, this path against {@link DepthwiseConv}'s (output rows of
     * ceil(OW / q) vectors, every tap): this path runs each output's taps inside the image, plus
     * the copies in and out, a quarter of an FMA per element (a scalar load and store each).
     * It is chosen when it costs at most a third as much: its FMAs need a weight load each, where
     * {@link DepthwiseConv}'s share one broadcast weight over four vectors, and (where the kernel
     * does not cover the plane) its four chains restart every kernel row. Measured (2 threads,
     * AVX-512, weights copied every call, before the covering kernel): RepLKNet's 29x29 on 28x28
     * costs 2.1x less here on this count but ran 1.3x slower (3.95 against 2.97 ms); 27x27 on
     * 14x14 (4.1x less) ran 3.6x faster, 13x13 on 7x7 (6.8x less) 4.4x faster.
     */
    static boolean pays(Convolution spec, int q) {
        double rows = (double) spec.outH() * q * PhaseLayout.ceilDiv(spec.outW(), q) * spec.kh() * spec.kw();
        double blocked = (double) insideTaps(spec, true) * insideTaps(spec, false)
                + ((double) spec.h() * spec.w() + (double) spec.outH() * spec.outW()) * q / 4;
        return blocked * 3 <= rows;
    }

    /** Sum over output rows (columns) of the kernel rows (columns) that land in the image. */
    private static long insideTaps(Convolution spec, boolean rows) {
        int out = rows ? spec.outH() : spec.outW(), stride = rows ? spec.strideH() : spec.strideW();
        int pad = rows ? spec.padTop() : spec.padLeft(), dil = rows ? spec.dilH() : spec.dilW();
        int taps = rows ? spec.kh() : spec.kw(), size = rows ? spec.h() : spec.w();
        long sum = 0;
        for (int o = 0; o < out; o++) {
            int start = o * stride - pad;
            sum += Math.max(0, last(start, dil, taps, size) - first(start, dil));
        }
        return sum;
    }

    /** The first tap t with {@code start + t*dil >= 0}. */
    private static int first(int start, int dil) {
        return start >= 0 ? 0 : (-start + dil - 1) / dil;
    }

    /** One past the last tap t (at most {@code taps}) with {@code start + t*dil < size}. */
    private static int last(int start, int dil, int taps, int size) {
        if (start >= size) {
            return 0;
        }
        return Math.min(taps, (size - 1 - start) / dil + 1);
    }

    @Override
    public String algorithm() {
        return "cpu-depthwise-blocked";
    }

    @Override
    long scratchBytes() {
        long tasks = Math.min((long) spec.n() * blocks, pool.getParallelism());
        return 4 * tasks * ((long) inFloats + weightFloats + outFloats);
    }

    @Override
    public void bind(Arg role, Memory memory) {
        PackedWeights repacked = null;
        if (role == Arg.WEIGHTS) { // packed before anything is stored: a bind that throws changes nothing
            float[] weights = HostMemory.of(memory);
            float[] packed = new float[Scratch.length((long) blocks * weightFloats, "blocked depthwise weights", spec)];
            boolean[] finite = new boolean[blocks];
            for (int b = 0; b < blocks; b++) {
                finite[b] = pack(weights, b, packed, b * weightFloats);
            }
            repacked = new PackedWeights(weights, packed, finite);
        }
        super.bind(role, memory);
        if (repacked != null) {
            this.packed = repacked;
        }
    }

    @Override
    public void close() {
        super.close();
        packed = null;
    }

    /**
     * Copies the weights of block {@code b}'s channels into {@code dst[off..]} as {@code [KH][KW][q]}
     * (lanes past C left as they are: zero) and returns whether they are all finite.
     */
    private boolean pack(float[] weights, int b, float[] dst, int off) {
        int kk = spec.kh() * spec.kw(), c0 = b * q, lanes = Math.min(q, spec.c() - c0);
        boolean finite = true;
        for (int l = 0; l < lanes; l++) {
            int wk = (c0 + l) * kk;
            for (int t = 0; t < kk; t++) {
                float v = weights[wk + t];
                dst[off + t * q + l] = v;
                finite &= Float.isFinite(v);
            }
        }
        return finite;
    }

    @Override
    void run(CallData call) {
        Parallel.forEach(pool, spec.n() * blocks, task -> block(call, task / blocks, task % blocks));
    }

    /** Channels {@code b*q ..} of image {@code n}. */
    private void block(CallData call, int n, int b) {
        int h = spec.h(), w = spec.w(), oh = spec.outH(), ow = spec.outW();
        int c0 = b * q, lanes = Math.min(q, spec.c() - c0);
        float[] in = Workspace.zeroed(Workspace.Slot.BUFFER, inFloats);
        // The covering kernel overwrites every output; the other adds to zeros.
        float[] acc = coverOff != null ? Workspace.uncleared(Workspace.Slot.WIDE, outFloats)
                : Workspace.zeroed(Workspace.Slot.WIDE, outFloats);
        float[] src = call.in();
        for (int l = 0; l < lanes; l++) {
            int plane = (n * spec.c() + c0 + l) * h * w;
            for (int p = 0, hw = h * w; p < hw; p++) {
                in[p * q + l] = src[plane + p];
            }
        }
        float[] wt;
        int wBase;
        boolean finite;
        PackedWeights bound = packed;
        if (bound != null && call.wt() == bound.source()) {
            wt = bound.blocks();
            wBase = b * weightFloats;
            finite = bound.finite()[b];
        } else {
            wt = Workspace.zeroed(Workspace.Slot.PANEL, weightFloats);
            wBase = 0;
            finite = pack(call.wt(), b, wt, 0);
        }
        if (coverOff != null) {
            // Output (oy, ox) reads tap (iy - oy + padTop, ix - ox + padLeft) of every input pixel.
            for (int oy = 0; oy < oh; oy++) {
                kernels.blockedCoverRow(ow, h * w, wt, wBase - oy * spec.kw() * q, coverOff, in, 0, acc,
                        oy * ow * q);
            }
            if (!finite) {
                for (int p = 0, ohw = oh * ow; p < ohw; p++) {
                    addSkippedTaps(wt, wBase, p / ow, p % ow, acc, p * q);
                }
            }
        } else {
            taps(in, wt, wBase, finite, acc);
        }
        float[] out = call.out();
        for (int l = 0; l < lanes; l++) {
            int k = c0 + l, dst = (n * spec.k() + k) * oh * ow;
            for (int p = 0, ohw = oh * ow; p < ohw; p++) {
                out[dst + p] = acc[p * q + l];
            }
            call.finishInPlace(dst, oh * ow, k);
        }
    }

    /** Each output's taps inside the image ({@link Kernels#blockedTaps}), into the zeroed {@code acc}. */
    private void taps(float[] in, float[] wt, int wBase, boolean finite, float[] acc) {
        int h = spec.h(), w = spec.w(), oh = spec.outH(), ow = spec.outW();
        int rowStep = spec.dilH() * w * q, colStep = spec.dilW() * q;
        for (int oy = 0; oy < oh; oy++) {
            int sy = oy * spec.strideH() - spec.padTop();
            int i0 = first(sy, spec.dilH()), i1 = last(sy, spec.dilH(), spec.kh(), h);
            for (int ox = 0; ox < ow; ox++) {
                int sx = ox * spec.strideW() - spec.padLeft();
                int j0 = first(sx, spec.dilW()), j1 = last(sx, spec.dilW(), spec.kw(), w);
                int accOff = (oy * ow + ox) * q;
                if (i0 < i1 && j0 < j1) {
                    kernels.blockedTaps(wt, wBase, spec.kw(), i0, i1, j0, j1, in, (sy * w + sx) * q, rowStep, colStep,
                            acc, accOff);
                }
                if (!finite) {
                    addSkippedTaps(wt, wBase, i0, i1, j0, j1, acc, accOff);
                }
            }
        }
    }

    /** {@link #addSkippedTaps} for output (oy, ox) of a covering kernel: its taps inside the image. */
    private void addSkippedTaps(float[] wt, int wBase, int oy, int ox, float[] acc, int accOff) {
        int sy = oy - spec.padTop(), sx = ox - spec.padLeft();
        addSkippedTaps(wt, wBase, -sy, spec.h() - sy, -sx, spec.w() - sx, acc, accOff);
    }

    /** Adds {@code w * 0} for every tap outside the rectangle: NaN for an infinite or NaN weight, as the reference. */
    private void addSkippedTaps(float[] wt, int wBase, int i0, int i1, int j0, int j1, float[] acc, int accOff) {
        for (int i = 0; i < spec.kh(); i++) {
            for (int j = 0; j < spec.kw(); j++) {
                if (i >= i0 && i < i1 && j >= j0 && j < j1) {
                    continue;
                }
                int wi = wBase + (i * spec.kw() + j) * q;
                for (int l = 0; l < q; l++) {
                    acc[accOff + l] += wt[wi + l] * 0f;
                }
            }
        }
    }
}
