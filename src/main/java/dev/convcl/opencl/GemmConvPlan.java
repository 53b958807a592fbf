package dev.convcl.opencl;

import static org.jocl.CL.CL_MEM_READ_WRITE;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import dev.convcl.spi.Memory;
import dev.convcl.spi.Primitive;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jocl.CLException;

/**
 * Ordinary (non-depthwise) conv2d as an implicit GEMM ({@code conv2d_gemm.cl}) with one
 * {@link GemmConfig}. The channel-vector kernel with tiles within output rows reads the caller's
 * input in place and pads as it reads ({@code IMPLICIT_PAD}, {@link Geometry#implicitPad}).
 * Otherwise (tiles along the virtual grid, the pixel-vector and local-memory kernels) a call
 * copies the input, on the device, into a zero-padded layout (the image at row pad_top, column
 * pad_left of planes of (h + pad_top + pad_bottom) x (w + pad_left + pad_right), then slack; skipped
 * when there is no padding and no slack, and when there is no padding and the caller's buffer
 * already holds the slack: {@link #sourceReadBytes()}). One kernel, {@code pad_input}, writes every
 * element of the layout, image and zeros alike, so the layout can be the plan's own buffer or a
 * scratchpad shared with the other plans of a compiled graph ({@link #useScratchpad}) that another
 * plan overwrote. (A fill of the layout and a rectangular copy into it did the same in two
 * commands, each run by POCL on one thread.) Then it runs the GEMM kernel, whose epilogue adds the
 * bias and applies the post-op chain (reading the sum tensor), and leaves the output in place.
 * The padded layout is the plan's scratchpad ({@link #scratchpadBytes()}). The weights are packed
 * on the device ({@code pack_weights}) into the plan's panel layout: once when they are bound, or
 * on each call that passes them. {@link #lastKernelMillis()} is the packing (when it ran) plus the
 * GEMM; {@link #lastDeviceMillis()} adds the copy into the padded input layout (when the call made
 * it): a cost some tiles pay and others do not, which the tuner must see.
 */
final class GemmConvPlan implements Primitive {
    static final String SOURCE = "conv2d_gemm.cl";
    /** Taps per work-item of pack_weights (PACK_R in the kernel). */
    private static final int PACK_R = 64;

    private final OpenClContext ctx;
    private final Convolution spec;
    private final GemmConfig config;
    /** Bytes per element. */
    private final int elem;
    private final Geometry geo;
    private final OpenClKernel pack;
    private final OpenClKernel gemm;
    /** Whether a call copies the input into the padded layout (else the kernel reads it in place). */
    private final boolean copiesInput;
    /** The padded input layout, the plan's own or a shared scratchpad; null when not copied. */
    private DeviceBuffer input;
    /** Whether {@link #input} is shared (not the plan's own, not closed with it). */
    private boolean sharedInput;
    /** {@code pad_input}, which writes the padded layout; null when the input is not copied. */
    private final OpenClKernel pad;
    private final long[] padGlobal, padLocal;
    private final DeviceBuffer packed;
    private final long[] packGlobal, packLocal, gemmGlobal, gemmLocal;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private final Map<Arg, Memory> bound = new EnumMap<>(Arg.class);
    private final LaunchEvents events;
    /** The last call's copy into the padded input layout (not counted as the call's kernels). */
    private final LaunchEvents copies;
    /** Whether SRC is read through a channel window ({@link #readChannelWindow}): then it is never read in place with slack. */
    private boolean sourceWindow;
    /** Where weights passed with a call are packed (allocated on the first such call). */
    private DeviceBuffer callPacked;

    /**
     * Whether the GEMM kernels are meant for {@code spec}: conv2d that is not depthwise. (They
     * compute depthwise problems correctly too, but a group of one channel is no GEMM.)
     */
    static boolean handles(Convolution spec) {
        return !spec.isDeformable() && !spec.isDepthwise();
    }

    /** The largest horizontal stride the pixel-vector kernel ({@code conv2d_gemm_pv}) reads as vectors. */
    static final int PV_MAX_STRIDE = 2;

    /** Whether the pixel-vector kernel can run {@code spec}: horizontal stride 1 or 2. */
    static boolean pixelVectorsRun(Convolution spec) {
        return spec.strideW() <= PV_MAX_STRIDE;
    }

