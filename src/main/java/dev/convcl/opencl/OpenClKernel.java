package dev.convcl.opencl;

import static org.jocl.CL.*;

import java.util.concurrent.atomic.AtomicBoolean;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_event;
import org.jocl.cl_kernel;

/**
 * A kernel object. Setting arguments is not thread-safe in OpenCL, so one kernel belongs to one
 * plan and the plan serialises its calls. {@link #close()} releases it once.
 */
public final class OpenClKernel implements AutoCloseable {
    private final OpenClContext owner;
    private final String name;
    private final cl_kernel kernel;
    private final AtomicBoolean closed = new AtomicBoolean();

    OpenClKernel(OpenClContext owner, String name, cl_kernel kernel) {
        this.owner = owner;
        this.name = name;
        this.kernel = kernel;
        owner.countObject(1);
    }

    public String name() {
        return name;
    }

    public OpenClKernel arg(int index, DeviceBuffer buffer) {
        clSetKernelArg(kernel, index, Sizeof.cl_mem, Pointer.to(buffer.mem()));
        return this;
    }

    public OpenClKernel arg(int index, int value) {
        clSetKernelArg(kernel, index, Sizeof.cl_int, Pointer.to(new int[] {value}));
        return this;
    }

    public OpenClKernel arg(int index, float value) {
        clSetKernelArg(kernel, index, Sizeof.cl_float, Pointer.to(new float[] {value}));
        return this;
    }

    /** A {@code __local} argument of {@code bytes}. */
    public OpenClKernel localArg(int index, long bytes) {
        clSetKernelArg(kernel, index, bytes, null);
        return this;
    }

    /**
     * Enqueues an NDRange launch. Every global size must be a multiple of the local size (POCL
     * has no non-uniform work-groups): callers round up and guard in the kernel.
     *
     * @param local null to let the driver choose
     * @return the launch event, for profiling; the caller releases it
     */
    public cl_event launch(long[] global, long[] local) {
        if (local != null) {
            for (int i = 0; i < global.length; i++) {
                if (global[i] % local[i] != 0) {
                    throw new IllegalStateException("kernel " + name + ": global size " + global[i]
                            + " is not a multiple of local size " + local[i] + " in dimension " + i);
                }
            }
        }
        cl_event ev = new cl_event();
        try {
            clEnqueueNDRangeKernel(owner.queue(), kernel, global.length, null, global, local, 0, null, ev);
        } catch (CLException e) {
            throw OpenClErrors.translate("launching kernel " + name, e);
        }
        return ev;
    }

    /** Milliseconds between an event's start and end (needs the profiling queue); releases the event. */
    public static double elapsedMillisAndRelease(cl_event ev) {
        try {
            long[] start = new long[1];
            long[] end = new long[1];
            clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, Sizeof.cl_ulong, Pointer.to(start), null);
            clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, Sizeof.cl_ulong, Pointer.to(end), null);
            return (end[0] - start[0]) / 1e6;
        } catch (CLException e) {
            return Double.NaN;
        } finally {
            clReleaseEvent(ev);
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            clReleaseKernel(kernel);
        } catch (CLException ignored) {
            // closing is quiet
        }
        owner.countObject(-1);
    }
}
