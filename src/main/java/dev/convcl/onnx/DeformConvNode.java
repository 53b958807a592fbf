package dev.convcl.onnx;

import dev.convcl.DeformConv2d;
import dev.convcl.HostTensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A deformable 2-D convolution (ONNX {@code DeformConv}, opset 19): torchvision's
 * {@code deform_conv2d}, v1 without a mask, v2 (DCNv2) with one; offsets and mask are runtime
 * values, typically computed by an ordinary convolution (and a sigmoid) on the same input.
 *
 * @param name    the node's name
 * @param input   the input value, {@code conv.inputShape()}
 * @param offset  the offsets, {@code conv.offsetShape()}, torchvision's layout ((dy, dx) per kernel point per offset group)
 * @param mask    the modulation mask, {@code conv.maskShape()}, or null when {@code conv.mask()} is false
 * @param output  the output value, {@code conv.outputShape()}
 * @param conv    the descriptor; no post-ops
 * @param weights {@code [k, c/groups, kh, kw]}
 * @param bias    {@code [k]}, or null when {@code conv.bias()} is false
 */
public record DeformConvNode(String name, String input, String offset, String mask, String output, DeformConv2d conv,
                             HostTensor weights, HostTensor bias) implements ConvolutionNode {

    /** Checks that the tensors match the descriptor. */
    public DeformConvNode {
        if (!Arrays.equals(weights.shape(), conv.weightShape())) {
            throw new IllegalArgumentException(name + ": weights " + Arrays.toString(weights.shape()) + " do not match "
                    + Arrays.toString(conv.weightShape()));
        }
        if (conv.bias() != (bias != null) || conv.mask() != (mask != null)) {
            throw new IllegalArgumentException(name + ": bias or mask does not match the descriptor " + conv);
        }
    }

    /** {@code [input, offset]} or {@code [input, offset, mask]}. */
    @Override
    public List<String> inputs() {
        List<String> in = new ArrayList<>(List.of(input, offset));
        if (mask != null) {
            in.add(mask);
        }
        return List.copyOf(in);
    }
}
