package dev.convcl.cpu;

import dev.convcl.Pad2d;
import java.util.Arrays;

/** {@code cpu-pad2d}: each output plane filled with the value around row copies of the input, planes in parallel. */
final class CpuPad2d extends CpuOneInputPlan<Pad2d> {
    CpuPad2d(Pad2d op, WorkerPool pool) {
        super("cpu-pad2d", op, pool);
    }

    @Override
    void run(float[] x, float[] y) {
        int h = op.h(), w = op.w(), oh = op.outH(), ow = op.outW(), top = op.top(), left = op.left();
        float v = op.value();
        forRanges((long) op.n() * op.c(), Math.max(1, 65536 / (oh * ow)), (from, to) -> {
            for (int p = (int) from; p < to; p++) {
                int out = p * oh * ow;
                Arrays.fill(y, out, out + top * ow, v);
                for (int i = 0; i < h; i++) {
                    int row = out + (top + i) * ow;
                    Arrays.fill(y, row, row + left, v);
                    System.arraycopy(x, (p * h + i) * w, y, row + left, w);
                    Arrays.fill(y, row + left + w, row + ow, v);
                }
                Arrays.fill(y, out + (top + h) * ow, out + oh * ow, v);
            }
        });
    }
}
