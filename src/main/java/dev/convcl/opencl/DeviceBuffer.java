package dev.convcl.opencl;

import static org.jocl.CL.*;

import dev.convcl.Tensor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_event;
import org.jocl.cl_mem;

/**
 * A device buffer. Transfers are blocking, from and into {@link Tensor}s (arrays or buffers).
 * {@link #close()} releases it once; later calls do nothing.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final OpenClContext owner;
    private final String what;
    private final cl_mem mem;
    private final long bytes;
    private final AtomicBoolean closed = new AtomicBoolean();

    DeviceBuffer(OpenClContext owner, String what, cl_mem mem, long bytes) {
        this.owner = owner;
        this.what = what;
        this.mem = mem;
        this.bytes = bytes;
    }

    public cl_mem mem() {
        return mem;
    }

    public long bytes() {
        return bytes;
    }

    /** Copies the whole tensor to the start of this buffer (blocking). */
    public void write(Tensor t) {
        long n = (long) t.size() * 4;
        if (n > bytes) {
            throw new IllegalArgumentException("tensor of " + n + " bytes does not fit buffer '" + what + "' of " + bytes);
        }
        try {
            clEnqueueWriteBuffer(owner.queue(), mem, CL_TRUE, 0, n, pointer(t), 0, null, null);
        } catch (CLException e) {
            throw OpenClErrors.translate("writing buffer '" + what + "'", e);
        }
    }

    /** Copies the start of this buffer into the whole tensor (blocking). */
    public void read(Tensor t) {
        long n = (long) t.size() * 4;
        if (n > bytes) {
            throw new IllegalArgumentException("tensor of " + n + " bytes is larger than buffer '" + what + "' of " + bytes);
        }
        try {
            clEnqueueReadBuffer(owner.queue(), mem, CL_TRUE, 0, n, pointer(t), 0, null, null);
        } catch (CLException e) {
            throw OpenClErrors.translate("reading buffer '" + what + "'", e);
        }
    }

    /** Fills the buffer with a float pattern (non-blocking; ordered by the in-order queue). */
    public void fill(float value) {
        try {
            cl_event ev = new cl_event();
            clEnqueueFillBuffer(owner.queue(), mem, Pointer.to(new float[] {value}), 4, 0, bytes, 0, null, ev);
            clReleaseEvent(ev);
        } catch (CLException e) {
            throw OpenClErrors.translate("filling buffer '" + what + "'", e);
        }
    }

    private static Pointer pointer(Tensor t) {
        return t.hasArray() ? Pointer.to(t.array()) : Pointer.to(t.buffer());
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            clReleaseMemObject(mem);
        } catch (CLException ignored) {
            // closing is quiet
        }
        owner.released(bytes);
    }
}
