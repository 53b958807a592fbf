package dev.convcl.cpu;

import dev.convcl.Convolution;
import dev.convcl.DeviceException;

/**
 * Depthwise convolution (groups == C, any channel multiplier): each input plane goes into a
 * {@link PhaseLayout} buffer and each output channel is one {@link Kernels#taps} call over the wide
 * output, whose valid columns are then stored. Padding zeros are multiplied like any value, as in
 * the reference. A task takes a run of planes and reuses its two buffers for all of them (the
 * padding stays zero: every plane fills the same interior), because at 9 taps per output
 * allocating and zeroing them per plane cost as much as the arithmetic.
 *
 * <p>At stride 1 without a sum post-op, when whole output rows of a vector multiple cost at most
 * {@link #DIRECT_EXTRA_LANES} more lanes than the wide row, the rows are written straight into the
 * output ("direct"): each row's vectors spill past its end onto the next row's start, which that
 * row then overwrites, and only the last row of a band goes through the wide buffer; the epilogue
 * then runs over the band in place. That drops the copy of the rows out, which on MobileNetV2's
 * 56x56 planes at batch 32 (from memory, not the caches) took a fifth to a quarter of the time.
 *
 * <p>A plane whose buffers would exceed {@link Scratch#TILE_FLOATS} (a large image, or a large
 * padding) is cut into bands of output rows, each computed from the phase rows it reads, so the
 * working memory stays a tile per thread whatever the padding. The sums are the same, term for
 * term, so the results are too.
 */
final class DepthwiseConv extends CpuPlan {
    /** Enough tasks per thread for work stealing to even out a shared machine. */
    private static final int TASKS_PER_THREAD = 8;
    /** The widest vector of floats a Java platform has (2048-bit SVE), for bounds that hold everywhere. */
    private static final int MAX_QUANTUM = 64;
    /**
     * The share of extra lanes (whole-vector rows against the wide row) up to which output rows
     * are written straight into the output: 56-wide rows in 64 lanes against 58 a row in the wide
     * layout are 10% more.
     */
    static final double DIRECT_EXTRA_LANES = 0.125;

    private final Kernels kernels;
    private final int multiplier;
    private final long tileFloats;
    private final Geometry geo;
    private final int bands;      // bands of output rows per plane; 1: whole planes
    private final int tasks;

    /**
     * How a band of up to {@code outRows} output rows is laid out and computed: as {@code outRows}
     * rows of {@code rowLen} columns (rows mode) or as one wide row, and the floats a task holds.
     */
    private record Geometry(PhaseLayout layout, int outRows, boolean rowsMode, int rowLen, int bufferLen,
                            long floats, boolean direct, int directLen) {
        /** Output rows computed per taps call for a band of {@code count} rows. */
        int rows(int count) {
            return rowsMode ? count : 1;
        }

        /** Columns per taps row for a band of {@code count} rows, a multiple of the quantum. */
        int rowLen(int count, int q) {
            return rowsMode ? rowLen : PhaseLayout.ceilDiv(count * layout.phaseW, q) * q;
        }

        /** Where the next computed row starts in the phase buffer. */
        int rowStep() {
            return rowsMode ? layout.phaseW : 0;
        }
    }

    DepthwiseConv(Convolution spec, WorkerPool pool, Kernels kernels) {
        this(spec, pool, kernels, Scratch.TILE_FLOATS);
    }

    /** With a tile of {@code tileFloats} per task (tests cut small planes into bands with it). */
    DepthwiseConv(Convolution spec, WorkerPool pool, Kernels kernels, long tileFloats) {
        super(spec, pool, kernels);
        if (!spec.isDepthwise() || spec.isDeformable()) {
            throw new IllegalArgumentException("depthwise path needs op=conv2d with groups == c: " + spec);
        }
        this.kernels = kernels;
        KernelWarmup.startOnce(kernels);
        this.multiplier = spec.k() / spec.c();
        this.tileFloats = tileFloats;
        int oh = spec.outH();
        Geometry whole = phasesFloats(PhaseLayout.phaseRows(spec)) <= tileFloats
                ? geometry(new PhaseLayout(spec), oh) : null;
        if (whole != null && whole.floats <= tileFloats) {
            this.geo = whole;
            this.bands = 1;
        } else {
            // The most output rows whose band fits the tile (the floats grow with the rows).
            int lo = 0, hi = oh - 1;
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (bandFloats(mid) <= tileFloats) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            if (lo == 0) {
                throw new DeviceException(DeviceException.Kind.OUT_OF_RESOURCES, "one output row of the depthwise "
                        + "path reads " + phasesFloats(PhaseLayout.bandRows(spec, 1)) + " floats of padded input, "
                        + "above its tile of " + tileFloats + " floats: " + spec);
            }
            this.bands = PhaseLayout.ceilDiv(oh, lo);
            int rows = PhaseLayout.ceilDiv(oh, bands);
            this.geo = geometry(PhaseLayout.band(spec, rows), rows);
        }
        this.tasks = (int) Math.min((long) spec.n() * spec.c() * bands, (long) TASKS_PER_THREAD * pool.getParallelism());
    }

