package dev.convcl.cpu;

import dev.convcl.Arg;
import dev.convcl.DeformConv2d;
import dev.convcl.DeviceException;
import dev.convcl.spi.Memory;

/**
 * Deformable convolution (torchvision's {@code deform_conv2d}) as a GEMM with output channels
 * across the vector lanes ({@link Kernels#gemmLanesPixelMajor}) over columns sampled a vector of
 * channels at a time. The input is copied channels-last with a zero border
 * ({@link DeformSampler} with {@code channelsLast}), so the four neighbours of a sample are four
 * contiguous runs of channels: one vector load each and the corner weights broadcast, where the
 * planar sampler of {@code cpu-deform-gemm} reads four scalars per channel and writes them a
 * panel row apart. The columns come out pixel-major (a pixel's depth rows contiguous, depth in
 * (kernel point, channel) order), which is what a GEMM with channels in the lanes broadcasts from,
 * so the weights are laid out in that depth order too: once when they are bound, otherwise a depth
 * chunk at a time in each task (same sums in the same order either way).
 *
 * <p>Work: image after image, the image copied, then (group, tile of up to 196 pixels, range of
 * output channels) tasks. A task samples
 * its tile (the sampling coordinates once, then a chunk of kernel points at a time) and multiplies
 * each chunk into its accumulators (pixels x channels, in L2), then stores them into the output's
 * planes with the epilogue. Few pixels (late stages) split the output channels into ranges, each
 * range sampling the tile again: with many channels the sampling is a small share of the work.
 */
final class DeformLanesConv extends CpuPlan {
    /** Most pixels a tile: 28 blocks of 7 (the wide kernel's block). */
    private static final int MAX_TILE = 196;
    /** Floats of a task's accumulators (tile pixels x channels) it aims to keep in L2: 128 KiB. */
    private static final int CT_FLOATS = 32 * 1024;
    /** Floats of a tile's sampled chunk of depth rows: 256 KiB. */
    private static final int PANEL_FLOATS = 64 * 1024;
    /** Floats of a chunk of a call's own weights, transposed per task: 256 KiB. */
    private static final int AT_FLOATS = 64 * 1024;

    private final Kernels kernels;
    private final DeformSampler sampler;
    private final Layout layout;
    private final int m;      // output channels per group
    private final int mPad;   // m rounded up to the quantum: channels the GEMM computes
    private final int mPanels; // mPad rounded up to whole panels: a group's transposed channels
    private final int panel;  // Kernels#pixelMajorPanel
    private final int cpg;    // input channels per group
    private final int kk;     // kernel points
    private final int depth;  // cpg * kk
    private final int pixels; // OH * OW
    /** Bound weights and their transpose in (kernel point, channel) depth order; null when none are bound. */
    private volatile Transposed boundWeights;

    private record Transposed(float[] source, float[] at) {
    }

    /**
     * How a call is cut: {@code tiles} pixel tiles per (image, group), {@code parts} ranges of
     * {@code kRange} output channels, {@code ptChunk} kernel points sampled at a time;
     * {@code taskFloats} the scratch one task holds.
     */
    record Layout(int tiles, int tileP, int parts, int kRange, int ptChunk, long taskFloats) {
    }

    DeformLanesConv(DeformConv2d spec, WorkerPool pool, Kernels kernels) {
        super(spec, pool, kernels);
        this.kernels = kernels;
        KernelWarmup.startOnce(kernels);
        this.sampler = new DeformSampler(spec, true);
        this.layout = layout(spec, kernels, pool.getParallelism());
        if (layout.taskFloats() > Scratch.TILE_FLOATS) {
            throw new DeviceException(DeviceException.Kind.OUT_OF_RESOURCES, "cpu-deform-lanes: a task would hold "
                    + layout.taskFloats() + " floats of scratch, more than a tile (" + Scratch.TILE_FLOATS + "): " + spec);
        }
        this.m = spec.kPerGroup();
        this.mPad = roundUp(m, kernels.quantum());
        this.panel = kernels.pixelMajorPanel();
        this.mPanels = roundUp(mPad, panel);
        this.cpg = spec.cPerGroup();
        this.kk = spec.kh() * spec.kw();
        this.depth = cpg * kk;
        this.pixels = spec.outH() * spec.outW();
    }

