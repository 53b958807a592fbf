package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import java.util.Map;

/**
 * The direct kernels ({@code conv2d_direct.cl}, {@code deform2d_direct.cl}): one work-item per
 * output element. They run every valid spec, so they are the fallback of the faster plans and the
 * yardstick of the tuner.
 */
final class DirectConvPlan extends KernelPrimitive {
    private static final long LX = 8;
    private static final long LY = 8;

    DirectConvPlan(OpenClContext ctx, Convolution spec) {
        super(ctx, spec, spec.isDeformable()
                ? ctx.programs().kernel("deform2d_direct.cl", options(spec), "deform2d_direct")
                : ctx.programs().kernel("conv2d_direct.cl", options(spec), "conv2d_direct"));
    }

    /** The shape constants every kernel takes as -D options. */
    static String options(Convolution s) {
        StringBuilder o = new StringBuilder("-cl-std=CL1.2");
        o.append(" -DKH=").append(s.kh()).append(" -DKW=").append(s.kw())
                .append(" -DSH=").append(s.strideH()).append(" -DSW=").append(s.strideW())
                .append(" -DPH=").append(s.padTop()).append(" -DPW=").append(s.padLeft())
                .append(" -DDH=").append(s.dilH()).append(" -DDW=").append(s.dilW())
                .append(" -DCG=").append(s.cPerGroup()).append(" -DKG=").append(s.kPerGroup())
                .append(" -DHAS_BIAS=").append(s.bias() ? 1 : 0).append(" -DRELU=").append(s.postOps().isRelu() ? 1 : 0);
        if (s instanceof DeformConv2d d) {
            o.append(" -DOG=").append(d.offsetGroups()).append(" -DHAS_MASK=").append(d.mask() ? 1 : 0);
        }
        return o.toString();
    }

    @Override
    public String algorithm() {
        return spec.isDeformable() ? "deform-direct" : "direct";
    }

    @Override
    void setArgs(OpenClKernel kernel, Map<Arg, DeviceBuffer> b) {
        int a = 0;
        kernel.arg(a++, b.get(Arg.SRC));
        if (spec.isDeformable()) {
            kernel.arg(a++, b.get(Arg.OFFSET));
            kernel.arg(a++, orElse(b, Arg.MASK, Arg.SRC));
        }
        kernel.arg(a++, b.get(Arg.WEIGHTS));
        kernel.arg(a++, orElse(b, Arg.BIAS, Arg.WEIGHTS));
        kernel.arg(a++, b.get(Arg.DST));
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
