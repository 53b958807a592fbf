package dev.convcl.cpu;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;
import dev.convcl.spi.CompiledConv;
import java.util.concurrent.ForkJoinPool;

/**
 * Depthwise convolution (groups == C, any channel multiplier): each input plane goes into a
 * {@link PhaseLayout} buffer and each output channel is one {@link Kernels#taps} call over the wide
 * output, whose valid columns are then stored. Padding zeros are multiplied like any value, as in
 * the reference. A task takes a run of planes and reuses its two buffers for all of them (the
 * padding stays zero: every plane fills the same interior), because at 9 taps per output
 * allocating and zeroing them per plane cost as much as the arithmetic.
 */
final class DepthwiseConv implements CompiledConv {
    /** Enough tasks per thread for work stealing to even out a shared machine. */
    private static final int TASKS_PER_THREAD = 8;

    private final ConvSpec spec;
    private final ForkJoinPool pool;
    private final Kernels kernels;
    private final int multiplier;
    private final PhaseLayout layout;
    private final int rows;       // output rows computed per taps call: OH, or 1 wide row
    private final int rowLen;     // columns computed per row, a multiple of the kernels' quantum
    private final int rowStep;    // where the next computed row starts in the phase buffer
    private final int bufferLen;  // phases plus the slack the last row reads past them

    DepthwiseConv(ConvSpec spec, ForkJoinPool pool, Kernels kernels) {
        if (!spec.isDepthwise() || spec.isDeformable()) {
            throw new IllegalArgumentException("depthwise path needs op=conv2d with groups == c: " + spec);
        }
        this.spec = spec;
        this.pool = pool;
        this.kernels = kernels;
        this.multiplier = spec.k() / spec.c();
        this.layout = new PhaseLayout(spec);
        int q = kernels.quantum();
        int oh = spec.outH(), ow = spec.outW();
        int wide = PhaseLayout.ceilDiv(layout.wideLen(), q) * q;
        int perRow = PhaseLayout.ceilDiv(ow, q) * q;
        // Output rows one by one skip the kw-1 dropped columns of each wide row: fewer columns for
        // large kernels on small planes (RepLKNet), more when OW is just above a quantum multiple,
        // and slower when the kernels pay per row.
        if ((long) oh * perRow < wide && perRow >= kernels.minRowLength()) {
            this.rows = oh;
            this.rowLen = perRow;
            this.rowStep = layout.phaseW;
        } else {
            this.rows = 1;
            this.rowLen = wide;
            this.rowStep = 0;
        }
        this.bufferLen = Scratch.length(Math.max(layout.planeLen,
                (long) layout.maxTapOffset + (long) (rows - 1) * rowStep + rowLen), "a depthwise plane buffer", spec);
    }

    @Override
    public String algorithm() {
        return "cpu-depthwise";
    }

    /** The kernels in use, {@code vector} or {@code scalar}. */
    String kernelName() {
        return kernels.name();
    }

    @Override
    public void execute(ConvArgs args) {
        CallData call = CallData.of(spec, args);
        int planes = spec.n() * spec.c();
        int tasks = Math.min(planes, TASKS_PER_THREAD * pool.getParallelism());
        Parallel.forEach(pool, tasks, task -> {
            float[] buf = new float[bufferLen];
            float[] wide = new float[rows * rowLen];
            int end = (int) ((long) (task + 1) * planes / tasks);
            for (int plane = (int) ((long) task * planes / tasks); plane < end; plane++) {
                channel(call, plane / spec.c(), plane % spec.c(), buf, wide);
            }
        });
        call.finish(args);
    }

    private void channel(CallData call, int n, int c, float[] buf, float[] wide) {
        layout.fill(call.in(), (n * spec.c() + c) * spec.h() * spec.w(), buf, 0);
        int kk = spec.kh() * spec.kw(), oh = spec.outH(), ow = spec.outW(), phaseW = layout.phaseW;
        for (int j = 0; j < multiplier; j++) {
            int k = c * multiplier + j;
            kernels.taps(rows, rowLen, rowStep, call.wt(), k * kk, layout.tapOffsets, kk, buf, 0, wide, 0);
            int dst = (n * spec.k() + k) * oh * ow;
            int srcStep = rows == 1 ? phaseW : rowLen;
            for (int y = 0; y < oh; y++) {
                call.store(wide, y * srcStep, dst + y * ow, ow, k, spec.relu());
            }
        }
    }

    @Override
    public void close() {
        // nothing held between calls
    }
}
