package dev.convcl.opencl;

import dev.convcl.ConvSpec;
import dev.convcl.spi.Backend;
import dev.convcl.spi.CompiledConv;
import java.util.Optional;

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
        long max = context.info().maxAllocBytes();
        long largest = Math.max(Math.max(spec.inputSize(), spec.outputSize()), spec.weightSize());
        if (spec.isDeformable()) {
            largest = Math.max(largest, spec.offsetSize());
        }
        if (largest * 4 > max) {
            return Optional.of("a tensor of " + largest * 4 + " bytes exceeds the device's maximum allocation of "
                    + max + " bytes");
        }
        return Optional.empty();
    }

    @Override
    public CompiledConv compile(ConvSpec spec) {
        return KernelSelector.compile(context, spec);
    }

    @Override
    public void close() {
        context.close();
    }
}
