package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.ChannelShuffle;
import java.util.Map;

/** {@code channel_shuffle.cl}: each output plane from its source channel, VW elements per work-item. */
final class ChannelShufflePlan extends OpKernelPlan<ChannelShuffle> {
    ChannelShufflePlan(OpenClContext ctx, ChannelShuffle op) {
        this(ctx, op, width(ctx.info(), (long) op.h() * op.w()));
    }

    /** With vector width {@code vw} (1 to 16, dividing H*W; other widths only build, for the build check). */
    ChannelShufflePlan(OpenClContext ctx, ChannelShuffle op, int vw) {
        super(ctx, op, "channel_shuffle.cl", "channel_shuffle",
                KernelOptions.of(op.dataType()).define("VW", vw).define("G", op.groups()), size(op) / vw);
    }

    private static long size(ChannelShuffle op) {
        return (long) op.n() * op.c() * op.h() * op.w();
    }

    @Override
    void setArgs(OpenClKernel k, Map<Arg, DeviceBuffer> b) {
        k.arg(0, b.get(Arg.SRC)).arg(1, b.get(Arg.DST)).arg(2, spec.c()).arg(3, spec.h() * spec.w()).arg(4, items());
    }
}
