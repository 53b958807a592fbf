package dev.convcl;

import java.util.Arrays;

/**
 * A tensor of a {@link Graph}: a graph input, a constant, or the output of a node. An opaque
 * handle with a name and a shape (rank 1 to 4, row-major; NCHW for images) that the
 * {@link Graph.Builder} returns and takes; it holds no data.
 */
public final class Value {
    private final String name;
    private final int[] shape;
    private final Object owner;

    Value(String name, int[] shape, Object owner) {
        this.name = name;
        this.shape = shape.clone();
        this.owner = owner;
    }

    /** The name: the graph input's, the constant's or the node's that computes it ({@code name:i} for the i-th part of a split). */
    public String name() {
        return name;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}. */
    public int dim(int i) {
        return shape[i];
    }

    /** Element count. */
    public long size() {
        long s = 1;
        for (int d : shape) {
            s *= d;
        }
        return s;
    }

    Object owner() {
        return owner;
    }

    /** {@code 'layer1.0.conv1' [1, 64, 56, 56]}. */
    @Override
    public String toString() {
        return "'" + name + "' " + Arrays.toString(shape);
    }
}
