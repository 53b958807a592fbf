package dev.convcl.cpu;

import dev.convcl.spi.Memory;

/**
 * The CPU path's memory: a Java array, either allocated by the backend or a view of a host
 * tensor's array (no copy).
 */
final class HostMemory implements Memory {
    private final float[] array;

    HostMemory(float[] array) {
        this.array = array;
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
        // the garbage collector frees it
    }
}
