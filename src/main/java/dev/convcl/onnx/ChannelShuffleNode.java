package dev.convcl.onnx;

/**
 * ShuffleNet's channel shuffle, recognised in ONNX as {@code Reshape [N,C,H,W] -> [N,g,C/g,H,W]},
 * {@code Transpose(0,2,1,3,4)}, {@code Reshape -> [N,C,H,W]}: output channel {@code j * g + i}
 * is input channel {@code i * (C/g) + j}.
 *
 * @param name   the node's name
 * @param input  the input value
 * @param output the output value
 * @param shape  {@code [N, C, H, W]}, the input's and output's
 * @param groups {@code g}, dividing C
 */
public record ChannelShuffleNode(String name, String input, String output, Shape shape, int groups)
        implements ShapePreservingNode {
    @Override
    public String describe() {
        return "ChannelShuffle '" + name + "' " + input + " -> " + output + " " + shape + " groups=" + groups;
    }
}
