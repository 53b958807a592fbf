package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import java.util.Map;

/**
 * The direct kernels ({@code conv2d_direct.cl}, {@code deform2d_direct.cl}): one work-item per
 * output element. They run every valid spec (any padding, post-op chain and sum tensor), so they
 * are the fallback of the faster plans and the yardstick of the tuner.
 */
final class DirectConvPlan extends KernelPrimitive<Convolution> {
    /** Work-group {x, y}: {@link DeviceProfile#directLocalSize()}. */
    private final long[] local;

    DirectConvPlan(OpenClContext ctx, Convolution spec) {
        super(ctx, spec, spec.isDeformable()
                ? ctx.programs().kernel("deform2d_direct.cl", options(spec).toString(), "deform2d_direct")
                : ctx.programs().kernel("conv2d_direct.cl", options(spec).toString(), "conv2d_direct"));
        this.local = DeviceProfile.of(ctx.info()).directLocalSize();
    }

    /**
     * The build options every convolution kernel starts from: the element type and the epilogue
     * ({@link KernelOptions#forOutput}), then the shape constants (KH, KW, SH, SW, PH, PW, DH, DW,
     * CG, KG; for deform2d OG and HAS_MASK). PH and PW are the padding before each axis; the
     * padding after it only changes the output size, which the kernels take as arguments.
     */
    static KernelOptions options(Convolution s) {
        KernelOptions o = KernelOptions.forOutput(s)
                .define("KH", s.kh()).define("KW", s.kw()).define("SH", s.strideH()).define("SW", s.strideW())
                .define("PH", s.padTop()).define("PW", s.padLeft()).define("DH", s.dilH()).define("DW", s.dilW())
                .define("CG", s.cPerGroup()).define("KG", s.kPerGroup());
        if (s instanceof DeformConv2d d) {
            o.define("OG", d.offsetGroups()).define("HAS_MASK", d.mask() ? 1 : 0);
        }
        return o;
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
        kernel.arg(a++, orElse(b, Arg.SUM, Arg.WEIGHTS));
        kernel.arg(a++, b.get(Arg.DST));
        kernel.arg(a++, spec.n()).arg(a++, spec.c()).arg(a++, spec.h()).arg(a++, spec.w())
                .arg(a++, spec.k()).arg(a++, spec.outH()).arg(a, spec.outW());
    }

    @Override
    long[] globalSize() {
        return new long[] {roundUp(spec.outW(), local[0]), roundUp(spec.outH(), local[1]), (long) spec.n() * spec.k()};
    }

    @Override
    long[] localSize() {
        return new long[] {local[0], local[1], 1};
    }

    static long roundUp(long v, long m) {
        return (v + m - 1) / m * m;
    }
}
