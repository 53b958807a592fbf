package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Depthwise convolution ({@code groups == c}, any channel multiplier, stride, dilation and padding,
 * any batch) of a small map, the {@code depthwise-map} implementation ({@code depthwise_map.cl}):
 * a work-item computes whole output planes, {@link Tile#cb} of them in turn, one vector of
 * {@link Tile#vw} outputs per output row held in registers, reading each input row once from
 * global memory (no local-memory copy, no barrier). For outputs at most {@link Tile#vw} wide and
 * {@link #MAX_ROWS} high: MobileNet's and ShuffleNet's 14x14 and 7x7 stages, where the staged and
 * row-reuse kernels spend a plane's time on its copy and set-up. One launch per call, on the
 * call's device buffers.
 */
final class DepthwiseMapPlan extends TiledConvPlan<DepthwiseMapPlan.Tile> {
    /** The word that starts a map tile's text and tells it from the other depthwise tiles. */
    static final String PREFIX = "map";

    /** The most output rows a plane may have: the kernel keeps one accumulator vector per row. */
    static final int MAX_ROWS = 16;

    /** The most taps a kernel may have: the kernel unrolls every (input row, tap) pair. */
    static final int MAX_TAPS = 81;

    /**
     * A tile of {@code depthwise_map.cl}: its build options VW and CB. A work-item computes
     * {@code cb} (n, k) planes in turn, each output row one vector of {@code vw} outputs.
     */
    record Tile(int vw, int cb) implements KernelTile {
        /** The fields of the text form, in order. */
        static final List<String> KEYS = List.of("vw", "cb");

        Tile {
            KernelTile.checkWidth(vw);
            if (cb < 1) {
                throw new IllegalArgumentException("cb=" + cb + " must be at least 1");
            }
        }

        /** Adds the tile's -D options (VW, CB) to {@code o}. */
        @Override
        public KernelOptions addTo(KernelOptions o) {
            return o.define("VW", vw).define("CB", cb);
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
         * This tile with vectors as wide as {@code s}'s output row needs (the narrowest width of
         * {@link KernelTile#VECTOR_WIDTHS} that holds it, at most 16): a class's tile measured on
         * 14-wide rows runs 7-wide ones in vectors of 8, and the other way round.
         */
        @Override
        public Tile fittedTo(Convolution s) {
            return new Tile(width(s.outW()), cb);
        }

        /** Whether the kernel can run {@code s} with this tile (see {@link #unsuitable}). */
        @Override
        public boolean fits(Convolution s, OpenClDeviceInfo d) {
            return unsuitable(s).isEmpty() && KernelTile.super.fits(s, d);
        }

        /**
         * Why this tile cannot run {@code s} whatever the device, or empty: an output row wider than
         * {@code vw}, more than {@link #MAX_ROWS} output rows, more than {@link #MAX_TAPS} taps.
         */
        Optional<String> unsuitable(Convolution s) {
            if (s.outW() > vw) {
                return Optional.of("depthwise-map needs an output row of at most vw=" + vw + " outputs, not " + s.outW());
            }
            if (s.outH() > MAX_ROWS) {
                return Optional.of("depthwise-map needs at most " + MAX_ROWS + " output rows, not " + s.outH());
            }
            if ((long) s.kh() * s.kw() > MAX_TAPS) {
                return Optional.of("depthwise-map needs a kernel of at most " + MAX_TAPS + " taps, not "
                        + s.kh() + "x" + s.kw());
            }
            return Optional.empty();
        }

        /** Text of the form {@code map vw=16 cb=4}, which {@link #parse} reads. */
        @Override
        public String toString() {
            return TileKeys.format(PREFIX, KEYS, vw, cb);
        }

        /**
         * Reads {@link #toString()}'s form.
         *
         * @throws IllegalArgumentException naming the text and the rule
         */
        static Tile parse(String text) {
            int[] v = TileKeys.numbers(text, PREFIX, "depthwise-map", KEYS);
            return new Tile(v[0], v[1]);
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
        super(ctx, spec, tile, KernelFamily.DEPTHWISE, "depthwise_map.cl", "depthwise_map", unsupported(spec, tile),
                () -> DirectConvPlan.options(spec).define("MAP_H", spec.h()).define("MAP_W", spec.w())
                        .define("OUT_H", spec.outH()).define("OUT_W", spec.outW()));
    }

    private static String unsupported(Convolution spec, Tile tile) {
        if (!DepthwisePlan.supports(spec)) {
            return "depthwise kernel needs conv2d with groups == c";
        }
        return tile.unsuitable(spec).orElse(null);
    }

    @Override
    void setArgs(OpenClKernel kernel, Map<Arg, DeviceBuffer> b) {
        DepthwisePlan.setArgs(kernel, b, spec);
    }

    @Override
    long[] globalSize() {
        long planes = (long) spec.n() * spec.k();
        return new long[] {(planes + tile.cb() - 1) / tile.cb()};
    }

    @Override
    long[] localSize() {
        return new long[] {1};
    }
}
