package dev.convcl.opencl;

import static org.jocl.CL.CL_MEM_READ_WRITE;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.spi.Memory;
import java.util.List;
import java.util.Map;
import org.jocl.CLException;

/**
 * Deformable convolution v1/v2 with {@code deform2d_cm.cl}, for CPU devices: the call's input is
 * first copied channels-last into the plan's own buffer ({@code deform2d_nhwc}), so that a
 * sample's four neighbours are contiguous vectors of channels instead of gathers from four
 * places of an NCHW plane; then one launch samples a chunk of channels of a tile's (kernel
 * point, pixel) pairs and multiplies them by weights packed in panels of output channels
 * ({@code deform2d_cm_pack}, once when the weights are bound, or before a call that passes its
 * own), channels in the vectors. Two launches a call (three when the call passes its own
 * weights); device memory beyond the tensors: the channels-last copy of the input
 * ({@code n*c*h*w} reals) and the packed weights (a second set once a call passes its own).
 */
final class DeformCmPlan extends TiledConvPlan<DeformCmPlan.Tile> {
    /** The word that starts a channel-vector tile's text and tells it from deform2d_gemm.cl's. */
    static final String PREFIX = "cm";

    /** The most pixels a register tile may keep (the kernel unrolls them). */
    static final int MAX_TN = 32;

    /**
     * A tile shape of {@code deform2d_cm.cl}: its build options VW, MV, TN, NPT, NKT, CC. A register
     * tile is {@code vw*mv} output channels x {@code tn} pixels; a work-group (one work-item) covers
     * {@code npt} register tiles along pixels and {@code nkt} along channels and samples {@code cc}
     * input channels at a time.
     */
    record Tile(int vw, int mv, int tn, int npt, int nkt, int cc) implements KernelTile {
        /** The fields of the text form, in order. */
        static final List<String> KEYS = List.of("vw", "mv", "tn", "npt", "nkt", "cc");

        Tile {
            KernelTile.checkWidth(vw);
            if (mv < 1 || tn < 1 || tn > MAX_TN || npt < 1 || nkt < 1 || cc < 1) {
                throw new IllegalArgumentException("mv=" + mv + " tn=" + tn + " npt=" + npt + " nkt=" + nkt
                        + " cc=" + cc + ": tn must be 1 to " + MAX_TN + ", the others at least 1");
            }
        }

        @Override
        public KernelOptions addTo(KernelOptions o) {
            return o.define("VW", vw).define("MV", mv).define("TN", tn).define("NPT", npt).define("NKT", nkt)
                    .define("CC", cc);
        }

        @Override
        public int workGroupSize() {
            return 1;
        }

        /**
         * This tile as it runs {@code s}: no more work-group pixels than the plane has ({@code npt}
         * at most the plane's register tiles), channel tiles than the group's output channels
         * need, or chunk channels than an offset group and a group share (the kernel's local
         * arrays are sized by them).
         */
        @Override
        public Tile fittedTo(Convolution s) {
            int plane = s.outH() * s.outW();
            int fitNpt = Math.max(1, Math.min(npt, ceilDiv(plane, tn)));
            int fitNkt = Math.max(1, Math.min(nkt, ceilDiv(s.kPerGroup(), tileChannels())));
            int chunk = s instanceof DeformConv2d d ? Math.min(s.cPerGroup(), s.c() / d.offsetGroups()) : s.cPerGroup();
            int fitCc = Math.max(1, Math.min(cc, chunk));
            return fitNpt == npt && fitNkt == nkt && fitCc == cc ? this : new Tile(vw, mv, tn, fitNpt, fitNkt, fitCc);
        }

        /** Output channels of a register tile. */
        int tileChannels() {
            return vw * mv;
        }

        /** Output pixels per work-group. */
        int pixels() {
            return tn * npt;
        }

        /** Output channels per work-group. */
        int channels() {
            return tileChannels() * nkt;
        }

        /**
         * The sampling table (five ints, four weights and the mask an entry, each array with
         * {@code vw} entries of slack), the columns and the accumulators.
         */
        @Override
        public long localBytes(Convolution s) {
            long entries = (long) s.kh() * s.kw() * pixels();
            long table = entries + vw;
            return Integer.BYTES * 5 * table
                    + (long) s.dataType().bytes() * (5 * table + (long) cc * entries + (long) channels() * pixels());
        }

        /** Text of the form {@code cm vw=16 mv=2 tn=14 npt=2 nkt=2 cc=64}, which {@link #parse} reads. */
        @Override
        public String toString() {
            return TileKeys.format(PREFIX, KEYS, vw, mv, tn, npt, nkt, cc);
        }

        /**
         * Reads {@link #toString()}'s form.
         *
         * @throws IllegalArgumentException naming the text and the rule
         */
        static Tile parse(String text) {
            int[] v = TileKeys.numbers(text, PREFIX, "deformable channel-vector", KEYS);
            return new Tile(v[0], v[1], v[2], v[3], v[4], v[5]);
        }
    }

