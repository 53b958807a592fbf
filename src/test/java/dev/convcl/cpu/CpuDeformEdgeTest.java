package dev.convcl.cpu;

import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.reference.ReferenceConv;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.DeformEdgeCases;
import dev.convcl.testing.Primitives;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Deformable sampling at its edges ({@link DeformEdgeCases}) on the reference and on every CPU
 * algorithm that runs deform2d, with each kernel set: NaN offsets and masks propagate, infinite
 * offsets are zero samples, and fractions are exact on wide, tall and 2^24-pixel maps.
 */
class CpuDeformEdgeTest {
    private static final List<CpuBackend> BACKENDS = new ArrayList<>();

    @BeforeAll
    static void backends() {
        BACKENDS.add(new CpuBackend(2, Kernels.scalar()));
        Kernels vector = Kernels.vectorOrNull();
        if (vector != null) {
            BACKENDS.add(new CpuBackend(3, vector));
        }
        BACKENDS.add(new CpuBackend(1, vector != null ? vector : Kernels.scalar()));
    }

    @AfterAll
    static void close() {
        BACKENDS.forEach(CpuBackend::close);
    }

    private static BiConsumer<Convolution, Args> algorithm(CpuBackend backend, String name) {
        return (spec, args) -> {
            try (Primitive plan = backend.compile(spec, name)) {
                Primitives.run(backend, plan, args);
            }
        };
    }

    @Test
    void referenceMeetsHandComputedCases() {
        DeformEdgeCases.checkHandComputed("reference", true, ReferenceConv::run);
    }

    @Test
    void referenceAgreesWithFloat64OnWideMaps() {
        DeformEdgeCases.checkWideMaps("reference", ReferenceConv::run);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu-deform-gemm", "cpu-direct"})
    void everyKernelSetMeetsHandComputedCases(String algorithm) {
        for (int b = 0; b < BACKENDS.size(); b++) {
            CpuBackend backend = BACKENDS.get(b);
            // The 2^24-pixel maps test sampling, which every kernel set shares: once per algorithm.
            DeformEdgeCases.checkHandComputed(label(algorithm, backend), b == 0, algorithm(backend, algorithm));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu-deform-gemm", "cpu-direct"})
    void everyKernelSetAgreesWithFloat64OnWideMaps(String algorithm) {
        for (CpuBackend backend : BACKENDS) {
            DeformEdgeCases.checkWideMaps(label(algorithm, backend), algorithm(backend, algorithm));
        }
    }

    private static String label(String algorithm, CpuBackend backend) {
        return algorithm + "/" + backend.kernelName() + " x" + backend.threads();
    }
}
