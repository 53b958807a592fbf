package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;
import dev.convcl.spi.CompiledConv;
import dev.convcl.testing.DeformEdgeCases;
import dev.convcl.testing.OpenClTestDevice;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Deformable sampling at its edges ({@link DeformEdgeCases}) on both OpenCL kernels,
 * {@code deform2d_direct.cl} and {@code deform2d_gemm.cl} (its default tile; every CPU and GPU
 * candidate tile on one wide map, since the tile changes how the sampling table is shared): NaN offsets and masks propagate, infinite offsets are zero
 * samples, and fractions are exact on wide, tall and 2^24-pixel maps.
 */
class OpenClDeformEdgeTest {
    private static OpenClContext ctx;

    @BeforeAll
    static void open() {
        ctx = new OpenClContext(OpenClTestDevice.require());
    }

    @AfterAll
    static void close() {
        if (ctx != null) {
            ctx.close();
        }
    }

    private static BiConsumer<ConvSpec, ConvArgs> plan(Function<ConvSpec, CompiledConv> compile) {
        return (spec, args) -> {
            try (CompiledConv plan = compile.apply(spec)) {
                plan.execute(args);
            }
        };
    }

    private static DeformGemmPlan gemm(ConvSpec spec) {
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

    @Test
    void everyGemmTileAgreesWithFloat64OnAWideMap() {
        ConvSpec spec = DeformEdgeCases.wideMaps().get(3);
        Set<DeformGemmPlan.Tile> tiles = new LinkedHashSet<>(DeformGemmPlan.candidates(spec, ctx.info()));
        for (DeformGemmPlan.Tile t : DeformGemmPlan.candidates(spec, PlanChecks.asGpu(ctx.info()))) {
            if (t.fits(spec, ctx.info())) {
                tiles.add(t);
            }
        }
        assertTrue(tiles.size() >= 4, "expected the CPU and GPU candidate lists, got " + tiles);
        for (DeformGemmPlan.Tile t : tiles) {
            BiConsumer<ConvSpec, ConvArgs> run = (s, args) -> {
                try (DeformGemmPlan plan = new DeformGemmPlan(ctx, s, t)) {
                    plan.execute(args);
                }
            };
            DeformEdgeCases.checkWideMaps("deform-gemm " + t, List.of(spec), run);
        }
    }
}
