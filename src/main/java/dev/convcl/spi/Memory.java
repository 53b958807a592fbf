package dev.convcl.spi;

/**
 * A block of a backend's memory: an OpenCL buffer, or a Java array on the CPU path. Owned by
 * whoever allocated it; {@link #close()} releases it once (later calls do nothing).
 */
public interface Memory extends AutoCloseable {

    /** Usable size in bytes. */
    long bytes();

    /** Releases the memory; idempotent, never throws. */
    @Override
    void close();
}