    /** Empty when {@code config} can run {@code spec} on {@code device}, else why not. */
    static Optional<String> unsuitableReason(Convolution spec, GemmConfig config, OpenClDeviceInfo device) {
        if (spec.isDeformable()) {
            return Optional.of("the gemm kernels run conv2d, not deform2d");
        }
        if (config.kind() == GemmConfig.Kind.PV && !pixelVectorsRun(spec)) {
            return Optional.of("kernel pv reads the inputs of adjacent pixels as vectors and needs stride_w 1 or 2, got "
                    + spec.strideW());
        }
        if (config.workGroupSize() > device.maxWorkGroup()) {
            return Optional.of("work-group of " + config.workGroupSize() + " exceeds the device's maximum of "
                    + device.maxWorkGroup());
        }
        long local = config.localMemBytes(spec.dataType());
        if (local > device.localMemBytes()) {
            return Optional.of("local memory of " + local + " bytes exceeds the device's " + device.localMemBytes());
        }
        // The kernels index the padded input and the packed weights with 32-bit ints.
        Geometry g = Geometry.of(spec, config);
        if (g.inputFloats > Integer.MAX_VALUE || g.packedFloats > Integer.MAX_VALUE) {
            return Optional.of("the padded input (" + g.inputFloats + " floats) or packed weights (" + g.packedFloats
                    + " floats) exceed the 2^31-1 elements that 32-bit indexing allows");
        }
        return Optional.empty();
    }

    GemmConvPlan(OpenClContext ctx, Convolution spec, GemmConfig config) {
        this(ctx, spec, config, ctx.info().isCpu() ? HostCaches.l2Bytes() : 0);
    }

    /**
     * A plan whose register tiles prefetch a group's input rows when its planes take at least
     * {@code prefetchFromBytes}, the next channel tile's weight panel where two panels fit in
     * it, and, with a sum post-op, the sum tensor's values of each tile when it is above 0 (0: none
     * of these; see {@link Geometry#of(Convolution, GemmConfig, long)}).
     */
    GemmConvPlan(OpenClContext ctx, Convolution spec, GemmConfig config, long prefetchFromBytes) {
        this(ctx, spec, config, prefetchFromBytes, GemmDefaults.cpuLike(ctx.info()));
    }

    /** Elements a CPU device's work-item of {@code pad_input} writes, at least: whole rows of the padded layout. */
    static final long PAD_ITEM_FLOATS = 512;

