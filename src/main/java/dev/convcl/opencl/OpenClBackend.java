package dev.convcl.opencl;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;
import dev.convcl.spi.Backend;
import dev.convcl.spi.CompiledConv;
import java.util.Optional;
import org.jocl.CLException;

/**
 * The OpenCL backend: one device, its context and queue. {@link #compile} picks a kernel for
 * the spec ({@link KernelSelector}), builds it through the program cache and allocates the
 * device buffers the plan needs.
 */
public final class OpenClBackend implements Backend {
    private final OpenClContext context;

    /**
     * Opens a context on {@code device}.
     *
     * @throws dev.convcl.spi.BackendException of kind UNAVAILABLE when the context cannot be made
     */
    public OpenClBackend(OpenClDeviceInfo device) {
        this.context = new OpenClContext(device);
    }

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
    public Optional<String> unsupportedReason(ConvSpec spec) {
        long max = context.maxAllocBytes();
        long largest = Math.max(Math.max(spec.inputSize(), spec.outputSize()), spec.weightSize());
        if (spec.isDeformable()) {
            largest = Math.max(largest, spec.offsetSize());
        }
        if (largest * 4 > max) {
            return Optional.of("a tensor of " + largest * 4 + " bytes exceeds the maximum allocation of "
                    + max + " bytes");
        }
        return Optional.empty();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Whatever plan class {@link KernelSelector} picks, an OpenCL error it lets through raw
     * (a {@link CLException}) becomes a {@link dev.convcl.spi.BackendException}, so the engine's
     * fallback to the CPU path sees every device fault.
     */
    @Override
    public CompiledConv compile(ConvSpec spec) {
        try {
            return new Translating(KernelSelector.compile(context, spec), spec);
        } catch (CLException e) {
            throw OpenClErrors.translate("preparing " + spec, e);
        }
    }

    /** Turns raw OpenCL errors of a plan into BackendExceptions. */
    private static final class Translating implements CompiledConv {
        private final CompiledConv plan;
        private final ConvSpec spec;

        Translating(CompiledConv plan, ConvSpec spec) {
            this.plan = plan;
            this.spec = spec;
        }

        @Override
        public String algorithm() {
            return plan.algorithm();
        }

        @Override
        public void execute(ConvArgs args) {
            try {
                plan.execute(args);
            } catch (CLException e) {
                throw OpenClErrors.translate("running " + plan.algorithm() + " for " + spec, e);
            }
        }

        @Override
        public double lastDeviceMillis() {
            return plan.lastDeviceMillis();
        }

        @Override
        public void close() {
            plan.close();
        }
    }

    @Override
    public void close() {
        context.close();
    }
}
