package dev.convcl.onnx;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The operators convcl imports (standard domain) with the attributes each may carry, over opsets
 * 9 to 20. The first check of every node: an operator or attribute not listed here makes the node
 * unsupported. Values (attribute values, constant inputs, shapes) are checked when the node is
 * lowered.
 */
final class Ops {
    static final int MIN_OPSET = 9;
    static final int MAX_OPSET = 20;

    private static final Map<String, Set<String>> ATTRIBUTES = new TreeMap<>();

    static {
        Set<String> none = Set.of();
        put(Set.of("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"), "Conv");
        put(Set.of("dilations", "group", "kernel_shape", "offset_group", "pads", "strides"), "DeformConv");
        put(Set.of("coordinate_transformation_mode", "mode", "output_height", "output_width", "sampling_ratio",
                "spatial_scale"), "RoiAlign");
        put(Set.of("epsilon", "momentum", "training_mode", "spatial"), "BatchNormalization");
        put(none, "Relu", "Sigmoid", "HardSwish", "Erf", "Add", "Sub", "Mul", "Div", "MatMul", "Identity",
                "GlobalAveragePool", "GlobalMaxPool");
        put(Set.of("alpha", "beta"), "HardSigmoid");
        put(Set.of("alpha"), "LeakyRelu");
        put(Set.of("min", "max"), "Clip");
        put(Set.of("approximate"), "Gelu");
        put(Set.of("axis"), "Concat", "Gather");
        put(Set.of("axis", "split", "num_outputs"), "Split");
        put(Set.of("starts", "ends", "axes"), "Slice");
        put(Set.of("mode", "pads", "value"), "Pad");
        put(Set.of("allowzero"), "Reshape");
        put(Set.of("perm"), "Transpose");
        put(Set.of("axis"), "Flatten");
        put(Set.of("auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"), "MaxPool");
        put(Set.of("auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"), "AveragePool");
        put(Set.of("axes", "keepdims", "noop_with_empty_axes"), "ReduceMean");
        put(Set.of("alpha", "beta", "transA", "transB"), "Gemm");
        put(Set.of("ratio", "seed"), "Dropout");
        put(Set.of("value", "value_float", "value_floats", "value_int", "value_ints"), "Constant");
        put(Set.of("start", "end"), "Shape");
        put(Set.of("axes"), "Unsqueeze", "Squeeze");
        put(Set.of("to", "saturate"), "Cast");
        put(Set.of("value"), "ConstantOfShape");
    }

    private Ops() {
    }

    private static void put(Set<String> attrs, String... ops) {
        for (String op : ops) {
            ATTRIBUTES.put(op, attrs);
        }
    }

    /** The supported operators, sorted. */
    static Set<String> supported() {
        return ATTRIBUTES.keySet();
    }

    /** The attributes {@code op} may carry, or null when the operator is not supported. */
    static Set<String> attributes(String op) {
        return ATTRIBUTES.get(op);
    }

    /** Whether the domain is the standard ONNX one. */
    static boolean standardDomain(String domain) {
        return domain.isEmpty() || domain.equals("ai.onnx");
    }

    /**
     * What keeps the node from being supported on its own (operator, domain or attribute names), or
     * null when nothing does.
     */
    static String check(OnnxNode n) {
        String domain = n.proto.getDomain();
        if (!standardDomain(domain)) {
            return "operator domain " + Problem.quote(domain) + " is not the standard ONNX domain";
        }
        Set<String> allowed = ATTRIBUTES.get(n.op);
        if (allowed == null) {
            return "operator " + Problem.quote(n.op).replace("'", "") + " is not supported";
        }
        StringBuilder unknown = new StringBuilder();
        for (String a : n.attrs.keySet()) {
            if (!allowed.contains(a)) {
                unknown.append(unknown.length() == 0 ? "" : ", ").append(Problem.quote(a));
            }
        }
        if (unknown.length() > 0) {
            return "unsupported attribute " + unknown + (allowed.isEmpty() ? " (it takes none)" : " (it takes "
                    + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
        }
        return null;
    }

    static List<String> list() {
        return List.copyOf(ATTRIBUTES.keySet());
    }
}
