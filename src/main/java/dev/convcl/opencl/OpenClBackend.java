package dev.convcl.opencl;

import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.clEnqueueCopyBuffer;

import dev.convcl.ArgSpec;
import dev.convcl.Binary;
import dev.convcl.ChannelAffine;
import dev.convcl.ChannelCopy;
import dev.convcl.ChannelShuffle;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.HostTensor;
import dev.convcl.Operation;
import dev.convcl.Pad2d;
import dev.convcl.Pool2d;
import dev.convcl.PostOps;
import dev.convcl.RoiAlign;
import dev.convcl.SqueezeExcitation;
import dev.convcl.spi.Backend;
import dev.convcl.spi.Implementation;
import dev.convcl.spi.Memory;
import dev.convcl.spi.Primitive;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jocl.CLException;

/**
 * The OpenCL backend: one device, its context and its in-order queue. Memory is device buffers;
 * host data moves only through {@link #write} and {@link #read}.
 *
 * <p>Implementations, in selection order: {@code depthwise} ({@code depthwise.cl}, conv2d with
 * groups == c, when a tile fits the device, unless the class's tuned or default depthwise tile is
 * another kernel's), {@code depthwise-map} ({@code depthwise_map.cl}, depthwise conv2d whose
 * output rows a few vectors hold: rows of a whole plane a work-item, read straight from global
 * memory; selection's choice on a CPU device for small maps, unless the tile is a plane or
 * row-reuse one),
 * {@code depthwise-plane} ({@code depthwise_plane.cl}, depthwise conv2d at
 * stride 1 whose output row a few vectors hold, multiplying only the taps inside the image;
 * selection's choice on a CPU device where most taps of a window are padding, unless the tile is a
 * row-reuse one), {@code depthwise-rows} ({@code depthwise.cl}'s row-reuse loop, one work-item a
 * group, every depthwise conv2d a tile fits; selection's choice for kernels of 9 and more on a CPU
 * device),
 * {@code deform-gemm} ({@code deform2d_cm.cl}'s tiles, {@code cm ...}: the input copied channels-last
 * and channels in the vectors, CPU devices' default; {@code deform2d_gemm.cl}'s: pixels in the
 * vectors, GPUs' and a tuning candidate on CPUs),
 * {@code gemm} ({@code conv2d_gemm.cl}, conv2d that is not depthwise), and the direct kernels {@code direct} ({@code conv2d_direct.cl})
 * and {@code deform-direct} ({@code deform2d_direct.cl}), which run every convolution the device
 * can hold; then one implementation per network operation, each running every valid descriptor
 * whose tensors the device can hold: {@code channel-affine} ({@code channel_affine.cl}),
 * {@code binary} ({@code binary.cl}), {@code pool2d} ({@code pool2d.cl}), {@code channel-copy}
 * ({@code channel_copy.cl}), {@code channel-shuffle} ({@code channel_shuffle.cl}) and
 * {@code pad2d} ({@code pad2d.cl}), {@code squeeze-excitation} ({@code squeeze_excitation.cl}, when its
 * local values fit half the device's local memory); then {@code roi-align} ({@code roi_align.cl}: roi_align,
 * ps_roi_align, deform_roi_pool).
 * The tiles of depthwise (all three implementations: one tuning family, whose winner per class
 * decides which selection takes), deform-gemm and gemm come from the device's {@link TuningTable}
 * when it has an entry for the problem's class, else from {@link DeviceProfile}'s defaults for the
 * device; with {@link AutoTune} on, a class without an entry is tuned on first use.
 */
