package dev.convcl;

import java.util.Arrays;

/**
 * One argument an operation takes: its role, the shape it must have and the layout in words for
 * messages (e.g. {@code [N, C, H, W]}).
 */
public final class ArgSpec {
    private final Arg arg;
    private final int[] shape;
    private final String layout;

    /**
     * @param arg    the role
     * @param shape  the required shape (copied)
     * @param layout the dimensions in words, e.g. {@code [K, C/groups, kh, kw]}
     */
    public ArgSpec(Arg arg, int[] shape, String layout) {
        this.arg = arg;
        this.shape = shape.clone();
        this.layout = layout;
    }

    /** The role. */
    public Arg arg() {
        return arg;
    }

    /** A copy of the required shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** The required shape's element count. */
    public long size() {
        long s = 1;
        for (int d : shape) {
            s *= d;
        }
        return s;
    }

    /** The dimensions in words, e.g. {@code [N, C, H, W]}. */
    public String layout() {
        return layout;
    }

    /** {@code input [1, 64, 56, 56] [N, C, H, W]}. */
    @Override
    public String toString() {
        return arg.displayName() + " " + Arrays.toString(shape) + " " + layout;
    }
}
