package dev.convcl.onnx;

import dev.convcl.onnx.proto.OnnxProto.AttributeProto;
import dev.convcl.onnx.proto.OnnxProto.AttributeProto.AttributeType;
import dev.convcl.onnx.proto.OnnxProto.NodeProto;
import dev.convcl.onnx.proto.OnnxProto.TensorProto;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A node of the ONNX graph with its attributes by name and typed attribute access; an attribute of
 * the wrong type or out of range is a {@link Problem} naming it.
 */
final class OnnxNode {
    final int index;
    final NodeProto proto;
    final String op;
    /** {@code Conv '/conv1/Conv'}, or {@code Conv #12} (the node's index) when the node has no name. */
    final String label;
    final List<String> inputs;
    final List<String> outputs;
    final Map<String, AttributeProto> attrs = new LinkedHashMap<>();

    OnnxNode(int index, NodeProto proto) {
        this.index = index;
        this.proto = proto;
        this.op = proto.getOpType();
        this.label = Problem.quote(op).replace("'", "") + (proto.getName().isEmpty() ? " #" + index : " " + Problem.quote(proto.getName()));
        this.inputs = proto.getInputList();
        this.outputs = proto.getOutputList();
        for (AttributeProto a : proto.getAttributeList()) {
            if (attrs.put(a.getName(), a) != null) {
                throw new OnnxModelException(label + " has attribute " + Problem.quote(a.getName()) + " twice");
            }
        }
    }

    /** The name of the node for IR nodes: its ONNX name, else op type and index. */
    String irName() {
        return proto.getName().isEmpty() ? op + "_" + index : proto.getName();
    }

    /** Input {@code i}'s name, {@code ""} when absent (optional inputs). */
    String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    boolean hasInput(int i) {
        return !input(i).isEmpty();
    }

    String output(int i) {
        return i < outputs.size() ? outputs.get(i) : "";
    }

    boolean has(String name) {
        return attrs.containsKey(name);
    }

    private AttributeProto attr(String name, AttributeType type) {
        AttributeProto a = attrs.get(name);
        if (a == null) {
            return null;
        }
        if (!a.getRefAttrName().isEmpty()) {
            throw new Problem("attribute " + name + " refers to a function's attribute, which only functions may do");
        }
        if (a.hasType() && a.getType() != type) {
            throw new Problem("attribute " + name + " is " + a.getType() + ", expected " + type);
        }
        return a;
    }

    /**
     * Attribute {@code name} of the given type as {@code read} gives it, {@code dflt} when absent;
     * {@code present} false (a singular field left unset) is a {@link Problem}: it holds no {@code what}.
     */
    private <T> T value(String name, AttributeType type, T dflt, Predicate<AttributeProto> present, String what,
                        Function<AttributeProto, T> read) {
        AttributeProto a = attr(name, type);
        if (a == null) {
            return dflt;
        }
        if (!present.test(a)) {
            throw new Problem("attribute " + name + " holds no " + what);
        }
        return read.apply(a);
    }

    long i(String name, long dflt) {
        return value(name, AttributeType.INT, dflt, AttributeProto::hasI, "integer", AttributeProto::getI);
    }

    /** An integer attribute that must lie in [min, max]. */
    int i(String name, int dflt, int min, int max) {
        long v = i(name, dflt);
        if (v < min || v > max) {
            throw new Problem("attribute " + name + "=" + v + " must be in [" + min + ", " + max + "]");
        }
        return (int) v;
    }

    float f(String name, float dflt) {
        return value(name, AttributeType.FLOAT, dflt, AttributeProto::hasF, "float", AttributeProto::getF);
    }

    String s(String name, String dflt) {
        return value(name, AttributeType.STRING, dflt, a -> true, "string", a -> a.getS().toStringUtf8());
    }

    /** An INTS attribute, or null when absent. */
    long[] ints(String name) {
        return value(name, AttributeType.INTS, null, a -> true, "integers",
                a -> a.getIntsList().stream().mapToLong(Long::longValue).toArray());
    }

    /** An INTS attribute as ints, each in [min, max], of the given length (any length when -1), or null when absent. */
    int[] ints(String name, int length, long min, long max) {
        long[] v = ints(name);
        if (v == null) {
            return null;
        }
        if (length >= 0 && v.length != length) {
            throw new Problem("attribute " + name + "=" + Arrays.toString(v) + " must have " + length + " values");
        }
        int[] out = new int[v.length];
        for (int k = 0; k < v.length; k++) {
            if (v[k] < min || v[k] > max) {
                throw new Problem("attribute " + name + "=" + Arrays.toString(v) + ": " + v[k] + " must be in [" + min + ", "
                        + max + "]");
            }
            out[k] = (int) v[k];
        }
        return out;
    }

    float[] floats(String name) {
        return value(name, AttributeType.FLOATS, null, a -> true, "floats", a -> {
            float[] v = new float[a.getFloatsCount()];
            for (int k = 0; k < v.length; k++) {
                v[k] = a.getFloats(k);
            }
            return v;
        });
    }

    TensorProto t(String name) {
        return value(name, AttributeType.TENSOR, null, AttributeProto::hasT, "tensor", AttributeProto::getT);
    }
}
