package dev.convcl.onnx;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An imported ONNX model as convcl layers: its runtime inputs, its nodes in topological order, its
 * outputs, and the shape of every runtime value. Made by {@link OnnxImporter}; every node has been
 * checked, every shape inferred with the input shapes fixed, all shape arithmetic folded to
 * constants. Immutable.
 *
 * @param source   where the model came from: its file name, or {@code <bytes>}
 * @param opset    the model's opset for the standard ONNX domain
 * @param producer the model's producer and version, e.g. {@code pytorch 1.13.1}, or empty
 * @param inputs   the runtime inputs, in the model's order
 * @param nodes    the nodes, in topological order (every value is written before it is read)
 * @param outputs  the outputs, in the model's order
 * @param shapes   the shape of every runtime value, inputs first, then in node order (as
 *                 {@link #of} infers it)
 */
public record OnnxGraph(String source, int opset, String producer, List<Input> inputs, List<Node> nodes,
                        List<Output> outputs, Map<String, Shape> shapes) {

    /**
     * A runtime input of the model (a graph input without an initializer).
     *
     * @param name  the value's name
     * @param shape its shape (the model's, or the caller's override)
     */
    public record Input(String name, Shape shape) {
    }

    /**
     * An output of the model.
     *
     * @param name  the output's name in the model
     * @param value the runtime value it is (differs from {@code name} when the model ends in an
     *              Identity or Dropout, which the importer drops)
     * @param shape its shape
     */
    public record Output(String name, String value, Shape shape) {
    }

    /** Copies the lists and the map. */
    public OnnxGraph {
        inputs = List.copyOf(inputs);
        nodes = List.copyOf(nodes);
        outputs = List.copyOf(outputs);
        shapes = Collections.unmodifiableMap(new LinkedHashMap<>(shapes));
    }

    /**
     * The graph with {@link #shapes()} inferred from the inputs and nodes; throws
     * {@link IllegalStateException} when a node reads a value before it is written, a value is
     * written twice, or an output reads a value nothing writes.
     */
    static OnnxGraph of(String source, int opset, String producer, List<Input> inputs, List<Node> nodes, List<Output> outputs) {
        Map<String, Shape> s = new LinkedHashMap<>();
        for (Input in : inputs) {
            s.put(in.name(), in.shape());
        }
        for (Node n : nodes) {
            for (String v : n.inputs()) {
                if (!s.containsKey(v)) {
                    throw new IllegalStateException(n.name() + " reads " + v + " before it is written");
                }
            }
            if (s.put(n.output(), n.outputShape()) != null) {
                throw new IllegalStateException(n.name() + " writes " + n.output() + " a second time");
            }
        }
        for (Output o : outputs) {
            if (!s.containsKey(o.value())) {
                throw new IllegalStateException("output " + o.name() + " reads " + o.value() + ", which nothing writes");
            }
        }
        return new OnnxGraph(source, opset, producer, inputs, nodes, outputs, s);
    }

    /** The shape of a runtime value, or throws {@link IllegalArgumentException} when there is none of that name. */
    public Shape shape(String value) {
        Shape s = shapes.get(value);
        if (s == null) {
            throw new IllegalArgumentException("the graph has no value named '" + value + "'");
        }
        return s;
    }

    /** The nodes of one type, in order. */
    public <T extends Node> List<T> nodes(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Node n : nodes) {
            if (type.isInstance(n)) {
                out.add(type.cast(n));
            }
        }
        return out;
    }

    /** The node named {@code name}, or throws {@link IllegalArgumentException}. */
    public Node node(String name) {
        for (Node n : nodes) {
            if (n.name().equals(name)) {
                return n;
            }
        }
        throw new IllegalArgumentException("the graph has no node named '" + name + "'");
    }

    /** A listing: inputs, one line per node ({@link Node#describe()}), outputs. */
    public String listing() {
        StringBuilder sb = new StringBuilder();
        for (Input in : inputs) {
            sb.append("input ").append(in.name()).append(' ').append(in.shape()).append('\n');
        }
        for (Node n : nodes) {
            sb.append(n.describe()).append('\n');
        }
        for (Output o : outputs) {
            sb.append("output ").append(o.name()).append(o.name().equals(o.value()) ? "" : " = " + o.value()).append(' ')
                    .append(o.shape()).append('\n');
        }
        return sb.toString();
    }

    /** {@code OnnxGraph[resnet18.onnx, opset 13, 62 nodes]}. */
    @Override
    public String toString() {
        return "OnnxGraph[" + source + ", opset " + opset + ", " + nodes.size() + " nodes]";
    }
}
