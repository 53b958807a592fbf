package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.convcl.reference.ReferenceConv;
import dev.convcl.testing.DeformEdgeCases;
import dev.convcl.testing.EachTarget;
import dev.convcl.testing.EachTargetCase;
import dev.convcl.testing.Engines;
import dev.convcl.testing.NonFinite;
import dev.convcl.testing.Target;
import dev.convcl.testing.Tensors;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * NaN and infinity propagate as IEEE arithmetic says, with the padding semantics documented in
 * {@link NonFinite}: the reference and every implementation of every backend meet the
 * hand-computed cases, and every implementation puts NaN and infinities (with their signs)
 * exactly where the reference does on every case. Plans are made per implementation, without
 * fallback, so a silent move to the CPU path cannot make an OpenCL case pass.
 */
class NonFiniteTest {
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    static List<NonFinite.Case> cases() {
        return NonFinite.cases();
    }

    @Test
    void referenceMeetsHandComputedSemantics() {
        NonFinite.checkHandComputed("reference", ReferenceConv::run);
    }

    @EachTarget
    void everyImplementationMeetsHandComputedSemantics(Target target) {
        for (NonFinite.HandCase c : NonFinite.handComputed()) {
            ENGINES.checkEachImplementation(target, c.spec(), plan -> assertEquals(null, c.failure(plan::execute)));
        }
    }

    @EachTarget
    void everyImplementationMeetsDeformHandComputedSemantics(Target target) {
        for (DeformEdgeCases.Case c : DeformEdgeCases.handComputed(false)) {
            ENGINES.checkEachImplementation(target, c.spec(), plan -> assertEquals(null, c.failure(plan::execute)));
        }
    }

    @EachTargetCase("cases")
    void everyImplementationAgreesWithReference(Target target, NonFinite.Case c) {
        Args ref = Tensors.withFreshOutput(c.args(), c.spec());
        ReferenceConv.run(c.spec(), ref);
        ENGINES.checkEachImplementation(target, c.spec(), plan -> {
            Args out = Tensors.withFreshOutput(c.args(), c.spec());
            plan.execute(out);
            assertEquals(null, NonFinite.disagreement(Tensors.out(ref), Tensors.out(out)),
                    c + ": reference has " + NonFinite.census(Tensors.out(ref)) + ", " + plan.implementation()
                            + " has " + NonFinite.census(Tensors.out(out)));
        });
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
