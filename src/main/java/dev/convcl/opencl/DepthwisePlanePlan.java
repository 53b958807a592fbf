package dev.convcl.opencl;

import static org.jocl.CL.CL_MEM_READ_WRITE;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import dev.convcl.spi.Memory;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jocl.CLException;

/**
 * Depthwise convolution ({@code groups == c}, any channel multiplier, dilation, batch) at stride 1
 * that multiplies only the (input pixel, tap) pairs inside the image, the {@code depthwise-plane}
 * implementation ({@code depthwise_plane.cl}): for kernels about as large as the map or larger,
 * where most taps of a window read padding. A work-item computes {@link Tile#th} output rows of
 * the whole output width in vectors of {@link Tile#vw} outputs, for {@link Tile#cb} channels in
 * turn; each input value is broadcast against a vector of the kernel row's weights, zero-padded
 * rows that {@code depthwise_plane_pack} writes into the plan's own buffer when the weights are
 * bound (and, for weights passed with a call, into a second buffer before that call's launch), so
 * that no call pads them again. One launch per call, on the call's device buffers.
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

        /** Reals of one channel's kernel rows, each zero-padded by {@code vw - 1} on both sides. */
        long paddedRowsReals(Convolution s) {
            long effective = (long) (s.kw() - 1) * s.dilW() + 1;
            return s.kh() * (effective + 2L * (vw - 1));
        }

        /** None: the padded kernel rows are read from global memory. */
        @Override
        public long localBytes(Convolution s) {
            return 0;
        }

        /**
         * Whether the kernel can run {@code s} with this tile: stride 1 and an output row of at most
         * {@link #MAX_VECTORS} vectors.
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
        // The same program as the main kernel's (built once per options): the same VW, KH, KW, DW.
        OpenClKernel p = ctx.programs().kernel(kernelFile, tile.addTo(mapOptions(spec)).toString(),
                "depthwise_plane_pack");
        try {
            this.packedBytes = (tile.paddedRowsReals(spec) + 1) * spec.k() * spec.dataType().bytes();
            this.padded = ctx.allocate("weight (padded rows)", packedBytes, CL_MEM_READ_WRITE);
        } catch (RuntimeException e) {
            p.close();
            super.close();
            throw e;
        }
        this.pack = p;
    }

    private final OpenClKernel pack;
    /** Bytes of a padded copy of the weights: every channel's rows, then a flag per channel. */
    private final long packedBytes;
    /** The bound weights' padded rows; {@link #weightsBound} once written. */
    private final DeviceBuffer padded;
    private boolean weightsBound;
    /** The padded rows of weights passed with a call, made on the first such call. */
    private DeviceBuffer callPadded;

    /** Binding the weights pads them into the plan's own buffer; the bound buffer is not kept ({@link #readsBound}). */
    @Override
    public synchronized void bind(Arg role, Memory memory) {
        if (role != Arg.WEIGHTS) {
            super.bind(role, memory);
            return;
        }
        if (!(memory instanceof DeviceBuffer b)) {
            throw new IllegalArgumentException(role.displayName() + " is not OpenCL memory: " + memory);
        }
        events.reset(); // the device time read next is the padding's alone
        padFrom(b, padded);
        weightsBound = true;
    }

    @Override
    public boolean readsBound(Arg role) {
        return role != Arg.WEIGHTS;
    }

    /** Enqueues depthwise_plane_pack from {@code weights} into {@code into}, its event in {@link #events}. */
    private void padFrom(DeviceBuffer weights, DeviceBuffer into) {
        try {
            pack.arg(0, weights).arg(1, into).arg(2, spec.k());
            events.add(pack.launch(new long[] {spec.k()}, null));
        } catch (CLException e) {
            throw OpenClErrors.translate("padding the weights of " + spec, e);
        }
    }

    @Override
    public synchronized void close() {
        super.close();
        pack.close();
        padded.close();
        if (callPadded != null) {
            callPadded.close();
        }
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

    /**
     * The kernel reads the padded rows: of the weights passed with this call (padded first, into a
     * buffer of their own so that the bound weights' stay valid for the calls after it), else of
     * the bound weights.
     */
    @Override
    void setArgs(OpenClKernel kernel, Map<Arg, DeviceBuffer> b) {
        DeviceBuffer rows;
        if (b.containsKey(Arg.WEIGHTS)) {
            if (callPadded == null) {
                callPadded = ctx.allocate("weight (padded rows, per call)", packedBytes, CL_MEM_READ_WRITE);
            }
            padFrom(b.get(Arg.WEIGHTS), callPadded);
            rows = callPadded;
        } else if (weightsBound) {
            rows = padded;
        } else {
            throw new IllegalArgumentException(Arg.WEIGHTS.displayName() + " is missing");
        }
        Map<Arg, DeviceBuffer> withRows = new EnumMap<>(b);
        withRows.put(Arg.WEIGHTS, rows);
        DepthwisePlan.setArgs(kernel, withRows, spec);
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
