package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.RoiAlign;
import java.util.Map;

/**
 * {@code roi-align}: the kernel {@code roi_align.cl} for roi_align, ps_roi_align and
 * deform_roi_pool, one work-item per output element. It allocates nothing: a call's memory is
 * its tensors, whatever the number of RoIs. The RoI values were checked on the host by the plan
 * ({@link RoiAlign#checkRois}) before this enqueues.
 */
final class RoiAlignPlan extends KernelPrimitive<RoiAlign> {
    static final long LOCAL = 64;

    RoiAlignPlan(OpenClContext ctx, RoiAlign op) {
        super(ctx, op, ctx.programs().kernel("roi_align.cl", options(op).toString(), "roi_align"));
    }

    /** The build options: element type, KIND, SHIFTED, HAS_OFFSET, HAS_MASK (see roi_align.cl). */
    static KernelOptions options(RoiAlign op) {
        return KernelOptions.of(op.dataType()).define("KIND", op.kind().ordinal())
                .define("SHIFTED", op.pixelShift() != 0f ? 1 : 0)
                .define("HAS_OFFSET", op.offset() ? 1 : 0).define("HAS_MASK", op.mask() ? 1 : 0);
    }

    @Override
    public String algorithm() {
        return "roi-align";
    }

    @Override
    void setArgs(OpenClKernel kernel, Map<Arg, DeviceBuffer> b) {
        int a = 0;
        kernel.arg(a++, b.get(Arg.SRC)).arg(a++, b.get(Arg.ROIS)).arg(a++, orElse(b, Arg.OFFSET, Arg.ROIS))
                .arg(a++, orElse(b, Arg.MASK, Arg.ROIS)).arg(a++, b.get(Arg.DST));
        kernel.arg(a++, spec.n()).arg(a++, spec.c()).arg(a++, spec.h()).arg(a++, spec.w()).arg(a++, spec.rois())
                .arg(a++, spec.outC()).arg(a++, spec.outH()).arg(a++, spec.outW()).arg(a++, spec.spatialScale())
                .arg(a++, spec.samplingRatio()).arg(a, spec.gamma());
    }

    @Override
    long[] globalSize() {
        return new long[] {DirectConvPlan.roundUp((long) spec.rois() * spec.outC() * spec.outH() * spec.outW(), LOCAL)};
    }

    @Override
    long[] localSize() {
        return new long[] {LOCAL};
    }
}
