package dev.convcl.cpu;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import dev.convcl.spi.Memory;
import dev.convcl.spi.Primitive;
import java.util.EnumMap;
import java.util.Map;

/**
 * A compiled CPU algorithm: binds constant arguments by reference, gathers a call's arrays into
 * {@link CallData} and runs on the backend's pool. Subclasses compute; they state their working
 * memory ({@link #scratchBytes()}).
 */
abstract class CpuPlan implements Primitive {
    final Convolution spec;
    final Epilogue epilogue;
    /** The backend's pool, which the algorithm's tasks run on. */
    final WorkerPool pool;
    private final Map<Arg, Memory> bound = new EnumMap<>(Arg.class);

    CpuPlan(Convolution spec, WorkerPool pool, Kernels kernels) {
        this.spec = spec;
        this.pool = pool;
        this.epilogue = new Epilogue(spec.bias(), spec.postOps(), kernels);
    }

    /**
     * The most bytes of scratch one call holds at a time beyond the caller's tensors: per-task
     * arrays times the tasks that run at once, plus per-call arrays, the kernels' own arrays
     * included. At most {@link Scratch#boundFloats} floats.
     */
    abstract long scratchBytes();

    /** Computes the call's output from its arrays. */
    abstract void run(CallData call);

    @Override
    public void bind(Arg role, Memory memory) {
        bound.put(role, memory);
    }

    @Override
    public void execute(Map<Arg, Memory> args) {
        Map<Arg, Memory> all = new EnumMap<>(Arg.class);
        all.putAll(bound);
        all.putAll(args);
        run(CallData.of(spec, epilogue, all));
    }

    @Override
    public void close() {
        bound.clear();
    }
}
