package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.Convolution;
import dev.convcl.Engine;
import dev.convcl.PostOps;
import dev.convcl.testing.Implementations;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.PostOpCases;
import dev.convcl.testing.Target;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The OpenCL kernels' epilogue runs every post-op chain ({@link PostOpCases}): each OpenCL
 * implementation that accepts a problem without post-ops accepts it with every chain, and matches
 * the reference. This is what the kernel prelude of issue 10 (one activation macro, the sum
 * post-op) delivers; until it lands the implementations refuse every chain but ReLU and this
 * class fails for them, on purpose (nothing here is skipped).
 */
class OpenClPostOpsTest {
    private static Engine engine;

    @BeforeAll
    static void open() {
        engine = OpenClTestDevice.engine();
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.convcl.testing.PostOpCases#cases")
    void everyImplementationTakesEveryChain(Convolution op) {
        assertEquals(engine.implementations(op.withPostOps(PostOps.none())), engine.implementations(op),
                "the OpenCL implementations that run " + op.withPostOps(PostOps.none()) + " must run it with post="
                        + op.postOps());
        Implementations.check(engine, Target.OPENCL, op, plan -> PostOpCases.check(op, plan, 52));
    }

    /** A ResNet block (the sum post-op adds the block's input) on device tensors, all on the device. */
    @Test
    void aResidualBlockOnDeviceTensorsMovesNoData() {
        DeviceTensorTest.checkChainMovesNoData(engine, Target.OPENCL, PostOps.parse("sum+relu"));
    }
}
