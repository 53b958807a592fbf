package dev.convcl;

import dev.convcl.spi.Backend;
import dev.convcl.spi.Implementation;
import dev.convcl.spi.Memory;
import dev.convcl.spi.Primitive;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * An operation compiled for a device, executed many times ({@link Engine#plan}). Creating it
 * validated the descriptor, chose an implementation, built its kernels and allocated its scratch;
 * {@link #execute} only checks the tensors and issues work.
 *
 * <p>Tensors: a {@link DeviceTensor} of the plan's engine is used in place. A {@link HostTensor}
 * is the convenience path: on an OpenCL device it is copied to the device on each call (and an
 * output copied back, which waits for the call); on the CPU path it is used in place. Constant
 * arguments (weights, bias) can be {@linkplain #bind bound} once instead of passed on every call.
 *
 * <p>If the device fails during a call, the call is completed on the CPU path and the plan stays
 * there (one WARN per cause). Calls on one plan are serialised; use one plan per thread for
 * parallel calls.
 *
 * <pre>{@code
 * DeformConv2d dcn = DeformConv2d.builder().input(1, 64, 64, 64).output(64).kernel(3, 3).padding(1)
 *         .bias(true).postOps(Activation.relu()).build();
 * try (Plan plan = engine.plan(dcn)) {
 *     plan.bind(Arg.WEIGHTS, w);                  // constants: copied (and packed) once
 *     plan.bind(Arg.BIAS, b);
 *     for (int i = 0; i < inputs.size(); i++) {   // per call: only what changes
 *         plan.execute(Args.builder().src(inputs.get(i)).offset(offsets.get(i)).dst(outputs.get(i)).build());
 *     }
 *     System.out.println(plan.algorithm());       // e.g. deform-gemm[...]
 * }
 * }</pre>
 */
public final class Plan implements AutoCloseable {
    private final Engine engine;
    private final Operation op;
    /** {@code op.arguments()}, computed once: every call checks its tensors against it. */
    private final List<ArgSpec> arguments;
    private final Map<Arg, ArgSpec> specs = new EnumMap<>(Arg.class);
    private Backend backend;
    private String implementation;
    private Primitive primitive;
    /** Host snapshots of the bound arguments: re-installed if the plan moves to the CPU path. */
    private final Map<Arg, float[]> boundHost = new EnumMap<>(Arg.class);
    /** The bound arguments in the current backend's memory, owned by the plan. */
    private final Map<Arg, Memory> boundMemory = new EnumMap<>(Arg.class);
    /** Device copies of host tensors (convenience path), one per role, allocated on first use. */
    private final Map<Arg, Memory> staging = new EnumMap<>(Arg.class);
    /**
     * {channels, start, step} when calls write {@link Arg#DST} through a channel window of a
     * larger device tensor ({@link #writeChannelWindow}); null otherwise.
     */
    private int[] dstWindow;
    /** {channels, start, step} when calls read {@link Arg#SRC} through a channel window ({@link #readChannelWindow}). */
    private int[] srcWindow;
    private boolean closed;

    Plan(Engine engine, Operation op, Backend backend, String implementation, Primitive primitive) {
        this.engine = engine;
        this.op = op;
        this.arguments = List.copyOf(op.arguments());
        this.backend = backend;
        this.implementation = implementation;
        this.primitive = primitive;
        for (ArgSpec a : op.arguments()) {
            specs.put(a.arg(), a);
        }
    }

    /**
     * The operation this plan computes.
     *
     * @return the descriptor it was compiled for
     */
    public Operation operation() {
        return op;
    }

    /**
     * Where the next call runs (and the last one ran): a plan moves to the CPU path when its
     * device fails.
     *
     * @return {@code opencl} or {@code cpu}
     */
    public synchronized String backend() {
        return backend.kind();
    }

    /**
     * The device the plan runs on, in words.
     *
     * @return e.g. {@code opencl:0 pthread-haswell (CPU, ...)} or {@code cpu (pure Java, ...)}
     */
    public synchronized String deviceName() {
        return backend.deviceName();
    }

    /**
     * The implementation the plan runs, one of {@link Engine#implementations}'s names or the CPU
     * path's.
     *
     * @return e.g. {@code depthwise}, {@code gemm}, {@code cpu-gemm}
     */
    public synchronized String implementation() {
        return implementation;
    }

    /**
     * The implementation and its configuration (tile sizes, vector widths, work-group shape), as
     * benchmarks and bug reports quote it.
     *
     * @return e.g. {@code depthwise[vw=8 nv=2 th=4 wg=1x1]}
     */
    public synchronized String algorithm() {
        return primitive.algorithm();
    }

    /**
     * Kernel time of the last call in milliseconds (OpenCL profiling; waits for the call's kernels
     * to finish), NaN on the CPU path.
     *
     * @return the summed device time of the last call's kernels in milliseconds, or NaN
     */
    public synchronized double lastKernelMillis() {
        return primitive.lastKernelMillis();
    }

    /**
     * Device time of everything the last call queued, in milliseconds: its kernels
     * ({@link #lastKernelMillis()}) and the copies it made on the device (a GEMM plan's copy into its
     * padded input layout); waits for them; NaN on the CPU path.
     */
    synchronized double lastDeviceMillis() {
        return primitive.lastDeviceMillis();
    }

    /**
     * Bytes of device memory a call of the current implementation needs only while it runs
     * ({@link Primitive#scratchpadBytes}); 0 on the CPU path.
     */
    synchronized long scratchpadBytes() {
        return primitive.scratchpadBytes();
    }

    /**
     * Bytes of {@link Arg#SRC}'s buffer the current implementation reads in place when the buffer
     * holds them ({@link Primitive#sourceReadBytes}); 0 when it reads the tensor alone.
     */
    synchronized long sourceReadBytes() {
        return primitive.sourceReadBytes();
    }

    /** Hands the current implementation a scratchpad shared with other plans ({@link Primitive#useScratchpad}). */
    synchronized void useScratchpad(Memory memory) {
        primitive.useScratchpad(memory);
    }

    /**
     * Binds a constant argument (typically {@link Arg#WEIGHTS} and {@link Arg#BIAS}): its current
     * values are copied now (and, where the implementation packs them, packed once) and used by
     * every later call that does not pass that role. Changing {@code t} afterwards has no effect
     * until {@code bind} is called again. A call that passes the role uses its tensor instead, for
     * that call only.
     *
     * @param role an input role of the operation
     * @param t    a tensor of the role's shape, host or on this plan's engine
     * @throws IllegalArgumentException when the operation has no such input, {@code t} is null, the
     *                                  shape differs, or a RoI row bound as {@link Arg#ROIS} breaks a
     *                                  rule of {@link RoiAlign#checkRois} (the plan stays bound as it was)
     * @throws DeviceException          when {@code t} is a device tensor lost to an earlier device
     *                                  failure
     * @throws IllegalStateException    when the plan is closed
     */
    public synchronized void bind(Arg role, Tensor t) {
        ensureOpen();
        if (role == null) {
            throw new IllegalArgumentException("the role to bind must not be null");
        }
        ArgSpec spec = specs.get(role);
        if (spec == null || role.isOutput()) {
            throw new IllegalArgumentException("op=" + op.name() + " has no input '" + (role == null ? null
                    : role.displayName()) + "' to bind: " + op);
        }
        if (t == null) {
            throw new IllegalArgumentException(role.displayName() + " tensor to bind must not be null");
        }
        if (!Arrays.equals(t.shape(), spec.shape())) {
            throw new IllegalArgumentException(role.displayName() + " shape " + Arrays.toString(t.shape())
                    + " does not match the spec: expected " + Arrays.toString(spec.shape()) + " " + spec.layout());
        }
        float[] snapshot;
        if (t instanceof DeviceTensor d) {
            checkEngine(role, d);
            snapshot = d.toArray();
        } else {
            snapshot = ((HostTensor) t).toArray();
        }
        if (role == Arg.ROIS && op instanceof RoiAlign roi) {
            roi.checkRois(snapshot); // at bind, where the bad row was given, not at some later call
        }
        try {
            installBound(role, snapshot);
        } catch (DeviceException e) {
            if (backend == engine.cpu()) {
                throw e; // nowhere to fall back to: the plan stays bound as it was
            }
            boundHost.put(role, snapshot);
            fallBack(e); // installs every bound role, this one included, on the CPU path
            return;
        }
        // Recorded only once installed: a bind that throws leaves the plan bound as it was.
        boundHost.put(role, snapshot);
    }

    private void installBound(Arg role, float[] values) {
        Memory m = backend.allocate("bound " + role.displayName(), (long) values.length * DataType.F32.bytes());
        try {
            backend.write(m, Tensor.of(values, specs.get(role).shape()));
            primitive.bind(role, m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        Memory old;
        if (primitive.readsBound(role)) {
            old = boundMemory.put(role, m);
        } else {
            old = boundMemory.remove(role);
            m.close(); // the primitive keeps its own copy (packed weights): hold the constant once
        }
        if (old != null) {
            old.close();
        }
    }

    /**
     * Computes {@link Arg#DST} from the other arguments (and the bound ones). Returns once the
     * work is queued when the output is a {@link DeviceTensor}; with a host output, once the result
     * is in it.
     *
     * @param args the tensors by role: every argument of {@link Operation#arguments()} except the
     *             bound ones (a bound role given here is used for this call only); inputs are read,
     *             {@link Arg#DST} is written, every element
     * @throws IllegalArgumentException when a tensor does not match the operation (nothing is written)
     * @throws DeviceException          when a device tensor to read was lost to an earlier device failure
     * @throws IllegalStateException    when the plan is closed
     */
    public synchronized void execute(Args args) {
        ensureOpen();
        if (args == null) {
            throw new IllegalArgumentException("args must not be null");
        }
        args.validateFor(op, arguments, boundHost.keySet());
        // the device tensors are held open until the work is queued: a close() on another thread waits
        List<DeviceTensor> entered = new ArrayList<>();
        try {
            for (Map.Entry<Arg, Tensor> e : args.asMap().entrySet()) {
                if (e.getValue() instanceof DeviceTensor d) {
                    checkEngine(e.getKey(), d);
                    if (!d.enter()) {
                        throw new IllegalArgumentException(e.getKey().displayName() + " is a closed device tensor");
                    }
                    entered.add(d);
                    if (!e.getKey().isOutput()) {
                        engine.checkNotLost(d); // work on lost contents would give numbers that look right
                    }
                }
            }
            checkWindow(Arg.DST, dstWindow, args);
            checkWindow(Arg.SRC, srcWindow, args);
            if (op instanceof RoiAlign roi) {
                roi.checkRois(valuesOf(Arg.ROIS, args)); // values a kernel must not see (batch index, non-finite)
            }
            try {
                run(args);
            } catch (DeviceException e) {
                if (backend == engine.cpu()) {
                    throw e;
                }
                fallBack(e);
                run(args);
            }
        } finally {
            for (DeviceTensor d : entered) {
                d.exit();
            }
        }
    }

    /**
     * Makes later calls write {@link Arg#DST}'s channel {@code c} to channel {@code start + c * step}
     * of the device tensor passed as {@link Arg#DST}, whose buffer holds a tensor of
     * {@code channels} channels per image ({@link dev.convcl.spi.Primitive#writeChannelWindow}); the
     * DST tensor passed keeps the operation's shape and views that buffer. For a compiled graph,
     * which passes device tensors only. Should the plan fall back to the CPU path later, its
     * results are uploaded into the same channels.
     *
     * @return false, changing nothing, when the plan's implementation cannot (the CPU path's never can)
     */
    synchronized boolean writeChannelWindow(int channels, int start, int step) {
        ensureOpen();
        if (backend == engine.cpu() || !primitive.writeChannelWindow(channels, start, step)) {
            return false;
        }
        dstWindow = new int[] {channels, start, step};
        return true;
    }

    /**
     * Makes later calls read {@link Arg#SRC}'s channel {@code c} from channel {@code start + c * step}
     * of the device tensor passed as {@link Arg#SRC}, whose buffer holds a tensor of
     * {@code channels} channels per image ({@link dev.convcl.spi.Primitive#readChannelWindow}). For a
     * compiled graph, which passes device tensors only; on the CPU path, after a fallback, the
     * same channels are downloaded.
     *
     * @return false, changing nothing, when the plan's implementation cannot
     */
    synchronized boolean readChannelWindow(int channels, int start, int step) {
        ensureOpen();
        if (backend == engine.cpu() || !primitive.readChannelWindow(channels, start, step)) {
            return false;
        }
        srcWindow = new int[] {channels, start, step};
        return true;
    }

    /**
     * With a channel window on {@code role}, its tensor must be a device tensor whose buffer holds
     * the whole tensor of the window's channels (the kernels index it as such).
     */
    private static void checkWindow(Arg role, int[] window, Args args) {
        if (window == null) {
            return;
        }
        Tensor t = args.get(role);
        int[] s = t.shape();
        long need = (long) s[0] * window[0] * s[2] * s[3] * DataType.F32.bytes();
        if (!(t instanceof DeviceTensor d) || d.memory().bytes() < need) {
            throw new IllegalArgumentException(role.displayName() + " is read or written through a channel window of "
                    + window[0] + " channels: it must be a device tensor whose buffer holds " + need + " bytes, got " + t);
        }
    }

    private void fallBack(DeviceException e) {
        if (backend == engine.cpu()) {
            throw e;
        }
        engine.warnOnce("run:" + e.kind() + ":" + Engine.firstLine(e.getMessage()), "OpenCL failed while running " + op
                + " (" + e.kind() + "): " + e.getMessage() + "; this plan continues on the CPU path");
        releaseBackendResources();
        backend = engine.cpu();
        Implementation impl = engine.cpuImplementation(op);
        implementation = impl.name();
        primitive = impl.create(op, null);
        for (Map.Entry<Arg, float[]> bound : boundHost.entrySet()) {
            installBound(bound.getKey(), bound.getValue());
        }
    }

    private void run(Args args) {
        Map<Arg, Memory> mem = new EnumMap<>(Arg.class);
        List<Runnable> after = new ArrayList<>();
        DeviceTensor deviceOutput = null;
        // An operation that writes only part of its output (ChannelCopy) needs the rest of it where it runs.
        boolean readsOutput = op instanceof ChannelCopy cc && !cc.writesWholeOutput();
        for (Map.Entry<Arg, Tensor> e : args.asMap().entrySet()) {
            Arg role = e.getKey();
            boolean out = role.isOutput();
            if (e.getValue() instanceof DeviceTensor d) {
                if (backend == engine.primary()) {
                    mem.put(role, d.memory());
                    if (out) {
                        deviceOutput = d;
                    }
                } else {
                    // The plan fell back to the CPU path; the tensor lives on the device.
                    HostTensor h = HostTensor.zeros(d.shape());
                    if (role == Arg.SRC && srcWindow != null) {
                        engine.readChannels(d, h, srcWindow[0], srcWindow[1], srcWindow[2]);
                    } else if (!out || readsOutput) {
                        d.download(h);
                    }
                    mem.put(role, backend.wrap(h));
                    if (out && dstWindow != null) {
                        int[] w = dstWindow;
                        after.add(() -> engine.writeChannels(d, h, w[0], w[1], w[2]));
                    } else if (out) {
                        after.add(() -> d.upload(h));
                    }
                }
            } else {
                HostTensor h = (HostTensor) e.getValue();
                Memory view = backend.wrap(h);
                if (view != null) {
                    mem.put(role, view);
                } else {
                    Memory s = staging(role, h);
                    if (!out || readsOutput) {
                        backend.write(s, h);
                    }
                    if (out) {
                        // a read-back is a wait: its failure loses what queued work wrote (Engine.sync)
                        after.add(() -> engine.sync(() -> backend.read(s, h)));
                    }
                    mem.put(role, s);
                }
            }
        }
        primitive.execute(mem);
        if (deviceOutput != null) {
            engine.written(deviceOutput);
        }
        for (Runnable r : after) {
            r.run();
        }
    }

    /** The values of an input, on the host: bound, a host tensor, or a device tensor downloaded (a wait). */
    private float[] valuesOf(Arg role, Args args) {
        float[] bound = boundHost.get(role);
        if (bound != null) {
            return bound;
        }
        Tensor t = args.get(role);
        return t instanceof DeviceTensor d ? d.toArray() : ((HostTensor) t).toArray();
    }

    private Memory staging(Arg role, HostTensor h) {
        Memory s = staging.get(role);
        if (s == null) {
            s = backend.allocate(role.displayName(), (long) h.size() * DataType.F32.bytes());
            staging.put(role, s);
        }
        return s;
    }

    private void checkEngine(Arg role, DeviceTensor d) {
        if (d.engine() != engine) {
            throw new IllegalArgumentException(role.displayName() + " is a device tensor of another engine ("
                    + d.engine().deviceName() + ")");
        }
        if (d.isClosed()) {
            throw new IllegalArgumentException(role.displayName() + " is a closed device tensor");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("plan is closed" + (engine.isClosed() ? " (its engine was closed)" : "") + ": " + op);
        }
    }

    private void releaseBackendResources() {
        primitive.close();
        for (Memory m : staging.values()) {
            m.close();
        }
        staging.clear();
        for (Memory m : boundMemory.values()) {
            m.close();
        }
        boundMemory.clear();
    }

    /**
     * Whether {@link #close()} has been called.
     *
     * @return true once closed
     */
    public synchronized boolean isClosed() {
        return closed;
    }

    /** Releases the plan's kernels, scratch and bound arguments; idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            releaseBackendResources();
            engine.planClosed(this);
        }
    }

    /**
     * The operation, the backend and the algorithm, for messages.
     *
     * @return e.g. {@code Plan[op=conv2d ... on opencl: gemm-cm-16x8]}
     */
    @Override
    public synchronized String toString() {
        return "Plan[" + op + " on " + backend.kind() + ": " + primitive.algorithm() + "]";
    }
}
