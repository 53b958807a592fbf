package dev.convcl;

import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Implementations;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Target;
import dev.convcl.testing.Tensors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Plan#bind}, on every implementation of every backend: bound weights and bias are used by
 * every call that does not pass them; they are a snapshot (changing the tensor afterwards, host or
 * device, changes nothing); a second bind replaces them; a call that passes its own weights uses
 * them for that call only. Integer data, so every result must equal the reference's exactly.
 */
class PlanBindTest {
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    static Stream<Arguments> problems() {
        return Target.eachOf(() -> Stream.of(
                "op=conv2d n=2 c=4 h=7 w=6 k=5 kh=3 kw=3 pad=1 bias=1",
                "op=conv2d n=1 c=8 h=7 w=7 k=8 kh=3 kw=3 pad=1 groups=8 bias=1",
                "op=conv2d n=1 c=8 h=5 w=5 k=6 kh=1 kw=1 stride=2",
                "op=deform2d n=1 c=4 h=6 w=5 k=3 kh=3 kw=3 pad=1 og=2 mask=1 bias=1").map(Problems::parse));
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("problems")
    void boundConstantsAreSnapshotsReplacedByBindAndOverriddenPerCall(Target target, Convolution op) {
        Engine engine = ENGINES.get(target);
        Args first = Tensors.args(op, 11, true, 2);
        Args second = constants(Tensors.args(op, 12, true, 2), first);
        Args third = constants(Tensors.args(op, 13, true, 2), first);
        float[] withFirst = CrossCheck.reference(op, first);
        float[] withSecond = CrossCheck.reference(op, second);
        float[] withThird = CrossCheck.reference(op, third);
        Implementations.check(engine, target, op, plan -> {
            Args call = first.with(Arg.WEIGHTS, null).with(Arg.BIAS, null);
            HostTensor weights = (HostTensor) first.get(Arg.WEIGHTS);
            float[] saved = weights.toArray();
            plan.bind(Arg.WEIGHTS, weights);
            if (op.bias()) {
                plan.bind(Arg.BIAS, first.get(Arg.BIAS));
            }
            CrossCheck.assertExact(op, "bound weights", withFirst, run(plan, op, call));
            weights.array()[0] += 100; // the caller changes its array: the plan keeps its snapshot
            CrossCheck.assertExact(op, "bound weights after the host array changed", withFirst, run(plan, op, call));
            weights.copyFrom(saved);

            try (DeviceTensor w2 = engine.upload((HostTensor) second.get(Arg.WEIGHTS))) {
                plan.bind(Arg.WEIGHTS, w2); // a second bind, from a device tensor
                if (op.bias()) {
                    plan.bind(Arg.BIAS, second.get(Arg.BIAS));
                }
                w2.upload(Tensor.zeros(w2.shape())); // the device tensor changes: the plan keeps its snapshot
            }
            CrossCheck.assertExact(op, "weights bound a second time", withSecond, run(plan, op, call));

            Args override = call.with(Arg.WEIGHTS, third.get(Arg.WEIGHTS)).with(Arg.BIAS, third.get(Arg.BIAS));
            CrossCheck.assertExact(op, "weights passed with the call", withThird, run(plan, op, override));
            CrossCheck.assertExact(op, "bound weights after a call that passed its own", withSecond,
                    run(plan, op, call));
        });
    }

    /** {@code call}'s data with the weights and bias of {@code constants}. */
    private static Args constants(Args constants, Args call) {
        return call.with(Arg.WEIGHTS, constants.get(Arg.WEIGHTS)).with(Arg.BIAS, constants.get(Arg.BIAS));
    }

    /** Executes {@code args} with a fresh poisoned output and returns it. */
    private static float[] run(Plan plan, Convolution op, Args args) {
        Args fresh = Tensors.withFreshOutput(args, op);
        plan.execute(fresh);
        return Tensors.out(fresh);
    }
}
