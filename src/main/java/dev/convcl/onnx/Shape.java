package dev.convcl.onnx;

import java.util.Arrays;

/**
 * The shape of a tensor in an imported model: its dimensions, outermost first (NCHW for images).
 * Immutable; every dimension is at least 1 and the element count fits an {@code int} (convcl's
 * tensors index with 32 bits), which {@link #of} checks.
 */
public final class Shape {
    private final int[] dims;

    private Shape(int[] dims) {
        this.dims = dims;
    }

    /**
     * A shape of the given dimensions.
     *
     * @throws IllegalArgumentException when there is no dimension, a dimension is below 1, or the
     *                                  element count exceeds {@code 2^31 - 1}
     */
    public static Shape of(int... dims) {
        if (dims == null || dims.length == 0) {
            throw new IllegalArgumentException("a shape needs at least one dimension");
        }
        long size = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 1) {
                throw new IllegalArgumentException("dimension " + i + " of " + Arrays.toString(dims) + " is " + dims[i]
                        + "; every dimension must be at least 1");
            }
            size *= dims[i];
            if (size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " has more than 2^31-1 elements");
            }
        }
        return new Shape(dims.clone());
    }

    /** A copy of the dimensions. */
    public int[] dims() {
        return dims.clone();
    }

    /** Dimension {@code i}; a negative {@code i} counts from the end ({@code -1} is the last). */
    public int dim(int i) {
        return dims[i < 0 ? dims.length + i : i];
    }

    /** Number of dimensions. */
    public int rank() {
        return dims.length;
    }

    /** Element count, the product of the dimensions. */
    public int size() {
        int p = 1;
        for (int d : dims) {
            p *= d;
        }
        return p;
    }

    /** This shape with dimension {@code axis} replaced by {@code value}. */
    public Shape with(int axis, int value) {
        int[] d = dims.clone();
        d[axis] = value;
        return of(d);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** {@code [2, 64, 56, 56]}. */
    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
