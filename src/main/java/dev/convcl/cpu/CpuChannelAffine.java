package dev.convcl.cpu;

import dev.convcl.Arg;
import dev.convcl.ChannelAffine;
import java.util.Map;

/** {@code cpu-channel-affine}: {@code post(x * scale[c] + shift[c])}, planes in parallel, the epilogue through {@link Epilogue}. */
final class CpuChannelAffine extends CpuOpPlan<ChannelAffine> {
    private final Epilogue epilogue;

    CpuChannelAffine(ChannelAffine op, WorkerPool pool, Kernels kernels) {
        super("cpu-channel-affine", op, pool);
        this.epilogue = new Epilogue(false, op.postOps(), kernels);
    }

    @Override
    void run(Map<Arg, float[]> a) {
        float[] x = a.get(Arg.SRC), scale = a.get(Arg.SCALE), shift = a.get(Arg.SHIFT), y = a.get(Arg.DST);
        float[] sum = a.get(Arg.SUM);
        int plane = op.h() * op.w(), c = op.c();
        forRanges((long) op.n() * c, Math.max(1, 16384 / plane), (from, to) -> {
            for (int p = (int) from; p < to; p++) {
                int ch = p % c, off = p * plane;
                float s = scale[ch], t = shift[ch];
                for (int i = off; i < off + plane; i++) {
                    y[i] = x[i] * s + t;
                }
                epilogue.apply(y, off, plane, ch, null, sum);
            }
        });
    }
}
