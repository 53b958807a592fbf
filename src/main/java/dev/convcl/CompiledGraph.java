package dev.convcl;

import dev.convcl.graph.GraphIr;
import dev.convcl.graph.MemoryPlan;
import dev.convcl.graph.Passes;
import dev.convcl.graph.Program;
import dev.convcl.spi.Memory;
import dev.convcl.text.AdaptiveSamplingException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link Graph} compiled for an engine ({@link Engine#compile(Graph)}): the passes have run, each
 * remaining layer has its {@link Plan} with its constants bound (uploaded once), and the
 * activations have device buffers, allocated once and shared by values whose lifetimes do not
 * overlap. The scratch a plan needs only while it runs (a GEMM's zero-padded input copy) is one
 * device buffer shared by all of them, sized to the largest need (oneDNN's user-managed
 * scratchpad): the plans run one after another on one queue. A run uploads the inputs, queues
 * every plan, and downloads the outputs: nothing else moves between host and device (with device
 * tensors in and out, nothing at all).
 *
 * <pre>{@code
 * try (Engine engine = Engine.create();
 *      CompiledGraph net = engine.compile(graph)) {
 *     HostTensor logits = net.run(image);                             // one input, one output
 *     Map<String, HostTensor> outs = net.run(Map.of("image", image)); // by name
 *     net.run(Map.of("image", deviceX), Map.of("logits", deviceY));   // device tensors in and out
 * }
 * }</pre>
 *
 * <p>Each plan falls back to the CPU path on its own, as {@link Plan} does. Runs are serialised
 * (the activation buffers are shared); compile one per thread for parallel runs. Closing it
 * releases the plans and buffers; closing the engine does too.
 */
public final class CompiledGraph implements AutoCloseable {

    /** The optional passes; {@link Engine#compile(Graph)} runs them all. */
    public enum Pass {
        /** Batch norm after a convolution or linear layer folded into its weights and bias. */
        FOLD_BATCH_NORM(Passes.Pass.FOLD_BATCH_NORM),
        /**
         * Structural re-parameterisation: a sum of convolutions of one input with the same stride
         * and groups (RepLKNet's 31x31 + 5x5, UniRepLKNet's dilated branches, RepVGG) merged into
         * one convolution. Assumes finite inputs: the merged kernel's zero taps multiply input
         * values no branch read.
         */
        REPARAMETERIZE(Passes.Pass.REPARAMETERIZE),
        /** Activations in the epilogue of the layer that computes their input. */
        FUSE_ACTIVATION(Passes.Pass.FUSE_ACTIVATION),
        /** Residual additions (and what follows them) in the epilogue of the layer computing one operand. */
        FUSE_SUM(Passes.Pass.FUSE_SUM),
        /**
         * A squeeze-and-excitation block's scale (a global average pool, a 1x1 convolution, a 1x1
         * convolution back, each with at most one activation) computed as one
         * {@link SqueezeExcitation}: on the OpenCL device one launch instead of three (MobileNetV3,
         * RegNetY); the block's multiply by the scale joins it where the scale is its only reader
         * and it has no epilogue of its own ({@link SqueezeExcitation#apply()}).
         */
        SQUEEZE_EXCITATION(Passes.Pass.SQUEEZE_EXCITATION),
        /**
         * An average pool that keeps the map's size with one divisor for every window, read only by
         * a 1x1 convolution to fewer channels, run after that convolution (Inception's
         * {@code branch_pool}: the pool then averages 192 channels instead of 768), the
         * convolution's bias and activations after the pool. Assumes finite inputs, as
         * re-parameterisation does.
         */
        POOL_AFTER_POINTWISE(Passes.Pass.POOL_AFTER_POINTWISE),
        /**
         * Channel movement in fewer steps: a channel shuffle of a concatenation written by the
         * concatenation's copies, a slice read only by a concatenation copied from its source
         * (ShuffleNet's units: five steps become three); on the OpenCL device, a concatenation's
         * parts computed by layers of their own written by those layers straight into their
         * channels of it, no copy: at batch 1 through an OpenCL sub-buffer (where the part's
         * offset is a multiple of the device's base address alignment; Inception's branches), and
         * otherwise, by convolutions whose plans can, through a channel window (also into a
         * channel shuffle's every {@code g}-th channel: ShuffleNet's branches; Inception's at
         * batch 8); and a slice read only by such a convolution read in place (ShuffleNet's
         * branch reading its half of the unit's input).
         */
        FUSE_CHANNEL_COPIES(Passes.Pass.FUSE_CHANNEL_COPIES);

        private final Passes.Pass internal;

        Pass(Passes.Pass internal) {
            this.internal = internal;
        }
    }

    /**
     * One executable step of the compiled graph.
     *
     * @param name           the node's name, or the fused nodes' names joined by {@code +}
     * @param operation      what it computes
     * @param implementation the implementation running it now, e.g. {@code gemm}, {@code cpu-binary}
     * @param backend        {@code opencl} or {@code cpu}
     * @param algorithm      the implementation and its configuration ({@link Plan#algorithm()}),
     *                       e.g. {@code gemm-cm-32x14}, {@code depthwise[vw=16 nv=2 th=7 wg=1x1]}
     */
    public record Step(String name, Operation operation, String implementation, String backend, String algorithm) {
    }

    private final Engine engine;
    private final Program program;
    /**
     * Whether the graph is an ONNX model's ({@link Graph#fromOnnx(java.nio.file.Path)}): its RoiAlign
     * nodes' run-time refusals name the model's attributes ({@code spatial_scale},
     * {@code sampling_ratio}) and its boxes, the batch indices apart.
     */
    private final boolean onnx;
    private final List<Plan> plans = new ArrayList<>();
    /** Per step, the wall time of its last call when it ran on the CPU path (synchronous); NaN otherwise. */
    private double[] cpuStepMillis = new double[0];
    private final List<Args> args = new ArrayList<>();
    private final List<DeviceTensor> buffers = new ArrayList<>();
    private final Map<String, Value> inputs = new LinkedHashMap<>();
    private final Map<String, DeviceTensor> inputViews = new LinkedHashMap<>();
    private final Map<String, DeviceTensor> outputViews = new LinkedHashMap<>();
    private final long activationBytes;
    /** The scratchpad shared by the plans; null while none needs one. */
    private DeviceTensor scratchpad;
    private boolean closed;

    /**
     * Creates the plans (giving those of steps with channel windows their windows, which
     * {@link #compile} found they take), binds the constants and allocates the buffers.
     */
    private CompiledGraph(Engine engine, Program program, boolean onnx) {
        this.engine = engine;
        this.program = program;
        this.onnx = onnx;
        try {
            for (Program.Step s : program.steps()) {
                Plan plan = engine.plan(s.op());
                plans.add(plan);
                Value refuses = refusedWindow(plan, program, s);
                if (refuses != null) {
                    // made from the same kernels as the plan asked, so only a fallback to the CPU
                    // path at creation (the device out of memory by now) refuses: compile again
                    // without that window
                    throw new WindowRefused(refuses);
                }
                shareScratchpad(plan);
                for (Map.Entry<Arg, float[]> c : s.constants().entrySet()) {
                    plan.bind(c.getKey(), Tensor.of(c.getValue(), s.shape(c.getKey())));
                }
            }
            // A value's buffer holds what its readers read past its end (sourceReadBytes), so
            // that none copies it into a scratchpad first.
            Map<Value, Long> reads = new IdentityHashMap<>();
            for (int i = 0; i < plans.size(); i++) {
                Value src = program.steps().get(i).values().get(Arg.SRC);
                long bytes = plans.get(i).sourceReadBytes();
                if (src != null && bytes > 0) {
                    long floats = (bytes + DataType.F32.bytes() - 1) / DataType.F32.bytes();
                    reads.merge(program.storage(src), floats, Math::max);
                }
            }
            MemoryPlan memory = MemoryPlan.of(program, v -> reads.getOrDefault(v, 0L));
            this.activationBytes = memory.totalElements() * DataType.F32.bytes();
            List<DeviceTensor> slots = new ArrayList<>();
            for (long elements : memory.slotElements()) {
                DeviceTensor t = engine.allocate(Math.toIntExact(elements));
                buffers.add(t);
                slots.add(t);
            }
            Map<Value, DeviceTensor> constants = new IdentityHashMap<>();
            for (Map.Entry<Value, float[]> e : program.constants().entrySet()) {
                DeviceTensor t = engine.upload(Tensor.of(e.getValue(), e.getKey().shape()));
                buffers.add(t);
                constants.put(e.getKey(), t);
            }
            Views views = new Views(program, memory, slots, constants);
            for (Value in : program.ir().inputs()) {
                inputs.put(in.name(), in);
                inputViews.put(in.name(), views.of(in, in.shape()));
            }
            for (Map.Entry<String, Value> e : program.ir().outputs().entrySet()) {
                outputViews.put(e.getKey(), views.of(e.getValue(), e.getValue().shape()));
            }
            for (Program.Step s : program.steps()) {
                Args.Builder b = Args.builder();
                for (Map.Entry<Arg, Value> v : s.values().entrySet()) {
                    b.set(v.getKey(), views.of(v.getValue(), s.shape(v.getKey())));
                }
                args.add(b.build());
            }
            cpuStepMillis = new double[plans.size()];
            Arrays.fill(cpuStepMillis, Double.NaN);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Hands {@code plan} the shared scratchpad, first growing it (and handing the larger one to
     * the plans before) when the plan needs more; the plan's own scratch is released, so at most
     * one plan's own, the old and the new scratchpad are held at once while compiling.
     */
    private void shareScratchpad(Plan plan) {
        long need = plan.scratchpadBytes();
        if (need == 0) {
            return;
        }
        if (scratchpad == null || scratchpadBytes() < need) {
            int floats = Math.toIntExact((need + DataType.F32.bytes() - 1) / DataType.F32.bytes());
            DeviceTensor larger = engine.allocate(floats);
            buffers.add(larger);
            for (Plan p : plans) {
                if (p.scratchpadBytes() > 0) {
                    p.useScratchpad(larger.memory());
                }
            }
            if (scratchpad != null) {
                buffers.remove(scratchpad);
                scratchpad.close();
            }
            scratchpad = larger;
        } else {
            plan.useScratchpad(scratchpad.memory());
        }
    }

    /** Device tensors of the shapes the steps need over the planned buffers. */
    private final class Views {
        private final Program program;
        private final MemoryPlan memory;
        private final List<DeviceTensor> slots;
        private final Map<Value, DeviceTensor> constants;
        private final Map<Value, Memory> regionOf = new IdentityHashMap<>();

        Views(Program program, MemoryPlan memory, List<DeviceTensor> slots, Map<Value, DeviceTensor> constants) {
            this.program = program;
            this.memory = memory;
            this.slots = slots;
            this.constants = constants;
        }

        DeviceTensor of(Value v, int[] shape) {
            Value storage = program.storage(v);
            DeviceTensor base = constants.containsKey(storage) ? constants.get(storage) : slots.get(memory.slot(storage));
            int size = (int) v.size();
            long offset = program.offset(v);
            if (offset == 0) {
                return new DeviceTensor(engine, shape, size, base.memory());
            }
            Memory region = regionOf.get(v);
            if (region == null) {
                long bytes = DataType.F32.bytes();
                region = engine.primary().region(base.memory(), v.name(), offset * bytes, size * bytes);
                regionOf.put(v, region); // closed by its slot's buffer, which closes its regions first
            }
            return new DeviceTensor(engine, shape, size, region);
        }
    }

    /**
     * Compiles with every pass: runs the passes, creates a plan per remaining layer (its constants
     * bound) and allocates the activation buffers.
     *
     * @param engine the engine to run on
     * @param graph  the network
     * @return the compiled network; close it (or the engine) to release its memory
     * @throws IllegalArgumentException when an argument is null
     * @throws IllegalStateException    when the engine is closed
     * @throws DeviceException          when the device cannot hold the activations or constants
     */
    public static CompiledGraph compile(Engine engine, Graph graph) {
        return compile(engine, graph, EnumSet.allOf(Pass.class));
    }

    /**
     * As {@link #compile(Engine, Graph)} with only the given optional passes (dead nodes are
     * always dropped, and a batch norm left standing always becomes a per-channel affine map).
     *
     * @param engine the engine to run on
     * @param graph  the network
     * @param passes the optional passes to run, e.g. {@code EnumSet.noneOf(Pass.class)}
     * @return the compiled network
     * @throws IllegalArgumentException when an argument is null
     * @throws IllegalStateException    when the engine is closed
     * @throws DeviceException          when the device cannot hold the activations or constants
     */
    public static CompiledGraph compile(Engine engine, Graph graph, Set<Pass> passes) {
        if (engine == null || graph == null || passes == null) {
            throw new IllegalArgumentException("engine, graph and passes must not be null");
        }
        engine.ensureOpen();
        Set<Passes.Pass> internal = EnumSet.of(Passes.Pass.DEAD_NODES, Passes.Pass.BATCH_NORM_TO_AFFINE);
        for (Pass p : passes) {
            internal.add(p.internal);
        }
        GraphIr ir = Passes.run(graph.ir(), internal);
        boolean fuseCopies = internal.contains(Passes.Pass.FUSE_CHANNEL_COPIES);
        long alignment = fuseCopies ? engine.primary().regionAlignment() : 0;
        // Parts of concatenations written, and slices read, through channel windows: only where
        // the layer's plan takes one (a device's GEMM plans do; the CPU path's do not), so lower,
        // ask a plan of each such step, and lower again without the windows refused. The plans
        // asked are closed at once (each may hold a padded input buffer of its own until it joins
        // the graph's scratchpad); the graph makes its own, from the kernels built meanwhile.
        boolean windows = fuseCopies && engine.primary() != engine.cpu();
        Set<Value> refused = Collections.newSetFromMap(new IdentityHashMap<>());
        while (true) {
            Program program = Program.lower(ir, fuseCopies, alignment, v -> windows && !refused.contains(v));
            boolean again = false;
            for (Program.Step s : program.steps()) {
                Value src = s.values().get(Arg.SRC);
                if (program.window(s.values().get(Arg.DST)) == null && (src == null || program.window(src) == null)) {
                    continue;
                }
                Value refuses;
                try (Plan plan = engine.plan(s.op())) {
                    refuses = refusedWindow(plan, program, s);
                }
                if (refuses != null) {
                    refused.add(refuses);
                    again = true;
                }
            }
            if (!again) {
                try {
                    return new CompiledGraph(engine, program, graph.isOnnxModel());
                } catch (WindowRefused e) {
                    refused.add(e.value); // the constructor closed what it had made
                }
            }
        }
    }

    /** A plan of the graph's own refused a channel window a plan asked while compiling took. */
    private static final class WindowRefused extends RuntimeException {
        final transient Value value;

        WindowRefused(Value value) {
            super(null, null, false, false);
            this.value = value;
        }
    }

    /**
     * Gives {@code plan} the channel windows of step {@code s}'s output and input, if any: null when
     * it takes them (or there are none), else the value whose window it refused.
     */
    private static Value refusedWindow(Plan plan, Program program, Program.Step s) {
        Value dst = s.values().get(Arg.DST);
        Value src = s.values().get(Arg.SRC);
        Program.ChannelWindow out = program.window(dst);
        Program.ChannelWindow in = src == null ? null : program.window(src);
        if (out != null && !plan.writeChannelWindow(out.channels(), out.start(), out.step())) {
            return dst;
        }
        if (in != null && !plan.readChannelWindow(in.channels(), in.start(), in.step())) {
            return src;
        }
        return null;
    }

    /**
     * The graph inputs' names and shapes.
     *
     * @return input name to a copy of its shape, in declaration order
     */
    public Map<String, int[]> inputShapes() {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (Map.Entry<String, Value> e : inputs.entrySet()) {
            m.put(e.getKey(), e.getValue().shape());
        }
        return m;
    }

    /**
     * The graph outputs' names and shapes.
     *
     * @return output name to a copy of its shape, in declaration order
     */
    public Map<String, int[]> outputShapes() {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (Map.Entry<String, DeviceTensor> e : outputViews.entrySet()) {
            m.put(e.getKey(), e.getValue().shape());
        }
        return m;
    }

    /**
     * The executable steps in run order, with the implementation each runs on now.
     *
     * @return an unmodifiable list, one entry per plan
     */
    public synchronized List<Step> steps() {
        List<Step> l = new ArrayList<>();
        for (int i = 0; i < plans.size(); i++) {
            Plan p = plans.get(i);
            l.add(new Step(program.steps().get(i).name(), p.operation(), p.implementation(), p.backend(),
                    p.algorithm()));
        }
        return Collections.unmodifiableList(l);
    }

    /**
     * Each step's time in the last run, in {@link #steps()}'s order, in milliseconds: for a step
     * on the device its device time (OpenCL profiling): its kernels and the copies it made on the
     * device, such as a GEMM step's copy of its input into a padded layout; for a step on the CPU path, which runs
     * synchronously, the wall time of its call (which includes waiting for the device work it
     * reads, and copies when it fell back from a device); NaN before any run. Waits for the last
     * run's kernels to finish. For per-layer breakdowns ({@code convcl bench --layers}).
     *
     * @return one value per step
     * @throws IllegalStateException when this compiled graph is closed
     */
    public synchronized List<Double> lastRunMillis() {
        ensureOpen();
        List<Double> l = new ArrayList<>();
        for (int i = 0; i < plans.size(); i++) {
            l.add(Double.isNaN(cpuStepMillis[i]) ? plans.get(i).lastDeviceMillis() : cpuStepMillis[i]);
        }
        return Collections.unmodifiableList(l);
    }

    /**
     * Device memory of the activation buffers, shared by values whose lifetimes do not overlap.
     *
     * @return bytes
     */
    public long activationBytes() {
        return activationBytes;
    }

    /**
     * Device memory of the scratchpad the plans share (the largest scratch one needs while it
     * runs; none on the CPU path).
     *
     * @return bytes
     */
    public synchronized long scratchpadBytes() {
        return scratchpad == null ? 0 : (long) scratchpad.size() * DataType.F32.bytes();
    }

    /**
     * Runs a graph with one input and one output.
     *
     * @param input the input, of the graph input's shape
     * @return a new host tensor holding the output
     * @throws IllegalArgumentException when the input is null, the graph has several inputs or outputs,
     *                                  or the shape differs
     * @throws DeviceException          when the device failed
     * @throws IllegalStateException    when this compiled graph is closed
     */
    public HostTensor run(HostTensor input) {
        if (input == null) {
            throw new IllegalArgumentException("the input must not be null");
        }
        if (inputs.size() != 1 || outputViews.size() != 1) {
            throw new IllegalArgumentException("the graph has " + inputs.size() + " inputs and " + outputViews.size()
                    + " outputs; run(HostTensor) needs one of each, use run(Map)");
        }
        return run(Map.of(inputs.keySet().iterator().next(), input)).values().iterator().next();
    }

    /**
     * Runs the graph on host inputs and returns every output as a new host tensor.
     *
     * @param inputs every graph input, by name
     * @return every output, by name, in declaration order
     * @throws IllegalArgumentException naming the input when one is missing, unknown or of another shape
     * @throws DeviceException          when the device failed
     * @throws IllegalStateException    when this compiled graph is closed
     */
    public Map<String, HostTensor> run(Map<String, HostTensor> inputs) {
        Map<String, HostTensor> outs = new LinkedHashMap<>();
        for (Map.Entry<String, DeviceTensor> e : outputViews.entrySet()) {
            outs.put(e.getKey(), HostTensor.zeros(e.getValue().shape()));
        }
        run(inputs, outs);
        return outs;
    }

    /**
     * Runs the graph with the given tensors, by name: every input, and any subset of the outputs.
     * Host tensors are copied to and from the device; device tensors of this engine are copied on
     * the device (no host transfer). Everything is checked before any work is issued.
     *
     * @param inputTensors  every graph input, by name: host tensors or device tensors of this engine
     * @param outputTensors the outputs wanted, by name: host or device tensors of the outputs' shapes,
     *                      written by the run
     * @throws IllegalArgumentException naming the tensor when an input is missing, a name is
     *                                  unknown, a shape differs or a device tensor is closed or
     *                                  belongs to another engine
     * @throws DeviceException          when the device failed (a device output is then marked lost)
     * @throws IllegalStateException    when this compiled graph is closed
     */
    public synchronized void run(Map<String, ? extends Tensor> inputTensors, Map<String, ? extends Tensor> outputTensors) {
        ensureOpen();
        if (inputTensors == null || outputTensors == null) {
            throw new IllegalArgumentException("the input and output maps must not be null");
        }
        check("input", inputTensors, inputViews, true);
        check("output", outputTensors, outputViews, false);
        transfer(inputTensors, inputViews, true);
        for (int i = 0; i < plans.size(); i++) {
            Plan p = plans.get(i);
            boolean onCpu = "cpu".equals(p.backend());
            long t0 = onCpu ? System.nanoTime() : 0;
            try {
                p.execute(args.get(i));
                cpuStepMillis[i] = onCpu ? (System.nanoTime() - t0) / 1e6 : Double.NaN;
            } catch (AdaptiveSamplingException e) {
                String name = program.steps().get(i).name();
                throw new IllegalArgumentException("node '" + name + "': " + (onnx
                        ? e.message("spatial_scale=" + e.spatialScale(), "spatial_scale", "sampling_ratio", true)
                        : e.getMessage()), e);
            } catch (IllegalArgumentException e) {
                // a value a kernel must not see (a RoI's batch index): refused before this step launches
                throw new IllegalArgumentException("node '" + program.steps().get(i).name() + "': " + e.getMessage(), e);
            }
        }
        for (DeviceTensor view : outputViews.values()) {
            engine.written(view); // written by the work queued above: a failed wait marks it lost
        }
        transfer(outputTensors, outputViews, false);
    }

    /**
     * Copies each given tensor into its view ({@code in}: graph inputs) or each view into its given
     * tensor (outputs): device to device on the engine's queue, marking the destination written, or
     * through the host for host tensors. The names and shapes are already checked.
     */
    private void transfer(Map<String, ? extends Tensor> tensors, Map<String, DeviceTensor> views, boolean in) {
        for (Map.Entry<String, ? extends Tensor> e : tensors.entrySet()) {
            DeviceTensor view = views.get(e.getKey());
            if (e.getValue() instanceof DeviceTensor d) {
                DeviceTensor from = in ? d : view;
                DeviceTensor to = in ? view : d;
                if (!d.enter()) { // held open while the copy is queued: a close() on another thread waits
                    throw new IllegalArgumentException((in ? "input" : "output") + " '" + e.getKey()
                            + "' is a closed device tensor");
                }
                try {
                    engine.primary().copy(from.memory(), to.memory(), (long) d.size() * DataType.F32.bytes());
                } finally {
                    d.exit();
                }
                engine.written(to);
            } else if (in) {
                view.upload((HostTensor) e.getValue());
            } else {
                view.download((HostTensor) e.getValue());
            }
        }
    }

    private void check(String what, Map<String, ? extends Tensor> given, Map<String, DeviceTensor> expected,
                       boolean all) {
        for (Map.Entry<String, ? extends Tensor> e : given.entrySet()) {
            DeviceTensor view = expected.get(e.getKey());
            if (view == null) {
                throw new IllegalArgumentException("the graph has no " + what + " '" + e.getKey() + "'; its " + what
                        + "s are " + names(expected));
            }
            Tensor t = e.getValue();
            if (t == null) {
                throw new IllegalArgumentException(what + " '" + e.getKey() + "' is null");
            }
            if (!Arrays.equals(t.shape(), view.shape())) {
                throw new IllegalArgumentException(what + " '" + e.getKey() + "' has shape " + Arrays.toString(t.shape())
                        + "; the graph's is " + Arrays.toString(view.shape()));
            }
            if ("output".equals(what) && t instanceof HostTensor h && h.isReadOnly()) {
                throw new IllegalArgumentException(what + " '" + e.getKey() + "' wraps a read-only FloatBuffer; an output"
                        + " must be writable");
            }
            if (t instanceof DeviceTensor d) {
                if (d.engine() != engine) {
                    throw new IllegalArgumentException(what + " '" + e.getKey() + "' is a device tensor of another engine ("
                            + d.engine().deviceName() + ")");
                }
                if (d.isClosed()) {
                    throw new IllegalArgumentException(what + " '" + e.getKey() + "' is a closed device tensor");
                }
            }
        }
        if (all) {
            for (String name : expected.keySet()) {
                if (!given.containsKey(name)) {
                    throw new IllegalArgumentException(what + " '" + name + "' is missing; the graph's " + what + "s are "
                            + names(expected));
                }
            }
        }
    }

    private static String names(Map<String, DeviceTensor> m) {
        List<String> l = new ArrayList<>();
        for (Map.Entry<String, DeviceTensor> e : m.entrySet()) {
            l.add(e.getKey() + " " + Arrays.toString(e.getValue().shape()));
        }
        return String.join(", ", l);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this CompiledGraph is closed");
        }
    }

    /** Releases the plans and the device buffers; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Plan p : plans) {
            p.close();
        }
        for (DeviceTensor t : buffers) {
            t.close();
        }
    }

    /**
     * One line per step: name, operation, backend and implementation.
     *
     * @return the listing
     */
    @Override
    public synchronized String toString() {
        StringBuilder sb = new StringBuilder();
        for (Step s : steps()) {
            sb.append(s.name()).append(": ").append(s.operation()).append(" on ").append(s.backend()).append(' ')
                    .append(s.implementation()).append('\n');
        }
        return sb.toString();
    }
}