public final class OpenClBackend implements Backend {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OpenClBackend.class);
    private final OpenClContext context;
    private final List<Implementation> implementations;

    /**
     * Opens a context on {@code device}.
     *
     * @throws dev.convcl.DeviceException of kind UNAVAILABLE when the context cannot be made
     */
    public OpenClBackend(OpenClDeviceInfo device) {
        this.context = new OpenClContext(device);
        this.implementations = List.of(
                depthwise(KernelFamily.DepthwiseKind.STAGED), depthwise(KernelFamily.DepthwiseKind.MAP),
                depthwise(KernelFamily.DepthwiseKind.PLANE), depthwise(KernelFamily.DepthwiseKind.ROWS),
                tuned(KernelFamily.DEFORM, c -> noTile(KernelFamily.DEFORM, c),
                        c -> KernelFamily.DEFORM.candidates(c, context.info())),
                tuned(KernelFamily.GEMM, this::gemmRule, this::gemmConfigs),
                direct("direct", false), direct("deform-direct", true),
                op("channel-affine", ChannelAffine.class, ChannelAffinePlan::new),
                op("binary", Binary.class, BinaryPlan::new),
                op("pool2d", Pool2d.class, Pool2dPlan::new),
                op("channel-copy", ChannelCopy.class, ChannelCopyPlan::new),
                op("channel-shuffle", ChannelShuffle.class, ChannelShufflePlan::new),
                op("pad2d", Pad2d.class, Pad2dPlan::new),
                op("squeeze-excitation", SqueezeExcitation.class, SqueezeExcitationPlan::new),
                op("roi-align", RoiAlign.class, RoiAlignPlan::new));
    }

    /** The device's context (for the tuner, the peak and tests). */
    public OpenClContext context() {
        return context;
    }

    @Override
    public String kind() {
        return "opencl";
    }

    @Override
    public String deviceName() {
        return context.info().describe();
    }

    @Override
    public List<Implementation> implementations() {
        return implementations;
    }

    // ---------------------------------------------------------------- implementations

    /**
     * What every OpenCL implementation checks: a convolution whose tensors fit and whose post-op
     * chain fits the kernels' epilogue (every activation and the sum; at most
     * {@link KernelOptions#MAX_POST_OPS} steps).
     */
    /** Whether {@code op} is a convolution of the kind given: deform2d, or conv2d. */
    private static boolean convolution(Operation op, boolean deformable) {
        return op instanceof Convolution c && c.isDeformable() == deformable;
    }

    private Optional<String> common(Operation op, boolean deformable) {
        if (!(op instanceof Convolution c) || c.isDeformable() != deformable) {
            return Optional.of(deformable ? "not deform2d" : "not conv2d");
        }
        Optional<String> epilogue = KernelOptions.unsupported(c.postOps());
        if (epilogue.isPresent()) {
            return epilogue;
        }
        long max = context.maxAllocBytes();
        long largest = Math.max(Math.max(c.inputSize(), c.outputSize()), c.weightSize());
        if (c instanceof DeformConv2d d) {
            largest = Math.max(largest, d.offsetSize());
        }
        long bytes = largest * c.dataType().bytes();
        if (bytes > max) {
            return Optional.of("a tensor of " + bytes + " bytes exceeds the maximum allocation of " + max + " bytes");
        }
        return Optional.empty();
    }

    /**
     * The gemm implementation's rule: not depthwise, a tile that fits ({@link GemmConvPlan#unsuitableReason});
     * on a GPU without a tuned entry for the class, not where the direct kernel measured faster
     * than the default tile ({@link GemmDefaults#gpuPrefersDirect}), so selection takes direct there.
     */
    private Optional<String> gemmRule(Convolution c) {
        if (c.isDepthwise()) {
            return Optional.of("depthwise (one channel per group is no GEMM)");
        }
        // One read of the tuning file: the tuned entry decides both the tile and whether the GPU rule applies.
        Optional<String> tuned = TuningTable.forDevice(context.info()).tuned(KernelFamily.GEMM, c, context.info());
        GemmConfig tile = GemmConfig.parse(
                tuned.or(() -> KernelFamily.GEMM.defaultConfig(c, context.info())).orElseThrow());
        Optional<String> why = GemmConvPlan.unsuitableReason(c, tile, context.info());
        if (why.isPresent() || tuned.isPresent()) {
            return why;
        }
        // the same rule the tuner times as the defaults
        return GemmDefaults.untunedPrefersDirect(c, context.info());
    }

    /**
     * The configuration a plan of {@code family} uses for {@code c} without being told: the tuning
     * table's entry, else the device's default (empty when no tile fits). No side effects (what
     * {@code validate} may call).
     */
    private Optional<String> configured(KernelFamily family, Convolution c) {
        return TuningTable.forDevice(context.info()).configOrDefault(family, c, context.info());
    }

    /** Classes automatic tuning has been tried for on this backend (family.class keys). */
    private final java.util.Set<String> autoTuned = new java.util.HashSet<>();

    /**
     * As {@link #configured}, but with automatic tuning ({@link AutoTune}) on, a class without a
     * table entry that applies to {@code c} ({@link TuningTable#covers}: a tile it can run, or
     * {@code defaults}), or whose entry's tuning ran out of budget before every candidate was tried
     * ({@link TuningTable#complete}), is tuned first, once per backend, on {@code c}, within the budget.
     */
    private Optional<String> chosen(KernelFamily family, Convolution c) {
        TuningTable table = TuningTable.forDevice(context.info());
        Optional<String> tuned = table.tuned(family, c, context.info());
        if (!AutoTune.enabled()) {
            return tuned.isPresent() ? tuned : family.defaultConfig(c, context.info());
        }
        // read whether or not a class needs tuning now, so that a bad budget is refused at the
        // first plan with tuning on, not on some later first use
        Tuner.Budget budget = AutoTune.budget();
        // covers: tuned, or defaults; complete: no candidate left untried
        if (table.covers(family, c, context.info()) && table.complete(family, c)) {
            return tuned.isPresent() ? tuned : family.defaultConfig(c, context.info());
        }
        String key = TuningTable.entryKey(family, family.classKey(c));
        synchronized (autoTuned) {
            if (autoTuned.add(key)) {
                int owed = table.get(family, family.classKey(c)).map(e -> e.untried().size()).orElse(0);
                LOG.info("tuning {} on {} {} (at most {} s; {}=off to skip) ...", key, context.info().name(),
                        owed == 0 ? "for the first time" : "again: " + owed + " candidate" + (owed == 1 ? "" : "s")
                                + " left out last time", budget.nanosPerClass() / 1e9, AutoTune.PROPERTY);
                try {
                    List<Tuner.Choice> won = Tuner.tune(context, List.of(c), LOG::debug, TuningTable.defaultDir(), budget);
                    won.forEach(w -> LOG.info("tuned {}: {} at {} GFLOP/s ({} candidate{}{})", key, w.config(),
                            String.format(java.util.Locale.ROOT, "%.1f", w.gflops()), w.candidates(),
                            w.candidates() == 1 ? "" : "s",
                            w.untried().isEmpty() ? "" : "; " + w.untried().size() + " more on a later first use"));
                } catch (RuntimeException e) {
                    LOG.warn("automatic tuning of {} failed ({}); using the default tile", key, e.toString());
                }
            }
        }
        return configured(family, c);
    }

    /** Creates with a CLException turned into a DeviceException. */
    private static Primitive translated(String doing, java.util.function.Supplier<Primitive> create) {
        try {
            return create.get();
        } catch (CLException e) {
            throw OpenClErrors.translate(doing, e);
        }
    }

    /**
     * An implementation whose tile {@code family} tunes: {@link #common}, then {@code rule}; its
     * configurations {@code configs}; its plan with the given configuration, else the chosen one.
     */
    private Implementation tuned(KernelFamily family, Function<Convolution, Optional<String>> rule,
            Function<Convolution, List<String>> configs) {
        return new Entry(family.key(), op -> convolution(op, family == KernelFamily.DEFORM), op -> {
            Optional<String> why = common(op, family == KernelFamily.DEFORM);
            return why.isPresent() ? why : rule.apply((Convolution) op);
        }, op -> configs.apply((Convolution) op), (op, config) -> {
            Convolution c = (Convolution) op;
            return family.create(context, c, config != null ? config : chosen(family, c).orElseThrow());
        });
    }

    /**
     * One of the four implementations of the depthwise family ({@link KernelFamily.DepthwiseKind}:
     * {@code depthwise}, {@code depthwise-map}, {@code depthwise-plane}, {@code depthwise-rows}),
     * which share its tuning entries and candidates ({@link DeviceProfile#depthwiseConfigs}), each
     * taking the tiles of its own kernel. Each accepts a depthwise conv2d that one of its tiles fits,
     * except that selection must reach the kernel of the class's tuned or default configuration:
     * {@code depthwise}, first in the list, leaves every class whose configuration is not a staged
     * tile to the others, {@code depthwise-map}, second, those whose configuration is a plane or
     * row-reuse tile, and {@code depthwise-plane}, third, those whose configuration is a row-reuse
     * tile to {@code depthwise-rows}, last, which accepts any. So selection takes whichever kernel
     * won. The same rule is each one's validation, so asked for by name ({@code Engine.plan} with an
     * implementation) a kernel runs a problem only where no kernel after it in the list holds the
     * class's configuration: {@code depthwise-rows} any, {@code depthwise-plane} and
     * {@code depthwise-map} none whose class is configured as a later kind; a class's winner can be
     * changed by tuning (a tuning entry names any kind's tile). Without a
     * configuration each builds the tuned or default one when it is its own, else its first candidate.
     */
    private Implementation depthwise(KernelFamily.DepthwiseKind kind) {
        KernelFamily family = KernelFamily.DEPTHWISE;
        String name = kind.implementation();
        return new Entry(name, op -> convolution(op, false), op -> {
            Optional<String> why = common(op, false);
            if (why.isPresent()) {
                return why;
            }
            Convolution c = (Convolution) op;
            if (!c.isDepthwise()) {
                return Optional.of("not depthwise (groups != c)");
            }
            if (depthwiseConfigs(kind, c).isEmpty()) {
                if (kind == KernelFamily.DepthwiseKind.PLANE && (c.strideH() != 1 || c.strideW() != 1)) {
                    return Optional.of("depthwise-plane runs stride 1 only");
                }
                Optional<String> map = kind == KernelFamily.DepthwiseKind.MAP
                        ? new DepthwiseMapPlan.Tile(16, DepthwiseMapPlan.MAX_VECTORS, 1, 1).unsuitable(c)
                        : Optional.empty();
                return map.isPresent() ? map
                        : Optional.of("no " + name + " tile fits the device (local memory, work-group size, row width)");
            }
            KernelFamily.DepthwiseKind configured = configured(family, c).map(KernelFamily::depthwiseKind)
                    .orElse(KernelFamily.DepthwiseKind.STAGED);
            if (kind == KernelFamily.DepthwiseKind.STAGED && configured != kind
                    || kind == KernelFamily.DepthwiseKind.MAP && (configured == KernelFamily.DepthwiseKind.PLANE
                            || configured == KernelFamily.DepthwiseKind.ROWS)
                    || kind == KernelFamily.DepthwiseKind.PLANE && configured == KernelFamily.DepthwiseKind.ROWS) {
                return Optional.of("the tuned or default depthwise tile of this class is a " + configured.implementation()
                        + " one");
            }
            return Optional.empty();
        }, op -> depthwiseConfigs(kind, (Convolution) op), (op, config) -> {
            Convolution c = (Convolution) op;
            String tile = config;
            if (tile == null) {
                tile = chosen(family, c).filter(t -> KernelFamily.depthwiseKind(t) == kind)
                        .orElseGet(() -> depthwiseConfigs(kind, c).get(0));
            } else if (KernelFamily.depthwiseKind(tile) != kind) {
                throw new IllegalArgumentException(name + " has no configuration '" + tile + "'");
            }
            return family.create(context, c, tile);
        });
    }

    /** The depthwise family's candidates for {@code c} that are tiles of {@code kind}'s kernel. */
    private List<String> depthwiseConfigs(KernelFamily.DepthwiseKind kind, Convolution c) {
        List<String> own = new ArrayList<>();
        for (String t : KernelFamily.DEPTHWISE.candidates(c, context.info())) {
            if (KernelFamily.depthwiseKind(t) == kind) {
                own.add(t);
            }
        }
        return own;
    }

    /** Why {@code family} cannot run {@code c} when neither the table nor the defaults have a tile for it. */
    private Optional<String> noTile(KernelFamily family, Convolution c) {
        return configured(family, c).isEmpty()
                ? Optional.of("no " + family.key() + " tile fits the device's local memory and work-group size")
                : Optional.empty();
    }

    /** GEMM's configurations: the configured one first, then the candidates. */
    private List<String> gemmConfigs(Convolution c) {
        List<String> keys = new ArrayList<>();
        configured(KernelFamily.GEMM, c).ifPresent(keys::add);
        for (String g : KernelFamily.GEMM.candidates(c, context.info())) {
            if (!keys.contains(g)) {
                keys.add(g);
            }
        }
        return keys;
    }

    /** A direct kernel: every convolution ({@code deformable} or not) whose tensors fit; no configurations. */
    private Implementation direct(String name, boolean deformable) {
        return new Entry(name, op -> convolution(op, deformable), op -> common(op, deformable), op -> List.of(),
                (op, config) -> {
                    requireNoConfig(name, config);
                    return new DirectConvPlan(context, (Convolution) op);
                });
    }

    /**
     * The one kernel of a network operation other than a convolution: it accepts every descriptor
     * of its class whose post-op chain fits the epilogue and whose tensors fit the device's
     * largest allocation.
     */
    private <T extends Operation> Implementation op(String name, Class<T> type,
            BiFunction<OpenClContext, T, Primitive> create) {
        return new Entry(name, type::isInstance, op -> opRule(type, op), op -> List.of(), (op, config) -> {
            if (!type.isInstance(op)) {
                throw new IllegalArgumentException(name + " cannot run " + op + ": not " + type.getSimpleName());
            }
            requireNoConfig(name, config);
            return create.apply(context, type.cast(op));
        });
    }

    private static void requireNoConfig(String name, String config) {
        if (config != null) {
            throw new IllegalArgumentException(name + " has no configuration '" + config + "'");
        }
    }

    private Optional<String> opRule(Class<? extends Operation> type, Operation op) {
        if (!type.isInstance(op)) {
            return Optional.of("not " + type.getSimpleName());
        }
        PostOps post = op instanceof ChannelAffine a ? a.postOps() : op instanceof Binary b ? b.postOps() : PostOps.none();
        Optional<String> epilogue = KernelOptions.unsupported(post);
        if (epilogue.isPresent()) {
            return epilogue;
        }
        if (op instanceof SqueezeExcitation se && SqueezeExcitationPlan.unsupported(context.info(), se) != null) {
            return Optional.of(SqueezeExcitationPlan.unsupported(context.info(), se));
        }
        long max = context.maxAllocBytes();
        for (ArgSpec a : op.arguments()) {
            long bytes = a.size() * op.dataType().bytes();
            if (bytes > max) {
                return Optional.of("the " + a.arg().displayName() + " tensor of " + bytes
                        + " bytes exceeds the maximum allocation of " + max + " bytes");
            }
        }
        return Optional.empty();
    }

    /**
     * One entry of the list: its name, the kind of operation it runs ({@link
     * Implementation#handlesKind}), its rule ({@link Implementation#validate}), its
     * configurations and its plan, made with a CLException turned into a DeviceException.
     */
    private record Entry(String name, Predicate<Operation> kind, Function<Operation, Optional<String>> rule,
            Function<Operation, List<String>> tiles, BiFunction<Operation, String, Primitive> plan)
            implements Implementation {
        @Override
        public Optional<String> validate(Operation op) {
            return rule.apply(op);
        }

        @Override
        public boolean handlesKind(Operation op) {
            return kind.test(op);
        }

        @Override
        public List<String> configs(Operation op) {
            return tiles.apply(op);
        }

        @Override
        public Primitive create(Operation op, String config) {
            return translated("preparing " + name + " for " + op, () -> plan.apply(op, config));
        }
    }

    // ---------------------------------------------------------------- memory and the queue

    /**
     * Bytes each buffer {@link #allocate} hands out holds past what was asked for
     * ({@link DeviceBuffer#readableBytes()}): room for a
     * kernel whose last tile reads a little past the end of its input
     * ({@link Primitive#sourceReadBytes}: a GEMM's last pixel-vector tile, up to 64 pixels at
     * stride 2), so that it reads the caller's buffer in place instead of copying the whole input
     * into a larger one first. Kernels never write there; a plan needing more copies as before.
     */
    static final long READ_SLACK_BYTES = 1024;

    /**
     * The read slack a buffer of {@code bytes} gets: {@link #READ_SLACK_BYTES}, or none where that
     * would take it past the device's maximum allocation (a tensor the device can hold stays
     * one it can allocate; plans then copy as before).
     */
    static long readSlack(OpenClContext ctx, long bytes) {
        return bytes <= ctx.maxAllocBytes() - READ_SLACK_BYTES ? READ_SLACK_BYTES : 0;
    }

    @Override
    public Memory allocate(String what, long bytes) {
        try {
            return context.allocate(what, bytes, readSlack(context, bytes), CL_MEM_READ_WRITE);
        } catch (CLException e) {
            throw OpenClErrors.translate("allocating '" + what + "'", e);
        }
    }

    @Override
    public long regionAlignment() {
        return context.regionAlignment();
    }

    @Override
    public Memory region(Memory memory, String what, long offset, long bytes) {
        try {
            return context.region((DeviceBuffer) memory, what, offset, bytes);
        } catch (CLException e) {
            throw OpenClErrors.translate("making region '" + what + "'", e);
        }
    }

    /** Host memory is not device memory: host tensors go through {@link #write} and {@link #read}. */
    @Override
    public Memory wrap(HostTensor t) {
        return null;
    }

    @Override
    public void write(Memory dst, HostTensor src) {
        ((DeviceBuffer) dst).write(src);
    }

    @Override
    public void writeChannels(Memory dst, HostTensor src, int channels, int start, int step) {
        ((DeviceBuffer) dst).writeChannels(src, channels, start, step);
    }

    @Override
    public void readChannels(Memory src, HostTensor dst, int channels, int start, int step) {
        ((DeviceBuffer) src).readChannels(dst, channels, start, step);
    }

    @Override
    public void read(Memory src, HostTensor dst) {
        ((DeviceBuffer) src).read(dst);
    }

    @Override
    public void copy(Memory src, Memory dst, long bytes) {
        try {
            clEnqueueCopyBuffer(context.queue(), ((DeviceBuffer) src).mem(), ((DeviceBuffer) dst).mem(), 0, 0, bytes,
                    0, null, null);
        } catch (CLException e) {
            throw OpenClErrors.translate("copying " + bytes + " bytes on the device", e);
        }
    }

    @Override
    public void finish() {
        context.finish();
    }

    @Override
    public long transfers() {
        return context.transfers();
    }

    @Override
    public long launches() {
        return context.kernelLaunches();
    }

    @Override
    public long liveBytes() {
        return context.liveBytes();
    }

    @Override
    public void close() {
        context.close();
    }
}
