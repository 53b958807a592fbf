package dev.convcl.onnx;

/** A node that reads one value and writes one of the same shape, {@link #shape()}: its {@link #outputShape()}. */
public sealed interface ShapePreservingNode extends OneInputNode permits ActivationNode, BatchNormNode, ChannelShuffleNode {
    /** The input's and output's shape. */
    Shape shape();

    @Override
    default Shape outputShape() {
        return shape();
    }
}
