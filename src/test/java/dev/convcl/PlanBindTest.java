package dev.convcl;

import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Implementations;
import dev.convcl.testing.Target;
import dev.convcl.testing.Tensors;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
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

    /** On the problems of {@link DeviceTensorTest}: dense, depthwise, pointwise strided and deformable. */
    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("dev.convcl.DeviceTensorTest#problems")
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

    /**
     * Calls with the same device tensors, then with others, then with a mix: each call reads and
     * writes the tensors it is given (an OpenCL plan skips setting its kernel's arguments when the
     * buffers are those of its last call, which must not outlive a change of buffers).
     */
    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("dev.convcl.DeviceTensorTest#problems")
    void eachCallUsesItsOwnDeviceTensors(Target target, Convolution op) {
        Engine engine = ENGINES.get(target);
        Args a = Tensors.args(op, 21, true, 2);
        Args b = Tensors.args(op, 22, true, 2);
        float[] withA = CrossCheck.reference(op, a);
        float[] withB = CrossCheck.reference(op, b);
        Implementations.check(engine, target, op, plan -> {
            java.util.List<DeviceTensor> open = new java.util.ArrayList<>();
            try {
                Args da = upload(engine, a, open);
                Args db = upload(engine, b, open);
                plan.execute(da);
                plan.execute(da);
                CrossCheck.assertExact(op, "the same tensors twice", withA, out(da));
                plan.execute(db);
                CrossCheck.assertExact(op, "other tensors", withB, out(db));
                CrossCheck.assertExact(op, "the first call's output after a call on other tensors", withA, out(da));
                plan.execute(da.with(Arg.DST, db.get(Arg.DST)));
                CrossCheck.assertExact(op, "the first inputs into the second output", withA, out(db));
                plan.execute(db.with(Arg.DST, da.get(Arg.DST)));
                CrossCheck.assertExact(op, "the second inputs into the first output", withB, out(da));
            } finally {
                open.forEach(DeviceTensor::close);
            }
        });
    }

    private static Args upload(Engine engine, Args host, java.util.List<DeviceTensor> open) {
        Args.Builder builder = Args.builder();
        for (Arg role : host.roles()) {
            DeviceTensor d = engine.upload((HostTensor) host.get(role));
            open.add(d);
            builder.set(role, d);
        }
        return builder.build();
    }

    private static float[] out(Args deviceArgs) {
        return ((DeviceTensor) deviceArgs.get(Arg.DST)).toArray();
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
