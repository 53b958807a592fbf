package dev.convcl.cpu;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import dev.convcl.spi.Memory;

/**
 * Convolution as a GEMM per (image, group): {@code out[k][p] = sum_r W[k][r] * col[r][p]}, where
 * the weight is used in place as A ({@code [K][C/groups * kh * kw]}, row-major) and a
 * {@link ColumnPacker} makes tiles of the column matrix. The column matrix is never materialized
 * whole: pixels are cut into tiles of a few hundred columns and the depth r into chunks, so a tile's
 * chunk of B and its block of C stay in the core's L2 while every output channel passes over it.
 *
 * <p>Work is split two ways. With enough (image, group, pixel tile) items for the threads, each task
 * packs and multiplies one item end to end. Otherwise (few pixels: late network stages) each item is
 * packed by all threads together, then its output channels are shared out, so the packing (costly
 * for deformable sampling) is never done twice.
 *
 * <p>When the column rows already lie in the input ({@code cpu-1x1} at stride 1: row r is input
 * channel r's plane; at a larger stride, in the compact copy of the sampled pixels its packer makes
 * once a call) nothing is packed: the GEMM reads B in place, and few items are split by
 * output channels into a few tasks per thread, all in one parallel pass (shared mode's two passes
 * per item cost more than the arithmetic on 14x14 maps).
 *
 * <p>On maps of at most 64 pixels that fill a column block badly (7x7: 49 of 64 columns), with the
 * weights bound, the GEMM runs with output channels across the vector lanes instead
 * ({@link Kernels#gemmLanes}: no padding columns, 7-pixel by 48-channel register blocks), on weights
 * transposed once when they are bound into panels of three vectors of channels (48 at 16 lanes),
 * each panel's rows contiguous; a call that passes its own weights runs the pixel-lane GEMM.
 * Deformable columns go the same way (DCNv2's stage 5 on 7x7): the sampling fills the packed item
 * as it fills a pixel tile.
 *
 * <p>Elsewhere bound weights are also laid out as panels of 8 output channels
 * ({@link WeightPanels}), which the pixel-lane GEMM reads in place of the weight rows when a call
 * passes the bound array; not where a 1x1 read in place is finished in registers
 * ({@link Kernels#gemmInto} reads the rows: {@link #panelsPay}).
 */
final class GemmConv extends CpuPlan {
    /** Floats of C (output channels x tile columns) a task aims to keep in L2. */
    private static final int C_TILE_FLOATS = 64 * 1024;
    /** Floats of B (depth chunk x tile columns) a task aims to keep in L2. */
    private static final int B_CHUNK_FLOATS = 32 * 1024;
    private static final int MAX_TILE = 256;
    /** The most pixels a map may have for the channel-lane GEMM. */
    private static final int LANES_MAX_PIXELS = 64;

    private final Kernels kernels;
    private final ColumnPacker packer;
    private final int m;         // output channels per group
    private final int depth;     // C/groups * kh * kw
    private final int pixels;    // OH * OW
    private final boolean fold;  // true: one GEMM's columns run across all images (small maps)
    private final int columns;   // columns of one GEMM: pixels, or n * pixels when folded
    private final int quantum;
    private final int pixelBlocks; // pixels in units of the kernels' quantum, rounded up
    private final int tiles;     // pixel tiles per image, each a run of whole quantum blocks
    private final int tileCols;  // columns of the widest tile: the row stride of panels and C
    private final int chunk;     // depth rows packed at a time in one-task-per-item mode
    private final boolean shared; // true: items packed and multiplied by all threads together
    private final int kRanges;   // output-channel ranges of an item in shared mode
    private final int packChunks; // depth chunks of an item in shared mode
    private final int[] rowOffsets; // panel row r starts at r * tileCols
    private final int[] inPlaceOffsets; // rows read in place: row r at r * the packer's row stride; else null
    private final boolean lanes; // channel-lane GEMM when the weights are bound
    private final int mPad;      // m rounded up to the quantum: the channels the lane GEMM computes
    private final int mPanels;   // mPad rounded up to whole panels: the channels of a group's transposed weights
    private final int laneLd;    // lanes: the row stride of a packed item: its pixels, one row each depth row
    private final int laneChunk; // lanes: depth rows packed at a time by one task
    private final int[] laneOffsets; // lanes: packed row r at r * laneLd
    private final boolean lanesShared; // lanes: few items, each packed by all threads, its channels shared out
    private final int laneRange; // lanes, shared: output channels a task computes
    private final int kPerPart;  // output channels per task in one-task-per-item mode
    private final int parts;     // tasks per item in one-task-per-item mode
    /**
     * Bound weights and their transpose, per group panels of {@link Kernels#lanePanel()} channels, each
     * [depth][panel] (lanes only); null when none are bound.
     */
    private volatile LaneWeights laneWeights;
    /** Bound weights and their panels where the lane GEMM does not take them, else null (published whole). */
    private volatile WeightPanels panels;

