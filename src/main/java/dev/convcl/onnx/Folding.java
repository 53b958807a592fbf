package dev.convcl.onnx;

import java.util.Arrays;
import java.util.List;

/**
 * Constant folding: the operators PyTorch's exporter uses for shape arithmetic (Shape, Gather,
 * Unsqueeze, Squeeze, Concat, Cast, Reshape, Slice, Transpose, ConstantOfShape and element-wise
 * arithmetic) evaluated on {@link ConstTensor}s. Every result's size is checked and counted against
 * the constants' cap before it is allocated ({@link Alloc}).
 */
final class Folding {

    /** Checks and counts a result of {@code count} elements before it is allocated. */
    interface Alloc {
        void reserve(long count, boolean isFloat);
    }

    private Folding() {
    }

    /** {@code d0 * d1 * ...}, or a {@link Problem} past the most one tensor may hold. */
    static long checkedCount(long[] dims) {
        long p = 1;
        boolean empty = false;
        for (long d : dims) {
            if (d < 0) {
                throw new Problem("dimensions " + Arrays.toString(dims) + " hold a negative value");
            }
            if (d == 0) {
                empty = true;
            } else if (!empty) {
                if (p > TensorReader.MAX_ELEMENTS / d) {
                    throw new Problem("dimensions " + Arrays.toString(dims) + " hold more than " + TensorReader.MAX_ELEMENTS
                            + " elements");
                }
                p *= d;
            }
        }
        return empty ? 0 : p;
    }

