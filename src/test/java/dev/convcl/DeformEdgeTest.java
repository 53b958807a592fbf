package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.reference.ReferenceConv;
import dev.convcl.testing.DeformEdgeCases;
import dev.convcl.testing.EachTarget;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Target;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Deformable sampling at its edges ({@link DeformEdgeCases}) on the reference and on every
 * deform2d implementation of every backend: NaN offsets and masks propagate, infinite offsets
 * are zero samples, and fractions are exact on wide, tall and 2^24-pixel maps (against float64
 * on the wide ones). The CPU kernel sets are checked the same way in
 * {@code cpu.CpuAlgorithmsTest}, the OpenCL tiles in {@code opencl.DeformGemmOpenClTest}.
 */
class DeformEdgeTest {
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    @Test
    void referenceMeetsHandComputedCases() {
        DeformEdgeCases.checkHandComputed("reference", true, ReferenceConv::run);
    }

    @Test
    void referenceAgreesWithFloat64OnWideMaps() {
        DeformEdgeCases.checkWideMaps("reference", ReferenceConv::run);
    }

    @EachTarget
    void everyImplementationMeetsHandComputedCases(Target target) {
        List<String> failures = new ArrayList<>();
        for (DeformEdgeCases.Case c : DeformEdgeCases.handComputed(true)) {
            ENGINES.checkEachImplementation(target, c.spec(), plan -> {
                String bad = c.failure(plan::execute);
                if (bad != null) {
                    failures.add(plan.implementation() + ": " + bad);
                }
            });
        }
        assertEquals(List.of(), failures, target + ": deformable edge cases");
    }

    @EachTarget
    void everyImplementationAgreesWithFloat64OnWideMaps(Target target) {
        for (DeformConv2d spec : DeformEdgeCases.wideMaps()) {
            ENGINES.checkEachImplementation(target, spec, plan -> DeformEdgeCases.checkWideMaps(
                    target + " " + plan.implementation(), List.of(spec), (s, args) -> plan.execute(args)));
        }
    }
}
