package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.testing.EachTargetCase;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Target;
import dev.convcl.testing.Tensors;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every row of {@link BadInputCases} on every backend: IllegalArgumentException naming the value,
 * and the engine's counters show that no kernel was launched and no tensor was sent to or read
 * from the device, and that no device memory was left allocated.
 */
class BadInputTest {
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    @EachTargetCase("dev.convcl.BadInputCases#cases")
    void rejectedBeforeAnyLaunch(Target target, BadInputCases.Case c) {
        Engine engine = ENGINES.get(target);
        Engine.Stats before = engine.stats();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.call().accept(engine), c.name());
        assertTrue(e.getMessage().contains(c.expected()),
                c.name() + ": message should contain \"" + c.expected() + "\" but was: " + e.getMessage());
        Engine.Stats after = engine.stats();
        assertEquals(before.kernelLaunches(), after.kernelLaunches(),
                c.name() + ": a kernel was launched before the input was rejected");
        assertEquals(before.hostTransfers(), after.hostTransfers(),
                c.name() + ": data moved to or from the device before the input was rejected");
        assertEquals(0, after.deviceBytes(), c.name() + ": device memory left allocated after the rejection");
        assertEquals(0, after.openPlans(), c.name() + ": a plan left open after the rejection");
    }

    /** The seam itself: a valid call through the same paths does launch and transfer, so the counters can tell. */
    @ParameterizedTest(name = "[{0}]")
    @EnumSource(value = Target.class, names = "OPENCL")
    void countersSeeAValidCall(Target target) {
        Engine engine = ENGINES.get(target);
        Engine.Stats before = engine.stats();
        Convolution spec = BadInputCases.PLAN_SPEC;
        Args args = Tensors.args(spec, 1, true, 1);
        try (Plan plan = engine.plan(spec)) {
            plan.execute(args);
            assertEquals(target.toString(), plan.backend(), spec.toString());
            assertTrue(engine.stats().deviceBytes() > 0, "a valid plan holds no device memory: " + spec);
        }
        Engine.Stats after = engine.stats();
        assertTrue(after.kernelLaunches() > before.kernelLaunches(), "a valid call launched no kernel: " + spec);
        assertTrue(after.hostTransfers() > before.hostTransfers(), "a valid call moved no data: " + spec);
    }
}
