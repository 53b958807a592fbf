package dev.convcl.onnx;

import java.util.List;

/**
 * One layer of an imported model, in convcl's terms: the intermediate representation the ONNX
 * importer produces and the graph runtime lowers node by node. Every node reads runtime values
 * (float32 tensors computed by earlier nodes or given as graph inputs) by name, writes exactly
 * one value, and knows every shape; constants (weights, biases, batch-norm statistics, constant
 * operands) are host tensors held by the node. Nodes come in topological order in
 * {@link OnnxGraph#nodes()}.
 */
public sealed interface Node permits ConvolutionNode, BinaryNode, ConcatNode, OneInputNode, RoiAlignNode {

    /**
     * The node's name, unique in the graph: the ONNX node's name (its op type and index when it has
     * none); {@code name#k} for the k-th extra node made from one ONNX node, and for a pattern
     * (GELU, channel shuffle ...) the name of the pattern's first ONNX node.
     */
    String name();

    /** The runtime values the node reads, in order. */
    List<String> inputs();

    /** The value the node writes. */
    String output();

    /** The shape of {@link #output()}. */
    Shape outputShape();

    /** One line: the kind, name, inputs, output shape and parameters. */
    String describe();
}