    /**
     * The cut for {@code threads} workers: tiles of at most {@link #MAX_TILE} pixels whose sampled
     * rows of one kernel point fit a chunk, channel ranges whose accumulators fit
     * {@link #CT_FLOATS}; then, while there are fewer than two tasks a thread, more tiles (while a
     * tile keeps 56 pixels), else more channel ranges (while a range keeps a panel), else smaller
     * tiles down to 7 pixels.
     */
    static Layout layout(DeformConv2d s, Kernels kernels, int threads) {
        int q = kernels.quantum(), lanePanel = kernels.pixelMajorPanel();
        int pixels = s.outH() * s.outW(), cpg = s.cPerGroup(), kk = s.kh() * s.kw();
        int mPad = roundUp(s.kPerGroup(), q);
        int tileMax = Math.max(1, Math.min(MAX_TILE, PANEL_FLOATS / cpg));
        int tiles = ceilDiv(pixels, tileMax);
        int parts = ceilDiv(mPad, Math.max(lanePanel, CT_FLOATS / ceilDiv(pixels, tiles) / q * q));
        long items = s.groups(); // a call runs image after image
        while (items * tiles * ceilDiv(mPad, range(mPad, parts, q)) < 2L * threads) {
            if (ceilDiv(pixels, tiles + 1) >= 56) {
                tiles++;
            } else if (ceilDiv(mPad, parts + 1) >= lanePanel) {
                parts++;
            } else if (ceilDiv(pixels, tiles + 1) >= 7) {
                tiles++;
            } else {
                break;
            }
        }
        int kRange = range(mPad, parts, q);
        int tileP = roundUp(ceilDiv(pixels, tiles), kernels.pixelMajorRows());
        long kPad = roundUp(kRange, lanePanel);
        int ptChunk = (int) Math.max(1, Math.min(kk, Math.min(PANEL_FLOATS / ((long) tileP * cpg),
                AT_FLOATS / (kPad * cpg))));
        long chunkRows = (long) ptChunk * cpg;
        long taskFloats = (long) tileP * chunkRows + (long) tileP * kRange
                + new DeformSampler(s, true).tileFloatsPerColumn() * tileP + kPad * chunkRows;
        return new Layout(tiles, tileP, ceilDiv(mPad, kRange), kRange, ptChunk, taskFloats);
    }

    /** Channels per range when {@code mPad} is cut into {@code parts}: whole vectors. */
    private static int range(int mPad, int parts, int q) {
        return roundUp(ceilDiv(mPad, parts), q);
    }

    /**
     * Whether the vector kernels run this plan within a task's scratch (a group's channels of one
     * kernel point, sampled for a pixel, and a range of the weights' transposed chunk fit a tile):
     * the selection rule.
     */
    static boolean fits(DeformConv2d s, Kernels kernels) {
        return layout(s, kernels, 1).taskFloats() <= Scratch.TILE_FLOATS;
    }

    /** How a call is cut (for tests). */
    Layout layout() {
        return layout;
    }

    @Override
    public String algorithm() {
        return "cpu-deform-lanes";
    }

    @Override
    public void bind(Arg role, Memory memory) {
        Transposed t = null;
        if (role == Arg.WEIGHTS) { // laid out before anything is stored: a bind that throws changes nothing
            float[] w = HostMemory.of(memory);
            float[] at = new float[Scratch.length((long) spec.groups() * depth * mPanels, "the transposed weights", spec)];
            for (int g = 0; g < spec.groups(); g++) {
                transpose(w, g, 0, m, 0, kk, at, g * depth * mPanels, depth);
            }
            t = new Transposed(w, at);
        }
        super.bind(role, memory);
        if (t != null) {
            boundWeights = t;
        }
    }

    @Override
    public void close() {
        boundWeights = null;
        super.close();
    }

