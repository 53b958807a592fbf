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

    /**
     * The name: the graph input's, the constant's or that of the node computing it.
     *
     * @return the name ({@code name:i} for part i of a {@link Graph.Builder#split})
     */
    public String name() {
        return name;
    }

    /**
     * The shape, row-major, outermost dimension first.
     *
     * @return a copy of the shape (rank 1 to 4)
     */
    public int[] shape() {
        return shape.clone();
    }

    /**
     * Number of dimensions.
     *
     * @return the rank, 1 to 4
     */
    public int rank() {
        return shape.length;
    }

    /**
     * Size of one dimension.
     *
     * @param i the dimension, 0 to {@code rank() - 1}
     * @return its size, at least 1
     * @throws ArrayIndexOutOfBoundsException when {@code i} is not a dimension
     */
    public int dim(int i) {
        return shape[i];
    }

    /**
     * Element count.
     *
     * @return the product of the shape
     */
    public long size() {
        return ShapeRules.size(shape);
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
