package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.Binary;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code binary.cl}: {@code post(a OP b)} with numpy broadcasting. The output's shape is collapsed
 * to four dimensions in which each operand is read or broadcast as a whole (dimensions of size 1
 * dropped, neighbours that both operands treat alike merged), so a same-shape add is one run and
 * the squeeze-excitation scale {@code [N, C, H, W] * [N, C, 1, 1]} is {@code [N*C, H*W]} with b
 * splatted along the rows; a work-item computes a {@link #run run of outputs} along the last
 * dimension, in vectors of VW and then one by one.
 */
final class BinaryPlan extends OpKernelPlan<Binary> {
    /**
     * Outputs a work-item computes along a row on a CPU-like device, at most: a work-item's start
     * and its row's unravelling cost more than a vector there (POCL: MobileNetV3's SE scale of
     * 1x576x7x7, rows of 49, took 0.19 ms with a work-item per output).
     */
    static final int CPU_RUN = 64;

    /** The collapsed output [O0, O1, O2, O3] and each operand's strides along it (0: broadcast). */
    record Layout(int[] dims, int[] strideA, int[] strideB) {
        long size() {
            return (long) dims[0] * dims[1] * dims[2] * dims[3];
        }

        long rows() {
            return (long) dims[0] * dims[1] * dims[2];
        }
    }

    private final Layout layout;

    BinaryPlan(OpenClContext ctx, Binary op) {
        this(ctx, op, layout(op));
    }

    private BinaryPlan(OpenClContext ctx, Binary op, Layout l) {
        this(ctx, op, l, vectorWidth(ctx.info(), l.dims()[3]), run(ctx.info(), l.dims()[3]));
    }

    /**
     * With vectors of {@code vw} (1, 2, 4, 8 or 16; other widths only build, for the build check)
     * and runs of {@code run} outputs a work-item (1 to the collapsed row O3), whatever the device.
     *
     * @throws IllegalArgumentException if {@code run} is outside 1 to O3
     */
    BinaryPlan(OpenClContext ctx, Binary op, Layout l, int vw, int run) {
        super(ctx, op, "binary.cl", "binary", KernelOptions.of(op.dataType()).epilogue(false, op.postOps())
                .define("OP", op.kind().ordinal() + 1).define("VW", vw).define("RUN", checkRun(l, run))
                .define("A_VEC", l.strideA()[3] != 0 ? 1 : 0).define("B_VEC", l.strideB()[3] != 0 ? 1 : 0),
                l.rows() * ((l.dims()[3] + run - 1) / run));
        this.layout = l;
    }

    private static int checkRun(Layout l, int run) {
        if (run < 1 || run > l.dims()[3]) {
            throw new IllegalArgumentException("run " + run + " must be 1 to the collapsed row's " + l.dims()[3]);
        }
        return run;
    }

    /**
     * The vector width for rows of {@code row} outputs: on a CPU-like device the native width,
     * halved while it exceeds the {@link #run run} (the run's last outputs go one by one); on a GPU
     * the native width halved until it divides the row, a work-item's run being one vector.
     */
    static int vectorWidth(OpenClDeviceInfo device, int row) {
        if (!DeviceProfile.of(device).cpuLike()) {
            return width(device, row);
        }
        int w = GemmDefaults.nativeWidth(device);
        int run = run(device, row);
        while (w > 1 && w > run) {
            w /= 2;
        }
        return w;
    }

    /**
     * Outputs per work-item along a row of {@code row}: on a CPU-like device the row split into
     * the fewest runs of at most {@link #CPU_RUN}, each rounded up to whole vectors (rows of 196:
     * runs of 64, 64, 64 and 4 with 16-float vectors); on a GPU one vector.
     */
    static int run(OpenClDeviceInfo device, int row) {
        if (!DeviceProfile.of(device).cpuLike()) {
            return width(device, row);
        }
        int w = GemmDefaults.nativeWidth(device);
        int runs = (row + CPU_RUN - 1) / CPU_RUN;
        int even = (row + runs - 1) / runs;
        return Math.min(row, (even + w - 1) / w * w);
    }

    /** The collapsed layout of {@code op} (see the class comment). */
    static Layout layout(Binary op) {
        int[] out = op.outputShape();
        int rank = out.length;
        int[] a = padded(op.a(), rank);
        int[] b = padded(op.b(), rank);
        List<int[]> dims = new ArrayList<>(); // {size, a broadcast, b broadcast}
        for (int d = 0; d < rank; d++) {
            if (out[d] == 1) {
                continue;
            }
            int ab = a[d] == 1 ? 1 : 0;
            int bb = b[d] == 1 ? 1 : 0;
            int[] last = dims.isEmpty() ? null : dims.get(dims.size() - 1);
            if (last != null && last[1] == ab && last[2] == bb) {
                last[0] *= out[d];
            } else {
                dims.add(new int[] {out[d], ab, bb});
            }
        }
        while (dims.size() < 4) {
            dims.add(0, new int[] {1, 0, 0});
        }
        int[] size = new int[4];
        int[] sa = new int[4];
        int[] sb = new int[4];
        int strideA = 1;
        int strideB = 1;
        for (int d = 3; d >= 0; d--) {
            int[] x = dims.get(d);
            size[d] = x[0];
            sa[d] = x[1] == 1 ? 0 : strideA;
            sb[d] = x[2] == 1 ? 0 : strideB;
            strideA *= x[1] == 1 ? 1 : x[0];
            strideB *= x[2] == 1 ? 1 : x[0];
        }
        return new Layout(size, sa, sb);
    }

    private static int[] padded(int[] s, int rank) {
        int[] p = new int[rank];
        java.util.Arrays.fill(p, 1);
        System.arraycopy(s, 0, p, rank - s.length, s.length);
        return p;
    }

    @Override
    void setArgs(OpenClKernel k, Map<Arg, DeviceBuffer> b) {
        int[] o = layout.dims();
        int[] sa = layout.strideA();
        int[] sb = layout.strideB();
        k.arg(0, b.get(Arg.SRC)).arg(1, b.get(Arg.OTHER)).arg(2, orElse(b, Arg.SUM, Arg.SRC)).arg(3, b.get(Arg.DST))
                .arg(4, o[1]).arg(5, o[2]).arg(6, o[3]).arg(7, sa[0]).arg(8, sa[1]).arg(9, sa[2]).arg(10, sb[0])
                .arg(11, sb[1]).arg(12, sb[2]).arg(13, items());
    }
}
