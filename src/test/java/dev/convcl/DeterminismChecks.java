package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.testing.ProblemFiles;
import dev.convcl.testing.Tensors;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same call twice on the same device gives bitwise identical output: twice on one plan, on a
 * second plan of the same spec, and as a one-shot call, for every problem of kernel-coverage.txt
 * (random float data, so a change in summation order would show).
 */
abstract class DeterminismChecks {
    abstract Engine engine();

    abstract String expectedBackend();

    static List<ProblemFiles.Named> problems() {
        return ProblemFiles.kernelCoverage();
    }

    private static String firstDifference(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                return "element " + i + ": " + a[i] + " then " + b[i];
            }
        }
        return null;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("problems")
    void sameCallGivesSameBits(ProblemFiles.Named p) {
        Convolution spec = p.spec();
        Args first = Tensors.args(spec, 77, false, 2.5);
        Args again = Tensors.withFreshOutput(first, spec);
        Args otherPlan = Tensors.withFreshOutput(first, spec);
        Args oneShot = Tensors.withFreshOutput(first, spec);
        try (Plan plan = engine().plan(spec); Plan second = engine().plan(spec)) {
            plan.execute(first);
            plan.execute(again);
            second.execute(otherPlan);
            assertEquals(expectedBackend(), plan.backend(), spec.toString());
            assertEquals(expectedBackend(), second.backend(), spec.toString());
        }
        engine().execute(spec, oneShot);
        float[] ref = Tensors.out(first);
        assertEquals(null, firstDifference(ref, Tensors.out(again)), "same plan, second call: " + spec);
        assertEquals(null, firstDifference(ref, Tensors.out(otherPlan)), "second plan: " + spec);
        assertEquals(null, firstDifference(ref, Tensors.out(oneShot)), "one-shot call: " + spec);
        for (int i = 0; i < ref.length; i++) { // outputs start as NaN: all must have been written
            assertEquals(false, Float.isNaN(ref[i]), "element " + i + " was not written: " + spec);
        }
    }
}
