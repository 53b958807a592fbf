package dev.convcl.opencl;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;
import dev.convcl.spi.CompiledConv;
import org.jocl.CLException;
import org.jocl.cl_event;

/**
 * A plan that runs one kernel over the spec's {@link PlanBuffers}: a call uploads the tensors,
 * binds the arguments, launches once, reads the output back and keeps the profiled kernel time.
 * Subclasses say how the arguments are bound and how large the NDRange is.
 */
abstract class SingleKernelPlan implements CompiledConv {
    final ConvSpec spec;
    final PlanBuffers buffers;
    private final OpenClKernel kernel;
    private double lastKernelMillis = Double.NaN;

    /** Takes ownership of {@code kernel} (closed here if the buffers cannot be allocated). */
    SingleKernelPlan(OpenClContext ctx, ConvSpec spec, OpenClKernel kernel) {
        this.spec = spec;
        try {
            this.buffers = new PlanBuffers(ctx, spec);
        } catch (RuntimeException e) {
            kernel.close();
            throw e;
        }
        this.kernel = kernel;
    }

    /** Sets every argument of {@code k}; {@link #buffers} hold the call's data. */
    abstract void bind(OpenClKernel k);

    /** The NDRange's global size, a multiple of {@link #localSize()} in each dimension. */
    abstract long[] globalSize();

    abstract long[] localSize();

    @Override
    public synchronized void execute(ConvArgs args) {
        try {
            buffers.upload(args);
            bind(kernel);
            cl_event ev = kernel.launch(globalSize(), localSize());
            buffers.download(args);
            lastKernelMillis = OpenClKernel.elapsedMillisAndRelease(ev);
        } catch (CLException e) {
            throw OpenClErrors.translate("running " + algorithm() + " for " + spec, e);
        }
    }

    @Override
    public double lastDeviceMillis() {
        return lastKernelMillis;
    }

    @Override
    public void close() {
        kernel.close();
        buffers.close();
    }
}
