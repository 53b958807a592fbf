package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import java.util.Map;
import java.util.List;
import java.util.Optional;

/**
 * Depthwise convolution ({@code groups == c}, any channel multiplier) with {@code depthwise.cl}:
 * each work-group stages the zero-padded input its output tile needs in local memory, each
 * work-item accumulates a register tile of {@link Tile#th} rows x {@link Tile#nv} vectors of
 * {@link Tile#vw} outputs, then applies the epilogue (bias, post-ops, the sum tensor) to whole
 * vectors. A call launches once on the call's device buffers.
 */
final class DepthwisePlan extends TiledConvPlan<DepthwisePlan.Tile> {
    /**
     * A tile shape of {@code depthwise.cl}: its build options VW, NV, TH, WGX, WGY. A work-item
     * computes {@code th} rows x {@code nv} vectors of {@code vw} outputs; a work-group is
     * {@code wgx} x {@code wgy} work-items.
     */
    record Tile(int vw, int nv, int th, int wgx, int wgy) implements KernelTile {
        /** The fields of the text form, in order ({@code wg} is {@code wgx}x{@code wgy}). */
        static final List<String> KEYS = List.of("vw", "nv", "th", "wg");

        Tile {
            KernelTile.checkWidth(vw);
            if (nv < 1 || th < 1 || wgx < 1 || wgy < 1) {
                throw new IllegalArgumentException("nv=" + nv + " th=" + th + " wgx=" + wgx + " wgy=" + wgy
                        + " must all be at least 1");
            }
        }

        /** Adds the tile's -D options (VW, NV, TH, WGX, WGY) to {@code o}. */
        @Override
        public KernelOptions addTo(KernelOptions o) {
            return o.define("VW", vw).define("NV", nv).define("TH", th).define("WGX", wgx).define("WGY", wgy);
        }

        @Override
        public int workGroupSize() {
            return wgx * wgy;
        }

        int tileWidth() {
            return vw * nv * wgx;
        }

        /**
         * A class's tile fitted to {@code s}: a tile measured on wider outputs loses the vectors
         * past {@code s}'s output row ({@code nv} at most what covers OW), and the accumulators they
         * free go to rows ({@code th x nv} kept, at most {@code max(th, 8)} rows, as
         * {@link DeviceProfile#depthwise}'s default); the rows are then balanced over OH, so no row
         * tile computes mostly padding. Idempotent. More rows stage more input rows: with a kernel
         * much wider than tall the fitted tile can need more local memory than the tile as tuned
         * (the tuning table then uses the tile as tuned). Measured on POCL (AVX-512,
         * docs/performance-notes.md, "A class's depthwise tile on a narrower layer"): MobileNetV2's
         * 3x3 stride 2 on 56x56 (28 outputs a row) ran its class's tile {@code vw=16 nv=4 th=2}
         * (64 columns, tuned on 112x112) in 0.458 ms a call (kernel median) and the fitted
         * {@code vw=16 nv=2 th=4} in 0.161 ms.
         */
        @Override
        public Tile fittedTo(Convolution s) {
            int fitNv = Math.min(nv, Math.max(1, ceilDiv(s.outW(), vw * wgx)));
            int maxRows = fitNv < nv ? Math.max(th, Math.min(8, th * nv / fitNv)) : th;
            int fitTh = balancedRows(ceilDiv(s.outH(), wgy), maxRows);
            return fitNv == nv && fitTh == th ? this : new Tile(vw, fitNv, fitTh, wgx, wgy);
        }

        int tileHeight() {
            return th * wgy;
        }

        /** Bytes of local memory the kernel declares for this tile and spec (the staged input). */
        @Override
        public long localBytes(Convolution s) {
            long rows = (long) (tileHeight() - 1) * s.strideH() + (long) (s.kh() - 1) * s.dilH() + 1;
            long cols = (long) (tileWidth() - 1) * s.strideW() + (long) (s.kw() - 1) * s.dilW() + 1;
            long perPhase = (cols + s.strideW() - 1) / s.strideW();
            return rows * s.strideW() * perPhase * s.dataType().bytes();
        }

