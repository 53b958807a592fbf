package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.reference.ReferenceConv;
import dev.convcl.testing.DeformEdgeCases;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Implementations;
import dev.convcl.testing.Target;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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

    @ParameterizedTest(name = "[{0}]")
    @EnumSource(Target.class)
    void everyImplementationMeetsHandComputedCases(Target target) {
        Engine engine = ENGINES.get(target);
        List<String> failures = new ArrayList<>();
        for (DeformEdgeCases.Case c : DeformEdgeCases.handComputed(true)) {
            Implementations.check(engine, target, c.spec(), plan -> {
                String bad = c.failure(plan::execute);
                if (bad != null) {
                    failures.add(plan.implementation() + ": " + bad);
                }
            });
        }
        assertEquals(List.of(), failures, target + ": deformable edge cases");
    }

    @ParameterizedTest(name = "[{0}]")
    @EnumSource(Target.class)
    void everyImplementationAgreesWithFloat64OnWideMaps(Target target) {
        Engine engine = ENGINES.get(target);
        for (DeformConv2d spec : DeformEdgeCases.wideMaps()) {
            Implementations.check(engine, target, spec, plan -> DeformEdgeCases.checkWideMaps(
                    target + " " + plan.implementation(), List.of(spec), (s, args) -> plan.execute(args)));
        }
    }
}
