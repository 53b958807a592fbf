package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.ChannelCopy;
import java.util.Map;

/** {@code channel_copy.cl}: a channel range of each batch element, one contiguous run, VW elements per work-item. */
final class ChannelCopyPlan extends OpKernelPlan<ChannelCopy> {
    private final int vw;

    ChannelCopyPlan(OpenClContext ctx, ChannelCopy op) {
        this(ctx, op, width(ctx.info(), run(op)));
    }

    /** With vector width {@code vw} (1 to 16, dividing count*H*W; other widths only build, for the build check). */
    ChannelCopyPlan(OpenClContext ctx, ChannelCopy op, int vw) {
        super(ctx, op, "channel_copy.cl", "channel_copy", KernelOptions.of(op.dataType()).define("VW", vw),
                op.n() * run(op) / vw);
        this.vw = vw;
    }

    /** Elements copied per batch element. */
    private static long run(ChannelCopy op) {
        return (long) op.count() * op.h() * op.w();
    }

    @Override
    void setArgs(OpenClKernel k, Map<Arg, DeviceBuffer> b) {
        int plane = spec.h() * spec.w();
        int vectors = (int) (run(spec) / vw);
        k.arg(0, b.get(Arg.SRC)).arg(1, b.get(Arg.DST)).arg(2, spec.srcStart() * plane)
                .arg(3, spec.srcChannels() * plane).arg(4, spec.dstStart() * plane).arg(5, spec.dstChannels() * plane)
                .arg(6, vectors).arg(7, spec.n() * vectors);
    }
}
