package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.Pool2d;
import dev.convcl.Window2d;
import java.util.Map;

/**
 * {@code pool2d.cl}: max and average pooling (global average pooling included), a run of
 * {@link #run outputs along a row} per work-item.
 */
final class Pool2dPlan extends OpKernelPlan<Pool2d> {
    /** Outputs a work-item computes along a row on a CPU-like device; see pool2d.cl's XR. */
    static final int CPU_RUN = 16;

    Pool2dPlan(OpenClContext ctx, Pool2d op) {
        this(ctx, op, run(ctx.info(), op));
    }

    /** A plan whose work-items compute {@code run} outputs along a row (1 to the row), whatever the device. */
    Pool2dPlan(OpenClContext ctx, Pool2d op, int run) {
        super(ctx, op, "pool2d.cl", "pool2d", options(op, checkRun(op, run)),
                (long) op.n() * op.c() * op.outH() * ((op.outW() + run - 1) / run));
    }

    private static int checkRun(Pool2d op, int run) {
        if (run < 1 || run > op.outW()) {
            throw new IllegalArgumentException("run " + run + " must be 1 to the output row's " + op.outW());
        }
        return run;
    }

    /**
     * Outputs per work-item along a row: on a CPU-like device one vector of its native width (16
     * with AVX-512, 8 with AVX2) when the row holds one, else {@link #CPU_RUN} (at most the row):
     * starting a work-item costs more there than a window; 1 on a GPU, whose neighbouring
     * work-items must read neighbouring addresses.
     */
    static int run(OpenClDeviceInfo device, Pool2d op) {
        if (!DeviceProfile.of(device).cpuLike()) {
            return 1;
        }
        int vw = GemmDefaults.nativeWidth(device);
        return vw >= 4 && vw <= op.outW() ? vw : Math.min(CPU_RUN, op.outW());
    }

    /** The vector width of runs of {@code run} outputs: the run itself when it is 4, 8 or 16, else 1 (scalar). */
    static int vectorWidth(int run) {
        return run == 4 || run == 8 || run == 16 ? run : 1;
    }

    static KernelOptions options(Pool2d op, int run) {
        Window2d w = op.window();
        return KernelOptions.of(op.dataType()).define("POOL_MAX", op.kind() == Pool2d.Kind.MAX ? 1 : 0)
                .define("COUNT_INCLUDE_PAD", op.countIncludePad() ? 1 : 0).define("KH", w.kh()).define("KW", w.kw())
                .define("SH", w.strideH()).define("SW", w.strideW()).define("PH", w.padTop()).define("PW", w.padLeft())
                .define("PH_END", w.padBottom()).define("PW_END", w.padRight()).define("DH", w.dilH())
                .define("DW", w.dilW()).define("IN_H", op.h()).define("IN_W", op.w())
                .define("OUT_H", op.outH()).define("OUT_W", op.outW()).define("XR", run)
                .define("VW", vectorWidth(run));
    }

    @Override
    void setArgs(OpenClKernel k, Map<Arg, DeviceBuffer> b) {
        k.arg(0, b.get(Arg.SRC)).arg(1, b.get(Arg.DST)).arg(2, items());
    }
}
