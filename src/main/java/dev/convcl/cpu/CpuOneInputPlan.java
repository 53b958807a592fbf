package dev.convcl.cpu;

import dev.convcl.Arg;
import dev.convcl.Operation;
import java.util.Map;

/**
 * A CPU primitive of an operation that reads one tensor ({@link Arg#SRC}) and writes
 * {@link Arg#DST} (pooling, padding, channel copies and shuffles): {@link #run(float[], float[])}
 * gets the two arrays.
 *
 * @param <T> the operation
 */
abstract class CpuOneInputPlan<T extends Operation> extends CpuOpPlan<T> {
    CpuOneInputPlan(String name, T op, WorkerPool pool) {
        super(name, op, pool);
    }

    @Override
    final void run(Map<Arg, float[]> args) {
        run(args.get(Arg.SRC), args.get(Arg.DST));
    }

    /** Computes {@code dst} (the operation's output, row-major) from {@code src}. */
    abstract void run(float[] src, float[] dst);
}