    /** Bound weights ({@code source}, compared by identity with a call's) and their transpose. */
    private record LaneWeights(float[] source, float[] transposed) {
    }

    GemmConv(Convolution spec, WorkerPool pool, Kernels kernels, ColumnPacker packer) {
        super(spec, pool, kernels);
        this.kernels = kernels;
        KernelWarmup.startOnce(kernels);
        this.packer = packer;
        this.m = spec.kPerGroup();
        this.depth = spec.cPerGroup() * spec.kh() * spec.kw();
        this.pixels = spec.outH() * spec.outW();
        int q = kernels.quantum();
        this.quantum = q;
        this.fold = foldsImages(packer, spec.n(), pixels, q);
        this.columns = fold ? spec.n() * pixels : pixels;
        this.pixelBlocks = ceilDiv(columns, q);
        int maxTile = Math.min(MAX_TILE, C_TILE_FLOATS / m / q * q);
        long perColumn = packer.tileFloatsPerColumn();
        if (perColumn > 0) {
            // A tile's sampling data (deformable: per offset group and kernel point) within half a tile.
            maxTile = (int) Math.min(maxTile, Scratch.TILE_FLOATS / 2 / perColumn / q * q);
        }
        maxTile = Math.max(2 * q, maxTile);
        int threads = pool.getParallelism();
        int imageGroups = (fold ? 1 : spec.n()) * spec.groups();
        int t = ceilDiv(pixelBlocks, maxTile / q);
        // A few equal tasks per thread: round the count up to a multiple of the threads.
        while ((long) imageGroups * t < 8L * threads && (long) imageGroups * t % threads != 0 && t < pixelBlocks) {
            t++;
        }
        this.tiles = t;
        this.tileCols = ceilDiv(pixelBlocks, tiles) * q;
        this.chunk = Math.min(depth, Math.max(16, B_CHUNK_FLOATS / tileCols / 4 * 4));
        long items = (long) imageGroups * tiles;
        int inPlaceStride = packer.inPlaceRowStride();
        // Shared mode packs the whole depth of a tile at once; fall back to chunks when that panel
        // would exceed half the threads' tiles. Rows read in place need no packing to share.
        this.shared = inPlaceStride == 0 && threads > 1 && items < 2L * threads
                && (long) depth * tileCols <= (long) threads * Scratch.TILE_FLOATS / 2;
        // Read in place, few items split their output channels into tasks instead (a few per thread).
        int split = inPlaceStride == 0 || items >= 2L * threads ? 1
                : (int) Math.max(1, Math.min(ceilDiv(m, 8), ceilDiv(4 * threads, (int) items)));
        this.kPerPart = roundUp(ceilDiv(m, split), Math.min(8, m));
        this.parts = ceilDiv(m, kPerPart);
        this.inPlaceOffsets = inPlaceStride == 0 ? null : new int[depth];
        for (int r = 0; inPlaceOffsets != null && r < depth; r++) {
            inPlaceOffsets[r] = r * inPlaceStride;
        }
        Scratch.length((long) chunk * tileCols, "a column panel", spec);
        this.kRanges = Math.max(1, Math.min(ceilDiv(m, 8), 4 * threads));
        this.packChunks = Math.max(1, Math.min(ceilDiv(depth, 16), 4 * threads));
        this.rowOffsets = new int[depth];
        for (int r = 0; r < depth; r++) {
            rowOffsets[r] = r * tileCols;
        }
        this.mPad = roundUp(m, q);
        this.mPanels = roundUp(mPad, kernels.lanePanel());
        // CT for all m channels and an image's sampling data (deformable: the lane GEMM samples a
        // whole image at once, where pixel tiles keep theirs within half a tile) stay within half
        // a task's tile.
        this.lanes = kernels.lanes() && !fold && pixels <= LANES_MAX_PIXELS
                && roundUp(pixels, q) - pixels > pixels / 8 && depth >= 64 && m >= q
                && 2L * pixels * mPad + packer.tileFloatsPerColumn() * pixels <= Scratch.TILE_FLOATS / 2;
        this.laneLd = pixels;
        this.laneChunk = Math.min(depth, Math.max(16, B_CHUNK_FLOATS / laneLd / 4 * 4));
        this.laneOffsets = new int[lanes ? depth : 0];
        for (int r = 0; r < laneOffsets.length; r++) {
            laneOffsets[r] = r * laneLd;
        }
        this.lanesShared = lanes && threads > 1 && (long) spec.n() * spec.groups() < 2L * threads
                && (inPlaceStride != 0 || (long) depth * laneLd <= (long) threads * Scratch.TILE_FLOATS / 2);
        // Ranges of whole 3-vector blocks, a few per thread, where there are channels enough.
        int perFour = ceilDiv(mPad, 4 * threads);
        this.laneRange = perFour >= 3 * q ? perFour / (3 * q) * 3 * q : roundUp(ceilDiv(mPad, 2 * threads), q);
    }

