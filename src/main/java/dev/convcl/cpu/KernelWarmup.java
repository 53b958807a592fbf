package dev.convcl.cpu;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs every branch of a {@link Kernels} implementation on tiny arrays, once per JVM and kernels
 * class, on a daemon thread started when the first CPU plan that uses them is compiled.
 *
 * <p>Why: the HotSpot JIT compiles {@link Kernels#gemm}, {@link Kernels#taps} and the others with only
 * the branches calls have taken so far. The first call of a new shape that takes another one (a tail
 * of 8x1 or 4x2 blocks, fewer than four vector units) makes the compiled code "not entrant" and
 * runs interpreted until C2 has compiled it again, and a Vector API method not yet compiled by C2
 * runs hundreds of times slower (each vector a heap object). On a loaded machine C2 takes a second
 * or more, so a layer met late (MobileNetV2's 28x28 and 14x14 1x1 layers: 1.5 to 4.7 ms instead
 * of 0.1 to 0.2) ran at interpreter speed for its first hundreds of calls. Warming every branch up
 * front leaves the JIT's profile complete, so no later shape deoptimizes the kernels. The work is
 * a few thousand calls on arrays of a few vectors (well under a second of one core), once.
 */
final class KernelWarmup {
    /** Calls of each kernel: above the JIT's C2 thresholds (5000 invocations, 15000 with loops); C2 had compiled all after 9000 here. */
    static final int CALLS = 12_000;

    private static final Set<Class<?>> STARTED = ConcurrentHashMap.newKeySet();
    /** The warm-up threads started, for {@link #awaitAll()}. */
    private static final Set<Thread> THREADS = ConcurrentHashMap.newKeySet();

    private KernelWarmup() {
    }

    /**
     * The shapes a warm-up call uses for kernels of quantum {@code q}, chosen so that each call
     * takes every branch: GEMM rows {@code 8 + 4 + 1} (an 8-row block, a 4-row block, a single
     * row), columns {@code 2q + q} (a two-vector block, then a one-vector tail), and taps over
     * {@code 2} rows of {@code 5q} (ten vector units: two groups of four, then two single units,
     * and a unit group spanning a row end).
     */
    record Shapes(int m, int depth, int cols, int tapRows, int tapRowLen, int taps) {
        static Shapes of(int q) {
            return new Shapes(13, 3, 3 * q, 2, 5 * q, 3);
        }
    }

    /** Starts the warm-up of {@code kernels}' class unless one was started in this JVM already. */
    static void startOnce(Kernels kernels) {
        if (!STARTED.add(kernels.getClass())) {
            return;
        }
        Thread t = new Thread(() -> run(kernels, CALLS), "convcl-cpu-kernel-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        THREADS.add(t);
        t.start();
    }

    /**
     * Waits until every warm-up started so far has finished: for tests that measure a plan's
     * steady state (its allocations) on a kernel whose own calls are too few for the JIT, as a
     * long-running caller would see it once the warm-up is done.
     */
    static void awaitAll() throws InterruptedException {
        for (Thread t : THREADS) {
            t.join();
        }
    }

    /**
     * {@code calls} calls of each kernel on the warm-up shapes; returns the last outputs (GEMM rows
     * of the widest call, then those of the same GEMM on weight panels, then taps, then blocked
     * taps, then cover rows, then blocked cover rows, then the flat taps, then the channel-lane
     * GEMM's where the kernels have it, then the pixel-major channel-lane GEMM's, the bilinear
     * channels', the 5x5 flat taps, then the nine taps), for tests.
     */
    static float[][] run(Kernels kernels, int calls) {
        Shapes s = Shapes.of(kernels.quantum());
        float[] a = ramp(s.m() * s.depth(), 0.25f);
        float[] b;
        int[] rowOffsets = new int[s.depth()];
        int inStride = s.tapRowLen() + s.taps();
        float[] in = ramp(s.tapRows() * inStride + s.taps(), 0.125f);
        float[] w = ramp(s.taps(), 1f);
        int[] tapOffsets = new int[s.taps()];
        for (int q = 0; q < s.taps(); q++) {
            tapOffsets[q] = q;
        }
        int q = kernels.quantum(), widest = s.cols() + 2 * q;
        b = ramp(s.depth() * widest, 0.5f);
        for (int r = 0; r < s.depth(); r++) {
            rowOffsets[r] = r * widest;
        }
        float[][] c = new float[s.m()][widest];
        // The same GEMM with A's 8-row blocks from panels (the rows past them from a).
        int panelRows = Math.max(1, kernels.panelRows());
        float[] ap = WeightPanels.layOut(a, 1, s.m(), s.depth(), panelRows);
        float[][] cp = new float[s.m()][widest];
        float[] out = new float[s.tapRows() * s.tapRowLen()];
        // Nine taps (a 3x3 kernel on rows of tapRowLen + 2: VectorKernels' own 3x3 loop) over the
        // same rows: two-vector steps, then a one-vector tail.
        int stride9 = s.tapRowLen() + 2;
        int[] offsets9 = new int[9];
        for (int t = 0; t < 9; t++) {
            offsets9[t] = t / 3 * stride9 + t % 3;
        }
        float[] in9 = ramp((s.tapRows() + 2) * stride9 + 2, 0.125f), w9 = ramp(9, 0.5f);
        float[] out9 = new float[s.tapRows() * s.tapRowLen()];
        // flatTaps over 3 vectors of a plane with rows of 5: the 3x3 loop, then the general one
        // (2x2, two-vector steps, then a one-vector tail).
        int flatLen = 3 * q, flatW = 5, flatFront = flatW + 1;
        float[] flatIn = ramp(2 * flatFront + flatLen + 2 * flatW, 0.25f), flatInside = new float[3 * flatLen];
        for (int j = 0; j < 3; j++) {
            for (int x = 0; x < flatLen; x++) {
                int col = x % flatW + j - 1;
                flatInside[j * flatLen + x] = col >= 0 && col < flatW ? 1f : 0f;
            }
        }
        int[] flat9 = new int[9], flat4 = {0, 1, flatW, flatW + 1};
        for (int t = 0; t < 9; t++) {
            flat9[t] = (t / 3 - 1) * flatW + t % 3 - 1;
        }
        float[] flatOut = new float[2 * flatLen];
        // ... and the 5x5 loop on the same rows of 5 (two rows and two columns each way)
        int flat25Front = 2 * flatW + 2;
        float[] flat25In = ramp(2 * flat25Front + flatLen, 0.25f), flat25Inside = new float[5 * flatLen];
        float[] w25 = ramp(25, 0.5f), flat25Out = new float[flatLen];
        int[] flat25 = new int[25];
        for (int t = 0; t < 25; t++) {
            flat25[t] = (t / 5 - 2) * flatW + t % 5 - 2;
        }
        for (int j = 0; j < 5; j++) {
            for (int x = 0; x < flatLen; x++) {
                int col = x % flatW + j - 2;
                flat25Inside[j * flatLen + x] = col >= 0 && col < flatW ? 1f : 0f;
            }
        }
        // blockedTaps over 2 kernel rows of 5 columns: a group of four columns, then one.
        int bkw = 5;
        float[] bw = ramp(2 * bkw * q, 0.5f), bin = ramp(2 * bkw * q, 0.25f), bacc = new float[q];
        // coverRows over 13 rows (an 8-row pass, a 4-row pass, a single row) of 3 input pixels.
        int coverRows = 13, coverShift = 2;
        int[] coverOff = {24, 25, 26};
        float[] cw = ramp(coverOff[2] + q, 0.5f), cout = new float[coverRows * q];
        // blockedCoverRow over 3 input pixels: 7 outputs (a 4-output pass, then the last four), then
        // 2 (one by one).
        int[] blockedCoverOff = {6 * q, 7 * q, 9 * q};
        float[] bcw = ramp(11 * q, 0.5f), bcin = ramp(3 * q, 0.25f), bcout = new float[9 * q];
        // gemmLanes over 3 vectors of channels from the third (a 1-vector block to its panel's end,
        // then a 2-vector one), then over 5 from the first (a 3-vector block, then a 2-vector one),
        // and 9 pixels (a 7-pixel block and two single ones).
        int laneM = 5 * q, lanePixels = 9;
        float[] at = ramp(s.depth() * 2 * kernels.lanePanel(), 0.25f), ct = new float[lanePixels * laneM];
        int[] laneOffsets = new int[s.depth()];
        for (int r = 0; r < s.depth(); r++) {
            laneOffsets[r] = r * lanePixels;
        }
        // gemmLanesPixelMajor over 13 pixels (two 6-pixel blocks and a single one) of a pixel-major
        // B, channels from the second vector to a panel's end (3 vectors: 2 then 1) and 6 vectors
        // from the first (a whole panel, then 2); bilinearChannels on two vectors and three values.
        int pmPixels = 13, pmLd = s.depth() + 1, pmM = 6 * q, pmPanel = kernels.pixelMajorPanel();
        float[] pmB = ramp(pmPixels * pmLd, 0.5f), pmAt = ramp(s.depth() * 2 * pmPanel, 0.25f);
        float[] pmCt = new float[pmPixels * pmM];
        int biLen = 2 * q + 3;
        float[] biSrc = ramp(3 * biLen + 2, 0.25f), biOut = new float[biLen];
        // binaryRow on a row of two vectors and three values (vector steps, then the scalar tail),
        // for every kind with each operand broadcast in turn and neither, and the epilogue's
        // stores on the same rows; for the JIT only (their results are not returned:
        // CpuOpsKernelsTest and EpilogueStoreKernelsTest check them bit for bit on their own).
        int binLen = 2 * q + 3;
        float[] binA = ramp(binLen, 0.5f), binB = ramp(binLen, 1f), binY = new float[binLen];
        int[][] binStrides = {{1, 1}, {1, 0}, {0, 1}};
        // gemmInto, finished straight into rows of a flat output: every epilogue in turn, with and
        // without a bias (an 8-row strip, then 5 rows one at a time); and finishChannels on a row.
        float[] intoOut = new float[s.m() * widest], intoSum = ramp(s.m() * widest, 0.5f), intoBias = ramp(widest, 1f);
        DirectStore[] stores = {new DirectStore(intoBias, DirectStore.NONE, 0f, 0f, null),
            new DirectStore(null, DirectStore.RELU, 0f, 0f, null), new DirectStore(intoBias, DirectStore.CLIP, 0f, 6f, null),
            new DirectStore(intoBias, DirectStore.SUM, 0f, 0f, intoSum),
            new DirectStore(null, DirectStore.SUM_RELU, 0f, 0f, intoSum),
            new DirectStore(intoBias, DirectStore.HARDSWISH, 0f, 0f, null)};
        for (int i = 0; i < calls; i++) {
            // the epilogue's one-pass hardswish, with and without a bias, into another array and in place
            kernels.hardswishStore(binA, 0, binY, 0, binLen, true, 0.5f);
            kernels.hardswishStore(binY, 0, binY, 0, binLen, false, 0f);
            for (dev.convcl.Binary.Kind kind : dev.convcl.Binary.Kind.values()) {
                for (int[] st : binStrides) {
                    kernels.binaryRow(kind, binA, 0, st[0], binB, 0, st[1], binY, 0, binLen);
                }
            }
            // 3, 4 and 5 vectors of columns: with 3-vector blocks (512-bit vectors) 8x3 alone, then
            // 8x3 + 8x1, then 8x3 + 8x2; with 2-vector blocks every tail as well.
            for (int cols = s.cols(); cols <= widest; cols += q) {
                for (float[] row : c) {
                    java.util.Arrays.fill(row, 0f);
                }
                kernels.gemm(s.m(), s.depth(), cols, a, 0, s.depth(), b, rowOffsets, 0, c);
                for (float[] row : cp) {
                    java.util.Arrays.fill(row, 0f);
                }
                kernels.gemmPanels(s.m(), s.depth(), cols, ap, 0, panelRows * s.depth(), a, 0, s.depth(), b, rowOffsets,
                        0, cp);
                DirectStore store = stores[(i + cols / q) % stores.length];
                kernels.gemmInto(s.m(), s.depth(), cols, a, 0, s.depth(), b, rowOffsets, 0, intoOut, 0, widest, store, 0);
                if (store.sum() == null) {
                    kernels.finishChannels(intoOut, 0, cols, store, 0); // vectors of channels
                }
            }
            kernels.taps(s.tapRows(), s.tapRowLen(), inStride, w, 0, tapOffsets, s.taps(), in, 0, out, 0, s.tapRowLen());
            kernels.taps(s.tapRows(), s.tapRowLen(), stride9, w9, 0, offsets9, 9, in9, 0, out9, 0, s.tapRowLen());
            java.util.Arrays.fill(bacc, 0f);
            kernels.blockedTaps(bw, 0, bkw, 0, 2, 0, bkw, bin, 0, bkw * q, q, bacc, 0);
            kernels.coverRows(coverRows, coverOff.length, in, 1, cw, 0, coverOff, coverShift, cout, 0, q);
            kernels.blockedCoverRow(7, 3, bcw, 0, blockedCoverOff, bcin, 0, bcout, 0);
            kernels.flatTaps(0, flatLen, w9, 0, 3, 3, flat9, flatInside, flatLen, flatIn, flatFront, flatOut, 0);
            kernels.flatTaps(0, flatLen, w9, 0, 2, 2, flat4, flatInside, flatLen, flatIn, flatFront, flatOut, flatLen);
            kernels.flatTaps(0, flatLen, w25, 0, 5, 5, flat25, flat25Inside, flatLen, flat25In, flat25Front, flat25Out, 0);
            kernels.blockedCoverRow(2, 3, bcw, q, blockedCoverOff, bcin, 0, bcout, 7 * q);
            java.util.Arrays.fill(pmCt, 0f);
            kernels.gemmLanesPixelMajor(pmPanel - q, s.depth(), pmPixels, pmAt, 0, s.depth(), q, pmB, 1, pmLd, pmCt, 0,
                    pmM);
            kernels.gemmLanesPixelMajor(pmM, s.depth(), pmPixels, pmAt, 0, s.depth(), 0, pmB, 0, pmLd, pmCt, 0, pmM);
            kernels.bilinearChannels(biSrc, 1, biLen, biLen + 1, 0.25f, 0.5f, -0.75f, 1.5f, biOut, 0, biLen);
            if (kernels.lanes()) {
                java.util.Arrays.fill(ct, 0f);
                kernels.gemmLanes(3 * q, s.depth(), lanePixels, at, 0, s.depth(), 2 * q, b, laneOffsets, 0, ct, 0, laneM);
                kernels.gemmLanes(laneM, s.depth(), lanePixels, at, 0, s.depth(), 0, b, laneOffsets, 0, ct, 0, laneM);
            }
        }
        int rows = 2 * s.m();
        float[][] result = new float[rows + (kernels.lanes() ? 10 : 9)][];
        System.arraycopy(c, 0, result, 0, s.m());
        System.arraycopy(cp, 0, result, s.m(), s.m());
        result[rows] = out;
        result[rows + 1] = bacc;
        result[rows + 2] = cout;
        result[rows + 3] = bcout;
        result[rows + 4] = flatOut;
        if (kernels.lanes()) {
            result[rows + 5] = ct;
        }
        result[result.length - 4] = pmCt;
        result[result.length - 3] = biOut;
        result[result.length - 2] = flat25Out;
        result[result.length - 1] = out9;
        return result;
    }

    private static float[] ramp(int n, float step) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i % 7 - 3) * step;
        }
        return v;
    }
}
