package dev.convcl.cpu;

import dev.convcl.ChannelShuffle;

/** {@code cpu-channel-shuffle}: one plane copy per output channel, planes in parallel. */
final class CpuChannelShuffle extends CpuOneInputPlan<ChannelShuffle> {
    CpuChannelShuffle(ChannelShuffle op, WorkerPool pool) {
        super("cpu-channel-shuffle", op, pool);
    }

    @Override
    void run(float[] x, float[] y) {
        int plane = op.h() * op.w(), c = op.c();
        forRanges((long) op.n() * c, Math.max(1, 65536 / plane), (from, to) -> {
            for (int p = (int) from; p < to; p++) {
                int n = p / c, o = p % c;
                System.arraycopy(x, (n * c + op.sourceChannel(o)) * plane, y, p * plane, plane);
            }
        });
    }
}
