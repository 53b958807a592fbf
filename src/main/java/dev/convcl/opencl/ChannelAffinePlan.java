package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.ChannelAffine;
import java.util.Map;

/** {@code channel_affine.cl}: {@code post(x * scale[c] + shift[c])}, VW elements of one plane per work-item. */
final class ChannelAffinePlan extends OpKernelPlan<ChannelAffine> {
    ChannelAffinePlan(OpenClContext ctx, ChannelAffine op) {
        this(ctx, op, width(ctx.info(), (long) op.h() * op.w()));
    }

    /** With vector width {@code vw} (1 to 16, dividing H*W; other widths only build, for the build check). */
    ChannelAffinePlan(OpenClContext ctx, ChannelAffine op, int vw) {
        super(ctx, op, "channel_affine.cl", "channel_affine",
                KernelOptions.of(op.dataType()).epilogue(false, op.postOps()).define("VW", vw), op.size() / vw);
    }

    @Override
    void setArgs(OpenClKernel k, Map<Arg, DeviceBuffer> b) {
        k.arg(0, b.get(Arg.SRC)).arg(1, b.get(Arg.SCALE)).arg(2, b.get(Arg.SHIFT)).arg(3, orElse(b, Arg.SUM, Arg.SRC))
                .arg(4, b.get(Arg.DST)).arg(5, spec.c()).arg(6, spec.h() * spec.w()).arg(7, items());
    }
}
