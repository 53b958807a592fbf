package dev.convcl.cpu;

import dev.convcl.ConvSpec;
import dev.convcl.spi.Backend;
import dev.convcl.spi.CompiledConv;
import java.util.Optional;
import java.util.concurrent.ForkJoinPool;

/**
 * The pure-Java path: runs every valid spec, on all cores, with no native code. It is both a
 * backend of its own ({@code --device cpu}) and the fallback when OpenCL cannot run a problem.
 */
public final class CpuBackend implements Backend {
    private final ForkJoinPool pool;
    private final boolean ownsPool;

    /** Uses all available processors through a pool owned by this backend. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    public CpuBackend(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads=" + threads + " must be at least 1");
        }
        this.pool = new ForkJoinPool(threads);
        this.ownsPool = true;
    }

    public int threads() {
        return pool.getParallelism();
    }

    ForkJoinPool pool() {
        return pool;
    }

    @Override
    public String kind() {
        return "cpu";
    }

    @Override
    public String deviceName() {
        return "cpu (pure Java, " + threads() + " threads)";
    }

    @Override
    public Optional<String> unsupportedReason(ConvSpec spec) {
        return Optional.empty();
    }

    @Override
    public CompiledConv compile(ConvSpec spec) {
        return new CpuDirectConv(spec, pool);
    }

    @Override
    public void close() {
        if (ownsPool) {
            pool.shutdown();
        }
    }
}
