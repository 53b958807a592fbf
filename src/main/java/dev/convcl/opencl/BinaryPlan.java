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
 * splatted along the rows; a work-item computes VW outputs along the last dimension.
 */
final class BinaryPlan extends OpKernelPlan<Binary> {
    /** The collapsed output [O0, O1, O2, O3] and each operand's strides along it (0: broadcast). */
    record Layout(int[] dims, int[] strideA, int[] strideB) {
        long size() {
            return (long) dims[0] * dims[1] * dims[2] * dims[3];
        }
    }

    private final Layout layout;

    BinaryPlan(OpenClContext ctx, Binary op) {
        this(ctx, op, layout(op));
    }

    private BinaryPlan(OpenClContext ctx, Binary op, Layout layout) {
        this(ctx, op, layout, width(ctx.info(), layout.dims()[3]));
    }

    /** With vector width {@code vw} (1 to 16, dividing O3; other widths only build, for the build check). */
    BinaryPlan(OpenClContext ctx, Binary op, Layout l, int vw) {
        super(ctx, op, "binary.cl", "binary", KernelOptions.of(op.dataType()).epilogue(false, op.postOps())
                .define("OP", op.kind().ordinal() + 1).define("VW", vw)
                .define("A_VEC", l.strideA()[3] != 0 ? 1 : 0).define("B_VEC", l.strideB()[3] != 0 ? 1 : 0),
                l.size() / vw);
        this.layout = l;
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
