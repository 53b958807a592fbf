package dev.convcl.onnx;

import com.google.protobuf.ByteString;
import dev.convcl.onnx.proto.OnnxProto.AttributeProto;
import dev.convcl.onnx.proto.OnnxProto.AttributeProto.AttributeType;
import dev.convcl.onnx.proto.OnnxProto.GraphProto;
import dev.convcl.onnx.proto.OnnxProto.ModelProto;
import dev.convcl.onnx.proto.OnnxProto.NodeProto;
import dev.convcl.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.convcl.onnx.proto.OnnxProto.TensorProto;
import dev.convcl.onnx.proto.OnnxProto.TensorShapeProto;
import dev.convcl.onnx.proto.OnnxProto.TypeProto;
import dev.convcl.onnx.proto.OnnxProto.ValueInfoProto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Builds small ONNX models for tests with the generated protobuf classes, the way an exporter
 * writes them: {@code new OnnxBuilder(13).input("x", 1, 3, 8, 8).floats("w", new float[...], 4, 3, 3, 3)
 * .node("Conv", "conv", in("x", "w"), out("y"), ints("pads", 1, 1, 1, 1)).output("y").bytes()}.
 */
final class OnnxBuilder {
    final GraphProto.Builder graph = GraphProto.newBuilder().setName("test");
    final ModelProto.Builder model = ModelProto.newBuilder().setIrVersion(8).setProducerName("convcl-test");

    OnnxBuilder(int opset) {
        model.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset));
    }

    static String[] in(String... names) {
        return names;
    }

    static String[] out(String... names) {
        return names;
    }

    static ValueInfoProto valueInfo(String name, int elemType, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(s))).build();
    }

    OnnxBuilder input(String name, long... dims) {
        graph.addInput(valueInfo(name, 1, dims));
        return this;
    }

    /** An input with a symbolic first dimension. */
    OnnxBuilder symbolicInput(String name, String param, long... rest) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        s.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(param));
        for (long d : rest) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        graph.addInput(ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(s))));
        return this;
    }

    /** An input whose dimensions are sizes (a Number), dim_params (a String) or neither (null). */
    OnnxBuilder inputDims(String name, Object... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder b = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof Number n) {
                b.setDimValue(n.longValue());
            } else if (d instanceof String p) {
                b.setDimParam(p);
            }
            s.addDim(b);
        }
        graph.addInput(ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(s))));
        return this;
    }

    OnnxBuilder output(String name) {
        graph.addOutput(ValueInfoProto.newBuilder().setName(name));
        return this;
    }

    OnnxBuilder output(String name, long... dims) {
        graph.addOutput(valueInfo(name, 1, dims));
        return this;
    }

    /** A float32 initializer in raw_data (little-endian), as PyTorch writes them. */
    OnnxBuilder floats(String name, float[] values, long... dims) {
        graph.addInitializer(rawFloats(name, values, dims));
        return this;
    }

    /** A float32 initializer of ramp values 0.01 * (i + 1). */
    OnnxBuilder ramp(String name, long... dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = 0.01f * (i + 1);
        }
        return floats(name, v, dims);
    }

    /** An int64 initializer in int64_data. */
    OnnxBuilder longs(String name, long[] values, long... dims) {
        graph.addInitializer(TensorProto.newBuilder().setName(name).setDataType(7)
                .addAllDims(Arrays.stream(dims).boxed().toList()).addAllInt64Data(Arrays.stream(values).boxed().toList()));
        return this;
    }

    /** A 1-D int64 initializer. */
    OnnxBuilder vector(String name, long... values) {
        return longs(name, values, values.length);
    }

    OnnxBuilder initializer(TensorProto t) {
        graph.addInitializer(t);
        return this;
    }

    static TensorProto rawFloats(String name, float[] values, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1).setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    OnnxBuilder node(String op, String name, String[] inputs, String[] outputs, AttributeProto... attrs) {
        graph.addNode(NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(Arrays.asList(inputs))
                .addAllOutput(Arrays.asList(outputs)).addAllAttribute(Arrays.asList(attrs)));
        return this;
    }

    /** An attribute named {@code name} of {@code type}, its value still to be set. */
    private static AttributeProto.Builder attr(String name, AttributeType type) {
        return AttributeProto.newBuilder().setName(name).setType(type);
    }

    static AttributeProto ints(String name, long... v) {
        return attr(name, AttributeType.INTS).addAllInts(Arrays.stream(v).boxed().toList()).build();
    }

    static AttributeProto i(String name, long v) {
        return attr(name, AttributeType.INT).setI(v).build();
    }

    static AttributeProto f(String name, float v) {
        return attr(name, AttributeType.FLOAT).setF(v).build();
    }

    static AttributeProto floatsAttr(String name, float... v) {
        AttributeProto.Builder a = attr(name, AttributeType.FLOATS);
        for (float x : v) {
            a.addFloats(x);
        }
        return a.build();
    }

    static AttributeProto s(String name, String v) {
        return attr(name, AttributeType.STRING).setS(ByteString.copyFromUtf8(v)).build();
    }

    static AttributeProto t(String name, TensorProto v) {
        return attr(name, AttributeType.TENSOR).setT(v).build();
    }

    /** A Constant node holding a float scalar (as PyTorch writes them: a rank-0 tensor). */
    OnnxBuilder scalar(String output, float v) {
        return node("Constant", output + "_const", in(), out(output), t("value", rawFloats("", new float[] {v})));
    }

    /** A Constant node holding a 1-D int64 tensor. */
    OnnxBuilder constInts(String output, long... v) {
        TensorProto.Builder t = TensorProto.newBuilder().setDataType(7).addDims(v.length);
        for (long x : v) {
            t.addInt64Data(x);
        }
        return node("Constant", output + "_const", in(), out(output), t("value", t.build()));
    }

    /** A Constant node holding an int64 scalar (rank 0), as PyTorch writes Gather indices. */
    OnnxBuilder constInt(String output, long v) {
        TensorProto t = TensorProto.newBuilder().setDataType(7).addInt64Data(v).build();
        return node("Constant", output + "_const", in(), out(output), t("value", t));
    }

    ModelProto build() {
        return model.setGraph(graph).build();
    }

    byte[] bytes() {
        return build().toByteArray();
    }

    /** Writes the model to {@code file} and returns it. */
    java.nio.file.Path save(java.nio.file.Path file) throws java.io.IOException {
        java.nio.file.Files.write(file, bytes());
        return file;
    }

    OnnxGraph read() {
        return OnnxImporter.read(bytes(), OnnxImporter.Options.defaults());
    }

    OnnxGraph read(OnnxImporter.Options o) {
        return OnnxImporter.read(bytes(), o);
    }
}
