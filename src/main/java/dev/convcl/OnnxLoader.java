package dev.convcl;

import dev.convcl.onnx.ActivationNode;
import dev.convcl.onnx.BatchNormNode;
import dev.convcl.onnx.BinaryNode;
import dev.convcl.onnx.ChannelShuffleNode;
import dev.convcl.onnx.ConcatNode;
import dev.convcl.onnx.ConvNode;
import dev.convcl.onnx.DeformConvNode;
import dev.convcl.onnx.FlattenNode;
import dev.convcl.onnx.LinearNode;
import dev.convcl.onnx.Node;
import dev.convcl.onnx.OnnxGraph;
import dev.convcl.onnx.OnnxModelException;
import dev.convcl.onnx.PadNode;
import dev.convcl.onnx.PoolNode;
import dev.convcl.onnx.ReshapeNode;
import dev.convcl.onnx.RoiAlignNode;
import dev.convcl.onnx.Shape;
import dev.convcl.onnx.SliceNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The bridge from an imported ONNX model ({@link OnnxGraph}, the importer's typed layer nodes) to
 * a {@link Graph}: one {@link Graph.Builder} call per node, named by the ONNX node. Every node is
 * tried; a node the builder cannot express (a slice of another axis than the channels, a concat on
 * another axis, a tensor of rank above 4 ...) is recorded, the nodes that read its output are
 * skipped, and one {@link OnnxModelException} lists every such node before anything is compiled.
 */
final class OnnxLoader {
    private final OnnxGraph model;
    private final Graph.Builder b = Graph.builder();
    private final Map<String, Value> values = new HashMap<>();
    private final Set<String> poisoned = new HashSet<>();
    private final Set<String> taken = new HashSet<>();
    private final List<String> problems = new ArrayList<>();

    private OnnxLoader(OnnxGraph model) {
        this.model = model;
    }

    /** The graph for {@code model}, or an {@link OnnxModelException} listing every node that cannot be lowered. */
    static Graph lower(OnnxGraph model) {
        return new OnnxLoader(model).run();
    }

    private Graph run() {
        for (OnnxGraph.Input in : model.inputs()) {
            String name = unique(in.name());
            try {
                values.put(in.name(), b.input(name, in.shape().dims()));
            } catch (IllegalArgumentException e) {
                problems.add("input '" + in.name() + "': " + strip("input '" + name + "': ", e.getMessage()));
                poisoned.add(in.name());
            }
        }
        for (Node n : model.nodes()) {
            if (n.inputs().stream().anyMatch(poisoned::contains)) {
                poisoned.add(n.output());
                continue;
            }
            try {
                Value v = lower(n);
                if (!Arrays.equals(v.shape(), n.outputShape().dims())) {
                    // e.g. ReduceMean with keepdims=0: the pool gives [N, C, 1, 1], the model [N, C]
                    v = b.reshape(unique(n.name() + "#view"), v, n.outputShape().dims());
                }
                values.put(n.output(), v);
            } catch (Unsupported e) {
                problems.add(kind(n) + " '" + n.name() + "': " + e.getMessage());
                poisoned.add(n.output());
            } catch (IllegalArgumentException e) {
                problems.add(kind(n) + " '" + n.name() + "': " + strip("node '" + n.name() + "': ", e.getMessage()));
                poisoned.add(n.output());
            }
        }
        if (!problems.isEmpty()) {
            throw new OnnxModelException(model.source() + ": " + problems.size() + " node"
                    + (problems.size() == 1 ? "" : "s") + " cannot run on convcl's graph runtime: "
                    + String.join("; ", problems));
        }
        for (OnnxGraph.Output o : model.outputs()) {
            b.output(o.name(), values.get(o.value()));
        }
        return b.build();
    }

    private Value lower(Node node) {
        String name = unique(node.name());
        if (node instanceof ConvNode n) {
            return b.conv2d(name, in(n.input()), n.weights(), n.bias(), n.conv().window(), n.conv().groups());
        }
        if (node instanceof DeformConvNode n) {
            return b.deformConv2d(name, in(n.input()), in(n.offset()), n.mask() == null ? null : in(n.mask()),
                    n.weights(), n.bias(), n.conv().window(), n.conv().groups());
        }
        if (node instanceof RoiAlignNode n) {
            // torchvision's [K, 5] rows (batch_index, x1, y1, x2, y2): the indices as a column before the boxes
            Value rois = in(n.rois());
            Value column = b.reshape(unique(node.name() + "#batch_column"), in(n.batchIndices()), rois.dim(0), 1);
            Value rois5 = b.concat(unique(node.name() + "#rois"), column, rois);
            return b.roiAlign(name, in(n.input()), rois5, n.outputShape().dim(2), n.outputShape().dim(3),
                    n.spatialScale(), n.samplingRatio(), n.aligned());
        }
        if (node instanceof BatchNormNode n) {
            return b.batchNorm(name, in(n.input()), n.mean(), n.variance(), n.gamma(), n.beta(), n.epsilon());
        }
        if (node instanceof ActivationNode n) {
            return b.activation(name, in(n.input()), n.activation());
        }
        if (node instanceof BinaryNode n) {
            Value l = operand(name, "a", n.left());
            Value r = operand(name, "b", n.right());
            return switch (n.kind()) {
                case ADD -> b.add(name, l, r);
                case SUB -> b.sub(name, l, r);
                case MUL -> b.mul(name, l, r);
                case DIV -> b.div(name, l, r);
            };
        }
        if (node instanceof PoolNode n) {
            Value x = in(n.input());
            return switch (n.kind()) {
                case GLOBAL_AVERAGE -> b.globalAvgPool(name, x);
                case GLOBAL_MAX -> b.globalMaxPool(name, x);
                case MAX -> b.maxPool2d(name, x, n.window(), n.ceilMode());
                case AVERAGE -> b.avgPool2d(name, x, n.window(), n.ceilMode(), n.countIncludePad());
            };
        }
        if (node instanceof ConcatNode n) {
            int rank = n.outputShape().rank();
            if (n.axis() != 1 && n.axis() != 1 - rank) {
                throw new Unsupported("concatenation on axis " + n.axis() + "; convcl concatenates channels (axis 1)");
            }
            List<Value> parts = new ArrayList<>();
            for (String v : n.inputs()) {
                parts.add(in(v));
            }
            return b.concat(name, parts);
        }
        if (node instanceof SliceNode n) {
            int rank = n.inputShape().rank();
            int axis = n.axis() < 0 ? n.axis() + rank : n.axis();
            if (axis != 1 || n.step() != 1) {
                throw new Unsupported("slice of axis " + n.axis() + " with step " + n.step()
                        + "; convcl slices channels (axis 1) with step 1");
            }
            return b.slice(name, in(n.input()), n.start(), n.start() + n.outputShape().dim(1));
        }
        if (node instanceof ChannelShuffleNode n) {
            return b.channelShuffle(name, in(n.input()), n.groups());
        }
        if (node instanceof FlattenNode n) {
            Value x = in(n.input());
            Shape o = n.outputShape();
            if (o.rank() == 2 && x.rank() >= 2 && o.dim(0) == x.dim(0)) {
                return b.flatten(name, x);
            }
            return b.reshape(name, x, o.dims());
        }
        if (node instanceof ReshapeNode n) {
            return b.reshape(name, in(n.input()), n.outputShape().dims());
        }
        if (node instanceof LinearNode n) {
            Value x = in(n.input());
            if (x.rank() != 2) {
                // MatMul on [..., in]: the leading dimensions as rows; the view back follows in run()
                x = b.reshape(unique(node.name() + "#rows"), x, -1, n.inFeatures());
            }
            return b.linear(name, x, n.weights(), n.bias());
        }
        if (node instanceof PadNode n) {
            return b.pad2d(name, in(n.input()), n.top(), n.left(), n.bottom(), n.right(), n.value());
        }
        throw new Unsupported("no graph layer for " + node.describe());
    }

    private Value operand(String node, String which, BinaryNode.Operand o) {
        if (o instanceof BinaryNode.Value v) {
            return in(v.name());
        }
        HostTensor t = ((BinaryNode.Constant) o).tensor();
        if (t.rank() > 4) {
            throw new Unsupported("constant operand " + Arrays.toString(t.shape()) + " of rank " + t.rank()
                    + "; convcl's tensors have rank 1 to 4");
        }
        return b.constant(unique(node + "#" + which), t);
    }

    private Value in(String value) {
        Value v = values.get(value);
        if (v == null) {
            throw new IllegalStateException("value '" + value + "' is read before it is written");
        }
        return v;
    }

    /** {@code name}, or {@code name#2}, {@code name#3} ... when an input or earlier node has it. */
    private String unique(String name) {
        String n = name.isEmpty() ? "node" : name;
        String u = n;
        for (int i = 2; taken.contains(u); i++) {
            u = n + "#" + i;
        }
        taken.add(u);
        return u;
    }

    /**
     * The builder's message without its {@code prefix} ({@code node 'name': } or {@code input 'name': }):
     * the list names the node or input already.
     */
    private static String strip(String prefix, String message) {
        return message != null && message.startsWith(prefix) ? message.substring(prefix.length()) : String.valueOf(message);
    }

    /** The IR node's kind as in {@link Node#describe()}: {@code Conv}, {@code Pool} ... */
    private static String kind(Node n) {
        String d = n.describe();
        int sp = d.indexOf(' ');
        return sp > 0 ? d.substring(0, sp) : d;
    }

    /** A node the builder has no call for. */
    private static final class Unsupported extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unsupported(String message) {
            super(message, null, false, false);
        }
    }
}
