package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.reference.ReferenceOps;
import dev.convcl.testing.EachTarget;
import dev.convcl.testing.EachTargetCase;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Implementations;
import dev.convcl.testing.Target;
import java.util.List;
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
            "channel-shuffle", Pad2d.class, "pad2d", SqueezeExcitation.class, "squeeze-excitation");

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

    /**
     * Max pooling propagates NaN (a NaN tap makes the output NaN, wherever it falls in the window
     * and in a work-item's run of outputs) and takes infinities like any value, as PyTorch's
     * max_pool2d does; padding is never taken (an all -inf window stays -inf).
     */
    @EachTarget
    void maxPoolingPropagatesNaNAndTakesInfinities(Target target) {
        Engine engine = ENGINES.get(target);
        Pool2d op = Pool2d.max(2, 2, 7, 37, 3, 2, 1); // output rows of 19: a run of 16 and one of 3
        Args args = NetworkProblems.randomArgs(op, 11);
        float[] x = ((HostTensor) args.get(Arg.SRC)).array();
        int plane = 7 * 37;
        x[0] = Float.NaN;                              // the top-left corner: a window with padding
        x[3 * 37 + 33] = Float.NaN;                    // inside the second run
        x[plane + 2 * 37 + 30] = Float.POSITIVE_INFINITY;
        for (int i = 0; i < 37; i++) {
            x[2 * plane + 6 * 37 + i] = Float.NEGATIVE_INFINITY; // the last row of a plane
            x[2 * plane + 5 * 37 + i] = Float.NEGATIVE_INFINITY;
        }
        x[3 * plane + 4 * 37 + 16] = Float.NaN;        // where the first run ends and the second begins
        Args ref = NetworkProblems.copy(args);
        ReferenceOps.run(op, ref);
        float[] expected = ((HostTensor) ref.get(Arg.DST)).toArray();
        int nans = 0;
        for (float v : expected) {
            nans += Float.isNaN(v) ? 1 : 0;
        }
        assertTrue(nans >= 4, "the case must put NaN in several outputs; the reference has " + nans);
        try (Plan plan = engine.plan(op)) {
            Args run = NetworkProblems.copy(args);
            plan.execute(run);
            float[] actual = ((HostTensor) run.get(Arg.DST)).toArray();
            for (int i = 0; i < expected.length; i++) {
                boolean same = Float.isNaN(expected[i]) ? Float.isNaN(actual[i]) : expected[i] == actual[i];
                assertTrue(same, op + " on " + plan.backend() + " " + plan.implementation() + ": output " + i
                        + " is " + actual[i] + ", the reference " + expected[i]);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("problems")
    void oneLineFormReadsBack(Operation op) {
        assertEquals(op, Operation.parse(op.toString()));
        assertEquals(op.toString(), Operation.parse(op.toString()).toString());
    }

    /**
     * Every input of a squeeze-and-excitation plan can be bound, the input too, and a call's own
     * tensor overrides a bound one: the same results as the reference with the tensors in use.
     */
    @EachTarget
    void squeezeExcitationBindsEveryInputAndACallOverridesIt(Target target) {
        Engine engine = ENGINES.get(target);
        SqueezeExcitation op = new SqueezeExcitation(2, 20, 5, 6, 7, PostOps.of(Activation.relu()),
                PostOps.of(Activation.hardsigmoid()));
        Args args = NetworkProblems.randomArgs(op, 3);
        Args other = NetworkProblems.randomArgs(op, 4);
        try (Plan plan = engine.plan(op)) {
            for (Arg role : List.of(Arg.SRC, Arg.WEIGHTS, Arg.BIAS, Arg.FC2_WEIGHTS, Arg.FC2_BIAS)) {
                plan.bind(role, args.get(role));
            }
            HostTensor out = Tensor.zeros(op.outputShape());
            plan.execute(Args.of(Arg.DST, out));
            Args ref = NetworkProblems.copy(args);
            ReferenceOps.run(op, ref);
            double err = dev.convcl.reference.Accuracy.relativeL2(((HostTensor) ref.get(Arg.DST)).toArray(), out.toArray());
            assertTrue(err <= 1e-6, target + " " + plan.implementation() + ", all bound: relative L2 " + err);

            // the call's input and second layer's weights over the bound ones
            HostTensor out2 = Tensor.zeros(op.outputShape());
            plan.execute(Args.of(Arg.SRC, other.get(Arg.SRC), Arg.DST, out2).with(Arg.FC2_WEIGHTS,
                    other.get(Arg.FC2_WEIGHTS)));
            Args ref2 = NetworkProblems.copy(args).with(Arg.SRC, other.get(Arg.SRC))
                    .with(Arg.FC2_WEIGHTS, other.get(Arg.FC2_WEIGHTS));
            ReferenceOps.run(op, ref2);
            double err2 = dev.convcl.reference.Accuracy.relativeL2(((HostTensor) ref2.get(Arg.DST)).toArray(),
                    out2.toArray());
            assertTrue(err2 <= 1e-6, target + " " + plan.implementation() + ", call overrides: relative L2 " + err2);
        }
    }
}
