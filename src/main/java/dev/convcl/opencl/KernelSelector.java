package dev.convcl.opencl;

import dev.convcl.ConvSpec;
import dev.convcl.spi.CompiledConv;

/** Chooses the kernel for a spec. The direct kernels run every valid spec. */
final class KernelSelector {
    private KernelSelector() {
    }

    static CompiledConv compile(OpenClContext ctx, ConvSpec spec) {
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
