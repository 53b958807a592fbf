package dev.convcl.cpu;

import java.util.List;

/** The kernel sets bit-for-bit kernel tests check, each already compiled by the JIT. */
final class WarmedKernels {
    private WarmedKernels() {
    }

    /**
     * Both kernel sets (the vector ones where this JVM has them), each run through
     * {@link KernelWarmup} first (12,000 calls of every kernel) so that the calls checked run the
     * JIT's compiled code, where the Vector API's operations are intrinsics, not their plain-Java
     * fallbacks ({@link CpuKernelFallbackTest} fails where the module is loaded and the vector set is not).
     */
    static List<Kernels> both() {
        Kernels vector = Kernels.vectorOrNull();
        List<Kernels> sets = vector == null ? List.of(Kernels.scalar()) : List.of(Kernels.scalar(), vector);
        for (Kernels k : sets) {
            KernelWarmup.run(k, KernelWarmup.CALLS);
        }
        return sets;
    }
}
