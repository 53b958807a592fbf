package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Depthwise convolution ({@code groups == c}, any channel multiplier, stride, dilation and padding,
 * any batch) of a map whose output rows a few vectors hold, the {@code depthwise-map}
 * implementation ({@code depthwise_map.cl}): a work-item computes {@link Tile#th} output rows of
 * the whole width ({@link Tile#nv} vectors of {@link Tile#vw} outputs) of {@link Tile#cb} planes in
 * turn, its accumulators in registers, reading each input row of its tile once from global memory
 * (no local-memory copy, no barrier). With {@code th} the output height a work-item computes whole
 * planes and every row test is a compile-time constant: MobileNet's and ShuffleNet's 14x14 and 7x7
 * stages, where the staged and row-reuse kernels spend a plane's time on its copy and set-up. At
 * stride 1 or 2 along x each input row is loaded once as vectors and each tap is a lane shift of
 * two of them ({@link #registerRows}): on CPUs also the default for rows of up to 8 vectors
 * (MobileNet's 28- to 112-wide layers, as row tiles). One launch per call, on the call's device
 * buffers.
 */
final class DepthwiseMapPlan extends TiledConvPlan<DepthwiseMapPlan.Tile> {
    /** The word that starts a map tile's text and tells it from the other depthwise tiles. */
    static final String PREFIX = "map";

    /** The most output rows a work-item may keep (the kernel unrolls them, one accumulator row each). */
    static final int MAX_ROWS = 16;

    /** The most vectors an output row may take (the kernel unrolls them: MobileNet's 112-wide rows take 7 of 16). */
    static final int MAX_VECTORS = 8;

    /** The most taps a kernel may have: the kernel unrolls every (input row, tap) pair. */
    static final int MAX_TAPS = 81;

    /**
     * The most unrolled work ({@link #unrolled}) of a tile the device profile offers (its default
     * and the tuner's candidates; a tile asked for by name may exceed it): POCL took 0.8-3 s to
     * build the defaults of MobileNet's layers (700-1900) and 18-26 s for tiles of 5,400-5,800.
     */
    static final long MAX_UNROLLED = 2048;

    /**
     * The kernel's unrolled work for {@code t} on {@code s}, the measure of its build time: the input
     * rows a tile reads, times its vectors a row and kernel columns, times a tap's lane loads and
     * multiply-adds ({@code vw + kh}); with register rows ({@link #registerRows}) a tap's one shift
     * and its multiply-adds ({@code 1 + kh}), plus the row's vector loads. Register-row tiles of
     * 1,100-1,900 built in 1.1-1.8 s (3x3 on 128-wide rows, 16 rows; 5x5 at stride 2, 7 rows).
     */
    static long unrolled(Convolution s, Tile t) {
        long rows = (long) (t.th() - 1) * s.strideH() + (long) (s.kh() - 1) * s.dilH() + 1;
        if (registerRows(s, t.vw())) {
            return rows * ((long) t.nv() * s.kw() * (1 + s.kh()) + (s.w() + t.vw() - 1) / t.vw());
        }
        return rows * t.nv() * s.kw() * (t.vw() + s.kh());
    }

    /**
     * Whether the kernel builds its tap vectors of {@code vw} floats on {@code s} from register rows (an input
     * row loaded once as aligned vectors, each tap a constant lane shift of two of them; see
     * depthwise_map.cl): at stride 1 or 2 along x, with kernels at most {@link #REGISTER_ROWS_MAX_KW}
     * wide and vectors of 2 or more floats. The kernel also needs a clang-based compiler (POCL's,
     * Intel's CPU runtime, oclgrind's); this method assumes one, as the CPU devices the profile
     * defaults for have: elsewhere the kernel builds the same tile from lane loads, slower at
     * stride 2, and {@link #unrolled} underestimates its build.
     */
    static boolean registerRows(Convolution s, int vw) {
        return (s.strideW() == 1 || s.strideW() == 2) && s.kw() <= REGISTER_ROWS_MAX_KW && vw >= 2;
    }

    /** The widest kernel whose taps depthwise_map.cl builds from register rows (its REG_TAP list). */
    static final int REGISTER_ROWS_MAX_KW = 9;

    /**
     * A tile of {@code depthwise_map.cl}: its build options VW, NV, TH, CB. A work-item computes
     * {@code th} output rows, each {@code nv} vectors of {@code vw} outputs, of {@code cb} (n, k)
     * planes in turn.
     */
    record Tile(int vw, int nv, int th, int cb) implements KernelTile {
        /** The fields of the text form, in order. */
        static final List<String> KEYS = List.of("vw", "nv", "th", "cb");

        Tile {
            KernelTile.checkWidth(vw);
            if (nv < 1 || nv > MAX_VECTORS || th < 1 || th > MAX_ROWS || cb < 1) {
                throw new IllegalArgumentException("nv=" + nv + " th=" + th + " cb=" + cb + ": nv must be 1 to "
                        + MAX_VECTORS + ", th 1 to " + MAX_ROWS + ", cb at least 1");
            }
        }

        /** Adds the tile's -D options (VW, NV, TH, CB) to {@code o}. */
        @Override
        public KernelOptions addTo(KernelOptions o) {
            return o.define("VW", vw).define("NV", nv).define("TH", th).define("CB", cb);
        }

        @Override
        public int workGroupSize() {
            return 1;
        }

        @Override
        public long localBytes(Convolution s) {
            return 0;
        }

        /**
         * This tile as it runs {@code s}: an output row of at most 16 in one vector as wide as it
         * needs ({@link #width}: a class's tile measured on 14-wide rows runs 7-wide ones in vectors
         * of 8, and the other way round); a wider row in as many vectors of {@code vw} as it takes (at
         * most {@link #MAX_VECTORS}), with fewer rows so that the accumulators stay as many as the
         * tile was measured with ({@code nv * th}); never more rows than the output has.
         */
        @Override
        public Tile fittedTo(Convolution s) {
            int w = s.outW();
            int v = w <= 16 && (nv == 1 || w <= vw) ? width(w) : vw;
            int n = Math.max(1, Math.min(MAX_VECTORS, (w + v - 1) / v));
            int rows = n == nv ? th : Math.max(1, Math.min(MAX_ROWS, nv * th / n));
            return new Tile(v, n, Math.max(1, Math.min(rows, s.outH())), cb);
        }

        /** Whether the kernel can run {@code s} with this tile (see {@link #unsuitable}). */
        @Override
        public boolean fits(Convolution s, OpenClDeviceInfo d) {
            return unsuitable(s).isEmpty() && KernelTile.super.fits(s, d);
        }

        /**
         * Why this tile cannot run {@code s} whatever the device, or empty: an output row wider than
         * {@code vw * nv}, more rows a work-item than the output has, a kernel of more than
         * {@link #MAX_TAPS} taps.
         */
        Optional<String> unsuitable(Convolution s) {
            if (s.outW() > vw * nv) {
                return Optional.of("depthwise-map tile " + this + " needs an output row of at most " + vw * nv
                        + " outputs, not " + s.outW());
            }
            if (th > s.outH()) {
                return Optional.of("depthwise-map tile " + this + " needs at least th=" + th + " output rows, not "
                        + s.outH());
            }
            if ((long) s.kh() * s.kw() > MAX_TAPS) {
                return Optional.of("depthwise-map needs a kernel of at most " + MAX_TAPS + " taps, not "
                        + s.kh() + "x" + s.kw());
            }
            return Optional.empty();
        }

        /** Text of the form {@code map vw=16 nv=1 th=14 cb=1}, which {@link #parse} reads. */
        @Override
        public String toString() {
            return TileKeys.format(PREFIX, KEYS, vw, nv, th, cb);
        }

        /**
         * Reads {@link #toString()}'s form.
         *
         * @throws IllegalArgumentException naming the text and the rule
         */
        static Tile parse(String text) {
            int[] v = TileKeys.numbers(text, PREFIX, "depthwise-map", KEYS);
            return new Tile(v[0], v[1], v[2], v[3]);
        }
    }

    /**
     * The map tiles worth trying for {@code spec} on {@code device}, the preferred first, each
     * fitting ({@link DeviceProfile#depthwiseMapCandidates}; one on a GPU, none where the kernel
     * cannot run the map).
     */
    static List<Tile> candidates(Convolution spec, OpenClDeviceInfo device) {
        return DeviceProfile.of(device).depthwiseMapCandidates(spec);
    }

    /** The narrowest vector width (1, 2, 4, 8 or 16) that holds {@code cols} outputs; 16 past that. */
    static int width(int cols) {
        return Math.min(16, Integer.highestOneBit(Math.max(1, cols - 1)) << (cols <= 1 ? 0 : 1));
    }

    /**
     * Builds the kernel for {@code tile}.
     *
     * @throws IllegalArgumentException when {@code spec} is not depthwise conv2d or the tile cannot
     *                                  run it ({@link Tile#unsuitable})
     */
    DepthwiseMapPlan(OpenClContext ctx, Convolution spec, Tile tile) {
        super(ctx, spec, tile, KernelFamily.DEPTHWISE, "depthwise_map.cl", "depthwise_map", DepthwisePlanePlan.unsupported(spec, tile.unsuitable(spec)),
                () -> DepthwisePlanePlan.mapOptions(spec));
    }

    @Override
    void setArgs(OpenClKernel kernel, Map<Arg, DeviceBuffer> b) {
        DepthwisePlan.setArgs(kernel, b, spec);
    }

    /**
     * One dimension, a plane's row tiles in turn: a CPU runtime runs consecutive work-groups in
     * turn, so each plane's rows are read in order (depthwise_map.cl's NDRange note).
     */
    @Override
    long[] globalSize() {
        long planes = (long) spec.n() * spec.k();
        return new long[] {(spec.outH() + tile.th() - 1) / tile.th() * ((planes + tile.cb() - 1) / tile.cb())};
    }

    @Override
    long[] localSize() {
        return new long[] {1};
    }
}
