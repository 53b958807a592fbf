package dev.convcl.onnx;

import dev.convcl.Activation;
import dev.convcl.Conv2d;
import dev.convcl.DeformConv2d;
import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.Window2d;
import dev.convcl.onnx.OnnxImporter.Options;
import dev.convcl.onnx.proto.OnnxProto.GraphProto;
import dev.convcl.onnx.proto.OnnxProto.ModelProto;
import dev.convcl.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.convcl.onnx.proto.OnnxProto.TensorProto;
import dev.convcl.onnx.proto.OnnxProto.TensorShapeProto;
import dev.convcl.onnx.proto.OnnxProto.TypeProto;
import dev.convcl.onnx.proto.OnnxProto.ValueInfoProto;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The import itself: opset and structure checks, initializers, inputs, then each ONNX node in
 * topological order lowered to convcl {@link Node}s (or folded to a constant, or recorded as an
 * alias), then the {@link Patterns}, then one error listing every node that could not be imported.
 */
final class Lowering {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Lowering.class);

    /**
     * The pools whose output PyTorch's ceil-mode rule shortened (a last window that would start in
     * the padding dropped), by output value, with their node's name: shape inference before ONNX
     * 1.15, which wrote the declared output shapes of many exported files, kept that window.
     */
    private final Map<String, String> ceilRulePools = new HashMap<>();

    /** What an ONNX value is while importing. */
    sealed interface Val permits Act, Cst, Poison {
    }

    /** A runtime value: the IR value it is (an alias may name another) and its shape. */
    record Act(String ir, Shape shape) implements Val {
    }

    /** A constant. */
    record Cst(ConstTensor t) implements Val {
    }

    /** Written by a node that could not be imported: its readers are skipped, not reported. */
    enum Poison implements Val {
        INSTANCE
    }

    /** An Erf on a runtime value: kept only inside a GELU pattern. */
    record PendingErf(String label, String name, String input, String output, Shape shape) {
    }

    /** A Transpose of a runtime value: kept only inside a channel shuffle, or when it moves no data. */
    record PendingTranspose(String label, String name, String input, String output, Shape inputShape, int[] perm,
                            Shape outputShape) {
    }

    private static final int MAXI = Integer.MAX_VALUE;

    private final String source;
    private final Options options;
    private final TensorReader reader;
    private final Map<String, Val> values = new HashMap<>();
    /** Nodes ({@link Node}) and pending ONNX nodes ({@link PendingErf}, {@link PendingTranspose}), in order. */
    private final List<Object> work = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final Set<String> nodeNames = new HashSet<>();
    private final Set<String> valueNames = new HashSet<>();
    /** How many nodes read each ONNX value, plus one for a graph output. */
    private final Map<String, Integer> uses = new HashMap<>();
    private int opset;
    /** The model's graph (which nodes read a value). */
    private GraphProto graph;
    private OnnxNode current;
    private int madeForCurrent;

    Lowering(String source, Path modelDir, Options options) {
        this.source = source;
        this.options = options;
        this.reader = new TensorReader(modelDir, options.maxConstantBytes());
    }

    OnnxGraph run(ModelProto model) {
        opset = opset(model);
        GraphProto g = model.getGraph();
        graph = g;
        List<OnnxNode> nodes = new ArrayList<>(g.getNodeCount());
        for (int i = 0; i < g.getNodeCount(); i++) {
            nodes.add(new OnnxNode(i, g.getNode(i)));
        }
        GraphCheck check = new GraphCheck(source, g, nodes);
        for (OnnxNode n : nodes) {
            valueNames.addAll(n.outputs);
            for (String in : n.inputs) {
                if (!in.isEmpty()) {
                    uses.merge(in, 1, Integer::sum);
                }
            }
        }
        for (ValueInfoProto o : g.getOutputList()) {
            uses.merge(o.getName(), 1, Integer::sum);
        }
        valueNames.addAll(check.initializers);
        valueNames.addAll(check.graphInputs);
        for (TensorProto t : g.getInitializerList()) {
            values.put(t.getName(), new Cst(reader.read(t, source + ": initializer " + Problem.quote(t.getName()))));
        }
        List<OnnxGraph.Input> inputs = inputs(g, check);
        for (OnnxNode n : check.ordered) {
            lowerOne(n);
        }
        Map<String, Shape> inputShapes = new HashMap<>();
        for (OnnxGraph.Input in : inputs) {
            inputShapes.put(in.name(), in.shape());
        }
        Patterns.run(work, graphOutputValues(g), inputShapes);
        for (Object o : work) {
            if (o instanceof PendingErf e) {
                problems.add(e.label() + " (Erf is supported only inside GELU's x * 0.5 * (1 + Erf(x / sqrt(2))))");
            } else if (o instanceof PendingTranspose t) {
                problems.add(t.label() + " (perm " + Arrays.toString(t.perm()) + " on " + t.inputShape()
                        + " moves data; a Transpose is supported inside a channel shuffle, Reshape [N,g,C/g,H,W] -> "
                        + "Transpose(0,2,1,3,4) -> Reshape [N,C,H,W], or where it moves only dimensions of size 1)");
            }
        }
        List<OnnxGraph.Output> outputs = new ArrayList<>();
        if (g.getOutputCount() == 0) {
            throw new OnnxModelException(source + ": the model's graph declares no output");
        }
        Set<String> outputNames = new HashSet<>();
        for (ValueInfoProto o : g.getOutputList()) {
            if (!outputNames.add(o.getName())) {
                throw new OnnxModelException(source + ": graph output " + Problem.quote(o.getName()) + " is declared twice");
            }
        }
        for (ValueInfoProto o : g.getOutputList()) {
            Val v = values.get(o.getName());
            if (v instanceof Act a) {
                outputs.add(new OnnxGraph.Output(o.getName(), a.ir(), a.shape()));
            } else if (v instanceof Cst) {
                problems.add("graph output " + Problem.quote(o.getName()) + " (a constant; convcl computes outputs from the inputs)");
            }
        }
        if (!problems.isEmpty()) {
            throw new OnnxModelException(source + ": " + problems.size() + (problems.size() == 1 ? " node" : " nodes")
                    + " cannot be imported: "
                    + String.join("; ", problems));
        }
        // Given input shapes that change a dimension the file fixes make its declared outputs moot;
        // ones that only fill symbolic dimensions (a dynamic batch) leave the fixed output dimensions
        // meaningful, but a file may fix one that follows a symbolic input (a batch of 1): warned of.
        if (!overridesFixedDimension) {
            checkDeclaredOutputs(g, outputs, !options.givesShapes());
        }
        List<Node> ir = new ArrayList<>(work.size());
        for (Object o : work) {
            ir.add((Node) o);
        }
        String producer = (model.getProducerName() + " " + model.getProducerVersion()).trim();
        return OnnxGraph.of(source, opset, producer, inputs, ir, outputs);
    }

    private int opset(ModelProto model) {
        long version = -1;
        for (OperatorSetIdProto o : model.getOpsetImportList()) {
            if (Ops.standardDomain(o.getDomain())) {
                version = Math.max(version, o.getVersion());
            }
        }
        if (version < 0) {
            throw new OnnxModelException(source + " imports no opset of the standard ONNX domain");
        }
        if (version < Ops.MIN_OPSET || version > Ops.MAX_OPSET) {
            throw new OnnxModelException(source + " uses opset " + version + " of the standard ONNX domain; convcl reads opsets "
                    + Ops.MIN_OPSET + " to " + Ops.MAX_OPSET);
        }
        return (int) version;
    }

    private Set<String> graphOutputValues(GraphProto g) {
        Set<String> m = new HashSet<>();
        for (ValueInfoProto o : g.getOutputList()) {
            if (values.get(o.getName()) instanceof Act a) {
                m.add(a.ir());
            }
        }
        return m;
    }

    // ---------------------------------------------------------------------------------------------
    // Inputs

    /**
     * The refusal of input {@code name} declared {@code sp}, given no shape: every symbolic
     * dimension that no given shape fills ({@code filledSize}) is named.
     */
    private InputShapeNeededException symbolic(String name, TensorShapeProto sp, Map<String, Integer> filledSize,
                                               Set<String> runtime) {
        List<Integer> open = new ArrayList<>();
        for (int i = 0; i < sp.getDimCount(); i++) {
            TensorShapeProto.Dimension d = sp.getDim(i);
            if (!d.hasDimValue() && !(d.hasDimParam() && filledSize.containsKey(d.getDimParam()))) {
                open.add(i);
            }
        }
        return new InputShapeNeededException(source, name, shown(sp), open, List.copyOf(runtime));
    }

    /**
     * A declared shape as the messages show it, one entry a dimension: its size ({@code 3}), else
     * its symbolic name ({@code batch}), else {@code ?} for a dimension that has neither.
     */
    private static List<String> shown(TensorShapeProto sp) {
        List<String> shown = new ArrayList<>(sp.getDimCount());
        for (TensorShapeProto.Dimension d : sp.getDimList()) {
            shown.add(d.hasDimValue() ? Long.toString(d.getDimValue()) : d.hasDimParam() ? d.getDimParam() : "?");
        }
        return shown;
    }

    /**
     * Whether a given shape may change dimension {@code i} of a rank-{@code rank} input where the
     * file fixes it: the batch (dimension 0; a model exported at batch 1 runs at batch 8) and a
     * 4-D input's height and width (an image of another size). Any other fixed dimension, an
     * image's channels above all, is what the model's weights were made for.
     */
    static boolean resizable(int i, int rank) {
        return i == 0 || rank == 4 && i >= 2;
    }

    /** Whether a given input shape changed a dimension the file declares as a number. */
    private boolean overridesFixedDimension;

    private List<OnnxGraph.Input> inputs(GraphProto g, GraphCheck check) {
        Set<String> runtime = new LinkedHashSet<>(); // in declared order: messages list the inputs so
        for (ValueInfoProto v : g.getInputList()) {
            if (!check.initializers.contains(v.getName())) {
                runtime.add(v.getName());
            }
        }
        for (String name : options.inputShapes().keySet()) {
            if (!runtime.contains(name)) {
                throw new IllegalArgumentException("an input shape is given for " + (name.isEmpty() ? "the empty name "
                        : "") + Problem.quote(name) + ", but " + source + " has no runtime input of that name; its "
                        + "inputs are " + runtime);
            }
        }
        if (options.givesOnlyInput() && runtime.size() != 1) {
            throw new IllegalArgumentException("one input shape is given without a name, but " + source + " has "
                    + runtime.size() + " runtime inputs " + runtime + "; name the input");
        }
        List<OnnxGraph.Input> out = new ArrayList<>();
        // dim_param -> the size the first given shape filled it with, and where: ONNX gives one
        // name one size, so two inputs that fill it differently are a mistake in the given shapes
        Map<String, String> filled = new HashMap<>();
        Map<String, Integer> filledSize = new HashMap<>();
        // First the sizes the given shapes fill symbolic dimensions with, so that an input given no
        // shape takes them whichever comes first (a shape of the wrong rank is refused below).
        for (ValueInfoProto v : g.getInputList()) {
            int[] given = runtime.contains(v.getName()) ? options.shapeFor(v.getName(), runtime.size()) : null;
            TypeProto t = v.getType();
            if (given == null || !t.hasTensorType() || !t.getTensorType().hasShape()
                    || t.getTensorType().getShape().getDimCount() != given.length) {
                continue;
            }
            TensorShapeProto sp = t.getTensorType().getShape();
            for (int i = 0; i < given.length; i++) {
                String symbol = sp.getDim(i).hasDimParam() ? sp.getDim(i).getDimParam() : "";
                if (symbol.isEmpty() || sp.getDim(i).hasDimValue()) {
                    continue;
                }
                String here = given[i] + " for input " + Problem.quote(v.getName()) + " " + Arrays.toString(given);
                Integer before = filledSize.putIfAbsent(symbol, given[i]);
                if (before == null) {
                    filled.put(symbol, here);
                } else if (before != given[i]) {
                    throw new IllegalArgumentException("the shapes given fill the model's dimension "
                            + Problem.quote(symbol) + " with " + filled.get(symbol) + " and " + here + " in "
                            + source + "; a dimension of one name has one size");
                }
            }
        }
        for (ValueInfoProto v : g.getInputList()) {
            if (!runtime.contains(v.getName())) {
                continue;
            }
            String what = source + ": graph input " + Problem.quote(v.getName());
            TypeProto t = v.getType();
            if (!t.hasTensorType() || t.getTensorType().getElemType() != TensorProto.DataType.FLOAT_VALUE
                    && !(batchIndicesOnly(g, v.getName()) && integer(t.getTensorType().getElemType()))) {
                throw new OnnxModelException(what + " is " + (t.hasTensorType() ? TensorReader.typeName(t.getTensorType()
                        .getElemType()) : "not a tensor") + "; convcl's inputs are FLOAT tensors (a weight whose initializer "
                        + "is missing?)");
            }
            int[] given = options.shapeFor(v.getName(), runtime.size());
            int[] dims;
            if (given != null) {
                if (t.getTensorType().hasShape() && t.getTensorType().getShape().getDimCount() != given.length) {
                    TensorShapeProto sp = t.getTensorType().getShape();
                    throw new IllegalArgumentException("the shape given for " + what + ", " + Arrays.toString(given)
                            + ", has " + given.length + " dimensions; the model declares " + sp.getDimCount() + " "
                            + shown(sp));
                }
                if (t.getTensorType().hasShape()) {
                    TensorShapeProto sp = t.getTensorType().getShape();
                    for (int i = 0; i < given.length; i++) {
                        boolean changed = sp.getDim(i).hasDimValue() && sp.getDim(i).getDimValue() != given[i];
                        if (changed && !resizable(i, given.length)) {
                            // an image's channels, a box's 4 coordinates: what the model's weights were
                            // made for, refused here rather than at the first node that reads them
                            throw new IllegalArgumentException("the shape given for " + what + ", "
                                    + Arrays.toString(given) + ", has " + given[i] + " at dimension " + i
                                    + (given.length == 4 && i == 1 ? " (channels)" : "") + ", which the model fixes at "
                                    + sp.getDim(i).getDimValue() + ": declared " + shown(sp) + "; a shape given "
                                    + "may change the batch (dimension 0) and a 4-D input's height and width, not "
                                    + "another dimension the model fixes");
                        }
                        overridesFixedDimension |= changed;
                    }
                } else {
                    overridesFixedDimension = true;
                }
                dims = given;
            } else {
                if (!t.getTensorType().hasShape()) {
                    throw new InputShapeNeededException(source, v.getName(), null, List.of(), List.copyOf(runtime));
                }
                TensorShapeProto sp = t.getTensorType().getShape();
                if (sp.getDimCount() > TensorReader.MAX_RANK) {
                    throw new OnnxModelException(what + " has " + sp.getDimCount() + " dimensions; convcl reads at most "
                            + TensorReader.MAX_RANK);
                }
                dims = new int[sp.getDimCount()];
                for (int i = 0; i < dims.length; i++) {
                    TensorShapeProto.Dimension d = sp.getDim(i);
                    if (!d.hasDimValue() && d.hasDimParam() && filledSize.containsKey(d.getDimParam())) {
                        // the shape given for another input fills this dimension of the same name
                        dims[i] = filledSize.get(d.getDimParam());
                        continue;
                    }
                    if (!d.hasDimValue()) {
                        throw symbolic(v.getName(), sp, filledSize, runtime);
                    }
                    long dv = d.getDimValue();
                    if (dv < 1 || dv > MAXI) {
                        throw new OnnxModelException(what + " declares dimension " + i + " = " + dv
                                + "; every dimension must be in [1, 2^31-1]");
                    }
                    dims[i] = (int) dv;
                }
            }
            Shape shape;
            try {
                shape = Shape.of(dims);
            } catch (IllegalArgumentException e) {
                throw new OnnxModelException(what + ": " + e.getMessage());
            }
            values.put(v.getName(), new Act(v.getName(), shape));
            out.add(new OnnxGraph.Input(v.getName(), shape));
        }
        if (out.isEmpty()) {
            throw new OnnxModelException(source + " has no runtime input (every graph input has an initializer)");
        }
        return out;
    }

    /**
     * Compares each graph output's declared shape, where the file gives one, with the computed one,
     * dimension by dimension where the file fixes a number: a difference PyTorch's ceil-mode rule
     * explains is warned of; any other is refused when {@code strict} (the file's own input
     * shapes), else warned of (symbolic input dimensions were filled in).
     */
    private void checkDeclaredOutputs(GraphProto g, List<OnnxGraph.Output> outputs, boolean strict) {
        // for each value: how many ceil-rule pools lie on its longest path from the inputs, and the
        // first of them (the nodes are in order: a node's inputs come before it)
        Map<String, Integer> rulePools = new HashMap<>();
        Map<String, String> firstPool = new HashMap<>();
        if (!ceilRulePools.isEmpty()) {
            for (Object o : work) {
                Node n = (Node) o;
                int d = 0;
                String via = null;
                for (String in : n.inputs()) {
                    if (rulePools.getOrDefault(in, 0) > d) {
                        d = rulePools.get(in);
                        via = firstPool.get(in);
                    }
                }
                String pool = n instanceof PoolNode ? ceilRulePools.get(n.output()) : null;
                if (pool != null) {
                    d++;
                    via = via != null ? via : pool;
                }
                if (d > 0) {
                    rulePools.put(n.output(), d);
                    firstPool.put(n.output(), via);
                }
            }
        }
        for (ValueInfoProto v : g.getOutputList()) {
            if (!v.getType().hasTensorType() || !v.getType().getTensorType().hasShape()) {
                continue;
            }
            TensorShapeProto sp = v.getType().getTensorType().getShape();
            long[] declared = new long[sp.getDimCount()]; // -1: symbolic
            for (int i = 0; i < declared.length; i++) {
                TensorShapeProto.Dimension d = sp.getDim(i);
                declared[i] = d.hasDimValue() ? d.getDimValue() : -1;
            }
            List<String> shown = shown(sp);
            for (OnnxGraph.Output o : outputs) {
                long[] computed = toLong(o.shape().dims());
                if (o.name().equals(v.getName()) && !fixedDimensionsMatch(declared, computed)) {
                    int pools = rulePools.getOrDefault(o.value(), 0);
                    if (ceilRuleExplains(declared, computed, pools)) {
                        LOG.warn("{}: graph output {} is declared {} but the graph computes {}: pool {} drops a last"
                                + " window that would start in the padding (ceil_mode; PyTorch's rule, and ONNX's"
                                + " since 1.15), which the file's shape inference did not; the computed shape is used",
                                source, Problem.quote(o.name()), shown, o.shape(),
                                Problem.quote(firstPool.get(o.value())));
                        continue;
                    }
                    if (!strict) {
                        LOG.warn("{}: graph output {} is declared {} but the graph computes {} with the input shapes"
                                + " given; the computed shape is used", source, Problem.quote(o.name()), shown, o.shape());
                        continue;
                    }
                    throw new OnnxModelException(source + ": graph output " + Problem.quote(o.name()) + " is declared "
                            + shown + " but the graph computes " + o.shape());
                }
            }
        }
    }

    /**
     * Whether a declared output shape that is not the computed one can come from shape inference
     * without PyTorch's ceil-mode rule: {@code pools} pools that dropped a window by it lie on the
     * output's path, both shapes are 4-D with the same batch and channels, and the declared map is
     * larger on each side by at most one window a pool (each drops at most one).
     */
    private static boolean ceilRuleExplains(long[] declared, long[] computed, int pools) {
        if (pools == 0 || declared.length != 4 || computed.length != 4 || declared[0] >= 0 && declared[0] != computed[0]
                || declared[1] >= 0 && declared[1] != computed[1]) {
            return false;
        }
        for (int i = 2; i < 4; i++) {
            long extra = declared[i] - computed[i];
            if (declared[i] >= 0 && (extra < 0 || extra > pools)) {
                return false;
            }
        }
        return true;
    }

    /** Whether every dimension the file fixes ({@code declared} >= 0; -1 symbolic) is the computed one, the ranks equal. */
    private static boolean fixedDimensionsMatch(long[] declared, long[] computed) {
        if (declared.length != computed.length) {
            return false;
        }
        for (int i = 0; i < declared.length; i++) {
            if (declared[i] >= 0 && declared[i] != computed[i]) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------
    // Node dispatch

    private void lowerOne(OnnxNode n) {
        String why = Ops.check(n);
        if (why != null) {
            problems.add(n.label + " (" + why + ")");
            poison(n);
            return;
        }
        for (String in : n.inputs) {
            if (!in.isEmpty() && values.get(in) == Poison.INSTANCE) {
                poison(n);
                return;
            }
        }
        current = n;
        madeForCurrent = 0;
        int before = work.size();
        try {
            lower(n);
        } catch (Problem | IllegalArgumentException e) {
            while (work.size() > before) {
                work.remove(work.size() - 1);
            }
            problems.add(n.label + " (" + e.getMessage() + ")");
            poison(n);
            return;
        }
        for (String out : n.outputs) {
            if (!out.isEmpty() && !values.containsKey(out)) {
                values.put(out, Poison.INSTANCE);
            }
        }
    }

    private void poison(OnnxNode n) {
        for (String out : n.outputs) {
            if (!out.isEmpty()) {
                values.put(out, Poison.INSTANCE);
            }
        }
    }

    private void lower(OnnxNode n) {
        switch (n.op) {
            case "Conv" -> conv(n);
            case "DeformConv" -> deformConv(n);
            case "RoiAlign" -> roiAlign(n);
            case "BatchNormalization" -> batchNorm(n);
            case "Relu" -> activation(n, Activation.relu());
            case "Sigmoid" -> activation(n, Activation.sigmoid());
            case "HardSwish" -> activation(n, Activation.hardswish());
            case "HardSigmoid" -> activation(n, Activation.hardsigmoid(n.f("alpha", 0.2f), n.f("beta", 0.5f)));
            case "LeakyRelu" -> activation(n, Activation.leakyRelu(n.f("alpha", 0.01f)));
            case "Clip" -> clip(n);
            case "Gelu" -> gelu(n);
            case "Erf" -> erf(n);
            case "Add", "Sub", "Mul", "Div" -> binary(n);
            case "Concat" -> concat(n);
            case "Split" -> split(n);
            case "Slice" -> slice(n);
            case "Pad" -> pad(n);
            case "Reshape" -> reshape(n);
            case "Transpose" -> transpose(n);
            case "Flatten" -> flatten(n);
            case "MaxPool", "AveragePool" -> pool(n);
            case "GlobalAveragePool", "GlobalMaxPool" -> globalPool(n);
            case "ReduceMean" -> reduceMean(n);
            case "Gemm" -> gemm(n);
            case "MatMul" -> matMul(n);
            case "Identity" -> {
                outputs(n, 1);
                define(n.output(0), val(n, 0, "input"));
            }
            case "Dropout" -> dropout(n);
            case "Constant" -> constant(n);
            case "Shape" -> shape(n);
            case "Gather" -> gather(n);
            case "Unsqueeze", "Squeeze" -> squeeze(n);
            case "Cast" -> cast(n);
            case "ConstantOfShape" -> constantOfShape(n);
            default -> throw new Problem("operator " + n.op + " is not supported");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    private Val val(OnnxNode n, int i, String role) {
        if (!n.hasInput(i)) {
            throw new Problem("input " + role + " (#" + i + ") is missing");
        }
        Val v = values.get(n.input(i));
        if (v == null) {
            throw new IllegalStateException("value " + n.input(i) + " undefined");
        }
        return v;
    }

    private Act act(OnnxNode n, int i, String role) {
        Val v = val(n, i, role);
        if (v instanceof Act a) {
            return a;
        }
        throw new Problem("input " + role + " " + Problem.quote(n.input(i)) + " is a constant; convcl supports "
                + n.op + " on a value computed at run time");
    }

    private ConstTensor cst(OnnxNode n, int i, String role) {
        Val v = val(n, i, role);
        if (v instanceof Cst c) {
            return c.t();
        }
        throw new Problem("input " + role + " " + Problem.quote(n.input(i)) + " is not a constant; convcl needs it in the "
                + "model (an initializer, a Constant, or computed from constants and shapes)");
    }

    /** An optional constant input, or null when absent. */
    private ConstTensor optCst(OnnxNode n, int i, String role) {
        return n.hasInput(i) ? cst(n, i, role) : null;
    }

    private static long[] ints(ConstTensor t, String role) {
        if (t.isFloat()) {
            throw new Problem(role + " must hold integers, got " + t.describe());
        }
        if (t.rank() > 1) {
            throw new Problem(role + " must be a list, got " + t.describe());
        }
        return t.l;
    }

    private static float scalar(ConstTensor t, String role) {
        if (t.size() != 1) {
            throw new Problem(role + " must hold one value, got " + t.describe());
        }
        return (float) t.get(0);
    }

    private void outputs(OnnxNode n, int max) {
        if (n.outputs.isEmpty() || n.output(0).isEmpty()) {
            throw new Problem("it has no output");
        }
        for (int i = max; i < n.outputs.size(); i++) {
            if (!n.output(i).isEmpty()) {
                throw new Problem("it has " + n.outputs.size() + " outputs; " + n.op + " has at most " + max);
            }
        }
    }

    /** Extra outputs (training statistics, indices, masks) must not be read by anything. */
    private void unusedOutputsFrom(OnnxNode n, int first, String what) {
        for (int i = first; i < n.outputs.size(); i++) {
            String o = n.output(i);
            if (!o.isEmpty() && uses.getOrDefault(o, 0) > 0) {
                throw new Problem("its output #" + i + " (" + what + ") " + Problem.quote(o) + " is used; convcl computes only "
                        + "the first output");
            }
        }
    }

    private void define(String name, Val v) {
        values.put(name, v);
    }

    private Act defineAct(String name, Shape shape) {
        Act a = new Act(name, shape);
        values.put(name, a);
        return a;
    }

    /** The name of the next IR node made from the current ONNX node. */
    private String nodeName() {
        String base = current.irName();
        String name = madeForCurrent == 0 ? base : base + "#" + madeForCurrent;
        madeForCurrent++;
        while (!nodeNames.add(name)) {
            name = name + "'";
        }
        return name;
    }

    /** A fresh value name derived from {@code base}. */
    private String tempValue(String base) {
        String name = base + "#" + current.op.toLowerCase(java.util.Locale.ROOT);
        while (!valueNames.add(name)) {
            name = name + "'";
        }
        return name;
    }

    /** Appends {@code node} and defines its output, an activation of its output shape. */
    private Act add(Node node) {
        work.add(node);
        return defineAct(node.output(), node.outputShape());
    }

    private Folding.Alloc alloc() {
        String what = source + ": " + current.label;
        return (count, isFloat) -> reader.reserve(what, count, isFloat ? 4 : 8);
    }

    private static long[] toLong(int[] d) {
        long[] out = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = d[i];
        }
        return out;
    }

    private static Shape toShape(long[] d, String what) {
        if (d.length > TensorReader.MAX_RANK || d.length == 0) {
            throw new Problem(what + " has " + d.length + " dimensions; runtime tensors have 1 to " + TensorReader.MAX_RANK);
        }
        int[] out = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            if (d[i] < 1 || d[i] > MAXI) {
                throw new Problem(what + " " + Arrays.toString(d) + " has dimension " + i + " = " + d[i]
                        + "; runtime tensors need every dimension in [1, 2^31-1]");
            }
            out[i] = (int) d[i];
        }
        try {
            return Shape.of(out);
        } catch (IllegalArgumentException e) {
            throw new Problem(what + ": " + e.getMessage());
        }
    }

    /** Input 0, X, of a node with one output whose operator ({@code op}) takes 2-D images: an [N, C, H, W] activation. */
    private Act image(OnnxNode n, String op) {
        outputs(n, 1);
        Act x = act(n, 0, "X");
        rank4(x, "X", op);
        return x;
    }

    private static Shape rank4(Act a, String role, String op) {
        if (a.shape().rank() != 4) {
            throw new Problem("input " + role + " has shape " + a.shape() + "; convcl's " + op
                    + " takes 2-D images, [N, C, H, W]");
        }
        return a.shape();
    }

    private static int toInt(long v, String what) {
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new Problem(what + " " + v + " is out of range");
        }
        return (int) v;
    }

    // ---------------------------------------------------------------------------------------------
    // Convolution and pooling

    /**
     * The window of a Conv, DeformConv or pool: strides, dilations, pads (ONNX's begin/end order,
     * top, left, bottom, right) and auto_pad.
     */
    private Window2d window(OnnxNode n, Shape x, int kh, int kw) {
        int[] strides = n.ints("strides", 2, 1, MAXI);
        int[] dil = n.ints("dilations", 2, 1, MAXI);
        int[] pads = n.ints("pads", 4, 0, MAXI);
        strides = strides == null ? new int[] {1, 1} : strides;
        dil = dil == null ? new int[] {1, 1} : dil;
        pads = pads == null ? new int[4] : pads;
        String autoPad = n.s("auto_pad", "NOTSET");
        switch (autoPad) {
            case "NOTSET" -> { }
            case "VALID" -> pads = new int[4];
            case "SAME_UPPER", "SAME_LOWER" -> {
                int[] k = {kh, kw};
                for (int a = 0; a < 2; a++) {
                    long in = x.dim(2 + a);
                    long out = (in + strides[a] - 1) / strides[a];
                    long total = Math.max(0, (out - 1) * strides[a] + (long) (k[a] - 1) * dil[a] + 1 - in);
                    long small = total / 2;
                    long big = total - small;
                    pads[a] = toInt(autoPad.equals("SAME_UPPER") ? small : big, "auto_pad padding");
                    pads[a + 2] = toInt(autoPad.equals("SAME_UPPER") ? big : small, "auto_pad padding");
                }
            }
            default -> throw new Problem("auto_pad " + Problem.quote(autoPad)
                    + " is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
        }
        return new Window2d(kh, kw, strides[0], strides[1], pads[0], pads[1], pads[2], pads[3], dil[0], dil[1]);
    }

    /** The kernel from W's dimensions, checked against kernel_shape when given. */
    private static int[] kernel(OnnxNode n, ConstTensor w) {
        if (w.rank() != 4 || w.size() == 0) {
            throw new Problem("weight W has dimensions " + Arrays.toString(w.dims) + "; expected [K, C/group, kH, kW]");
        }
        int kh = (int) w.dims[2], kw = (int) w.dims[3];
        int[] ks = n.ints("kernel_shape", 2, 1, MAXI);
        if (ks != null && (ks[0] != kh || ks[1] != kw)) {
            throw new Problem("kernel_shape " + Arrays.toString(ks) + " does not match weight W " + Arrays.toString(w.dims));
        }
        return new int[] {kh, kw};
    }

    private static HostTensor bias(ConstTensor b, int k) {
        if (b == null) {
            return null;
        }
        if (b.rank() != 1 || b.size() != k || !b.isFloat()) {
            throw new Problem("bias B " + b.describe() + " must be float[" + k + "]");
        }
        return b.toHost(Shape.of(k));
    }

    private static void checkGroups(ConstTensor w, Shape x, int group) {
        long k = w.dims[0];
        if (w.dims[1] * group != x.dim(1) || k % group != 0) {
            throw new Problem("weight W " + Arrays.toString(w.dims) + " does not fit input X " + x + " in " + group
                    + " group(s): W's dimension 1 times group must equal C, and group must divide K");
        }
        if (!w.isFloat()) {
            throw new Problem("weight W is " + w.describe() + "; convcl's weights are float");
        }
    }

    private void conv(OnnxNode n) {
        Act x = image(n, "Conv");
        Shape s = x.shape();
        ConstTensor w = cst(n, 1, "W");
        int[] k = kernel(n, w);
        int group = n.i("group", 1, 1, MAXI);
        checkGroups(w, s, group);
        ConstTensor b = optCst(n, 2, "B");
        Window2d win = window(n, s, k[0], k[1]);
        win.checkFits(s.dim(2), s.dim(3));
        Conv2d conv = Conv2d.builder().input(s.dim(0), s.dim(1), s.dim(2), s.dim(3)).output((int) w.dims[0])
                .kernel(k[0], k[1]).stride(win.strideH(), win.strideW())
                .padding(win.padTop(), win.padLeft(), win.padBottom(), win.padRight())
                .dilation(win.dilH(), win.dilW()).groups(group).bias(b != null).build();
        String out = n.output(0);
        add(new ConvNode(nodeName(), x.ir(), out, conv, w.toHost(Shape.of(conv.weightShape())), bias(b, conv.k())));
    }

    /** Whether value {@code name} is read only as the batch indices of RoiAlign nodes (input 2). */
    private static boolean batchIndicesOnly(GraphProto g, String name) {
        boolean read = false;
        for (var node : g.getNodeList()) {
            for (int i = 0; i < node.getInputCount(); i++) {
                if (node.getInput(i).equals(name)) {
                    if (!(Ops.standardDomain(node.getDomain()) && node.getOpType().equals("RoiAlign") && i == 2)) {
                        return false;
                    }
                    read = true;
                }
            }
        }
        return read;
    }

    private static boolean integer(int elemType) {
        return elemType == TensorProto.DataType.INT64_VALUE || elemType == TensorProto.DataType.INT32_VALUE;
    }

    /**
     * RoiAlign (opsets 10, 16), average mode only: ONNX's max mode takes the maximum of the
     * bilinear samples' weighted corners, which torchvision's roi_align (convcl's operator) does not
     * compute. Opset 10 has no coordinate_transformation_mode and behaves as output_half_pixel.
     */
    private void roiAlign(OnnxNode n) {
        Act x = image(n, "RoiAlign");
        Shape s = x.shape();
        Act rois = act(n, 1, "rois");
        Act idx = act(n, 2, "batch_indices");
        String mode = n.s("mode", "avg");
        if (!mode.equals("avg")) {
            throw new Problem("attribute mode=" + Problem.quote(mode) + " is not supported; convcl computes RoiAlign "
                    + "in mode 'avg' only (ONNX's 'max' differs from torchvision's roi_align)");
        }
        String ctm = n.s("coordinate_transformation_mode", opset >= 16 ? "half_pixel" : "output_half_pixel");
        boolean aligned = switch (ctm) {
            case "half_pixel" -> true;
            case "output_half_pixel" -> false;
            default -> throw new Problem("attribute coordinate_transformation_mode=" + Problem.quote(ctm)
                    + " must be 'half_pixel' or 'output_half_pixel'");
        };
        int oh = n.i("output_height", 1, 1, MAXI);
        int ow = n.i("output_width", 1, 1, MAXI);
        int sr = n.i("sampling_ratio", 0, 0, MAXI);
        float scale = n.f("spatial_scale", 1f);
        if (!(scale > 0) || !Float.isFinite(scale)) {
            throw new Problem("attribute spatial_scale=" + scale + " must be finite and positive");
        }
        if (rois.shape().rank() != 2 || rois.shape().dim(1) != 4) {
            throw new Problem("rois " + Problem.quote(n.input(1)) + " has shape " + rois.shape() + "; expected [K, 4]");
        }
        int k = rois.shape().dim(0);
        if (idx.shape().rank() != 1 || idx.shape().dim(0) != k) {
            throw new Problem("batch_indices " + Problem.quote(n.input(2)) + " has shape " + idx.shape()
                    + "; expected [" + k + "], one per RoI");
        }
        String out = n.output(0);
        Shape os = Shape.of(k, s.dim(1), oh, ow);
        add(new RoiAlignNode(nodeName(), x.ir(), rois.ir(), idx.ir(), out, os, scale, sr, aligned));
    }

    private void deformConv(OnnxNode n) {
        Act x = image(n, "DeformConv");
        Shape s = x.shape();
        ConstTensor w = cst(n, 1, "W");
        Act offset = act(n, 2, "offset");
        ConstTensor b = optCst(n, 3, "B");
        Act mask = n.hasInput(4) ? act(n, 4, "mask") : null;
        int[] k = kernel(n, w);
        int group = n.i("group", 1, 1, MAXI);
        int og = n.i("offset_group", 1, 1, MAXI);
        checkGroups(w, s, group);
        Window2d win = window(n, s, k[0], k[1]);
        win.checkFits(s.dim(2), s.dim(3));
        DeformConv2d conv = DeformConv2d.builder().input(s.dim(0), s.dim(1), s.dim(2), s.dim(3)).output((int) w.dims[0])
                .kernel(k[0], k[1]).stride(win.strideH(), win.strideW())
                .padding(win.padTop(), win.padLeft(), win.padBottom(), win.padRight())
                .dilation(win.dilH(), win.dilW()).groups(group).offsetGroups(og).mask(mask != null).bias(b != null)
                .build();
        if (!offset.shape().equals(Shape.of(conv.offsetShape()))) {
            throw new Problem("offset " + Problem.quote(n.input(2)) + " has shape " + offset.shape() + "; expected "
                    + Shape.of(conv.offsetShape()) + " [N, 2*offset_group*kH*kW, outH, outW]");
        }
        if (mask != null && !mask.shape().equals(Shape.of(conv.maskShape()))) {
            throw new Problem("mask " + Problem.quote(n.input(4)) + " has shape " + mask.shape() + "; expected "
                    + Shape.of(conv.maskShape()) + " [N, offset_group*kH*kW, outH, outW]");
        }
        String out = n.output(0);
        add(new DeformConvNode(nodeName(), x.ir(), offset.ir(), mask == null ? null : mask.ir(), out, conv,
                w.toHost(Shape.of(conv.weightShape())), bias(b, conv.k())));
    }

    private void pool(OnnxNode n) {
        boolean max = n.op.equals("MaxPool");
        outputs(n, max ? 2 : 1);
        unusedOutputsFrom(n, 1, "indices");
        Act x = act(n, 0, "X");
        Shape s = rank4(x, "X", n.op);
        int[] ks = n.ints("kernel_shape", 2, 1, MAXI);
        if (ks == null) {
            throw new Problem("attribute kernel_shape is missing");
        }
        boolean ceil = n.i("ceil_mode", 0, 0, 1) == 1;
        boolean includePad = !max && n.i("count_include_pad", 0, 0, 1) == 1;
        Window2d win = window(n, s, ks[0], ks[1]);
        addPool(n.output(0), max ? PoolNode.Kind.MAX : PoolNode.Kind.AVERAGE, x, win, ceil, includePad);
    }

    private void addPool(String out, PoolNode.Kind kind, Act x, Window2d win, boolean ceil, boolean includePad) {
        Shape s = x.shape();
        checkPoolPads(win);
        long oh = PoolNode.outputSize(s.dim(2), win.kh(), win.strideH(), win.padTop(), win.padBottom(), win.dilH(), ceil);
        long ow = PoolNode.outputSize(s.dim(3), win.kw(), win.strideW(), win.padLeft(), win.padRight(), win.dilW(), ceil);
        if (oh < 1 || ow < 1) {
            throw new Problem("a " + win.kh() + "x" + win.kw() + " window (dilation " + win.dilH() + "," + win.dilW()
                    + ") does not fit input " + s + " with pads " + win.padTop() + "," + win.padLeft() + "," + win.padBottom()
                    + "," + win.padRight());
        }
        Shape os = Shape.of(s.dim(0), s.dim(1), (int) oh, (int) ow);
        if (ceil && (keptLastWindow(s.dim(2), win.kh(), win.strideH(), win.padTop(), win.padBottom(), win.dilH()) > oh
                || keptLastWindow(s.dim(3), win.kw(), win.strideW(), win.padLeft(), win.padRight(), win.dilW()) > ow)) {
            ceilRulePools.put(out, current.irName());
        }
        add(new PoolNode(nodeName(), kind, x.ir(), out, s, win, ceil, includePad, os));
    }

    /** A ceil-mode pool's output size without PyTorch's rule (what ONNX's shape inference gave before 1.15). */
    private static long keptLastWindow(long in, int kernel, int stride, int padBegin, int padEnd, int dilation) {
        long room = in + padBegin + padEnd - ((long) dilation * (kernel - 1) + 1);
        return Math.floorDiv(room + stride - 1, stride) + 1;
    }

    /** PyTorch's rule, which keeps every window partly inside the input: each pad at most half the kernel's span. */
    static void checkPoolPads(Window2d w) {
        long halfH = w.spanH() / 2, halfW = w.spanW() / 2;
        if (w.padTop() > halfH || w.padBottom() > halfH || w.padLeft() > halfW || w.padRight() > halfW) {
            throw new Problem("pads " + w.padTop() + "," + w.padLeft() + "," + w.padBottom() + "," + w.padRight()
                    + " exceed half the window's span (" + w.spanH() + "x" + w.spanW() + "); a window could lie wholly "
                    + "in the padding");
        }
    }

    private void globalPool(OnnxNode n) {
        Act x = image(n, n.op);
        Shape s = x.shape();
        PoolNode.Kind kind = n.op.equals("GlobalMaxPool") ? PoolNode.Kind.GLOBAL_MAX : PoolNode.Kind.GLOBAL_AVERAGE;
        addGlobal(n.output(0), kind, x, s);
    }

    private void addGlobal(String out, PoolNode.Kind kind, Act x, Shape s) {
        Window2d win = new Window2d(s.dim(2), s.dim(3), 1, 1, 0, 0, 0, 0, 1, 1);
        Shape os = Shape.of(s.dim(0), s.dim(1), 1, 1);
        add(new PoolNode(nodeName(), kind, x.ir(), out, s, win, false, false, os));
    }

    private void reduceMean(OnnxNode n) {
        outputs(n, 1);
        Act x = act(n, 0, "data");
        long[] axes = n.ints("axes");
        if (axes == null && opset >= 18 && n.hasInput(1)) {
            axes = ints(cst(n, 1, "axes"), "axes");
        }
        boolean keep = n.i("keepdims", 1, 0, 1) == 1;
        Shape s = x.shape();
        Set<Integer> set = new HashSet<>();
        if (axes != null) {
            for (long a : axes) {
                set.add(Folding.axis(a, s.rank(), "axis"));
            }
        }
        if (s.rank() != 4 || !set.equals(Set.of(2, 3))) {
            throw new Problem("ReduceMean over axes " + (axes == null ? "(all)" : Arrays.toString(axes)) + " of " + s
                    + "; convcl supports the mean over the spatial axes 2 and 3 of [N, C, H, W] (global average pooling)");
        }
        if (keep) {
            addGlobal(n.output(0), PoolNode.Kind.GLOBAL_AVERAGE, x, s);
        } else {
            String pooled = tempValue(n.output(0));
            addGlobal(pooled, PoolNode.Kind.GLOBAL_AVERAGE, x, s);
            Shape os = Shape.of(s.dim(0), s.dim(1));
            add(new ReshapeNode(nodeName(), pooled, n.output(0), Shape.of(s.dim(0), s.dim(1), 1, 1), os));
        }
    }

    private void pad(OnnxNode n) {
        outputs(n, 1);
        String mode = n.s("mode", "constant");
        if (!mode.equals("constant")) {
            throw new Problem("mode " + Problem.quote(mode) + "; convcl supports constant padding");
        }
        Act x = act(n, 0, "data");
        int rank = x.shape().rank();
        long[] pads;
        float value;
        long[] axes = null;
        if (opset < 11) {
            pads = n.ints("pads");
            if (pads == null) {
                throw new Problem("attribute pads is missing");
            }
            value = n.f("value", 0f);
        } else {
            pads = ints(cst(n, 1, "pads"), "pads");
            ConstTensor v = optCst(n, 2, "constant_value");
            value = v == null ? 0f : scalar(v, "constant_value");
            if (n.hasInput(3)) {
                axes = ints(cst(n, 3, "axes"), "axes");
            }
        }
        int[] axisList = new int[axes == null ? rank : axes.length];
        for (int i = 0; i < axisList.length; i++) {
            axisList[i] = axes == null ? i : Folding.axis(axes[i], rank, "axis");
        }
        if (pads.length != 2 * axisList.length) {
            throw new Problem("pads " + Arrays.toString(pads) + " must have " + 2 * axisList.length + " values");
        }
        long[] begin = new long[rank], end = new long[rank];
        for (int i = 0; i < axisList.length; i++) {
            begin[axisList[i]] = pads[i];
            end[axisList[i]] = pads[i + axisList.length];
        }
        for (int a = 0; a < rank; a++) {
            if (begin[a] < 0 || end[a] < 0) {
                throw new Problem("pads " + Arrays.toString(pads) + " hold a negative value (cropping); convcl pads only");
            }
            if ((a < 2 || rank != 4) && (begin[a] != 0 || end[a] != 0)) {
                throw new Problem("pads " + Arrays.toString(pads) + " pad axis " + a + " of " + x.shape()
                        + "; convcl pads the spatial axes of [N, C, H, W]");
            }
        }
        if (Arrays.stream(begin).allMatch(p -> p == 0) && Arrays.stream(end).allMatch(p -> p == 0)) {
            define(n.output(0), x);
            return;
        }
        Shape s = x.shape();
        int t = toInt(begin[2], "pad"), l = toInt(begin[3], "pad"), b = toInt(end[2], "pad"), r = toInt(end[3], "pad");
        Shape os = toShape(new long[] {s.dim(0), s.dim(1), (long) s.dim(2) + t + b, (long) s.dim(3) + l + r}, "padded shape");
        add(new PadNode(nodeName(), x.ir(), n.output(0), s, t, l, b, r, value, os));
    }

    // ---------------------------------------------------------------------------------------------
    // Normalisation, activations, arithmetic

    private void batchNorm(OnnxNode n) {
        outputs(n, 5);
        unusedOutputsFrom(n, 1, "training statistics");
        if (n.i("training_mode", 0, 0, 1) != 0) {
            throw new Problem("training_mode=1; convcl runs inference");
        }
        if (n.has("spatial") && n.i("spatial", 1, 0, 1) != 1) {
            throw new Problem("spatial=0 (per-element statistics)");
        }
        Act x = act(n, 0, "X");
        Shape s = x.shape();
        if (s.rank() < 2) {
            throw new Problem("input X has shape " + s + "; batch normalization needs channels at dimension 1");
        }
        int c = s.dim(1);
        HostTensor[] p = new HostTensor[4];
        String[] roles = {"scale", "B", "input_mean", "input_var"};
        for (int i = 0; i < 4; i++) {
            ConstTensor t = cst(n, i + 1, roles[i]);
            if (t.size() != c || t.rank() != 1 || !t.isFloat()) {
                throw new Problem(roles[i] + " " + t.describe() + " must be float[" + c + "] for input X " + s);
            }
            p[i] = t.toHost(Shape.of(c));
        }
        float eps = n.f("epsilon", 1e-5f);
        if (!(eps >= 0) || Float.isInfinite(eps)) {
            throw new Problem("epsilon=" + eps + " must be finite and not negative");
        }
        add(new BatchNormNode(nodeName(), x.ir(), n.output(0), s, p[0], p[1], p[2], p[3], eps));
    }

    private void activation(OnnxNode n, Activation a) {
        outputs(n, 1);
        Act x = act(n, 0, "X");
        add(new ActivationNode(nodeName(), x.ir(), n.output(0), x.shape(), a));
    }

    private void clip(OnnxNode n) {
        float lo, hi;
        if (opset < 11) {
            lo = n.f("min", Float.NEGATIVE_INFINITY);
            hi = n.f("max", Float.POSITIVE_INFINITY);
        } else {
            ConstTensor min = optCst(n, 1, "min");
            ConstTensor max = optCst(n, 2, "max");
            lo = min == null ? Float.NEGATIVE_INFINITY : scalar(min, "min");
            hi = max == null ? Float.POSITIVE_INFINITY : scalar(max, "max");
        }
        if (Float.isNaN(lo) || Float.isNaN(hi) || lo > hi || lo == Float.POSITIVE_INFINITY
                || hi == Float.NEGATIVE_INFINITY) {
            throw new Problem("min " + lo + " and max " + hi + " do not make a clip range");
        }
        if (lo == 0 && hi == Float.POSITIVE_INFINITY) {
            activation(n, Activation.relu());
        } else {
            // An open end stays infinite, as torch.clamp(x, min=0.5) keeps +inf (not 3.4e38).
            activation(n, Activation.clip(lo, hi));
        }
    }

    private void gelu(OnnxNode n) {
        String approx = n.s("approximate", "none");
        if (!approx.equals("none")) {
            throw new Problem("approximate=" + Problem.quote(approx) + "; convcl's GELU is the erf form (approximate='none')");
        }
        activation(n, Activation.gelu());
    }

    private void erf(OnnxNode n) {
        outputs(n, 1);
        Act x = act(n, 0, "input");
        work.add(new PendingErf(n.label, nodeName(), x.ir(), n.output(0), x.shape()));
        defineAct(n.output(0), x.shape());
    }

    private void binary(OnnxNode n) {
        outputs(n, 1);
        Val a = val(n, 0, "A");
        Val b = val(n, 1, "B");
        if (a instanceof Cst ca && b instanceof Cst cb) {
            define(n.output(0), new Cst(Folding.binary(n.op, ca.t(), cb.t(), alloc())));
            return;
        }
        long[] da = a instanceof Act x ? toLong(x.shape().dims()) : ((Cst) a).t().dims;
        long[] db = b instanceof Act y ? toLong(y.shape().dims()) : ((Cst) b).t().dims;
        Shape out = toShape(Folding.broadcast(da, db), "the broadcast shape");
        BinaryNode.Kind kind = BinaryNode.Kind.valueOf(n.op.toUpperCase(java.util.Locale.ROOT));
        add(new BinaryNode(nodeName(), kind, operand(a, "A", out), operand(b, "B", out), n.output(0), out));
    }

    private static BinaryNode.Operand operand(Val v, String role, Shape out) {
        if (v instanceof Act a) {
            return new BinaryNode.Value(a.ir(), Shape.of(toInts(Folding.align(toLong(a.shape().dims()), out.rank()))));
        }
        ConstTensor t = ((Cst) v).t();
        if (!t.isFloat()) {
            throw new Problem("constant " + role + " is " + t.describe() + "; the other operand is a float tensor");
        }
        return new BinaryNode.Constant(t.toHost(Shape.of(toInts(Folding.align(t.dims, out.rank())))));
    }

    private static int[] toInts(long[] d) {
        int[] out = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (int) d[i];
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // Linear layers

    private void gemm(OnnxNode n) {
        outputs(n, 1);
        if (n.i("transA", 0, 0, 1) != 0) {
            throw new Problem("transA=1 (the input transposed) is not a linear layer");
        }
        boolean transB = n.i("transB", 0, 0, 1) == 1;
        float alpha = n.f("alpha", 1f), beta = n.f("beta", 1f);
        Act a = act(n, 0, "A");
        if (a.shape().rank() != 2) {
            throw new Problem("input A has shape " + a.shape() + "; Gemm takes [M, K]");
        }
        ConstTensor b = cst(n, 1, "B");
        if (b.rank() != 2 || !b.isFloat() || b.size() == 0) {
            throw new Problem("input B " + b.describe() + " must be a float matrix");
        }
        long in = transB ? b.dims[1] : b.dims[0];
        int outF = (int) (transB ? b.dims[0] : b.dims[1]);
        if (in != a.shape().dim(1)) {
            throw new Problem("input B " + b.describe() + (transB ? " (transposed)" : "") + " does not take A's " + a.shape().dim(1)
                    + " features");
        }
        ConstTensor w = transB ? b : Folding.transpose(b, new int[] {1, 0}, alloc());
        float[] wv = w.f;
        if (alpha != 1f) {
            wv = wv.clone();
            for (int i = 0; i < wv.length; i++) {
                wv[i] *= alpha;
            }
        }
        HostTensor bias = null;
        ConstTensor c = optCst(n, 2, "C");
        if (c != null && beta != 0f) {
            if (!c.isFloat() || !(c.size() == 1 || c.size() == outF && c.dims[c.rank() - 1] == outF)) {
                throw new Problem("input C " + c.describe() + " is not a bias of " + outF + " values (one per output feature)");
            }
            float[] bv = new float[outF];
            for (int i = 0; i < outF; i++) {
                bv[i] = beta * c.f[c.size() == 1 ? 0 : i];
            }
            bias = Tensor.of(bv, outF);
        }
        Shape os = Shape.of(a.shape().dim(0), outF);
        add(new LinearNode(nodeName(), a.ir(), n.output(0), a.shape(), Tensor.of(wv, outF, (int) in), bias, os));
    }

    private void matMul(OnnxNode n) {
        outputs(n, 1);
        Val av = val(n, 0, "A");
        Val bv = val(n, 1, "B");
        if (av instanceof Cst && bv instanceof Cst) {
            throw new Problem("MatMul of two constants is not folded");
        }
        if (!(av instanceof Act a) || !(bv instanceof Cst cb) || cb.t().rank() != 2 || a.shape().rank() < 2) {
            throw new Problem("MatMul is supported as a linear layer: a runtime value [..., K] times a constant matrix [K, N]");
        }
        ConstTensor b = cb.t();
        if (!b.isFloat() || b.size() == 0 || b.dims[0] != a.shape().dim(-1)) {
            throw new Problem("input B " + b.describe() + " does not take A's " + a.shape().dim(-1) + " features");
        }
        int outF = (int) b.dims[1];
        ConstTensor w = Folding.transpose(b, new int[] {1, 0}, alloc());
        Shape os = a.shape().with(a.shape().rank() - 1, outF);
        add(new LinearNode(nodeName(), a.ir(), n.output(0), a.shape(), w.toHost(Shape.of(outF, (int) b.dims[0])), null, os));
    }

    // ---------------------------------------------------------------------------------------------
    // Tensor plumbing: concat, split, slice, reshape, transpose, flatten, squeeze

    private void concat(OnnxNode n) {
        outputs(n, 1);
        if (!n.has("axis")) {
            throw new Problem("attribute axis is missing");
        }
        long axis = n.i("axis", 0);
        List<Val> in = new ArrayList<>();
        for (int i = 0; i < n.inputs.size(); i++) {
            in.add(val(n, i, "#" + i));
        }
        if (in.isEmpty()) {
            throw new Problem("it has no input");
        }
        if (in.stream().allMatch(v -> v instanceof Cst)) {
            List<ConstTensor> parts = new ArrayList<>();
            for (Val v : in) {
                parts.add(((Cst) v).t());
            }
            define(n.output(0), new Cst(Folding.concat(parts, axis, alloc())));
            return;
        }
        if (!in.stream().allMatch(v -> v instanceof Act)) {
            throw new Problem("it concatenates constants with runtime values; convcl concatenates runtime values");
        }
        Shape first = ((Act) in.get(0)).shape();
        int ax = Folding.axis(axis, first.rank(), "axis");
        long total = 0;
        List<String> names = new ArrayList<>();
        List<Shape> shapes = new ArrayList<>();
        for (Val v : in) {
            Act a = (Act) v;
            Shape s = a.shape();
            if (s.rank() != first.rank()) {
                throw new Problem("inputs " + first + " and " + s + " differ in rank");
            }
            for (int i = 0; i < s.rank(); i++) {
                if (i != ax && s.dim(i) != first.dim(i)) {
                    throw new Problem("inputs " + first + " and " + s + " differ outside axis " + ax);
                }
            }
            total += s.dim(ax);
            names.add(a.ir());
            shapes.add(s);
        }
        if (in.size() == 1) {
            define(n.output(0), in.get(0));
            return;
        }
        Shape os = first.with(ax, toInt(total, "concatenated size"));
        add(new ConcatNode(nodeName(), names, shapes, n.output(0), ax, os));
    }

    private void split(OnnxNode n) {
        Val v = val(n, 0, "input");
        int outs = n.outputs.size();
        if (outs == 0) {
            throw new Problem("it has no output");
        }
        long[] dims = v instanceof Act a ? toLong(a.shape().dims()) : ((Cst) v).t().dims;
        int ax = Folding.axis(n.i("axis", 0), dims.length, "axis");
        long dim = dims[ax];
        long[] sizes = n.ints("split");
        if (sizes == null && n.hasInput(1)) {
            sizes = ints(cst(n, 1, "split"), "split");
        }
        if (sizes == null) {
            sizes = new long[outs];
            if (n.has("num_outputs")) {
                long num = n.i("num_outputs", outs);
                if (num != outs) {
                    throw new Problem("num_outputs=" + num + " but it has " + outs + " outputs");
                }
                long chunk = (dim + outs - 1) / outs;
                for (int i = 0; i < outs; i++) {
                    sizes[i] = Math.max(0, Math.min(chunk, dim - i * chunk));
                }
            } else {
                if (dim % outs != 0) {
                    throw new Problem("axis " + ax + " of size " + dim + " does not split evenly into " + outs + " outputs");
                }
                Arrays.fill(sizes, dim / outs);
            }
        }
        if (sizes.length != outs || Arrays.stream(sizes).anyMatch(s -> s < 0) || Arrays.stream(sizes).sum() != dim) {
            throw new Problem("split " + Arrays.toString(sizes) + " does not divide axis " + ax + " of size " + dim + " into "
                    + outs + " outputs");
        }
        long start = 0;
        for (int i = 0; i < outs; i++) {
            String out = n.output(i);
            if (!out.isEmpty()) {
                sliceAxis(v, out, ax, start, sizes[i], 1);
            }
            start += sizes[i];
        }
    }

    /** {@code out} = elements start, start+step, ... (count of them) of {@code v} along {@code ax}. */
    private Val sliceAxis(Val v, String out, int ax, long start, long count, long step) {
        if (v instanceof Cst c) {
            Val r = new Cst(Folding.slice(c.t(), ax, start, count, step, alloc()));
            define(out, r);
            return r;
        }
        Act a = (Act) v;
        Shape s = a.shape();
        if (count == s.dim(ax) && start == 0 && step == 1) {
            define(out, a);
            return a;
        }
        if (count < 1) {
            throw new Problem("the slice of axis " + ax + " of " + s + " is empty");
        }
        if (step < 1) {
            throw new Problem("step " + step + " reverses axis " + ax + "; convcl slices with positive steps");
        }
        Shape os = s.with(ax, (int) count);
        return add(new SliceNode(nodeName(), a.ir(), out, s, ax, (int) start, toInt(step, "step"), os));
    }

    private void slice(OnnxNode n) {
        outputs(n, 1);
        Val v = val(n, 0, "data");
        long[] starts, ends, axes, steps = null;
        if (opset < 10) {
            starts = n.ints("starts");
            ends = n.ints("ends");
            axes = n.ints("axes");
            if (starts == null || ends == null) {
                throw new Problem("attributes starts and ends are required");
            }
        } else {
            starts = ints(cst(n, 1, "starts"), "starts");
            ends = ints(cst(n, 2, "ends"), "ends");
            axes = n.hasInput(3) ? ints(cst(n, 3, "axes"), "axes") : null;
            steps = n.hasInput(4) ? ints(cst(n, 4, "steps"), "steps") : null;
        }
        long[] dims = v instanceof Act a ? toLong(a.shape().dims()) : ((Cst) v).t().dims;
        int k = starts.length;
        if (ends.length != k || axes != null && axes.length != k || steps != null && steps.length != k) {
            throw new Problem("starts, ends, axes and steps differ in length");
        }
        Set<Integer> seen = new HashSet<>();
        Val cur = v;
        for (int i = 0; i < k; i++) {
            int ax = Folding.axis(axes == null ? i : axes[i], dims.length, "axis");
            if (!seen.add(ax)) {
                throw new Problem("axis " + ax + " is sliced twice");
            }
        }
        // Slice one axis at a time; intermediate results get derived names.
        List<long[]> plan = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            int ax = Folding.axis(axes == null ? i : axes[i], dims.length, "axis");
            long step = steps == null ? 1 : steps[i];
            long[] r = Folding.sliceRange(dims[ax], starts[i], ends[i], step);
            if (r[0] == 0 && r[1] == dims[ax] && step == 1) {
                continue;
            }
            plan.add(new long[] {ax, r[0], r[1], step});
        }
        if (plan.isEmpty()) {
            define(n.output(0), v);
            return;
        }
        for (int i = 0; i < plan.size(); i++) {
            long[] p = plan.get(i);
            String out = i == plan.size() - 1 ? n.output(0) : tempValue(n.output(0));
            cur = sliceAxis(cur, out, (int) p[0], p[1], p[2], p[3]);
        }
    }

    private void reshape(OnnxNode n) {
        outputs(n, 1);
        Val v = val(n, 0, "data");
        long[] spec = ints(cst(n, 1, "shape"), "shape");
        boolean allowzero = n.i("allowzero", 0, 0, 1) == 1;
        if (v instanceof Cst c) {
            define(n.output(0), new Cst(c.t().reshaped(Folding.reshapeTarget(c.t().dims, spec, allowzero))));
            return;
        }
        Act a = (Act) v;
        Shape os = toShape(Folding.reshapeTarget(toLong(a.shape().dims()), spec, allowzero), "shape");
        view(n, a, os);
    }

    /** A view of {@code a} as {@code os}: an alias when nothing changes, else a ReshapeNode. */
    private void view(OnnxNode n, Act a, Shape os) {
        if (os.equals(a.shape())) {
            define(n.output(0), a);
            return;
        }
        add(new ReshapeNode(nodeName(), a.ir(), n.output(0), a.shape(), os));
    }

    private void flatten(OnnxNode n) {
        outputs(n, 1);
        Val v = val(n, 0, "input");
        long[] dims = v instanceof Act a ? toLong(a.shape().dims()) : ((Cst) v).t().dims;
        long axis = n.i("axis", 1);
        if (axis < -dims.length || axis > dims.length) {
            throw new Problem("axis " + axis + " is outside [" + -dims.length + ", " + dims.length + "]");
        }
        int ax = (int) (axis < 0 ? axis + dims.length : axis);
        long outer = 1, inner = 1;
        for (int i = 0; i < dims.length; i++) {
            if (i < ax) {
                outer *= dims[i];
            } else {
                inner *= dims[i];
            }
        }
        long[] target = {outer, inner};
        if (v instanceof Cst c) {
            define(n.output(0), new Cst(c.t().reshaped(target)));
            return;
        }
        Act a = (Act) v;
        Shape os = toShape(target, "flattened shape");
        if (ax == 1 && !os.equals(a.shape())) {
            add(new FlattenNode(nodeName(), a.ir(), n.output(0), a.shape(), os));
        } else {
            view(n, a, os);
        }
    }

    private void squeeze(OnnxNode n) {
        outputs(n, 1);
        boolean unsqueeze = n.op.equals("Unsqueeze");
        Val v = val(n, 0, "data");
        long[] axes = n.ints("axes");
        if (axes == null && n.hasInput(1)) {
            axes = ints(cst(n, 1, "axes"), "axes");
        }
        if (axes == null && unsqueeze) {
            throw new Problem("axes are missing");
        }
        long[] dims = v instanceof Act a ? toLong(a.shape().dims()) : ((Cst) v).t().dims;
        long[] out = unsqueeze ? Folding.unsqueezeDims(dims, axes) : Folding.squeezeDims(dims, axes);
        if (out.length > TensorReader.MAX_RANK) {
            throw new Problem("the result has " + out.length + " dimensions; convcl handles at most " + TensorReader.MAX_RANK);
        }
        if (v instanceof Cst c) {
            define(n.output(0), new Cst(c.t().reshaped(out)));
            return;
        }
        if (out.length == 0) {
            throw new Problem("squeezing " + ((Act) v).shape() + " leaves a scalar");
        }
        view(n, (Act) v, toShape(out, "shape"));
    }

    private void transpose(OnnxNode n) {
        outputs(n, 1);
        Val v = val(n, 0, "data");
        int rank = v instanceof Act a ? a.shape().rank() : ((Cst) v).t().rank();
        int[] perm = n.ints("perm", rank, 0, rank - 1);
        if (perm == null) {
            perm = new int[rank];
            for (int i = 0; i < rank; i++) {
                perm[i] = rank - 1 - i;
            }
        }
        boolean[] seen = new boolean[rank];
        for (int p : perm) {
            if (seen[p]) {
                throw new Problem("perm " + Arrays.toString(perm) + " is not a permutation");
            }
            seen[p] = true;
        }
        if (v instanceof Cst c) {
            define(n.output(0), new Cst(Folding.transpose(c.t(), perm, alloc())));
            return;
        }
        Act a = (Act) v;
        boolean identity = true;
        int[] od = new int[rank];
        for (int i = 0; i < rank; i++) {
            od[i] = a.shape().dim(perm[i]);
            identity &= perm[i] == i;
        }
        if (identity) {
            define(n.output(0), a);
            return;
        }
        Shape os = Shape.of(od);
        work.add(new PendingTranspose(n.label, nodeName(), a.ir(), n.output(0), a.shape(), perm, os));
        defineAct(n.output(0), os);
    }

    // ---------------------------------------------------------------------------------------------
    // Identity, Dropout and constants

    private void dropout(OnnxNode n) {
        outputs(n, 2);
        unusedOutputsFrom(n, 1, "mask");
        if (opset >= 12 && n.hasInput(2)) {
            ConstTensor t = cst(n, 2, "training_mode");
            if (t.size() != 1 || t.get(0) != 0) {
                throw new Problem("training_mode is true; convcl runs inference");
            }
        }
        define(n.output(0), val(n, 0, "data"));
    }

    private void constant(OnnxNode n) {
        outputs(n, 1);
        if (n.attrs.size() != 1) {
            throw new Problem("a Constant needs exactly one of value, value_float, value_floats, value_int, value_ints");
        }
        String what = source + ": " + n.label + " value";
        ConstTensor t;
        if (n.has("value")) {
            t = reader.read(n.t("value"), what);
        } else if (n.has("value_float")) {
            t = ConstTensor.floats(new long[0], new float[] {n.f("value_float", 0f)});
        } else if (n.has("value_floats")) {
            float[] f = n.floats("value_floats");
            t = ConstTensor.floats(new long[] {f.length}, f);
        } else if (n.has("value_int")) {
            t = ConstTensor.scalar(n.i("value_int", 0));
        } else {
            long[] l = n.ints("value_ints");
            t = ConstTensor.longs(new long[] {l.length}, l);
        }
        define(n.output(0), new Cst(t));
    }

    private void shape(OnnxNode n) {
        outputs(n, 1);
        Val v = val(n, 0, "data");
        long[] dims = v instanceof Act a ? toLong(a.shape().dims()) : ((Cst) v).t().dims;
        long r = dims.length;
        long start = n.i("start", 0), end = n.i("end", r);
        start = Math.max(0, Math.min(r, start < 0 ? start + r : start));
        end = Math.max(0, Math.min(r, end < 0 ? end + r : end));
        long[] out = end > start ? Arrays.copyOfRange(dims, (int) start, (int) end) : new long[0];
        define(n.output(0), new Cst(ConstTensor.vector(out)));
    }

    private void gather(OnnxNode n) {
        outputs(n, 1);
        Val data = val(n, 0, "data");
        if (data instanceof Act a) {
            gatherRange(n, a);
            return;
        }
        ConstTensor idx = cst(n, 1, "indices");
        define(n.output(0), new Cst(Folding.gather(((Cst) data).t(), idx, n.i("axis", 0), alloc())));
    }

    /**
     * Gather of a runtime value along axis 1 with constant, 1-D, contiguous ascending indices (as
     * torchvision's exporter splits RoiAlign's [K, 5] rois into batch indices and boxes): a slice.
     */
    private void gatherRange(OnnxNode n, Act a) {
        ConstTensor idx = cst(n, 1, "indices");
        Shape s = a.shape();
        int ax = n.i("axis", 0, -s.rank(), s.rank() - 1);
        ax = ax < 0 ? ax + s.rank() : ax;
        long[] ix = idx.rank() == 1 ? ints(idx, "indices") : null;
        boolean range = ix != null && ix.length >= 1;
        for (int j = 0; range && j < ix.length; j++) {
            long v = ix[j] < 0 ? ix[j] + s.dim(ax) : ix[j];
            long first = ix[0] < 0 ? ix[0] + s.dim(ax) : ix[0];
            range = v == first + j && v >= 0 && v < s.dim(ax);
        }
        if (ax != 1 || !range) {
            throw new Problem("Gather on a runtime value along axis " + ax + " with indices " + idx.describe()
                    + "; convcl gathers a runtime value only along axis 1 with a 1-D run of consecutive indices");
        }
        long start = ix[0] < 0 ? ix[0] + s.dim(ax) : ix[0];
        Shape os = s.with(ax, ix.length);
        String out = n.output(0);
        if (ix.length == s.dim(ax)) {
            define(out, a);
            return;
        }
        add(new SliceNode(nodeName(), a.ir(), out, s, ax, (int) start, 1, os));
    }

    private void cast(OnnxNode n) {
        outputs(n, 1);
        if (!n.has("to")) {
            throw new Problem("attribute to is missing");
        }
        int to = toInt(n.i("to", 0), "to");
        Val v = val(n, 0, "input");
        if (v instanceof Cst c) {
            define(n.output(0), new Cst(Folding.cast(c.t(), to)));
        } else if (to == TensorProto.DataType.FLOAT_VALUE) {
            define(n.output(0), v);
        } else if (integer(to) && batchIndicesOnly(graph, n.output(0))) {
            // RoiAlign truncates its batch indices toward zero itself, as this cast does
            define(n.output(0), v);
        } else {
            throw new Problem("Cast of a runtime value to " + TensorReader.typeName(to) + "; convcl computes in FLOAT");
        }
    }

    private void constantOfShape(OnnxNode n) {
        outputs(n, 1);
        long[] dims = ints(cst(n, 0, "input"), "input");
        if (dims.length > TensorReader.MAX_RANK) {
            throw new Problem("shape " + Arrays.toString(dims) + " has more than " + TensorReader.MAX_RANK + " dimensions");
        }
        ConstTensor value = n.has("value") ? reader.read(n.t("value"), source + ": " + n.label + " value")
                : ConstTensor.floats(new long[] {1}, new float[] {0f});
        if (value.size() != 1) {
            throw new Problem("value " + value.describe() + " must hold one element");
        }
        long count = Folding.checkedCount(dims);
        alloc().reserve(count, value.isFloat());
        if (value.isFloat()) {
            float[] f = new float[(int) count];
            Arrays.fill(f, value.f[0]);
            define(n.output(0), new Cst(ConstTensor.floats(dims, f)));
        } else {
            long[] l = new long[(int) count];
            Arrays.fill(l, value.l[0]);
            define(n.output(0), new Cst(ConstTensor.longs(dims, l)));
        }
    }
}
