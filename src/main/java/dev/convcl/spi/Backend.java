package dev.convcl.spi;

import dev.convcl.DeviceException;
import dev.convcl.HostTensor;
import java.util.List;

/**
 * A place operations run: the pure-Java CPU path or one OpenCL device. It owns the device's
 * memory and queue and offers its {@link Implementation}s, in selection order, for every operator
 * it runs. Work is ordered: writes, executions and reads happen in the order they were issued.
 * Internal: not part of the exported API.
 */
public interface Backend extends AutoCloseable {

    /** Short kind name: {@code cpu} or {@code opencl}. */
    String kind();

    /** Human-readable device description, e.g. {@code opencl:0 NVIDIA H100 (GPU, OpenCL 3.0 CUDA)}. */
    String deviceName();

    /**
     * The implementations, in selection order: the engine uses the first whose
     * {@link Implementation#validate} accepts an operation. For each operator the list ends with
     * one that accepts every valid descriptor the device can hold.
     */
    List<Implementation> implementations();

    /**
     * Device memory of {@code bytes}.
     *
     * @param what a name for messages, e.g. {@code input}
     * @throws DeviceException of kind OUT_OF_RESOURCES when the device cannot hold it
     */
    Memory allocate(String what, long bytes);

    /**
     * The alignment in bytes a {@linkplain #region region}'s offset needs; 0 when this backend
     * makes no regions (the CPU path: its primitives index their arrays from 0).
     */
    default long regionAlignment() {
        return 0;
    }

    /**
     * Bytes {@code [offset, offset + bytes)} of {@code memory} as memory of their own, which
     * primitives read and write in place (an OpenCL sub-buffer): how a graph's branch writes
     * straight into its channels of a concatenation. Holds no memory of its own; closing
     * {@code memory} closes it first.
     *
     * @param offset a multiple of {@link #regionAlignment()}
     * @throws UnsupportedOperationException when {@link #regionAlignment()} is 0
     * @throws IllegalArgumentException      when the offset is not aligned or the region leaves {@code memory}
     */
    default Memory region(Memory memory, String what, long offset, long bytes) {
        throw new UnsupportedOperationException(kind() + " makes no memory regions");
    }

    /**
     * A view of host memory usable by this backend's primitives without a copy, or null when the
     * backend computes elsewhere (a device) or cannot view this tensor (a CPU backend and a
     * buffer-backed tensor). Writes by a primitive through the view land in {@code t}.
     */
    Memory wrap(HostTensor t);

    /** Copies {@code src} into the start of {@code dst}; returns once {@code src} may be reused. */
    void write(Memory dst, HostTensor src);

    /**
     * Copies {@code src} ({@code [N, K, H, W]}) into channels {@code start + k * step} of the tensor
     * {@code [N, channels, H, W]} that {@code dst} holds, leaving its other channels as they are;
     * returns once {@code src} may be reused. Where a plan that wrote a channel window
     * ({@link Primitive#writeChannelWindow}) computed on the CPU path instead.
     *
     * @throws UnsupportedOperationException where this backend's primitives write no windows (the default)
     */
    default void writeChannels(Memory dst, HostTensor src, int channels, int start, int step) {
        throw new UnsupportedOperationException(kind() + " writes no channel windows");
    }

    /**
     * Waits for the work issued before and copies channels {@code start + k * step} of the tensor
     * {@code [N, channels, H, W]} that {@code src} holds into {@code dst} ({@code [N, K, H, W]}).
     * Where a plan that read a channel window ({@link Primitive#readChannelWindow}) computes on the
     * CPU path instead.
     *
     * @throws UnsupportedOperationException where this backend's primitives read no windows (the default)
     */
    default void readChannels(Memory src, HostTensor dst, int channels, int start, int step) {
        throw new UnsupportedOperationException(kind() + " reads no channel windows");
    }

    /** Waits for the work issued before and copies the start of {@code src} into {@code dst}. */
    void read(Memory src, HostTensor dst);

    /** Copies {@code bytes} from the start of {@code src} to the start of {@code dst}, in queue order. */
    void copy(Memory src, Memory dst, long bytes);

    /**
     * Waits until every piece of work issued so far has finished.
     *
     * @throws DeviceException when queued work failed (its results are lost)
     */
    void finish();

    /** Host-device copies issued so far (writes and reads; none on the CPU path). */
    long transfers();

    /** Kernels launched so far (none on the CPU path). */
    long launches();

    /** Device memory allocated now, in bytes. */
    long liveBytes();

    /** Releases every resource; idempotent, never throws. */
    @Override
    void close();
}
