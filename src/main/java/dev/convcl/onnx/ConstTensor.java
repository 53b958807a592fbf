package dev.convcl.onnx;

import dev.convcl.HostTensor;
import dev.convcl.Tensor;

import java.util.Arrays;

/**
 * A constant tensor of the model held on the host while importing: an initializer, a Constant
 * node's value, or the result of folding. Floating-point types are held as {@code float} values
 * (FLOAT16, BFLOAT16 and DOUBLE converted), integer and boolean types as {@code long}. Dimensions
 * may be 0 (an empty tensor) and the rank may be 0 (a scalar). Immutable by convention: nothing
 * writes into the arrays after construction.
 */
final class ConstTensor {
    final long[] dims;
    /** The values when floating-point, else null. */
    final float[] f;
    /** The values when integer or boolean, else null. */
    final long[] l;

    private ConstTensor(long[] dims, float[] f, long[] l) {
        this.dims = dims;
        this.f = f;
        this.l = l;
    }

    static ConstTensor floats(long[] dims, float[] values) {
        check(dims, values.length);
        return new ConstTensor(dims.clone(), values, null);
    }

    static ConstTensor longs(long[] dims, long[] values) {
        check(dims, values.length);
        return new ConstTensor(dims.clone(), null, values);
    }

    static ConstTensor scalar(long v) {
        return longs(new long[0], new long[] {v});
    }

    static ConstTensor vector(long... v) {
        return longs(new long[] {v.length}, v);
    }

    private static void check(long[] dims, int n) {
        if (count(dims) != n) {
            throw new IllegalStateException("dims " + Arrays.toString(dims) + " do not hold " + n + " values");
        }
    }

    /** Product of {@code dims}; the caller has checked that it cannot overflow. */
    static long count(long[] dims) {
        long p = 1;
        for (long d : dims) {
            p *= d;
        }
        return p;
    }

    boolean isFloat() {
        return f != null;
    }

    int size() {
        return f != null ? f.length : l.length;
    }

    int rank() {
        return dims.length;
    }

    double get(int i) {
        return f != null ? f[i] : l[i];
    }

    long getLong(int i) {
        return f != null ? (long) f[i] : l[i];
    }

    /** The values as longs (floats truncated toward zero, as ONNX's Cast does). */
    long[] longValues() {
        if (l != null) {
            return l;
        }
        long[] out = new long[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = (long) f[i];
        }
        return out;
    }

    /** The values as floats. */
    float[] floatValues() {
        if (f != null) {
            return f;
        }
        float[] out = new float[l.length];
        for (int i = 0; i < l.length; i++) {
            out[i] = l[i];
        }
        return out;
    }

    /** The same values with other dimensions (same count). */
    ConstTensor reshaped(long[] newDims) {
        return f != null ? floats(newDims, f) : longs(newDims, l);
    }

    /**
     * The values as a float32 host tensor of the given shape (the same element count), sharing the
     * array when the values are already floats.
     */
    HostTensor toHost(Shape shape) {
        if (shape.size() != size()) {
            throw new IllegalStateException(shape + " does not hold " + size() + " values");
        }
        return Tensor.of(f != null ? f : floatValues().clone(), shape.dims());
    }

    /** {@code float[2, 3]} or {@code int64[4]}. */
    String describe() {
        return (f != null ? "float" : "int64") + Arrays.toString(dims);
    }

    /** The values for a message: up to 8 of them. */
    String values() {
        int n = Math.min(size(), 8);
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            sb.append(i > 0 ? ", " : "").append(f != null ? Float.toString(f[i]) : Long.toString(l[i]));
        }
        return sb.append(size() > n ? ", ...]" : "]").toString();
    }
}
