package dev.convcl;

import dev.convcl.spi.Memory;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A dense float32 tensor in an engine's device memory (an OpenCL buffer; a Java array on the CPU
 * path), row-major. Made by {@link Engine#allocate} or {@link Engine#upload}; plans read and
 * write it in place, so a chain of operations moves no data between host and device. Copies are
 * explicit: {@link #upload} and {@link #download}.
 *
 * <p>Work on an engine is ordered and asynchronous: a plan's {@code execute} with a device
 * output returns once the work is queued; {@link #download} and {@link Engine#finish()} wait for
 * it. If queued work fails on the device, every device tensor written since the last successful
 * wait is marked lost and its {@link #download} throws {@link DeviceException}: a result is
 * right or missing, never wrong.
 *
 * <p>{@link #close()} releases the memory (idempotent); work already queued on it completes.
 * Closing the engine closes its device tensors.
 */
public final class DeviceTensor implements Tensor, AutoCloseable {
    private final Engine engine;
    private final int[] shape;
    private final int size;
    private final Memory memory;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The engine's write epoch of the last work that wrote this tensor; 0 when never written by queued work. */
    private volatile long writtenAt;

    DeviceTensor(Engine engine, int[] shape, int size, Memory memory) {
        this.engine = engine;
        this.shape = shape;
        this.size = size;
        this.memory = memory;
    }

    /** The engine whose device holds the tensor. */
    public Engine engine() {
        return engine;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public int dim(int i) {
        return shape[i];
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public DataType dataType() {
        return DataType.F32;
    }

    /**
     * Copies {@code src} into this tensor. Returns once {@code src} may be changed again; the copy
     * is ordered before work issued later.
     *
     * @throws IllegalArgumentException when the shapes differ
     * @throws IllegalStateException    when this tensor or its engine is closed
     */
    public void upload(HostTensor src) {
        checkOpen();
        if (src == null || !Arrays.equals(src.shape(), shape)) {
            throw new IllegalArgumentException("cannot upload " + src + " into " + this + ": the shapes differ");
        }
        engine.write(this, src);
    }

    /**
     * Waits for the work that writes this tensor, then copies it into {@code dst}.
     *
     * @throws IllegalArgumentException when the shapes differ
     * @throws DeviceException          when the work that wrote this tensor failed on the device
     * @throws IllegalStateException    when this tensor or its engine is closed
     */
    public void download(HostTensor dst) {
        checkOpen();
        if (dst == null || !Arrays.equals(dst.shape(), shape)) {
            throw new IllegalArgumentException("cannot download " + this + " into " + dst + ": the shapes differ");
        }
        engine.read(this, dst);
    }

    /** Waits for the work that writes this tensor and returns a new host copy of it. */
    public HostTensor download() {
        HostTensor t = HostTensor.zeros(shape);
        download(t);
        return t;
    }

    /** Waits for the work that writes this tensor and returns its elements in a new array. */
    public float[] toArray() {
        return download().array();
    }

    /** Whether {@link #close()} has been called (or the engine closed). */
    public boolean isClosed() {
        return closed.get();
    }

    /** Releases the device memory; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            memory.close();
            engine.tensorClosed(this);
        }
    }

    Memory memory() {
        return memory;
    }

    long writtenAt() {
        return writtenAt;
    }

    void written(long epoch) {
        writtenAt = epoch;
    }

    void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("device tensor " + this + " is closed");
        }
    }

    /** {@code DeviceTensor[1, 64, 56, 56] on opencl:0 ...}. */
    @Override
    public String toString() {
        return "DeviceTensor" + Arrays.toString(shape) + " on " + engine.deviceName();
    }
}