    /** Whether bound weights switch the plan to the channel-lane GEMM (for tests). */
    boolean usesLanes() {
        return lanes;
    }

    @Override
    public void bind(Arg role, Memory memory) {
        LaneWeights repacked = null;
        WeightPanels laidOut = role == Arg.WEIGHTS && panelsPay() ? WeightPanels.of(HostMemory.of(memory), spec, kernels)
                : null;
        if (role == Arg.WEIGHTS && lanes) { // packed before anything is stored: a bind that throws changes nothing
            float[] w = HostMemory.of(memory);
            int panel = kernels.lanePanel();
            float[] t = new float[spec.groups() * depth * mPanels];
            for (int g = 0; g < spec.groups(); g++) {
                for (int i = 0; i < m; i++) {
                    int src = (g * m + i) * depth, dst = g * depth * mPanels + i / panel * panel * depth + i % panel;
                    for (int r = 0; r < depth; r++) {
                        t[dst + r * panel] = w[src + r];
                    }
                }
            }
            repacked = new LaneWeights(w, t);
        }
        super.bind(role, memory);
        if (repacked != null) {
            laneWeights = repacked;
        }
        if (role == Arg.WEIGHTS) {
            panels = laidOut;
        }
    }

    @Override
    public void close() {
        laneWeights = null;
        panels = null;
        super.close();
    }

    /** Whether bound weights are read from panels (for tests). */
    boolean usesPanels() {
        return panels != null;
    }

    /**
     * Whether bound weights are laid out as panels: not for the channel-lane GEMM (its own
     * transpose), nor for a 1x1 read in place whose epilogue finishes in registers, where nearly
     * every column goes through {@link Kernels#gemmInto} on the weight rows (a panel form of it was
     * measured slower on some MobileNet and ResNet 1x1 shapes; see docs/performance-notes.md) and
     * the panels would serve only a last part vector.
     */
    boolean panelsPay() {
        return !lanes && !(inPlaceOffsets != null && !fold && epilogue.finishesInRegisters());
    }

