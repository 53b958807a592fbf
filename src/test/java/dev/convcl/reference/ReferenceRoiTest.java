package dev.convcl.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.RoiAlign;
import org.junit.jupiter.api.Test;

/**
 * The oracle sizes roi_align's adaptive grid as torchvision does, in the tensor's scalar type
 * (float): {@code roi_start/roi_end/roi_height/bin_size} are {@code T} in
 * {@code torchvision/csrc/ops/cpu/roi_align_kernel.cpp}, and the grid is {@code ceil} of a
 * {@code T}. Where float and double round apart, a grid sized in double takes other samples.
 */
class ReferenceRoiTest {
    private static final float SCALE = 0.1f;
    private static final int BINS = 2;

    /**
     * torchvision's output on {@link #roiWhereFloatAndDoubleGridsDiffer()}'s RoI over
     * {@link #map()}: {@code torchvision.ops.roi_align(x, rois, output_size=(2, 2), spatial_scale=0.1,
     * sampling_ratio=-1, aligned=False)} with float32 tensors (torchvision 0.14.1, /usr/bin/python3),
     * the same as with {@code sampling_ratio=2}; with {@code sampling_ratio=3}, the grid in double,
     * it is (0.8888888, 2.469136, 2.469136, 0.8888888).
     */
    private static final double[] TORCHVISION = {1.0, 2.375, 2.375, 1.0};

    @Test
    void theAdaptiveGridIsSizedInFloatAsTorchvisionSizesIt() {
        float[] roi = roiWhereFloatAndDoubleGridsDiffer();
        // the RoI the values above were computed on: a search that finds another needs them again
        assertArrayEquals(new float[] {0, 0, 0, 40, 40}, roi);
        assertEquals(2, floatGrid(roi[3]));
        assertEquals(3, doubleGrid(roi[3]));
        RoiAlign op = RoiAlign.roiAlign(1, 1, 6, 6, 1, BINS, BINS, SCALE, -1, false);
        double[] rois = {roi[0], roi[1], roi[2], roi[3], roi[4]};
        double[] y = ReferenceRoi.run(op, map(), rois, null, null);
        assertArrayEquals(TORCHVISION, y, 1e-6, "the oracle's adaptive grid is torchvision's, 2x2 a bin");
        // and it is the fixed 2x2 grid's output, not the 3x3 one the double grid would take
        RoiAlign two = RoiAlign.roiAlign(1, 1, 6, 6, 1, BINS, BINS, SCALE, 2, false);
        RoiAlign three = RoiAlign.roiAlign(1, 1, 6, 6, 1, BINS, BINS, SCALE, 3, false);
        assertArrayEquals(ReferenceRoi.run(two, map(), rois, null, null), y, 0);
        double[] wrong = ReferenceRoi.run(three, map(), rois, null, null);
        assertTrue(Math.abs(wrong[0] - TORCHVISION[0]) > 0.1, "the case must tell the grids apart");
    }

    /**
     * The first RoI {@code (0, 0, 0, x, x)}, x a whole number, whose adaptive grid over 2x2 bins at
     * scale 0.1f takes at least 2 samples a bin along each axis in float and another number in
     * double: {@code x * 0.1f} rounds to a whole number in float ({@code 4.0f} for 40) but lies just
     * past it in double ({@code 4.0000000596}).
     */
    static float[] roiWhereFloatAndDoubleGridsDiffer() {
        for (int x = 1; x < 10_000; x++) {
            int f = floatGrid(x);
            if (f >= 2 && f != doubleGrid(x)) {
                return new float[] {0, 0, 0, x, x};
            }
        }
        throw new AssertionError("no RoI below 10000 whose grid differs");
    }

    /** torchvision's grid for RoI size x (from 0) along one axis, in float. */
    private static int floatGrid(float x) {
        float size = Math.max(x * SCALE, 1f); // end - start, start 0 * scale = 0
        return (int) Math.ceil(size / BINS);
    }

    /** The same in double, as the oracle sized it before. */
    private static int doubleGrid(float x) {
        double size = Math.max((double) x * SCALE, 1.0);
        return (int) Math.ceil(size / BINS);
    }

    /** A 6x6 map whose values are no linear function of the position, so that grids tell apart: (i^2) mod 7. */
    private static double[] map() {
        double[] x = new double[36];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i * i) % 7;
        }
        return x;
    }
}
