package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.testing.Engines;
import dev.convcl.testing.Implementations;
import dev.convcl.testing.ProblemFiles;
import dev.convcl.testing.Target;
import dev.convcl.testing.Tensors;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same call twice on the same device gives bitwise identical output: twice on one plan, on a
 * second plan of the same spec, and as a one-shot call, for every problem of kernel-coverage.txt
 * (random float data, so a change in summation order would show), on every backend and whatever
 * implementation selection picks there.
 */
class DeterminismTest {
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    static Stream<Arguments> problems() {
        return Target.eachOf(() -> ProblemFiles.kernelCoverage().stream());
    }

    private static String firstDifference(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                return "element " + i + ": " + a[i] + " then " + b[i];
            }
        }
        return null;
    }

    /**
     * Every implementation that accepts the problem: its plan twice, and a second plan of it; then
     * the one-shot call, which runs what selection picks (the first of the list).
     */
    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("problems")
    void sameCallGivesSameBits(Target target, ProblemFiles.Named p) {
        Engine engine = ENGINES.get(target);
        Convolution spec = p.spec();
        Args first = Tensors.args(spec, 77, false, 2.5);
        Map<String, float[]> byImplementation = new HashMap<>();
        Implementations.check(engine, target, spec, plan -> {
            Args once = Tensors.withFreshOutput(first, spec);
            Args again = Tensors.withFreshOutput(first, spec);
            Args otherPlan = Tensors.withFreshOutput(first, spec);
            plan.execute(once);
            plan.execute(again);
            try (Plan second = engine.plan(spec, plan.implementation(), null)) {
                second.execute(otherPlan);
            }
            float[] ref = Tensors.out(once);
            assertEquals(null, firstDifference(ref, Tensors.out(again)), "same plan, second call: " + spec);
            assertEquals(null, firstDifference(ref, Tensors.out(otherPlan)), "second plan: " + spec);
            for (int i = 0; i < ref.length; i++) { // outputs start as NaN: all must have been written
                assertEquals(false, Float.isNaN(ref[i]), "element " + i + " was not written: " + spec);
            }
            byImplementation.put(plan.implementation(), ref);
        });
        Args oneShot = Tensors.withFreshOutput(first, spec);
        engine.execute(spec, oneShot);
        String selected = engine.implementations(spec).get(0);
        assertEquals(null, firstDifference(byImplementation.get(selected), Tensors.out(oneShot)),
                "one-shot call against a plan of " + selected + ": " + spec);
    }
}
