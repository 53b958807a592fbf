package dev.convcl.cpu;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import dev.convcl.DeviceException;
import dev.convcl.spi.Memory;
import java.util.Arrays;

/**
 * Implicit GEMM over the padded, stride-phased input ({@link PhaseLayout}): for image n and group g,
 * {@code wide[k][t] = sum_r W[k][r] * buf[base + rowOffsets[r] + t]} where row r = (channel, tap)
 * is a shifted window of the buffer, so nothing is packed per tile. It pays with the wide rows'
 * dropped columns ((W + 2*pad) / OW at stride 1), which is why it is chosen for groups with few
 * output channels (ResNeXt-style), where packing a column tile would cost as much as using it.
 *
 * <p>The padded copy of the whole input is this algorithm's working memory, so it runs only where
 * padding adds little to the input ({@link #fits}); a large padding goes to the packed GEMM.
 *
 * <p>Grouped convolutions with many small groups ({@link #perGroup}) pad one group at a time
 * instead: each task copies its (image, group)'s planes into a buffer of its own thread and
 * multiplies them while they are in its cache. A separate pass over the whole input, one tiny task
 * per plane, then tasks reading planes another core wrote, cost more than the arithmetic there
 * (resnext50.res4.g32, 2 threads: 0.29 ms against 0.16 ms padded per group).
 *
 * <p>Bound weights are also laid out as panels of 8 output channels ({@link WeightPanels}), which
 * the GEMM reads in place of the weight rows when a call passes the bound array.
 */
final class ImplicitGemmConv extends CpuPlan {
    /** Floats of C (output channels x columns) a task aims to keep in L2. */
    private static final int C_BLOCK_FLOATS = 64 * 1024;
    private static final int MAX_BLOCK = 1024;
    private static final int CHUNK_ROWS = 256;
    /** Largest per-group padded buffer ({@link #perGroup}) in floats: 256 KiB, about an L2. */
    private static final int GROUP_BUFFER_FLOATS = 64 * 1024;

    private final Kernels kernels;
    private final PhaseLayout layout;
    private final int m;
    private final int depth;
    private final int chunk;         // depth rows multiplied at a time, so their windows stay in L2
    private final int[][] chunkOffsets; // rowOffsets of each depth chunk
    private final int wideCols;   // wide output length rounded up to the quantum
    private final int quantum;
    private final int blocks;     // column blocks per (image, group), each a run of whole quantum blocks
    private final int kPerPart;   // output channels per task (the last part may have fewer)
    private final int parts;      // output-channel parts per (image, group)
    private final int bufferLen;
    /** Whether each task pads its own (image, group) planes ({@link #groupBufferLen} floats). */
    private final boolean perGroup;
    private final int groupBufferLen;
    /** The bound weights and their panels, or null when none are bound or none pay (published whole). */
    private volatile WeightPanels panels;

