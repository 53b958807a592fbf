package dev.convcl.cpu;

import dev.convcl.Binary;
import dev.convcl.ChannelAffine;
import dev.convcl.ChannelCopy;
import dev.convcl.ChannelShuffle;
import dev.convcl.Conv2d;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.HostTensor;
import dev.convcl.Operation;
import dev.convcl.Pad2d;
import dev.convcl.Pool2d;
import dev.convcl.RoiAlign;
import dev.convcl.SqueezeExcitation;
import dev.convcl.spi.Backend;
import dev.convcl.spi.Implementation;
import dev.convcl.spi.Memory;
import dev.convcl.spi.Primitive;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The pure-Java path: runs every valid operation, on all cores, with no native code. It is both a
 * backend of its own ({@code --device cpu}) and the fallback when OpenCL cannot run a problem. Its
 * memory is Java arrays: host tensors backed by arrays are used in place, and work runs to
 * completion when issued.
 *
 * <p>Implementations, in selection order: {@code cpu-deform-lanes} (deform2d on the vector kernels),
 * {@code cpu-deform-gemm} (deform2d), {@code cpu-depthwise-cover}
 * (groups == c == k, stride 1, when the kernel covers the input plane from every output: a small
 * dense product per channel on NCHW planes, when that costs less than channel blocks),
 * {@code cpu-depthwise-blocked} (groups == c == k, when most taps read padding or output rows are
 * short against a vector: channel blocks in the nChw{q}c layout, bound weights laid out once),
 * {@code cpu-depthwise}
 * (groups == c, when a band of padded rows fits the tile), {@code cpu-1x1} (unpadded 1x1
 * kernels), {@code cpu-implicit-gemm} (when packing column tiles would not pay, or its wide rows'
 * extra multiply-adds cost less than packing, and its padded copy stays within the bound), {@code cpu-gemm} (packed im2col
 * tiles, any conv2d) and {@code cpu-direct} (the plain loop nest, any convolution). Every choice
 * keeps its scratch within {@link Scratch#boundFloats}, whatever the padding. Then one entry per
 * other operator, each accepting all of its descriptors: {@code cpu-channel-affine},
 * {@code cpu-binary}, {@code cpu-pool2d}, {@code cpu-channel-copy}, {@code cpu-channel-shuffle}, {@code cpu-pad2d},
 * {@code cpu-roi-align} (roi_align, ps_roi_align, deform_roi_pool), {@code cpu-squeeze-excitation} (the
 * backend's own plans of its pool and two 1x1 layers).
 *
 * <p>{@link #liveBytes()} counts the arrays {@link #allocate} handed out (device tensors, bound
 * arguments, staging) until they are closed; the algorithms' per-call scratch is not in it, nor
 * the layouts some make of bound weights when they are bound (the channel-lane GEMM's transpose,
 * weight panels, the blocked depthwise's blocks: each about the size of the weights, held by the
 * plan until it is closed or bound again).
 */
public final class CpuBackend implements Backend {
    private final WorkerPool pool;
    private final boolean ownsPool;
    private final Kernels kernels;
    private final java.util.concurrent.atomic.AtomicLong liveBytes = new java.util.concurrent.atomic.AtomicLong();

    /** Uses all available processors through a pool owned by this backend. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /**
     * Uses {@code threads} worker threads: the calling thread and {@code threads - 1} helper
     * threads (named {@code convcl-cpu-<n>-<i>}, daemon, started on first use,
     * spinning up to 100 µs after each call before they park, ended by
     * {@link #close}). The inner loops use the JDK's incubating Vector API when
     * the JVM was started with {@code --add-modules jdk.incubator.vector} (about 2.5x faster dense
     * convolutions), and plain Java otherwise; {@code -Dconvcl.cpu.vector=false} forces plain Java.
     */
    public CpuBackend(int threads) {
        this(threads, Kernels.detect());
    }

    CpuBackend(int threads, Kernels kernels) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads=" + threads + " must be at least 1");
        }
        this.pool = new WorkerPool(threads);
        this.ownsPool = true;
        this.kernels = kernels;
        this.convolutions = Map.of(
                "cpu-deform-lanes", op -> new DeformLanesConv(deformOnly(op, "cpu-deform-lanes"), pool, kernels),
                "cpu-deform-gemm", op -> new GemmConv(op, pool, kernels, new DeformSampler(deformOnly(op, "cpu-deform-gemm"))),
                "cpu-depthwise-cover", op -> new DepthwiseCoverConv(op, pool, kernels),
                "cpu-depthwise-blocked", op -> new DepthwiseBlockedConv(op, pool, kernels),
                "cpu-depthwise-flat", op -> new DepthwiseFlatConv(op, pool, kernels),
                "cpu-depthwise", op -> new DepthwiseConv(op, pool, kernels),
                "cpu-1x1", op -> new GemmConv(op, pool, kernels, new PointwisePacker(op)),
                "cpu-implicit-gemm", op -> new ImplicitGemmConv(op, pool, kernels),
                "cpu-gemm", op -> new GemmConv(op, pool, kernels, new Im2colPacker(conv2dOnly(op))),
                "cpu-direct", op -> new CpuDirectConv(op, pool, kernels));
        List<Implementation> list = new java.util.ArrayList<>();
        for (Map.Entry<String, Function<Convolution, String>> rule : RULES) {
            list.add(conv(rule.getKey(), rule.getValue(), convolutions.get(rule.getKey())));
        }
        list.addAll(List.of(
                new CpuOpImplementation<>("cpu-channel-affine", ChannelAffine.class, op -> new CpuChannelAffine(op, pool, kernels)),
                new CpuOpImplementation<>("cpu-binary", Binary.class, op -> new CpuBinary(op, pool, kernels)),
                new CpuOpImplementation<>("cpu-pool2d", Pool2d.class, op -> new CpuPool2d(op, pool, kernels)),
                new CpuOpImplementation<>("cpu-channel-copy", ChannelCopy.class, op -> new CpuChannelCopy(op, pool)),
                new CpuOpImplementation<>("cpu-channel-shuffle", ChannelShuffle.class,
                        op -> new CpuChannelShuffle(op, pool)),
                new CpuOpImplementation<>("cpu-pad2d", Pad2d.class, op -> new CpuPad2d(op, pool)),
                new CpuOpImplementation<>("cpu-roi-align", RoiAlign.class, op -> new CpuRoiAlign(op, pool)),
                new CpuOpImplementation<>("cpu-squeeze-excitation", SqueezeExcitation.class,
                        op -> new CpuSqueezeExcitation(op, this::firstAccepting))));
        this.implementations = List.copyOf(list);
    }

    private static DeformConv2d deformOnly(Convolution spec, String algorithm) {
        if (spec instanceof DeformConv2d d) {
            return d;
        }
        throw new IllegalArgumentException(algorithm + " runs op=deform2d only: " + spec);
    }

    private static Convolution conv2dOnly(Convolution spec) {
        if (spec instanceof DeformConv2d) {
            throw new IllegalArgumentException("cpu-gemm cannot run op=deform2d: " + spec);
        }
        return spec;
    }

    /** An entry for convolutions: {@code rule} says why it cannot run one, or null when it can. */
    private static CpuOpImplementation<Convolution> conv(String name, Function<Convolution, String> rule,
                                                         Function<Convolution, CpuPlan> create) {
        return new CpuOpImplementation<>(name, Convolution.class, "not a convolution", rule, create);
    }

    /** The plan of the first implementation that accepts {@code op} (selection without tuning: the CPU path has none). */
    private Primitive firstAccepting(Operation op) {
        for (Implementation i : implementations) {
            if (i.validate(op).isEmpty()) {
                return i.create(op, null);
            }
        }
        throw new IllegalStateException("no CPU implementation accepts " + op);
    }

    public int threads() {
        return pool.getParallelism();
    }

    /**
     * Waits until the background warm-up of the CPU kernels started so far ({@link KernelWarmup},
     * one low-priority thread per kernel set, started when the first plan using it is compiled)
     * has finished. For benchmarks: calls timed while it runs race it for the cores and may run
     * kernels the JIT has not compiled yet (on a loaded 2-core machine the CPU path's short runs
     * timed interpreted Vector API code). An interrupt ends the wait early and stays set.
     */
    public void awaitKernelWarmup() {
        try {
            KernelWarmup.awaitAll();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    WorkerPool pool() {
        return pool;
    }

    @Override
    public String kind() {
        return "cpu";
    }

    /** {@code vector} when the Vector API kernels are in use, else {@code scalar}. */
    String kernelName() {
        return kernels.name();
    }

    /** The kernels in use (for tests). */
    Kernels kernels() {
        return kernels;
    }

    /** Whether the kernels have a channel-lane GEMM ({@link Kernels#lanes}; for tests). */
    boolean lanes() {
        return kernels.lanes();
    }

    @Override
    public String deviceName() {
        return "cpu (pure Java, " + threads() + " threads, " + kernels.name() + " kernels)";
    }

    /** The kernels selection assumes (those a default backend uses). */
    private static final Kernels SELECTION_KERNELS = Kernels.detect();
    /** Each implementation's rule, in selection order: null when it accepts, else why not. */
    private static final Function<Convolution, String> DEFORM_LANES = op -> !(op instanceof DeformConv2d d)
            ? "not deform2d"
            : !"vector".equals(SELECTION_KERNELS.name()) ? "the plain-Java kernels are in use (no jdk.incubator.vector): "
            + "no vector of channels to sample at a time"
            : DeformLanesConv.fits(d, SELECTION_KERNELS) ? null
            : "a group's channels of one kernel point, or a range of the weights transposed, would not fit a task's scratch";
    private static final Function<Convolution, String> DEFORM_GEMM = op -> op instanceof DeformConv2d ? null
            : "not deform2d";
    /** Their vector width. */
    private static final int SELECTION_QUANTUM = SELECTION_KERNELS.quantum();
    private static final Function<Convolution, String> DEPTHWISE_COVER = op -> op instanceof Conv2d c
            && DepthwiseCoverConv.pays(c, SELECTION_QUANTUM) ? null
            : "not a depthwise conv2d (stride 1, one output channel per input channel) whose kernel covers the "
            + "input plane from every output and costs less so than on channel blocks";
    private static final Function<Convolution, String> DEPTHWISE_BLOCKED = op -> op instanceof Conv2d c
            && c.isDepthwise() && c.k() == c.c() && DepthwiseBlockedConv.pays(c, SELECTION_QUANTUM)
            && DepthwiseBlockedConv.blockFloats(c, SELECTION_QUANTUM) <= Scratch.TILE_FLOATS ? null
            : "not a depthwise conv2d (one output channel per input channel) whose taps mostly read padding or "
            + "whose rows are short against a vector";
    private static final Function<Convolution, String> DEPTHWISE_FLAT = op -> op instanceof Conv2d c
            && DepthwiseFlatConv.pays(c, SELECTION_KERNELS) ? null
            : SELECTION_KERNELS.flatPays() ? "not a depthwise conv2d padded across to its input's width "
            + "(padLeft + padRight == dilW*(kW-1)), 3x3 on rows of at most " + DepthwiseFlatConv.MAX_CHOSEN_WIDTH + " (at a stride, "
            + DepthwiseFlatConv.MAX_CHOSEN_WIDTH / 2 + ") or 5x5 at stride 1 on rows of at most "
            + DepthwiseFlatConv.MAX_CHOSEN_WIDTH_5X5
            : "the plain-Java kernels are in use (no jdk.incubator.vector), whose flat taps are slower than rows";
    private static final Function<Convolution, String> DEPTHWISE = op -> op instanceof Conv2d c && c.isDepthwise()
            && DepthwiseConv.fits(c) ? null : "not a depthwise conv2d whose band of padded rows fits the tile";
    private static final Function<Convolution, String> POINTWISE = op -> op instanceof Conv2d c && isPointwise(c) ? null
            : "not an unpadded 1x1 conv2d";
    private static final Function<Convolution, String> IMPLICIT_GEMM = op -> op instanceof Conv2d c
            && prefersImplicitGemm(c) ? null : "not a conv2d whose padded copy is small and wide rows pay";
    private static final Function<Convolution, String> GEMM = op -> op instanceof Conv2d ? null : "not conv2d";
    private static final Function<Convolution, String> DIRECT = op -> null;

    private final List<Implementation> implementations;

    /** Each convolution implementation's constructor by name; selection order and rules are {@link #RULES}'. */
    private final Map<String, Function<Convolution, CpuPlan>> convolutions;

    private static final List<Map.Entry<String, Function<Convolution, String>>> RULES = List.of(
            Map.entry("cpu-deform-lanes", DEFORM_LANES), Map.entry("cpu-deform-gemm", DEFORM_GEMM),
            Map.entry("cpu-depthwise-cover", DEPTHWISE_COVER),
            Map.entry("cpu-depthwise-blocked", DEPTHWISE_BLOCKED),
            Map.entry("cpu-depthwise-flat", DEPTHWISE_FLAT), Map.entry("cpu-depthwise", DEPTHWISE),
            Map.entry("cpu-1x1", POINTWISE), Map.entry("cpu-implicit-gemm", IMPLICIT_GEMM),
            Map.entry("cpu-gemm", GEMM), Map.entry("cpu-direct", DIRECT));

    @Override
    public List<Implementation> implementations() {
        return implementations;
    }

    private static boolean isPointwise(Convolution spec) {
        return spec.kh() == 1 && spec.kw() == 1 && spec.padTop() == 0 && spec.padLeft() == 0 && spec.padBottom() == 0
                && spec.padRight() == 0;
    }

    /**
     * FMA lanes that packing one column element costs: a load and a store, each counted as one
     * 16-lane vector FMA. (Measured on the dense 14x14 and 17x17 layers, an element packed in
     * runs of one output row cost about 5 times that.)
     */
    private static final int PACK_COST_LANES = 32;

    /**
     * Packing costs about one copy per column element, shared by the kPerGroup rows that use it;
     * the implicit GEMM packs nothing but computes phaseW / OW times the output (its wide rows),
     * i.e. kPerGroup * (phaseW - OW) / OW extra multiply-adds per column element. It is chosen
     * when those cost no more than the packing ({@link #PACK_COST_LANES}), or when rows are few.
     */
    private static boolean prefersImplicitGemm(Convolution spec) {
        int phaseW = PhaseLayout.phaseCols(spec);
        double waste = (double) phaseW / spec.outW();
        boolean fewRows = spec.kPerGroup() <= 32 || spec.cPerGroup() <= 8;
        boolean cheaperThanPacking = spec.kPerGroup() * (waste - 1) <= PACK_COST_LANES;
        return (fewRows || waste <= 1.10 || cheaperThanPacking) && ImplicitGemmConv.fits(spec);
    }

    /** The name of the implementation selection picks for {@code spec} (the first that accepts it). */
    static String algorithmFor(Convolution spec) {
        for (Map.Entry<String, Function<Convolution, String>> rule : RULES) {
            if (rule.getValue().apply(spec) == null) {
                return rule.getKey();
            }
        }
        throw new IllegalStateException("cpu-direct accepts every convolution");
    }

    /**
     * Compiles with a named algorithm, whether or not selection would pick it (tests run every
     * algorithm on every shape it can take); only what the algorithm cannot run is refused.
     *
     * @throws IllegalArgumentException when the algorithm is unknown or cannot run {@code spec}
     * @throws dev.convcl.DeviceException (out of resources) when its scratch would exceed
     *         {@link Scratch#boundFloats} ({@code cpu-implicit-gemm} under a large padding,
     *         {@code cpu-depthwise} when one output row's padded band exceeds the tile)
     */
    CpuPlan compile(Convolution spec, String algorithm) {
        Function<Convolution, CpuPlan> create = convolutions.get(algorithm);
        if (create == null) {
            throw new IllegalArgumentException("unknown CPU algorithm '" + algorithm + "'");
        }
        return create.apply(spec);
    }

    // ---------------------------------------------------------------- memory: Java arrays

    @Override
    public Memory allocate(String what, long bytes) {
        long floats = (bytes + Float.BYTES - 1) / Float.BYTES;
        if (floats > Scratch.MAX_FLOATS) {
            throw new dev.convcl.DeviceException(dev.convcl.DeviceException.Kind.OUT_OF_RESOURCES, what + " needs "
                    + floats + " floats, more than a Java array holds (" + Scratch.MAX_FLOATS + ")");
        }
        return new HostMemory(new float[(int) floats], liveBytes);
    }

    @Override
    public Memory wrap(HostTensor t) {
        return t.hasArray() ? new HostMemory(t.array()) : null;
    }

    @Override
    public void write(Memory dst, HostTensor src) {
        float[] d = HostMemory.of(dst);
        if (src.hasArray()) {
            System.arraycopy(src.array(), 0, d, 0, src.size());
        } else {
            src.buffer().get(0, d, 0, src.size());
        }
    }

    @Override
    public void read(Memory src, HostTensor dst) {
        float[] s = HostMemory.of(src);
        if (dst.hasArray()) {
            System.arraycopy(s, 0, dst.array(), 0, dst.size());
        } else {
            dst.copyFrom(java.util.Arrays.copyOf(s, dst.size()));
        }
    }

    @Override
    public void copy(Memory src, Memory dst, long bytes) {
        System.arraycopy(HostMemory.of(src), 0, HostMemory.of(dst), 0, (int) (bytes / Float.BYTES));
    }

    /** Work on the CPU path runs to completion when issued: nothing to wait for. */
    @Override
    public void finish() {
    }

    @Override
    public long transfers() {
        return 0;
    }

    @Override
    public long launches() {
        return 0;
    }

    /** Bytes of the arrays {@link #allocate} handed out and not yet closed. */
    @Override
    public long liveBytes() {
        return liveBytes.get();
    }

    @Override
    public void close() {
        if (ownsPool) {
            pool.close();
        }
    }
}
