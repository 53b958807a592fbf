package dev.convcl;

import java.util.Arrays;
import java.util.List;

/** Shape rules and the shape field of the one-line form, shared by the element-wise and layout operations. */
final class ShapeRules {
    /** The highest rank the element-wise operations take. */
    static final int MAX_RANK = 4;

    private ShapeRules() {
    }

    static void notNull(PostOps postOps, DataType dataType, Direction direction) {
        if (postOps == null || dataType == null || direction == null) {
            throw new IllegalArgumentException("postOps, dataType and direction must not be null");
        }
    }

    /** The arguments of a one-input, one-output operation: {@link Arg#SRC}, then {@link Arg#DST}. */
    static List<ArgSpec> srcDst(int[] in, String inLayout, int[] out, String outLayout) {
        return List.of(new ArgSpec(Arg.SRC, in, inLayout), new ArgSpec(Arg.DST, out, outLayout));
    }

    /** Checks a shape of rank 1 to {@value #MAX_RANK}, every dimension at least 1, under 2^31 elements. */
    static int[] checked(String field, int[] shape) {
        if (shape == null || shape.length == 0 || shape.length > MAX_RANK) {
            throw new IllegalArgumentException(field + "=" + (shape == null ? "null" : Arrays.toString(shape))
                    + " must have rank 1 to " + MAX_RANK);
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 1) {
                throw new IllegalArgumentException(field + "=" + Arrays.toString(shape) + " has dimension " + i + " = "
                        + shape[i] + "; every dimension must be at least 1");
            }
        }
        OneLine.fits(field + "=" + Arrays.toString(shape), shape);
        return shape.clone();
    }

    /** The element count of a shape: the product of its dimensions, as a long. */
    static long size(int[] shape) {
        long s = 1;
        for (int d : shape) {
            s *= d;
        }
        return s;
    }

    /**
     * NumPy's broadcasting of {@code a} and {@code b} (trailing dimensions aligned; each pair equal
     * or one of them 1).
     *
     * @throws IllegalArgumentException naming both shapes and the first dimension that differs
     */
    static int[] broadcast(String aName, int[] a, String bName, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 1; i <= rank; i++) {
            int da = i <= a.length ? a[a.length - i] : 1;
            int db = i <= b.length ? b[b.length - i] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(aName + " " + Arrays.toString(a) + " and " + bName + " "
                        + Arrays.toString(b) + " do not broadcast: dimension " + (rank - i) + " of the result is " + da
                        + " in " + aName + " and " + db + " in " + bName + "; they must be equal or one of them 1");
            }
            out[rank - i] = Math.max(da, db);
        }
        return out;
    }

    /** {@code 1,64,56,56}. */
    static String format(int[] shape) {
        StringBuilder sb = new StringBuilder();
        for (int d : shape) {
            sb.append(sb.length() == 0 ? "" : ",").append(d);
        }
        return sb.toString();
    }

    /** Reads {@link #format}'s form. */
    static int[] parse(String field, String v) {
        String[] parts = v.split(",", -1);
        int[] s = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            s[i] = OneLine.parseInt(field, parts[i]);
        }
        return s;
    }
}
