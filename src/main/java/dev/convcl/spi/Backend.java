package dev.convcl.spi;

import dev.convcl.ConvSpec;
import java.util.Optional;

/**
 * A place convolutions run: the pure-Java CPU path or one OpenCL device. The engine asks
 * {@link #unsupportedReason} first (never throws), then {@link #compile}s a plan once per spec and
 * executes it many times.
 */
public interface Backend extends AutoCloseable {

    /** Short kind name: {@code cpu} or {@code opencl}. */
    String kind();

    /** Human-readable device description, e.g. {@code opencl:0 NVIDIA H100 (GPU, OpenCL 3.0 CUDA)}. */
    String deviceName();

    /** Empty when the backend can run {@code spec}, otherwise the reason it cannot. */
    Optional<String> unsupportedReason(ConvSpec spec);

    /**
     * Validates, compiles (through caches) and allocates everything a call needs.
     *
     * @throws BackendException when the device cannot build or hold the problem
     */
    CompiledConv compile(ConvSpec spec);

    /** Releases every resource; idempotent, never throws. */
    @Override
    void close();
}