    ImplicitGemmConv(Convolution spec, WorkerPool pool, Kernels kernels) {
        super(spec, pool, kernels);
        if (spec.isDeformable()) {
            throw new IllegalArgumentException("implicit GEMM cannot run op=deform2d: " + spec);
        }
        this.kernels = kernels;
        KernelWarmup.startOnce(kernels);
        if (!fits(spec)) {
            throw new DeviceException(DeviceException.Kind.OUT_OF_RESOURCES, "the padded input of the implicit "
                    + "GEMM would need about " + paddedFloats(spec) + " floats, more than twice the input ("
                    + spec.inputSize() + ") plus a tile (" + Scratch.TILE_FLOATS + "): " + spec);
        }
        this.layout = new PhaseLayout(spec);
        this.m = spec.kPerGroup();
        int kk = spec.kh() * spec.kw();
        this.depth = spec.cPerGroup() * kk;
        // Whole channels per chunk: a channel's taps read overlapping windows of one plane.
        this.chunk = Math.min(depth, kk * Math.max(1, CHUNK_ROWS / kk));
        this.chunkOffsets = new int[PhaseLayout.ceilDiv(depth, chunk)][];
        for (int ch = 0; ch < chunkOffsets.length; ch++) {
            int r0 = ch * chunk, rows = Math.min(depth, r0 + chunk) - r0;
            chunkOffsets[ch] = new int[rows];
            for (int u = 0; u < rows; u++) {
                int r = r0 + u;
                chunkOffsets[ch][u] = (r / kk) * layout.planeLen + layout.tapOffsets[r % kk];
            }
        }
        int q = kernels.quantum();
        this.wideCols = PhaseLayout.ceilDiv(layout.wideLen(), q) * q;
        this.quantum = q;
        int items = spec.n() * spec.groups();
        long groupFloats = groupBufferFloats(spec, layout, wideCols);
        this.perGroup = perGroup(spec, groupFloats, pool.getParallelism());
        // Per group, a task runs all of its group's blocks: only their size matters (threads = 1).
        int[] split = split(items, m, wideCols / q, q, perGroup ? 1 : pool.getParallelism());
        this.blocks = split[0];
        this.kPerPart = split[1];
        this.parts = PhaseLayout.ceilDiv(m, kPerPart);
        this.groupBufferLen = perGroup ? (int) groupFloats : 0;
        this.bufferLen = perGroup ? 0 : Scratch.length(bufferFloats(spec, layout, wideCols),
                "the padded input of the implicit GEMM", spec);
    }

    /**
     * Whether each task pads and multiplies one (image, group) on its own: for grouped
     * convolutions whose group's padded planes fit {@link #GROUP_BUFFER_FLOATS} and with at least
     * four (image, group) pairs per thread, so that whole groups still balance across threads.
     * Dense convolutions (one group) keep the shared padded copy.
     */
    static boolean perGroup(Convolution spec, long groupFloats, int threads) {
        return spec.groups() > 1 && (long) spec.n() * spec.groups() >= 4L * threads
                && groupFloats <= GROUP_BUFFER_FLOATS;
    }

    /** One group's planes' phases, plus the slack its last block reads past them. */
    private static long groupBufferFloats(Convolution spec, PhaseLayout layout, int wideCols) {
        long planes = spec.cPerGroup();
        return Math.max(planes * layout.planeLen, (planes - 1) * layout.planeLen + layout.maxTapOffset + wideCols);
    }

    /**
     * How the {@code items} (image, group) GEMMs of {@code m} rows by {@code qBlocks} quantum blocks
     * of columns are cut into tasks: {@code {column blocks, rows per part}}. Each task multiplies
     * its rows of A (the weights) by its columns of B over the whole depth, so it fetches
     * {@code rows + cols} floats per depth row (from L2 or beyond) for {@code rows * cols}
     * multiply-adds; a fetched float is counted as one vector FMA ({@code q} lanes), so a task costs
     * {@code rows * cols + q * (rows + cols)}. Tasks are taken from a shared counter (greedy list
     * scheduling), so the call ends by Graham's bound: all tasks' cost / threads + (1 - 1/threads)
     * x the largest task. The cut with the least bound wins, with C ({@code rows * cols}) within
     * {@link #C_BLOCK_FLOATS}: few large tasks lose to a thread left alone with the last one, many
     * small ones to their fetches. A short N and a large M (14x14 maps, 256 channels) are thus cut
     * by output channels too, not only into narrow column blocks that each fetch the whole weight.
     */
    static int[] split(int items, int m, int qBlocks, int q, int threads) {
        int bestBlocks = qBlocks, bestRows = Math.min(m, 8);
        double best = Double.MAX_VALUE;
        for (int p = 1; p <= PhaseLayout.ceilDiv(m, 8); p++) {
            int rows = p == 1 ? m : PhaseLayout.ceilDiv(PhaseLayout.ceilDiv(m, p), 8) * 8;
            if (p > 1 && rows >= m) {
                continue;
            }
            int parts = PhaseLayout.ceilDiv(m, rows);
            for (int b = 1; b <= qBlocks; b++) {
                int cols = PhaseLayout.ceilDiv(qBlocks, b) * q;
                if ((long) rows * cols > C_BLOCK_FLOATS || cols > MAX_BLOCK) {
                    continue;
                }
                double tasks = (double) items * b * parts;
                double meanRows = (double) m / parts, meanCols = (double) qBlocks * q / b;
                double all = tasks * (meanRows * meanCols + q * (meanRows + meanCols));
                double largest = (double) rows * cols + (double) q * (rows + cols);
                double cost = all / threads + (1 - 1.0 / threads) * largest;
                if (cost < best) {
                    best = cost;
                    bestBlocks = b;
                    bestRows = rows;
                }
            }
        }
        return new int[] {bestBlocks, bestRows};
    }

