package dev.convcl.cpu;

import dev.convcl.ChannelCopy;

/** {@code cpu-channel-copy}: one contiguous copy per batch element (the channel range is contiguous in NCHW). */
final class CpuChannelCopy extends CpuOneInputPlan<ChannelCopy> {
    CpuChannelCopy(ChannelCopy op, WorkerPool pool) {
        super("cpu-channel-copy", op, pool);
    }

    @Override
    void run(float[] src, float[] dst) {
        int plane = op.h() * op.w();
        int len = op.count() * plane;
        forRanges(op.n(), Math.max(1, 65536 / len), (from, to) -> {
            for (int n = (int) from; n < to; n++) {
                System.arraycopy(src, (n * op.srcChannels() + op.srcStart()) * plane, dst,
                        (n * op.dstChannels() + op.dstStart()) * plane, len);
            }
        });
    }
}
