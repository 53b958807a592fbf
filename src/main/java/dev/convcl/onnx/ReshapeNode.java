package dev.convcl.onnx;

/**
 * A new shape for the same elements in the same order (ONNX {@code Reshape}, {@code Squeeze},
 * {@code Unsqueeze}, {@code Flatten} at an axis other than 1, a {@code Transpose} that only moves
 * dimensions of size 1): a view of a contiguous tensor, no data moves.
 *
 * @param name        the node's name
 * @param input       the input value
 * @param output      the output value
 * @param inputShape  the input's shape
 * @param outputShape the output's shape, of the same element count
 */
public record ReshapeNode(String name, String input, String output, Shape inputShape, Shape outputShape)
        implements OneInputNode {
    /** Checks the element counts. */
    public ReshapeNode {
        if (inputShape.size() != outputShape.size()) {
            throw new IllegalArgumentException(name + ": cannot view " + inputShape + " as " + outputShape);
        }
    }

    @Override
    public String describe() {
        return "Reshape '" + name + "' " + input + " " + inputShape + " -> " + output + " " + outputShape;
    }
}
