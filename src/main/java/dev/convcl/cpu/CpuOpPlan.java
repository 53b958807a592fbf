package dev.convcl.cpu;

import dev.convcl.Arg;
import dev.convcl.Operation;
import dev.convcl.spi.Memory;
import dev.convcl.spi.Primitive;
import java.util.EnumMap;
import java.util.Map;

/**
 * A compiled CPU primitive of an operation other than a convolution: binds constant arguments by
 * reference and hands a call's arrays, by role, to {@link #run} on the backend's pool.
 *
 * @param <T> the operation
 */
abstract class CpuOpPlan<T extends Operation> implements Primitive {
    /** Work items per worker thread, so idle workers can steal. */
    static final int TASKS_PER_THREAD = 4;

    final T op;
    final WorkerPool pool;
    private final String name;
    private final Map<Arg, Memory> bound = new EnumMap<>(Arg.class);

    CpuOpPlan(String name, T op, WorkerPool pool) {
        this.name = name;
        this.op = op;
        this.pool = pool;
    }

    /** Computes {@link Arg#DST} from the other arrays. */
    abstract void run(Map<Arg, float[]> args);

    @Override
    public String algorithm() {
        return name;
    }

    @Override
    public void bind(Arg role, Memory memory) {
        bound.put(role, memory);
    }

    @Override
    public void execute(Map<Arg, Memory> args) {
        Map<Arg, float[]> arrays = new EnumMap<>(Arg.class);
        for (Map.Entry<Arg, Memory> e : bound.entrySet()) {
            arrays.put(e.getKey(), HostMemory.of(e.getValue()));
        }
        for (Map.Entry<Arg, Memory> e : args.entrySet()) {
            arrays.put(e.getKey(), HostMemory.of(e.getValue()));
        }
        run(arrays);
    }

    /**
     * Runs {@code body(from, to)} over {@code [0, count)} cut into about
     * {@value #TASKS_PER_THREAD} pieces per worker, each at least {@code minPiece} long.
     */
    void forRanges(long count, long minPiece, RangeBody body) {
        int pieces = (int) Math.max(1, Math.min((long) pool.getParallelism() * TASKS_PER_THREAD,
                count / Math.max(1, minPiece)));
        Parallel.forEach(pool, pieces, p -> body.run(count * p / pieces, count * (p + 1) / pieces));
    }

    /** A piece of work over {@code [from, to)}. */
    interface RangeBody {
        void run(long from, long to);
    }

    @Override
    public void close() {
        bound.clear();
    }
}
