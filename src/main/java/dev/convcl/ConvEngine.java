package dev.convcl;

import dev.convcl.cpu.CpuBackend;
import dev.convcl.opencl.OpenClBackend;
import dev.convcl.opencl.OpenClDeviceInfo;
import dev.convcl.opencl.OpenClDiscovery;
import dev.convcl.spi.Backend;
import dev.convcl.spi.BackendException;
import dev.convcl.spi.CompiledConv;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point: owns one primary backend (an OpenCL device, or the CPU path) and the CPU
 * path that every plan falls back to. Thread-safe; create one per application and close it at
 * the end (try-with-resources).
 *
 * <pre>{@code
 * try (ConvEngine engine = ConvEngine.create()) {
 *     Tensor y = engine.conv2d(x, w, b, 1, 1, 1, 1);   // stride, padding, dilation, groups
 * }
 * }</pre>
 *
 * <p>Fallback: with {@link DeviceChoice#AUTO}, no OpenCL device means the CPU path. A plan whose
 * kernel fails to build or whose buffers do not fit, and a call that runs out of device
 * resources or meets a device error, complete on the CPU path. Each distinct cause is logged
 * once at WARN; {@link ConvPlan#backend()} tells which backend ran.
 */
public final class ConvEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConvEngine.class);

    private final DeviceChoice choice;
    private final CpuBackend cpu;
    private final Backend primary;
    private final String fallbackReason;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    private final Set<ConvPlan> openPlans = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    private ConvEngine(DeviceChoice choice, CpuBackend cpu, Backend primary, String fallbackReason) {
        this.choice = choice;
        this.cpu = cpu;
        this.primary = primary;
        this.fallbackReason = fallbackReason;
    }

    /** An engine on the device named by {@code convcl.device} / {@code CONVCL_DEVICE}, default auto. */
    public static ConvEngine create() {
        return create(DeviceChoice.fromEnvironment());
    }

    /**
     * An engine on the chosen device.
     *
     * @throws ConvclException when {@code opencl} or {@code opencl:N} is asked for and no such
     *                         device can be opened
     */
    public static ConvEngine create(DeviceChoice choice) {
        CpuBackend cpu = new CpuBackend();
        if (choice.kind() == DeviceChoice.Kind.CPU) {
            return new ConvEngine(choice, cpu, cpu, null);
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
                LOG.info("convcl on {}", opencl.deviceName());
                return new ConvEngine(choice, cpu, opencl, null);
            } catch (BackendException e) {
                reason = e.getMessage();
            }
        } else if (choice.deviceIndex() >= 0 && found.available()) {
            reason = "no OpenCL device " + choice.deviceIndex() + " (there are " + found.devices().size() + ")";
        } else {
            reason = found.unavailable();
        }
        if (choice.kind() == DeviceChoice.Kind.OPENCL) {
            cpu.close();
            throw new ConvclException("device " + choice + " asked for, but " + reason);
        }
        ConvEngine engine = new ConvEngine(choice, cpu, cpu, reason);
        engine.warnOnce("no-device", "OpenCL unavailable: " + reason + "; running on the CPU path");
        return engine;
    }

    /** What was asked for. */
    public DeviceChoice choice() {
        return choice;
    }

    /** The backend plans try first: an OpenCL device, or the CPU path. */
    public Backend primaryBackend() {
        return primary;
    }

    /** The CPU path. */
    public Backend cpuBackend() {
        return cpu;
    }

    /** Why the engine runs on the CPU path although OpenCL was wanted, or empty. */
    public Optional<String> fallbackReason() {
        return Optional.ofNullable(fallbackReason);
    }

    /** {@code opencl:0 NVIDIA ... (GPU, ...)} or {@code cpu (pure Java, 16 threads)}. */
    public String deviceName() {
        return primary.deviceName();
    }

    /**
     * Compiles {@code spec} once for repeated calls: validation, kernel build (cached) and
     * device allocation happen here, not in {@link ConvPlan#execute}.
     *
     * @throws IllegalStateException when the engine is closed
     */
    public ConvPlan plan(ConvSpec spec) {
        if (spec == null) {
            throw new IllegalArgumentException("spec must not be null");
        }
        ensureOpen();
        ConvPlan plan = compile(spec);
        openPlans.add(plan);
        if (closed.get()) { // close() ran meanwhile and may have missed this plan
            plan.close();
            ensureOpen();
        }
        return plan;
    }

    private ConvPlan compile(ConvSpec spec) {
        if (primary != cpu) {
            Optional<String> why = primary.unsupportedReason(spec);
            if (why.isPresent()) {
                warnOnce("unsupported:" + why.get(), "OpenCL cannot run " + spec + ": " + why.get()
                        + "; running on the CPU path");
            } else {
                try {
                    return new ConvPlan(this, spec, primary, primary.compile(spec));
                } catch (BackendException e) {
                    warnOnce(e.kind() + ":" + firstLine(e.getMessage()), "OpenCL failed to prepare " + spec
                            + " (" + e.kind() + "): " + e.getMessage() + "; running on the CPU path");
                }
            }
        }
        return new ConvPlan(this, spec, cpu, cpu.compile(spec));
    }

    /** Compiles {@code spec} on the CPU path, whatever the primary backend. */
    CompiledConv compileOnCpu(ConvSpec spec) {
        return cpu.compile(spec);
    }

    /**
     * Runs one call without keeping a plan. The tensors are checked against the spec before
     * anything is compiled or sent to a device.
     */
    public void run(ConvSpec spec, ConvArgs args) {
        if (spec == null || args == null) {
            throw new IllegalArgumentException("spec and args must not be null");
        }
        args.validateFor(spec);
        try (ConvPlan plan = plan(spec)) {
            plan.execute(args);
        }
    }

    /**
     * {@code torch.nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups)}:
     * the spec is derived from the tensors' shapes.
     *
     * @param bias null for none
     * @return a new output tensor {@code [N, K, OH, OW]}
     */
    public Tensor conv2d(Tensor input, Tensor weight, Tensor bias, int stride, int padding, int dilation, int groups) {
        ConvSpec spec = specFromShapes(ConvSpec.conv2d(), input, weight, bias, stride, padding, dilation, groups).build();
        if (weight.dim(1) != spec.cPerGroup()) {
            throw new IllegalArgumentException("weight " + Arrays.toString(weight.shape()) + " has " + weight.dim(1)
                    + " channels per group; with groups=" + groups + " the input must have " + weight.dim(1) * (long) groups
                    + " channels, but input " + Arrays.toString(input.shape()) + " has " + input.dim(1));
        }
        Tensor out = Tensor.zeros(spec.outputShape());
        run(spec, ConvArgs.conv2d(input, weight, bias, out));
        return out;
    }

    /**
     * {@code torchvision.ops.deform_conv2d(input, offset, weight, bias, stride, padding, dilation, mask)}:
     * offset groups are derived from the offset's channels, as torchvision does. Each sample is
     * bilinear, with pixels outside the image counting as zero; a sample point a pixel or more
     * outside the image samples zero, and so does one whose offset is infinite. A NaN offset or
     * mask value makes NaN in every output that uses its sample. These are defined results on
     * every backend, not errors; fractions of the sample points are exact however wide the map.
     *
     * @param bias null for none
     * @param mask null for DCNv1
     * @return a new output tensor {@code [N, K, OH, OW]}
     */
    public Tensor deformConv2d(Tensor input, Tensor offset, Tensor weight, Tensor bias, int stride, int padding,
                               int dilation, Tensor mask) {
        requireRank("input", input, 4);
        requireRank("weight", weight, 4);
        requireRank("offset", offset, 4);
        if (mask != null) {
            requireRank("mask", mask, 4);
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
        int groups = input.dim(1) / weight.dim(1);
        ConvSpec spec = specFromShapes(ConvSpec.deform2d(), input, weight, bias, stride, padding, dilation, groups)
                .offsetGroups(offset.dim(1) / (2 * kk)).mask(mask != null).build();
        Tensor out = Tensor.zeros(spec.outputShape());
        run(spec, ConvArgs.deform2d(input, offset, mask, weight, bias, out));
        return out;
    }

    private static ConvSpec.Builder specFromShapes(ConvSpec.Builder b, Tensor input, Tensor weight, Tensor bias,
                                                   int stride, int padding, int dilation, int groups) {
        requireRank("input", input, 4);
        requireRank("weight", weight, 4);
        if (bias != null) {
            requireRank("bias", bias, 1);
        }
        return b.input(input.dim(0), input.dim(1), input.dim(2), input.dim(3)).output(weight.dim(0))
                .kernel(weight.dim(2), weight.dim(3)).stride(stride).padding(padding).dilation(dilation)
                .groups(groups).bias(bias != null);
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

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this ConvEngine is closed");
        }
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return closed.get();
    }

    /** Called by a plan when it is closed. */
    void planClosed(ConvPlan plan) {
        openPlans.remove(plan);
    }

    /**
     * Closes the plans still open (waiting for a call in progress on them to end), then releases the
     * device context and the CPU pool. Idempotent: later calls do nothing; later {@link #plan} calls
     * throw {@link IllegalStateException}. Do not call it while another thread is inside
     * {@link #plan} or a one-shot call.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (ConvPlan plan : openPlans) {
            plan.close();
        }
        if (primary != cpu) {
            primary.close();
        }
        cpu.close();
    }
}
