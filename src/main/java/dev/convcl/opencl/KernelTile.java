package dev.convcl.opencl;

import dev.convcl.Convolution;
import java.util.Set;

/**
 * A tile shape of a tuned convolution kernel ({@link DepthwisePlan.Tile},
 * {@link DeformGemmPlan.Tile}): its build options and what it needs of the device.
 */
interface KernelTile {
    /** The vector widths a tile may have (OpenCL C's vector sizes, and 1). */
    Set<Integer> VECTOR_WIDTHS = Set.of(1, 2, 4, 8, 16);

    /** Work-items per work-group. */
    int workGroupSize();

    /** Bytes of local memory the kernel declares for this tile and {@code s}. */
    long localBytes(Convolution s);

    /** Adds the tile's -D options to {@code o}. */
    KernelOptions addTo(KernelOptions o);

    /**
     * This tile as it applies to {@code s}, a problem it was not necessarily measured on (a problem
     * class's tile from the {@link TuningTable}, timed on the class's basis problems): the tile
     * itself unless its kernel has a rule for narrower or shorter outputs. Idempotent: a tile fitted
     * to {@code s} is its own fit.
     */
    default KernelTile fittedTo(Convolution s) {
        return this;
    }

    /** Whether the device can run this tile for {@code s} (work-group size, local memory). */
    default boolean fits(Convolution s, OpenClDeviceInfo d) {
        return workGroupSize() <= d.maxWorkGroup() && localBytes(s) <= d.localMemBytes();
    }

    /**
     * Checks a vector width.
     *
     * @throws IllegalArgumentException naming {@code vw} when it is not one of {@link #VECTOR_WIDTHS}
     */
    static void checkWidth(int vw) {
        if (!VECTOR_WIDTHS.contains(vw)) {
            throw new IllegalArgumentException("vw=" + vw + " must be one of 1, 2, 4, 8, 16");
        }
    }
}
