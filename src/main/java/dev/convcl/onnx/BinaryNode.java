package dev.convcl.onnx;

import dev.convcl.HostTensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An element-wise binary operation with NumPy broadcasting (ONNX {@code Add}, {@code Sub},
 * {@code Mul}, {@code Div}): a residual add, the squeeze-excitation scale {@code x * s[N,C,1,1]},
 * a per-channel affine with constant operands ... Each operand is a runtime value or a constant;
 * both operands' shapes are given aligned to the output's rank (leading 1s added), so every
 * dimension of an operand is either the output's or 1 (broadcast). At least one operand is a
 * runtime value.
 *
 * @param name   the node's name
 * @param kind   the operation, {@code left kind right}
 * @param left   the first operand
 * @param right  the second operand
 * @param output the output value
 * @param shape  the output's shape
 */
public record BinaryNode(String name, Kind kind, Operand left, Operand right, String output, Shape shape)
        implements Node {

    /** The operations. */
    public enum Kind {
        /** {@code a + b}. */
        ADD,
        /** {@code a - b}. */
        SUB,
        /** {@code a * b}. */
        MUL,
        /** {@code a / b}. */
        DIV
    }

    /** An operand: a runtime value or a constant, with its shape aligned to the output's rank. */
    public sealed interface Operand permits Value, Constant {
        /** The operand's shape, of the output's rank, each dimension the output's or 1. */
        Shape shape();

        /** Whether the operand has the output's shape (no broadcasting). */
        default boolean isFull(Shape output) {
            return shape().equals(output);
        }

        /**
         * Whether the operand broadcasts over everything but the channels: shape {@code [1|N, C, 1, ...]}
         * or {@code [1, 1, ...]} (a scalar), with the output's rank at least 2.
         */
        default boolean isPerChannel(Shape output) {
            Shape s = shape();
            if (s.rank() < 2 || s.dim(0) != 1 && s.dim(0) != output.dim(0) || s.dim(1) != 1 && s.dim(1) != output.dim(1)) {
                return false;
            }
            for (int i = 2; i < s.rank(); i++) {
                if (s.dim(i) != 1) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * A runtime value.
     *
     * @param name  the value
     * @param shape its shape aligned to the output's rank (a reshape of the value's own shape)
     */
    public record Value(String name, Shape shape) implements Operand {
    }

    /**
     * A constant.
     *
     * @param tensor the values, shaped as the operand (aligned to the output's rank)
     */
    public record Constant(HostTensor tensor) implements Operand {
        @Override
        public Shape shape() {
            return Shape.of(tensor.shape());
        }
    }

    /** Checks the operands' shapes against the output's. */
    public BinaryNode {
        for (Operand o : List.of(left, right)) {
            Shape s = o.shape();
            if (s.rank() != shape.rank()) {
                throw new IllegalArgumentException(name + ": operand " + s + " is not aligned to the output " + shape);
            }
            for (int i = 0; i < s.rank(); i++) {
                if (s.dim(i) != 1 && s.dim(i) != shape.dim(i)) {
                    throw new IllegalArgumentException(name + ": operand " + s + " does not broadcast to " + shape);
                }
            }
        }
        if (left instanceof Constant && right instanceof Constant) {
            throw new IllegalArgumentException(name + ": both operands are constants");
        }
    }

    /** The runtime values read: the operands that are not constants. */
    @Override
    public List<String> inputs() {
        List<String> in = new ArrayList<>(2);
        for (Operand o : List.of(left, right)) {
            if (o instanceof Value v) {
                in.add(v.name());
            }
        }
        return List.copyOf(in);
    }

    @Override
    public Shape outputShape() {
        return shape;
    }

    @Override
    public String describe() {
        return "Binary '" + name + "' " + kind.name().toLowerCase(Locale.ROOT) + "(" + operand(left) + ", " + operand(right)
                + ") -> " + output + " " + shape;
    }

    private static String operand(Operand o) {
        return o instanceof Value v ? v.name() + " " + v.shape() : "const " + o.shape();
    }
}
