package dev.convcl.onnx;

/**
 * Constant padding of the spatial axes of an NCHW tensor (ONNX {@code Pad} in constant mode) where
 * it could not be folded into the convolution or pooling that follows.
 *
 * @param name        the node's name
 * @param input       the input value, {@code [N, C, H, W]}
 * @param output      the output value, {@code [N, C, top + H + bottom, left + W + right]}
 * @param inputShape  the input's shape
 * @param top         rows added above, at least 0
 * @param left        columns added on the left, at least 0
 * @param bottom      rows added below, at least 0
 * @param right       columns added on the right, at least 0
 * @param value       the value of the added elements
 * @param outputShape the output's shape
 */
public record PadNode(String name, String input, String output, Shape inputShape, int top, int left, int bottom,
                      int right, float value, Shape outputShape) implements OneInputNode {
    @Override
    public String describe() {
        return "Pad '" + name + "' " + input + " -> " + output + " " + outputShape + " pads=" + top + "," + left + ","
                + bottom + "," + right + " value=" + value;
    }
}
