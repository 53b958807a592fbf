package dev.convcl.onnx;

import dev.convcl.onnx.proto.OnnxProto.GraphProto;
import dev.convcl.onnx.proto.OnnxProto.TensorProto;
import dev.convcl.onnx.proto.OnnxProto.ValueInfoProto;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * The graph's structure, checked before any node is looked at: names written once (no duplicate
 * initializer, input or node output; no node writing an input's or initializer's name), every value
 * read written by someone, every graph output written, no cycle. Gives the nodes in topological
 * order (the file's order when it is one already). Iterative throughout: no recursion on the
 * graph's depth.
 */
final class GraphCheck {
    final List<OnnxNode> ordered;
    /** Node that writes each value. */
    final Map<String, OnnxNode> producer = new HashMap<>();
    final Set<String> initializers = new HashSet<>();
    final Set<String> graphInputs = new HashSet<>();

    GraphCheck(String source, GraphProto g, List<OnnxNode> nodes) {
        for (TensorProto t : g.getInitializerList()) {
            if (t.getName().isEmpty()) {
                throw new OnnxModelException(source + ": an initializer has no name");
            }
            if (!initializers.add(t.getName())) {
                throw new OnnxModelException(source + ": initializer " + Problem.quote(t.getName()) + " appears twice");
            }
        }
        for (ValueInfoProto v : g.getInputList()) {
            if (v.getName().isEmpty()) {
                throw new OnnxModelException(source + ": a graph input has no name");
            }
            if (!graphInputs.add(v.getName())) {
                throw new OnnxModelException(source + ": graph input " + Problem.quote(v.getName()) + " appears twice");
            }
        }
        for (OnnxNode n : nodes) {
            if (n.op.isEmpty()) {
                throw new OnnxModelException(source + ": node " + n.label + " has no op_type");
            }
            for (String out : n.outputs) {
                if (out.isEmpty()) {
                    continue;
                }
                OnnxNode other = producer.put(out, n);
                if (other != null) {
                    throw new OnnxModelException(source + ": duplicate output name " + Problem.quote(out) + ": written by "
                            + other.label + " and by " + n.label + "; every value must be written once");
                }
                if (initializers.contains(out) || graphInputs.contains(out)) {
                    throw new OnnxModelException(source + ": " + n.label + " writes " + Problem.quote(out) + ", which is "
                            + (initializers.contains(out) ? "an initializer" : "a graph input")
                            + "; every value must be written once");
                }
            }
        }
        // Edges: the producer of each input must come first.
        int[] pending = new int[nodes.size()];
        List<List<OnnxNode>> consumers = new ArrayList<>(nodes.size());
        for (int i = 0; i < nodes.size(); i++) {
            consumers.add(new ArrayList<>());
        }
        for (OnnxNode n : nodes) {
            for (String in : n.inputs) {
                if (in.isEmpty()) {
                    continue;
                }
                OnnxNode p = producer.get(in);
                if (p == null) {
                    if (!initializers.contains(in) && !graphInputs.contains(in)) {
                        throw new OnnxModelException(source + ": " + n.label + " reads " + Problem.quote(in)
                                + ", which no node writes and which is neither a graph input nor an initializer");
                    }
                    continue;
                }
                pending[n.index]++;
                consumers.get(p.index).add(n);
            }
        }
        for (ValueInfoProto v : g.getOutputList()) {
            String o = v.getName();
            if (!producer.containsKey(o) && !graphInputs.contains(o) && !initializers.contains(o)) {
                throw new OnnxModelException(source + ": graph output " + Problem.quote(o) + " is written by no node");
            }
        }
        PriorityQueue<OnnxNode> ready = new PriorityQueue<>((a, b) -> Integer.compare(a.index, b.index));
        for (OnnxNode n : nodes) {
            if (pending[n.index] == 0) {
                ready.add(n);
            }
        }
        List<OnnxNode> order = new ArrayList<>(nodes.size());
        while (!ready.isEmpty()) {
            OnnxNode n = ready.poll();
            order.add(n);
            for (OnnxNode c : consumers.get(n.index)) {
                if (--pending[c.index] == 0) {
                    ready.add(c);
                }
            }
        }
        if (order.size() != nodes.size()) {
            throw new OnnxModelException(source + ": the graph has a cycle through " + cycleNode(nodes, pending)
                    + "; an ONNX graph must be acyclic");
        }
        this.ordered = order;
    }

    /** A node on a cycle: walk back from a node left unordered until a node repeats. */
    private OnnxNode cycleNodeOf(List<OnnxNode> nodes, int[] pending) {
        OnnxNode n = null;
        for (OnnxNode x : nodes) {
            if (pending[x.index] > 0) {
                n = x;
                break;
            }
        }
        Set<Integer> seen = new HashSet<>();
        while (seen.add(n.index)) {
            OnnxNode next = null;
            for (String in : n.inputs) {
                OnnxNode p = in.isEmpty() ? null : producer.get(in);
                if (p != null && pending[p.index] > 0) {
                    next = p;
                    break;
                }
            }
            n = next;
        }
        return n;
    }

    private String cycleNode(List<OnnxNode> nodes, int[] pending) {
        OnnxNode n = cycleNodeOf(nodes, pending);
        StringBuilder sb = new StringBuilder(n.label);
        for (String in : n.inputs) {
            OnnxNode p = in.isEmpty() ? null : producer.get(in);
            if (p != null && pending[p.index] > 0) {
                sb.append(" (it reads ").append(Problem.quote(in)).append(", written by ").append(p.label).append(')');
                break;
            }
        }
        return sb.toString();
    }
}
