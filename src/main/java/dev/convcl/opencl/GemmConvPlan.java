package dev.convcl.opencl;

import static org.jocl.CL.CL_MEM_READ_ONLY;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_MEM_WRITE_ONLY;
import static org.jocl.CL.CL_TRUE;
import static org.jocl.CL.clEnqueueWriteBufferRect;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;
import dev.convcl.Tensor;
import dev.convcl.spi.CompiledConv;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_event;

/**
 * Ordinary (non-depthwise) conv2d as an implicit GEMM ({@code conv2d_gemm.cl}) with one
 * {@link GemmConfig}. Buffers and kernel arguments are fixed at compile time; a call writes the
 * input into a zero-padded device layout (a rectangular write: the padding is filled once), packs
 * the weights on the device ({@code pack_weights}), runs the GEMM kernel and reads the output.
 * The plan keeps a host copy of the weights it last packed: a call whose weights are bitwise the
 * same (the common case of inference) neither sends nor packs them again.
 * {@link #lastDeviceMillis()} is the packing (0 when skipped) plus the GEMM kernel time.
 */
final class GemmConvPlan implements CompiledConv {
    static final String SOURCE = "conv2d_gemm.cl";
    /** Taps per work-item of pack_weights (PACK_R in the kernel). */
    private static final int PACK_R = 64;

    private final OpenClContext ctx;
    private final ConvSpec spec;
    private final GemmConfig config;
    private final Geometry geo;
    private final OpenClKernel pack;
    private final OpenClKernel gemm;
    private final DeviceBuffer input, weight, packed, bias, output;
    private final long[] packGlobal, packLocal, gemmGlobal, gemmLocal;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private double lastMillis = Double.NaN;
    private double lastPackMillis = Double.NaN;
    /** A copy of the weights the packed buffer holds; null when unknown. */
    private float[] packedWeights;

    /**
     * Whether the GEMM kernels are meant for {@code spec}: conv2d that is not depthwise. (They
     * compute depthwise problems correctly too, but a group of one channel is no GEMM.)
     */
    static boolean handles(ConvSpec spec) {
        return !spec.isDeformable() && !spec.isDepthwise();
    }

    /** Empty when {@code config} can run {@code spec} on {@code device}, else why not. */
    static Optional<String> unsuitableReason(ConvSpec spec, GemmConfig config, OpenClDeviceInfo device) {
        if (spec.isDeformable()) {
            return Optional.of("the gemm kernels run conv2d, not deform2d");
        }
        if (config.kind() == GemmConfig.Kind.PV && spec.strideW() != 1) {
            return Optional.of("kernel pv reads adjacent inputs and needs stride_w=1, got " + spec.strideW());
        }
        if (config.workGroupSize() > device.maxWorkGroup()) {
            return Optional.of("work-group of " + config.workGroupSize() + " exceeds the device's maximum of "
                    + device.maxWorkGroup());
        }
        if (config.localMemBytes() > device.localMemBytes()) {
            return Optional.of("local memory of " + config.localMemBytes() + " bytes exceeds the device's "
                    + device.localMemBytes());
        }
        // The kernels index the padded input and the packed weights with 32-bit ints.
        Geometry g = Geometry.of(spec, config);
        if (g.inputFloats > Integer.MAX_VALUE || g.packedFloats > Integer.MAX_VALUE) {
            return Optional.of("the padded input (" + g.inputFloats + " floats) or packed weights (" + g.packedFloats
                    + " floats) exceed the 2^31-1 elements that 32-bit indexing allows");
        }
        return Optional.empty();
    }

