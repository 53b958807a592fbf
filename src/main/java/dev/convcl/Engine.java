package dev.convcl;

import dev.convcl.cpu.CpuBackend;
import dev.convcl.opencl.AutoTune;
import dev.convcl.opencl.OpenClBackend;
import dev.convcl.opencl.OpenClDeviceInfo;
import dev.convcl.opencl.OpenClDiscovery;
import dev.convcl.setting.Setting;
import dev.convcl.spi.Backend;
import dev.convcl.spi.Implementation;
import dev.convcl.spi.Memory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point: owns one device (an OpenCL device, or the pure-Java CPU path), its memory and
 * its ordered work queue, and the CPU path every plan falls back to. Thread-safe; create one per
 * application and close it at the end (try-with-resources).
 *
 * <pre>{@code
 * Conv2d conv = Conv2d.builder().input(1, 64, 56, 56).output(64).kernel(3, 3).padding(1).build();
 * try (Engine engine = Engine.create();
 *      Plan plan = engine.plan(conv)) {                     // compile once
 *     plan.bind(Arg.WEIGHTS, Tensor.of(weights, conv.weightShape()));   // copied once
 *     try (DeviceTensor x = engine.upload(Tensor.of(image, conv.inputShape()));
 *          DeviceTensor y = engine.allocate(conv.outputShape())) {
 *         plan.execute(Args.of(Arg.SRC, x, Arg.DST, y));    // queued, no copies
 *         float[] result = y.toArray();                     // waits, copies back
 *     }
 * }
 * }</pre>
 *
 * <p>One-shot calls need no plan: {@link #execute(Operation, Args)}, and the PyTorch-style
 * {@link #conv2d} and {@link #deformConv2d}, keep recent plans in a bounded cache.
 *
 * <p>Fallback: with {@link DeviceChoice#AUTO}, no OpenCL device means the CPU path. A plan whose
 * implementations all fail to build or do not fit, and a call that meets a device error, complete
 * on the CPU path. Each distinct cause is logged once at WARN; {@link Plan#backend()} tells where
 * a plan runs. Results on the device that queued work failed to produce are reported lost
 * ({@link DeviceException}), never returned wrong.
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    /** One-shot calls keep this many plans (least recently used evicted). */
    static final int PLAN_CACHE_SIZE = 32;

    private final DeviceChoice choice;
    private final CpuBackend cpu;
    private final Backend primary;
    private final String fallbackReason;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    private final Set<Plan> openPlans = ConcurrentHashMap.newKeySet();
    private final Set<DeviceTensor> openTensors = ConcurrentHashMap.newKeySet();
    private final PlanCache cache = new PlanCache(this, PLAN_CACHE_SIZE);
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Queue bookkeeping: writes of device tensors are numbered; a failed wait marks a range lost. */
    private final Object queueLock = new Object();
    private long epoch;
    private long syncedThrough;
    private final List<long[]> lostRanges = new ArrayList<>();

    static {
        dev.convcl.spi.Internals.install(new dev.convcl.spi.Internals.Access() {
            @Override
            public Backend primary(Engine engine) {
                return engine.primary;
            }

            @Override
            public Backend cpu(Engine engine) {
                return engine.cpu;
            }

            @Override
            public Value value(String name, int[] shape) {
                return new Value(name, shape, null);
            }
        });
    }

    private Engine(DeviceChoice choice, CpuBackend cpu, Backend primary, String fallbackReason) {
        this.choice = choice;
        this.cpu = cpu;
        this.primary = primary;
        this.fallbackReason = fallbackReason;
    }

    /**
     * An engine on the device named by the system property {@code convcl.device}, else the
     * environment variable {@code CONVCL_DEVICE}, else {@code auto} ({@link DeviceChoice#fromEnvironment()}).
     *
     * @return a new engine; close it
     * @throws IllegalArgumentException when the property or variable holds no valid choice, or a
     *                                  tuning setting is refused ({@link #create(DeviceChoice)})
     * @throws DeviceUnavailableException when it asks for {@code opencl} or {@code opencl:N} and no
     *                                  such device can be opened; the message names the property
     *                                  or variable
     */
    public static Engine create() {
        Optional<Setting> setting = DeviceChoice.setting();
        DeviceChoice choice = DeviceChoice.fromEnvironment(setting);
        try {
            return create(choice);
        } catch (DeviceUnavailableException e) {
            if (setting.isEmpty()) {
                throw e;
            }
            // the setting as written (opencl:01, which reads as opencl:1), from the one read above
            throw new DeviceUnavailableException(e.choice(), setting.get().value().strip(), e.reason(),
                    setting.get().source(), e);
        }
    }

    /**
     * An engine on the chosen device. With {@link DeviceChoice#AUTO}, no usable OpenCL device
     * means the CPU path and one WARN saying why ({@link #fallbackReason()}). An engine on an OpenCL
     * device names it in an INFO line ({@code convcl on opencl:0 ...}), the first on that device in
     * the process; later ones say it at DEBUG.
     *
     * @param choice which device, not null
     * @return a new engine; close it
     * @throws DeviceUnavailableException when {@code opencl} or {@code opencl:N} is asked for and no such
     *                                  device can be opened; the message says why
     * @throws IllegalArgumentException when {@code choice} is null, or a tuning setting
     *                                  ({@code CONVCL_AUTOTUNE}, {@code CONVCL_AUTOTUNE_SECONDS} or
     *                                  their properties) holds a value it does not accept; the
     *                                  message names the setting, the value and the rule
     */
    public static Engine create(DeviceChoice choice) {
        if (choice == null) {
            throw new IllegalArgumentException("the device choice must not be null (DeviceChoice.AUTO picks the best)");
        }
        AutoTune.checkSettings(); // a typo in a tuning setting is refused here, before anything is opened
        CpuBackend cpu = new CpuBackend();
        if (choice.kind() == DeviceChoice.Kind.CPU) {
            return new Engine(choice, cpu, cpu, null);
        }
        OpenClDiscovery found = OpenClDiscovery.discover();
        Optional<OpenClDeviceInfo> device;
        if (choice.deviceIndex() >= 0) {
            device = choice.deviceIndex() < found.devices().size()
                    ? Optional.of(found.devices().get(choice.deviceIndex())) : Optional.empty();
        } else {
            device = found.best();
        }
        String reason;
        if (device.isPresent()) {
            try {
                Backend opencl = new OpenClBackend(device.get());
                announce(opencl.deviceName());
                return new Engine(choice, cpu, opencl, null);
            } catch (DeviceException e) {
                reason = e.getMessage();
            }
        } else if (choice.deviceIndex() >= 0 && found.available()) {
            reason = "no OpenCL device " + choice.deviceIndex() + " (there are " + found.devices().size() + ")";
        } else {
            reason = found.unavailable();
        }
        if (choice.kind() == DeviceChoice.Kind.OPENCL) {
            cpu.close();
            throw new DeviceUnavailableException(choice, reason, null);
        }
        Engine engine = new Engine(choice, cpu, cpu, reason);
        engine.warnOnce("no-device", "OpenCL unavailable: " + reason + "; running on the CPU path");
        return engine;
    }

    /**
     * What was asked for (not necessarily what was found: see {@link #backend()}).
     *
     * @return the choice the engine was created with
     */
    public DeviceChoice choice() {
        return choice;
    }

    /**
     * Where plans run first; a plan may still fall back ({@link Plan#backend()}).
     *
     * @return {@code opencl} or {@code cpu}
     */
    public String backend() {
        return primary.kind();
    }

    /**
     * Why the engine runs on the CPU path although {@code auto} looked for an OpenCL device.
     *
     * @return the reason (no ICD loader, no platform, a device that failed to open ...), or
     *         empty when the engine runs where it was asked to
     */
    public Optional<String> fallbackReason() {
        return Optional.ofNullable(fallbackReason);
    }

    /**
     * The device, in words.
     *
     * @return e.g. {@code opencl:0 NVIDIA H100 (GPU, ...)} or
     *         {@code cpu (pure Java, 16 threads, vector kernels)}; also once the engine is closed
     */
    public String deviceName() {
        return primary.deviceName();
    }

    /**
     * Compiles {@code op} once for repeated calls: validation, implementation choice, kernel build
     * (cached) and scratch allocation happen here, not in {@link Plan#execute}. The first
     * implementation of the device's list that accepts {@code op} and builds is used; when none
     * does, the CPU path's (with one WARN per cause). A kernel this device has not built before
     * costs its compiler's time here, once: on POCL, a CPU OpenCL runtime, a second or more a
     * kernel on two cores; later plans of the same kernel, in this process or the next, take it
     * from the caches ({@link CacheDir}).
     *
     * @param op the operation, validated already by its constructor
     * @return a new plan; close it (closing the engine closes it too)
     * @throws IllegalArgumentException when {@code op} is null
     * @throws IllegalStateException    when the engine is closed
     */
    public Plan plan(Operation op) {
        if (op == null) {
            throw new IllegalArgumentException("operation must not be null");
        }
        ensureOpen();
        return register(compile(op));
    }

    /**
     * Compiles a network once for repeated runs: the graph passes (batch norm folding,
     * re-parameterisation, activation and residual-sum fusion), one plan per remaining layer with
     * its constants bound, and device buffers for the activations, reused by liveness. Equivalent to
     * {@link CompiledGraph#compile(Engine, Graph)}.
     *
     * @param graph the network
     * @return the compiled network; close it (or the engine) to release its plans and buffers
     * @throws IllegalArgumentException when {@code graph} is null
     * @throws IllegalStateException    when the engine is closed
     */
    public CompiledGraph compile(Graph graph) {
        return CompiledGraph.compile(this, graph);
    }

    /**
     * The names of the device's implementations that accept {@code op}, in selection order (the
     * first is what {@link #plan(Operation)} uses unless it fails to build). On the CPU path, the
     * CPU path's. Asks each implementation's side-effect-free check; builds nothing.
     *
     * @param op the operation
     * @return e.g. {@code [depthwise, direct]} on OpenCL, {@code [cpu-depthwise, cpu-gemm, cpu-direct]}
     *         on the CPU path; never empty on the CPU path, whose last implementation accepts
     *         everything
     * @throws IllegalArgumentException when {@code op} is null
     * @throws IllegalStateException when the engine is closed
     */
    public List<String> implementations(Operation op) {
        if (op == null) {
            throw new IllegalArgumentException("operation must not be null");
        }
        ensureOpen();
        List<String> names = new ArrayList<>();
        for (Implementation impl : primary.implementations()) {
            if (impl.validate(op).isEmpty()) {
                names.add(impl.name());
            }
        }
        return names;
    }

    /**
     * Compiles {@code op} with the named implementation of the device (see
     * {@link #implementations}) and, when given, one of its configurations; no fallback. For
     * benchmarks, tuning and tests.
     *
     * @param op             the operation
     * @param implementation the implementation's name, one of the device's
     * @param config a configuration key of that implementation (see {@link #configs}), or null for
     *               its default
     * @return a new plan that runs only that implementation (it still falls back to the CPU path if
     *         the device fails during a call)
     * @throws IllegalArgumentException when no implementation has that name, or it rejects {@code op}
     * @throws DeviceException          when it fails to build or allocate
     * @throws IllegalStateException    when the engine is closed
     */
    public Plan plan(Operation op, String implementation, String config) {
        if (op == null) {
            throw new IllegalArgumentException("operation must not be null");
        }
        ensureOpen();
        Implementation impl = find(primary, implementation);
        Optional<String> why = impl.validate(op);
        if (why.isPresent()) {
            throw new IllegalArgumentException("implementation " + implementation + " cannot run " + op + ": " + why.get());
        }
        return register(new Plan(this, op, primary, impl.name(), impl.create(op, config)));
    }

    /**
     * The configuration keys (tile sizes, work-group shapes ...) the named implementation would try
     * for {@code op}, as {@code convcl tune} walks them.
     *
     * @param op             the operation
     * @param implementation the implementation's name, one of the device's
     * @return the keys, default first; empty when the implementation does not accept {@code op}
     * @throws IllegalArgumentException when {@code op} is null or no implementation of the device has
     *                                  that name
     * @throws IllegalStateException    when the engine is closed
     */
    public List<String> configs(Operation op, String implementation) {
        if (op == null) {
            throw new IllegalArgumentException("operation must not be null");
        }
        ensureOpen();
        Implementation impl = find(primary, implementation);
        return impl.validate(op).isPresent() ? List.of() : impl.configs(op);
    }

    private static Implementation find(Backend backend, String name) {
        for (Implementation impl : backend.implementations()) {
            if (impl.name().equals(name)) {
                return impl;
            }
        }
        List<String> names = new ArrayList<>();
        for (Implementation impl : backend.implementations()) {
            names.add(impl.name());
        }
        throw new IllegalArgumentException("no implementation '" + name + "' on " + backend.kind() + " (there are "
                + String.join(", ", names) + ")");
    }

    private Plan register(Plan plan) {
        openPlans.add(plan);
        if (closed.get()) { // close() ran meanwhile and may have missed this plan
            plan.close();
            ensureOpen();
        }
        return plan;
    }

    private Plan compile(Operation op) {
        if (primary != cpu) {
            List<String> reasons = new ArrayList<>();
            for (Implementation impl : primary.implementations()) {
                Optional<String> why = impl.validate(op);
                if (why.isPresent()) {
                    if (impl.handlesKind(op)) { // another kind's "not Pool2d" says nothing about op
                        reasons.add(impl.name() + ": " + why.get());
                    }
                    continue;
                }
                try {
                    return new Plan(this, op, primary, impl.name(), impl.create(op, null));
                } catch (DeviceException e) {
                    warnOnce(e.kind() + ":" + firstLine(e.getMessage()), "OpenCL failed to prepare " + op + " with "
                            + impl.name() + " (" + e.kind() + "): " + e.getMessage() + "; trying the next implementation");
                    reasons.add(impl.name() + ": " + e.kind());
                }
            }
            warnOnce("unsupported:" + op.name() + ":" + reasons, "OpenCL cannot run " + op + " ("
                    + String.join("; ", reasons) + "); running on the CPU path");
        }
        return compileOnCpu(op);
    }

    /** A plan on the CPU path: the first CPU implementation that accepts {@code op}. */
    Plan compileOnCpu(Operation op) {
        Implementation impl = firstAccepting(cpu, op);
        return new Plan(this, op, cpu, impl.name(), impl.create(op, null));
    }

    /** The CPU path's implementation for {@code op}, for a plan that falls back. */
    Implementation cpuImplementation(Operation op) {
        return firstAccepting(cpu, op);
    }

    private static Implementation firstAccepting(Backend backend, Operation op) {
        for (Implementation impl : backend.implementations()) {
            if (impl.validate(op).isEmpty()) {
                return impl;
            }
        }
        throw new IllegalStateException("no " + backend.kind() + " implementation accepts " + op
                + "; the list must end with one that accepts everything");
    }

    Backend cpu() {
        return cpu;
    }

    Backend primary() {
        return primary;
    }

    /**
     * Runs one call without keeping a plan of its own: the engine keeps the plans of recent
     * one-shot calls ({@value #PLAN_CACHE_SIZE}, least recently used closed first), so repeated
     * calls do not rebuild them; a new problem is planned (its kernels built) without holding up
     * other threads' calls of cached ones. The tensors are checked before anything is compiled or sent to a
     * device. Returns as {@link Plan#execute} does: once queued for a device output, once the
     * result is in place for a host output.
     *
     * @param op   the operation
     * @param args every argument {@code op} takes ({@link Operation#arguments()}); {@link Arg#DST}
     *             is written, every element
     * @throws IllegalArgumentException when {@code op} or {@code args} is null or a tensor does not
     *                                  match {@code op} (nothing is written)
     * @throws DeviceException          when a device tensor to read was lost to an earlier device
     *                                  failure
     * @throws IllegalStateException    when the engine is closed
     */
    public void execute(Operation op, Args args) {
        if (op == null || args == null) {
            throw new IllegalArgumentException("operation and args must not be null");
        }
        ensureOpen(); // a closed engine is the mistake to report, whatever the arguments hold
        args.validateFor(op);
        cache.execute(op, args);
    }

    /**
     * A new device tensor of {@code shape} (contents undefined until written), in the engine's
     * device memory (a Java array on the CPU path).
     *
     * @param shape the dimensions, outermost first
     * @return the tensor; close it (closing the engine closes it too)
     * @throws IllegalArgumentException when the shape is empty, a dimension is below 1 or the tensor
     *                                  has 2^31 elements or more
     * @throws DeviceException          when the device cannot hold it
     * @throws IllegalStateException    when the engine is closed
     */
    public DeviceTensor allocate(int... shape) {
        ensureOpen();
        int[] s = checkedShape(shape);
        int size = (int) product(s);
        Memory m = primary.allocate("tensor " + Arrays.toString(s), (long) size * DataType.F32.bytes());
        DeviceTensor t = new DeviceTensor(this, s, size, m);
        openTensors.add(t);
        return t;
    }

    /**
     * A new device tensor holding a copy of {@code host}: {@link #allocate} then
     * {@link DeviceTensor#upload}.
     *
     * @param host the values; read, and free to change once this returns
     * @return the tensor, of {@code host}'s shape; close it
     * @throws IllegalArgumentException when {@code host} is null
     * @throws DeviceException       when the device cannot hold it
     * @throws IllegalStateException when the engine is closed
     */
    public DeviceTensor upload(HostTensor host) {
        if (host == null) {
            throw new IllegalArgumentException("host tensor to upload must not be null");
        }
        DeviceTensor t = allocate(host.shape());
        try {
            t.upload(host);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    /**
     * Waits until all work issued on this engine has finished.
     *
     * @throws DeviceException       when queued work failed on the device; the device tensors it
     *                               would have written are marked lost
     * @throws IllegalStateException when the engine is closed (its queue is released)
     */
    public void finish() {
        ensureOpen();
        sync(primary::finish);
    }

    /**
     * Counters of this engine's device: host-device copies, kernel launches, memory held, open
     * plans and tensors. A benchmark compares two snapshots. A closed engine still answers, with
     * its last counts (no plans, tensors or memory held).
     *
     * @return a snapshot
     */
    public Stats stats() {
        return new Stats(primary.transfers(), primary.launches(), primary.liveBytes(), openPlans.size(),
                openTensors.size());
    }

    /**
     * Counters of an engine's device.
     *
     * @param hostTransfers  host-to-device and device-to-host copies issued so far
     * @param kernelLaunches kernels launched so far (0 on the CPU path)
     * @param deviceBytes    device memory held now, in bytes (plans' scratch and staging, device tensors)
     * @param openPlans      plans not yet closed (the one-shot cache's included)
     * @param openTensors    device tensors not yet closed
     */
    public record Stats(long hostTransfers, long kernelLaunches, long deviceBytes, int openPlans, int openTensors) {
    }

    // ------------------------------------------------------------ PyTorch-style one-shot calls

    /**
     * {@code torch.nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups)}:
     * the descriptor is derived from the tensors' shapes, and the call runs as
     * {@link #execute(Operation, Args)} does.
     *
     * @param input    {@code [N, C, H, W]}, read
     * @param weight   {@code [K, C/groups, kh, kw]}, read
     * @param bias     {@code [K]}, read; null for none
     * @param stride   the stride on both axes, at least 1
     * @param padding  the zero padding on every side, at least 0
     * @param dilation the dilation on both axes, at least 1
     * @param groups   the channel groups, dividing C and K
     * @return a new host tensor {@code [N, K, OH, OW]}
     * @throws IllegalArgumentException naming the tensor, its shape and the rule
     * @throws IllegalStateException    when the engine is closed
     */
    public HostTensor conv2d(Tensor input, Tensor weight, Tensor bias, int stride, int padding, int dilation,
                             int groups) {
        requireRank("input", input, 4);
        requireRank("weight", weight, 4);
        if (bias != null) {
            requireRank("bias", bias, 1);
        }
        Conv2d op = Conv2d.builder().input(input.dim(0), input.dim(1), input.dim(2), input.dim(3)).output(weight.dim(0))
                .kernel(weight.dim(2), weight.dim(3)).stride(stride).padding(padding).dilation(dilation)
                .groups(groups).bias(bias != null).build();
        if (weight.dim(1) != op.cPerGroup()) {
            throw new IllegalArgumentException("weight " + Arrays.toString(weight.shape()) + " has " + weight.dim(1)
                    + " channels per group; with groups=" + groups + " the input must have " + weight.dim(1) * (long) groups
                    + " channels, but input " + Arrays.toString(input.shape()) + " has " + input.dim(1));
        }
        HostTensor out = HostTensor.zeros(op.outputShape());
        execute(op, Args.builder().src(input).weights(weight).bias(bias).dst(out).build());
        return out;
    }

    /**
     * {@code torchvision.ops.deform_conv2d(input, offset, weight, bias, stride, padding, dilation, mask)}:
     * offset groups are derived from the offset's channels, as torchvision does. See
     * {@link DeformConv2d} for the sampling rule (NaN offsets propagate, infinite ones sample zero).
     * Groups are derived from the weight's channels, as torchvision does.
     *
     * @param input    {@code [N, C, H, W]}, read
     * @param offset   {@code [N, 2*og*kh*kw, OH, OW]}, read
     * @param weight   {@code [K, C/groups, kh, kw]}, read
     * @param bias     {@code [K]}, read; null for none
     * @param stride   the stride on both axes, at least 1
     * @param padding  the zero padding on every side, at least 0
     * @param dilation the dilation on both axes, at least 1
     * @param mask     {@code [N, og*kh*kw, OH, OW]}, read; null for DCNv1
     * @return a new host tensor {@code [N, K, OH, OW]}
     * @throws IllegalArgumentException naming the tensor, its shape and the rule
     * @throws IllegalStateException    when the engine is closed
     */
    public HostTensor deformConv2d(Tensor input, Tensor offset, Tensor weight, Tensor bias, int stride, int padding,
                                   int dilation, Tensor mask) {
        requireRank("input", input, 4);
        requireRank("weight", weight, 4);
        requireRank("offset", offset, 4);
        if (mask != null) {
            requireRank("mask", mask, 4);
        }
        if (bias != null) {
            requireRank("bias", bias, 1);
        }
        int kk = weight.dim(2) * weight.dim(3);
        if (offset.dim(1) % (2 * kk) != 0) {
            throw new IllegalArgumentException("offset has " + offset.dim(1) + " channels; it must be a multiple of 2*kh*kw="
                    + 2 * kk);
        }
        if (input.dim(1) % weight.dim(1) != 0) {
            throw new IllegalArgumentException("input channels " + input.dim(1)
                    + " are not a multiple of the weight's channels per group " + weight.dim(1));
        }
        DeformConv2d op = DeformConv2d.builder().input(input.dim(0), input.dim(1), input.dim(2), input.dim(3))
                .output(weight.dim(0)).kernel(weight.dim(2), weight.dim(3)).stride(stride).padding(padding)
                .dilation(dilation).groups(input.dim(1) / weight.dim(1)).bias(bias != null)
                .offsetGroups(offset.dim(1) / (2 * kk)).mask(mask != null).build();
        HostTensor out = HostTensor.zeros(op.outputShape());
        execute(op, Args.builder().src(input).offset(offset).mask(mask).weights(weight).bias(bias).dst(out).build());
        return out;
    }

    /**
     * {@code torchvision.ops.roi_align(input, boxes, (outH, outW), spatialScale, samplingRatio, aligned)}
     * with {@code boxes} as one tensor of rows {@code (batch_index, x1, y1, x2, y2)}: the descriptor is
     * {@link RoiAlign#roiAlign} of the tensors' shapes, and the call runs as {@link #execute(Operation, Args)}
     * does (the RoIs' values are checked on the host before any work).
     *
     * @param input         {@code [N, C, H, W]}, read
     * @param boxes         {@code [K, 5]}, read: batch index, then x1, y1, x2, y2 in image coordinates
     * @param outH          output height (bins), at least 1 (the descriptor's {@code ph})
     * @param outW          output width (bins), at least 1 (the descriptor's {@code pw})
     * @param spatialScale  image to input coordinates (e.g. 1/16 for a stride-16 feature map), finite and above 0
     * @param samplingRatio samples per bin and axis, at most {@value RoiAlign#MAX_SAMPLING_RATIO}; 0 or less:
     *                      adaptive, {@code ceil(roi size / bins)}
     * @param aligned       torchvision's {@code aligned=True}: the box, once scaled to input coordinates, moves
     *                      by -0.5 (pixel centres), and a box may be smaller than one pixel
     * @return a new host tensor {@code [K, C, outH, outW]}
     * @throws IllegalArgumentException naming the tensor or field, its value and the rule: a shape or an
     *                                  argument out of range, or a box whose batch index, truncated as torchvision
     *                                  does, is outside {@code [0, N)} or whose values are not finite (checked on the host
     *                                  before any work)
     * @throws IllegalStateException    when the engine is closed
     */
    public HostTensor roiAlign(Tensor input, Tensor boxes, int outH, int outW, float spatialScale, int samplingRatio,
                               boolean aligned) {
        requireRank("input", input, 4);
        requireBoxes(boxes);
        return runRoi(RoiAlign.roiAlign(input.dim(0), input.dim(1), input.dim(2), input.dim(3), boxes.dim(0), outH, outW,
                spatialScale, samplingRatio, aligned), input, boxes);
    }

    /**
     * {@code torchvision.ops.ps_roi_align(input, boxes, (outH, outW), spatialScale, samplingRatio)} with
     * {@code boxes} as one tensor of rows {@code (batch_index, x1, y1, x2, y2)}: position-sensitive, bin
     * (i, j) of output channel c reads input channel {@code (c * outH + i) * outW + j}. Runs as
     * {@link #roiAlign} does.
     *
     * @param input         {@code [N, C, H, W]}, read; C a multiple of {@code outH * outW}
     * @param boxes         {@code [K, 5]}, read: batch index, then x1, y1, x2, y2 in image coordinates
     * @param outH          output height (bins), at least 1 (the descriptor's {@code ph})
     * @param outW          output width (bins), at least 1 (the descriptor's {@code pw})
     * @param spatialScale  image to input coordinates, finite and above 0
     * @param samplingRatio samples per bin and axis, at most {@value RoiAlign#MAX_SAMPLING_RATIO}; 0 or less:
     *                      adaptive
     * @return a new host tensor {@code [K, C / (outH * outW), outH, outW]}
     * @throws IllegalArgumentException naming the tensor or field, its value and the rule: a shape or an
     *                                  argument out of range, or a box whose batch index, truncated as torchvision
     *                                  does, is outside {@code [0, N)} or whose values are not finite (checked on the host
     *                                  before any work)
     * @throws IllegalStateException    when the engine is closed
     */
    public HostTensor psRoiAlign(Tensor input, Tensor boxes, int outH, int outW, float spatialScale, int samplingRatio) {
        requireRank("input", input, 4);
        requireBoxes(boxes);
        return runRoi(RoiAlign.psRoiAlign(input.dim(0), input.dim(1), input.dim(2), input.dim(3), boxes.dim(0), outH,
                outW, spatialScale, samplingRatio), input, boxes);
    }

    private static void requireBoxes(Tensor boxes) {
        requireRank("boxes", boxes, 2);
        if (boxes.dim(1) != 5) {
            throw new IllegalArgumentException("boxes " + Arrays.toString(boxes.shape()) + " must be [K, 5]: rows of "
                    + "(batch_index, x1, y1, x2, y2)");
        }
    }

    private HostTensor runRoi(RoiAlign op, Tensor input, Tensor boxes) {
        HostTensor out = HostTensor.zeros(op.outputShape());
        execute(op, Args.builder().src(input).rois(boxes).dst(out).build());
        return out;
    }

    private static void requireRank(String name, Tensor t, int rank) {
        if (t == null) {
            throw new IllegalArgumentException(name + " tensor must not be null");
        }
        if (t.rank() != rank) {
            throw new IllegalArgumentException(name + " has rank " + t.rank() + " (shape "
                    + Arrays.toString(t.shape()) + "); expected rank " + rank);
        }
    }

    // ------------------------------------------------------------ device memory and the queue

    void write(DeviceTensor t, HostTensor src) {
        write(t, () -> primary.write(t.memory(), src));
    }

    /**
     * Copies {@code src} ({@code t}'s shape) into channels {@code start + c * step} of the tensor of
     * {@code channels} channels per image that {@code t}'s buffer holds (a plan writing a channel
     * window that fell back to the CPU path).
     */
    void writeChannels(DeviceTensor t, HostTensor src, int channels, int start, int step) {
        write(t, () -> primary.writeChannels(t.memory(), src, channels, start, step));
    }

    private void write(DeviceTensor t, Runnable copy) {
        ensureOpen();
        synchronized (queueLock) {
            try {
                copy.run();
            } catch (DeviceException e) {
                // the copy was refused or broke off: what the tensor holds now is undefined
                long at = ++epoch;
                t.written(at);
                lostRanges.add(new long[] {at, at});
                throw e;
            }
            t.written(++epoch);
        }
    }

    void read(DeviceTensor t, HostTensor dst) {
        ensureOpen();
        checkNotLost(t);
        sync(() -> primary.read(t.memory(), dst));
        checkNotLost(t);
    }

    /**
     * Waits for the queued work and copies channels {@code start + c * step} of the tensor of
     * {@code channels} channels per image that {@code t}'s buffer holds into {@code dst}
     * ({@code t}'s shape): a plan reading a channel window that fell back to the CPU path.
     */
    void readChannels(DeviceTensor t, HostTensor dst, int channels, int start, int step) {
        ensureOpen();
        checkNotLost(t);
        sync(() -> primary.readChannels(t.memory(), dst, channels, start, step));
        checkNotLost(t);
    }

    /** Called by a plan after it queued work that writes {@code t}. */
    void written(DeviceTensor t) {
        synchronized (queueLock) {
            t.written(++epoch);
        }
    }

    /**
     * Runs a wait on the device: {@link Backend#finish} or a {@link Backend#read} (a read-back waits
     * for the work queued before it). A failure marks everything written since the last good wait
     * lost; the plans' read-backs of host outputs come here too.
     */
    void sync(Runnable wait) {
        long through;
        synchronized (queueLock) {
            through = epoch;
        }
        try {
            wait.run();
        } catch (DeviceException e) {
            synchronized (queueLock) {
                if (through > syncedThrough) {
                    lostRanges.add(new long[] {syncedThrough + 1, through});
                    syncedThrough = through;
                }
            }
            throw new DeviceException(e.kind(), "work queued on " + deviceName() + " failed; results written since the"
                    + " last successful wait are lost: " + e.getMessage(), e);
        }
        synchronized (queueLock) {
            syncedThrough = Math.max(syncedThrough, through);
        }
    }

    void checkNotLost(DeviceTensor t) {
        long at = t.writtenAt();
        synchronized (queueLock) {
            for (long[] r : lostRanges) {
                if (at >= r[0] && at <= r[1]) {
                    throw new DeviceException(DeviceException.Kind.DEVICE_ERROR, "the contents of " + t
                            + " are lost: the device work that wrote it failed");
                }
            }
        }
    }

    void tensorClosed(DeviceTensor t) {
        openTensors.remove(t);
    }

    // ------------------------------------------------------------ housekeeping

    private static int[] checkedShape(int[] shape) {
        if (shape == null || shape.length == 0) {
            throw new IllegalArgumentException("tensor shape must have at least one dimension");
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 1) {
                throw new IllegalArgumentException("tensor dimension " + i + " is " + shape[i] + " in shape "
                        + Arrays.toString(shape) + "; every dimension must be at least 1");
            }
        }
        if (product(shape) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + product(shape)
                    + " elements, more than the 2^31-1 that 32-bit indexing allows");
        }
        return shape.clone();
    }

    private static long product(int[] s) {
        long p = 1;
        for (int d : s) {
            p = Math.multiplyExact(p, d);
        }
        return p;
    }

    /** The devices whose engines this process has announced at INFO. */
    private static final Set<String> ANNOUNCED = ConcurrentHashMap.newKeySet();

    /**
     * Says which device an engine runs on: at INFO for the process's first engine on that device,
     * at DEBUG for the next ones, so an application that opens an engine per request or per test
     * does not repeat the same line.
     */
    static void announce(String deviceName) {
        if (ANNOUNCED.add(deviceName)) {
            LOG.info("convcl on {}", deviceName);
        } else {
            LOG.debug("convcl on {}", deviceName);
        }
    }

    /** Logs {@code message} at WARN the first time {@code cause} is seen by this engine. */
    void warnOnce(String cause, String message) {
        if (warned.add(cause)) {
            LOG.warn(message);
        }
    }

    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this Engine is closed");
        }
    }

    /**
     * Whether {@link #close()} has been called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed.get();
    }

    /** Called by a plan when it is closed. */
    void planClosed(Plan plan) {
        openPlans.remove(plan);
    }

    /**
     * Closes the plans and device tensors still open (waiting for a call in progress on a plan to
     * end), then releases the device and the CPU pool. Idempotent: later calls do nothing; later calls
     * that would use the device or plan ({@link #plan}, {@link #compile}, {@link #execute},
     * {@link #allocate}, {@link #upload}, {@link #finish}, {@link #implementations},
     * {@link #configs}, the one-shot calls) throw {@link IllegalStateException}; {@link #stats},
     * {@link #deviceName}, {@link #backend} and {@link #isClosed} still answer. Closing a device
     * tensor waits for the uploads and downloads other threads are making with it. Do not call it
     * while another thread is inside {@link #plan}, a one-shot call or {@link CompiledGraph#run}
     * (a compiled graph's own tensors are not waited for).
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        cache.close();
        for (Plan plan : openPlans) {
            plan.close();
        }
        for (DeviceTensor t : openTensors) {
            t.close();
        }
        if (primary != cpu) {
            primary.close();
        }
        cpu.close();
    }
}
