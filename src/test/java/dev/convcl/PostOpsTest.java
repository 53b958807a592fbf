package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.testing.Engines;
import dev.convcl.testing.Implementations;
import dev.convcl.testing.PostOpCases;
import dev.convcl.testing.Target;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

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

    static Stream<Arguments> cases() {
        return Target.each(PostOpCases::cases);
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("cases")
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