    GemmConvPlan(OpenClContext ctx, ConvSpec spec, GemmConfig config) {
        Optional<String> why = unsuitableReason(spec, config, ctx.info());
        if (why.isPresent()) {
            throw new IllegalArgumentException("gemm config " + config + " cannot run " + spec + ": " + why.get());
        }
        this.ctx = ctx;
        this.spec = spec;
        this.config = config;
        this.geo = Geometry.of(spec, config);
        try {
            pack = own(ctx.programs().kernel(SOURCE, "-cl-std=CL1.2 -DPACK_R=" + PACK_R, "pack_weights"));
            gemm = own(ctx.programs().kernel(SOURCE, geo.options, geo.kernelName));
            input = own(ctx.allocate("input (padded)", geo.inputFloats * 4, CL_MEM_READ_ONLY));
            weight = own(ctx.allocate("weight", spec.weightSize() * 4, CL_MEM_READ_ONLY));
            packed = own(ctx.allocate("weight (packed)", geo.packedFloats * 4, CL_MEM_READ_WRITE));
            output = own(ctx.allocate("output", spec.outputSize() * 4, CL_MEM_WRITE_ONLY));
            bias = spec.bias() ? own(ctx.allocate("bias", (long) spec.k() * 4, CL_MEM_READ_ONLY)) : null;
            if (geo.inputFloats > spec.inputSize()) {
                // The padding and the slack are never written again: zero them once.
                input.fill(0f);
            }
            int a = 0;
            int rBlocks = (geo.rp + PACK_R - 1) / PACK_R;
            pack.arg(a++, weight).arg(a++, packed).arg(a++, spec.kPerGroup()).arg(a++, geo.r).arg(a++, geo.rp)
                    .arg(a++, geo.tmPack).arg(a++, geo.mt).arg(a, rBlocks);
            // A CPU runs a work-group as a loop: groups of one keep each block's writes together.
            long packLs = GemmDefaults.cpuLike(ctx.info()) ? 1 : Math.min(32, ctx.info().maxWorkGroup());
            packLocal = new long[] {packLs, 1};
            packGlobal = new long[] {DirectConvPlan.roundUp(rBlocks, packLs), (long) spec.groups() * geo.mt};
            a = 0;
            gemm.arg(a++, input).arg(a++, packed).arg(a++, bias != null ? bias : packed).arg(a++, output)
                    .arg(a++, spec.c()).arg(a++, geo.ihp).arg(a++, geo.iwp).arg(a++, spec.k())
                    .arg(a++, spec.kPerGroup()).arg(a++, spec.cPerGroup()).arg(a++, geo.mt)
                    .arg(a++, spec.outH()).arg(a++, spec.outW());
            int flags = (spec.bias() ? 1 : 0) | (spec.relu() ? 2 : 0);
            int groupsTimesTiles = spec.groups() * geo.mt;
            if (config.kind() == GemmConfig.Kind.LM) {
                gemm.arg(a++, spec.kh()).arg(a++, spec.kw()).arg(a++, spec.strideH()).arg(a++, spec.strideW())
                        .arg(a++, spec.dilH()).arg(a++, spec.dilW()).arg(a++, geo.rp).arg(a, flags);
                long pixels = (long) spec.outH() * spec.outW();
                gemmGlobal = new long[] {DirectConvPlan.roundUp(pixels, config.tn()) / config.tn() * config.wgn(),
                        (long) groupsTimesTiles * config.wgm(), spec.n()};
                gemmLocal = new long[] {config.wgn(), config.wgm(), 1};
            } else {
                gemm.arg(a++, spec.kh()).arg(a++, spec.kw()).arg(a++, spec.strideH()).arg(a++, spec.dilH())
                        .arg(a++, spec.dilW()).arg(a++, geo.tilesPerRow)
                        .arg(a++, geo.pixTiles).arg(a++, geo.linear ? 1 : 0).arg(a, flags);
                gemmGlobal = new long[] {DirectConvPlan.roundUp(geo.pixTiles, config.ls()), groupsTimesTiles, spec.n()};
                gemmLocal = new long[] {config.ls(), 1, 1};
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
    }

    /** The plan's tile arithmetic (for tests). */
    Geometry geometry() {
        return geo;
    }

    @Override
    public String algorithm() {
        return "gemm-" + config.kind().name().toLowerCase(java.util.Locale.ROOT) + "-" + geo.tileName;
    }

    @Override
    public synchronized void execute(ConvArgs args) {
        boolean shared = args.weight().hasArray();
        float[] weights = shared ? args.weight().array() : args.weight().toArray();
        boolean repack = !Arrays.equals(packedWeights, weights);
        packedWeights = null; // unknown until this call has packed and finished
        try {
            writeInput(args.input());
            cl_event packed = null;
            if (repack) {
                weight.write(args.weight());
                packed = pack.launch(packGlobal, packLocal);
            }
            if (bias != null) {
                bias.write(args.bias());
            }
            cl_event ran = gemm.launch(gemmGlobal, gemmLocal);
            output.read(args.output());
            lastPackMillis = packed != null ? OpenClKernel.elapsedMillisAndRelease(packed) : 0;
            lastMillis = lastPackMillis + OpenClKernel.elapsedMillisAndRelease(ran);
        } catch (CLException e) {
            throw OpenClErrors.translate("running " + algorithm() + " for " + spec, e);
        }
        packedWeights = shared ? weights.clone() : weights; // never the caller's array, which may change
    }

    /** Copies the input into the interior of the padded planes (one rectangular write for all N*C planes). */
    private void writeInput(Tensor t) {
        if (!geo.padded) {
            input.write(t);
            return;
        }
        long rowBytes = (long) spec.w() * 4;
        Pointer ptr = t.hasArray() ? Pointer.to(t.array()) : Pointer.to(t.buffer());
        try {
            clEnqueueWriteBufferRect(ctx.queue(), input.mem(), CL_TRUE,
                    new long[] {(long) spec.padW() * 4, spec.padH(), 0}, new long[] {0, 0, 0},
                    new long[] {rowBytes, spec.h(), (long) spec.n() * spec.c()},
                    (long) geo.iwp * 4, (long) geo.ihp * geo.iwp * 4, rowBytes, rowBytes * spec.h(), ptr, 0, null, null);
        } catch (CLException e) {
            throw OpenClErrors.translate("writing the padded input of " + spec, e);
        }
    }

    @Override
    public double lastDeviceMillis() {
        return lastMillis;
    }

    /** The weight packing's share of {@link #lastDeviceMillis()}. */
    synchronized double lastPackMillis() {
        return lastPackMillis;
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception ignored) {
                // closing is quiet
            }
        }
        owned.clear();
    }