    /** {@code dims[from] * ... * dims[to - 1]}; 1 when {@code from >= to}. */
    private static long product(long[] dims, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            p *= dims[i];
        }
        return p;
    }

    /**
     * A result constant of dimensions {@code dims} written front to back, element by element or from
     * runs of elements of constants of its element kind (float or integer); counted against the
     * cap when made.
     */
    private static final class Assembly {
        private final long[] dims;
        private final float[] f;
        private final long[] l;
        private int pos;

        Assembly(long[] dims, boolean isFloat, Alloc alloc) {
            long count = checkedCount(dims);
            alloc.reserve(count, isFloat);
            this.dims = dims;
            this.f = isFloat ? new float[(int) count] : null;
            this.l = isFloat ? null : new long[(int) count];
        }

        /** Appends {@code len} elements of {@code src} from its flat index {@code from}. */
        void append(ConstTensor src, int from, int len) {
            if (f != null) {
                System.arraycopy(src.f, from, f, pos, len);
            } else {
                System.arraycopy(src.l, from, l, pos, len);
            }
            pos += len;
        }

        /** Appends one float element. */
        void append(float v) {
            f[pos++] = v;
        }

        /** Appends one integer element. */
        void append(long v) {
            l[pos++] = v;
        }

        ConstTensor result() {
            return f != null ? ConstTensor.floats(dims, f) : ConstTensor.longs(dims, l);
        }
    }

    /** Normalises an axis in [-rank, rank) to [0, rank). */
    static int axis(long axis, int rank, String what) {
        if (axis < -rank || axis >= rank) {
            throw new Problem(what + " " + axis + " is outside [" + -rank + ", " + (rank - 1) + "] for rank " + rank);
        }
        return (int) (axis < 0 ? axis + rank : axis);
    }

    /** NumPy broadcasting of two shapes, or a {@link Problem}. */
    static long[] broadcast(long[] a, long[] b) {
        int r = Math.max(a.length, b.length);
        long[] out = new long[r];
        for (int i = 0; i < r; i++) {
            long x = i < r - a.length ? 1 : a[i - (r - a.length)];
            long y = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (x != y && x != 1 && y != 1) {
                throw new Problem("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            }
            out[i] = x == 1 ? y : x;
        }
        return out;
    }

    /** {@code dims} with leading 1s up to {@code rank}. */
    static long[] align(long[] dims, int rank) {
        long[] out = new long[rank];
        Arrays.fill(out, 1);
        System.arraycopy(dims, 0, out, rank - dims.length, dims.length);
        return out;
    }

    static ConstTensor binary(String op, ConstTensor a, ConstTensor b, Alloc alloc) {
        long[] dims = broadcast(a.dims, b.dims);
        boolean fl = a.isFloat() || b.isFloat();
        if (a.isFloat() != b.isFloat()) {
            throw new Problem(op + " of " + a.describe() + " and " + b.describe() + " mixes element types");
        }
        Assembly out = new Assembly(dims, fl, alloc);
        int[] ia = indexMap(a.dims, dims);
        int[] ib = indexMap(b.dims, dims);
        for (int i = 0; i < ia.length; i++) {
            if (fl) {
                out.append(arithmetic(op, a.f[ia[i]], b.f[ib[i]]));
            } else {
                out.append(arithmetic(op, a.l[ia[i]], b.l[ib[i]]));
            }
        }
        return out.result();
    }

    /** {@code x op y} in float32, op one of Add, Sub, Mul, Div. */
    private static float arithmetic(String op, float x, float y) {
        return switch (op) {
            case "Add" -> x + y;
            case "Sub" -> x - y;
            case "Mul" -> x * y;
            default -> x / y;
        };
    }

    /** {@code x op y} in int64 (Div truncates; by zero is a {@link Problem}), op one of Add, Sub, Mul, Div. */
    private static long arithmetic(String op, long x, long y) {
        return switch (op) {
            case "Add" -> x + y;
            case "Sub" -> x - y;
            case "Mul" -> x * y;
            default -> {
                if (y == 0) {
                    throw new Problem("integer division by zero while folding constants");
                }
                yield x / y;
            }
        };
    }

    /** For each element of {@code out}, the index of the element of a tensor of {@code dims} broadcast to it. */
    private static int[] indexMap(long[] dims, long[] out) {
        int n = (int) checkedCount(out);
        int[] map = new int[n];
        long[] d = align(dims, out.length);
        int r = out.length;
        long[] strides = new long[r];
        long s = 1;
        for (int i = r - 1; i >= 0; i--) {
            strides[i] = d[i] == 1 ? 0 : s;
            s *= d[i];
        }
        long[] idx = new long[r];
        for (int i = 0; i < n; i++) {
            long off = 0;
            for (int k = 0; k < r; k++) {
                off += idx[k] * strides[k];
            }
            map[i] = (int) off;
            for (int k = r - 1; k >= 0; k--) {
                if (++idx[k] < out[k]) {
                    break;
                }
                idx[k] = 0;
            }
        }
        return map;
    }

    /**
     * Reshape's target: 0 copies the input's dimension (unless {@code allowzero}), one -1 is inferred.
     */
    static long[] reshapeTarget(long[] in, long[] spec, boolean allowzero) {
        long[] out = spec.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == -1) {
                if (infer >= 0) {
                    throw new Problem("shape " + Arrays.toString(spec) + " has more than one -1");
                }
                infer = i;
                continue;
            }
            if (out[i] == 0 && !allowzero) {
                if (i >= in.length) {
                    throw new Problem("shape " + Arrays.toString(spec) + " copies dimension " + i + " (0) of a rank-"
                            + in.length + " input");
                }
                out[i] = in[i];
            }
            if (out[i] < 0) {
                throw new Problem("shape " + Arrays.toString(spec) + " holds " + out[i] + "; only -1 may be negative");
            }
            if (out[i] != 0 && known > TensorReader.MAX_ELEMENTS / out[i]) {
                throw new Problem("shape " + Arrays.toString(spec) + " holds too many elements");
            }
            known *= out[i];
        }
        long total = checkedCount(in);
        if (infer >= 0) {
            if (known == 0 || total % known != 0) {
                throw new Problem("cannot reshape " + Arrays.toString(in) + " to " + Arrays.toString(spec));
            }
            out[infer] = total / known;
        } else if (known != total) {
            throw new Problem("cannot reshape " + Arrays.toString(in) + " (" + total + " elements) to " + Arrays.toString(spec)
                    + " (" + known + ")");
        }
        return out;
    }

    /** Unsqueeze: axes refer to the output's rank. */
    static long[] unsqueezeDims(long[] in, long[] axes) {
        int r = in.length + axes.length;
        boolean[] added = new boolean[r];
        for (long a : axes) {
            int ax = axis(a, r, "axis");
            if (added[ax]) {
                throw new Problem("axes " + Arrays.toString(axes) + " name axis " + ax + " twice");
            }
            added[ax] = true;
        }
        long[] out = new long[r];
        for (int i = 0, j = 0; i < r; i++) {
            out[i] = added[i] ? 1 : in[j++];
        }
        return out;
    }

    /** Squeeze: the named axes must be 1; without axes, every 1 goes. */
    static long[] squeezeDims(long[] in, long[] axes) {
        boolean[] drop = new boolean[in.length];
        if (axes == null) {
            for (int i = 0; i < in.length; i++) {
                drop[i] = in[i] == 1;
            }
        } else {
            for (long a : axes) {
                int ax = axis(a, in.length, "axis");
                if (in[ax] != 1) {
                    throw new Problem("cannot squeeze axis " + ax + " of " + Arrays.toString(in) + ": it is not 1");
                }
                drop[ax] = true;
            }
        }
        return java.util.stream.IntStream.range(0, in.length).filter(i -> !drop[i]).mapToLong(i -> in[i]).toArray();
    }

    /** Concatenation of constants along an axis. */
    static ConstTensor concat(List<ConstTensor> parts, long axisAttr, Alloc alloc) {
        ConstTensor first = parts.get(0);
        int r = first.rank();
        if (r == 0) {
            throw new Problem("cannot concatenate scalars");
        }
        int ax = axis(axisAttr, r, "axis");
        long[] dims = first.dims.clone();
        dims[ax] = 0;
        for (ConstTensor p : parts) {
            if (p.rank() != r || p.isFloat() != first.isFloat()) {
                throw new Problem("cannot concatenate " + first.describe() + " and " + p.describe());
            }
            for (int i = 0; i < r; i++) {
                if (i != ax && p.dims[i] != first.dims[i]) {
                    throw new Problem("cannot concatenate " + first.describe() + " and " + p.describe() + " along axis " + ax);
                }
            }
            dims[ax] += p.dims[ax];
        }
        Assembly out = new Assembly(dims, first.isFloat(), alloc);
        long outer = product(dims, 0, ax);
        long inner = product(dims, ax + 1, r);
        for (long o = 0; o < outer; o++) {
            for (ConstTensor p : parts) {
                int len = (int) (p.dims[ax] * inner);
                out.append(p, (int) (o * len), len);
            }
        }
        return out.result();
    }

    /** Gather along an axis with constant indices (negative indices count from the end). */
    static ConstTensor gather(ConstTensor data, ConstTensor indices, long axisAttr, Alloc alloc) {
        if (indices.isFloat()) {
            throw new Problem("Gather indices must be integers, got " + indices.describe());
        }
        int r = data.rank();
        if (r == 0) {
            throw new Problem("cannot gather from a scalar");
        }
        int ax = axis(axisAttr, r, "axis");
        long dim = data.dims[ax];
        long[] dims = new long[r - 1 + indices.rank()];
        int k = 0;
        for (int i = 0; i < ax; i++) {
            dims[k++] = data.dims[i];
        }
        for (long d : indices.dims) {
            dims[k++] = d;
        }
        for (int i = ax + 1; i < r; i++) {
            dims[k++] = data.dims[i];
        }
        Assembly out = new Assembly(dims, data.isFloat(), alloc);
        long outer = product(data.dims, 0, ax);
        long inner = product(data.dims, ax + 1, r);
        for (long o = 0; o < outer; o++) {
            for (int j = 0; j < indices.size(); j++) {
                long idx = indices.l[j];
                if (idx < -dim || idx >= dim) {
                    throw new Problem("Gather index " + idx + " is outside [" + -dim + ", " + (dim - 1) + "]");
                }
                if (idx < 0) {
                    idx += dim;
                }
                out.append(data, (int) ((o * dim + idx) * inner), (int) inner);
            }
        }
        return out.result();
    }

    /** Transposition of a constant. */
    static ConstTensor transpose(ConstTensor t, int[] perm, Alloc alloc) {
        int r = t.rank();
        long[] dims = new long[r];
        for (int i = 0; i < r; i++) {
            dims[i] = t.dims[perm[i]];
        }
        Assembly out = new Assembly(dims, t.isFloat(), alloc);
        long[] inStrides = new long[r];
        long s = 1;
        for (int i = r - 1; i >= 0; i--) {
            inStrides[i] = s;
            s *= t.dims[i];
        }
        int n = t.size();
        long[] idx = new long[r];
        for (int i = 0; i < n; i++) {
            long off = 0;
            for (int k = 0; k < r; k++) {
                off += idx[k] * inStrides[perm[k]];
            }
            out.append(t, (int) off, 1);
            for (int k = r - 1; k >= 0; k--) {
                if (++idx[k] < dims[k]) {
                    break;
                }
                idx[k] = 0;
            }
        }
        return out.result();
    }

    /**
     * ONNX Slice's clamping of one axis: returns {start, count} for the given step (positive or
     * negative, not 0).
     */
    static long[] sliceRange(long dim, long start, long end, long step) {
        if (step == 0) {
            throw new Problem("slice step 0");
        }
        long s = start < 0 ? start + dim : start;
        long e = end < 0 ? end + dim : end;
        long count;
        if (step > 0) {
            s = Math.max(0, Math.min(dim, s));
            e = Math.max(0, Math.min(dim, e));
            count = e > s ? (e - s + step - 1) / step : 0;
        } else {
            s = Math.max(-1, Math.min(dim - 1, s));
            e = Math.max(-1, Math.min(dim - 1, e));
            count = s > e ? (s - e - step - 1) / -step : 0;
        }
        return new long[] {s, count};
    }

    /** Slicing a constant along one axis: elements start, start+step, ... (count of them). */
    static ConstTensor slice(ConstTensor t, int ax, long start, long count, long step, Alloc alloc) {
        long[] dims = t.dims.clone();
        dims[ax] = count;
        Assembly out = new Assembly(dims, t.isFloat(), alloc);
        long outer = product(t.dims, 0, ax);
        long inner = product(t.dims, ax + 1, t.rank());
        for (long o = 0; o < outer; o++) {
            for (long c = 0; c < count; c++) {
                out.append(t, (int) ((o * t.dims[ax] + start + c * step) * inner), (int) inner);
            }
        }
        return out.result();
    }

    /** Cast of a constant to an ONNX element type. */
    static ConstTensor cast(ConstTensor t, int to) {
        if (to == 10 || to == 16) {
            throw new Problem("Cast to " + TensorReader.typeName(to) + " is not supported: convcl computes in float32");
        }
        if (TensorReader.isFloatType(to)) {
            return ConstTensor.floats(t.dims, t.floatValues());
        }
        if (TensorReader.elementSize(to) == 0) {
            throw new Problem("Cast to " + TensorReader.typeName(to) + " is not supported");
        }
        long[] v = t.longValues().clone();
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (to) {
                case 9 -> v[i] != 0 || t.isFloat() && t.f[i] != 0 ? 1 : 0;
                case 2 -> v[i] & 0xff;
                case 3 -> (byte) v[i];
                case 4 -> v[i] & 0xffff;
                case 5 -> (short) v[i];
                case 6 -> (int) v[i];
                case 12 -> v[i] & 0xffffffffL;
                default -> v[i];
            };
        }
        return ConstTensor.longs(t.dims, v);
    }
}
