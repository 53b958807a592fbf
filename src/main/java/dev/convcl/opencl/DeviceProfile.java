package dev.convcl.opencl;

import dev.convcl.Convolution;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What the kernels' default tiles are derived from, read from what a device reports: the one
 * place that turns {@link OpenClDeviceInfo} into tile sizes, used by every kernel family (GEMM,
 * depthwise, deformable, direct) for its default and its tuning candidates.
 *
 * <ul>
 *   <li>{@link #vectorWidth}: floats per vector register, from {@code CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT}
 *       (else the preferred width, else 4 on a CPU and 1 on a GPU), rounded down to 1, 2, 4, 8 or 16.
 *       On POCL's CPU device the reported width follows the host, not the target POCL compiles for
 *       ({@code POCL_KERNELLIB_NAME=avx2} on an AVX-512 host gives {@code pthread-haswell} reporting
 *       16): the LLVM CPU name in the device name caps it ({@link #targetWidth}).</li>
 *   <li>{@link #vectorRegisters}: 32 with 16-float vectors (AVX-512), else 16 (AVX, AVX2, SSE).</li>
 *   <li>{@link #accumulators}: vector accumulators a register tile may keep, the registers less four
 *       for the loaded operands (28 on AVX-512, 12 on AVX2).</li>
 *   <li>{@link #warp}: the work-items a GPU runs in lock step (32 on NVIDIA, 64 on AMD, else 16); 1 on a CPU.</li>
 *   <li>{@link #maxWorkGroup}, {@link #localMemBytes}, {@link #computeUnits}: as reported; every
 *       tile handed out fits the first two.</li>
 * </ul>
 *
 * @param cpuLike        whether the device runs a work-group as a loop (type CPU): it gets register
 *                       tiles in one-work-item groups; GPUs get work-groups of a few warps
 * @param vectorWidth    floats per vector register (1, 2, 4, 8 or 16)
 * @param vectorRegisters vector registers a work-item may use
 * @param warp           SIMD width of a GPU work-group, 1 on a CPU
 * @param computeUnits   {@code CL_DEVICE_MAX_COMPUTE_UNITS} (at least 1)
 * @param maxWorkGroup   {@code CL_DEVICE_MAX_WORK_GROUP_SIZE} (at least 1)
 * @param localMemBytes  {@code CL_DEVICE_LOCAL_MEM_SIZE}
 */
record DeviceProfile(boolean cpuLike, int vectorWidth, int vectorRegisters, int warp, int computeUnits,
                     long maxWorkGroup, long localMemBytes) {

    /** The profile of {@code device}. */
    static DeviceProfile of(OpenClDeviceInfo device) {
        boolean cpu = device.isCpu();
        int reported = device.nativeVectorWidthFloat() > 0 ? device.nativeVectorWidthFloat()
                : device.preferredVectorWidthFloat() > 0 ? device.preferredVectorWidthFloat() : cpu ? 4 : 1;
        int width = Math.min(16, Integer.highestOneBit(Math.max(1, reported)));
        if (cpu) {
            width = Math.min(width, targetWidth(device.name()).orElse(16));
        }
        int registers = width >= 16 ? 32 : 16;
        String vendor = device.vendor() == null ? "" : device.vendor().toLowerCase(Locale.ROOT);
        int warp = cpu ? 1 : vendor.contains("nvidia") ? 32
                : vendor.contains("advanced micro devices") || vendor.contains("amd") ? 64 : 16;
        return new DeviceProfile(cpu, width, registers, warp, Math.max(1, device.computeUnits()),
                Math.max(1, device.maxWorkGroup()), device.localMemBytes());
    }

    /** LLVM CPU names with AVX-512 (32 registers of 16 floats). */
    private static final List<String> AVX512 = List.of("avx512", "x86-64-v4", "knl", "knm", "cannonlake", "icelake",
            "tigerlake", "cascadelake", "cooperlake", "rocketlake", "sapphirerapids", "emeraldrapids", "graniterapids",
            "diamondrapids", "znver4", "znver5");
    /** LLVM CPU names with AVX or AVX2 but not AVX-512 (16 registers of 8 floats). */
    private static final List<String> AVX = List.of("x86-64-v3", "sandybridge", "ivybridge", "haswell", "broadwell",
            "skylake", "alderlake", "raptorlake", "meteorlake", "arrowlake", "lunarlake", "gracemont", "znver1",
            "znver2", "znver3", "bdver", "btver2");
    /** LLVM CPU names with SSE only (16 registers of 4 floats). */
    private static final List<String> SSE = List.of("x86-64-v2", "nehalem", "westmere", "core2", "penryn",
            "silvermont", "goldmont", "tremont", "btver1");

    /**
     * The vector width of the target POCL compiles for, read from the LLVM CPU name in its device
     * name ({@code pthread-haswell-...}, {@code cpu-skylake-avx512-...}); empty when the name is not
     * POCL's or the CPU is not one of the x86 targets listed.
     */
    static Optional<Integer> targetWidth(String deviceName) {
        String n = deviceName == null ? "" : deviceName.toLowerCase(Locale.ROOT);
        if (!n.startsWith("pthread-") && !n.startsWith("cpu-") && !n.startsWith("basic-")) {
            return Optional.empty();
        }
        for (String t : AVX512) {
            if (n.contains(t)) {
                return Optional.of(16);
            }
        }
        for (String t : AVX) {
            if (n.contains(t)) {
                return Optional.of(8);
            }
        }
        for (String t : SSE) {
            if (n.contains(t)) {
                return Optional.of(4);
            }
        }
        return Optional.empty();
    }

    /** Vector accumulators a register tile may keep: the registers less four for the loaded operands. */
    int accumulators() {
        return vectorRegisters - 4;
    }

    /** Whether a work-group of {@code items} work-items using {@code localBytes} bytes of local memory fits. */
    boolean fits(long items, long localBytes) {
        return items >= 1 && items <= maxWorkGroup && localBytes <= localMemBytes;
    }

    // ---------------------------------------------------------------- direct

    /**
     * The direct kernels' work-group {x, y}: on a CPU one vector of work-items along x (POCL
     * vectorises across work-items) and 4 rows; on a GPU a warp along x and up to 8 warps, at most
     * 256 work-items; never above the device's maximum.
     */
    long[] directLocalSize() {
        long x = cpuLike ? vectorWidth : warp;
        long y = cpuLike ? 4 : Math.max(1, 256 / warp);
        x = Math.max(1, Math.min(x, maxWorkGroup));
        y = Math.max(1, Math.min(y, maxWorkGroup / x));
        return new long[] {x, y};
    }

    // ---------------------------------------------------------------- gemm

    /** The GEMM tile used without a tuning entry: the first of {@link #gemmLadder} the device can run. */
    GemmConfig gemm(Convolution spec) {
        for (GemmConfig g : gemmLadder(spec)) {
            if (gemmFits(spec, g)) {
                return g;
            }
        }
        throw new IllegalStateException("no gemm tile fits " + this); // cm with ls=1 always fits
    }

    /** Whether {@code g} can run {@code spec} here: work-group, local memory, and pv's stride 1 or 2. */
    boolean gemmFits(Convolution spec, GemmConfig g) {
        return fits(g.workGroupSize(), g.localMemBytes(spec.dataType()))
                && (g.kind() != GemmConfig.Kind.PV || GemmConvPlan.pixelVectorsRun(spec));
    }

    /**
     * The GEMM tiles in order of preference for {@code spec}: the register tile sized to the
     * registers ({@link GemmDefaults#of(Convolution, boolean, int, int)}), or on a GPU local-memory
     * tiles of 256, 128, 64 and 32 work-items, then one-work-item register tiles that run anywhere.
     */
    List<GemmConfig> gemmLadder(Convolution spec) {
        GemmConfig preferred = GemmDefaults.of(spec, cpuLike, vectorWidth, accumulators(), computeUnits);
        if (cpuLike) {
            return List.of(preferred, GemmConfig.cm(vectorWidth, vectorWidth, 4, 1));
        }
        int v = Math.max(1, Math.min(4, vectorWidth));
        return List.of(preferred, GemmConfig.lm(8, 16, 32, 64, 16), GemmConfig.lm(8, 8, 32, 32, 16),
                GemmConfig.lm(4, 8, 16, 32, 8), GemmConfig.cm(v, 2 * v, 4, 1), GemmConfig.cm(1, 1, 1, 1));
    }

    // ---------------------------------------------------------------- depthwise

    /**
     * The depthwise tile used without a tuning entry, or empty when none fits the device. CPU: one
     * work-item per group with vectors of {@link #depthwiseWidth} floats (half that for outputs at
     * most 8 wide, or at most 16 wide with kernels at most 5 wide, where a full vector wastes
     * lanes), up to 4 vectors along x, and rows enough for about 16 vectors of accumulators (at
     * most 8), balanced over the output height, so each loaded input vector feeds several output
     * rows. An output row of 5 to {@link #WHOLE_ROW_VECTORS} vectors (65-112 floats wide with
     * vectors of 16) gets one tile across its whole width, rows balanced over the height, at most
     * {@link #WHOLE_ROW_ROWS}: split in tiles of 4 vectors its last tile would compute 1-3 vectors
     * (and waste the lanes past the row). Measured on POCL (docs/performance-notes.md, "Depthwise:
     * whole-row tiles"): 1.2-2.1x on 80-, 96- and 112-wide outputs with AVX-512, 1.2-1.9x with
     * AVX2, although there its 28 accumulator vectors of 16 floats are 56 of the 16 registers'
     * worth (the kernel is bound by its loads; see {@link #depthwiseWidth}). GPU: work-groups of
     * 16 x 8 work-items (fewer when the device allows fewer) of 2-wide vectors and 2 rows; for
     * kernels of {@link #HUGE_KERNEL} and more, 8 x 8 work-items of one 4-wide vector and 1 row. Every
     * tile handed out is fitted to the output ({@link KernelTile#fittedTo}: on a GPU, 1 row where
     * the output has no more rows than the group, where the second would be padding) and fits the
     * work-group and local-memory limits (else the next candidate; else none).
     */
    Optional<DepthwisePlan.Tile> depthwise(Convolution spec) {
        List<DepthwisePlan.Tile> c = depthwiseCandidates(spec);
        return c.isEmpty() ? Optional.empty() : Optional.of(c.get(0));
    }

    /**
     * The depthwise kernel's vector width on a CPU: twice the register width, at most 16. The
     * kernel is bound by its loads (from local memory, and of the weights), not by its registers:
     * on POCL's AVX2 target (pthread-haswell, 8-float registers) 16-float vectors ran the 3x3
     * layers of shapes.txt at 33-35 GFLOP/s against 18-25 for 8-float ones, and the default
     * register tile of 16 accumulator vectors (32 registers' worth there) was not slowed by it
     * ({@code convcl tune}, docs/PERFORMANCE.md).
     */
    int depthwiseWidth() {
        return Math.min(16, 2 * vectorWidth);
    }

    private DepthwisePlan.Tile depthwisePreferred(Convolution spec) {
        if (!cpuLike) {
            if (Math.max(spec.kh(), spec.kw()) >= HUGE_KERNEL && maxWorkGroup >= 64) {
                // 8x8 work-items, one row of one 4-float vector each: RepLKNet's 31x31 depthwise
                // on 56x56 ran 0.062 ms of kernel on an H200 against 0.096 on the 16x8 tile of
                // 2-float vectors and 2 rows below, `convcl tune`'s winner of 11 candidates for
                // its class (docs/performance-notes.md, "NVIDIA GPU again")
                return new DepthwisePlan.Tile(4, 1, 1, 8, 8);
            }
            int wgx = (int) Math.min(16, maxWorkGroup);
            int wgy = (int) Math.max(1, Math.min(8, maxWorkGroup / wgx));
            return new DepthwisePlan.Tile(2, 1, 2, wgx, wgy);
        }
        int w = depthwiseWidth();
        int vw = w >= 16 && (spec.outW() <= 8 || (spec.outW() <= 16 && spec.kw() <= 5)) ? w / 2 : w;
        int vectors = (spec.outW() + vw - 1) / vw;
        if (vectors > 4 && vectors <= WHOLE_ROW_VECTORS) {
            // The whole output row in one tile: no tile along x ends in a mostly empty vector.
            int rowTiles = ceilDiv(spec.outH(), WHOLE_ROW_ROWS);
            return new DepthwisePlan.Tile(vw, vectors, ceilDiv(spec.outH(), rowTiles), 1, 1);
        }
        int nv = Math.max(1, Math.min(4, vectors));
        int maxRows = Math.min(8, 16 / nv);
        int rowTiles = (spec.outH() + maxRows - 1) / maxRows;
        int th = (spec.outH() + rowTiles - 1) / rowTiles;
        return new DepthwisePlan.Tile(vw, nv, th, 1, 1);
    }

    /**
     * Output rows of the CPU default depthwise tile that covers whole output rows of 5 to
     * {@link #WHOLE_ROW_VECTORS} vectors ({@link #depthwise}).
     */
    static final int WHOLE_ROW_ROWS = 4;

    /** The kernel size from which a GPU's default depthwise tile is the one measured on 31x31 (the tuner's class {@code huge}). */
    static final int HUGE_KERNEL = 16;

    /** The most vectors a row of the CPU default depthwise tile covering whole output rows has. */
    static final int WHOLE_ROW_VECTORS = 7;

    /** Rows of {@code nv} accumulator vectors of the register width that fit the registers (at most 8). */
    private int depthwiseRows(int nv) {
        int byRegisters = (vectorRegisters - nv - 2) / nv;
        return Math.max(1, Math.min(8, Math.min(16 / nv, byRegisters)));
    }

    /** The depthwise tiles the tuner times for {@code spec}, the default first, each fitting the device. */
    List<DepthwisePlan.Tile> depthwiseCandidates(Convolution spec) {
        java.util.LinkedHashSet<DepthwisePlan.Tile> all = new java.util.LinkedHashSet<>();
        all.add(depthwisePreferred(spec));
        if (cpuLike) {
            // The shapes measured on AVX-512 (64 columns x 4 rows at most), whatever the width:
            // depthwise loops load more than they multiply, so a tile wider than the registers
            // can still win by loading each input vector for more outputs.
            addDepthwise(all, CPU_DEPTHWISE);
            int w = vectorWidth;
            for (int vw : w >= 8 ? new int[] {w, w / 2} : new int[] {w}) {
                for (int nv : new int[] {1, 2, 4}) {
                    int rows = depthwiseRows(nv);
                    all.add(new DepthwisePlan.Tile(vw, nv, rows, 1, 1));
                    if (rows >= 4) {
                        all.add(new DepthwisePlan.Tile(vw, nv, rows / 2, 1, 1));
                    }
                }
            }
        } else {
            addDepthwise(all, GPU_DEPTHWISE);
        }
        // Anything runs one work-item with a small tile, if its staged input fits.
        all.add(new DepthwisePlan.Tile(Math.min(4, vectorWidth), 1, 1, 1, 1));
        return fitting(fittedTo(all, spec), spec);
    }

    /**
     * The depthwise configuration used without a tuning entry: the first of {@link #depthwiseConfigs},
     * or empty when none fits the device.
     */
    Optional<KernelTile> depthwiseConfig(Convolution spec) {
        List<KernelTile> c = depthwiseConfigs(spec);
        return c.isEmpty() ? Optional.empty() : Optional.of(c.get(0));
    }

    /**
     * Every depthwise configuration the tuner times for {@code spec}, the default first: where
     * {@link #prefersPlane} the plane tiles first, else where {@link #prefersMap} the map tiles
     * ({@link #depthwiseMapCandidates}) first; then, where {@link #prefersRows} the row-reuse tiles ({@link #depthwiseRowsCandidates}, the
     * {@code depthwise-rows} implementation) and then the staged ones ({@link #depthwiseCandidates});
     * otherwise the staged ones, then the row-reuse ones.
     */
    List<KernelTile> depthwiseConfigs(Convolution spec) {
        List<KernelTile> all = new java.util.ArrayList<>();
        List<DepthwiseRowsPlan.Tile> rows = depthwiseRowsCandidates(spec);
        List<DepthwisePlan.Tile> staged = depthwiseCandidates(spec);
        List<DepthwisePlanePlan.Tile> plane = depthwisePlaneCandidates(spec);
        List<DepthwiseMapPlan.Tile> map = depthwiseMapCandidates(spec);
        boolean planeFirst = prefersPlane(spec);
        boolean rowsFirst = prefersRows(spec);
        boolean mapFirst = !planeFirst && !rowsFirst && prefersMap(spec);
        if (planeFirst) {
            all.addAll(plane);
        }
        if (mapFirst) {
            all.addAll(map);
        }
        if (rowsFirst) {
            all.addAll(rows);
            all.addAll(staged);
        } else {
            all.addAll(staged);
            all.addAll(rows);
        }
        if (!planeFirst) {
            all.addAll(plane);
        }
        if (!mapFirst) {
            all.addAll(map);
        }
        return all;
    }

    /**
     * The kernel size (the larger of kh and kw) from which a CPU device's default depthwise kernel
     * may be the row-reuse loop ({@link #prefersRows}).
     */
    static final int ROWS_MIN_KERNEL = 9;

    /**
     * Whether the default depthwise configuration of {@code spec} is a row-reuse tile: on a CPU
     * device, for kernels of at least {@link #ROWS_MIN_KERNEL} over output rows of at most two
     * vectors of {@link #depthwiseWidth} (32 floats with AVX2 or AVX-512), when the default register
     * tile's accumulators fit the registers ({@link #accumulators}; a vector wider than a register
     * counts as several). Measured on POCL (docs/PERFORMANCE.md, "Large depthwise kernels"): with
     * AVX-512 the unrolled taps and several channels a work-group ran RepLKNet's 27x27 on 14x14
     * 1.24-1.31x and its 13x13 on 7x7 1.02-1.17x as fast as the staged kernel, its 29x29 on 28x28
     * as fast; with AVX2, whose 16 registers hold the 14-28 accumulator registers of the 27 and 29
     * tiles only by spilling (0.9x there), only the 13x13 (7 accumulators) gained, 1.07-1.6x; on
     * 56x56 maps the staged kernel's wider tile stayed ahead on both.
     */
    boolean prefersRows(Convolution spec) {
        if (!cpuLike || Math.max(spec.kh(), spec.kw()) < ROWS_MIN_KERNEL || spec.outW() > 2 * depthwiseWidth()) {
            return false;
        }
        DepthwisePlan.Tile t = depthwisePreferred(spec);
        int registersPerVector = Math.max(1, t.vw() / vectorWidth);
        return t.th() * t.nv() * registersPerVector <= accumulators();
    }

    /**
     * The row-reuse tiles ({@code depthwise-rows}) the tuner times for {@code spec}, the preferred
     * first, each fitting the device. CPU: the preferred one has the register tile of
     * {@link #depthwise}'s CPU default and as many channels a work-group ({@link #depthwiseChannels})
     * as bring its tile to about 256 outputs; then the staged list's CPU register tiles with one
     * channel and with that count. GPU: one small tile only (the kernel runs one work-item a
     * work-group, which a GPU runs far below its width; never its default).
     */
    List<DepthwiseRowsPlan.Tile> depthwiseRowsCandidates(Convolution spec) {
        java.util.LinkedHashSet<DepthwiseRowsPlan.Tile> all = new java.util.LinkedHashSet<>();
        if (!cpuLike) {
            all.add(new DepthwiseRowsPlan.Tile(Math.max(1, Math.min(4, vectorWidth)), 1, 2, 1));
            return fitting(fittedTo(all, spec), spec);
        }
        DepthwisePlan.Tile p = depthwisePreferred(spec);
        all.add(new DepthwiseRowsPlan.Tile(p.vw(), p.nv(), p.th(), depthwiseChannels(spec, p)));
        for (DepthwisePlan.Tile t : depthwiseCandidates(spec)) {
            if (t.workGroupSize() == 1 && t.th() > 1) {
                all.add(new DepthwiseRowsPlan.Tile(t.vw(), t.nv(), t.th(), 1));
                all.add(new DepthwiseRowsPlan.Tile(t.vw(), t.nv(), t.th(), depthwiseChannels(spec, t)));
            }
        }
        return fitting(fittedTo(all, spec), spec);
    }

    /**
     * Channels a one-work-item group of register tile {@code t} computes in turn: enough that its
     * outputs inside the map come to about 256 (a 7x7 map: 4), at most 8, fewer while there would
     * be under 8 work-groups per compute unit.
     */
    int depthwiseChannels(Convolution spec, DepthwisePlan.Tile t) {
        long cols = Math.min(spec.outW(), t.tileWidth());
        long rows = Math.min(spec.outH(), t.tileHeight());
        int cb = (int) Math.max(1, Math.min(8, Integer.highestOneBit((int) Math.max(1, 256 / (cols * rows)))));
        long tiles = (long) ceilDiv(spec.outW(), t.tileWidth()) * ceilDiv(spec.outH(), t.tileHeight());
        long planes = (long) spec.n() * spec.k();
        while (cb > 1 && tiles * ((planes + cb - 1) / cb) < 8L * computeUnits) {
            cb /= 2;
        }
        return cb;
    }

    // ---------------------------------------------------------------- depthwise-plane

    /**
     * The largest share of a window's taps ({@link #planeShare}) at which a CPU device's default
     * depthwise configuration is a plane tile ({@link #prefersPlane}).
     */
    static final double PLANE_MAX_SHARE = 0.5;

    /**
     * The vector multiplies {@code depthwise_plane.cl} does for {@code spec} with vectors of
     * {@code vw} outputs, as a share of those of a kernel that runs every tap of every window over
     * vectors of the same width ({@code outH * vectors * kh * kw} a plane): per output row, the
     * kernel rows whose input row is inside the image, times, per output vector, the input columns
     * that reach one of its lanes. For RepLKNet's 13x13 on 7x7 maps with 8-wide vectors 0.29, its
     * 27x27 on 14x14 with 16-wide ones 0.27, its 29x29 on 28x28 0.69, its 31x31 on 56x56 0.97,
     * its 5x5 on 56x56 3.3 (each vector reaches kw + 15 input columns).
     */
    static double planeShare(Convolution spec, int vw) {
        long rows = 0;
        for (int oy = 0; oy < spec.outH(); oy++) {
            for (int i = 0; i < spec.kh(); i++) {
                int iy = oy - spec.padTop() + i * spec.dilH();
                if (iy >= 0 && iy < spec.h()) {
                    rows++;
                }
            }
        }
        int vectors = ceilDiv(spec.outW(), vw);
        long reach = (long) (spec.kw() - 1) * spec.dilW() + vw;
        long cols = 0;
        for (int v = 0; v < vectors; v++) {
            long lo = Math.max(0, (long) v * vw - spec.padLeft());
            long hi = Math.min(spec.w(), (long) v * vw - spec.padLeft() + reach);
            cols += Math.max(0, hi - lo);
        }
        return (double) rows * cols / ((double) spec.outH() * vectors * spec.kh() * spec.kw());
    }

    /**
     * The plane tile a CPU device prefers for {@code spec}, or empty (a GPU, a stride above 1, an
     * output row wider than {@link DepthwisePlanePlan#MAX_VECTORS} register vectors). Vectors of
     * the register width, or of the output width rounded up to a power of two when that is
     * narrower; as many rows (at most {@link DepthwisePlanePlan#MAX_ROWS}) as fill the registers
     * beside one weight vector per input column a vector reaches, or half the {@link #accumulators}
     * when that is more, balanced over the output height; as many weight vectors held at once as the
     * registers left hold (at most the columns reached); channels a work-group as
     * {@link #depthwiseChannels} counts them. AVX-512 (32 registers): 13x13 on 7x7 takes 7 rows of
     * one 8-wide vector and 7 weight vectors, 27x27 on 14x14 14 rows of one 16-wide vector and 14
     * weight vectors; AVX2 (16) the same 13x13 tile, and 3 rows of two 8-wide vectors with 8 weight
     * vectors for the 27x27.
     */
    private Optional<DepthwisePlanePlan.Tile> planePreferred(Convolution spec) {
        if (!cpuLike || spec.strideH() != 1 || spec.strideW() != 1) {
            return Optional.empty();
        }
        int vw = Math.min(vectorWidth, DepthwiseMapPlan.width(spec.outW()));
        int nv = ceilDiv(spec.outW(), vw);
        if (nv > DepthwisePlanePlan.MAX_VECTORS) {
            return Optional.empty();
        }
        int reach = (int) Math.min(spec.w(), (long) (spec.kw() - 1) * spec.dilW() + vw);
        int byRegisters = Math.max(accumulators() / 2 / nv, (vectorRegisters - 2 - reach) / nv);
        int maxRows = Math.max(1, Math.min(DepthwisePlanePlan.MAX_ROWS, byRegisters));
        int th = ceilDiv(spec.outH(), ceilDiv(spec.outH(), maxRows));
        int xc = Math.max(1, Math.min(reach, vectorRegisters - 2 - th * nv));
        return Optional.of(new DepthwisePlanePlan.Tile(vw, th, xc, planeChannels(spec, vw * nv, th)));
    }

    /** {@link #depthwiseChannels}' count for a tile of {@code cols} x {@code rows} outputs. */
    private int planeChannels(Convolution spec, int cols, int rows) {
        return depthwiseChannels(spec, new DepthwisePlan.Tile(1, cols, rows, 1, 1));
    }

    /**
     * Whether the default depthwise configuration of {@code spec} is a plane tile: on a CPU device,
     * at stride 1, when the preferred plane tile does at most {@link #PLANE_MAX_SHARE} of the
     * multiplies of running every tap ({@link #planeShare}): kernels about as large as the map,
     * whose windows are mostly padding.
     */
    boolean prefersPlane(Convolution spec) {
        Optional<DepthwisePlanePlan.Tile> t = planePreferred(spec);
        return t.isPresent() && planeShare(spec, t.get().vw()) <= PLANE_MAX_SHARE
                && fits(1, t.get().localBytes(spec));
    }

    /**
     * The plane tiles ({@code depthwise-plane}) the tuner times for {@code spec}, the preferred
     * first, each fitting the device: the preferred one, then with all output rows, half its rows
     * or half the output rows, one channel a work-group, four weight vectors at once, and vectors
     * of half the width.
     * A GPU gets one small tile, never its default (the kernel runs one work-item a work-group);
     * none at a stride above 1.
     */
    List<DepthwisePlanePlan.Tile> depthwisePlaneCandidates(Convolution spec) {
        java.util.LinkedHashSet<DepthwisePlanePlan.Tile> all = new java.util.LinkedHashSet<>();
        Optional<DepthwisePlanePlan.Tile> preferred = planePreferred(spec);
        if (preferred.isEmpty()) {
            if (!cpuLike) { // one tile that runs anywhere it fits, never the default
                all.add(new DepthwisePlanePlan.Tile(DepthwiseMapPlan.width(spec.outW()), 2, 4, 1));
            }
            return fittingPlanes(all, spec);
        }
        DepthwisePlanePlan.Tile p = preferred.get();
        all.add(p);
        all.add(new DepthwisePlanePlan.Tile(p.vw(), Math.min(spec.outH(), DepthwisePlanePlan.MAX_ROWS), p.xc(), p.cb()));
        all.add(new DepthwisePlanePlan.Tile(p.vw(), Math.max(1, p.th() / 2), p.xc(), p.cb()));
        all.add(new DepthwisePlanePlan.Tile(p.vw(), Math.min(DepthwisePlanePlan.MAX_ROWS, ceilDiv(spec.outH(), 2)),
                p.xc(), p.cb()));
        all.add(new DepthwisePlanePlan.Tile(p.vw(), p.th(), p.xc(), 1));
        all.add(new DepthwisePlanePlan.Tile(p.vw(), p.th(), Math.min(4, p.xc()), p.cb()));
        if (p.vw() >= 2) {
            all.add(new DepthwisePlanePlan.Tile(p.vw() / 2, Math.max(1, p.th() / 2), p.xc(), p.cb()));
        }
        return fittingPlanes(all, spec);
    }

    /** The tiles of {@code all} that can run {@code spec} here (stride, row width, local memory), in order. */
    private List<DepthwisePlanePlan.Tile> fittingPlanes(java.util.Collection<DepthwisePlanePlan.Tile> all,
            Convolution spec) {
        List<DepthwisePlanePlan.Tile> fitting = new java.util.ArrayList<>();
        for (DepthwisePlanePlan.Tile t : all) {
            if (t.unsuitable(spec).isEmpty() && fits(t.workGroupSize(), t.localBytes(spec))) {
                fitting.add(t);
            }
        }
        return fitting;
    }

    // ---------------------------------------------------------------- depthwise-map

    /**
     * The map tile ({@code depthwise-map}) a CPU device prefers for {@code spec}, or empty (a GPU, or a
     * map the kernel cannot run). An output row of at most 16: one vector as wide as it needs
     * ({@link DepthwiseMapPlan#width}) and the whole plane a work-item when its rows fit the
     * {@link #accumulators}, else as many rows as do; a wider row: vectors of the register width (at
     * most {@link DepthwiseMapPlan#MAX_VECTORS}) and rows for half the accumulators, which left the
     * loads room in the layers measured (56x56: 4 rows of 4 vectors of 16 ran 1.3x as fast as 7;
     * 112x112 with register rows: 2 rows of 7 vectors 1.3x as fast as 4), 3/kw of them for kernels
     * wider than 3 where the kernel builds its taps from register rows, and there at least 2 rows
     * whatever the registers (measured with AVX2's 16; a device with fewer registers spills).
     * Rows are balanced over the output height; planes a work-item as {@link #depthwiseChannels}
     * counts them (a 7x7 map: 4, 14x14: 1). None when the tile's unrolled work exceeds
     * {@link DepthwiseMapPlan#MAX_UNROLLED} (large or dilated kernels at a large stride).
     */
    private Optional<DepthwiseMapPlan.Tile> mapPreferred(Convolution spec) {
        if (!cpuLike || (long) spec.kh() * spec.kw() > DepthwiseMapPlan.MAX_TAPS) {
            return Optional.empty();
        }
        int vw;
        int nv;
        int maxRows;
        if (spec.outW() <= 16) {
            vw = DepthwiseMapPlan.width(spec.outW());
            nv = 1;
            maxRows = accumulators() / Math.max(1, vw / vectorWidth);
        } else {
            vw = vectorWidth;
            nv = ceilDiv(spec.outW(), vw);
            boolean registerRows = DepthwiseMapPlan.registerRows(spec, vw);
            int rows = accumulators() / 2 / nv;
            if (registerRows && spec.kw() > 3) {
                // wider kernels keep more weights and shifted vectors live: 5x5 on 56-wide rows ran
                // 2 rows 1.1x as fast as the staged tile, 3 rows 1.6x slower (AVX-512)
                rows = rows * 3 / spec.kw();
            }
            // register rows: at least 2 rows, so each input row loaded feeds two output rows (with
            // AVX2, 56-wide rows in 7 vectors ran 1.4x as fast with 2 rows as with 1, spilling)
            int least = registerRows ? 2 : nv <= accumulators() ? 1 : 0;
            maxRows = Math.max(least, rows);
        }
        if (nv > DepthwiseMapPlan.MAX_VECTORS || maxRows < 1) {
            return Optional.empty();
        }
        maxRows = Math.min(DepthwiseMapPlan.MAX_ROWS, maxRows);
        int th = ceilDiv(spec.outH(), ceilDiv(spec.outH(), maxRows));
        DepthwiseMapPlan.Tile t = new DepthwiseMapPlan.Tile(vw, nv, th, planeChannels(spec, spec.outW(), th));
        return DepthwiseMapPlan.unrolled(spec, t) <= DepthwiseMapPlan.MAX_UNROLLED ? Optional.of(t) : Optional.empty();
    }

    /**
     * Whether the default depthwise configuration of {@code spec} is a map tile (unless
     * {@link #prefersPlane} or {@link #prefersRows}): on a CPU device, where the preferred map tile
     * computes whole planes of output rows of at most 16 (one vector a row, as many rows as fit the
     * {@link #accumulators}, a vector wider than a register counting as several), or rows wider
     * than 16 that the kernel builds from register rows ({@link DepthwiseMapPlan#registerRows}:
     * stride 1 or 2 along x) with kernels at most {@link #MAP_WIDE_MAX_KW} wide. Measured on POCL
     * (docs/performance-notes.md, "Small depthwise maps" and "Register rows"): MobileNet's 14x14
     * and 7x7 layers 2-3.5x as fast as on the staged tiles (AVX-512); with register rows, in
     * `bench`, the stride-2 and 28-wide 3x3 layers of MobileNetV2, V3 and ShuffleNetV2 1.3-3x as
     * fast and RepLKNet's 5x5 on 56x56 1.7x, while the 56- and 112-wide stride-1 layers, bound by
     * memory there, were as fast (1.3-2x with their data in cache); with AVX2 (POCL's
     * pthread-haswell, in cache) 56-wide rows 1.4x as fast. 7x7 kernels on wide rows ran slower
     * than on the staged kernel (a reviewer's run beside a CI job): they keep it. With AVX2 a
     * 14-wide row takes two 8-float registers, and 14 rows' 28 spill from 16: there only 7x7 maps
     * (7 registers) default to it among the narrow rows.
     */
    /** The widest kernel for which {@link #prefersMap} takes the map kernel on rows wider than 16 (measured: 3 and 5). */
    static final int MAP_WIDE_MAX_KW = 5;

    boolean prefersMap(Convolution spec) {
        Optional<DepthwiseMapPlan.Tile> t = mapPreferred(spec);
        if (t.isEmpty()) {
            return false;
        }
        if (spec.outW() > 16) {
            return spec.kw() <= MAP_WIDE_MAX_KW && DepthwiseMapPlan.registerRows(spec, t.get().vw());
        }
        return t.get().nv() == 1 && t.get().th() == spec.outH();
    }

    /**
     * The map tiles ({@code depthwise-map}) the tuner times for {@code spec}, the preferred first:
     * the preferred one, then with half and twice its rows, and 1, 2 and 4 planes a work-item, each
     * within {@link DepthwiseMapPlan#MAX_UNROLLED} (its build time). A GPU gets one tile, never its
     * default (the kernel runs one work-item a work-group); none where the kernel cannot run the map.
     */
    List<DepthwiseMapPlan.Tile> depthwiseMapCandidates(Convolution spec) {
        java.util.LinkedHashSet<DepthwiseMapPlan.Tile> all = new java.util.LinkedHashSet<>();
        Optional<DepthwiseMapPlan.Tile> preferred = mapPreferred(spec);
        if (preferred.isEmpty()) {
            if (!cpuLike) { // one tile that runs anywhere it fits, never the default
                int vw = DepthwiseMapPlan.width(Math.min(16, spec.outW()));
                int nv = ceilDiv(spec.outW(), vw);
                if (nv <= DepthwiseMapPlan.MAX_VECTORS) {
                    all.add(new DepthwiseMapPlan.Tile(vw, nv, Math.min(spec.outH(), 2), 1));
                }
            }
        } else {
            DepthwiseMapPlan.Tile p = preferred.get();
            all.add(p);
            all.add(new DepthwiseMapPlan.Tile(p.vw(), p.nv(), Math.max(1, p.th() / 2), p.cb()));
            all.add(new DepthwiseMapPlan.Tile(p.vw(), p.nv(),
                    Math.min(Math.min(spec.outH(), DepthwiseMapPlan.MAX_ROWS), 2 * p.th()), p.cb()));
            for (int cb : new int[] {1, 2, 4}) {
                all.add(new DepthwiseMapPlan.Tile(p.vw(), p.nv(), p.th(), cb));
            }
        }
        List<DepthwiseMapPlan.Tile> fitting = new java.util.ArrayList<>();
        for (DepthwiseMapPlan.Tile t : all) {
            if (t.unsuitable(spec).isEmpty() && fits(t.workGroupSize(), t.localBytes(spec))
                    && DepthwiseMapPlan.unrolled(spec, t) <= DepthwiseMapPlan.MAX_UNROLLED) {
                fitting.add(t);
            }
        }
        return fitting;
    }

    /** Depthwise tiles (vw, nv, th, wgx, wgy) a CPU device tries whatever its width (see {@link #depthwiseCandidates}). */
    private static final int[][] CPU_DEPTHWISE = {{16, 4, 4, 1, 1}, {16, 2, 4, 1, 1}, {16, 2, 8, 1, 1},
        {16, 4, 2, 1, 1}, {8, 8, 4, 1, 1}, {8, 4, 4, 1, 1}, {8, 2, 8, 1, 1}};

    /** Depthwise tiles (vw, nv, th, wgx, wgy) a GPU tries: work-groups of 16 to 128 work-items. */
    private static final int[][] GPU_DEPTHWISE = {{1, 1, 1, 16, 8}, {1, 1, 4, 16, 8}, {4, 1, 2, 16, 8},
        {2, 1, 2, 32, 4}, {4, 1, 1, 8, 8}, {2, 1, 2, 8, 4}, {1, 1, 2, 4, 4}};

    private static void addDepthwise(java.util.Collection<DepthwisePlan.Tile> all, int[][] table) {
        for (int[] t : table) {
            all.add(new DepthwisePlan.Tile(t[0], t[1], t[2], t[3], t[4]));
        }
    }

    /**
     * The tiles of {@code all} as each runs {@code spec} ({@link KernelTile#fittedTo}: no vectors past
     * the output row), in order, without the repeats that makes (a tile of 4 vectors and one of 2
     * are one tile on a 28-wide output).
     */
    @SuppressWarnings("unchecked")
    private static <T extends KernelTile> java.util.Collection<T> fittedTo(java.util.Collection<T> all, Convolution spec) {
        java.util.LinkedHashSet<T> fitted = new java.util.LinkedHashSet<>();
        for (T t : all) {
            fitted.add((T) t.fittedTo(spec));
        }
        return fitted;
    }

    /** The tiles of {@code all} that fit the device for {@code spec}, in order. */
    private <T extends KernelTile> List<T> fitting(java.util.Collection<T> all, Convolution spec) {
        List<T> fitting = new java.util.ArrayList<>();
        for (T t : all) {
            if (fits(t.workGroupSize(), t.localBytes(spec))) {
                fitting.add(t);
            }
        }
        return fitting;
    }

    // ---------------------------------------------------------------- deformable

    /**
     * The deform-gemm tile used without a tuning entry, or empty when none fits. CPU: a tile of
     * {@code deform2d_cm.cl} ({@link #deformCmPreferred}: the input copied channels-last, four
     * vector loads a sample for a vector of channels); measured 2.2x faster than
     * {@code deform2d_gemm.cl}'s preferred tile on DCNv2's 64-channel 56x56 layer (POCL, AVX-512,
     * most of the gain from sampling without gathers and building the sampling table in vectors).
     * GPU: a tile of {@code deform2d_gemm.cl}, 16 register tiles of 4 pixels x 4 channels per
     * warp-sized row of work-items, as many rows as the channels need (at most 256 work-items);
     * then smaller tiles until one fits the local memory.
     */
    Optional<KernelTile> deform(Convolution spec) {
        List<KernelTile> c = deformCandidates(spec);
        return c.isEmpty() ? Optional.empty() : Optional.of(c.get(0));
    }

    /** Output pixels of a plane that one deform2d_cm.cl work-group covers whole ({@link #deformCmPreferred}). */
    static final int DEFORM_SMALL_PLANE = 64;

    /**
     * The preferred {@code deform2d_cm.cl} tile on a CPU device: the channel-vector register tile
     * of the dense GEMM (2 vectors of the register width in channels x as many pixels as the
     * registers hold beside them: 14 with AVX-512's 32 registers, 6 with AVX2's 16), one register
     * tile of pixels a work-group, as many channel tiles as the group has output channels (so each
     * sample is computed once) unless {@link #deformChannelBlocks} finds that splitting them over
     * the compute units pays, and chunks of 64 input channels (a chunk's samples of one register
     * tile, 9 x 14 x 64 floats for a 3x3 kernel, stay in a 48 KB L1). On an output plane of at most
     * {@link #DEFORM_SMALL_PLANE} pixels one work-group covers the whole plane and the channels are
     * split instead: each work-group then reads its channels' weights once, where a register tile
     * of pixels a work-group read all of them once a tile (DCNv2's 512-channel 7x7 layer, 9.4 MB of
     * weights: 1.1-1.2 against 2.2 ms, POCL, AVX-512; on 14x14 and 28x28 no gain was measured).
     */
    DeformCmPlan.Tile deformCmPreferred(Convolution spec) {
        int vw = vectorWidth;
        int kg = spec.kPerGroup();
        int mv = kg <= vw ? 1 : 2;
        int tn = Math.max(1, Math.min(DeformCmPlan.MAX_TN, (vectorRegisters - mv - 1) / mv));
        int tm = vw * mv;
        int plane = spec.outH() * spec.outW();
        int npt = plane <= DEFORM_SMALL_PLANE ? ceilDiv(plane, tn) : 1;
        long pixelTiles = (long) spec.n() * spec.groups() * ceilDiv(plane, tn * npt);
        int nkt = deformChannelBlocks(kg, tm, ceilDiv(kg, tm), pixelTiles, 2 * vectorWidth);
        return new DeformCmPlan.Tile(vw, mv, tn, npt, nkt, 64);
    }

    private DeformGemmPlan.Tile deformCpuPreferred(Convolution spec) {
        int vw = vectorWidth;
        int pv = 2;
        int kt = deformChannels(pv);
        int kg = spec.kPerGroup();
        long pixelTiles = (long) spec.n() * spec.groups() * ceilDiv(spec.outH() * spec.outW(), vw * pv);
        int nkt = deformChannelBlocks(kg, kt, nkt(kg, kt, 512), pixelTiles, deformSampleCost());
        return new DeformGemmPlan.Tile(vw, pv, 1, kt, nkt, 16, 1);
    }

    /**
     * Multiply-adds one bilinear sample costs, in output channels' worth (lanes of vector FMAs):
     * eight vector FMAs (a sample is four gathered loads, four weights and the mask, read from the
     * sampling table). On AVX-512 (16-float vectors) the sampling of a 128-channel layer took as
     * long as its multiply (dcn ResNet-18 layer 2, POCL), which this matches.
     */
    private int deformSampleCost() {
        return 8 * vectorWidth;
    }

    /**
     * Register tiles per work-group along channels: {@code nkt} (all the group's channels, each
     * sample computed once) halved while that lowers the modelled time, rounds of work-groups over
     * the compute units x (the work-group's multiply-adds per sample point + {@code sampleCost},
     * the sample's cost in output channels' worth): splitting the channels of a work-group fills
     * more compute units but samples every point once more per block, which only pays while there
     * are fewer pixel tiles than compute units.
     */
    int deformChannelBlocks(int kg, int kt, int nkt, long pixelTiles, int sampleCost) {
        int best = nkt;
        double bestCost = Double.MAX_VALUE;
        for (int n = nkt; ; n = ceilDiv(n, 2)) {
            long groups = pixelTiles * ceilDiv(kg, kt * n);
            double cost = (double) ceilDiv(groups, computeUnits) * ((long) kt * n + sampleCost);
            if (cost < bestCost) {
                best = n;
                bestCost = cost;
            }
            if (n == 1) {
                return best;
            }
        }
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** Output channels of a register tile of {@code pv} pixel vectors that fit the registers (at most 8). */
    private int deformChannels(int pv) {
        return Math.max(1, Math.min(8, (vectorRegisters - pv - 1) / pv));
    }

    /**
     * The deform-gemm tiles the tuner times for {@code spec}, the default first, each fitting the
     * device: on CPU devices {@code deform2d_cm.cl}'s (the preferred one, then half and twice its
     * pixels, one channel vector, chunks of 32 and 128 channels, all channels in one work-group,
     * twice the channels and half the pixels of a register tile)
     * and then {@code deform2d_gemm.cl}'s; on GPUs {@code deform2d_gemm.cl}'s alone.
     */
    List<KernelTile> deformCandidates(Convolution spec) {
        java.util.LinkedHashSet<KernelTile> all = new java.util.LinkedHashSet<>();
        int kg = spec.kPerGroup();
        if (cpuLike) {
            DeformCmPlan.Tile cm = deformCmPreferred(spec);
            all.add(cm);
            int tm = cm.tileChannels();
            all.add(new DeformCmPlan.Tile(cm.vw(), cm.mv(), Math.max(1, cm.tn() / 2), 2, cm.nkt(), cm.cc()));
            all.add(new DeformCmPlan.Tile(cm.vw(), cm.mv(), cm.tn(), 2, cm.nkt(), cm.cc()));
            all.add(new DeformCmPlan.Tile(cm.vw(), 1, Math.min(DeformCmPlan.MAX_TN, 2 * cm.tn()), 1,
                    ceilDiv(kg, cm.vw()), cm.cc()));
            all.add(new DeformCmPlan.Tile(cm.vw(), cm.mv(), cm.tn(), 1, cm.nkt(), 32));
            all.add(new DeformCmPlan.Tile(cm.vw(), cm.mv(), cm.tn(), 1, cm.nkt(), 128));
            all.add(new DeformCmPlan.Tile(cm.vw(), cm.mv(), cm.tn(), 1, ceilDiv(kg, tm), cm.cc()));
            int tn = Math.max(1, cm.tn() / 2);
            int plane = spec.outH() * spec.outW();
            all.add(new DeformCmPlan.Tile(cm.vw(), 2 * cm.mv(), tn, plane <= DEFORM_SMALL_PLANE ? ceilDiv(plane, tn) : 1,
                    Math.max(1, cm.nkt() / 2), cm.cc()));
            all.add(deformCpuPreferred(spec));
            int w = vectorWidth;
            int half = Math.min(w, 8);
            for (int vw : w > half ? new int[] {half, w} : new int[] {w}) {
                for (int pv : new int[] {1, 2}) {
                    int kt = deformChannels(pv);
                    for (int channels : new int[] {64, 256}) {
                        all.add(new DeformGemmPlan.Tile(vw, pv, 1, kt, nkt(kg, kt, channels), 16, 1));
                    }
                }
            }
            int kt = deformChannels(2);
            all.add(new DeformGemmPlan.Tile(half, 2, 1, kt, nkt(kg, kt, 32), 8, 1));
            all.add(new DeformGemmPlan.Tile(half, 2, 1, Math.max(1, kt / 2), nkt(kg, Math.max(1, kt / 2), 128), 16, 1));
        } else {
            int rows = warp >= 32 ? 16 : 8;
            for (int[] t : new int[][] {{4, 1, rows, 4, 32, 4}, {1, 1, 2 * rows, 4, 16, 4}, {2, 1, rows, 8, 64, 4},
                    {4, 1, rows / 2, 4, 64, 8}, {2, 1, rows / 2, 4, 16, 4}, {1, 1, rows / 2, 2, 8, 2}}) {
                int n = nkt(kg, t[3], t[4]);
                long wgs = (long) t[2] * n;
                while (wgs > maxWorkGroup && n > 1) {
                    n = ceilDiv(n, 2);
                    wgs = (long) t[2] * n;
                }
                if (wgs <= maxWorkGroup) {
                    all.add(new DeformGemmPlan.Tile(t[0], t[1], t[2], t[3], n, t[5], (int) wgs));
                }
            }
        }
        all.add(new DeformGemmPlan.Tile(1, 1, 1, 1, 1, 1, 1));
        return fitting(fittedTo(all, spec), spec);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Register tiles of {@code kt} channels per work-group: enough for {@code kg}, at most {@code maxChannels}. */
    private static int nkt(int kg, int kt, int maxChannels) {
        return Math.max(1, Math.min(ceilDiv(kg, kt), maxChannels / kt));
    }
}