    /**
     * Sizes derived from a spec and a config: padded input, weight panels, pixel tiles, build
     * options. Pure arithmetic, so it can be checked without a device.
     */
    static final class Geometry {
        int ihp, iwp;
        boolean padded;
        int r, rp, tmPack, mt;
        long packedFloats;
        /** Pixel tile of the register kernels: tn pixels, in rows or along the virtual grid. */
        int tn, tilesPerRow, pixTiles;
        boolean linear;
        long inputFloats;
        String options, kernelName, tileName;

        static Geometry of(ConvSpec s, GemmConfig cfg) {
            Geometry g = new Geometry();
            g.ihp = s.h() + 2 * s.padH();
            g.iwp = s.w() + 2 * s.padW();
            long plane = (long) g.ihp * g.iwp;
            g.r = s.cPerGroup() * s.kh() * s.kw();
            g.mt = (s.kPerGroup() + cfg.tm() - 1) / cfg.tm();
            // Register tiles share a group's channels evenly (64 channels at tm=48: two tiles of 32).
            int even = (s.kPerGroup() + g.mt - 1) / g.mt;
            g.tmPack = switch (cfg.kind()) {
                case CM -> (even + cfg.vw() - 1) / cfg.vw() * cfg.vw();
                case PV -> even;
                case LM -> cfg.tm();
            };
            g.rp = cfg.kind() == GemmConfig.Kind.LM ? (g.r + cfg.bk() - 1) / cfg.bk() * cfg.bk() : g.r;
            g.packedFloats = (long) s.groups() * g.mt * g.rp * g.tmPack;
            long maxRead = (long) s.n() * s.c() * plane - 1;
            StringBuilder o = new StringBuilder("-cl-std=CL1.2");
            switch (cfg.kind()) {
                case LM -> {
                    g.kernelName = "conv2d_gemm_lm";
                    o.append(" -DWGM=").append(cfg.wgm()).append(" -DWGN=").append(cfg.wgn())
                            .append(" -DRM=").append(cfg.tm() / cfg.wgm()).append(" -DRN=").append(cfg.tn() / cfg.wgn())
                            .append(" -DBK=").append(cfg.bk());
                    g.tileName = cfg.tm() + "x" + cfg.tn() + "-wg" + cfg.wgm() + "x" + cfg.wgn();
                }
                case CM, PV -> {
                    g.pixelTiles(s, cfg);
                    long maxBase = g.linear ? (long) (g.pixTiles - 1) * g.tn
                            : (long) (s.outH() - 1) * s.strideH() * g.iwp + (long) (g.tilesPerRow - 1) * g.tn * s.strideW();
                    long lastTap = (long) (s.kh() - 1) * s.dilH() * g.iwp + (long) (s.kw() - 1) * s.dilW();
                    long lastPixel = (long) (g.tn - 1) * s.strideW();
                    maxRead = Math.max(maxRead, (long) (s.n() * s.c() - 1) * plane + maxBase + lastPixel + lastTap);
                    if (cfg.kind() == GemmConfig.Kind.CM) {
                        g.kernelName = "conv2d_gemm_cm";
                        o.append(" -DVW=").append(cfg.vw()).append(" -DMV=").append(g.tmPack / cfg.vw())
                                .append(" -DTN=").append(g.tn).append(" -DSW=").append(s.strideW());
                    } else {
                        g.kernelName = "conv2d_gemm_pv";
                        o.append(" -DVW=").append(cfg.vw()).append(" -DNV=").append(g.tn / cfg.vw())
                                .append(" -DTM=").append(g.tmPack);
                    }
                    g.tileName = g.tmPack + "x" + g.tn;
                }
                default -> throw new IllegalStateException("unknown kind " + cfg.kind());
            }
            g.inputFloats = maxRead + 1;
            g.padded = s.padH() > 0 || s.padW() > 0;
            g.options = o.toString();
            return g;
        }