    /**
     * As above; {@code padRows}: {@code pad_input} writes the padded layout a run of rows a
     * work-item (the CPU form) or an element a work-item (the GPU form; tests run it on a CPU
     * device with this).
     */
    GemmConvPlan(OpenClContext ctx, Convolution spec, GemmConfig config, long prefetchFromBytes, boolean padRows) {
        Optional<String> why = unsuitableReason(spec, config, ctx.info());
        if (why.isPresent()) {
            throw new IllegalArgumentException("gemm config " + config + " cannot run " + spec + ": " + why.get());
        }
        this.ctx = ctx;
        this.events = new LaunchEvents(ctx);
        this.copies = new LaunchEvents(ctx);
        this.spec = spec;
        this.config = config;
        this.elem = spec.dataType().bytes();
        this.geo = Geometry.of(spec, config, prefetchFromBytes);
        try {
            pack = own(ctx.programs().kernel(SOURCE,
                    KernelOptions.of(spec.dataType()).define("PACK_R", PACK_R).toString(), "pack_weights"));
            gemm = own(ctx.programs().kernel(SOURCE, geo.options, geo.kernelName));
            copiesInput = geo.copiesInput(spec);
            if (copiesInput) {
                input = own(ctx.allocate("input (padded)", geo.inputFloats * elem, CL_MEM_READ_WRITE));
                pad = own(ctx.programs().kernel(SOURCE, KernelOptions.of(spec.dataType()).define("PAD_ROWS", padRows ? 1 : 0)
                        .define("VW", padRows ? GemmDefaults.nativeWidth(ctx.info()) : 1).toString(), "pad_input"));
                long total = geo.inputFloats;
                long rows = (total + geo.iwp - 1) / geo.iwp;
                long most = OpKernelPlan.localSize(ctx.info());
                long cus = Math.max(1, ctx.info().computeUnits());
                long rowsPerItem = 1;
                long items = total;
                if (padRows) {
                    // rows of PAD_ITEM_FLOATS or more a work-item, but 8 work-items a compute unit
                    // or more where the layout has the rows
                    rowsPerItem = Math.max(1, Math.min((PAD_ITEM_FLOATS + geo.iwp - 1) / geo.iwp, rows / (8 * cus)));
                    items = (rows + rowsPerItem - 1) / rowsPerItem;
                }
                pad.arg(2, spec.h()).arg(3, spec.w()).arg(4, geo.ihp).arg(5, geo.iwp).arg(6, spec.padTop())
                        .arg(7, spec.padLeft()).arg(8, (int) ((long) spec.n() * spec.c() * geo.ihp)).arg(9, (int) rows)
                        .arg(10, (int) total).arg(11, (int) rowsPerItem)
                        .arg(12, spec.c()).arg(13, spec.c()).arg(14, 0); // the input itself until readChannelWindow
                // on a CPU device about 8 work-groups a compute unit, so both the zeros and the
                // image rows spread over the cores
                long ls = padRows ? Math.max(1, Math.min(most, items / (8 * cus))) : most;
                padLocal = new long[] {ls};
                padGlobal = new long[] {DirectConvPlan.roundUp(items, ls)};
            } else {
                input = null;
                pad = null;
                padLocal = padGlobal = null;
            }
            packed = own(ctx.allocate("weight (packed)", geo.packedFloats * elem, CL_MEM_READ_WRITE));
            int a = 1; // argument 0, the weights, is set when packing
            int rBlocks = (geo.rp + PACK_R - 1) / PACK_R;
            pack.arg(a++, packed).arg(a++, spec.kPerGroup()).arg(a++, geo.r).arg(a++, geo.rp)
                    .arg(a++, geo.tmPack).arg(a++, geo.mt).arg(a, rBlocks);
            // A CPU runs a work-group as a loop: groups of one keep each block's writes together.
            long packLs = GemmDefaults.cpuLike(ctx.info()) ? 1 : Math.min(32, ctx.info().maxWorkGroup());
            packLocal = new long[] {packLs, 1};
            packGlobal = new long[] {DirectConvPlan.roundUp(rBlocks, packLs), (long) spec.groups() * geo.mt};
            a = 5; // input, bias, sum and output are set per call
            gemm.arg(1, packed);
            gemm.arg(a++, spec.c()).arg(a++, geo.planeH).arg(a++, geo.planeW).arg(a++, spec.k())
                    .arg(a++, spec.kPerGroup()).arg(a++, spec.cPerGroup()).arg(a++, geo.mt)
                    .arg(a++, spec.outH()).arg(a++, spec.outW());
            int groupsTimesTiles = spec.groups() * geo.mt;
            if (config.kind() == GemmConfig.Kind.LM) {
                gemm.arg(a++, spec.kh()).arg(a++, spec.kw()).arg(a++, spec.strideH()).arg(a++, spec.strideW())
                        .arg(a++, spec.dilH()).arg(a++, spec.dilW()).arg(a, geo.rp);
                long pixels = (long) spec.outH() * spec.outW();
                gemmGlobal = new long[] {DirectConvPlan.roundUp(pixels, config.tn()) / config.tn() * config.wgn(),
                        (long) groupsTimesTiles * config.wgm(), spec.n()};
                gemmLocal = new long[] {config.wgn(), config.wgm(), 1};
            } else {
                gemm.arg(a++, spec.kh()).arg(a++, spec.kw()).arg(a++, spec.strideH()).arg(a++, spec.dilH())
                        .arg(a++, spec.dilW()).arg(a++, geo.tilesPerRow)
                        .arg(a++, geo.pixTiles).arg(a++, geo.linear ? 1 : 0)
                        .arg(a++, spec.padTop()).arg(a++, spec.padLeft());
                // the output's and the input's channel windows: the tensors themselves until
                // writeChannelWindow and readChannelWindow
                gemm.arg(a++, spec.k()).arg(a++, 0).arg(a++, 1).arg(a++, spec.c()).arg(a, 0);
                if (config.order() == GemmConfig.Order.CHANNELS) {
                    gemmGlobal = new long[] {groupsTimesTiles, DirectConvPlan.roundUp(geo.pixTiles, config.ls()), spec.n()};
                    gemmLocal = new long[] {1, config.ls(), 1};
                } else {
                    gemmGlobal = new long[] {DirectConvPlan.roundUp(geo.pixTiles, config.ls()), groupsTimesTiles, spec.n()};
                    gemmLocal = new long[] {config.ls(), 1, 1};
                }
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

    /**
     * Binding the weights packs them into the plan's own buffer, which later calls read; the
     * bound buffer itself is not kept ({@link #readsBound}).
     */
    @Override
    public synchronized void bind(Arg role, Memory memory) {
        if (role == Arg.WEIGHTS) {
            events.reset();
            copies.reset(); // the device time read next is the packing's alone, not a call's copy with it
            packFrom((DeviceBuffer) memory, packed);
        } else {
            bound.put(role, memory);
        }
    }

    @Override
    public boolean readsBound(Arg role) {
        return role != Arg.WEIGHTS;
    }

    /** The padded input layout's bytes; 0 when the kernel reads the caller's input in place. */
    @Override
    public long scratchpadBytes() {
        return copiesInput ? geo.inputFloats * elem : 0;
    }

    /**
     * The padded layout's bytes when the layout is the input itself plus slack after it (no
     * padding: tiles along the flattened planes whose last one reads past the input): a source
     * buffer that large is read in place, with no copy and no fill. 0 otherwise.
     */
    @Override
    public long sourceReadBytes() {
        return copiesInput && !geo.padded && !sourceWindow ? geo.inputFloats * elem : 0;
    }

    /** Releases the plan's own padded input layout and uses the start of {@code memory} instead. */
    @Override
    public synchronized void useScratchpad(Memory memory) {
        if (!copiesInput) {
            return;
        }
        if (!(memory instanceof DeviceBuffer b) || b.bytes() < scratchpadBytes()) {
            throw new IllegalArgumentException("the scratchpad of " + algorithm() + " must be OpenCL memory of at least "
                    + scratchpadBytes() + " bytes, got " + memory);
        }
        if (!sharedInput) {
            owned.remove(input);
            input.close();
        }
        input = b;
        sharedInput = true;
    }

    /**
     * The register-tile kernels write output channel {@code k} of image {@code n} to plane
     * {@code n * channels + start + k * step} of {@link Arg#DST}'s buffer (their last three
     * arguments); the local-memory kernel has no window and refuses.
     */
    @Override
    public synchronized boolean writeChannelWindow(int channels, int start, int step) {
        if (config.kind() == GemmConfig.Kind.LM) {
            return false;
        }
        Primitive.checkChannelWindow(spec.k(), channels, start, step);
        gemm.arg(24, channels).arg(25, start).arg(26, step);
        return true;
    }

    /**
     * Input channel {@code c} of image {@code n} is read from plane {@code n * channels + start + c}
     * of {@link Arg#SRC}'s buffer: by the register-tile kernel itself (its last two arguments) where
     * it reads the caller's input in place, or else by {@code pad_input}, which then copies every
     * call (the copy is the kernel's input; a windowed source is never read in place with slack).
     * The local-memory kernel refuses, as does a step other than 1.
     */
    @Override
    public synchronized boolean readChannelWindow(int channels, int start, int step) {
        if (config.kind() == GemmConfig.Kind.LM || step != 1) {
            return false;
        }
        Primitive.checkChannelWindow(spec.c(), channels, start, step);
        if (copiesInput) {
            pad.arg(13, channels).arg(14, start);
        } else {
            gemm.arg(27, channels).arg(28, start);
        }
        sourceWindow = true;
        return true;
    }

    @Override
    public synchronized void execute(Map<Arg, Memory> args) {
        Map<Arg, DeviceBuffer> all = KernelPrimitive.buffers(bound, args);
        events.reset();
        copies.reset();
        boolean queued = false;
        try {
            // Weights passed with the call are packed for this call alone, into a buffer of their
            // own, so the bound weights' packing stays valid for the calls after it.
            DeviceBuffer weights = packed;
            if (args.containsKey(Arg.WEIGHTS)) {
                if (callPacked == null) {
                    callPacked = own(ctx.allocate("weight (packed, per call)", geo.packedFloats * elem,
                            CL_MEM_READ_WRITE));
                }
                packFrom(all.get(Arg.WEIGHTS), callPacked);
                weights = callPacked;
            }
            DeviceBuffer src = all.get(Arg.SRC);
            // Without padding the layout is the input plus slack: a source buffer that holds the
            // slack too (a compiled graph's, sized by sourceReadBytes) is read as it is. The slack
            // then holds whatever the buffer held; it reaches only the last tile's lanes past the
            // final plane, whose outputs are never stored.
            boolean copy = input != null && !(sourceReadBytes() > 0 && src.readableBytes() >= sourceReadBytes());
            if (copy) {
                copyInput(src);
            }
            DeviceBuffer[] gemmArgs = {copy ? input : src, weights, all.getOrDefault(Arg.BIAS, packed),
                    all.getOrDefault(Arg.SUM, packed), all.get(Arg.DST)};
            for (int i = 0; i < gemmArgs.length; i++) {
                gemm.arg(i, gemmArgs[i]);
            }
            events.add(gemm.launch(gemmGlobal, gemmLocal));
            queued = true;
        } catch (CLException e) {
            throw OpenClErrors.translate("running " + algorithm() + " for " + spec, e);
        } finally {
            if (!queued) {
                // a failed call has no time: not the time of the commands queued before the failure
                events.reset();
                copies.reset();
            }
        }
    }

    private void packFrom(DeviceBuffer weights, DeviceBuffer into) {
        try {
            pack.arg(0, weights).arg(1, into);
            events.add(pack.launch(packGlobal, packLocal));
        } catch (CLException e) {
            throw OpenClErrors.translate("packing the weights of " + spec, e);
        }
    }

    /** Writes the padded layout from {@code src}: the image in its interior, zeros around it and in the slack. */
    private void copyInput(DeviceBuffer src) {
        ctx.injectFault(OpenClContext.FaultSite.WRITE, "input (padded)");
        pad.arg(0, src).arg(1, input);
        copies.add(pad.launch(padGlobal, padLocal));
    }

    @Override
    public synchronized double lastKernelMillis() {
        return events.millis();
    }

    /** {@link #lastKernelMillis()} plus the copy into the padded input layout, when the call made it. */
    @Override
    public synchronized double lastDeviceMillis() {
        double kernels = events.millis();
        return copies.commands() == 0 ? kernels : kernels + copies.millis();
    }

    /** The copy commands {@link #lastDeviceMillis()} adds to the last call's kernels (tests): 0 or 1. */
    synchronized int lastCopyCommands() {
        return copies.commands();
    }

    @Override
    public synchronized void close() {
        copies.close();
        events.close();
        bound.clear();
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
        /**
         * Whether the channel-vector kernel pads as it reads ({@code IMPLICIT_PAD=1}): tiles within
         * output rows on a padded problem or one whose last tile reads past the input. Then no
         * padded copy is made and {@link #inputFloats} is the input's own size.
         */
        boolean implicitPad;
        /** The planes the kernel reads (IHP, IWP): the padded ones, or with {@link #implicitPad} the input's. */
        int planeH, planeW;
        int r, rp, tmPack, mt;
        long packedFloats;
        /** Pixel tile of the register kernels: tn pixels, in rows or along the virtual grid. */
        int tn, tilesPerRow, pixTiles;
        boolean linear;
        long inputFloats;
        /** Whether the register tiles prefetch input rows ahead ({@code PREFETCH_DIST}). */
        boolean prefetch;
        /** Whether the register tiles prefetch the next channel tile's weights ({@code PANEL_PREFETCH}). */
        boolean panelPrefetch;
        String options, kernelName, tileName;

        static Geometry of(Convolution s, GemmConfig cfg) {
            return of(s, cfg, 0);
        }

        /**
         * The geometry of {@code s} on {@code cfg}; the register tiles prefetch input rows a few
         * channels ahead ({@code PREFETCH_DIST}) when the planes of one group of one image take at
         * least {@code prefetchFromBytes} (the plan passes a CPU device's L2 per core, 0 for
         * other devices: never). Below that the input stays in L2 across a channel tile's pass
         * and the prefetches only cost instructions (up to 1.2x slower on the 1 MB of drn.conv4.dil2
         * and on smaller grouped and Inception layers, Intel Xeon kind, 2 MB of L2); above it each
         * kernel row's read starts in a page the hardware prefetchers have not seen
         * (drn.conv6.dil2, 2 MB: 28-33 ms without, 20.6-21.9 ms with; docs/performance-notes.md).
         * Not with POINTWISE, whose channel loop has no kernel rows. The same bound, a CPU
         * device's L2, decides whether the tiles prefetch the next channel tile's weight panel
         * ({@code PANEL_PREFETCH}: two panels must fit it); any bound above 0 (a CPU device) has the
         * register tiles of a spec with a sum post-op prefetch their sum values before their taps
         * ({@code SUM_PREFETCH}).
         */
        static Geometry of(Convolution s, GemmConfig cfg, long prefetchFromBytes) {
            Geometry g = new Geometry();
            g.ihp = s.h() + s.padTop() + s.padBottom();
            g.iwp = s.w() + s.padLeft() + s.padRight();
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
            KernelOptions o = KernelOptions.forOutput(s);
            switch (cfg.kind()) {
                case LM -> {
                    g.kernelName = "conv2d_gemm_lm";
                    o.define("WGM", cfg.wgm()).define("WGN", cfg.wgn()).define("RM", cfg.tm() / cfg.wgm())
                            .define("RN", cfg.tn() / cfg.wgn()).define("BK", cfg.bk());
                    g.tileName = cfg.tm() + "x" + cfg.tn() + "-wg" + cfg.wgm() + "x" + cfg.wgn();
                }
                case CM, PV -> {
                    g.pixelTiles(s, cfg);
                    long maxBase = g.linear ? (long) (g.pixTiles - 1) * g.tn
                            : (long) (s.outH() - 1) * s.strideH() * g.iwp + (long) (g.tilesPerRow - 1) * g.tn * s.strideW();
                    long lastTap = (long) (s.kh() - 1) * s.dilH() * g.iwp + (long) (s.kw() - 1) * s.dilW();
                    // the pixel-vector kernel at stride 2 reads one input past its last pixel's
                    long lastPixel = cfg.kind() == GemmConfig.Kind.PV ? (long) g.tn * s.strideW() - 1
                            : (long) (g.tn - 1) * s.strideW();
                    maxRead = Math.max(maxRead, (long) (s.n() * s.c() - 1) * plane + maxBase + lastPixel + lastTap);
                    if (cfg.kind() == GemmConfig.Kind.CM) {
                        g.kernelName = "conv2d_gemm_cm";
                        o.define("VW", cfg.vw()).define("MV", g.tmPack / cfg.vw()).define("TN", g.tn)
                                .define("SW", s.strideW());
                    } else {
                        g.kernelName = "conv2d_gemm_pv";
                        o.define("VW", cfg.vw()).define("NV", g.tn / cfg.vw()).define("TM", g.tmPack)
                                .define("SW", s.strideW());
                    }
                    g.tileName = g.tmPack + "x" + g.tn + (cfg.order() == GemmConfig.Order.CHANNELS ? "-ch" : "");
                }
                default -> throw new IllegalStateException("unknown kind " + cfg.kind());
            }
            g.padded = s.padTop() > 0 || s.padLeft() > 0 || s.padBottom() > 0 || s.padRight() > 0;
            // Channel-vector tiles within rows check their reads against the image instead of a
            // padded copy. Tiles along the virtual grid and the local-memory kernel need the padded
            // layout; so does the pixel-vector kernel in practice: its edge taps would build each
            // vector lane by lane (measured 3-5x slower on POCL than the copy, chain layer L7).
            // Only where every edge tap gets a body of constants (edgesHaveConstantBodies: the body
            // that tests each pixel made DRN's dilation-4 layer 1.3-1.5x slower than the copy it
            // saves), and only where the copy is dear next to the work (paysForTheCopy).
            g.implicitPad = cfg.kind() == GemmConfig.Kind.CM && !g.linear
                    && (g.padded || maxRead + 1 > s.inputSize()) && edgesHaveConstantBodies(s, g.tn)
                    && paysForTheCopy(s, cfg);
            g.planeH = g.implicitPad ? s.h() : g.ihp;
            g.planeW = g.implicitPad ? s.w() : g.iwp;
            // 1x1 register tiles of 16-float vectors: the tap loop is the input-channel loop alone
            // (POINTWISE). Measured on POCL: 1.1-1.4x faster with AVX-512's 16-float tiles, but
            // 1.1-1.35x slower with AVX2's 8-float ones (12 accumulators), which keep the loop nest.
            boolean pointwise = cfg.kind() != GemmConfig.Kind.LM && cfg.vw() >= POINTWISE_MIN_VW && !g.implicitPad
                    && s.kh() == 1 && s.kw() == 1;
            if (pointwise) {
                o.define("POINTWISE", 1);
            }
            // The NDRange's first dimension is the one the work-groups run along (GemmConfig.Order).
            if (cfg.order() == GemmConfig.Order.CHANNELS) {
                o.define("CHANNEL_TILES_FIRST", 1);
            }
            if (g.implicitPad) {
                o.define("IMPLICIT_PAD", 1);
                maxRead = s.inputSize() - 1;
            }
            long groupPlanes = (long) s.cPerGroup() * g.planeH * g.planeW * s.dataType().bytes();
            g.prefetch = cfg.kind() != GemmConfig.Kind.LM && !pointwise && prefetchFromBytes > 0
                    && groupPlanes >= prefetchFromBytes;
            if (g.prefetch) {
                o.define("PREFETCH_DIST", PREFETCH_CHANNELS);
                g.tileName += "-pf";
            }
            // The next channel tile's weights asked for while this one computes (PANEL_PREFETCH),
            // on CPU devices in pixel order: where two panels fit the core's L2 beside each other
            // (else the next evicts the one still in use: ResNet-18's 7x7 layer, 590 KB panels,
            // 8-12% slower with warm caches) and an image has few pixel tiles, so a panel's first
            // pass, from memory, is a large share of its work (1/7 to 1/56 gained 5-44% in a
            // network; at 224 tiles it only cost 1-3%).
            long panelBytes = (long) g.rp * g.tmPack * s.dataType().bytes();
            g.panelPrefetch = cfg.kind() != GemmConfig.Kind.LM && cfg.order() == GemmConfig.Order.PIXELS
                    && prefetchFromBytes > 0 && (long) s.groups() * g.mt > 1 && g.pixTiles > 1
                    && g.pixTiles <= PANEL_PREFETCH_MAX_TILES && 2 * panelBytes <= prefetchFromBytes;
            if (g.panelPrefetch) {
                o.define("PANEL_PREFETCH", 1);
            }
            // The residual a tile's epilogue adds, asked for before its taps (SUM_PREFETCH), on CPU
            // devices: read at the tile's end, each line waited on memory.
            if (cfg.kind() != GemmConfig.Kind.LM && prefetchFromBytes > 0 && s.postOps().hasSum()) {
                o.define("SUM_PREFETCH", 1);
            }
            g.inputFloats = maxRead + 1;
            g.options = o.toString();
            return g;
        }

        /**
         * Whether every edge tap of a {@code tn}-wide tile within rows gets one of the kernel's
         * bodies of constants (conv2d_gemm.cl, REGISTER_TILE_TAPS): at most 3 of its pixels in the
         * left padding or 3 in the right, never both. Wider padding (dilation 4 with pad 4) or a
         * kernel span wider than the image would take the body that tests each pixel.
         */
        static boolean edgesHaveConstantBodies(Convolution s, int tn) {
            int sw = s.strideW();
            long left = ((long) s.padLeft() + sw - 1) / sw; // pixels of the first tile left of the row
            long lastRead = (long) (s.outW() - 1) * sw - s.padLeft() + (long) (s.kw() - 1) * s.dilW();
            long over = lastRead - (s.w() - 1);
            long right = over > 0 ? (over + sw - 1) / sw : 0; // pixels of the last tile right of it
            long span = (long) (Math.min(tn, s.outW()) - 1) * sw;
            boolean both = s.padLeft() > 0 && span - s.padLeft() > s.w() - 1; // the first tap reads past both ends
            return left <= 3 && right <= 3 && !both;
        }

        /**
         * Input channels ahead that the register tiles prefetch (PREFETCH_DIST): on drn.conv6.dil2
         * 2 and 6 gained too, 3 the most in alternating runs.
         */
        static final int PREFETCH_CHANNELS = 3;

        /**
         * Most pixel tiles an image for which the tiles prefetch the next panel (PANEL_PREFETCH):
         * ResNet-18's 28x28 layers (56 tiles) gained 5-7% in the network, its 56x56 ones (224)
         * nothing.
         */
        static final int PANEL_PREFETCH_MAX_TILES = 64;

        /** The narrowest vectors whose 1x1 tiles get the channel loop alone (POINTWISE). */
        static final int POINTWISE_MIN_VW = 16;

        /** Multiply-adds per copied input element below which padding as it reads wins, per vector lane. */
        static final int IMPLICIT_PAD_MACS_PER_ELEMENT_PER_LANE = 128;

        /**
         * Whether padding as the kernel reads costs less than the copy it saves. The edge taps' own
         * loop nest costs a share of the layer's multiply-adds (10-20% more kernel time on POCL),
         * the copy a cost per input element (a device command, then bandwidth): reading in place
         * wins while the layer does few multiply-adds per copied element, and loses on deep layers
         * (DRN's 512-channel dilated 3x3 at 28x28: 3528 a element, 1.1x slower than copying;
         * ResNet-50's res3 3x3: 1003, even in kernel time plus copy, and the copy's command
         * gone). The bound scales with the tile's vector width, as the multiply-add rate does on
         * the same cores: 2048 at 16 lanes, 1024 at 8 (A/B in docs/performance-notes.md).
         */
        static boolean paysForTheCopy(Convolution s, GemmConfig cfg) {
            long hp = (long) s.h() + s.padTop() + s.padBottom();
            long wp = (long) s.w() + s.padLeft() + s.padRight();
            double perElement = (double) s.k() / s.groups() * s.kh() * s.kw() * s.outH() * s.outW() / (hp * wp);
            return perElement <= (double) IMPLICIT_PAD_MACS_PER_ELEMENT_PER_LANE * cfg.vw();
        }

        /** Whether a call copies the input into the padded layout (else the kernel reads it in place). */
        boolean copiesInput(Convolution s) {
            return !implicitPad && (padded || inputFloats > s.inputSize());
        }

        /**
         * Whether the channel-vector kernel stores a tile of {@code tn} pixels within a row as one
         * run per output channel, through a private tile (conv2d_gemm_cm: 16-float vectors and tn
         * below 32; at run time, a tile whose pixels all lie in the row and whose channels are all
         * outputs: the last channel tile of a layer whose channels it does not fill, and a row's
         * last tile where the row ends inside it, store one float at a time), rather than one
         * float a channel and pixel, as the kernel stores every tile along the virtual grid.
         */
        static boolean storesRuns(GemmConfig cfg, int tn) {
            return cfg.kind() == GemmConfig.Kind.CM && cfg.vw() >= 16 && tn < 32;
        }

        /**
         * Chooses the pixel tiling with the least wasted work: tiles within output rows (the row
         * shared evenly, so a 17-wide row at tn=14 becomes two tiles of 9), or, at stride 1, tiles
         * running along the virtual grid as wide as the padded input. When rows narrower than a
         * pixel-vector tile would shorten it (14-wide rows at tn=64: one vector of four), the
         * tiling with fewer tiles wins instead (14x14 at tn=64: four tiles along the grid, not
         * fourteen of one vector).
         *
         * <p>Except for a channel-vector tile whose rows store in runs ({@link #storesRuns}), of a
         * kernel larger than 1x1: it stays within rows, whatever they waste (an even share of the
         * row: less than a pixel a tile). Along the virtual grid its kernel stores each output on
         * its own, one float a channel plane, and reads a padded copy of the input; within rows it
         * pads as it reads where {@code edgesHaveConstantBodies} and {@code paysForTheCopy} allow
         * (else it copies too). A 1x1 layer keeps the rule of least work: along the grid (as wide
         * as its output) its tile runs the channel loop alone ({@code POINTWISE}), which rows whose
         * last tile reads past the row's end (padded as read) would lose (from the code; not
         * measured). POCL, AVX-512 (Zen 5), rows against the grid, one process each in turn
         * (docs/performance-notes.md, "Channel-vector tiles stay within rows"): Inception-v3's
         * 32 -> 32 3x3 on 149x149 (4.5% of the rows' work wasted, 1.4% of the grid's), kernel time
         * 1.17-1.26 against 1.32-1.50 ms; its 32 -> 64 with padding 1 on 147x147, kernel and copy
         * 2.41-2.67 against 2.80-3.02 ms; its 7x1 (17 wide), a whole call 0.34-0.38 against
         * 0.37-0.43 ms.
         */
        private void pixelTiles(Convolution s, GemmConfig cfg) {
            int grain = cfg.kind() == GemmConfig.Kind.PV ? cfg.vw() : 1;
            int oh = s.outH(), ow = s.outW();
            int perRow = (ow + cfg.tn() - 1) / cfg.tn();
            int rowTn = ((ow + perRow - 1) / perRow + grain - 1) / grain * grain;
            long rowWork = (long) oh * perRow * rowTn;
            boolean linearOk = s.strideH() == 1 && s.strideW() == 1;
            long virtual = (long) (oh - 1) * iwp + ow;
            long linearTiles = (virtual + cfg.tn() - 1) / cfg.tn();
            long linearWork = linearTiles * cfg.tn();
            // A row tiling that shortens the pixel-vector tile (rows narrower than it) drops whole
            // accumulator vectors, and a tile costs about the same whatever its width then
            // (too few independent fma chains to fill the pipeline): compare tile counts.
            boolean cutsVectors = cfg.kind() == GemmConfig.Kind.PV && rowTn < cfg.tn();
            boolean linearWins = !(storesRuns(cfg, rowTn) && s.kh() * s.kw() > 1)
                    && (cutsVectors ? linearTiles < (long) oh * perRow : linearWork < rowWork);
            if (linearOk && linearWins && linearTiles <= Integer.MAX_VALUE) {
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
