package dev.convcl.opencl;

import static org.jocl.CL.*;

import dev.convcl.DeviceException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_buffer_region;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_mem;

/**
 * One device's context and in-order, profiling-enabled command queue, its program cache, and the
 * accounting of the device memory and OpenCL objects alive in it (so leaks can be measured).
 * Thread-safe: OpenCL calls are, and the counters are atomic. {@link #close()} releases the
 * programs, the queue and the context; buffers and kernels are released by their owners first.
 *
 * <p>Two system properties, read when the context is created:
 * <ul>
 *   <li>{@value #MAX_ALLOC_PROPERTY}: a cap in bytes on any one device buffer, below the device's
 *       {@code CL_DEVICE_MAX_MEM_ALLOC_SIZE} (a tuning knob: problems with a larger tensor run on
 *       the CPU path, which leaves device memory to other work; tests use it to reach that
 *       fallback with small tensors).</li>
 *   <li>{@value #GUARD_PROPERTY}: a debug mode in which every buffer carries that many extra bytes
 *       after its data, filled with a canary that must survive: a read-back checks it and throws
 *       {@link IllegalStateException} when device code wrote past the end of the buffer; closing a
 *       buffer checks it too. The test suite turns it on for every plan class.</li>
 * </ul>
 */
public final class OpenClContext implements AutoCloseable {
    /** System property: the largest device buffer in bytes this library allocates (default: the device's limit). */
    public static final String MAX_ALLOC_PROPERTY = "convcl.opencl.maxAllocBytes";
    /** System property: guard bytes after every device buffer, a debug mode (default 0: off). */
    public static final String GUARD_PROPERTY = "convcl.opencl.guardBytes";
    private static final int MAX_GUARD_BYTES = 1 << 20;

    /**
     * The OpenCL calls a {@link FaultInjector} can make fail: a kernel build, a buffer allocation, a
     * host-to-device write (or a device-side copy of the input), a kernel launch, a read-back to
     * the host, and {@link #finish()}. READ and FINISH are waits: a failure there is what the
     * driver reports when work queued earlier failed on the device. BUILD_LOST_FILE is consulted
     * before each attempt to build a program from source (not one loaded from the disk cache): a
     * failure there fails that attempt the way POCL's compiler did when LLVM's signal handler
     * removed its temporary file, {@code CL_BUILD_PROGRAM_FAILURE} with {@link #LOST_FILE_LOG}.
     */
    enum FaultSite { BUILD, BUILD_LOST_FILE, ALLOCATE, WRITE, LAUNCH, READ, FINISH }

    /** The build log of an injected {@link FaultSite#BUILD_LOST_FILE} failure (POCL 3.1's, paths shortened). */
    static final String LOST_FILE_LOG = "error: <invalid loc>: unable to rename temporary"
            + " '/tmp/pocl/tempfile_X.preproc-22a0dd61.cl.tmp' to output file '/tmp/pocl/tempfile_X.preproc.cl':"
            + " 'No such file or directory' (injected)\n1 error generated.\n";

    /**
     * Test-only seam: consulted before the OpenCL call at each {@link FaultSite}; a status other
     * than {@code CL_SUCCESS} makes that call fail with it, as a driver would, so the library's
     * real error paths (translation, fallback to the CPU path, cleanup) run.
     */
    @FunctionalInterface
    interface FaultInjector {
        /**
         * @param what the buffer, kernel or kernel file concerned, for targeting
         * @return {@code CL_SUCCESS} to let the call proceed, or the error code it fails with
         */
        int statusFor(FaultSite site, String what);
    }

    private final OpenClDeviceInfo info;
    private final cl_context context;
    private final cl_command_queue queue;
    private final ProgramCache programs;
    private final long maxAllocBytes;
    private final int guardBytes;
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicInteger liveObjects = new AtomicInteger();
    private final AtomicLong kernelLaunches = new AtomicLong();
    private final AtomicLong transfers = new AtomicLong();
    private final AtomicLong guardViolations = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile FaultInjector faults;
    /** {@code CL_DEVICE_MEM_BASE_ADDR_ALIGN} in bytes. */
    private final long regionAlignment;

