package dev.convcl.cpu;

import dev.convcl.Arg;
import dev.convcl.Binary;
import java.util.Map;

/**
 * {@code cpu-binary}: element-wise arithmetic with broadcasting. Shapes are padded to rank 4 on the
 * left and their dimensions coalesced (see the constructor); the result is walked as rows of the
 * innermost run, each read from {@code a} and {@code b} with step 1 or 0 (broadcast) by
 * {@link Kernels#binaryRow}, in pieces of at most {@value #PIECE} values so that a row the size of
 * the whole tensor (a residual add of two contiguous tensors) is still shared among the threads;
 * the epilogue through {@link Epilogue}.
 */
final class CpuBinary extends CpuOpPlan<Binary> {
    /** The most values of a row one task runs at a time (a multiple of every vector length). */
    static final int PIECE = 4096;
    private final Epilogue epilogue;
    private final Kernels kernels;
    private final int[] out;
    private final int[] strideA;
    private final int[] strideB;

    CpuBinary(Binary op, WorkerPool pool, Kernels kernels) {
        super("cpu-binary", op, pool);
        this.epilogue = new Epilogue(false, op.postOps(), kernels);
        this.kernels = kernels;
        int[] o = pad4(op.outputShape()), sa = strides(pad4(op.a())), sb = strides(pad4(op.b()));
        // Coalesce dimensions from the inside out: d merges into the inner run when each operand
        // steps across d as across the whole run (contiguous, or broadcast in both), so a
        // per-channel scale of [N,C,H,W] by [N,C,1,1] runs rows of H*W, not of W (7 to 56 in
        // MobileNetV3's squeeze-and-excitation, shorter than or not a multiple of a vector).
        this.out = new int[] {1, 1, 1, 1};
        this.strideA = new int[4];
        this.strideB = new int[4];
        int top = 3;
        for (int d = 3; d >= 0; d--) {
            if (o[d] == 1) {
                continue;
            }
            if (out[top] == 1) {
                out[top] = o[d];
                strideA[top] = sa[d];
                strideB[top] = sb[d];
            } else if (sa[d] == strideA[top] * out[top] && sb[d] == strideB[top] * out[top]) {
                out[top] *= o[d];
            } else {
                top--;
                out[top] = o[d];
                strideA[top] = sa[d];
                strideB[top] = sb[d];
            }
        }
    }

    private static int[] pad4(int[] s) {
        int[] p = {1, 1, 1, 1};
        System.arraycopy(s, 0, p, 4 - s.length, s.length);
        return p;
    }

    /** Row-major strides, 0 for a dimension of size 1 (broadcast). */
    private static int[] strides(int[] s) {
        int[] st = new int[4];
        int stride = 1;
        for (int d = 3; d >= 0; d--) {
            st[d] = s[d] == 1 ? 0 : stride;
            stride *= s[d];
        }
        return st;
    }

    @Override
    void run(Map<Arg, float[]> args) {
        float[] a = args.get(Arg.SRC), b = args.get(Arg.OTHER), y = args.get(Arg.DST), sum = args.get(Arg.SUM);
        int len = out[3], piece = Math.min(len, PIECE), perRow = (len + piece - 1) / piece;
        long items = (long) out[0] * out[1] * out[2] * perRow;
        Binary.Kind kind = op.kind();
        forRanges(items, Math.max(1, 16384 / piece), (from, to) -> {
            for (long item = from; item < to; item++) {
                int r = (int) (item / perRow), c0 = (int) (item % perRow) * piece, n = Math.min(piece, len - c0);
                int i2 = r % out[2], i1 = (r / out[2]) % out[1], i0 = r / (out[2] * out[1]);
                int ia = i0 * strideA[0] + i1 * strideA[1] + i2 * strideA[2] + c0 * strideA[3];
                int ib = i0 * strideB[0] + i1 * strideB[1] + i2 * strideB[2] + c0 * strideB[3];
                int dst = r * len + c0;
                kernels.binaryRow(kind, a, ia, strideA[3], b, ib, strideB[3], y, dst, n);
                epilogue.apply(y, dst, n, 0, null, sum);
            }
        });
    }
}