        /**
         * Chooses the pixel tiling with the least wasted work: tiles within output rows (the row
         * shared evenly, so a 17-wide row at tn=14 becomes two tiles of 9), or, at stride 1, tiles
         * running along the virtual grid as wide as the padded input.
         */
        private void pixelTiles(ConvSpec s, GemmConfig cfg) {
            int grain = cfg.kind() == GemmConfig.Kind.PV ? cfg.vw() : 1;
            int oh = s.outH(), ow = s.outW();
            int perRow = (ow + cfg.tn() - 1) / cfg.tn();
            int rowTn = ((ow + perRow - 1) / perRow + grain - 1) / grain * grain;
            long rowWork = (long) oh * perRow * rowTn;
            boolean linearOk = s.strideH() == 1 && s.strideW() == 1;
            long virtual = (long) (oh - 1) * iwp + ow;
            long linearTiles = (virtual + cfg.tn() - 1) / cfg.tn();
            long linearWork = linearTiles * cfg.tn();
            if (linearOk && linearWork < rowWork && linearTiles <= Integer.MAX_VALUE) {
                linear = true;
                tn = cfg.tn();
                tilesPerRow = 1; // unused when linear; never a divisor of zero
                pixTiles = (int) linearTiles;
            } else {
                linear = false;
                tn = rowTn;
                tilesPerRow = perRow;
                pixTiles = oh * perRow;
            }
        }
    }
}
