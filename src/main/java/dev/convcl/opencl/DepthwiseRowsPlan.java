package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import java.util.List;
import java.util.Map;

/**
 * Depthwise convolution ({@code groups == c}, any channel multiplier) for large kernels, the
 * {@code depthwise-rows} implementation: {@code depthwise.cl} built with {@code ROWS=1}, one
 * work-item per work-group. Like {@link DepthwisePlan} it stages the zero-padded input of its
 * output tile in local memory and keeps {@link Tile#th} rows x {@link Tile#nv} vectors of
 * {@link Tile#vw} outputs in registers; its row-reuse loop runs the {@code kw} taps of each staged
 * row unrolled, each loaded vector feeding every output row of the tile it belongs to, and a
 * work-group computes {@link Tile#cb} channels in turn. One launch per call, on the call's device
 * buffers.
 */
final class DepthwiseRowsPlan extends TiledConvPlan<DepthwiseRowsPlan.Tile> {
    /** The word that starts a row-reuse tile's text and tells it from {@link DepthwisePlan.Tile}'s. */
    static final String PREFIX = "rows";

    /**
     * A tile shape of the row-reuse kernel: its build options VW, NV, TH, CB (WGX = WGY = 1,
     * ROWS = 1). A work-item computes {@code th} rows x {@code nv} vectors of {@code vw} outputs,
     * of {@code cb} (n, k) planes in turn.
     */
    record Tile(int vw, int nv, int th, int cb) implements KernelTile {
        /** The fields of the text form, in order. */
        static final List<String> KEYS = List.of("vw", "nv", "th", "cb");

        Tile {
            KernelTile.checkWidth(vw);
            if (nv < 1 || th < 1 || cb < 1) {
                throw new IllegalArgumentException("nv=" + nv + " th=" + th + " cb=" + cb + " must all be at least 1");
            }
        }

        /** Adds the tile's -D options (VW, NV, TH, WGX = WGY = 1, ROWS = 1, CB) to {@code o}. */
        @Override
        public KernelOptions addTo(KernelOptions o) {
            return staged().addTo(o).define("ROWS", 1).define("CB", cb);
        }

        /**
         * A class's tile fitted to {@code s}: no vectors past the output row ({@code nv} at most
         * what covers OW) and the rows balanced over OH; idempotent. Unlike the staged tile it takes
         * no rows for the vectors dropped: this kernel unrolls its taps over the rows of its tile
         * (large kernels, {@link DeviceProfile#prefersRows}), and a taller tile than the one timed
         * is a different unrolled loop, not measured.
         */
        @Override
        public Tile fittedTo(Convolution s) {
            int fitNv = Math.min(nv, Math.max(1, (s.outW() + vw - 1) / vw));
            int fitTh = DepthwisePlan.balancedRows(s.outH(), th);
            return fitNv == nv && fitTh == th ? this : new Tile(vw, fitNv, fitTh, cb);
        }

        /** The same register tile of the staged kernel, whose local memory this one uses. */
        DepthwisePlan.Tile staged() {
            return new DepthwisePlan.Tile(vw, nv, th, 1, 1);
        }

        @Override
        public int workGroupSize() {
            return 1;
        }

        @Override
        public long localBytes(Convolution s) {
            return staged().localBytes(s);
        }

        /** Text of the form {@code rows vw=16 nv=2 th=4 cb=1}, which {@link #parse} reads. */
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
            int[] v = TileKeys.numbers(text, PREFIX, "depthwise-rows", KEYS);
            return new Tile(v[0], v[1], v[2], v[3]);
        }
    }

    /**
     * The row-reuse tiles worth trying for {@code spec} on {@code device}, the preferred first,
     * each fitting the device ({@link DeviceProfile#depthwiseRowsCandidates}; none on a GPU).
     */
    static List<Tile> candidates(Convolution spec, OpenClDeviceInfo device) {
        return DeviceProfile.of(device).depthwiseRowsCandidates(spec);
    }

    /**
     * Builds the kernel for {@code tile}.
     *
     * @throws IllegalArgumentException when {@code spec} is not depthwise conv2d or the tile's
     *                                  staged input does not fit the device's local memory
     */
    DepthwiseRowsPlan(OpenClContext ctx, Convolution spec, Tile tile) {
        this(ctx, spec, tile, "depthwise.cl");
    }

    /** As above, with the kernel read from {@code kernelFile} (a variant of depthwise.cl, for experiments). */
    DepthwiseRowsPlan(OpenClContext ctx, Convolution spec, Tile tile, String kernelFile) {
        super(ctx, spec, tile, KernelFamily.DEPTHWISE, kernelFile, "depthwise",
                DepthwisePlan.supports(spec) ? null : "depthwise kernel needs conv2d with groups == c",
                () -> DirectConvPlan.options(spec));
    }

    @Override
    void setArgs(OpenClKernel kernel, Map<Arg, DeviceBuffer> b) {
        DepthwisePlan.setArgs(kernel, b, spec);
    }

    @Override
    long[] globalSize() {
        long tw = (long) tile.vw() * tile.nv();
        long tilesX = (spec.outW() + tw - 1) / tw;
        long tilesY = (spec.outH() + tile.th() - 1) / tile.th();
        long planes = (long) spec.n() * spec.k();
        return new long[] {tilesX, tilesY, (planes + tile.cb() - 1) / tile.cb()};
    }

    @Override
    long[] localSize() {
        return new long[] {1, 1, 1};
    }
}
