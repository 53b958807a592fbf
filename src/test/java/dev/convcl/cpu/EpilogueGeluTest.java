package dev.convcl.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Activation;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The CPU path's GELU ({@link Epilogue#gelu}, fitted polynomials) against the reference definition
 * ({@link Activation#apply}, erf by its series): after rounding to float, within one float ulp of the
 * reference's float on every value tried (the definition in double, its negative tail by a
 * continued fraction), including both sides of the polynomial split, the far
 * tails where GELU underflows, and the non-finite values.
 */
class EpilogueGeluTest {
    private static final Activation GELU = Activation.gelu();

    /**
     * The reference: the definition, except below x = -5, where {@code 1 + erf} in double loses
     * GELU's small values to cancellation (the definition gives -0 from x = -8.5 on); there
     * {@code 0.5 * x * erfc(|x| / sqrt 2)} with erfc by its continued fraction
     * {@code exp(-z^2) / sqrt(pi) / (z + (1/2) / (z + 1 / (z + (3/2) / (z + ...))))}, evaluated from 200 terms back.
     */
    private static double reference(double x) {
        if (!(x < -5) || Double.isInfinite(x)) {
            return GELU.apply(x);
        }
        double z = -x / Math.sqrt(2);
        double f = z;
        for (int n = 200; n >= 1; n--) {
            f = z + (n / 2.0) / f;
        }
        return 0.5 * x * Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
    }

    private static void check(double x) {
        check(x, (float) Epilogue.gelu(x), 1, "Epilogue.gelu");
    }

    /** {@code got} within {@code ulps} float ulp of the reference's float, with a floor at the smallest normal float. */
    private static void check(double x, float got, int ulps, String what) {
        float expected = (float) reference(x);
        if (Float.isNaN(expected) || Float.isInfinite(expected)) {
            assertEquals(expected, got, what + ": gelu(" + x + ")");
            return;
        }
        float tolerance = ulps * Math.max(Math.ulp(expected), Float.MIN_NORMAL);
        assertTrue(Math.abs(got - expected) <= tolerance,
                () -> what + ": gelu(" + x + ") = " + got + ", reference " + expected + ", off by "
                        + Math.abs(got - expected) / Math.ulp(expected) + " ulp, more than " + ulps);
    }

    /**
     * Both kernels' {@code gelu} on arrays: the scalar one within 1 ulp, the vector one (float
     * arithmetic, the Vector API's EXP) within 8, on an odd length and an offset so that the vector
     * loop's tail and start are exercised; the values around them stay untouched. The vector kernels
     * where this JVM has them (the incubator module and SIMD of 256 bits or more), as {@link CpuBackends}.
     */
    @Test
    void kernelsOnArrays() {
        Kernels vector = Kernels.vectorOrNull();
        SplittableRandom rnd = new SplittableRandom(7);
        int n = 100_003, off = 5;
        float[] x = new float[n + 2 * off];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * (i % 3 == 0 ? 8 : 1.5));
        }
        float[] edges = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 1.1932427f, -1.1932427f,
            14.142136f, -14.142136f, 30f, -30f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE};
        System.arraycopy(edges, 0, x, off + 17, edges.length);
        for (Kernels k : vector == null ? new Kernels[] {Kernels.scalar()} : new Kernels[] {Kernels.scalar(), vector}) {
            float[] y = x.clone();
            k.gelu(y, off, n);
            int ulps = k == vector ? 8 : 1;
            for (int i = 0; i < x.length; i++) {
                if (i < off || i >= off + n) {
                    assertEquals(x[i], y[i], k.name() + ": index " + i + " is outside the range and must not change");
                } else {
                    check(x[i], y[i], ulps, k.name() + " kernels at index " + i);
                }
            }
        }
    }

    @Test
    void denseGridOverEveryPiece() {
        // -16 .. 16 in steps of 1/1024: |x| / sqrt(2) crosses 0.84375 (x = 1.193) and 10 (x = 14.14)
        for (int i = -16 * 1024; i <= 16 * 1024; i++) {
            check(i / 1024.0);
        }
    }

    @Test
    void randomFloatsFromAFixedSeed() {
        SplittableRandom rnd = new SplittableRandom(20261130);
        for (int i = 0; i < 200_000; i++) {
            check((float) (rnd.nextGaussian() * (i % 2 == 0 ? 1 : 6)));
        }
    }

    @Test
    void splitPointsAndSpecialValues() {
        double split = 0.84375 * Math.sqrt(2);
        double top = 10 * Math.sqrt(2);
        for (double edge : new double[] {split, -split, top, -top}) {
            float f = (float) edge;
            check(Math.nextDown(f));
            check(f);
            check(Math.nextUp(f));
        }
        for (double x : new double[] {0.0, -0.0, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-30, -1e-30, 1e30, -1e30,
            Float.MAX_VALUE, -Float.MAX_VALUE}) {
            check(x);
        }
        assertTrue(Double.isNaN(Epilogue.gelu(Double.NaN)), "gelu(NaN) is NaN");
        assertTrue(Double.isNaN(Epilogue.gelu(Double.NEGATIVE_INFINITY)), "gelu(-inf) is NaN, as 0.5 * x * (1 + erf(x / sqrt 2))");
        assertEquals(Double.POSITIVE_INFINITY, Epilogue.gelu(Double.POSITIVE_INFINITY), "gelu(+inf)");
    }
}