    /** Whether output rows go straight into the output on calls without a sum (for tests). */
    boolean writesRowsDirectly() {
        return geo.direct;
    }

    /** Floats of the phases when they hold {@code phaseRows} rows each. */
    private long phasesFloats(long phaseRows) {
        return phaseRows * spec.strideH() * spec.strideW() * PhaseLayout.phaseCols(spec);
    }

    /** Floats a task holds for bands of {@code outRows} output rows. */
    private long bandFloats(int outRows) {
        if (phasesFloats(PhaseLayout.bandRows(spec, outRows)) > tileFloats) {
            return Long.MAX_VALUE; // the band's phases alone exceed the tile
        }
        return geometry(PhaseLayout.band(spec, outRows), outRows).floats;
    }

    private Geometry geometry(PhaseLayout layout, int outRows) {
        int q = kernels.quantum();
        int ow = spec.outW();
        long wide = ((long) outRows * layout.phaseW + q - 1) / q * q;
        int perRow = PhaseLayout.ceilDiv(ow, q) * q;
        // Output rows one by one skip the kw-1 dropped columns of each wide row: fewer columns for
        // large kernels on small planes (RepLKNet), more when OW is just above a quantum multiple,
        // and slower when the kernels pay per row.
        boolean rowsMode = (long) outRows * perRow < wide && perRow >= kernels.minRowLength();
        int rows = rowsMode ? outRows : 1;
        int rowLen = Scratch.length(rowsMode ? perRow : wide, "a depthwise wide output row", spec);
        long step = rowsMode ? layout.phaseW : 0;
        // Direct rows (stride 1, one phase): rows of perRow lanes, phaseW apart in the buffer.
        boolean direct = spec.strideH() == 1 && spec.strideW() == 1 && perRow >= kernels.minRowLength()
                && (long) outRows * perRow <= wide + (long) (wide * DIRECT_EXTRA_LANES);
        long reach = layout.maxTapOffset + (rows - 1) * step + rowLen;
        if (direct) {
            reach = Math.max(reach, layout.maxTapOffset + (long) (outRows - 1) * layout.phaseW + perRow);
        }
        int bufferLen = Scratch.length(Math.max(layout.planeLen, reach), "a depthwise plane buffer", spec);
        Scratch.length((long) rows * rowLen, "a depthwise wide output", spec);
        long floats = bufferLen + (long) rows * rowLen + kernels.tapsScratchFloats(Math.max(rowLen, perRow));
        return new Geometry(layout, outRows, rowsMode, rowLen, bufferLen, floats, direct, perRow);
    }

    /**
     * Whether one output row's band fits the tile with any kernels, so that this path runs
     * {@code spec}; when not, its padded rows are too wide and too many (a huge stride or dilation
     * across a huge padding) and the packed GEMM runs it instead.
     */
    static boolean fits(Convolution spec) {
        long phaseW = PhaseLayout.phaseCols(spec);
        long plane = PhaseLayout.bandRows(spec, 1) * spec.strideH() * spec.strideW() * phaseW;
        // Buffer slack, wide row and the plain-Java kernels' five rows: each at most phaseW + a quantum.
        return plane + 7 * (phaseW + MAX_QUANTUM) <= Scratch.TILE_FLOATS;
    }

    @Override
    public String algorithm() {
        return "cpu-depthwise";
    }

    /** The kernels in use, {@code vector} or {@code scalar}. */
    String kernelName() {
        return kernels.name();
    }

    /** Bands of output rows per plane (1: whole planes). */
    int bands() {
        return bands;
    }

    @Override
    long scratchBytes() {
        return 4 * Math.min(tasks, pool.getParallelism()) * geo.floats;
    }