    /**
     * Output channels {@code [k0, k1)} of group g ({@code w} as [K][C/groups][kh][kw]), kernel points
     * {@code [pt0, pt1)}, into panels of {@link Kernels#pixelMajorPanel()} channels from {@code k0}: channel
     * {@code k0 + i}, depth row {@code r = (pt - pt0) * C/groups + channel} at
     * {@code at[atOff + (i / P) * P * atDepth + r * P + i % P]}.
     */
    private void transpose(float[] w, int g, int k0, int k1, int pt0, int pt1, float[] at, int atOff, int atDepth) {
        for (int k = k0; k < k1; k++) {
            int i = k - k0, dst = atOff + i / panel * panel * atDepth + i % panel;
            int src = (g * m + k) * depth;
            for (int pt = pt0; pt < pt1; pt++) {
                int row = dst + (pt - pt0) * cpg * panel;
                for (int cl = 0; cl < cpg; cl++) {
                    at[row + cl * panel] = w[src + cl * kk + pt];
                }
            }
        }
    }

    @Override
    long scratchBytes() {
        long tasks = Math.min((long) spec.groups() * layout.tiles() * layout.parts(), pool.getParallelism());
        return 4 * (sampler.preparedFloats() + tasks * layout.taskFloats());
    }

    @Override
    void run(CallData call) {
        Object prepared = sampler.prepare(call, pool);
        Transposed t = boundWeights;
        float[] bound = t != null && call.wt() == t.source() ? t.at() : null;
        int parts = layout.parts();
        int tasks = spec.groups() * layout.tiles() * parts;
        for (int n = 0; n < spec.n(); n++) {
            int image = n;
            sampler.copyImage(call, prepared, image, pool);
            Parallel.forEach(pool, tasks, task -> runTask(call, prepared, bound, image, task / parts, task % parts));
        }
    }

    /** One (group, tile) item's output channels of one range, of image n. */
    private void runTask(CallData call, Object prepared, float[] bound, int n, int item, int part) {
        int tiles = layout.tiles(), tile = item % tiles, g = item / tiles;
        int p0 = tileStart(tile, tiles), valid = tileStart(tile + 1, tiles) - p0;
        int k0 = part * layout.kRange(), rows = Math.min(mPad, k0 + layout.kRange()) - k0;
        int ptChunk = layout.ptChunk();
        Object coords = sampler.tile(call, prepared, n, p0, valid);
        float[] ct = Workspace.zeroed(Workspace.Slot.LANES, valid * rows);
        float[] cols = Workspace.uncleared(Workspace.Slot.PANEL, valid * ptChunk * cpg);
        for (int pt0 = 0; pt0 < kk; pt0 += ptChunk) {
            int pt1 = Math.min(kk, pt0 + ptChunk), chunkRows = (pt1 - pt0) * cpg;
            sampler.packPixelMajor(call, prepared, coords, n, g, valid, pt0, pt1, cols, chunkRows, kernels);
            if (bound != null) {
                kernels.gemmLanesPixelMajor(rows, chunkRows, valid, bound, g * depth * mPanels + pt0 * cpg * panel, depth,
                        k0, cols, 0, chunkRows, ct, 0, rows);
            } else {
                // the call's own weights: this range's channels of the chunk, from channel k0 (padding
                // channels past m stay 0)
                float[] at = Workspace.zeroed(Workspace.Slot.WEIGHTS, roundUp(rows, panel) * chunkRows);
                transpose(call.wt(), g, k0, Math.min(m, k0 + rows), pt0, pt1, at, 0, chunkRows);
                kernels.gemmLanesPixelMajor(rows, chunkRows, valid, at, 0, chunkRows, 0, cols, 0, chunkRows, ct, 0, rows);
            }
        }
        int k = g * m + k0;
        GemmConv.storeLanes(kernels, call, ct, rows, Math.min(m, k0 + rows) - k0, k, (n * spec.k() + k) * pixels + p0,
                pixels, valid);
    }

    /**
     * First pixel of a tile: tiles are runs of whole blocks of the GEMM's
     * {@link Kernels#pixelMajorRows()} pixels (only the last tile ends in part of one), their sizes
     * differing by a block at most.
     */
    private int tileStart(int tile, int tiles) {
        int rows = kernels.pixelMajorRows(), blocks = ceilDiv(pixels, rows);
        return Math.min(pixels, (int) ((long) tile * blocks / tiles) * rows);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int q) {
        return ceilDiv(a, q) * q;
    }
}
