package dev.convcl.opencl;

import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.DeformEdgeCases;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.Primitives;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Deformable sampling at its edges ({@link DeformEdgeCases}) on both OpenCL kernels,
 * {@code deform2d_direct.cl} and {@code deform2d_gemm.cl} (its default tile, and a CPU and a GPU
 * tile on one wide map): NaN offsets and masks propagate, infinite offsets are zero
 * samples, and fractions are exact on wide, tall and 2^24-pixel maps.
 */
class OpenClDeformEdgeTest {
    private static OpenClBackend backend;
    private static OpenClContext ctx;

    @BeforeAll
    static void open() {
        backend = new OpenClBackend(OpenClTestDevice.require());
        ctx = backend.context();
    }

    @AfterAll
    static void close() {
        if (backend != null) {
            backend.close();
        }
    }

    private static BiConsumer<Convolution, Args> plan(Function<Convolution, Primitive> compile) {
        return (spec, args) -> {
            try (Primitive plan = compile.apply(spec)) {
                Primitives.run(backend, plan, args);
            }
        };
    }

    private static DeformGemmPlan gemm(Convolution spec) {
        return new DeformGemmPlan(ctx, spec, DeformGemmPlan.defaultTile(spec, ctx.info()).orElseThrow());
    }

    @Test
    void directKernelMeetsHandComputedCases() {
        DeformEdgeCases.checkHandComputed("deform-direct", true, plan(s -> new DirectConvPlan(ctx, s)));
    }

    @Test
    void directKernelAgreesWithFloat64OnWideMaps() {
        DeformEdgeCases.checkWideMaps("deform-direct", plan(s -> new DirectConvPlan(ctx, s)));
    }

    @Test
    void gemmKernelMeetsHandComputedCases() {
        DeformEdgeCases.checkHandComputed("deform-gemm", true, plan(OpenClDeformEdgeTest::gemm));
    }

    @Test
    void gemmKernelAgreesWithFloat64OnWideMaps() {
        DeformEdgeCases.checkWideMaps("deform-gemm", plan(OpenClDeformEdgeTest::gemm));
    }

    /**
     * The tile decides how the sampling table is spread over work-items (one work-item with no
     * barrier on CPUs, many with barriers on GPUs); every tile shares the table code, so one of
     * each kind suffices here (DeformGemmOpenClTest runs every candidate against the reference).
     */
    @Test
    void cpuAndGpuTilesAgreeWithFloat64OnAWideMap() {
        DeformConv2d spec = DeformEdgeCases.wideMaps().get(3);
        DeformGemmPlan.Tile cpuTile = DeformGemmPlan.candidates(spec, ctx.info()).get(0);
        DeformGemmPlan.Tile gpuTile = DeformGemmPlan.candidates(spec, PlanChecks.asGpu(ctx.info())).stream()
                .filter(t -> t.wgs() > 1 && t.fits(spec, ctx.info())).findFirst().orElseThrow();
        for (DeformGemmPlan.Tile t : List.of(cpuTile, gpuTile)) {
            BiConsumer<Convolution, Args> run = (s, args) -> {
                try (DeformGemmPlan plan = new DeformGemmPlan(ctx, s, t)) {
                    Primitives.run(backend, plan, args);
                }
            };
            DeformEdgeCases.checkWideMaps("deform-gemm " + t, List.of(spec), run);
        }
    }
}
