package dev.convcl.opencl;

import static org.jocl.CL.*;

import dev.convcl.HostTensor;
import dev.convcl.spi.Memory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_mem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A device buffer. Transfers are blocking, from and into {@link HostTensor}s (arrays or buffers).
 * {@link #close()} releases it once; later calls do nothing.
 *
 * <p>In the context's guard mode ({@link OpenClContext#GUARD_PROPERTY}) the buffer has extra bytes
 * after its {@link #bytes()}, filled with a canary at allocation; {@link #read} checks the canary
 * after every read-back and throws {@link IllegalStateException} when device code wrote past the
 * end, and {@link #close()} checks it once more (logging instead of throwing, as closing is quiet).
 */
public final class DeviceBuffer implements Memory {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceBuffer.class);

    private final OpenClContext owner;
    private final String what;
    private final cl_mem mem;
    private final long bytes;
    private final long readSlack;
    /** The canary's bytes, right after {@link #bytes} (the read slack included); 0 without guard mode. */
    private final int guardBytes;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Whether this is a region of another buffer (a sub-buffer): its bytes are the parent's, not counted again. */
    private final boolean region;
    /** This buffer's regions, closed before it (a live sub-buffer holds its parent). */
    private final List<DeviceBuffer> regions = new CopyOnWriteArrayList<>();
    private volatile boolean guardReported;

    /**
     * @param readSlack  bytes after {@code bytes} that kernels may read but not write
     * @param guardBytes the guard mode's canary after the slack, 0 without guard mode; the canary
     *                   then also fills the slack, so a write into it is caught
     */
    DeviceBuffer(OpenClContext owner, String what, cl_mem mem, long bytes, long readSlack, int guardBytes) {
        this(owner, what, mem, bytes, readSlack, guardBytes, false);
    }

    /**
     * A region of another buffer ({@link OpenClContext#region}): no slack, no canary (guard mode
     * does not see a write past a region's end into the rest of its parent), no bytes of its own.
     */
    static DeviceBuffer region(OpenClContext owner, String what, cl_mem mem, long bytes) {
        return new DeviceBuffer(owner, what, mem, bytes, 0, 0, true);
    }

    private DeviceBuffer(OpenClContext owner, String what, cl_mem mem, long bytes, long readSlack, int guardBytes,
                         boolean region) {
        this.region = region;
        this.owner = owner;
        this.what = what;
        this.mem = mem;
        this.bytes = bytes;
        this.readSlack = readSlack;
        this.guardBytes = guardBytes == 0 ? 0 : Math.toIntExact(guardBytes + readSlack);
    }

    public cl_mem mem() {
        return mem;
    }

    /** The usable size; kernels must not write past it (nor read past {@link #readableBytes()}). */
    @Override
    public long bytes() {
        return bytes;
    }

    /**
     * The bytes from the start that kernels may read: {@link #bytes()} and the read slack after it
     * (see {@link dev.convcl.spi.Primitive#sourceReadBytes}), whose contents are undefined.
     */
    public long readableBytes() {
        return bytes + readSlack;
    }

    /** Copies the whole tensor to the start of this buffer (blocking). */
    public void write(HostTensor t) {
        transfer(t, OpenClContext.FaultSite.WRITE);
    }

    /**
     * Copies the start of this buffer into the whole tensor (blocking).
     *
     * @throws IllegalStateException in guard mode, when the guard region after the data was overwritten
     */
    public void read(HostTensor t) {
        transfer(t, OpenClContext.FaultSite.READ);
        if (guardBytes > 0) {
            String damage = guardDamage();
            if (damage != null) {
                if (!guardReported) {
                    guardReported = true;
                    owner.countGuardViolation();
                }
                throw new IllegalStateException(damage);
            }
        }
    }

    /**
     * Copies the tensor {@code [N, K, H, W]} into channels {@code start + k * step} of the tensor
     * {@code [N, channels, H, W]} this buffer holds (blocking; the other channels are left as they
     * are): a rectangular write per image, its K planes {@code step} planes apart.
     *
     * @throws IllegalArgumentException when the tensor is not 4-d or the window leaves the buffer
     */
    public void writeChannels(HostTensor t, int channels, int start, int step) {
        transferChannels(t, channels, start, step, OpenClContext.FaultSite.WRITE);
    }

    /**
     * Copies channels {@code start + k * step} of the tensor {@code [N, channels, H, W]} this buffer
     * holds into the tensor {@code [N, K, H, W]} (blocking): a rectangular read per image.
     *
     * @throws IllegalArgumentException when the tensor is not 4-d or the window leaves the buffer
     */
    public void readChannels(HostTensor t, int channels, int start, int step) {
        transferChannels(t, channels, start, step, OpenClContext.FaultSite.READ);
    }

    private void transferChannels(HostTensor t, int channels, int start, int step, OpenClContext.FaultSite site) {
        boolean writing = site == OpenClContext.FaultSite.WRITE;
        int[] s = t.shape();
        if (s.length != 4) {
            throw new IllegalArgumentException("a channel window needs a 4-d tensor, got " + java.util.Arrays.toString(s));
        }
        dev.convcl.spi.Primitive.checkChannelWindow(s[1], channels, start, step);
        long plane = (long) s[2] * s[3] * t.dataType().bytes();
        if ((long) s[0] * channels * plane > bytes) {
            throw new IllegalArgumentException("a tensor of " + s[0] + " x " + channels + " planes of " + plane
                    + " bytes does not fit in buffer '" + what + "' of " + bytes);
        }
        try {
            owner.injectFault(site, what);
            owner.countTransfer();
            HostView view = HostView.of(t, writing);
            Pointer p = view.pointer();
            for (int n = 0; n < s[0]; n++) {
                long[] bufferOrigin = {(n * (long) channels + start) * plane, 0, 0};
                long[] hostOrigin = {(long) n * s[1] * plane, 0, 0};
                long[] region = {plane, s[1], 1};
                if (writing) {
                    clEnqueueWriteBufferRect(owner.queue(), mem, CL_TRUE, bufferOrigin, hostOrigin, region,
                            step * plane, 0, plane, 0, p, 0, null, null);
                } else {
                    clEnqueueReadBufferRect(owner.queue(), mem, CL_TRUE, bufferOrigin, hostOrigin, region,
                            step * plane, 0, plane, 0, p, 0, null, null);
                }
            }
            if (!writing) {
                view.finish(t);
            }
        } catch (CLException e) {
            throw OpenClErrors.translate((writing ? "writing" : "reading") + " a channel window of buffer '" + what + "'", e);
        }
    }

    /** A blocking copy between the whole tensor and the start of this buffer: to it at {@code WRITE}, from it at {@code READ}. */
    private void transfer(HostTensor t, OpenClContext.FaultSite site) {
        boolean writing = site == OpenClContext.FaultSite.WRITE;
        long n = (long) t.size() * t.dataType().bytes();
        if (n > bytes) {
            throw new IllegalArgumentException("tensor of " + n + " bytes " + (writing ? "does not fit" : "is larger than")
                    + " buffer '" + what + "' of " + bytes);
        }
        try {
            owner.injectFault(site, what);
            owner.countTransfer();
            HostView view = HostView.of(t, writing);
            if (writing) {
                clEnqueueWriteBuffer(owner.queue(), mem, CL_TRUE, 0, n, view.pointer(), 0, null, null);
            } else {
                clEnqueueReadBuffer(owner.queue(), mem, CL_TRUE, 0, n, view.pointer(), 0, null, null);
                view.finish(t);
            }
        } catch (CLException e) {
            throw OpenClErrors.translate((writing ? "writing" : "reading") + " buffer '" + what + "'", e);
        }
    }

    /** Fills the buffer with a float pattern (non-blocking; ordered by the in-order queue). */
    public void fill(float value) {
        try {
            owner.injectFault(OpenClContext.FaultSite.WRITE, what);
            // Not a transfer: no host data moves (plans zero their padding this way when created).
            // No event: nobody waits for it or reads its time (the in-order queue orders it).
            clEnqueueFillBuffer(owner.queue(), mem, Pointer.to(new float[] {value}), Float.BYTES, 0, bytes, 0, null, null);
        } catch (CLException e) {
            throw OpenClErrors.translate("filling buffer '" + what + "'", e);
        }
    }

    /** Fills the guard region with the canary (guard mode only). */
    void writeCanary() {
        try {
            clEnqueueWriteBuffer(owner.queue(), mem, CL_TRUE, bytes, guardBytes, Pointer.to(canary(guardBytes)),
                    0, null, null);
        } catch (CLException e) {
            throw OpenClErrors.translate("writing the guard region of buffer '" + what + "'", e);
        }
    }

    /** Null when the canary is intact, else a message naming the buffer and the first damaged byte. */
    private String guardDamage() {
        byte[] found = new byte[guardBytes];
        try {
            clEnqueueReadBuffer(owner.queue(), mem, CL_TRUE, bytes, guardBytes, Pointer.to(found), 0, null, null);
        } catch (CLException e) {
            throw OpenClErrors.translate("reading the guard region of buffer '" + what + "'", e);
        }
        byte[] expected = canary(guardBytes);
        for (int i = 0; i < guardBytes; i++) {
            if (found[i] != expected[i]) {
                int changed = 0;
                for (int j = i; j < guardBytes; j++) {
                    changed += found[j] != expected[j] ? 1 : 0;
                }
                return "guard region of device buffer '" + what + "' (" + bytes + " bytes) overwritten: " + changed
                        + " of its " + guardBytes + " guard bytes changed, the first at byte " + (bytes + i)
                        + ": device code wrote past the end of the buffer";
            }
        }
        return null;
    }

    /** The canary: a byte pattern that no plausible float output (zeros, NaN, small values) repeats. */
    static byte[] canary(int n) {
        byte[] c = new byte[n];
        for (int i = 0; i < n; i++) {
            c[i] = (byte) (0xA5 ^ (i * 29));
        }
        return c;
    }

    /**
     * Host memory the driver can read or write for {@code t}, element 0 first, in the device's
     * (native) byte order: the tensor's array; a direct buffer of native order itself; a heap
     * buffer's array from the buffer's offset in it (JOCL's {@code Pointer.to(Buffer)} starts a heap
     * buffer at its array's element 0, whatever the buffer's offset: a buffer wrapped from position
     * 4 of an array was read and written from element 0); otherwise (a buffer of the other byte
     * order, a read-only heap one, a view of a byte array) a copy, whose values {@link #finish}
     * puts into the tensor after a read. A read-only tensor is never read into: callers refuse it
     * as an output first, and this refuses it again.
     */
    record HostView(Pointer pointer, float[] copy) {
        static HostView of(HostTensor t, boolean toDevice) {
            if (!toDevice && t.isReadOnly()) {
                throw new IllegalArgumentException("cannot read into " + t + ": it must be writable");
            }
            if (t.hasArray()) {
                return new HostView(Pointer.to(t.array()), null);
            }
            java.nio.FloatBuffer b = t.buffer();
            if (b.isDirect() && b.order() == java.nio.ByteOrder.nativeOrder()) {
                return new HostView(Pointer.to(b), null);
            }
            if (b.hasArray()) {
                return new HostView(Pointer.to(b.array()).withByteOffset((long) b.arrayOffset() * Float.BYTES), null);
            }
            float[] copy = toDevice ? t.toArray() : new float[t.size()];
            return new HostView(Pointer.to(copy), copy);
        }

        /** After a read from the device: the copy's values into {@code t} (nothing to do without a copy). */
        void finish(HostTensor t) {
            if (copy != null) {
                t.copyFrom(copy);
            }
        }
    }

    /** Keeps {@code r}, a region of this buffer, to close it before this buffer. */
    void adopt(DeviceBuffer r) {
        regions.add(r);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (DeviceBuffer r : regions) {
            r.close();
        }
        regions.clear();
        if (guardBytes > 0 && !guardReported && !owner.isClosed()) {
            try {
                String damage = guardDamage();
                if (damage != null) {
                    owner.countGuardViolation();
                    LOG.error("{} (found when the buffer was released)", damage);
                }
            } catch (RuntimeException e) {
                // closing is quiet: a device that fails here has already reported its fault
            }
        }
        try {
            clReleaseMemObject(mem);
        } catch (CLException ignored) {
            // closing is quiet
        }
        owner.released(region ? 0 : bytes + (guardBytes > 0 ? guardBytes : readSlack));
    }
}
