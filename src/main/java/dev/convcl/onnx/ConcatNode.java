package dev.convcl.onnx;

import java.util.List;

/**
 * Concatenation along one axis (ONNX {@code Concat} of runtime values); the channels (axis 1)
 * in the networks convcl targets.
 *
 * @param name        the node's name
 * @param inputs      the values, in order
 * @param inputShapes their shapes, equal but for {@code axis}
 * @param output      the output value
 * @param axis        the axis, from 0 (never negative)
 * @param outputShape the output's shape: the inputs' sizes along {@code axis} added
 */
public record ConcatNode(String name, List<String> inputs, List<Shape> inputShapes, String output, int axis,
                         Shape outputShape) implements Node {

    /** Copies the lists. */
    public ConcatNode {
        inputs = List.copyOf(inputs);
        inputShapes = List.copyOf(inputShapes);
    }

    @Override
    public String describe() {
        return "Concat '" + name + "' " + String.join(", ", inputs) + " -> " + output + " " + outputShape + " axis=" + axis;
    }
}
