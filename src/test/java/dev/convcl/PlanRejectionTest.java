package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.testing.BadArgs;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.EachTargetCase;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Target;
import dev.convcl.testing.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Mismatched tensors given to a plan through the public API, on every backend:
 * {@link Plan#execute} throws {@link IllegalArgumentException} (nothing else) before any
 * transfer, so no tensor changes (a poisoned output stays NaN: nothing was read back), no new
 * kernel time is recorded, the plan does not fall back to the CPU path, and the next good call is
 * correct.
 */
class PlanRejectionTest {
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    @EachTargetCase("dev.convcl.testing.BadArgs#cases")
    void badTensorsAreRejectedBeforeTheDevice(Target target, BadArgs.Case bad) {
        Convolution spec = bad.spec();
        try (Plan plan = ENGINES.get(target).plan(spec)) {
            assertEquals(target.toString(), plan.backend(), spec + ": the plan should be on the target to show anything");
            List<float[]> before = snapshot(bad.args());
            double kernelMillisBefore = plan.lastKernelMillis();

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plan.execute(bad.args()));
            assertTrue(e.getMessage().contains(bad.expectedInMessage()), e.getMessage());

            List<float[]> after = snapshot(bad.args());
            for (int i = 0; i < before.size(); i++) {
                assertArrayEquals(before.get(i), after.get(i), spec + ": a tensor changed although the call was rejected");
            }
            assertEquals(kernelMillisBefore, plan.lastKernelMillis(), spec + ": a kernel ran for a rejected call");
            assertEquals(target.toString(), plan.backend(), spec + ": a rejected call must not move the plan");

            Args good = Tensors.args(spec, 7, true, 1);
            float[] expected = CrossCheck.reference(spec, good);
            plan.execute(good);
            CrossCheck.assertExact(spec, "good call after a rejected one", expected, Tensors.out(good));
        }
    }

    /** Copies of every tensor's contents, in the order of their roles. */
    private static List<float[]> snapshot(Args a) {
        List<float[]> copies = new ArrayList<>();
        for (Tensor t : a.asMap().values()) {
            copies.add(((HostTensor) t).toArray());
        }
        return copies;
    }
}
