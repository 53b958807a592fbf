package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import java.util.List;
import java.util.Map;

/**
 * Depthwise convolution ({@code groups == c}, any channel multiplier, dilation, batch) at stride 1
 * that multiplies only the (input pixel, tap) pairs inside the image, the {@code depthwise-plane}
 * implementation ({@code depthwise_plane.cl}): for kernels about as large as the map or larger,
 * where most taps of a window read padding. A work-item computes {@link Tile#th} output rows of
 * the whole output width in vectors of {@link Tile#vw} outputs, for {@link Tile#cb} channels in
 * turn; each input value is broadcast against a vector of the kernel row's weights, which the
 * kernel keeps zero-padded in local memory. One launch per call, on the call's device buffers.
 */
final class DepthwisePlanePlan extends TiledConvPlan<DepthwisePlanePlan.Tile> {
    /** The word that starts a plane tile's text and tells it from the other depthwise tiles. */
    static final String PREFIX = "plane";

    /** The most vectors an output row may take: the kernel unrolls the whole width. */
    static final int MAX_VECTORS = 4;

    /** The most output rows a work-item may keep (the kernel unrolls them). */
    static final int MAX_ROWS = 16;

    /**
     * A tile of {@code depthwise_plane.cl}: its build options VW, TH, XC, CB. A work-item computes
     * {@code th} rows of the whole output width in vectors of {@code vw} outputs, holding {@code xc}
     * weight vectors in registers at once, for {@code cb} (n, k) planes in turn.
     */
    record Tile(int vw, int th, int xc, int cb) implements KernelTile {
        /** The fields of the text form, in order. */
        static final List<String> KEYS = List.of("vw", "th", "xc", "cb");

        Tile {
            KernelTile.checkWidth(vw);
            if (th < 1 || th > MAX_ROWS || xc < 1 || cb < 1) {
                throw new IllegalArgumentException("th=" + th + " xc=" + xc + " cb=" + cb
                        + ": th must be 1 to " + MAX_ROWS + ", xc and cb at least 1");
            }
        }

        /** Adds the tile's -D options (VW, TH, XC, CB) to {@code o}. */
        @Override
        public KernelOptions addTo(KernelOptions o) {
            return o.define("VW", vw).define("TH", th).define("XC", xc).define("CB", cb);
        }

        @Override
        public int workGroupSize() {
            return 1;
        }

        /** Vectors of {@code vw} outputs an output row of {@code s} takes. */
        long vectors(Convolution s) {
            return (s.outW() + (long) vw - 1) / vw;
        }

        /** Bytes of local memory: one channel's kernel rows, zero-padded by {@code vw - 1} each side. */
        @Override
        public long localBytes(Convolution s) {
            long effective = (long) (s.kw() - 1) * s.dilW() + 1;
            return s.kh() * (effective + 2L * (vw - 1)) * s.dataType().bytes();
        }

        /**
         * Whether the kernel can run {@code s} with this tile: stride 1, an output row of at most
         * {@link #MAX_VECTORS} vectors, and the device's local memory.
         */
        @Override
        public boolean fits(Convolution s, OpenClDeviceInfo d) {
            return unsuitable(s).isEmpty() && KernelTile.super.fits(s, d);
        }

        /** Why this tile cannot run {@code s} whatever the device (stride, row width), or empty. */
        java.util.Optional<String> unsuitable(Convolution s) {
            if (s.strideH() != 1 || s.strideW() != 1) {
                return java.util.Optional.of("depthwise-plane runs stride 1 only");
            }
            if (vectors(s) > MAX_VECTORS) {
                return java.util.Optional.of("an output row of " + s.outW() + " takes more than " + MAX_VECTORS
                        + " vectors of " + vw);
            }
            return java.util.Optional.empty();
        }

        /** Text of the form {@code plane vw=16 th=14 xc=14 cb=1}, which {@link #parse} reads. */
        @Override
        public String toString() {
            return TileKeys.format(PREFIX, KEYS, vw, th, xc, cb);
        }

        /**
         * Reads {@link #toString()}'s form.
         *
         * @throws IllegalArgumentException naming the text and the rule
         */
        static Tile parse(String text) {
            int[] v = TileKeys.numbers(text, PREFIX, "depthwise-plane", KEYS);
            return new Tile(v[0], v[1], v[2], v[3]);
        }
    }

    /**
     * The plane tiles worth trying for {@code spec} on {@code device}, the preferred first, each
     * fitting ({@link DeviceProfile#depthwisePlaneCandidates}; none on a GPU or off stride 1).
     */
    static List<Tile> candidates(Convolution spec, OpenClDeviceInfo device) {
        return DeviceProfile.of(device).depthwisePlaneCandidates(spec);
    }

    /**
     * Builds the kernel for {@code tile}.
     *
     * @throws IllegalArgumentException when {@code spec} is not depthwise conv2d at stride 1, its
     *                                  output row takes more than {@link #MAX_VECTORS} vectors, or
     *                                  the padded kernel rows do not fit the device's local memory
     */
    DepthwisePlanePlan(OpenClContext ctx, Convolution spec, Tile tile) {
        this(ctx, spec, tile, "depthwise_plane.cl");
    }

    /** As above, with the kernel read from {@code kernelFile} (a variant, for experiments). */
    DepthwisePlanePlan(OpenClContext ctx, Convolution spec, Tile tile, String kernelFile) {
        super(ctx, spec, tile, KernelFamily.DEPTHWISE, kernelFile, "depthwise_plane", unsupported(spec, tile),
                () -> mapOptions(spec));
    }

    private static String unsupported(Convolution spec, Tile tile) {
        return unsupported(spec, tile.unsuitable(spec));
    }

    /**
     * Why a whole-map depthwise kernel (depthwise_plane.cl, depthwise_map.cl) cannot run
     * {@code spec}: not depthwise conv2d, else {@code tileReason}; null when it can.
     */
    static String unsupported(Convolution spec, java.util.Optional<String> tileReason) {
        if (!DepthwisePlan.supports(spec)) {
            return "depthwise kernel needs conv2d with groups == c";
        }
        return tileReason.orElse(null);
    }

    /**
     * The build options of a kernel that takes the map's sizes as constants (depthwise_plane.cl,
     * depthwise_map.cl): the direct kernels' ({@link DirectConvPlan#options}) and MAP_H, MAP_W,
     * OUT_H, OUT_W.
     */
    static KernelOptions mapOptions(Convolution spec) {
        return DirectConvPlan.options(spec).define("MAP_H", spec.h()).define("MAP_W", spec.w())
                .define("OUT_H", spec.outH()).define("OUT_W", spec.outW());
    }

    @Override
    void setArgs(OpenClKernel kernel, Map<Arg, DeviceBuffer> b) {
        DepthwisePlan.setArgs(kernel, b, spec);
    }

    @Override
    long[] globalSize() {
        long tilesY = (spec.outH() + tile.th() - 1) / tile.th();
        long planes = (long) spec.n() * spec.k();
        return new long[] {1, tilesY, (planes + tile.cb() - 1) / tile.cb()};
    }

    @Override
    long[] localSize() {
        return new long[] {1, 1, 1};
    }
}
