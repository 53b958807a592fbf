package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.opencl.OpenClContext;
import dev.convcl.testing.OpenClTestDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The OpenCL backend's deform2d against the reference; see {@link Deform2dContract}. Plans come from
 * {@link Engine#plan(Operation, String, String)} with the implementation selection picks, which
 * has no fallback, so every case really runs on the device (a plain plan would fall back to the
 * CPU path on a device failure); each closed plan must leave no buffer or kernel alive.
 */
class OpenClDeform2dTest extends Deform2dContract {
    private static Engine engine;
    private static OpenClContext ctx;

    @BeforeAll
    static void open() {
        engine = OpenClTestDevice.engine();
        ctx = OpenClTestDevice.context(engine);
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    @Override
    protected Plan compile(Convolution spec) {
        Plan plan = engine.plan(spec, engine.implementations(spec).get(0), null);
        assertEquals("opencl", plan.backend(), spec.toString());
        return plan;
    }

    @Override
    protected void afterPlanClosed(Convolution spec) {
        assertEquals(0, ctx.liveObjects(), spec + ": OpenCL buffers or kernels left alive after close");
    }
}
