package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import java.util.Map;
import java.util.List;
import java.util.Optional;

/**
 * Deformable convolution v1/v2 with {@code deform2d_gemm.cl}: per work-group tile of pixels and
 * output channels, the bilinear samples of a chunk of input channels are computed once into local
 * memory and multiplied by the weights of all the tile's output channels; then the epilogue
 * (bias, post-ops, the sum tensor). No device memory beyond the tensors themselves: a call
 * launches once on the call's device buffers.
 */
final class DeformGemmPlan extends TiledConvPlan<DeformGemmPlan.Tile> {
    /**
     * A tile shape of {@code deform2d_gemm.cl}: its build options VW, PV, NPT, KT, NKT, CC, WGS.
     * A register tile is {@code kt} output channels x {@code pv} vectors of {@code vw} pixels; a
     * work-group covers {@code npt} register tiles along pixels and {@code nkt} along channels,
     * samples {@code cc} input channels at a time, and has {@code wgs} work-items.
     */
    record Tile(int vw, int pv, int npt, int kt, int nkt, int cc, int wgs) implements KernelTile {
        /** The fields of the text form, in order ({@code wg} is {@code wgs}). */
        static final List<String> KEYS = List.of("vw", "pv", "npt", "kt", "nkt", "cc", "wg");

        Tile {
            KernelTile.checkWidth(vw);
            if (pv < 1 || npt < 1 || kt < 1 || nkt < 1 || cc < 1 || wgs < 1) {
                throw new IllegalArgumentException("pv=" + pv + " npt=" + npt + " kt=" + kt + " nkt=" + nkt
                        + " cc=" + cc + " wgs=" + wgs + " must all be at least 1");
            }
        }

        /** Adds the tile's -D options (VW, PV, NPT, KT, NKT, CC, WGS) to {@code o}. */
        @Override
        public KernelOptions addTo(KernelOptions o) {
            return o.define("VW", vw).define("PV", pv).define("NPT", npt).define("KT", kt).define("NKT", nkt)
                    .define("CC", cc).define("WGS", wgs);
        }

        @Override
        public int workGroupSize() {
            return wgs;
        }

        /** Output pixels per work-group. */
        int pixels() {
            return vw * pv * npt;
        }

        /** Output channels per work-group. */
        int channels() {
            return kt * nkt;
        }

        /**
         * Bytes of local memory the kernel declares: the sampling table (four neighbour indices and
         * a flag word as ints, four weights and the mask as reals), the columns and the accumulators.
         */
        @Override
        public long localBytes(Convolution s) {
            long table = (long) s.kh() * s.kw() * pixels();
            return Integer.BYTES * 5 * table
                    + (long) s.dataType().bytes() * (5 * table + (long) cc * table + (long) channels() * pixels());
        }

        @Override
        public String toString() {
            return TileKeys.format("", KEYS, vw, pv, npt, kt, nkt, cc, wgs);
        }

        /**
         * Reads {@link #toString()}'s form.
         *
         * @throws IllegalArgumentException naming the text and the rule
         */
        static Tile parse(String text) {
            int[] v = TileKeys.numbers(text, "", "deformable", KEYS);
            return new Tile(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
        }
    }

    static boolean supports(Convolution spec) {
        return spec.isDeformable();
    }

    /**
     * This kernel's tile shapes among those worth trying for {@code spec} on {@code device}
     * ({@link DeviceProfile#deformCandidates}, which on CPU devices puts {@link DeformCmPlan}'s
     * first), in their order, each fitting the device.
     */
    static List<Tile> candidates(Convolution spec, OpenClDeviceInfo device) {
        return DeviceProfile.of(device).deformCandidates(spec).stream()
                .filter(Tile.class::isInstance).map(Tile.class::cast).toList();
    }

    /** This kernel's first tile for {@code spec}, or empty when none fits the device. */
    static Optional<Tile> defaultTile(Convolution spec, OpenClDeviceInfo device) {
        return candidates(spec, device).stream().findFirst();
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /**
     * Builds the kernel for {@code tile} and allocates the buffers.
     *
     * @throws IllegalArgumentException when {@code spec} is not deformable or the tile does not
     *                                  fit the device
     */
    DeformGemmPlan(OpenClContext ctx, Convolution spec, Tile tile) {
        this(ctx, spec, tile, "deform2d_gemm.cl");
    }

    /** As above, with the kernel read from {@code kernelFile} (a variant of deform2d_gemm.cl, for experiments). */
    DeformGemmPlan(OpenClContext ctx, Convolution spec, Tile tile, String kernelFile) {
        super(ctx, spec, tile, KernelFamily.DEFORM, kernelFile, "deform2d_gemm",
                supports(spec) ? null : "deformable kernel needs op=deform2d",
                () -> DirectConvPlan.options(spec).define("CPOG", spec.c() / ((DeformConv2d) spec).offsetGroups()));
    }

    @Override
    void setArgs(OpenClKernel kernel, Map<Arg, DeviceBuffer> b) {
        setArgs(kernel, b.get(Arg.SRC), b.get(Arg.WEIGHTS), b, spec);
    }

    /**
     * The arguments both deformable GEMM kernels take (deform2d_gemm, deform2d_cm): {@code input}
     * (the call's, or its channels-last copy), offset, mask, {@code weights} (as given, or packed),
     * bias, sum, output, then the sizes; a role the call lacks gets a buffer the kernel does not read.
     */
    static void setArgs(OpenClKernel kernel, DeviceBuffer input, DeviceBuffer weights, Map<Arg, DeviceBuffer> b,
                        Convolution spec) {
        DeviceBuffer mask = b.get(Arg.MASK), bias = b.get(Arg.BIAS), sum = b.get(Arg.SUM);
        kernel.arg(0, input).arg(1, b.get(Arg.OFFSET))
                .arg(2, mask != null ? mask : input)
                .arg(3, weights).arg(4, bias != null ? bias : weights)
                .arg(5, sum != null ? sum : weights).arg(6, b.get(Arg.DST))
                .arg(7, spec.n()).arg(8, spec.c()).arg(9, spec.h()).arg(10, spec.w())
                .arg(11, spec.k()).arg(12, spec.outH()).arg(13, spec.outW());
    }

    @Override
    long[] globalSize() {
        long pixelTiles = ceilDiv(spec.outH() * spec.outW(), tile.pixels());
        long channelBlocks = ceilDiv(spec.kPerGroup(), tile.channels());
        return new long[] {pixelTiles * tile.wgs(), (long) spec.n() * spec.groups() * channelBlocks};
    }

    @Override
    long[] localSize() {
        return new long[] {tile.wgs(), 1};
    }
}
