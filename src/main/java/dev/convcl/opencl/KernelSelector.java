package dev.convcl.opencl;

import dev.convcl.ConvSpec;
import dev.convcl.spi.CompiledConv;
import java.util.Optional;

/** Chooses the kernel for a spec. The direct kernels run every valid spec. */
final class KernelSelector {
    private KernelSelector() {
    }

    static CompiledConv compile(OpenClContext ctx, ConvSpec spec) {
        // Depthwise and deformable problems have tiled kernels of their own, used when a tile
        // fits the device's local memory and work-group limits.
        if (DepthwisePlan.supports(spec)) {
            Optional<DepthwisePlan.Tile> tile = DepthwisePlan.defaultTile(spec, ctx.info());
            if (tile.isPresent()) {
                return new DepthwisePlan(ctx, spec, tile.get());
            }
        }
        if (DeformGemmPlan.supports(spec)) {
            Optional<DeformGemmPlan.Tile> tile = DeformGemmPlan.defaultTile(spec, ctx.info());
            if (tile.isPresent()) {
                return new DeformGemmPlan(ctx, spec, tile.get());
            }
        }
        // Ordinary conv2d (not depthwise): implicit GEMM, tile from the tuning file or defaults.
        if (GemmConvPlan.handles(spec)) {
            GemmConfig tile = gemmConfig(ctx, spec);
            if (GemmConvPlan.unsuitableReason(spec, tile, ctx.info()).isEmpty()) {
                return new GemmConvPlan(ctx, spec, tile);
            }
        }
        return new DirectConvPlan(ctx, spec);
    }

    /** The GEMM tile for {@code spec}: the device's tuning file if it has the problem's class, else the defaults. */
    static GemmConfig gemmConfig(OpenClContext ctx, ConvSpec spec) {
        return TuningTable.forDevice(ctx.info()).configFor(spec, ctx.info());
    }
}
