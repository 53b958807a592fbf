package dev.convcl.onnx;

import java.util.List;

/** A node that reads one runtime value, {@link #input()}: its {@link #inputs()} is that value alone. */
public sealed interface OneInputNode extends Node permits ShapePreservingNode, FlattenNode, ReshapeNode, PoolNode,
        PadNode, SliceNode, LinearNode {
    /** The value the node reads. */
    String input();

    @Override
    default List<String> inputs() {
        return List.of(input());
    }
}
