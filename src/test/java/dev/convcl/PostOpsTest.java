package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.testing.EachTargetCase;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Implementations;
import dev.convcl.testing.PostOpCases;
import dev.convcl.testing.Target;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every post-op kind and chain ({@link PostOpCases}) on every implementation of every backend
 * that accepts it, against the reference. Where no implementation of the device accepts a chain
 * (the OpenCL kernels' epilogue has bias and ReLU only, for now), the plan must run on the CPU
 * path and still be right; as implementations gain the epilogue, they are walked here without a
 * change. {@code opencl.OpenClPostOpsTest} asserts that the OpenCL implementations accept every
 * chain.
 */
class PostOpsTest {
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    @EachTargetCase("dev.convcl.testing.PostOpCases#cases")
    void everyImplementationMatchesReference(Target target, Convolution op) {
        Engine engine = ENGINES.get(target);
        if (engine.implementations(op).isEmpty()) {
            try (Plan plan = engine.plan(op)) {
                assertEquals("cpu", plan.backend(), "no " + target + " implementation takes " + op);
                PostOpCases.check(op, plan, 51);
            }
            return;
        }
        Implementations.check(engine, target, op, plan -> PostOpCases.check(op, plan, 51));
    }
}
