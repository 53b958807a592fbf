package dev.convcl.spi;

import dev.convcl.ConvArgs;

/**
 * A problem compiled for one backend: kernels built, buffers allocated. {@link #execute} only
 * transfers and launches. Arguments arrive already validated against the spec.
 */
public interface CompiledConv extends AutoCloseable {

    /** The algorithm chosen for this problem, e.g. {@code direct}, {@code depthwise}, {@code gemm}. */
    String algorithm();

    /**
     * Computes {@code args.output()}.
     *
     * @throws BackendException on a device failure (the output is then undefined)
     */
    void execute(ConvArgs args);

    /** Device time of the last {@link #execute}'s kernels in milliseconds, NaN where not measured. */
    default double lastDeviceMillis() {
        return Double.NaN;
    }

    /** Releases device resources; idempotent, never throws. */
    @Override
    void close();
}
