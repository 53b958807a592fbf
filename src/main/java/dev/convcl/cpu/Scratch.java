package dev.convcl.cpu;

import dev.convcl.Convolution;
import dev.convcl.DeviceException;

/**
 * Sizes of the scratch arrays the algorithms allocate: checked against what a Java array holds,
 * and kept within a fixed tile per worker thread, so that the memory a call needs beyond the
 * caller's tensors does not grow with the padding (a 1x1 input padded by 3000 has a 6001 x 6001
 * padded plane, as large as its output).
 *
 * <p>The bound, {@link #boundFloats}: each concurrent task holds at most {@link #TILE_FLOATS}; on
 * top of that, three algorithms keep one copy of the input for the whole call: the implicit GEMM's
 * padded input (chosen only when padding adds at most a tile to it, see
 * {@link ImplicitGemmConv#fits}), the deformable sampler's zero-bordered input (a border of
 * one pixel, whatever the padding) and a strided 1x1's compact copy of its sampled pixels
 * (smaller than the input).
 */
final class Scratch {
    /** The largest array length every JVM allocates. */
    static final long MAX_FLOATS = Integer.MAX_VALUE - 8;

    /**
     * Floats of scratch one task (one worker thread at a time) may hold: 4 MiB, far above what
     * ordinary layers need (a 512 x 512 depthwise plane is a quarter of it), small next to a heap.
     */
    static final long TILE_FLOATS = 1L << 20;

    private Scratch() {
    }

    /**
     * {@code floats} as an array length.
     *
     * @throws DeviceException (out of resources) when a Java array cannot hold that many
     */
    static int length(long floats, String what, Convolution spec) {
        if (floats > MAX_FLOATS) {
            throw new DeviceException(DeviceException.Kind.OUT_OF_RESOURCES, what + " would need " + floats
                    + " floats, more than a Java array holds (" + MAX_FLOATS + "): " + spec);
        }
        return (int) floats;
    }

    /**
     * The most scratch floats a CPU plan of {@code spec} may hold during one call on
     * {@code threads} worker threads: a tile per thread plus one more for the call itself, and
     * twice the input with a border of a pixel (the implicit GEMM's padded copy, made only when
     * padding adds at most a tile to the input, or the deformable sampler's zero-bordered copy).
     * Independent of the padding, stride and dilation. The packed GEMM's tiles stay within it up
     * to about 16K output channels per group and 2700 offset groups x kernel points.
     */
    static long boundFloats(Convolution spec, int threads) {
        long bordered = (long) spec.n() * spec.c() * (spec.h() + 3L) * (spec.w() + 2L);
        return 2 * bordered + (threads + 1L) * TILE_FLOATS;
    }
}