    /**
     * Whether a GEMM's columns should run across the images: rows read in place (a 1x1 kernel, from
     * the input or a strided one's compact copy), several images, and an image's pixels fewer than the kernels' quantum, so that a
     * column block per image would be mostly padding (a classifier on a 1x1 map: 15 of 16 columns).
     * The columns are then packed, image by image, each a run of a channel plane. Not on 7x7 maps
     * (15 of 64 columns padding): there the shorter stores (an image's run split between tiles)
     * cost more than the padding saved (MobileNetV2's 160->960 at batch 8: 1.1 -> 1.3 ms).
     */
    static boolean foldsImages(ColumnPacker packer, int n, int pixels, int quantum) {
        return packer.inPlaceRowStride() != 0 && n > 1 && pixels < quantum;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int q) {
        return ceilDiv(a, q) * q;
    }

    /** First column of a tile: tiles are runs of whole quantum blocks, sizes differing by one block. */
    private int tileStart(int tile) {
        return (int) ((long) tile * pixelBlocks / tiles) * quantum;
    }

    @Override
    public String algorithm() {
        return packer.algorithm();
    }

    @Override
    long scratchBytes() {
        int threads = pool.getParallelism();
        long tileData = packer.tileFloatsPerColumn() * tileCols;
        long gemm = kernels.gemmScratchFloats(tileCols);
        long floats;
        if (shared) {
            // Items run one after another, each sharing its ranges out anew: any thread may take a
            // range of some item, so every thread that can take part holds its C rows.
            int kPerRange = roundUp(ceilDiv(m, kRanges), Math.min(8, m));
            long items = (long) (fold ? 1 : spec.n()) * spec.groups() * tiles;
            long ranges = Math.min(items * ceilDiv(m, kPerRange), threads);
            floats = (long) depth * tileCols + tileData + ranges * ((long) kPerRange * tileCols + gemm);
        } else {
            long tasks = Math.min((long) (fold ? 1 : spec.n()) * spec.groups() * tiles * parts, threads);
            floats = tasks * ((long) chunk * tileCols + (long) m * tileCols + tileData + gemm);
        }
        if (lanes) {
            // The channel-lane GEMM: shared, a whole packed item (unless read in place) and its
            // sampling data (deformable), and per task a CT of laneRange channels (counted twice);
            // else per task a packed chunk, the item's sampling data and a CT of all channels
            // (counted twice).
            long laneFloats;
            long laneTileData = packer.tileFloatsPerColumn() * pixels;
            if (lanesShared) {
                long ranges = Math.min((long) spec.n() * spec.groups() * ceilDiv(mPad, laneRange), threads);
                laneFloats = (inPlaceOffsets != null ? 0 : (long) depth * laneLd + laneTileData)
                        + ranges * 2L * pixels * laneRange;
            } else {
                long tasks = Math.min((long) spec.n() * spec.groups(), threads);
                laneFloats = tasks * ((long) laneChunk * laneLd + laneTileData + 2L * pixels * mPad);
            }
            floats = Math.max(floats, laneFloats);
        }
        return 4 * (packer.preparedFloats() + floats);
    }

    /** The kernels in use, {@code vector} or {@code scalar} (for tests and benchmarks). */
    String kernelName() {
        return kernels.name();
    }

    /** Whether one GEMM's columns run across all images (for tests). */
    boolean foldsImages() {
        return fold;
    }

    @Override
    void run(CallData given) {
        Object prepared = packer.prepare(given, pool);
        CallData call = packer.inPlaceCall(given, prepared);
        LaneWeights lw = laneWeights;
        if (lw != null && call.wt() == lw.source()) {
            runLanes(call, prepared, lw.transposed());
            return;
        }
        int items = (fold ? 1 : spec.n()) * spec.groups() * tiles;
        if (shared) {
            for (int item = 0; item < items; item++) {
                runShared(call, prepared, item);
            }
        } else {
            Parallel.forEach(pool, items * parts, task -> runWhole(call, prepared, task / parts,
                    task % parts * kPerPart));
        }
    }

