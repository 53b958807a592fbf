package dev.convcl.onnx;

/**
 * A slice along one axis (ONNX {@code Slice}, and each output of {@code Split}): element {@code i}
 * along {@code axis} of the output is element {@code start + i * step} of the input; the other axes
 * are kept whole. A {@code Slice} over several axes becomes a chain of these.
 *
 * @param name        the node's name
 * @param input       the input value
 * @param output      the output value
 * @param inputShape  the input's shape
 * @param axis        the axis, from 0
 * @param start       the first element taken, from 0
 * @param step        the distance between elements taken, at least 1
 * @param outputShape the output's shape: the input's with {@code axis} shortened
 */
public record SliceNode(String name, String input, String output, Shape inputShape, int axis, int start, int step,
                        Shape outputShape) implements OneInputNode {
    /** Checks that the slice lies inside the input. */
    public SliceNode {
        int count = outputShape.dim(axis);
        if (start < 0 || step < 1 || start + (long) (count - 1) * step >= inputShape.dim(axis)) {
            throw new IllegalArgumentException(name + ": slice start=" + start + " step=" + step + " count=" + count
                    + " leaves axis " + axis + " of " + inputShape);
        }
    }

    @Override
    public String describe() {
        return "Slice '" + name + "' " + input + " -> " + output + " " + outputShape + " axis=" + axis + " start=" + start
                + " step=" + step;
    }
}
