package dev.convcl.opencl;

import dev.convcl.ConvSpec;

/**
 * The direct kernels ({@code conv2d_direct.cl}, {@code deform2d_direct.cl}): one work-item per
 * output element. They run every valid spec, so they are the fallback of the faster plans and the
 * yardstick of the tuner.
 */
final class DirectConvPlan extends SingleKernelPlan {
    private static final long LX = 8;
    private static final long LY = 8;

    DirectConvPlan(OpenClContext ctx, ConvSpec spec) {
        super(ctx, spec, spec.isDeformable()
                ? ctx.programs().kernel("deform2d_direct.cl", options(spec), "deform2d_direct")
                : ctx.programs().kernel("conv2d_direct.cl", options(spec), "conv2d_direct"));
    }

    /** The shape constants every kernel takes as -D options. */
    static String options(ConvSpec s) {
        StringBuilder o = new StringBuilder("-cl-std=CL1.2");
        o.append(" -DKH=").append(s.kh()).append(" -DKW=").append(s.kw())
                .append(" -DSH=").append(s.strideH()).append(" -DSW=").append(s.strideW())
                .append(" -DPH=").append(s.padH()).append(" -DPW=").append(s.padW())
                .append(" -DDH=").append(s.dilH()).append(" -DDW=").append(s.dilW())
                .append(" -DCG=").append(s.cPerGroup()).append(" -DKG=").append(s.kPerGroup())
                .append(" -DHAS_BIAS=").append(s.bias() ? 1 : 0).append(" -DRELU=").append(s.relu() ? 1 : 0);
        if (s.isDeformable()) {
            o.append(" -DOG=").append(s.offsetGroups()).append(" -DHAS_MASK=").append(s.mask() ? 1 : 0);
        }
        return o.toString();
    }

    @Override
    public String algorithm() {
        return spec.isDeformable() ? "deform-direct" : "direct";
    }

    @Override
    void bind(OpenClKernel kernel) {
        PlanBuffers b = buffers;
        int a = 0;
        kernel.arg(a++, b.input);
        if (spec.isDeformable()) {
            kernel.arg(a++, b.offset);
            kernel.arg(a++, b.mask != null ? b.mask : b.input);
        }
        kernel.arg(a++, b.weight);
        kernel.arg(a++, b.bias != null ? b.bias : b.weight);
        kernel.arg(a++, b.output);
        kernel.arg(a++, spec.n()).arg(a++, spec.c()).arg(a++, spec.h()).arg(a++, spec.w())
                .arg(a++, spec.k()).arg(a++, spec.outH()).arg(a, spec.outW());
    }

    @Override
    long[] globalSize() {
        return new long[] {roundUp(spec.outW(), LX), roundUp(spec.outH(), LY), (long) spec.n() * spec.k()};
    }

    @Override
    long[] localSize() {
        return new long[] {LX, LY, 1};
    }

    static long roundUp(long v, long m) {
        return (v + m - 1) / m * m;
    }
}
