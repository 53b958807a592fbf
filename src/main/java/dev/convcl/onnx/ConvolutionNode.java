package dev.convcl.onnx;

import dev.convcl.Convolution;
import dev.convcl.HostTensor;

/**
 * A node that computes a 2-D convolution, ordinary or deformable: its descriptor gives the output
 * shape, and its listing line is {@code Conv 'name' inputs -> output [shape] descriptor} (the kind
 * {@code DeformConv} for a deformable one).
 */
public sealed interface ConvolutionNode extends Node permits ConvNode, DeformConvNode {

    /** The descriptor: sizes, window (padding possibly asymmetric), groups, bias flag; no post-ops. */
    Convolution conv();

    /** The weights, {@code [k, c/groups, kh, kw]}. */
    HostTensor weights();

    /** The bias, {@code [k]}, or null when {@code conv().bias()} is false. */
    HostTensor bias();

    /** {@code conv().outputShape()}. */
    @Override
    default Shape outputShape() {
        return Shape.of(conv().outputShape());
    }

    @Override
    default String describe() {
        return (conv().isDeformable() ? "DeformConv" : "Conv") + " '" + name() + "' " + String.join(", ", inputs()) + " -> "
                + output() + " " + outputShape() + " " + conv();
    }
}
