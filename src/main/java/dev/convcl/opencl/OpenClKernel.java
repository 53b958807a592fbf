package dev.convcl.opencl;

import static org.jocl.CL.*;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_event;
import org.jocl.cl_kernel;

/**
 * A kernel object. Setting arguments is not thread-safe in OpenCL, so one kernel belongs to one
 * plan and the plan serialises its calls; {@link ProgramCache#kernel} makes a new kernel object
 * for every caller. Should two threads still reach one kernel at the same moment, the second gets
 * an {@link IllegalStateException} instead of a silent race.
 *
 * <p>Launch events count as live objects of the context until
 * {@link #elapsedMillisAndRelease(cl_event)} releases them; {@link #close()} releases the ones a
 * caller left behind (e.g. when a read-back after the launch failed), then the kernel, once.
 */
public final class OpenClKernel implements AutoCloseable {
    /** Launch events not yet released, and their kernel: lets the static release find the owner. */
    private static final Map<cl_event, OpenClKernel> PENDING = new ConcurrentHashMap<>();

    private final OpenClContext owner;
    private final String name;
    private final cl_kernel kernel;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicReference<Thread> user = new AtomicReference<>();
    private final Set<cl_event> outstanding = ConcurrentHashMap.newKeySet();
    /** What each argument index holds since it was last set (see {@link #setArg}); null: unknown. */
    private Object[] held = new Object[8];
    /** clSetKernelArg calls made (for tests: unchanged arguments make none). */
    private long driverSetCalls;

    OpenClKernel(OpenClContext owner, String name, cl_kernel kernel) {
        this.owner = owner;
        this.name = name;
        this.kernel = kernel;
        owner.countObject(1);
    }

    public String name() {
        return name;
    }

    /**
     * Sets argument {@code index} to {@code buffer}. A kernel object keeps its arguments between
     * launches, so when the argument already holds this very buffer (the same object as last set;
     * every call of a compiled graph's step passes the same buffers) nothing is done: on POCL the
     * JNI call and the driver's bookkeeping otherwise cost a compiled network's host thread more
     * than checking its steps.
     */
    public OpenClKernel arg(int index, DeviceBuffer buffer) {
        return setArg(index, Sizeof.cl_mem, buffer, buffer);
    }

    /** Sets argument {@code index} to {@code value}, unless it holds that value already. */
    public OpenClKernel arg(int index, int value) {
        return setArg(index, Sizeof.cl_int, value, null);
    }

    /** Sets argument {@code index} to {@code value} (compared bit for bit), unless it holds it already. */
    public OpenClKernel arg(int index, float value) {
        return setArg(index, Sizeof.cl_float, value, null);
    }

    /** A {@code __local} argument of {@code bytes}. */
    public OpenClKernel localArg(int index, long bytes) {
        return setArg(index, bytes, bytes, null);
    }

    /**
     * Sets argument {@code index} unless it holds {@code value} already: a buffer the same object,
     * an {@code Integer} or {@code Float} equal, a {@code Long} (local bytes) equal. What an index
     * holds is forgotten before the driver is called, so a failed call is retried in full.
     */
    private OpenClKernel setArg(int index, long size, Object value, DeviceBuffer buffer) {
        enter();
        try {
            if (index >= held.length) {
                held = Arrays.copyOf(held, Math.max(index + 1, 2 * held.length));
            }
            Object was = held[index];
            if (buffer != null ? was == buffer : value.equals(was)) {
                return this;
            }
            held[index] = null;
            driverSetCalls++;
            Pointer p = buffer != null ? Pointer.to(buffer.mem())
                    : value instanceof Integer i ? Pointer.to(new int[] {i})
                    : value instanceof Float f ? Pointer.to(new float[] {f})
                    : null; // a __local argument: size only
            clSetKernelArg(kernel, index, size, p);
            held[index] = value;
        } catch (CLException e) {
            throw OpenClErrors.translate("setting argument " + index + " of kernel " + name, e);
        } finally {
            exit();
        }
        return this;
    }

    /** clSetKernelArg calls this kernel has made so far. */
    long driverSetCalls() {
        return driverSetCalls;
    }

    /** Marks this kernel busy; a second thread arriving while it is busy is a bug in the caller. */
    private void enter() {
        Thread me = Thread.currentThread();
        Thread other = user.compareAndExchange(null, me);
        if (other != null && other != me) {
            throw new IllegalStateException("kernel " + name + " is being used by threads " + other.getName() + " and "
                    + me.getName() + " at once; OpenCL kernel arguments must be set by one thread at a time, so "
                    + "each plan owns its kernels and serialises its calls");
        }
    }

    private void exit() {
        user.set(null);
    }

    /**
     * Enqueues an NDRange launch. Every global size must be a multiple of the local size (POCL
     * has no non-uniform work-groups): callers round up and guard in the kernel.
     *
     * @param local null to let the driver choose
     * @return the launch event, for profiling; the caller releases it with
     *         {@link #elapsedMillisAndRelease(cl_event)} (or {@link #close()} does)
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
        enter();
        try {
            owner.injectFault(OpenClContext.FaultSite.LAUNCH, name);
            owner.countLaunch();
            clEnqueueNDRangeKernel(owner.queue(), kernel, global.length, null, global, local, 0, null, ev);
        } catch (CLException e) {
            throw OpenClErrors.translate("launching kernel " + name, e);
        } finally {
            exit();
        }
        outstanding.add(ev);
        PENDING.put(ev, this);
        owner.countObject(1);
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
            OpenClKernel k = PENDING.remove(ev);
            if (k == null) {
                releaseQuietly(ev); // not from launch(): release it as before
            } else {
                k.forget(ev);
            }
        }
    }

    /**
     * Waits for {@code ev}, then returns its elapsed milliseconds and releases it; NaN when the
     * command failed or was not profiled.
     */
    public static double waitElapsedMillisAndRelease(cl_event ev) {
        try {
            clWaitForEvents(1, new cl_event[] {ev});
        } catch (CLException e) {
            // the command failed: no time to report; the queue's next wait reports the error
        }
        return elapsedMillisAndRelease(ev);
    }

    /**
     * Whether {@code ev} is a launch event of a kernel, not yet released: {@link #launch} counted
     * it as a live object and its release will uncount it. Other events (copies, fills) are
     * counted by {@link LaunchEvents}.
     */
    static boolean isLaunchEvent(cl_event ev) {
        return PENDING.containsKey(ev);
    }

    /** Releases a launch event without reading it (a call whose time nobody asked for). */
    public static void release(cl_event ev) {
        OpenClKernel k = PENDING.remove(ev);
        if (k == null) {
            releaseQuietly(ev);
        } else {
            k.forget(ev);
        }
    }

    /** Releases {@code ev} if it is still this kernel's, exactly once. */
    private void forget(cl_event ev) {
        if (outstanding.remove(ev)) {
            releaseQuietly(ev);
            owner.countObject(-1);
        }
    }

    private static void releaseQuietly(cl_event ev) {
        try {
            clReleaseEvent(ev);
        } catch (CLException ignored) {
            // releasing is quiet
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (cl_event ev : outstanding) {
            PENDING.remove(ev);
            forget(ev);
        }
        try {
            clReleaseKernel(kernel);
        } catch (CLException ignored) {
            // closing is quiet
        }
        owner.countObject(-1);
    }
}
