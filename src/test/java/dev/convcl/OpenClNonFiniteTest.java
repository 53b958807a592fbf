package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.reference.ReferenceConv;
import dev.convcl.testing.DeformEdgeCases;
import dev.convcl.testing.NonFinite;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.Tensors;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The OpenCL side of {@link NonFiniteTest}: whatever kernel KernelSelector picks for each problem
 * meets the hand-computed cases and puts NaN and infinities exactly where the reference (and so the
 * CPU path) does. Plans must stay on OpenCL, so a silent fallback cannot make this pass.
 */
class OpenClNonFiniteTest {
    private static Engine engine;

    @BeforeAll
    static void open() {
        OpenClTestDevice.require();
        engine = Engine.create(DeviceChoice.OPENCL);
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    static List<NonFinite.Case> cases() {
        return NonFinite.cases();
    }

    private static void runOnOpenCl(Convolution spec, Args args) {
        try (Plan plan = engine.plan(spec)) {
            assertEquals("opencl", plan.backend(), spec.toString());
            plan.execute(args);
            assertEquals("opencl", plan.backend(), "the call fell back to the CPU path: " + spec);
        }
    }

    @Test
    void openClMeetsHandComputedSemantics() {
        NonFinite.checkHandComputed("opencl", OpenClNonFiniteTest::runOnOpenCl);
    }

    @Test
    void openClMeetsDeformHandComputedSemantics() {
        DeformEdgeCases.checkHandComputed("opencl", false, OpenClNonFiniteTest::runOnOpenCl);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void openClAgreesWithReference(NonFinite.Case c) {
        Args ref = Tensors.withFreshOutput(c.args(), c.spec());
        ReferenceConv.run(c.spec(), ref);
        Args out = Tensors.withFreshOutput(c.args(), c.spec());
        runOnOpenCl(c.spec(), out);
        assertEquals(null, NonFinite.disagreement(Tensors.out(ref), Tensors.out(out)),
                c + ": reference has " + NonFinite.census(Tensors.out(ref)) + ", opencl has "
                        + NonFinite.census(Tensors.out(out)));
    }
}