    @Override
    void run(CallData call) {
        int items = spec.n() * spec.c() * bands;
        int rows = geo.rows(geo.outRows);
        Parallel.forEach(pool, tasks, task -> {
            float[] buf = Workspace.zeroed(Workspace.Slot.BUFFER, geo.bufferLen);
            float[] wide = Workspace.zeroed(Workspace.Slot.WIDE, rows * geo.rowLen);
            int end = (int) ((long) (task + 1) * items / tasks);
            for (int item = (int) ((long) task * items / tasks); item < end; item++) {
                int plane = item / bands;
                band(call, plane / spec.c(), plane % spec.c(), item % bands, buf, wide);
            }
        });
    }

    /** Output rows of band {@code b} of plane (n, c), for every output channel of the plane. */
    private void band(CallData call, int n, int c, int b, float[] buf, float[] wide) {
        int oh = spec.outH(), ow = spec.outW(), q = kernels.quantum();
        int y0 = (int) ((long) b * oh / bands), count = (int) ((long) (b + 1) * oh / bands) - y0;
        PhaseLayout layout = geo.layout;
        int inPlane = (n * spec.c() + c) * spec.h() * spec.w();
        if (bands == 1) {
            layout.fill(call.in(), inPlane, buf, 0, kernels);
        } else {
            layout.fillRows(call.in(), inPlane, buf, 0, y0, kernels);
        }
        int kk = spec.kh() * spec.kw(), rows = geo.rows(count), rowLen = geo.rowLen(count, q);
        int srcStep = geo.rowsMode ? rowLen : layout.phaseW;
        // Without a sum, the epilogue runs once over the whole wide output (dropped columns too)
        // instead of row by row: on 7x7 and 14x14 maps its per-row calls took a sixth of the time.
        Epilogue epilogue = call.epilogue();
        boolean whole = !epilogue.hasSum();
        if (whole && geo.direct) {
            directBand(call, c, y0, count, n, buf, wide);
            return;
        }
        for (int j = 0; j < multiplier; j++) {
            int k = c * multiplier + j;
            kernels.taps(rows, rowLen, geo.rowStep(), call.wt(), k * kk, layout.tapOffsets, kk, buf, 0, wide, 0,
                    rowLen);
            int dst = ((n * spec.k() + k) * oh + y0) * ow;
            if (whole) {
                if (!epilogue.isEmpty()) {
                    epilogue.apply(wide, 0, rows * rowLen, k, call.bias(), null);
                }
                for (int y = 0; y < count; y++) {
                    System.arraycopy(wide, y * srcStep, call.out(), dst + y * ow, ow);
                }
            } else {
                for (int y = 0; y < count; y++) {
                    call.store(wide, y * srcStep, dst + y * ow, ow, k);
                }
            }
        }
    }


    /**
     * {@link #band}'s output rows written straight into the output (no sum post-op): the leading
     * rows whose {@code directLen} lanes end inside the band in one taps call, each spilling onto
     * the next rows' start (overwritten by them, written after it), the rest one by one through
     * {@code wide}, so nothing is written outside the band; then the epilogue over the band in place.
     */
    private void directBand(CallData call, int c, int y0, int count, int n, float[] buf, float[] wide) {
        int oh = spec.outH(), ow = spec.outW(), kk = spec.kh() * spec.kw(), len = geo.directLen;
        PhaseLayout layout = geo.layout;
        Epilogue epilogue = call.epilogue();
        float[] out = call.out();
        int straight = directRows(count, ow, len);
        for (int j = 0; j < multiplier; j++) {
            int k = c * multiplier + j;
            int dst = ((n * spec.k() + k) * oh + y0) * ow;
            if (straight > 0) {
                kernels.taps(straight, len, layout.phaseW, call.wt(), k * kk, layout.tapOffsets, kk, buf, 0, out, dst,
                        ow);
            }
            for (int r = straight; r < count; r++) {
                kernels.taps(1, len, 0, call.wt(), k * kk, layout.tapOffsets, kk, buf, r * layout.phaseW, wide, 0, len);
                System.arraycopy(wide, 0, out, dst + r * ow, ow);
            }
            if (!epilogue.isEmpty()) {
                call.finishInPlace(dst, count * ow, k);
            }
        }
    }

    /**
     * The leading rows of a band of {@code count} rows of {@code ow} outputs that may be written
     * as {@code len} lanes each without writing past the band: row r ends at {@code r*ow + len}.
     */
    static int directRows(int count, int ow, int len) {
        long last = ((long) count * ow - len) / ow; // the last row that ends inside the band
        return (long) count * ow < len ? 0 : (int) Math.min(count, last + 1);
    }
}
