package dev.convcl.cpu;

import java.lang.ref.SoftReference;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scratch arrays of the current thread, kept from one call to the next, so that a plan's tasks do
 * not allocate their tiles anew on every call.
 *
 * <p>Why: a network on the CPU path allocated about 16 MB of tiles per call at batch 1
 * (MobileNetV2). Fresh allocations keep landing on heap pages the process has not touched yet
 * while the young generation grows, and on the 2-core CI machines a first touch of a page costs
 * far more than the arithmetic: calls took 3 to 6 times their steady time, in process CPU time as
 * well as in wall time, for the first 100 to 300 calls, and again whenever the heap grew. Reused
 * arrays are touched once.
 *
 * <p>Every array handed out is zeroed over the length asked for, as a new array would be; it may be
 * longer than asked. A thread holds at most one array per {@link Slot} (a task uses each slot for
 * one purpose at a time), each behind a {@link SoftReference} so the collector can take it back
 * under memory pressure, and arrays above {@link #MAX_KEPT_FLOATS} are never kept. Arrays are
 * per thread: one handed to other threads (a buffer the caller fills and the pool's tasks read)
 * must not be asked for again by the same thread until those tasks are done, which
 * {@link Parallel#forEach} guarantees by returning only then.
 */
final class Workspace {
    /** What a task uses an array for; a task never holds two arrays of one slot at once. */
    enum Slot {
        /** A packed column panel (GEMM B). */
        PANEL,
        /** A padded or phase-split copy of input planes. */
        BUFFER,
        /** A row of outputs before they are stored (depthwise, pooling). */
        WIDE,
        /** A kernel's own accumulator row ({@link ScalarKernels}). */
        KERNEL,
        /** A tile's bilinear sampling weights ({@link DeformSampler}). */
        SAMPLES,
        /** GEMM accumulators with output channels across the lanes, pixel-major ({@link Kernels#gemmLanes}). */
        LANES,
        /** A call's own weights, transposed for the channel-lane GEMM a depth chunk at a time ({@link DeformLanesConv}). */
        WEIGHTS
    }

    /** What a task uses a block of rows for; a task never holds two blocks of one kind at once. */
    enum Rows {
        /** GEMM accumulators (C rows). */
        ACC,
        /** A kernel's own copies of B rows ({@link ScalarKernels}). */
        WINDOW
    }

    /** Largest array kept for the next call: 8 MiB; larger ones are allocated each time. */
    static final int MAX_KEPT_FLOATS = (int) (2 * Scratch.TILE_FLOATS);

    private static final ThreadLocal<Workspace> CURRENT = ThreadLocal.withInitial(Workspace::new);
    /** Floats every thread's workspace holds (an int as one, a double as two), for {@link #heldFloats}. */
    private static final AtomicLong HELD = new AtomicLong();

    @SuppressWarnings("unchecked")
    private final SoftReference<float[]>[] arrays = new SoftReference[Slot.values().length];
    private SoftReference<int[]> indices;
    private SoftReference<double[]> doubles;
    @SuppressWarnings("unchecked")
    private final SoftReference<float[][]>[] rows = new SoftReference[Rows.values().length];

    private Workspace() {
    }

    /**
     * Floats the workspaces of all threads hold or have handed out (an int as one, a double as two):
     * an array that replaces a smaller one of its slot adds the difference, one too large to keep
     * adds its length. For tests that run a plan on threads with empty workspaces and compare what
     * they hold after its call with the scratch it states ({@code CpuPlan.scratchBytes}).
     */
    static long heldFloats() {
        return HELD.get();
    }

    /**
     * An array of at least {@code length} floats, zero over {@code [0, length)}, for {@code slot} of
     * the current thread.
     */
    static float[] zeroed(Slot slot, int length) {
        return CURRENT.get().floats(slot, length, true);
    }

    /**
     * As {@link #zeroed}, without clearing a kept array: for callers that write every value they
     * read back (a column panel packed whole).
     */
    static float[] uncleared(Slot slot, int length) {
        return CURRENT.get().floats(slot, length, false);
    }

    /**
     * {@code count} arrays of at least {@code length} floats each, zero over {@code [0, length)}, for
     * {@code kind} of the current thread. The outer array has exactly {@code count} entries.
     */
    static float[][] zeroedRows(Rows kind, int count, int length) {
        return CURRENT.get().rows(kind, count, length, null, 0);
    }

    /**
     * As {@link #zeroedRows}, but row {@code i} holds {@code starts[startOff + i]} over
     * {@code [0, length)} (zero when {@code starts} is null): accumulators that start from an
     * output channel's bias, so no pass over the output adds it afterwards.
     */
    static float[][] rowsStartingAt(Rows kind, int count, int length, float[] starts, int startOff) {
        return CURRENT.get().rows(kind, count, length, starts, startOff);
    }

    /**
     * An array of at least {@code length} ints, zero over {@code [0, length)}: the current thread's
     * one int array (a tile's sample indices, {@link DeformSampler}).
     */
    static int[] zeroedIndices(int length) {
        return CURRENT.get().ints(length);
    }

    /**
     * An array of at least {@code length} doubles, zero over {@code [0, length)}: the current
     * thread's one double array (average pooling's row accumulators, {@link CpuPool2d}).
     */
    static double[] zeroedDoubles(int length) {
        return CURRENT.get().doubles(length);
    }

    private double[] doubles(int length) {
        double[] a = doubles == null ? null : doubles.get();
        if (a != null && a.length >= length) {
            Arrays.fill(a, 0, length, 0.0);
            return a;
        }
        HELD.addAndGet(2L * (length - (a == null || length > MAX_KEPT_FLOATS ? 0 : a.length)));
        a = new double[length];
        if (length <= MAX_KEPT_FLOATS) {
            doubles = new SoftReference<>(a);
        }
        return a;
    }

    private int[] ints(int length) {
        int[] a = indices == null ? null : indices.get();
        if (a != null && a.length >= length) {
            Arrays.fill(a, 0, length, 0);
            return a;
        }
        HELD.addAndGet(length - (a == null || length > MAX_KEPT_FLOATS ? 0 : a.length));
        a = new int[length];
        if (length <= MAX_KEPT_FLOATS) {
            indices = new SoftReference<>(a);
        }
        return a;
    }

    private float[] floats(Slot slot, int length, boolean clear) {
        SoftReference<float[]> ref = arrays[slot.ordinal()];
        float[] a = ref == null ? null : ref.get();
        if (a != null && a.length >= length) {
            if (clear) {
                Arrays.fill(a, 0, length, 0f);
            }
            return a;
        }
        HELD.addAndGet(length - (a == null || length > MAX_KEPT_FLOATS ? 0 : a.length));
        a = new float[length];
        if (length <= MAX_KEPT_FLOATS) {
            arrays[slot.ordinal()] = new SoftReference<>(a);
        }
        return a;
    }

    private float[][] rows(Rows kind, int count, int length, float[] starts, int startOff) {
        SoftReference<float[][]> ref = rows[kind.ordinal()];
        float[][] kept = ref == null ? null : ref.get();
        if (kept == null) {
            kept = new float[0][];
        }
        if ((long) count * length > MAX_KEPT_FLOATS) {
            float[][] fresh = new float[count][length];
            HELD.addAndGet((long) count * length);
            if (starts != null) {
                for (int i = 0; i < count; i++) {
                    Arrays.fill(fresh[i], starts[startOff + i]);
                }
            }
            return fresh;
        }
        boolean changed = false;
        if (kept.length < count) {
            kept = Arrays.copyOf(kept, count);
            changed = true;
        }
        float[][] out = new float[count][];
        for (int i = 0; i < count; i++) {
            float[] r = kept[i];
            float start = starts == null ? 0f : starts[startOff + i];
            if (r == null || r.length < length) {
                HELD.addAndGet(length - (r == null ? 0 : r.length));
                r = new float[length];
                kept[i] = r;
                changed = true;
                if (start != 0f) {
                    Arrays.fill(r, 0, length, start);
                }
            } else {
                Arrays.fill(r, 0, length, start);
            }
            out[i] = r;
        }
        if (changed) {
            rows[kind.ordinal()] = new SoftReference<>(kept);
        }
        return out;
    }
}
