package dev.convcl.cpu;

/**
 * One axis of a deformable sample point, base + d, with base the integer position of the kernel
 * tap (o*stride - pad + i*dilation) and d the float offset. The point is split into an integer
 * cell, base + floor(d), and the fraction d - floor(d), which depends on d alone: no bits of the
 * offset are lost however large base is (a float sum base + d keeps only 24 bits in all), and
 * the test for being inside the image is exact integer arithmetic. A NaN d is the caller's to
 * handle (the sample is NaN); an infinite d gives a cell far outside and a NaN fraction.
 */
final class SampleAxis {
    /** floor(d) is clamped to +-2^40 cells: past that a point is outside any image, and no sum overflows. */
    private static final double FAR = 0x1p40;

    private SampleAxis() {
    }

    /** base + floor(d), exact while |d| &lt; 2^40. */
    static long cell(long base, float d) {
        return base + (long) Math.max(-FAR, Math.min(FAR, Math.floor(d)));
    }

    /** d - floor(d), in [0, 1] (1 only by rounding, for a negative d of magnitude below 2^-53). */
    static double fraction(float d) {
        return (double) d - Math.floor(d);
    }

    /** Whether -1 &lt; cell + fraction &lt; size: the sample has a neighbour inside the image. */
    static boolean inside(long cell, double fraction, int size) {
        return cell >= -1 && cell < size && (cell >= 0 || fraction > 0);
    }
}
