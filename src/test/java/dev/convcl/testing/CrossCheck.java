package dev.convcl.testing;

import static org.junit.jupiter.api.Assertions.fail;

import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.reference.ReferenceConv;
import java.util.function.Consumer;

/**
 * Runs a path under test and {@link ReferenceConv} on the same arguments and compares the
 * outputs. The path's output starts poisoned with NaN, so an element it never writes fails; a NaN
 * in either output fails too (the inputs are finite, so neither should produce one). Every
 * failure message carries the spec's one-line form, the data seed and the first mismatching
 * index with its NCHW coordinates.
 */
public final class CrossCheck {
    /** Relative L2 bound for float inputs: torchvision's own deform_conv2d tolerance. */
    public static final double FLOAT_TOLERANCE = 1e-5;

    private CrossCheck() {
    }

    /**
     * Integer-valued inputs in [-8, 8] (integer offsets, a 0/1 mask): every sum is exact in
     * float32, so the path must equal the reference bit for bit, whatever its summation order.
     */
    public static void integersExact(Convolution spec, long seed, Consumer<Args> path) {
        Args args = Tensors.args(spec, seed, true, 2);
        float[] ref = reference(spec, args);
        path.accept(args);
        assertExact(spec, "integer inputs, seed " + seed, ref, Tensors.out(args));
    }

    /** Uniform float inputs in [-1, 1), offsets scaled by {@code offsetScale} pixels: relative L2 at most {@link #FLOAT_TOLERANCE}. */
    public static void floatsClose(Convolution spec, long seed, double offsetScale, Consumer<Args> path) {
        Args args = Tensors.args(spec, seed, false, offsetScale);
        float[] ref = reference(spec, args);
        path.accept(args);
        assertClose(spec, "float inputs, offsets x" + offsetScale + ", seed " + seed, ref, Tensors.out(args),
                FLOAT_TOLERANCE);
    }

    /** The reference's output for {@code args} (computed into a fresh tensor; {@code args} is untouched). */
    public static float[] reference(Convolution spec, Args args) {
        Args ref = Tensors.withFreshOutput(args, spec);
        ReferenceConv.run(spec, ref);
        return Tensors.out(ref);
    }

    /** Bit equality (+0 equal to -0); no NaN anywhere. */
    public static void assertExact(Convolution spec, String what, float[] expected, float[] actual) {
        assertSameLengthNoNaN(spec, what, expected, actual);
        int i = Tensors.firstMismatch(expected, actual);
        if (i >= 0) {
            int count = 0;
            for (int j = i; j < expected.length; j++) {
                count += Float.compare(expected[j], actual[j]) != 0 && !(expected[j] == 0f && actual[j] == 0f) ? 1 : 0;
            }
            fail(spec + " [" + what + "]: " + count + " of " + expected.length + " outputs differ; first at "
                    + where(spec, i) + ": expected " + expected[i] + ", got " + actual[i]);
        }
    }

    /**
     * NaN exactly where {@code expected} has NaN, bit equality (+0 equal to -0) elsewhere. For
     * outputs that may rightly be NaN: {@code actual} must come from an output that started at a
     * finite value, so an element never written cannot pass for a NaN result.
     */
    public static void assertExactWithNaN(Convolution spec, String what, float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            fail(spec + " [" + what + "]: output has " + actual.length + " elements, expected " + expected.length);
        }
        int i = Tensors.firstMismatch(expected, actual);
        if (i >= 0) {
            fail(spec + " [" + what + "]: first difference at " + where(spec, i) + ": expected " + expected[i] + ", got "
                    + actual[i]);
        }
    }

    /** Relative L2 error at most {@code tolerance}; no NaN anywhere. */
    public static void assertClose(Convolution spec, String what, float[] expected, float[] actual, double tolerance) {
        assertSameLengthNoNaN(spec, what, expected, actual);
        double err = Tensors.relativeL2(expected, actual);
        if (!(err <= tolerance)) {
            double maxAbs = 0;
            for (float v : expected) {
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
            // The first element off by more than the tolerance of the largest output, else the worst one.
            int first = -1, worst = 0;
            for (int j = 0; j < expected.length; j++) {
                double d = Math.abs((double) expected[j] - actual[j]);
                if (first < 0 && d > tolerance * maxAbs) {
                    first = j;
                }
                if (d > Math.abs((double) expected[worst] - actual[worst])) {
                    worst = j;
                }
            }
            int i = first >= 0 ? first : worst;
            fail(spec + " [" + what + "]: relative L2 error " + err + " > " + tolerance + "; first mismatch at "
                    + where(spec, i) + ": expected " + expected[i] + ", got " + actual[i]);
        }
    }

    private static void assertSameLengthNoNaN(Convolution spec, String what, float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            fail(spec + " [" + what + "]: output has " + actual.length + " elements, expected " + expected.length);
        }
        for (int j = 0; j < actual.length; j++) {
            if (Float.isNaN(actual[j]) || Float.isNaN(expected[j])) {
                fail(spec + " [" + what + "]: NaN at " + where(spec, j) + " (expected " + expected[j] + ", got "
                        + actual[j] + "); an output never written keeps its NaN poison");
            }
        }
    }

    /** {@code index 17 (n=0, k=1, y=2, x=3)}. */
    public static String where(Convolution spec, int index) {
        int ow = spec.outW(), oh = spec.outH();
        int x = index % ow, y = index / ow % oh, k = index / (ow * oh) % spec.k(), n = index / (ow * oh * spec.k());
        return "index " + index + " (n=" + n + ", k=" + k + ", y=" + y + ", x=" + x + ")";
    }
}
