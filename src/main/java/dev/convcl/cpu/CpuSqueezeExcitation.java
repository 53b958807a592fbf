package dev.convcl.cpu;

import dev.convcl.Arg;
import dev.convcl.Binary;
import dev.convcl.Conv2d;
import dev.convcl.Operation;
import dev.convcl.Pool2d;
import dev.convcl.PostOps;
import dev.convcl.SqueezeExcitation;
import dev.convcl.Window2d;
import dev.convcl.spi.Memory;
import dev.convcl.spi.Primitive;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code cpu-squeeze-excitation}: a squeeze-and-excitation block's scale as the CPU path's own plans
 * of its three layers, chosen by the backend's selection: the global average pool, then the two
 * 1x1 convolutions on {@code [n, c, 1, 1]} maps with their activations as epilogues (on the CPU
 * path a layer costs no launch, so one operation gains nothing from one loop, and the chosen plans
 * keep their vector kernels). With {@link SqueezeExcitation#apply()} the scales go to an array of
 * the plan's and the backend's broadcast multiply writes the block's output. The pooled values, the
 * squeeze outputs and those scales live in the plan's own arrays (a plan runs one call at a time).
 */
final class CpuSqueezeExcitation implements Primitive {
    private final Primitive pool;
    private final Primitive fc1;
    private final Primitive fc2;
    /** {@code scale * input} with apply, else null. */
    private final Primitive multiply;
    private final HostMemory pooled;
    private final HostMemory hidden;
    /** The scales with apply, else null. */
    private final HostMemory scales;
    /** A bound input ({@link Arg#SRC} may be bound as any role; a call's own overrides it). */
    private Memory boundSrc;

    /**
     * @param op   the block
     * @param plan the backend's plan of an operation (its first implementation that accepts it)
     */
    CpuSqueezeExcitation(SqueezeExcitation op, Function<Operation, Primitive> plan) {
        Window2d one = Window2d.of(1, 1, 1, 1, 0, 0, 1, 1);
        this.pool = plan.apply(Pool2d.globalAverage(op.n(), op.c(), op.h(), op.w()));
        this.fc1 = plan.apply(new Conv2d(op.n(), op.c(), 1, 1, op.squeeze(), one, 1, true, op.activation(),
                op.dataType(), op.direction()));
        this.fc2 = plan.apply(new Conv2d(op.n(), op.squeeze(), 1, 1, op.c(), one, 1, true, op.scaleActivation(),
                op.dataType(), op.direction()));
        // n*c and n*squeeze are within an int: the descriptor checks both
        this.pooled = new HostMemory(new float[op.n() * op.c()]);
        this.hidden = new HostMemory(new float[op.n() * op.squeeze()]);
        this.multiply = op.apply() ? plan.apply(new Binary(Binary.Kind.MUL, new int[] {op.n(), op.c(), 1, 1},
                op.inputShape(), PostOps.none())) : null;
        this.scales = op.apply() ? new HostMemory(new float[op.n() * op.c()]) : null;
    }

    @Override
    public String algorithm() {
        return "cpu-squeeze-excitation";
    }

    @Override
    public void bind(Arg role, Memory memory) {
        switch (role) {
            case SRC -> boundSrc = memory;
            case WEIGHTS, BIAS -> fc1.bind(role, memory);
            case FC2_WEIGHTS -> fc2.bind(Arg.WEIGHTS, memory);
            case FC2_BIAS -> fc2.bind(Arg.BIAS, memory);
            default -> throw new IllegalArgumentException("cpu-squeeze-excitation cannot bind " + role.displayName());
        }
    }

    @Override
    public synchronized void execute(Map<Arg, Memory> args) {
        Memory src = args.getOrDefault(Arg.SRC, boundSrc);
        if (src == null) {
            throw new IllegalArgumentException("cpu-squeeze-excitation needs the input, neither passed nor bound");
        }
        pool.execute(Map.of(Arg.SRC, src, Arg.DST, pooled));
        Map<Arg, Memory> a1 = new EnumMap<>(Arg.class);
        a1.put(Arg.SRC, pooled);
        a1.put(Arg.DST, hidden);
        copy(args, Arg.WEIGHTS, a1, Arg.WEIGHTS);
        copy(args, Arg.BIAS, a1, Arg.BIAS);
        fc1.execute(a1);
        Map<Arg, Memory> a2 = new EnumMap<>(Arg.class);
        a2.put(Arg.SRC, hidden);
        a2.put(Arg.DST, multiply != null ? scales : args.get(Arg.DST));
        copy(args, Arg.FC2_WEIGHTS, a2, Arg.WEIGHTS);
        copy(args, Arg.FC2_BIAS, a2, Arg.BIAS);
        fc2.execute(a2);
        if (multiply != null) {
            Map<Arg, Memory> a3 = new EnumMap<>(Arg.class);
            a3.put(Arg.SRC, scales);
            a3.put(Arg.OTHER, src);
            copy(args, Arg.DST, a3, Arg.DST);
            multiply.execute(a3);
        }
    }

    private static void copy(Map<Arg, Memory> from, Arg role, Map<Arg, Memory> to, Arg as) {
        Memory m = from.get(role);
        if (m != null) {
            to.put(as, m);
        }
    }

    @Override
    public void close() {
        pool.close();
        fc1.close();
        fc2.close();
        if (multiply != null) {
            multiply.close();
        }
    }
}
