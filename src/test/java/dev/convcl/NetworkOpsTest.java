package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.testing.EachTargetCase;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Implementations;
import dev.convcl.testing.Target;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every operation the graph runtime added (channel affine, binary with broadcasting, pooling,
 * channel copy, channel shuffle, padding) against its double-precision reference, on every
 * implementation of each backend that accepts it (plans from {@code engine.plan(op,
 * implementation, null)}, which never falls back), through host and device tensors; hand-picked
 * edge cases (ceil_mode's last-window rule, count_include_pad at the far border, broadcasting of
 * every kind, -inf padding) and seeded random shapes. On OpenCL, selection itself must pick the
 * operation's OpenCL kernel, never the CPU fallback.
 */
class NetworkOpsTest {
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    /** The OpenCL implementation each operation must get from selection. */
    private static final Map<Class<? extends Operation>, String> OPENCL = Map.of(ChannelAffine.class, "channel-affine",
            Binary.class, "binary", Pool2d.class, "pool2d", ChannelCopy.class, "channel-copy", ChannelShuffle.class,
            "channel-shuffle", Pad2d.class, "pad2d");

    static Stream<Operation> problems() {
        return NetworkProblems.all().stream();
    }

    @EachTargetCase("problems")
    void everyImplementationMatchesTheReference(Target target, Operation op) {
        Engine engine = ENGINES.get(target);
        Implementations.check(engine, target, op, plan -> NetworkProblems.check(engine, op, plan, 7));
    }

    @ParameterizedTest(name = "[opencl] {0}")
    @MethodSource("problems")
    void selectionOnOpenClPicksTheOperationsKernel(Operation op) {
        Engine engine = ENGINES.get(Target.OPENCL);
        try (Plan plan = engine.plan(op)) {
            assertEquals("opencl " + OPENCL.get(op.getClass()), plan.backend() + " " + plan.implementation(),
                    op + ": the plan selection made");
        }
    }

    @ParameterizedTest
    @MethodSource("problems")
    void oneLineFormReadsBack(Operation op) {
        assertEquals(op, Operation.parse(op.toString()));
        assertEquals(op.toString(), Operation.parse(op.toString()).toString());
    }
}