    /**
     * The channel-lane GEMM: many (image, group) items one task each; few ones with all threads
     * packing an item's whole column matrix (unless read in place), then sharing out its output
     * channels.
     */
    private void runLanes(CallData call, Object prepared, float[] at) {
        int items = spec.n() * spec.groups();
        if (!lanesShared) {
            Parallel.forEach(pool, items, item -> laneItem(call, prepared, at, item));
            return;
        }
        for (int item = 0; item < items; item++) {
            int g = item % spec.groups(), n = item / spec.groups();
            float[] b;
            int[] offsets;
            int bOff;
            if (inPlaceOffsets != null) {
                b = call.in();
                offsets = inPlaceOffsets;
                bOff = packer.inPlaceOffset(n, g);
            } else {
                Object tileData = packer.tile(call, prepared, n, 0, pixels);
                b = Workspace.uncleared(Workspace.Slot.PANEL, depth * laneLd);
                packAll(call, prepared, tileData, n, g, 0, pixels, b, laneLd);
                offsets = laneOffsets;
                bOff = 0;
            }
            Parallel.forEach(pool, ceilDiv(mPad, laneRange), part -> {
                int k0 = part * laneRange, rows = Math.min(mPad, k0 + laneRange) - k0;
                float[] ct = Workspace.zeroed(Workspace.Slot.LANES, pixels * rows);
                kernels.gemmLanes(rows, depth, pixels, at, g * depth * mPanels, depth, k0, b, offsets, bOff, ct, 0, rows);
                storeLanes(call, ct, rows, n, g, k0);
            });
        }
    }

    /** One (image, group) item by one task: packed chunk by chunk (or read in place) into one CT. */
    private void laneItem(CallData call, Object prepared, float[] at, int item) {
        int g = item % spec.groups(), n = item / spec.groups();
        float[] ct = Workspace.zeroed(Workspace.Slot.LANES, pixels * mPad);
        if (inPlaceOffsets != null) {
            kernels.gemmLanes(mPad, depth, pixels, at, g * depth * mPanels, depth, 0, call.in(), inPlaceOffsets,
                    packer.inPlaceOffset(n, g), ct, 0, mPad);
        } else {
            Object tileData = packer.tile(call, prepared, n, 0, pixels);
            float[] panel = Workspace.uncleared(Workspace.Slot.PANEL, laneChunk * laneLd);
            for (int r0 = 0; r0 < depth; r0 += laneChunk) {
                int r1 = Math.min(depth, r0 + laneChunk);
                packer.pack(call, prepared, tileData, n, g, 0, pixels, r0, r1, panel, laneLd, 0);
                kernels.gemmLanes(mPad, r1 - r0, pixels, at, g * depth * mPanels + r0 * kernels.lanePanel(), depth, 0,
                        panel, laneOffsets, 0, ct, 0, mPad);
            }
        }
        storeLanes(call, ct, mPad, n, g, 0);
    }

    /** Output channels {@code k0 ..} of image n, group g from CT ({@code pixels} rows of {@code ld} channels). */
    private void storeLanes(CallData call, float[] ct, int ld, int n, int g, int k0) {
        int k = g * m + k0;
        storeLanes(kernels, call, ct, ld, Math.min(m, k0 + ld) - k0, k, (n * spec.k() + k) * pixels, pixels, pixels);
    }

    /**
     * {@code rows} output channels from {@code k} out of CT ({@code count} rows of {@code ld}
     * channels, a run of pixels): channel {@code k + i}'s pixels gathered into
     * {@code out[out0 + i * plane ..]}, {@code count} of them, then the epilogue applied there.
     */
    static void storeLanes(Kernels kernels, CallData call, float[] ct, int ld, int rows, int k, int out0, int plane,
                           int count) {
        float[] out = call.out();
        // The epilogue across CT's rows of channels, a vector of channels (and of their biases) at a
        // time, where it reads no sum (a sum lies in the output's layout): a 7x7 map's output rows
        // of 49 values gave its loops little to run on.
        DirectStore direct = call.epilogue().direct(call.bias(), null);
        boolean finished = direct != null && !call.epilogue().hasSum();
        if (finished) {
            for (int p = 0; p < count; p++) {
                kernels.finishChannels(ct, p * ld, rows, direct, k);
            }
        }
        // Straight into the output's channel rows (a tile of C rows in between was a sixth of a
        // 7x7 1x1 conv's time), then, with a sum, the epilogue over each row in place, in L1.
        for (int i = 0; i < rows; i++) {
            int o = out0 + i * plane;
            for (int p = 0; p < count; p++) {
                out[o + p] = ct[p * ld + i];
            }
            if (!finished) {
                call.finishInPlace(o, count, k + i);
            }
        }
    }

