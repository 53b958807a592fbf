package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.convcl.reference.ReferenceConv;
import dev.convcl.testing.DeformEdgeCases;
import dev.convcl.testing.NonFinite;
import dev.convcl.testing.Tensors;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * NaN and infinity propagate as IEEE arithmetic says, with the padding semantics documented in
 * {@link NonFinite}: the reference and the CPU path meet the hand-computed cases, and the CPU path
 * puts NaN and infinities (with their signs) exactly where the reference does on every case.
 */
class NonFiniteTest {
    private static Engine engine;

    @BeforeAll
    static void open() {
        engine = Engine.create(DeviceChoice.CPU);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    static List<NonFinite.Case> cases() {
        return NonFinite.cases();
    }

    @Test
    void referenceMeetsHandComputedSemantics() {
        NonFinite.checkHandComputed("reference", ReferenceConv::run);
    }

    @Test
    void cpuPathMeetsHandComputedSemantics() {
        NonFinite.checkHandComputed("cpu", (spec, args) -> {
            try (Plan plan = engine.plan(spec)) {
                plan.execute(args);
            }
        });
    }

    @Test
    void cpuPathMeetsDeformHandComputedSemantics() {
        DeformEdgeCases.checkHandComputed("cpu", false, (spec, args) -> {
            try (Plan plan = engine.plan(spec)) {
                plan.execute(args);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void cpuPathAgreesWithReference(NonFinite.Case c) {
        Args ref = Tensors.withFreshOutput(c.args(), c.spec());
        ReferenceConv.run(c.spec(), ref);
        Args out = Tensors.withFreshOutput(c.args(), c.spec());
        try (Plan plan = engine.plan(c.spec())) {
            plan.execute(out);
        }
        assertEquals(null, NonFinite.disagreement(Tensors.out(ref), Tensors.out(out)),
                c + ": reference has " + NonFinite.census(Tensors.out(ref)) + ", cpu has "
                        + NonFinite.census(Tensors.out(out)));
    }

    /** The cases are not vacuous: most of them put non-finite values into the reference's output. */
    @Test
    void casesProduceNonFiniteOutputs() {
        long withNonFinite = cases().stream().filter(c -> {
            Args ref = Tensors.withFreshOutput(c.args(), c.spec());
            ReferenceConv.run(c.spec(), ref);
            return !NonFinite.census(Tensors.out(ref)).equals("0 NaN, 0 +inf, 0 -inf");
        }).count();
        assertNotEquals(0, withNonFinite);
        assertEquals(true, withNonFinite * 10 >= cases().size() * 8L,
                withNonFinite + " of " + cases().size() + " cases give a non-finite output");
    }
}
