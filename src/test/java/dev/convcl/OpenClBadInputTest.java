package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.opencl.OpenClContext;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.Tensors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every row of {@link BadInputCases} on an OpenCL engine: IllegalArgumentException naming the
 * value, and the context's counters show that no kernel was launched and no tensor was sent to or
 * read from the device, and that no buffer was left allocated.
 */
class OpenClBadInputTest {
    private static Engine engine;
    private static OpenClContext ctx;

    @BeforeAll
    static void open() {
        OpenClTestDevice.require();
        engine = Engine.create(DeviceChoice.OPENCL);
        ctx = OpenClTestDevice.context(engine);
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    static java.util.List<BadInputCases.Case> cases() {
        return BadInputCases.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rejectedBeforeAnyLaunch(BadInputCases.Case c) {
        long launches = ctx.kernelLaunches();
        long transfers = ctx.transfers();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.call().accept(engine), c.name());
        assertTrue(e.getMessage().contains(c.expected()),
                c.name() + ": message should contain \"" + c.expected() + "\" but was: " + e.getMessage());
        assertEquals(launches, ctx.kernelLaunches(), c.name() + ": a kernel was launched before the input was rejected");
        assertEquals(transfers, ctx.transfers(), c.name() + ": data moved to or from the device before the input was rejected");
        assertEquals(0, ctx.liveBytes(), c.name() + ": device memory left allocated after the rejection");
    }

    /** The seam itself: a valid call through the same paths does launch and transfer, so the counters can tell. */
    @Test
    void countersSeeAValidCall() {
        long launches = ctx.kernelLaunches();
        long transfers = ctx.transfers();
        Convolution spec = BadInputCases.PLAN_SPEC;
        Args args = Tensors.args(spec, 1, true, 1);
        try (Plan plan = engine.plan(spec)) {
            plan.execute(args);
            assertEquals("opencl", plan.backend(), spec.toString());
        }
        assertTrue(ctx.kernelLaunches() > launches, "a valid call launched no kernel: " + spec);
        assertTrue(ctx.transfers() > transfers, "a valid call moved no data: " + spec);
    }
}