    /**
     * One task: output channels {@code k0 ..} (up to {@link #kPerPart}) of an item. Rows that lie
     * in the input are read in place, unless the tile's last columns (beyond its valid ones) would
     * run past the input's end; otherwise the item is packed chunk by chunk, each chunk multiplied
     * into the task's output channels.
     */
    private void runWhole(CallData call, Object prepared, int item, int k0) {
        int tile = item % tiles, ng = item / tiles, g = ng % spec.groups(), n = ng / spec.groups();
        int p0 = tileStart(tile), cols = tileStart(tile + 1) - p0, valid = Math.min(cols, columns - p0);
        int rows = Math.min(m, k0 + kPerPart) - k0;
        int aOff = (g * m + k0) * depth;
        if (inPlaceOffsets != null && !fold && runInPlaceDirect(call, n, g, k0, rows, aOff, p0, cols, valid)) {
            return;
        }
        float[][] c = Workspace.zeroedRows(Workspace.Rows.ACC, rows, tileCols);
        WeightPanels wp = panels;
        if (fold) {
            float[] panel = Workspace.zeroed(Workspace.Slot.PANEL, chunk * tileCols);
            for (int r0 = 0; r0 < depth; r0 += chunk) {
                int r1 = Math.min(depth, r0 + chunk);
                packFolded(call, g, p0, valid, r0, r1, panel);
                WeightPanels.gemm(wp, kernels, call.wt(), m, depth, g, k0, r0, rows, r1 - r0, cols, panel, rowOffsets,
                        0, c);
            }
            storeFolded(call, c, g * m + k0, rows, p0, valid);
            return;
        }
        if (inPlaceOffsets != null) {
            int off = packer.inPlaceOffset(n, g) + p0;
            if ((long) off + inPlaceOffsets[depth - 1] + cols <= call.in().length) {
                WeightPanels.gemm(wp, kernels, call.wt(), m, depth, g, k0, 0, rows, depth, cols, call.in(),
                        inPlaceOffsets, off, c);
                store(call, c, n, g * m + k0, rows, p0, valid);
                return;
            }
        }
        Object tileData = packer.tile(call, prepared, n, p0, valid);
        float[] panel = Workspace.zeroed(Workspace.Slot.PANEL, chunk * tileCols);
        for (int r0 = 0; r0 < depth; r0 += chunk) {
            int r1 = Math.min(depth, r0 + chunk);
            packer.pack(call, prepared, tileData, n, g, p0, valid, r0, r1, panel, tileCols, 0);
            WeightPanels.gemm(wp, kernels, call.wt(), m, depth, g, k0, r0, rows, r1 - r0, cols, panel, rowOffsets, 0,
                    c);
        }
        store(call, c, n, g * m + k0, rows, p0, valid);
    }

    /**
     * An item's tile read in place, finished in the GEMM's registers ({@link Kernels#gemmInto})
     * where the epilogue allows ({@link Epilogue#direct}) and the tile has a whole vector of valid
     * columns: those go straight into the output, with no C tile to zero, fill and copy out (on a
     * 1x1 conv of small depth the tile's passes cost as much as the multiply-adds); the columns of a
     * last part vector go through a one-vector tile. False, having done nothing, otherwise.
     */
    private boolean runInPlaceDirect(CallData call, int n, int g, int k0, int rows, int aOff, int p0, int cols,
                                     int valid) {
        int off = packer.inPlaceOffset(n, g) + p0;
        if ((long) off + inPlaceOffsets[depth - 1] + cols > call.in().length) {
            return false;
        }
        DirectStore direct = call.epilogue().direct(call.bias(), call.sum());
        int whole = valid / quantum * quantum;
        if (direct == null || whole == 0) {
            return false;
        }
        int k = g * m + k0;
        kernels.gemmInto(rows, depth, whole, call.wt(), aOff, depth, call.in(), inPlaceOffsets, off, call.out(),
                (n * spec.k() + k) * pixels + p0, pixels, direct, k);
        if (whole < valid) {
            float[][] c = Workspace.zeroedRows(Workspace.Rows.ACC, rows, quantum);
            WeightPanels.gemm(panels, kernels, call.wt(), m, depth, g, k0, 0, rows, depth, quantum, call.in(),
                    inPlaceOffsets, off + whole, c);
            store(call, c, n, k, rows, p0 + whole, valid - whole);
        }
        return true;
    }

