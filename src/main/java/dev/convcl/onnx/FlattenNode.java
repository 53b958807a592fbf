package dev.convcl.onnx;

/**
 * Flattening to {@code [N, rest]} (ONNX {@code Flatten} with axis 1, or a {@code Reshape} to
 * {@code [N, -1]}): a view of a contiguous tensor, no data moves.
 *
 * @param name        the node's name
 * @param input       the input value
 * @param output      the output value
 * @param inputShape  the input's shape
 * @param outputShape {@code [inputShape[0], product of the rest]}
 */
public record FlattenNode(String name, String input, String output, Shape inputShape, Shape outputShape)
        implements OneInputNode {
    @Override
    public String describe() {
        return "Flatten '" + name + "' " + input + " " + inputShape + " -> " + output + " " + outputShape;
    }
}
