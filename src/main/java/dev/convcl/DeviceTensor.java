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
 *
 * <pre>{@code
 * try (DeviceTensor x = engine.upload(Tensor.of(image, conv1.inputShape()));   // one copy in
 *      DeviceTensor h = engine.allocate(conv1.outputShape());
 *      DeviceTensor y = engine.allocate(conv2.outputShape())) {
 *     plan1.execute(Args.of(Arg.SRC, x, Arg.DST, h));   // queued
 *     plan2.execute(Args.of(Arg.SRC, h, Arg.DST, y));   // queued after it
 *     float[] result = y.toArray();                     // waits; one copy out
 * }
 * }</pre>
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

    /**
     * The engine whose device holds the tensor; plans of other engines refuse it.
     *
     * @return the engine
     */
    public Engine engine() {
        return engine;
    }

    @Override
    public int[] shape() {
        return shape.clone();
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
     * Copies {@code src} into this tensor (host to device), replacing every element. Returns once
     * {@code src} may be changed again; the copy is ordered before work issued later.
     *
     * @param src the values, of this tensor's shape; read
     * @throws IllegalArgumentException when {@code src} is null or the shapes differ
     * @throws IllegalStateException    when this tensor or its engine is closed
     */
    public void upload(HostTensor src) {
        enterOrThrow();
        try {
            if (src == null || !Arrays.equals(src.shape(), shape)) {
                throw new IllegalArgumentException("cannot upload " + src + " into " + this + ": the shapes differ");
            }
            engine.write(this, src);
        } finally {
            exit();
        }
    }

    /**
     * Waits for the work queued on the engine (which includes the work that writes this tensor),
     * then copies this tensor into {@code dst} (device to host), every element.
     *
     * @param dst where the values go, of this tensor's shape; written
     * @throws IllegalArgumentException when {@code dst} is null, read-only ({@link HostTensor#isReadOnly}) or the
     *                                  shapes differ
     * @throws DeviceException          when the work that wrote this tensor failed on the device
     * @throws IllegalStateException    when this tensor or its engine is closed
     */
    public void download(HostTensor dst) {
        enterOrThrow();
        try {
            if (dst == null || !Arrays.equals(dst.shape(), shape)) {
                throw new IllegalArgumentException("cannot download " + this + " into " + dst + ": the shapes differ");
            }
            if (dst.isReadOnly()) {
                throw new IllegalArgumentException("cannot download " + this + " into " + dst + ": it must be writable");
            }
            engine.read(this, dst);
        } finally {
            exit();
        }
    }

    /**
     * Waits for the work that writes this tensor and returns a new host copy of it.
     *
     * @return a new array-backed host tensor of this tensor's shape
     * @throws DeviceException       when the work that wrote this tensor failed on the device
     * @throws IllegalStateException when this tensor or its engine is closed
     */
    public HostTensor download() {
        HostTensor t = HostTensor.zeros(shape);
        download(t);
        return t;
    }

    /**
     * Waits for the work that writes this tensor and returns its elements in a new array.
     *
     * @return the elements, row-major
     * @throws DeviceException       when the work that wrote this tensor failed on the device
     * @throws IllegalStateException when this tensor or its engine is closed
     */
    public float[] toArray() {
        return download().array();
    }

    /**
     * Whether {@link #close()} has been called (or the engine closed).
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Releases the device memory; idempotent. Does not wait for the device: work already queued on
     * the tensor still completes (the device frees the memory after it). It does wait, every call
     * of it, for the calls other threads are making with this tensor at that moment to hand its
     * memory to the backend (a plan queuing its work, an upload, a download, which waits for the
     * work queued on the engine), so it may block that long, and does not give way to an interrupt
     * (the interrupt status is kept); a call started after it is refused.
     */
    @Override
    public void close() {
        boolean first = closed.compareAndSet(false, true);
        awaitOtherThreadsCalls();
        if (first) {
            memory.close();
            engine.tensorClosed(this);
        }
    }

    /** Calls handing this tensor's memory to the backend now, by thread (guarded by this). */
    private final java.util.Map<Thread, Integer> calls = new java.util.HashMap<>();

    /**
     * Marks the start of a call that hands this tensor's memory to the backend, so that
     * {@link #close()} on another thread waits for it instead of releasing the memory under it
     * (POCL aborted the process when a kernel was queued on a released buffer). A thread already
     * inside such a call may enter again after a close began (a plan that downloads a device input
     * it holds: a RoI check, a fall-back to the CPU path).
     *
     * @return false, counting nothing, once the tensor is closed (and this thread holds it not)
     */
    synchronized boolean enter() {
        Thread me = Thread.currentThread();
        if (closed.get() && !calls.containsKey(me)) {
            return false;
        }
        calls.merge(me, 1, Integer::sum);
        return true;
    }

    /** The end of a call {@link #enter} let start. */
    synchronized void exit() {
        Thread me = Thread.currentThread();
        if (calls.merge(me, -1, Integer::sum) == 0) {
            calls.remove(me);
            notifyAll();
        }
    }

    private void enterOrThrow() {
        if (!enter()) {
            throw new IllegalStateException("device tensor " + this + " is closed");
        }
    }

    /** Waits until no thread but this one is inside a call with this tensor. */
    private synchronized void awaitOtherThreadsCalls() {
        Thread me = Thread.currentThread();
        boolean interrupted = false;
        while (calls.size() > (calls.containsKey(me) ? 1 : 0)) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true; // the memory must not go while a call uses it: wait on, then say so
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
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

    /**
     * The shape and the device, for messages.
     *
     * @return e.g. {@code DeviceTensor[1, 64, 56, 56] on opencl:0 pthread-haswell (CPU, ...)}
     */
    @Override
    public String toString() {
        return "DeviceTensor" + Arrays.toString(shape) + " on " + engine.deviceName();
    }
}