    /** Every plane's phases, plus the slack the last block reads past them. */
    private static long bufferFloats(Convolution spec, PhaseLayout layout, int wideCols) {
        long planes = (long) spec.n() * spec.c();
        return Math.max(planes * layout.planeLen, (planes - 1) * layout.planeLen + layout.maxTapOffset + wideCols);
    }

    /**
     * Whether this algorithm runs {@code spec}: its padded input buffer fits a Java array and
     * holds at most twice the input plus a tile ({@link Scratch#boundFloats}), so that its memory
     * does not grow with the padding.
     */
    static boolean fits(Convolution spec) {
        long floats = paddedFloats(spec);
        return floats <= Scratch.MAX_FLOATS && floats <= 2 * spec.inputSize() + Scratch.TILE_FLOATS;
    }

    /** At least {@link #bufferFloats}: every plane's phases plus a row per output row and a quantum. */
    private static long paddedFloats(Convolution spec) {
        long phaseW = PhaseLayout.phaseCols(spec);
        long plane = (long) spec.strideH() * spec.strideW() * PhaseLayout.phaseRows(spec) * phaseW;
        return (long) spec.n() * spec.c() * plane + (long) spec.outH() * phaseW + 1024;
    }

    @Override
    public void bind(Arg role, Memory memory) {
        // Laid out before anything is stored: a bind that throws changes nothing.
        WeightPanels laidOut = role == Arg.WEIGHTS ? WeightPanels.of(HostMemory.of(memory), spec, kernels) : null;
        super.bind(role, memory);
        if (role == Arg.WEIGHTS) {
            panels = laidOut;
        }
    }

    @Override
    public void close() {
        super.close();
        panels = null;
    }

    /** Whether bound weights are read from panels (for tests). */
    boolean usesPanels() {
        return panels != null;
    }

    /** Whether each task pads its own (image, group) planes (for tests). */
    boolean perGroup() {
        return perGroup;
    }

    @Override
    public String algorithm() {
        return "cpu-implicit-gemm";
    }

    @Override
    long scratchBytes() {
        int cols = PhaseLayout.ceilDiv(wideCols / quantum, blocks) * quantum; // the widest block
        long tasks = Math.min((long) spec.n() * spec.groups() * (perGroup ? 1 : blocks * parts),
                pool.getParallelism());
        return 4 * (bufferLen + tasks * (groupBufferLen + (long) kPerPart * cols + kernels.gemmScratchFloats(cols)));
    }

    /** First wide column of a task's block: runs of whole quantum blocks, sizes differing by one. */
    private int blockStart(int b) {
        return (int) ((long) b * (wideCols / quantum) / blocks) * quantum;
    }

    @Override
    void run(CallData call) {
        if (perGroup) {
            Parallel.forEach(pool, spec.n() * spec.groups(), ng -> group(call, ng));
            return;
        }
        // Each task zeroes the plane it fills (the padding must be zero), so the clearing is shared
        // out and touches the lines the copy writes next; one thread clearing the whole buffer first
        // was 3-4% of a ResNet-18 call (JFR). The tail past the planes is the last taps' overhang.
        float[] buf = Workspace.uncleared(Workspace.Slot.BUFFER, bufferLen);
        int hw = spec.h() * spec.w(), planeLen = layout.planeLen, planes = spec.n() * spec.c();
        Arrays.fill(buf, planes * planeLen, bufferLen, 0f);
        Parallel.forEach(pool, planes, plane -> {
            Arrays.fill(buf, plane * planeLen, (plane + 1) * planeLen, 0f);
            layout.fill(call.in(), plane * hw, buf, plane * planeLen, kernels);
        });
        Parallel.forEach(pool, spec.n() * spec.groups() * blocks * parts, task -> block(call, buf, task));
    }