        @Override
        public String toString() {
            return TileKeys.format("", KEYS, vw, nv, th, wgx + "x" + wgy);
        }

        /**
         * Reads {@link #toString()}'s form.
         *
         * @throws IllegalArgumentException naming the text and the rule
         */
        static Tile parse(String text) {
            Map<String, String> f = TileKeys.fields(text, KEYS.toArray(String[]::new));
            String[] wg = f.get("wg").split("x", -1);
            if (wg.length != 2) {
                throw new IllegalArgumentException("depthwise tile '" + text + "': wg must be AxB");
            }
            return new Tile(TileKeys.number(text, f.get("vw")), TileKeys.number(text, f.get("nv")),
                    TileKeys.number(text, f.get("th")), TileKeys.number(text, wg[0]), TileKeys.number(text, wg[1]));
        }
    }

    /** Rows per tile of at most {@code maxRows}, balanced over {@code rows}: the fewest tiles, equal but for rounding. */
    static int balancedRows(int rows, int maxRows) {
        int tiles = ceilDiv(rows, maxRows);
        return ceilDiv(rows, tiles);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Whether this plan runs {@code spec}: conv2d with one input channel per group. */
    static boolean supports(Convolution spec) {
        return !spec.isDeformable() && spec.isDepthwise();
    }

    /**
     * The tile shapes worth trying for {@code spec} on {@code device}, the default first, each
     * fitting the device: {@link DeviceProfile#depthwiseCandidates}.
     */
    static List<Tile> candidates(Convolution spec, OpenClDeviceInfo device) {
        return DeviceProfile.of(device).depthwiseCandidates(spec);
    }

    /** The tile used without tuning, or empty when no tile fits the device (use the direct kernel). */
    static Optional<Tile> defaultTile(Convolution spec, OpenClDeviceInfo device) {
        return DeviceProfile.of(device).depthwise(spec);
    }

    /**
     * Builds the kernel for {@code tile} and allocates the buffers.
     *
     * @throws IllegalArgumentException when {@code spec} is not depthwise conv2d or the tile does
     *                                  not fit the device
     */
    DepthwisePlan(OpenClContext ctx, Convolution spec, Tile tile) {
        this(ctx, spec, tile, "depthwise.cl");
    }

    /** As above, with the kernel read from {@code kernelFile} (a variant of depthwise.cl, for experiments). */
    DepthwisePlan(OpenClContext ctx, Convolution spec, Tile tile, String kernelFile) {
        super(ctx, spec, tile, KernelFamily.DEPTHWISE, kernelFile, "depthwise",
                supports(spec) ? null : "depthwise kernel needs conv2d with groups == c", () -> DirectConvPlan.options(spec));
    }

    @Override
    void setArgs(OpenClKernel kernel, Map<Arg, DeviceBuffer> b) {
        setArgs(kernel, b, spec);
    }

    /** Sets depthwise.cl's arguments from the call's buffers (also {@link DepthwiseRowsPlan}'s). */
    static void setArgs(OpenClKernel kernel, Map<Arg, DeviceBuffer> b, Convolution spec) {
        kernel.arg(0, b.get(Arg.SRC)).arg(1, b.get(Arg.WEIGHTS))
                .arg(2, orElse(b, Arg.BIAS, Arg.WEIGHTS)).arg(3, orElse(b, Arg.SUM, Arg.WEIGHTS))
                .arg(4, b.get(Arg.DST))
                .arg(5, spec.n()).arg(6, spec.c()).arg(7, spec.h()).arg(8, spec.w())
                .arg(9, spec.k()).arg(10, spec.outH()).arg(11, spec.outW());
    }

    @Override
    long[] globalSize() {
        long tilesX = (spec.outW() + tile.tileWidth() - 1) / tile.tileWidth();
        long tilesY = (spec.outH() + tile.tileHeight() - 1) / tile.tileHeight();
        return new long[] {tilesX * tile.wgx(), tilesY * tile.wgy(), (long) spec.n() * spec.k()};
    }

    @Override
    long[] localSize() {
        return new long[] {tile.wgx(), tile.wgy(), 1};
    }
}
