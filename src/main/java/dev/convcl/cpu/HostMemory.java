package dev.convcl.cpu;

import dev.convcl.spi.Memory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CPU path's memory: a Java array, either allocated by the backend or a view of a host
 * tensor's array (no copy).
 */
final class HostMemory implements Memory {
    private final float[] array;
    /** The backend's count of allocated bytes, or null for a view of a host tensor. */
    private final AtomicLong live;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** A view of a host tensor's array: not counted as allocated. */
    HostMemory(float[] array) {
        this(array, null);
    }

    /** An array allocated by the backend, counted in {@code live} until closed. */
    HostMemory(float[] array, AtomicLong live) {
        this.array = array;
        this.live = live;
        if (live != null) {
            live.addAndGet(bytes());
        }
    }

    float[] array() {
        return array;
    }

    /** The array of CPU memory {@code m}. */
    static float[] of(Memory m) {
        if (m instanceof HostMemory h) {
            return h.array;
        }
        throw new IllegalArgumentException("not CPU memory: " + m);
    }

    @Override
    public long bytes() {
        return (long) array.length * Float.BYTES;
    }

    @Override
    public void close() {
        // the garbage collector frees the array; the count of allocated bytes goes down once
        if (live != null && closed.compareAndSet(false, true)) {
            live.addAndGet(-bytes());
        }
    }
}