    /** Pads the planes of (image, group) {@code ng} into this thread's buffer, then runs all its blocks. */
    private void group(CallData call, int ng) {
        float[] buf = Workspace.zeroed(Workspace.Slot.BUFFER, groupBufferLen);
        int hw = spec.h() * spec.w(), cpg = spec.cPerGroup();
        int g = ng % spec.groups(), n = ng / spec.groups();
        int plane0 = n * spec.c() + g * cpg;
        for (int ch = 0; ch < cpg; ch++) {
            layout.fill(call.in(), (plane0 + ch) * hw, buf, ch * layout.planeLen, kernels);
        }
        for (int b = 0; b < blocks; b++) {
            for (int part = 0; part < parts; part++) {
                block(call, buf, 0, n, g, b, part);
            }
        }
    }

    private void block(CallData call, float[] buf, int task) {
        int part = task % parts, rest = task / parts;
        int b = rest % blocks, ng = rest / blocks, g = ng % spec.groups(), n = ng / spec.groups();
        block(call, buf, (n * spec.c() + g * spec.cPerGroup()) * layout.planeLen, n, g, b, part);
    }

    /**
     * Rows {@code part} x columns {@code b} of the wide output of image n, group g, whose input
     * planes start at {@code buf[base]}.
     */
    private void block(CallData call, float[] buf, int base, int n, int g, int b, int part) {
        int t0 = blockStart(b), cols = blockStart(b + 1) - t0;
        int k0 = part * kPerPart, rows = Math.min(m, k0 + kPerPart) - k0;
        // Accumulators start from the bias: the store then only copies the output rows' runs
        // (14 values each on a 14x14 map, where adding the bias run by run took a fifth of the call).
        float[][] c = Workspace.rowsStartingAt(Workspace.Rows.ACC, rows, cols, call.bias(), g * m + k0);
        WeightPanels wp = panels;
        for (int ch = 0; ch < chunkOffsets.length; ch++) {
            int[] offsets = chunkOffsets[ch];
            WeightPanels.gemm(wp, kernels, call.wt(), m, depth, g, k0, ch * chunk, rows, offsets.length, cols, buf,
                    offsets, base + t0, c);
        }
        store(call, c, n, g * m + k0, rows, t0, cols);
    }

    /**
     * The columns of the wide block that are real output pixels, after the post-ops; the values
     * hold their bias already. The common chains are applied as the runs are copied; other post-ops
     * without a sum, and hardswish, run over each whole wide row at once (the dropped columns too),
     * not run by run ({@link Epilogue#postOpsOnWholeRows}).
     */
    private void store(CallData call, float[][] c, int n, int k0, int rows, int t0, int cols) {
        int oh = spec.outH(), ow = spec.outW(), phaseW = layout.phaseW;
        int t1 = Math.min(t0 + cols, oh * phaseW);
        Epilogue epilogue = call.epilogue();
        boolean wholeRows = epilogue.postOpsOnWholeRows();
        for (int i = 0; i < rows; i++) {
            int k = k0 + i;
            int dst = (n * spec.k() + k) * oh * ow;
            if (wholeRows) {
                epilogue.applyPostOps(c[i], 0, t1 - t0, null);
            }
            for (int t = t0; t < t1; ) {
                int y = t / phaseW, x = t - y * phaseW;
                int end = Math.min(t1, t + phaseW - x);
                int len = Math.min(ow, x + end - t) - x;
                if (len > 0) {
                    if (wholeRows) {
                        System.arraycopy(c[i], t - t0, call.out(), dst + y * ow + x, len);
                    } else {
                        call.storeBiased(c[i], t - t0, dst + y * ow + x, len);
                    }
                }
                t = end;
            }
        }
    }

}
