package dev.convcl.graph;

import dev.convcl.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The graph the passes rewrite: inputs, nodes in an order where every value is written before it
 * is read (a topological order), and the named outputs. Values are compared by identity.
 * Immutable; a pass returns a new one.
 *
 * @param inputs  the graph inputs, in order (copied)
 * @param nodes   the nodes, each after the nodes that write its inputs (copied)
 * @param outputs output name to value, in order (copied)
 */
public record GraphIr(List<Value> inputs, List<Node> nodes, Map<String, Value> outputs) {

    /** Copies the lists and the map, keeping the outputs' order. */
    public GraphIr {
        inputs = List.copyOf(inputs);
        nodes = List.copyOf(nodes);
        outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    }

    /** The same inputs and outputs with other nodes. */
    public GraphIr withNodes(List<Node> newNodes) {
        return new GraphIr(inputs, newNodes, outputs);
    }

    /** Value to the node that writes it. */
    public Map<Value, Node> producers() {
        Map<Value, Node> m = new IdentityHashMap<>();
        for (Node n : nodes) {
            m.put(n.output(), n);
        }
        return m;
    }

    /** Value to the nodes that read it (a node reading it twice is listed twice). */
    public Map<Value, List<Node>> consumers() {
        Map<Value, List<Node>> m = new IdentityHashMap<>();
        for (Node n : nodes) {
            for (Value v : n.inputs()) {
                m.computeIfAbsent(v, k -> new ArrayList<>()).add(n);
            }
        }
        return m;
    }

    /** The values that are graph outputs. */
    public Set<Value> outputValues() {
        Set<Value> s = Collections.newSetFromMap(new IdentityHashMap<>());
        s.addAll(outputs.values());
        return s;
    }

    /** Readers of {@code v} plus one when it is a graph output. */
    public static int uses(Value v, Map<Value, List<Node>> consumers, Set<Value> outputs) {
        return consumers.getOrDefault(v, List.of()).size() + (outputs.contains(v) ? 1 : 0);
    }

    /** How many nodes of each kind, e.g. {@code {conv2d=53, ...}}, for tests and listings. */
    public Map<String, Integer> kindCounts() {
        Map<String, Integer> m = new HashMap<>();
        for (Node n : nodes) {
            m.merge(n.layer().kind(), 1, Integer::sum);
        }
        return m;
    }

    /** One line per input, node and output. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Value v : inputs) {
            sb.append("input ").append(v).append('\n');
        }
        for (Node n : nodes) {
            sb.append(n).append('\n');
        }
        for (Map.Entry<String, Value> e : outputs.entrySet()) {
            sb.append("output '").append(e.getKey()).append("' = '").append(e.getValue().name()).append("'\n");
        }
        return sb.toString();
    }
}
