package dev.convcl.onnx;

import dev.convcl.HostTensor;

/**
 * A fully connected layer, {@code torch.nn.functional.linear}: {@code y = x W^T + b} over the last
 * axis (ONNX {@code Gemm} with a constant B, alpha and beta folded in; {@code MatMul} by a constant
 * matrix, with a following {@code Add} of a constant vector folded in as the bias).
 *
 * @param name        the node's name
 * @param input       the input value, {@code [..., in]} (2-D from Gemm)
 * @param output      the output value, {@code [..., out]}
 * @param inputShape  the input's shape
 * @param weights     {@code [out, in]}, PyTorch's layout
 * @param bias        {@code [out]}, or null
 * @param outputShape the output's shape
 */
public record LinearNode(String name, String input, String output, Shape inputShape, HostTensor weights,
                         HostTensor bias, Shape outputShape) implements OneInputNode {
    /** Checks the weights against the shapes. */
    public LinearNode {
        int[] w = weights.shape();
        if (w.length != 2 || w[1] != inputShape.dim(-1) || w[0] != outputShape.dim(-1) || bias != null && bias.size() != w[0]) {
            throw new IllegalArgumentException(name + ": weights " + java.util.Arrays.toString(w) + " do not map "
                    + inputShape + " to " + outputShape);
        }
    }

    /** Input features. */
    public int inFeatures() {
        return inputShape.dim(-1);
    }

    /** Output features. */
    public int outFeatures() {
        return outputShape.dim(-1);
    }

    @Override
    public String describe() {
        return "Linear '" + name + "' " + input + " " + inputShape + " -> " + output + " " + outputShape
                + (bias != null ? " bias" : "");
    }
}
