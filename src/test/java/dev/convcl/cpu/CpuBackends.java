package dev.convcl.cpu;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The CPU backends a test class runs its problems on, opened before its first test and closed
 * after its last: scalar kernels at each of the scalar thread counts, then (where this JVM has the
 * vector kernels) vector kernels at each of the vector thread counts. Use it as
 * {@code @RegisterExtension static final CpuBackends BACKENDS = new CpuBackends(...)} and iterate.
 */
final class CpuBackends implements BeforeAllCallback, AfterAllCallback, Iterable<CpuBackend> {
    private final int[] scalarThreads;
    private final int[] vectorThreads;
    private final List<CpuBackend> backends = new ArrayList<>();

    /**
     * @param scalarThreads the thread counts of the backends with scalar kernels
     * @param vectorThreads the thread counts of the backends with vector kernels (none without them)
     */
    CpuBackends(int[] scalarThreads, int... vectorThreads) {
        this.scalarThreads = scalarThreads.clone();
        this.vectorThreads = vectorThreads.clone();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        for (int t : scalarThreads) {
            backends.add(new CpuBackend(t, Kernels.scalar()));
        }
        Kernels vector = Kernels.vectorOrNull();
        if (vector != null) {
            for (int t : vectorThreads) {
                backends.add(new CpuBackend(t, vector));
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        backends.forEach(CpuBackend::close);
        backends.clear();
    }

    @Override
    public Iterator<CpuBackend> iterator() {
        return backends.iterator();
    }
}