    /**
     * Opens a context and queue on {@code info}.
     *
     * @throws DeviceException of kind UNAVAILABLE when the context cannot be made
     * @throws IllegalArgumentException when {@value #MAX_ALLOC_PROPERTY} or {@value #GUARD_PROPERTY}
     *                                  is set to something other than a positive number
     */
    @SuppressWarnings("deprecation") // clCreateCommandQueue: the 1.2 call, which every driver has
    public OpenClContext(OpenClDeviceInfo info) {
        this.info = info;
        long cap = longProperty(MAX_ALLOC_PROPERTY, Long.MAX_VALUE, 1, Long.MAX_VALUE);
        this.maxAllocBytes = Math.min(info.maxAllocBytes(), cap);
        this.guardBytes = (int) longProperty(GUARD_PROPERTY, 0, 0, MAX_GUARD_BYTES);
        try {
            cl_context_properties props = new cl_context_properties();
            props.addProperty(CL_CONTEXT_PLATFORM, info.platform());
            this.context = clCreateContext(props, 1, new cl_device_id[] {info.device()}, null, null, null);
        } catch (CLException | LinkageError e) {
            throw new DeviceException(DeviceException.Kind.UNAVAILABLE,
                    "could not create an OpenCL context on " + info.describe() + ": " + e.getMessage(), e);
        }
        try {
            this.queue = clCreateCommandQueue(context, info.device(), CL_QUEUE_PROFILING_ENABLE, null);
        } catch (CLException e) {
            clReleaseContext(context);
            throw new DeviceException(DeviceException.Kind.UNAVAILABLE,
                    "could not create a command queue on " + info.describe() + ": " + e.getMessage(), e);
        }
        String broken = OpenClLibrary.afterDriverCall();
        if (broken != null) {
            clReleaseCommandQueue(queue);
            clReleaseContext(context);
            throw new DeviceException(DeviceException.Kind.UNAVAILABLE, broken);
        }
        this.programs = new ProgramCache(this);
        this.regionAlignment = regionAlignment(info);
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

    private static long longProperty(String name, long dflt, long min, long max) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            long x = Long.parseLong(v.trim().replace("_", ""));
            if (x >= min && x <= max) {
                return x;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("system property " + name + "='" + v + "' must be an integer from "
                + min + " to " + max);
    }

    /**
     * The largest buffer this context allocates: the device's {@code CL_DEVICE_MAX_MEM_ALLOC_SIZE},
     * or {@value #MAX_ALLOC_PROPERTY} when that is lower.
     */
    public long maxAllocBytes() {
        return maxAllocBytes;
    }

    /** Guard bytes after each buffer ({@value #GUARD_PROPERTY}); 0 when the debug mode is off. */
    public int guardBytes() {
        return guardBytes;
    }

    /**
     * Allocates a device buffer of {@code bytes}. Sizes above {@link #maxAllocBytes()} are refused
     * before the driver sees them, as {@link DeviceException.Kind#OUT_OF_RESOURCES}.
     *
     * @param what a name for messages, e.g. {@code input}
     */
    public DeviceBuffer allocate(String what, long bytes, long flags) {
        return allocate(what, bytes, 0, flags);
    }

    /**
     * Allocates a device buffer of {@code bytes} followed by {@code readSlack} bytes that kernels
     * may read but never write ({@link DeviceBuffer#readableBytes()}); in guard mode the canary
     * covers the slack too, so a write there is caught as a write past the end.
     *
     * @param what      a name for messages, e.g. {@code input}
     * @param readSlack bytes after the buffer that kernels may read, 0 or more
     */
    public DeviceBuffer allocate(String what, long bytes, long readSlack, long flags) {
        if (readSlack < 0) {
            throw new IllegalArgumentException("buffer '" + what + "' read slack must be 0 or more, got " + readSlack);
        }
        if (bytes <= 0) {
            throw new IllegalArgumentException("buffer '" + what + "' size must be positive, got " + bytes);
        }
        if (bytes > maxAllocBytes - readSlack) {
            throw new DeviceException(DeviceException.Kind.OUT_OF_RESOURCES, "buffer '" + what + "' needs "
                    + (bytes + readSlack) + " bytes, above the maximum allocation of " + maxAllocBytes + " bytes ("
                    + (maxAllocBytes < info.maxAllocBytes() ? MAX_ALLOC_PROPERTY : "CL_DEVICE_MAX_MEM_ALLOC_SIZE") + ")");
        }
        // The canary is written and read by the host: buffers the host may not access get none.
        boolean hostAccess = (flags & (CL_MEM_HOST_NO_ACCESS | CL_MEM_HOST_READ_ONLY | CL_MEM_HOST_WRITE_ONLY)) == 0;
        int guard = hostAccess ? guardBytes : 0;
        cl_mem mem;
        try {
            injectFault(FaultSite.ALLOCATE, what);
            mem = clCreateBuffer(context, flags, bytes + readSlack + guard, null, null);
        } catch (CLException e) {
            throw OpenClErrors.translate("allocating buffer '" + what + "' of " + bytes + " bytes", e);
        }
        liveBytes.addAndGet(bytes + readSlack + guard);
        liveObjects.incrementAndGet();
        DeviceBuffer buffer = new DeviceBuffer(this, what, mem, bytes, readSlack, guard);
        if (guard > 0) {
            try {
                buffer.writeCanary();
            } catch (RuntimeException e) {
                buffer.close();
                throw e;
            }
        }
        return buffer;
    }

    /** The device's base address alignment in bytes; 0 (no regions) before OpenCL 1.1 or when the query fails. */
    private static long regionAlignment(OpenClDeviceInfo info) {
        if (info.version().startsWith("OpenCL 1.0")) {
            return 0; // clCreateSubBuffer came with 1.1
        }
        try {
            return Math.max(0, OpenClDiscovery.deviceInt(info.device(), CL_DEVICE_MEM_BASE_ADDR_ALIGN)) / 8L;
        } catch (CLException e) {
            return 0;
        }
    }

    /**
     * {@code CL_DEVICE_MEM_BASE_ADDR_ALIGN} in bytes: a {@linkplain #region region}'s offset must be
     * a multiple of it (128 on POCL's CPU device; 0, no regions, on an OpenCL 1.0 device or when
     * the query failed).
     */
    public long regionAlignment() {
        return regionAlignment;
    }

    /**
     * A sub-buffer ({@code clCreateSubBuffer}): bytes {@code [offset, offset + bytes)} of {@code parent},
     * which kernels read and write as a buffer of its own. It holds no memory of its own
     * ({@link #liveBytes()} does not grow); closing the parent closes it first. Disjoint regions
     * of one buffer may be written by different commands; the parent and its regions must not be
     * written by one command (OpenCL leaves overlapping access undefined).
     *
     * @param parent the buffer, not itself a region
     * @param what   a name for messages
     * @param offset the first byte, a multiple of {@link #regionAlignment()}
     * @param bytes  the region's size, positive, within the parent's {@link DeviceBuffer#bytes()}
     * @throws IllegalArgumentException when the offset is not aligned or the region leaves the parent
     */
    public DeviceBuffer region(DeviceBuffer parent, String what, long offset, long bytes) {
        if (regionAlignment <= 0 || offset < 0 || offset % regionAlignment != 0 || bytes <= 0
                || offset + bytes > parent.bytes()) {
            throw new IllegalArgumentException("region '" + what + "' at byte " + offset + " of " + bytes
                    + " bytes must lie within its buffer of " + parent.bytes() + " bytes and start at a multiple of "
                    + "the device's base address alignment, " + regionAlignment + " bytes");
        }
        cl_mem mem;
        try {
            injectFault(FaultSite.ALLOCATE, what);
            mem = clCreateSubBuffer(parent.mem(), CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION,
                    new cl_buffer_region(offset, bytes), null);
        } catch (CLException e) {
            throw OpenClErrors.translate("making region '" + what + "' of " + bytes + " bytes at byte " + offset, e);
        }
        liveObjects.incrementAndGet();
        DeviceBuffer region = DeviceBuffer.region(this, what, mem, bytes);
        parent.adopt(region);
        return region;
    }

    /** Called by a buffer when it is released. */
    void released(long bytes) {
        liveBytes.addAndGet(-bytes);
        liveObjects.decrementAndGet();
    }

    /**
     * Test-only: installs (or, with null, removes) a fault injector consulted before kernel builds,
     * allocations, transfers, launches and waits ({@link #finish()}) in this context.
     */
    void injectFaults(FaultInjector injector) {
        this.faults = injector;
    }

    /** Throws the {@link CLException} the installed {@link FaultInjector} asks for, if any. */
    void injectFault(FaultSite site, String what) {
        FaultInjector f = faults;
        if (f == null) {
            return;
        }
        int status = f.statusFor(site, what);
        if (status != CL_SUCCESS) {
            throw new CLException("injected fault at " + site.name().toLowerCase(Locale.ROOT) + " of " + what + ": "
                    + stringFor_errorCode(status), status);
        }
    }

    /** Test seam: {@link #LOST_FILE_LOG} when the installed injector fails this build attempt of {@code file}, else null. */
    String injectedLostFileLog(String file) {
        FaultInjector f = faults;
        return f != null && f.statusFor(FaultSite.BUILD_LOST_FILE, file) != CL_SUCCESS ? LOST_FILE_LOG : null;
    }

    /** Called for every kernel enqueued. */
    void countLaunch() {
        kernelLaunches.incrementAndGet();
    }

    /** Called for every host-device transfer or fill enqueued. */
    void countTransfer() {
        transfers.incrementAndGet();
    }

    /** Called when a buffer's guard region was found overwritten. */
    void countGuardViolation() {
        guardViolations.incrementAndGet();
    }

    /** Kernels enqueued in this context so far: lets tests show that bad input launches nothing. */
    public long kernelLaunches() {
        return kernelLaunches.get();
    }

    /** Writes and reads of device buffers (host data moved to or from the device) enqueued so far. */
    public long transfers() {
        return transfers.get();
    }

    /** Buffers whose guard region was found overwritten (guard mode only); 0 in a correct library. */
    public long guardViolations() {
        return guardViolations.get();
    }

    /**
     * Called when a kernel or an event is created (+1) or released (-1): kernels and their launch
     * events by {@link OpenClKernel}, the events of other commands (copies, fills) by
     * {@link LaunchEvents}.
     */
    void countObject(int delta) {
        liveObjects.addAndGet(delta);
    }

    /** Device memory held in buffers now. */
    public long liveBytes() {
        return liveBytes.get();
    }

    /**
     * Buffers, kernels and events (of kernel launches, copies and fills) alive now. Programs are not counted: they are cached on
     * purpose for the context's lifetime ({@link ProgramCache#size()}); nor are the context and queue.
     */
    public int liveObjects() {
        return liveObjects.get();
    }

    /**
     * The driver's own count of references to this context's objects, for leak checks:
     * {@code context} and {@code queue} ({@code CL_CONTEXT_REFERENCE_COUNT},
     * {@code CL_QUEUE_REFERENCE_COUNT}) and {@code program FILE [OPTIONS]} for each cached program
     * ({@code CL_PROGRAM_REFERENCE_COUNT}). On POCL every live buffer and program holds a
     * reference to the context, every live event (and a buffer's last command) one to the queue,
     * and every live kernel one to its program, so these counts see an object the library forgot
     * to release even when its own accounting ({@link #liveObjects()}) says it did. The OpenCL
     * specification offers the counts for finding leaks; like any count they are stale once read
     * while other threads use the context.
     *
     * @throws IllegalStateException when the context is closed
     */
    public Map<String, Integer> driverReferenceCounts() {
        if (closed.get()) {
            throw new IllegalStateException("the OpenCL context is closed");
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        int[] count = new int[1];
        clGetContextInfo(context, CL_CONTEXT_REFERENCE_COUNT, Sizeof.cl_uint, Pointer.to(count), null);
        counts.put("context", count[0]);
        clGetCommandQueueInfo(queue, CL_QUEUE_REFERENCE_COUNT, Sizeof.cl_uint, Pointer.to(count), null);
        counts.put("queue", count[0]);
        programs.referenceCounts().forEach((program, n) -> counts.put("program " + program, n));
        return counts;
    }

    /** Waits for the queue to drain; errors become {@link DeviceException}s. */
    public void finish() {
        try {
            injectFault(FaultSite.FINISH, "the queue");
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