    /**
     * This kernel's tile shapes among those worth trying for {@code spec} on {@code device}
     * ({@link DeviceProfile#deformCandidates}: none on a GPU), in their order, each fitting the device.
     */
    static List<Tile> candidates(Convolution spec, OpenClDeviceInfo device) {
        return DeviceProfile.of(device).deformCandidates(spec).stream()
                .filter(Tile.class::isInstance).map(Tile.class::cast).toList();
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private final OpenClKernel nhwcKernel;
    private final OpenClKernel pack;
    /** The call's input, channels last. */
    private final DeviceBuffer nhwc;
    private final long packedBytes;
    /** The bound weights' panels; {@link #weightsBound} once written. */
    private final DeviceBuffer packed;
    private boolean weightsBound;
    /** The panels of weights passed with a call, made on the first such call. */
    private DeviceBuffer callPacked;

    /**
     * Builds the kernels for {@code tile} and allocates the channels-last input and the weight panels.
     *
     * @throws IllegalArgumentException when {@code spec} is not deformable or the tile does not fit the device
     */
    DeformCmPlan(OpenClContext ctx, Convolution spec, Tile tile) {
        this(ctx, spec, tile, "deform2d_cm.cl");
    }

    /** As above, with the kernels read from {@code kernelFile} (a variant, for experiments). */
    DeformCmPlan(OpenClContext ctx, Convolution spec, Tile tile, String kernelFile) {
        super(ctx, spec, tile, KernelFamily.DEFORM, kernelFile, "deform2d_cm",
                DeformGemmPlan.supports(spec) ? null : "deformable kernel needs op=deform2d", () -> options(spec));
        String opts = tile.addTo(options(spec)).toString();
        OpenClKernel t = null;
        OpenClKernel p = null;
        DeviceBuffer in = null;
        try {
            t = ctx.programs().kernel(kernelFile, opts, "deform2d_nhwc");
            p = ctx.programs().kernel(kernelFile, opts, "deform2d_cm_pack");
            int bytes = spec.dataType().bytes();
            in = ctx.allocate("input (channels last)", (long) spec.n() * spec.c() * spec.h() * spec.w() * bytes,
                    CL_MEM_READ_WRITE);
            this.packedBytes = (long) spec.groups() * panels() * tile.tileChannels() * spec.kh() * spec.kw()
                    * spec.cPerGroup() * bytes;
            this.packed = ctx.allocate("weight (channel panels)", packedBytes, CL_MEM_READ_WRITE);
        } catch (RuntimeException e) {
            if (t != null) {
                t.close();
            }
            if (p != null) {
                p.close();
            }
            if (in != null) {
                in.close();
            }
            super.close();
            throw e;
        }
        this.nhwcKernel = t;
        this.pack = p;
        this.nhwc = in;
    }

    private static KernelOptions options(Convolution spec) {
        return DirectConvPlan.options(spec).define("CPOG", spec.c() / ((DeformConv2d) spec).offsetGroups());
    }

    /** Weight panels of {@code vw*mv} output channels a group. */
    private int panels() {
        return ceilDiv(spec.kPerGroup(), tile.tileChannels());
    }

    /** Binding the weights packs them into the plan's own panels; the bound buffer is not kept ({@link #readsBound}). */
    @Override
    public synchronized void bind(Arg role, Memory memory) {
        if (role != Arg.WEIGHTS) {
            super.bind(role, memory);
            return;
        }
        if (!(memory instanceof DeviceBuffer b)) {
            throw new IllegalArgumentException(role.displayName() + " is not OpenCL memory: " + memory);
        }
        events.reset(); // the device time read next is the packing's alone
        packFrom(b, packed);
        weightsBound = true;
    }

    @Override
    public boolean readsBound(Arg role) {
        return role != Arg.WEIGHTS;
    }

    private void packFrom(DeviceBuffer weights, DeviceBuffer into) {
        try {
            pack.arg(0, weights).arg(1, into);
            long rows = (long) spec.kh() * spec.kw() * spec.cPerGroup();
            events.add(pack.launch(new long[] {(long) panels() * tile.tileChannels(), rows, spec.groups()}, null));
        } catch (CLException e) {
            throw OpenClErrors.translate("packing the weights of " + spec, e);
        }
    }

    @Override
    void setArgs(OpenClKernel kernel, Map<Arg, DeviceBuffer> b) {
        DeviceBuffer w;
        if (b.containsKey(Arg.WEIGHTS)) {
            if (callPacked == null) {
                callPacked = ctx.allocate("weight (channel panels, per call)", packedBytes, CL_MEM_READ_WRITE);
            }
            packFrom(b.get(Arg.WEIGHTS), callPacked);
            w = callPacked;
        } else if (weightsBound) {
            w = packed;
        } else {
            throw new IllegalArgumentException(Arg.WEIGHTS.displayName() + " is missing");
        }
        int hw = spec.h() * spec.w();
        nhwcKernel.arg(0, b.get(Arg.SRC)).arg(1, nhwc).arg(2, spec.c()).arg(3, hw);
        events.add(nhwcKernel.launch(new long[] {hw, spec.n()}, null));
        DeformGemmPlan.setArgs(kernel, nhwc, w, b, spec);
    }

    @Override
    long[] globalSize() {
        long pixelTiles = ceilDiv(spec.outH() * spec.outW(), tile.pixels());
        long channelBlocks = ceilDiv(spec.kPerGroup(), tile.channels());
        return new long[] {pixelTiles, (long) spec.n() * spec.groups() * channelBlocks};
    }

    @Override
    long[] localSize() {
        return new long[] {1, 1};
    }

    @Override
    public synchronized void close() {
        super.close();
        nhwcKernel.close();
        pack.close();
        nhwc.close();
        packed.close();
        if (callPacked != null) {
            callPacked.close();
        }
    }
}
