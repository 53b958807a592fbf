package dev.convcl;

import java.util.Arrays;

/**
 * One argument an operation takes ({@link Operation#arguments()}): its role, the shape its tensor
 * must have, and the dimensions in words for messages. For example a 3x3 convolution of
 * {@code [1, 64, 56, 56]} lists {@code input [1, 64, 56, 56] [N, C, H, W]} and
 * {@code weight [64, 64, 3, 3] [K, C/groups, kh, kw]}. Immutable.
 */
public final class ArgSpec {
    private final Arg arg;
    private final int[] shape;
    private final String layout;

    /**
     * An argument description; operations make these, callers read them.
     *
     * @param arg    the role
     * @param shape  the required shape, row-major (copied)
     * @param layout the dimensions in words, e.g. {@code [K, C/groups, kh, kw]}
     */
    public ArgSpec(Arg arg, int[] shape, String layout) {
        this.arg = arg;
        this.shape = shape.clone();
        this.layout = layout;
    }

    /**
     * The role the tensor plays.
     *
     * @return the role
     */
    public Arg arg() {
        return arg;
    }

    /**
     * The shape the tensor must have.
     *
     * @return a copy of the shape, outermost dimension first
     */
    public int[] shape() {
        return shape.clone();
    }

    /**
     * The number of elements of a tensor of the required shape.
     *
     * @return the product of the shape
     */
    public long size() {
        return ShapeRules.size(shape);
    }

    /**
     * The dimensions in words, as messages name them.
     *
     * @return e.g. {@code [N, C, H, W]}
     */
    public String layout() {
        return layout;
    }

    /** {@code input [1, 64, 56, 56] [N, C, H, W]}. */
    @Override
    public String toString() {
        return arg.displayName() + " " + Arrays.toString(shape) + " " + layout;
    }
}
