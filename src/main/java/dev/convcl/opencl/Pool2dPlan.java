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
        this(ctx, op, run(ctx.info(), op), vectorWidth(ctx.info(), op));
    }

    /**
     * A plan whose work-items compute {@code run} outputs along a row (1 to the row) in vectors of
     * {@code vw}, whatever the device: {@code vw} 1, or 4, 8 or 16 with {@code run == vw} or with
     * whole rows ({@code run} the row) at stride 1 or 2; a global average pool ({@link #sumsPlanes})
     * sums each plane in vectors of {@code vw} 1, 2, 4, 8 or 16 ({@code run} 1, its output row).
     */
    Pool2dPlan(OpenClContext ctx, Pool2d op, int run, int vw) {
        super(ctx, op, "pool2d.cl", "pool2d", options(op, checkRun(op, run, vw), vw),
                (long) op.n() * op.c() * op.outH() * ((op.outW() + run - 1) / run));
    }

    private static int checkRun(Pool2d op, int run, int vw) {
        if (run < 1 || run > op.outW()) {
            throw new IllegalArgumentException("run " + run + " must be 1 to the output row's " + op.outW());
        }
        if (sumsPlanes(op)) {
            if (!planeWidth(vw)) {
                throw new IllegalArgumentException("a global average pool sums its planes in vectors of 1, 2, 4, 8 or 16,"
                        + " not " + vw);
            }
            return run;
        }
        if (vw != 1 && !((vw == 4 || vw == 8 || vw == 16) && (run == vw || wholeRows(op, run) && run >= vw))) {
            throw new IllegalArgumentException("vectors of " + vw + " need runs of one vector or whole rows at stride 1"
                    + " or 2, not runs of " + run + " at stride " + op.window().strideW());
        }
        return run;
    }

    /**
     * Outputs per work-item along a row: on a CPU-like device whole rows at stride 1 or 2 when a
     * row holds a vector of at least 4 ({@link #vectorWidth}), else {@link #CPU_RUN} (at most the row):
     * starting a work-item costs more there than a window; 1 on a GPU, whose neighbouring
     * work-items must read neighbouring addresses.
     */
    static int run(OpenClDeviceInfo device, Pool2d op) {
        if (!DeviceProfile.of(device).cpuLike()) {
            return 1;
        }
        return vectorWidth(device, op) > 1 ? op.outW() : Math.min(CPU_RUN, op.outW());
    }

    /**
     * The vector width of a CPU-like device's whole rows at stride 1 or 2: the widest of its native
     * float width (16 with AVX-512, 8 with AVX2) and its halves down to 4 for which the row has a
     * vector whose every tap lies inside the input row ({@link #directRows}), so that no row is
     * staged in private memory; where none has, the native width halved while wider than the output
     * row (the staged form). 1 (scalar runs) on other devices, at larger strides or below 4
     * outputs a row. A global average pool's plane sums: the native width on a CPU-like device, 1 on
     * others.
     *
     * <p>Why the staged form only as a last resort: its taps are vector loads at every offset of a
     * row just written in pieces, which the core cannot forward from the stores and waits for
     * (POCL on a Zen 5: half the samples of Inception-v3's 768x17x17 3x3 average pool on that one
     * load). In vectors of 8 the direct form took 0.16-0.17 ms there against 0.36-0.40 staged in
     * vectors of 16, and 0.055-0.065 against 0.10-0.12 ms for its 17-to-8 3x3/2 max pool.
     */
    static int vectorWidth(OpenClDeviceInfo device, Pool2d op) {
        int vw = GemmDefaults.nativeWidth(device);
        if (sumsPlanes(op)) {
            return DeviceProfile.of(device).cpuLike() && planeWidth(vw) ? vw : 1;
        }
        if (!DeviceProfile.of(device).cpuLike() || op.window().strideW() > 2 || !(vw == 4 || vw == 8 || vw == 16)) {
            return 1;
        }
        while (vw > 4 && vw > op.outW()) {
            vw /= 2;
        }
        for (int w = vw; w >= 4; w /= 2) {
            if (directRows(op, w)) {
                return w;
            }
        }
        return op.outW() >= vw ? vw : 1;
    }

    /**
     * Whether whole rows in vectors of {@code vw} have a vector whose every tap lies inside the
     * input row, so the kernel takes the direct form, not the staged one (pool2d.cl's STAGED_ROWS,
     * the same test): a first such vector at output {@code lo} (right of the left padding) and a
     * last at or after it, at most {@code outW - vw}.
     */
    static boolean directRows(Pool2d op, int vw) {
        Window2d w = op.window();
        int sw = w.strideW();
        int lo = (w.padLeft() + sw - 1) / sw;
        int reach = op.w() - 1 - (sw == 1 ? vw - 1 : 2 * vw - 1) + w.padLeft() - (w.kw() - 1) * w.dilW();
        return op.outW() >= vw && reach >= 0 && reach / sw >= lo && op.outW() - vw >= lo;
    }

    /**
     * Whether a work-item sums a whole plane ({@code PLANE} in pool2d.cl): global average pooling
     * (an unpadded window of the whole plane; the divisor is the plane's size either way), on any
     * device, a plane's inputs read in order in vectors of {@link #vectorWidth}.
     */
    static boolean sumsPlanes(Pool2d op) {
        return op.kind() == Pool2d.Kind.AVG && op.isGlobal();
    }

    /** Whether the plane sums take vectors of {@code vw}: 1, 2, 4, 8 or 16 (the prelude's realv). */
    private static boolean planeWidth(int vw) {
        return vw == 1 || vw == 2 || vw == 4 || vw == 8 || vw == 16;
    }

    static KernelOptions options(Pool2d op, int run, int vw) {
        Window2d w = op.window();
        return KernelOptions.of(op.dataType()).define("POOL_MAX", op.kind() == Pool2d.Kind.MAX ? 1 : 0)
                .define("COUNT_INCLUDE_PAD", op.countIncludePad() ? 1 : 0).define("KH", w.kh()).define("KW", w.kw())
                .define("SH", w.strideH()).define("SW", w.strideW()).define("PH", w.padTop()).define("PW", w.padLeft())
                .define("PH_END", w.padBottom()).define("PW_END", w.padRight()).define("DH", w.dilH())
                .define("DW", w.dilW()).define("IN_H", op.h()).define("IN_W", op.w())
                .define("OUT_H", op.outH()).define("OUT_W", op.outW()).define("XR", run).define("VW", vw)
                .define("PLANE", sumsPlanes(op) ? 1 : 0)
                .define("HOST_DIRECT_ROWS", wholeRowVectors(op, run, vw) ? (directRows(op, vw) ? 1 : 0) : -1);
    }

    /** Whether runs of {@code run} are whole rows at stride 1 or 2 (pool2d.cl's WHOLE_ROWS). */
    private static boolean wholeRows(Pool2d op, int run) {
        return run == op.outW() && op.window().strideW() <= 2;
    }

    /** Whether {@code run} and {@code vw} make whole rows in vectors (WHOLE_ROWS with VW > 1, not PLANE). */
    private static boolean wholeRowVectors(Pool2d op, int run, int vw) {
        return !sumsPlanes(op) && vw > 1 && wholeRows(op, run);
    }

    @Override
    void setArgs(OpenClKernel k, Map<Arg, DeviceBuffer> b) {
        k.arg(0, b.get(Arg.SRC)).arg(1, b.get(Arg.DST)).arg(2, items());
    }
}
