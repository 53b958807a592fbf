package dev.convcl.onnx;

import dev.convcl.Conv2d;
import dev.convcl.HostTensor;

import java.util.Arrays;
import java.util.List;

/**
 * A 2-D convolution (ONNX {@code Conv}, with any {@code Pad} in front folded into its padding):
 * {@code torch.nn.functional.conv2d} on an NCHW input.
 *
 * @param name    the node's name
 * @param input   the input value, {@code conv.inputShape()}
 * @param output  the output value, {@code conv.outputShape()}
 * @param conv    the descriptor: sizes, window (padding possibly asymmetric), groups, bias flag; no post-ops
 * @param weights {@code [k, c/groups, kh, kw]}
 * @param bias    {@code [k]}, or null when {@code conv.bias()} is false
 */
public record ConvNode(String name, String input, String output, Conv2d conv, HostTensor weights, HostTensor bias)
        implements ConvolutionNode {

    /** Checks that the tensors match the descriptor. */
    public ConvNode {
        if (!Arrays.equals(weights.shape(), conv.weightShape())) {
            throw new IllegalArgumentException(name + ": weights " + Arrays.toString(weights.shape()) + " do not match "
                    + Arrays.toString(conv.weightShape()));
        }
        if (conv.bias() != (bias != null) || bias != null && bias.size() != conv.k()) {
            throw new IllegalArgumentException(name + ": bias does not match the descriptor " + conv);
        }
    }

    @Override
    public List<String> inputs() {
        return List.of(input);
    }
}
