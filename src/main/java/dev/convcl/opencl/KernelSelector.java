package dev.convcl.opencl;

import dev.convcl.ConvSpec;
import dev.convcl.spi.CompiledConv;

/** Chooses the kernel for a spec. The direct kernels run every valid spec. */
final class KernelSelector {
    private KernelSelector() {
    }

    static CompiledConv compile(OpenClContext ctx, ConvSpec spec) {
        return new DirectConvPlan(ctx, spec);
    }
}