    /**
     * Rows {@code [r0, r1)} of folded columns {@code [p0, p0+valid)} into panel rows from 0: each
     * image's part of a row is a run of its channel plane.
     */
    private void packFolded(CallData call, int g, int p0, int valid, int r0, int r1, float[] panel) {
        float[] in = call.in();
        for (int col = p0, end = p0 + valid; col < end; ) {
            int n = col / pixels, p = col - n * pixels, len = Math.min(end - col, pixels - p);
            int base = packer.inPlaceOffset(n, g) + p;
            for (int r = r0; r < r1; r++) {
                System.arraycopy(in, base + inPlaceOffsets[r], panel, (r - r0) * tileCols + col - p0, len);
            }
            col += len;
        }
    }

    /** The valid folded columns of C rows into output channels k0.., image by image. */
    private void storeFolded(CallData call, float[][] c, int k0, int rows, int p0, int valid) {
        for (int col = p0, end = p0 + valid; col < end; ) {
            int n = col / pixels, p = col - n * pixels, len = Math.min(end - col, pixels - p);
            for (int i = 0; i < rows; i++) {
                int k = k0 + i;
                call.store(c[i], col - p0, (n * spec.k() + k) * pixels + p, len, k);
            }
            col += len;
        }
    }

    /** All threads pack the whole depth of an item's columns {@code [p0, p0+valid)}, in chunks of rows. */
    private void packAll(CallData call, Object prepared, Object tileData, int n, int g, int p0, int valid,
                         float[] panel, int ld) {
        int rowsPerChunk = ceilDiv(depth, packChunks);
        Parallel.forEach(pool, ceilDiv(depth, rowsPerChunk), part -> {
            int r0 = part * rowsPerChunk, r1 = Math.min(depth, r0 + rowsPerChunk);
            packer.pack(call, prepared, tileData, n, g, p0, valid, r0, r1, panel, ld, r0);
        });
    }

    /** All threads pack the item, then share out its output channels. */
    private void runShared(CallData call, Object prepared, int item) {
        int tile = item % tiles, ng = item / tiles, g = ng % spec.groups(), n = ng / spec.groups();
        int p0 = tileStart(tile), cols = tileStart(tile + 1) - p0, valid = Math.min(cols, pixels - p0);
        Object tileData = packer.tile(call, prepared, n, p0, valid);
        float[] panel = Workspace.zeroed(Workspace.Slot.PANEL, depth * tileCols);
        packAll(call, prepared, tileData, n, g, p0, valid, panel, tileCols);
        int kPerRange = roundUp(ceilDiv(m, kRanges), Math.min(8, m));
        WeightPanels wp = panels;
        Parallel.forEach(pool, ceilDiv(m, kPerRange), part -> {
            int k0 = part * kPerRange, rows = Math.min(m, k0 + kPerRange) - k0;
            float[][] c = Workspace.zeroedRows(Workspace.Rows.ACC, rows, tileCols);
            WeightPanels.gemm(wp, kernels, call.wt(), m, depth, g, k0, 0, rows, depth, cols, panel, rowOffsets, 0, c);
            store(call, c, n, g * m + k0, rows, p0, valid);
        });
    }

    /** The valid columns of C rows into output channels k0.. of image n, with bias and ReLU. */
    private void store(CallData call, float[][] c, int n, int k0, int rows, int p0, int valid) {
        for (int i = 0; i < rows; i++) {
            int k = k0 + i;
            call.store(c[i], 0, (n * spec.k() + k) * pixels + p0, valid, k);
        }
    }

}
