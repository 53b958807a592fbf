package dev.convcl.opencl;

import static org.jocl.CL.*;

import dev.convcl.spi.BackendException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jocl.CLException;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_mem;

/**
 * One device's context and in-order, profiling-enabled command queue, its program cache, and the
 * accounting of the device memory and OpenCL objects alive in it (so leaks can be measured).
 * Thread-safe: OpenCL calls are, and the counters are atomic. {@link #close()} releases the
 * programs, the queue and the context; buffers and kernels are released by their owners first.
 */
public final class OpenClContext implements AutoCloseable {
    private final OpenClDeviceInfo info;
    private final cl_context context;
    private final cl_command_queue queue;
    private final ProgramCache programs;
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicInteger liveObjects = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

    @SuppressWarnings("deprecation") // clCreateCommandQueue: the 1.2 call, which every driver has
    public OpenClContext(OpenClDeviceInfo info) {
        this.info = info;
        try {
            cl_context_properties props = new cl_context_properties();
            props.addProperty(CL_CONTEXT_PLATFORM, info.platform());
            this.context = clCreateContext(props, 1, new cl_device_id[] {info.device()}, null, null, null);
        } catch (CLException | LinkageError e) {
            throw new BackendException(BackendException.Kind.UNAVAILABLE,
                    "could not create an OpenCL context on " + info.describe() + ": " + e.getMessage(), e);
        }
        try {
            this.queue = clCreateCommandQueue(context, info.device(), CL_QUEUE_PROFILING_ENABLE, null);
        } catch (CLException e) {
            clReleaseContext(context);
            throw new BackendException(BackendException.Kind.UNAVAILABLE,
                    "could not create a command queue on " + info.describe() + ": " + e.getMessage(), e);
        }
        this.programs = new ProgramCache(this);
    }

    public OpenClDeviceInfo info() {
        return info;
    }

    public cl_context context() {
        return context;
    }

    public cl_command_queue queue() {
        return queue;
    }

    public ProgramCache programs() {
        return programs;
    }

    /**
     * Allocates a device buffer of {@code bytes}. Sizes above the device's maximum allocation are
     * refused before the driver sees them, as {@link BackendException.Kind#OUT_OF_RESOURCES}.
     *
     * @param what a name for messages, e.g. {@code input}
     */
    public DeviceBuffer allocate(String what, long bytes, long flags) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("buffer '" + what + "' size must be positive, got " + bytes);
        }
        if (bytes > info.maxAllocBytes()) {
            throw new BackendException(BackendException.Kind.OUT_OF_RESOURCES, "buffer '" + what + "' needs "
                    + bytes + " bytes, above the device's maximum allocation of " + info.maxAllocBytes()
                    + " bytes (CL_DEVICE_MAX_MEM_ALLOC_SIZE)");
        }
        cl_mem mem;
        try {
            mem = clCreateBuffer(context, flags, bytes, null, null);
        } catch (CLException e) {
            throw OpenClErrors.translate("allocating buffer '" + what + "' of " + bytes + " bytes", e);
        }
        liveBytes.addAndGet(bytes);
        liveObjects.incrementAndGet();
        return new DeviceBuffer(this, what, mem, bytes);
    }

    /** Called by a buffer when it is released. */
    void released(long bytes) {
        liveBytes.addAndGet(-bytes);
        liveObjects.decrementAndGet();
    }

    /** Called when a kernel or program is created (+1) or released (-1). */
    void countObject(int delta) {
        liveObjects.addAndGet(delta);
    }

    /** Device memory held in buffers now. */
    public long liveBytes() {
        return liveBytes.get();
    }

    /** Buffers, kernels and programs alive now (the context and queue not counted). */
    public int liveObjects() {
        return liveObjects.get();
    }

    /** Waits for the queue to drain; errors become {@link BackendException}s. */
    public void finish() {
        try {
            clFinish(queue);
        } catch (CLException e) {
            throw OpenClErrors.translate("waiting for the queue", e);
        }
    }

    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        programs.close();
        try {
            clReleaseCommandQueue(queue);
        } catch (CLException ignored) {
            // closing is quiet: nothing useful can be done with a failure here
        }
        try {
            clReleaseContext(context);
        } catch (CLException ignored) {
            // as above
        }
    }
}
