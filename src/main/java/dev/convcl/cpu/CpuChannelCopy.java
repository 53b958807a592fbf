package dev.convcl.cpu;

import dev.convcl.ChannelCopy;

/**
 * {@code cpu-channel-copy}: one contiguous copy per batch element (the channel range is contiguous in
 * NCHW), or one per channel plane when the destination channels are {@code dstStep} apart.
 */
final class CpuChannelCopy extends CpuOneInputPlan<ChannelCopy> {
    CpuChannelCopy(ChannelCopy op, WorkerPool pool) {
        super("cpu-channel-copy", op, pool);
    }

    @Override
    void run(float[] src, float[] dst) {
        int plane = op.h() * op.w();
        int len = op.count() * plane;
        int step = op.dstStep();
        forRanges(op.n(), Math.max(1, 65536 / len), (from, to) -> {
            for (int n = (int) from; n < to; n++) {
                int s = (n * op.srcChannels() + op.srcStart()) * plane;
                int d = (n * op.dstChannels() + op.dstStart()) * plane;
                if (step == 1) {
                    System.arraycopy(src, s, dst, d, len);
                } else {
                    for (int i = 0; i < op.count(); i++) {
                        System.arraycopy(src, s + i * plane, dst, d + i * step * plane, plane);
                    }
                }
            }
        });
    }
}
