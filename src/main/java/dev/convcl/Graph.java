package dev.convcl;

import dev.convcl.graph.GraphIr;
import dev.convcl.graph.Layer;
import dev.convcl.graph.Node;
import dev.convcl.onnx.InputShapeNeededException;
import dev.convcl.onnx.OnnxGraph;
import dev.convcl.onnx.OnnxImporter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A network: a directed acyclic graph of layers over named inputs, with named outputs, built once
 * with a {@link Builder} (shapes inferred and checked at each call) and compiled for an engine with
 * {@link Engine#compile(Graph)} into a {@link CompiledGraph} that runs it many times.
 *
 * <pre>{@code
 * Graph.Builder b = Graph.builder();
 * Value x = b.input("image", 1, 3, 224, 224);
 * Value y = b.conv2d("conv1", x, w1, null, 2, 3, 1, 1);
 * y = b.batchNorm("bn1", y, mean, var, gamma, beta, 1e-5f);
 * y = b.relu("relu", y);
 * y = b.maxPool2d("maxpool", y, 3, 2, 1);
 * ...
 * b.output("logits", y);
 * Graph g = b.build();
 * }</pre>
 *
 * Immutable and thread-safe; weights were copied when the builder took them.
 */
public final class Graph {
    private final GraphIr ir;
    /** Whether {@link #fromOnnx(Path)} made it: see {@link #isOnnxModel()}. */
    private final boolean fromOnnx;

    private Graph(GraphIr ir, boolean fromOnnx) {
        this.ir = ir;
        this.fromOnnx = fromOnnx;
    }

    /**
     * A new, empty builder.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * An ONNX model as a graph: the file is read and checked by convcl's importer (operators PyTorch's
     * exporter writes for CNNs, DeformConv included; opsets 9 to 20), shapes are fixed at the
     * model's declared input shapes, and every ONNX layer becomes one builder call named after its
     * ONNX node. Inputs and outputs keep the model's names. Nothing is compiled or run yet.
     *
     * @param model the {@code .onnx} file; external data files are read from its folder (and only there)
     * @return the graph
     * @throws ConvclException          with a one-line message when the file is not a readable model,
     *                                  breaks a rule of the format (a missing initializer, a cycle ...),
     *                                  or has nodes convcl cannot run (all of them listed, by op type and
     *                                  node name), or an input has symbolic dimensions or no shape (the
     *                                  message names the input, its symbolic dimensions and the
     *                                  {@code fromOnnx} form that gives its shape)
     * @throws IllegalArgumentException when {@code model} is null
     */
    public static Graph fromOnnx(Path model) {
        return fromOnnx(model, Map.of());
    }

    /**
     * An ONNX model with one input as a graph, at the given input shape (the model's may be symbolic,
     * or another image size may be wanted); see {@link #fromOnnx(Path)}. The shape replaces the
     * declared one: its symbolic dimensions, and of the fixed ones the batch (dimension 0; a model
     * exported at batch 1 runs at batch 8) and a 4-D input's height and width, unlike
     * {@code convcl bench --input-shape}, which sizes symbolic dimensions only. Any other dimension the
     * model fixes (an image's channels) must be given as declared: another size is refused before
     * any layer is read, naming the input, the shape given and the declared one; shapes inside
     * the model (a Reshape's target) are not rewritten, so a model that fixes them
     * loads only at shapes they fit.
     *
     * @param model      the {@code .onnx} file
     * @param inputShape the shape of its only runtime input, e.g. {@code 1, 3, 224, 224}
     * @return the graph
     * @throws ConvclException          as {@link #fromOnnx(Path)}, and when the model's layers do not fit
     *                                  that shape (naming the node)
     * @throws IllegalArgumentException when {@code model} or the shape is null, a dimension is below 1,
     *                                  the model has several inputs, or the shape has another rank than
     *                                  the declared one or changes a fixed dimension other than those
     *                                  above, e.g. {@code the shape given for m.onnx: graph input 'x', [1,
     *                                  4, 8, 8], has 4 at dimension 1 (channels), which the model fixes
     *                                  at 3: declared [batch, 3, 8, 8]; ...}
     */
    public static Graph fromOnnx(Path model, int... inputShape) {
        if (inputShape == null) {
            throw new IllegalArgumentException("the input shape must not be null");
        }
        return load(model, OnnxImporter.Options.defaults().withInputShape(inputShape));
    }

    /**
     * An ONNX model as a graph, with the shapes of some inputs given by name (the others keep the
     * model's); see {@link #fromOnnx(Path)}. A given shape replaces the declared one as in
     * {@link #fromOnnx(Path, int...)}: symbolic dimensions, the batch and a 4-D input's height and
     * width; the model's other fixed dimensions must be given as declared. An input not given whose symbolic
     * dimensions ({@code dim_param}) are all named by inputs given takes their sizes (inputs
     * {@code a} and {@code b} of {@code [batch, 3, 8, 8]}: giving {@code a} a batch of 2 gives
     * {@code b} one too).
     *
     * @param model       the {@code .onnx} file
     * @param inputShapes input name to shape; every key is an input's name, as the model declares it
     *                    (the shape of a model's only input is given without a name with
     *                    {@link #fromOnnx(Path, int...)})
     * @return the graph
     * @throws ConvclException          as {@link #fromOnnx(Path)}, and when the model's layers do not fit
     *                                  the shapes (naming the node)
     * @throws IllegalArgumentException when {@code model} or the map is null, a name in it is null or
     *                                  not an input of the model, the empty name included (the
     *                                  message lists the model's inputs in declared order), a shape
     *                                  is null or has a
     *                                  dimension below 1 (the message names its input), or the
     *                                  shapes fill one symbolic dimension ({@code dim_param}) with two
     *                                  sizes, or a shape has another rank than its input's declared one
     *                                  or changes a fixed dimension other than the batch, height and
     *                                  width (the message names the input, the shape and the declared one)
     */
    public static Graph fromOnnx(Path model, Map<String, int[]> inputShapes) {
        if (inputShapes == null) {
            throw new IllegalArgumentException("the input shapes must not be null");
        }
        OnnxImporter.Options o = OnnxImporter.Options.defaults();
        for (Map.Entry<String, int[]> e : inputShapes.entrySet()) {
            o = o.withInputShape(e.getKey(), e.getValue());
        }
        return load(model, o);
    }

    private static Graph load(Path model, OnnxImporter.Options options) {
        if (model == null) {
            throw new IllegalArgumentException("the model path must not be null");
        }
        OnnxGraph imported;
        try {
            imported = OnnxImporter.read(model, options);
        } catch (InputShapeNeededException e) {
            // the importer says what is missing; the way to give it is this class's
            throw e.withAdvice(e.inputs().size() == 1 ? "give its shape with Graph.fromOnnx(model, shape)"
                    : "give its shape by name with Graph.fromOnnx(model, Map.of(" + javaString(e.input()) + ", shape))");
        }
        return new Graph(OnnxLoader.lower(imported).ir, true);
    }

    /** {@code name} as a Java string literal, for advice a user may copy. */
    private static String javaString(String name) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : name.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\');
            }
            sb.append(Character.isISOControl(c) ? '?' : c);
        }
        return sb.append('"').toString();
    }

    /**
     * The graph inputs, in the order they were declared.
     *
     * @return an unmodifiable list
     */
    public List<Value> inputs() {
        return ir.inputs();
    }

    /**
     * The outputs, by name, in the order they were declared.
     *
     * @return an unmodifiable map of output name to value
     */
    public Map<String, Value> outputs() {
        return ir.outputs();
    }

    /**
     * The number of nodes (layers and constants) as built, before any pass.
     *
     * @return the count
     */
    public int nodeCount() {
        return ir.nodes().size();
    }

    GraphIr ir() {
        return ir;
    }

    /**
     * Whether the graph is an ONNX model's ({@link #fromOnnx(Path)}): every RoiAlign node in it is
     * the model's, whose run-time refusals {@link CompiledGraph} words with the model's attribute
     * names ({@code spatial_scale}, {@code sampling_ratio}) rather than the builder's parameters.
     */
    boolean isOnnxModel() {
        return fromOnnx;
    }

    /**
     * One line per input, node ({@code name: kind(inputs) -> shape}) and output.
     *
     * @return the listing
     */
    @Override
    public String toString() {
        return ir.toString();
    }

    /**
     * Builds a {@link Graph} one layer at a time, PyTorch-like: every method takes the node's name
     * first (a PyTorch module path or an ONNX node name, unique in the graph), the values it reads,
     * and its constants as host tensors (copied now), and returns the value it computes. Shapes are
     * inferred and checked at once: a mistake throws {@link IllegalArgumentException} whose message
     * starts with {@code node 'name': } and names the shapes and the rule. Not thread-safe.
     *
     * <p>Layout: NCHW; values have rank 1 to 4. Layers and their PyTorch counterparts:
     * {@code torch.nn.functional.conv2d}, {@code torchvision.ops.deform_conv2d}, {@code batch_norm}
     * (inference), the activations, {@code torch.add/sub/mul/div} with broadcasting,
     * {@code torch.cat(dim=1)}, channel slices and splits, {@code channel_shuffle},
     * {@code max_pool2d}, {@code avg_pool2d}, {@code adaptive_avg_pool2d(1)},
     * {@code adaptive_max_pool2d(1)}, {@code pad} (constant), {@code flatten(x, 1)}, {@code reshape},
     * {@code linear} and {@code torchvision.ops.roi_align}.
     */
    public static final class Builder {
        private final List<Value> inputs = new ArrayList<>();
        private final List<Node> nodes = new ArrayList<>();
        private final Map<String, Value> outputs = new LinkedHashMap<>();
        private final Set<String> names = new HashSet<>();
        private final Set<Value> values = Collections.newSetFromMap(new java.util.IdentityHashMap<>());

        private Builder() {
        }

        // ------------------------------------------------------------ inputs, constants, outputs

        /**
         * A graph input.
         *
         * @param name  the input's name, unique in the graph
         * @param shape its shape, rank 1 to 4, every dimension at least 1 (NCHW for images)
         * @return the input's value
         * @throws IllegalArgumentException naming the input when the name is taken or the shape breaks a
         *                                  rule
         */
        public Value input(String name, int... shape) {
            checkName("input", name);
            int[] s = checkedShape("input '" + name + "'", shape);
            Value v = new Value(name, s, this);
            names.add(name);
            values.add(v);
            inputs.add(v);
            return v;
        }

        /**
         * A constant tensor (copied now), e.g. a scale that a {@link #mul} applies; it is uploaded once.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param value the values, rank 1 to 4
         * @return the constant's value
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the tensor is null or of rank above 4
         */
        public Value constant(String name, HostTensor value) {
            checkName("node", name);
            if (value == null) {
                throw error(name, "the constant must not be null");
            }
            int[] s = checkedShape("node '" + name + "'", value.shape());
            return add(name, new Layer.Constant(value.toArray()), List.of(), s);
        }

        /**
         * Declares a graph output; {@link CompiledGraph#run} returns it under {@code name}.
         *
         * @param name the output's name, unique among the outputs
         * @param v    the value
         * @throws IllegalArgumentException when the name is empty or taken, or the value comes from another builder
         */
        public void output(String name, Value v) {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("an output name must not be empty");
            }
            if (outputs.containsKey(name)) {
                throw new IllegalArgumentException("output '" + name + "' is declared twice");
            }
            own("output '" + name + "'", v);
            outputs.put(name, v);
        }

        /**
         * The graph, immutable; the builder can go on (later changes do not reach it).
         *
         * @return the graph
         * @throws IllegalArgumentException when no output was declared
         */
        public Graph build() {
            if (outputs.isEmpty()) {
                throw new IllegalArgumentException("the graph has no output; declare one with output(name, value)");
            }
            return new Graph(new GraphIr(inputs, nodes, outputs), false);
        }

        // ------------------------------------------------------------ convolutions

        /**
         * {@code torch.nn.functional.conv2d(x, weight, bias, stride, padding, dilation, groups)}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x        {@code [N, C, H, W]}
         * @param weight   {@code [K, C/groups, kh, kw]} (copied)
         * @param bias     {@code [K]} (copied), or null
         * @param stride   stride on both axes, at least 1
         * @param padding  zero padding on every side, at least 0
         * @param dilation dilation on both axes, at least 1
         * @param groups   channel groups, dividing C and K
         * @return the output, {@code [N, K, OH, OW]}
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the shapes break a rule of {@link Conv2d}
         */
        public Value conv2d(String name, Value x, HostTensor weight, HostTensor bias, int stride, int padding,
                            int dilation, int groups) {
            checkName("node", name);
            Window2d win = window(name, weight, stride, padding, dilation);
            return conv2d(name, x, weight, bias, win, groups);
        }

        /**
         * A convolution with its window given in full: per-axis stride and dilation, and padding that
         * may differ before and after each axis (ONNX's {@code pads}).
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x      {@code [N, C, H, W]}
         * @param weight {@code [K, C/groups, kh, kw]} (copied); its kernel size must be the window's
         * @param bias   {@code [K]} (copied), or null
         * @param window kernel size, stride, padding and dilation
         * @param groups channel groups, dividing C and K
         * @return the output, {@code [N, K, OH, OW]}
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the shapes break a rule of {@link Conv2d}
         */
        public Value conv2d(String name, Value x, HostTensor weight, HostTensor bias, Window2d window, int groups) {
            checkName("node", name);
            own(name, x);
            requireRank(name, "input", x, 4);
            Conv2d op = convOp(name, x, weight, bias, window, groups);
            Layer.Conv layer = new Layer.Conv(window, groups, weight.toArray(), weight.shape(),
                    bias == null ? null : bias.toArray(), false, 1, false, PostOps.none());
            return add(name, layer, List.of(x), op.outputShape());
        }

        /**
         * {@code torchvision.ops.deform_conv2d(x, offset, weight, bias, stride, padding, dilation, mask)}:
         * the offsets (and the DCNv2 mask) come from earlier nodes; offset groups are
         * {@code offset channels / (2*kh*kw)} and groups {@code C / weight.dim(1)}, as torchvision
         * derives them. Semantics: {@link DeformConv2d}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x        {@code [N, C, H, W]}
         * @param offset   {@code [N, 2*og*kh*kw, OH, OW]}
         * @param mask     {@code [N, og*kh*kw, OH, OW]}, or null (DCNv1)
         * @param weight   {@code [K, C/groups, kh, kw]} (copied)
         * @param bias     {@code [K]} (copied), or null
         * @param stride   stride on both axes
         * @param padding  zero padding on every side
         * @param dilation dilation on both axes
         * @return the output, {@code [N, K, OH, OW]}
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the shapes break a rule of
         *                                  {@link DeformConv2d}
         */
        public Value deformConv2d(String name, Value x, Value offset, Value mask, HostTensor weight, HostTensor bias,
                                  int stride, int padding, int dilation) {
            checkName("node", name);
            Window2d win = window(name, weight, stride, padding, dilation);
            own(name, x);
            requireRank(name, "input", x, 4);
            if (weight.dim(1) < 1 || x.dim(1) % weight.dim(1) != 0) {
                throw error(name, "input " + Arrays.toString(x.shape()) + " has " + x.dim(1)
                        + " channels, not a multiple of the weight's " + weight.dim(1) + " channels per group");
            }
            return deformConv2d(name, x, offset, mask, weight, bias, win, x.dim(1) / weight.dim(1));
        }

        /**
         * A deformable convolution with its window given in full (ONNX's {@code DeformConv}).
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x      {@code [N, C, H, W]}
         * @param offset {@code [N, 2*og*kh*kw, OH, OW]}; og is derived from its channels
         * @param mask   {@code [N, og*kh*kw, OH, OW]}, or null
         * @param weight {@code [K, C/groups, kh, kw]} (copied)
         * @param bias   {@code [K]} (copied), or null
         * @param window kernel size, stride, padding and dilation
         * @param groups channel groups, dividing C and K
         * @return the output, {@code [N, K, OH, OW]}
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the shapes break a rule of
         *                                  {@link DeformConv2d}
         */
        public Value deformConv2d(String name, Value x, Value offset, Value mask, HostTensor weight, HostTensor bias,
                                  Window2d window, int groups) {
            checkName("node", name);
            own(name, x);
            own(name, offset);
            if (mask != null) {
                own(name, mask);
            }
            requireRank(name, "input", x, 4);
            requireRank(name, "offset", offset, 4);
            Conv2d plain = convOp(name, x, weight, bias, window, groups);
            int kk = window.kh() * window.kw();
            if (offset.dim(1) % (2 * kk) != 0) {
                throw error(name, "offset " + offset + " has " + offset.dim(1)
                        + " channels; it must be a multiple of 2*kh*kw=" + 2 * kk);
            }
            int og = offset.dim(1) / (2 * kk);
            DeformConv2d op;
            try {
                op = new DeformConv2d(plain.n(), plain.c(), plain.h(), plain.w(), plain.k(), window, groups, og,
                        mask != null, bias != null, PostOps.none(), DataType.F32, Direction.FORWARD);
            } catch (IllegalArgumentException e) {
                throw error(name, e.getMessage());
            }
            sameShape(name, "offset", offset, op.offsetShape(), "[N, 2*og*kh*kw, OH, OW]");
            if (mask != null) {
                requireRank(name, "mask", mask, 4);
                sameShape(name, "mask", mask, op.maskShape(), "[N, og*kh*kw, OH, OW]");
            }
            Layer.Conv layer = new Layer.Conv(window, groups, weight.toArray(), weight.shape(),
                    bias == null ? null : bias.toArray(), true, og, mask != null, PostOps.none());
            List<Value> in = mask != null ? List.of(x, offset, mask) : List.of(x, offset);
            return add(name, layer, in, op.outputShape());
        }

        private Window2d window(String name, HostTensor weight, int stride, int padding, int dilation) {
            if (weight == null) {
                throw error(name, "weight must not be null");
            }
            if (weight.rank() != 4) {
                throw error(name, "weight " + Arrays.toString(weight.shape()) + " must have rank 4 [K, C/groups, kh, kw]");
            }
            try {
                return Window2d.of(weight.dim(2), weight.dim(3), stride, stride, padding, padding, dilation, dilation);
            } catch (IllegalArgumentException e) {
                throw error(name, e.getMessage());
            }
        }

        private Conv2d convOp(String name, Value x, HostTensor weight, HostTensor bias, Window2d window, int groups) {
            if (weight == null) {
                throw error(name, "weight must not be null");
            }
            if (window == null) {
                throw error(name, "window must not be null");
            }
            if (weight.rank() != 4) {
                throw error(name, "weight " + Arrays.toString(weight.shape()) + " must have rank 4 [K, C/groups, kh, kw]");
            }
            if (weight.dim(2) != window.kh() || weight.dim(3) != window.kw()) {
                throw error(name, "weight " + Arrays.toString(weight.shape()) + " has a " + weight.dim(2) + "x"
                        + weight.dim(3) + " kernel but the window's is " + window.kh() + "x" + window.kw());
            }
            Conv2d op;
            try {
                op = new Conv2d(x.dim(0), x.dim(1), x.dim(2), x.dim(3), weight.dim(0), window, groups, bias != null,
                        PostOps.none(), DataType.F32, Direction.FORWARD);
            } catch (IllegalArgumentException e) {
                throw error(name, e.getMessage() + " (input " + Arrays.toString(x.shape()) + ", weight "
                        + Arrays.toString(weight.shape()) + ")");
            }
            if (weight.dim(1) != op.cPerGroup()) {
                throw error(name, "weight " + Arrays.toString(weight.shape()) + " has " + weight.dim(1)
                        + " input channels per group, but input " + Arrays.toString(x.shape()) + " with groups=" + groups
                        + " has " + op.cPerGroup());
            }
            if (bias != null && (bias.rank() != 1 || bias.dim(0) != op.k())) {
                throw error(name, "bias " + Arrays.toString(bias.shape()) + " must be [" + op.k()
                        + "], one value per output channel");
            }
            return op;
        }

        // ------------------------------------------------------------ regions of interest

        /**
         * {@code torchvision.ops.roi_align(x, rois, (outH, outW), spatialScale, samplingRatio, aligned)}:
         * average of bilinear samples over each bin of each region. The rois' values (batch index in
         * {@code [0, N)}, finite coordinates) are checked on the host before the kernel runs.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x             {@code [N, C, H, W]}
         * @param rois          {@code [K, 5]}, rows {@code (batch_index, x1, y1, x2, y2)} in input-image coordinates
         * @param outH          output bins per region, vertically, at least 1
         * @param outW          output bins per region, horizontally, at least 1
         * @param spatialScale  input-image coordinates to map coordinates, finite and positive
         * @param samplingRatio samples per bin row and column; 0 or less for adaptive ({@code ceil(roi_h / outH)})
         * @param aligned       shift the scaled corners by -0.5 pixel (torchvision's {@code aligned=True})
         * @return the output, {@code [K, C, outH, outW]}
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or a shape or parameter breaks a rule
         *                                  of {@link RoiAlign}
         */
        public Value roiAlign(String name, Value x, Value rois, int outH, int outW, float spatialScale,
                              int samplingRatio, boolean aligned) {
            checkName("node", name);
            own(name, x);
            own(name, rois);
            requireRank(name, "input", x, 4);
            if (rois.rank() != 2 || rois.dim(1) != 5) {
                throw error(name, "rois " + rois + " must be [K, 5], rows (batch_index, x1, y1, x2, y2)");
            }
            RoiAlign op;
            try {
                op = new RoiAlign(RoiAlign.Kind.ROI_ALIGN, x.dim(0), x.dim(1), x.dim(2), x.dim(3), rois.dim(0), outH,
                        outW, spatialScale, Math.max(samplingRatio, 0), aligned, 0f, false, false, DataType.F32,
                        Direction.FORWARD);
            } catch (IllegalArgumentException e) {
                throw error(name, e.getMessage());
            }
            return add(name, new Layer.Roi(outH, outW, spatialScale, op.samplingRatio(), aligned), List.of(x, rois),
                    new int[] {rois.dim(0), x.dim(1), outH, outW});
        }

        // ------------------------------------------------------------ normalisation and activations

        /**
         * {@code torch.nn.functional.batch_norm(x, running_mean, running_var, weight, bias, False, 0, eps)}
         * (inference) over dimension 1: {@code (x - mean) / sqrt(var + eps) * weight + bias}. Folded
         * into the convolution before it where it can be.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x           rank 2 to 4, {@code [N, C, ...]}
         * @param runningMean {@code [C]} (copied)
         * @param runningVar  {@code [C]} (copied); {@code var + eps} must be positive
         * @param weight      {@code [C]} (gamma, copied), or null for ones
         * @param bias        {@code [C]} (beta, copied), or null for zeros
         * @param eps         positive and finite
         * @return the output, of the input's shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or a vector is not {@code [C]}
         */
        public Value batchNorm(String name, Value x, HostTensor runningMean, HostTensor runningVar, HostTensor weight,
                               HostTensor bias, float eps) {
            checkName("node", name);
            own(name, x);
            if (x.rank() < 2) {
                throw error(name, "input " + Arrays.toString(x.shape()) + " must have rank 2 to 4 [N, C, ...]");
            }
            int c = x.dim(1);
            if (!(eps > 0) || !Float.isFinite(eps)) {
                throw error(name, "eps=" + eps + " must be positive and finite");
            }
            float[] mean = channelVector(name, "running_mean", runningMean, c, 0f);
            float[] var = channelVector(name, "running_var", runningVar, c, 0f);
            for (int i = 0; i < c; i++) {
                if (!(var[i] + (double) eps > 0)) {
                    throw error(name, "running_var[" + i + "]=" + var[i] + " plus eps=" + eps
                            + " must be positive (its square root divides)");
                }
            }
            float[] gamma = weight == null ? ones(c) : channelVector(name, "weight", weight, c, 1f);
            float[] beta = bias == null ? new float[c] : channelVector(name, "bias", bias, c, 0f);
            return add(name, new Layer.BatchNorm(mean, var, gamma, beta, eps), List.of(x), x.shape());
        }

        private float[] channelVector(String name, String what, HostTensor t, int c, float dflt) {
            if (t == null) {
                throw error(name, what + " must not be null");
            }
            if (t.rank() != 1 || t.dim(0) != c) {
                throw error(name, what + " " + Arrays.toString(t.shape()) + " must be [" + c + "], one value per channel");
            }
            return t.toArray();
        }

        private static float[] ones(int c) {
            float[] a = new float[c];
            Arrays.fill(a, 1f);
            return a;
        }

        /**
         * An element-wise activation (any rank); fused into the layer before it where it can be.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x          the input
         * @param activation the function
         * @return the output, of the input's shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the activation is null
         */
        public Value activation(String name, Value x, Activation activation) {
            checkName("node", name);
            own(name, x);
            if (activation == null) {
                throw error(name, "activation must not be null");
            }
            return add(name, new Layer.Act(activation), List.of(x), x.shape());
        }

        /**
         * An activation whose factory checks its parameters: the name is checked first, then a
         * parameter the factory refuses is reported as this node's error.
         */
        private Value checkedActivation(String name, Value x, Supplier<Activation> checkedFactory) {
            checkName("node", name);
            Activation a;
            try {
                a = checkedFactory.get();
            } catch (IllegalArgumentException e) {
                throw error(name, e.getMessage());
            }
            return activation(name, x, a);
        }

        /**
         * {@code relu(x)}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x the input
         * @return the output, of the input's shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder
         */
        public Value relu(String name, Value x) {
            return activation(name, x, Activation.relu());
        }

        /**
         * {@code relu6(x)}: {@code clip(x, 0, 6)}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x the input
         * @return the output, of the input's shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder
         */
        public Value relu6(String name, Value x) {
            return activation(name, x, Activation.relu6());
        }

        /**
         * {@code clamp(x, min, max)}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x   the input
         * @param min the lower bound, finite, or {@code -Infinity} for none
         * @param max the upper bound, finite, or {@code +Infinity} for none; at least min
         * @return the output, of the input's shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or a bound breaks a rule
         */
        public Value clip(String name, Value x, float min, float max) {
            return checkedActivation(name, x, () -> Activation.clip(min, max));
        }

        /**
         * {@code leaky_relu(x, slope)}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x     the input
         * @param slope the slope below zero, finite
         * @return the output, of the input's shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the slope is not finite
         */
        public Value leakyRelu(String name, Value x, float slope) {
            return checkedActivation(name, x, () -> Activation.leakyRelu(slope));
        }

        /**
         * {@code sigmoid(x)}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x the input
         * @return the output, of the input's shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder
         */
        public Value sigmoid(String name, Value x) {
            return activation(name, x, Activation.sigmoid());
        }

        /**
         * {@code silu(x)}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x the input
         * @return the output, of the input's shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder
         */
        public Value silu(String name, Value x) {
            return activation(name, x, Activation.silu());
        }

        /**
         * {@code gelu(x)}, the exact (erf) form.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x the input
         * @return the output, of the input's shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder
         */
        public Value gelu(String name, Value x) {
            return activation(name, x, Activation.gelu());
        }

        /**
         * {@code hardswish(x)}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x the input
         * @return the output, of the input's shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder
         */
        public Value hardswish(String name, Value x) {
            return activation(name, x, Activation.hardswish());
        }

        /**
         * {@code hardsigmoid(x)}, PyTorch's: {@code clamp(x/6 + 1/2, 0, 1)}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x the input
         * @return the output, of the input's shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder
         */
        public Value hardsigmoid(String name, Value x) {
            return activation(name, x, Activation.hardsigmoid());
        }

        /**
         * ONNX's {@code HardSigmoid(alpha, beta)}: {@code clamp(alpha*x + beta, 0, 1)}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x     the input
         * @param alpha the slope, finite
         * @param beta  the offset, finite
         * @return the output, of the input's shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or a parameter is not finite
         */
        public Value hardsigmoid(String name, Value x, float alpha, float beta) {
            return checkedActivation(name, x, () -> Activation.hardsigmoid(alpha, beta));
        }

        // ------------------------------------------------------------ element-wise arithmetic

        /**
         * {@code a + b} with NumPy broadcasting (e.g. {@code [N, C, H, W] + [1, C, 1, 1]}); a residual
         * add is fused into the layer computing one operand where it can be.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param a the first operand
         * @param b the second operand
         * @return the result, of the broadcast shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the shapes do not broadcast
         */
        public Value add(String name, Value a, Value b) {
            return binary(name, Binary.Kind.ADD, a, b);
        }

        /**
         * {@code a - b} with NumPy broadcasting.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param a the first operand
         * @param b the second operand
         * @return the result, of the broadcast shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the shapes do not broadcast
         */
        public Value sub(String name, Value a, Value b) {
            return binary(name, Binary.Kind.SUB, a, b);
        }

        /**
         * {@code a * b} with NumPy broadcasting (the squeeze-and-excitation scale:
         * {@code [N, C, H, W] * [N, C, 1, 1]}).
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param a the first operand
         * @param b the second operand
         * @return the result, of the broadcast shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the shapes do not broadcast
         */
        public Value mul(String name, Value a, Value b) {
            return binary(name, Binary.Kind.MUL, a, b);
        }

        /**
         * {@code a / b} with NumPy broadcasting (true division).
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param a the first operand
         * @param b the second operand
         * @return the result, of the broadcast shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the shapes do not broadcast
         */
        public Value div(String name, Value a, Value b) {
            return binary(name, Binary.Kind.DIV, a, b);
        }

        private Value binary(String name, Binary.Kind kind, Value a, Value b) {
            checkName("node", name);
            own(name, a);
            own(name, b);
            int[] out;
            try {
                out = ShapeRules.broadcast("'" + a.name() + "'", a.shape(), "'" + b.name() + "'", b.shape());
            } catch (IllegalArgumentException e) {
                throw error(name, e.getMessage());
            }
            return add(name, new Layer.Elementwise(kind, PostOps.none()), List.of(a, b), out);
        }

        // ------------------------------------------------------------ channels

        /**
         * {@code torch.cat(parts, dim=1)}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param parts values of rank 2 to 4, equal in every dimension but 1
         * @return the concatenation
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or there is no part or the shapes
         *                                  differ elsewhere than in dimension 1
         */
        public Value concat(String name, List<Value> parts) {
            checkName("node", name);
            if (parts == null || parts.isEmpty()) {
                throw error(name, "concat needs at least one input");
            }
            Value first = parts.get(0);
            long channels = 0;
            for (int i = 0; i < parts.size(); i++) {
                Value p = parts.get(i);
                own(name, p);
                if (p.rank() < 2 || p.rank() != first.rank()) {
                    throw error(name, "input " + i + " " + p + " must have rank 2 to 4 and the rank of input 0 " + first);
                }
                for (int d = 0; d < p.rank(); d++) {
                    if (d != 1 && p.dim(d) != first.dim(d)) {
                        throw error(name, "input " + i + " " + p + " differs from input 0 " + first + " in dimension " + d
                                + "; only dimension 1 (channels) may differ");
                    }
                }
                channels += p.dim(1);
            }
            int[] out = first.shape();
            if (channels > Integer.MAX_VALUE) {
                throw error(name, "the concatenation would have " + channels + " channels");
            }
            out[1] = (int) channels;
            checkedShape("node '" + name + "'", out);
            return add(name, new Layer.Concat(), parts, out);
        }

        /**
         * {@code torch.cat(parts, dim=1)}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param parts values of rank 2 to 4, equal in every dimension but 1
         * @return the concatenation
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or there is no part or the shapes
         *                                  differ elsewhere than in dimension 1
         */
        public Value concat(String name, Value... parts) {
            return concat(name, parts == null ? null : Arrays.asList(parts));
        }

        /**
         * {@code x[:, start:end]}: a range of channels.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x     rank 2 to 4
         * @param start the first channel
         * @param end   one past the last channel; {@code start < end <= C}
         * @return the slice, with {@code end - start} channels
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the range is empty or outside the channels
         */
        public Value slice(String name, Value x, int start, int end) {
            checkName("node", name);
            own(name, x);
            if (x.rank() < 2) {
                throw error(name, "input " + x + " must have rank 2 to 4 to slice its channels");
            }
            if (start < 0 || end > x.dim(1) || start >= end) {
                throw error(name, "channels [" + start + ", " + end + ") must be a non-empty range within the input's "
                        + x.dim(1) + " channels");
            }
            int[] out = x.shape();
            out[1] = end - start;
            return add(name, new Layer.Slice(start, end - start), List.of(x), out);
        }

        /**
         * {@code torch.split(x, sizes, dim=1)}: consecutive channel ranges; part i is named {@code name:i}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x     rank 2 to 4
         * @param sizes the parts' channels, each at least 1, adding up to C
         * @return the parts, in order
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the sizes do not add up to the channels
         */
        public List<Value> split(String name, Value x, int... sizes) {
            checkName("node", name);
            own(name, x);
            if (sizes == null || sizes.length == 0) {
                throw error(name, "split needs at least one size");
            }
            long total = 0;
            for (int s : sizes) {
                if (s < 1) {
                    throw error(name, "split sizes " + Arrays.toString(sizes) + " must be at least 1 each");
                }
                total += s;
            }
            if (x.rank() < 2 || total != x.dim(1)) {
                throw error(name, "split sizes " + Arrays.toString(sizes) + " add up to " + total + ", but input " + x
                        + " has " + (x.rank() < 2 ? "no channel dimension" : x.dim(1) + " channels"));
            }
            for (int i = 0; i < sizes.length; i++) {
                checkName("node", name + ":" + i);
            }
            List<Value> parts = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < sizes.length; i++) {
                int[] out = x.shape();
                out[1] = sizes[i];
                parts.add(add(name + ":" + i, new Layer.Slice(start, sizes[i]), List.of(x), out));
                start += sizes[i];
            }
            return parts;
        }

        /**
         * {@code torch.nn.functional.channel_shuffle(x, groups)}; see {@link ChannelShuffle}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x      {@code [N, C, H, W]}
         * @param groups groups, dividing C
         * @return the shuffled value, of the input's shape
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or groups does not divide C
         */
        public Value channelShuffle(String name, Value x, int groups) {
            checkName("node", name);
            own(name, x);
            requireRank(name, "input", x, 4);
            if (groups < 1 || x.dim(1) % groups != 0) {
                throw error(name, "groups=" + groups + " must be at least 1 and divide the input's " + x.dim(1) + " channels");
            }
            return add(name, new Layer.Shuffle(groups), List.of(x), x.shape());
        }

        // ------------------------------------------------------------ pooling

        /**
         * {@code max_pool2d(x, kernel, stride, padding)}: square window, dilation 1, floor mode.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x       {@code [N, C, H, W]}
         * @param kernel  kernel height and width
         * @param stride  stride on both axes
         * @param padding padding on every side, at most {@code kernel / 2}
         * @return the output, {@code [N, C, OH, OW]}
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the window breaks a rule of {@link Pool2d}
         */
        public Value maxPool2d(String name, Value x, int kernel, int stride, int padding) {
            return maxPool2d(name, x, kernel, stride, padding, 1, false);
        }

        /**
         * {@code max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x        {@code [N, C, H, W]}
         * @param kernel   kernel height and width
         * @param stride   stride on both axes
         * @param padding  padding on every side, at most {@code kernel / 2}
         * @param dilation dilation on both axes
         * @param ceilMode PyTorch's {@code ceil_mode}
         * @return the output, {@code [N, C, OH, OW]}
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the window breaks a rule of {@link Pool2d}
         */
        public Value maxPool2d(String name, Value x, int kernel, int stride, int padding, int dilation, boolean ceilMode) {
            checkName("node", name);
            return pool(name, x, Pool2d.Kind.MAX, squareWindow(name, kernel, stride, padding, dilation), ceilMode, false);
        }

        /**
         * Max pooling with its window in full (asymmetric padding, per-axis stride and dilation).
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x        {@code [N, C, H, W]}
         * @param window   kernel size, stride, padding and dilation
         * @param ceilMode PyTorch's {@code ceil_mode}
         * @return the output, {@code [N, C, OH, OW]}
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the window breaks a rule of {@link Pool2d}
         */
        public Value maxPool2d(String name, Value x, Window2d window, boolean ceilMode) {
            return pool(name, x, Pool2d.Kind.MAX, window, ceilMode, false);
        }

        /**
         * {@code avg_pool2d(x, kernel, stride, padding)}: floor mode, count_include_pad.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x       {@code [N, C, H, W]}
         * @param kernel  kernel height and width
         * @param stride  stride on both axes
         * @param padding padding on every side, at most {@code kernel / 2}
         * @return the output, {@code [N, C, OH, OW]}
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the window breaks a rule of {@link Pool2d}
         */
        public Value avgPool2d(String name, Value x, int kernel, int stride, int padding) {
            return avgPool2d(name, x, kernel, stride, padding, false, true);
        }

        /**
         * {@code avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad)}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x               {@code [N, C, H, W]}
         * @param kernel          kernel height and width
         * @param stride          stride on both axes
         * @param padding         padding on every side, at most {@code kernel / 2}
         * @param ceilMode        PyTorch's {@code ceil_mode}
         * @param countIncludePad PyTorch's {@code count_include_pad}
         * @return the output, {@code [N, C, OH, OW]}
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the window breaks a rule of {@link Pool2d}
         */
        public Value avgPool2d(String name, Value x, int kernel, int stride, int padding, boolean ceilMode,
                               boolean countIncludePad) {
            checkName("node", name);
            return pool(name, x, Pool2d.Kind.AVG, squareWindow(name, kernel, stride, padding, 1), ceilMode,
                    countIncludePad);
        }

        /**
         * Average pooling with its window in full (asymmetric padding, per-axis stride; dilation 1).
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x               {@code [N, C, H, W]}
         * @param window          kernel size, stride and padding
         * @param ceilMode        PyTorch's {@code ceil_mode}
         * @param countIncludePad PyTorch's {@code count_include_pad}
         * @return the output, {@code [N, C, OH, OW]}
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the window breaks a rule of {@link Pool2d}
         */
        public Value avgPool2d(String name, Value x, Window2d window, boolean ceilMode, boolean countIncludePad) {
            return pool(name, x, Pool2d.Kind.AVG, window, ceilMode, countIncludePad);
        }

        /**
         * {@code adaptive_avg_pool2d(x, 1)}: the mean of each plane.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x {@code [N, C, H, W]}
         * @return {@code [N, C, 1, 1]}
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or x is not of rank 4
         */
        public Value globalAvgPool(String name, Value x) {
            checkName("node", name);
            own(name, x);
            requireRank(name, "input", x, 4);
            return pool(name, x, Pool2d.Kind.AVG, Window2d.of(x.dim(2), x.dim(3), 1, 1, 0, 0, 1, 1), false, true);
        }

        /**
         * Global max pooling, {@code adaptive_max_pool2d(x, 1)} (ONNX {@code GlobalMaxPool}): the
         * largest value of each plane.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x    {@code [N, C, H, W]}
         * @return {@code [N, C, 1, 1]}
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or x is not of rank 4
         */
        public Value globalMaxPool(String name, Value x) {
            checkName("node", name);
            own(name, x);
            requireRank(name, "input", x, 4);
            return pool(name, x, Pool2d.Kind.MAX, Window2d.of(x.dim(2), x.dim(3), 1, 1, 0, 0, 1, 1), false, false);
        }

        /**
         * {@code torch.nn.functional.pad(x, (left, right, top, bottom), value=value)}: constant
         * padding of the spatial axes (ONNX {@code Pad} in constant mode). A zero padding before a
         * convolution or pooling is better given to that layer's window.
         *
         * @param name   the node's name (a PyTorch module path, an ONNX node name), unique in the
         *               graph
         * @param x      {@code [N, C, H, W]}
         * @param top    rows added above, at least 0
         * @param left   columns added on the left, at least 0
         * @param bottom rows added below, at least 0
         * @param right  columns added on the right, at least 0
         * @param value  the added elements' value
         * @return {@code [N, C, top + H + bottom, left + W + right]}
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or a padding is negative
         */
        public Value pad2d(String name, Value x, int top, int left, int bottom, int right, float value) {
            checkName("node", name);
            own(name, x);
            requireRank(name, "input", x, 4);
            Pad2d op;
            try {
                op = new Pad2d(x.dim(0), x.dim(1), x.dim(2), x.dim(3), top, left, bottom, right, value);
            } catch (IllegalArgumentException e) {
                throw error(name, e.getMessage());
            }
            return add(name, new Layer.Pad(top, left, bottom, right, value), List.of(x), op.outputShape());
        }

        private Window2d squareWindow(String name, int kernel, int stride, int padding, int dilation) {
            try {
                return Window2d.of(kernel, kernel, stride, stride, padding, padding, dilation, dilation);
            } catch (IllegalArgumentException e) {
                throw error(name, e.getMessage());
            }
        }

        private Value pool(String name, Value x, Pool2d.Kind kind, Window2d window, boolean ceil, boolean cip) {
            checkName("node", name);
            own(name, x);
            requireRank(name, "input", x, 4);
            if (window == null) {
                throw error(name, "window must not be null");
            }
            Pool2d op;
            try {
                op = new Pool2d(kind, x.dim(0), x.dim(1), x.dim(2), x.dim(3), window, ceil, cip);
            } catch (IllegalArgumentException e) {
                throw error(name, e.getMessage());
            }
            return add(name, new Layer.Pool(kind, window, ceil, cip), List.of(x), op.outputShape());
        }

        // ------------------------------------------------------------ shapes and linear

        /**
         * {@code torch.flatten(x, 1)}: a view, no copy.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x {@code [N, ...]}, rank 2 to 4
         * @return {@code [N, product of the other dimensions]}
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or x is of rank 1
         */
        public Value flatten(String name, Value x) {
            checkName("node", name);
            own(name, x);
            if (x.rank() < 2) {
                throw error(name, "input " + x + " must have rank 2 to 4 to flatten from dimension 1");
            }
            long rest = x.size() / x.dim(0);
            return add(name, new Layer.Reshape(), List.of(x), new int[] {x.dim(0), (int) rest});
        }

        /**
         * {@code x.reshape(shape)}: the same elements in row-major order with another shape; a view, no copy.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x     the input
         * @param shape rank 1 to 4, every dimension at least 1 but one that may be -1 (inferred)
         * @return the view
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the element counts differ
         */
        public Value reshape(String name, Value x, int... shape) {
            checkName("node", name);
            own(name, x);
            if (shape == null || shape.length == 0 || shape.length > ShapeRules.MAX_RANK) {
                throw error(name, "shape " + Arrays.toString(shape) + " must have rank 1 to 4");
            }
            int[] s = shape.clone();
            int inferred = -1;
            long known = 1;
            for (int i = 0; i < s.length; i++) {
                if (s[i] == -1 && inferred < 0) {
                    inferred = i;
                } else if (s[i] < 1) {
                    throw error(name, "shape " + Arrays.toString(shape) + " has dimension " + i + " = " + s[i]
                            + "; each must be at least 1, or one of them -1");
                } else {
                    known *= s[i];
                }
            }
            if (inferred >= 0) {
                if (x.size() % known != 0) {
                    throw error(name, "shape " + Arrays.toString(shape) + " cannot hold the " + x.size()
                            + " elements of input " + x);
                }
                s[inferred] = (int) (x.size() / known);
                known *= s[inferred];
            }
            if (known != x.size()) {
                throw error(name, "shape " + Arrays.toString(shape) + " has " + known + " elements, but input " + x
                        + " has " + x.size());
            }
            return add(name, new Layer.Reshape(), List.of(x), s);
        }

        /**
         * {@code torch.nn.functional.linear(x, weight, bias)}: {@code y = x weight^T + bias}.
         *
         * @param name the node's name (a PyTorch module path, an ONNX node name), unique in the
         *             graph
         * @param x      {@code [N, in]}
         * @param weight {@code [out, in]} (copied)
         * @param bias   {@code [out]} (copied), or null
         * @return {@code [N, out]}
         * @throws IllegalArgumentException starting {@code node 'name': } when the name is taken or a value
         *                                  comes from another builder, or the shapes do not fit
         */
        public Value linear(String name, Value x, HostTensor weight, HostTensor bias) {
            checkName("node", name);
            own(name, x);
            if (x.rank() != 2) {
                throw error(name, "input " + x + " must have rank 2 [N, in]; flatten it first");
            }
            if (weight == null || weight.rank() != 2 || weight.dim(1) != x.dim(1)) {
                throw error(name, "weight " + (weight == null ? "null" : Arrays.toString(weight.shape())) + " must be [out, "
                        + x.dim(1) + "] for input " + x);
            }
            int out = weight.dim(0);
            if (bias != null && (bias.rank() != 1 || bias.dim(0) != out)) {
                throw error(name, "bias " + Arrays.toString(bias.shape()) + " must be [" + out + "]");
            }
            return add(name, new Layer.Linear(weight.toArray(), out, x.dim(1), bias == null ? null : bias.toArray(),
                    PostOps.none()), List.of(x), new int[] {x.dim(0), out});
        }

        // ------------------------------------------------------------ bookkeeping

        private Value add(String name, Layer layer, List<Value> in, int[] shape) {
            checkName("node", name);
            Value out = new Value(name, checkedShape("node '" + name + "'", shape), this);
            nodes.add(new Node(name, layer, in, out));
            names.add(name);
            values.add(out);
            return out;
        }

        private void checkName(String what, String name) {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException(what + " names must not be empty");
            }
            if (names.contains(name)) {
                throw new IllegalArgumentException(what + " '" + name + "': the name is taken by an earlier input or node");
            }
        }

        private void own(String name, Value v) {
            if (v == null) {
                throw error(name, "an input value is null");
            }
            if (v.owner() != this || !values.contains(v)) {
                throw error(name, "value " + v + " comes from another Graph.Builder");
            }
        }

        private static IllegalArgumentException error(String name, String message) {
            return new IllegalArgumentException("node '" + name + "': " + message);
        }

        private static void requireRank(String name, String what, Value v, int rank) {
            if (v.rank() != rank) {
                throw error(name, what + " " + v + " must have rank " + rank + (rank == 4 ? " [N, C, H, W]" : ""));
            }
        }

        private static void sameShape(String name, String what, Value v, int[] expected, String layout) {
            if (!Arrays.equals(v.shape(), expected)) {
                throw error(name, what + " " + v + " must be " + Arrays.toString(expected) + " " + layout);
            }
        }

        private static int[] checkedShape(String what, int[] shape) {
            try {
                return ShapeRules.checked("shape", shape);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(what + ": " + e.getMessage());
            }
        }
    }
}
