package dev.convcl.cli;

import com.google.protobuf.ByteString;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.HostTensor;
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
import java.util.Optional;

/**
 * A one-node ONNX model of one convolution layer, for the peers of {@code convcl bench} that run
 * ONNX models (ONNX Runtime): a {@code Conv} node (opset {@value #CONV_OPSET}) or a
 * {@code DeformConv} node (opset {@value #DEFORM_OPSET}) with the layer's weights and bias as
 * float32 initializers, its strides, pads ({@code [top, left, bottom, right]}), dilations and
 * group. Inputs: {@value #INPUT} {@code [n, c, h, w]}, and for DeformConv {@value #OFFSET}
 * {@code [n, 2*og*kh*kw, outH, outW]} and, with a mask, {@value #MASK} {@code [n, og*kh*kw, outH,
 * outW]}; output {@value #OUTPUT} {@code [n, k, outH, outW]}, all float32 of fixed shape.
 * Written with the project's own protobuf classes ({@code dev.convcl.onnx.proto}).
 */
public final class OnnxLayerModel {
    /** The input's name. */
    public static final String INPUT = "x";
    /** The DeformConv offsets' name. */
    public static final String OFFSET = "offset";
    /** The DeformConv mask's name. */
    public static final String MASK = "mask";
    /** The output's name. */
    public static final String OUTPUT = "y";
    /** Opset of a Conv model (Conv is unchanged since opset 11). */
    public static final int CONV_OPSET = 17;
    /** Opset of a DeformConv model (DeformConv appeared in opset 19). */
    public static final int DEFORM_OPSET = 19;

    private static final int FLOAT = 1;

    private OnnxLayerModel() {
    }

    /**
     * Why {@code op} has no one-node model, or empty: post-ops would need further nodes.
     */
    public static Optional<String> unsupported(Convolution op) {
        if (!op.postOps().isEmpty()) {
            return Optional.of("post-ops (" + op.postOps() + ") are not part of the one-node model");
        }
        return Optional.empty();
    }

    /**
     * The serialized model of {@code op}.
     *
     * @param weights {@code [k, c/groups, kh, kw]}
     * @param bias    {@code [k]}, or null when {@code op} has no bias
     * @throws IllegalArgumentException when {@code op} has post-ops ({@link #unsupported}) or a
     *                                  tensor's shape does not match
     */
    public static byte[] write(Convolution op, HostTensor weights, HostTensor bias) {
        unsupported(op).ifPresent(why -> {
            throw new IllegalArgumentException(why);
        });
        check("weight", weights.shape(), op.weightShape());
        if (op.bias() != (bias != null)) {
            throw new IllegalArgumentException("bias given: " + (bias != null) + ", the layer's bias flag: " + op.bias());
        }
        if (bias != null) {
            check("bias", bias.shape(), op.biasShape());
        }
        boolean deform = op instanceof DeformConv2d;
        GraphProto.Builder g = GraphProto.newBuilder().setName(deform ? "deform_conv" : "conv");
        g.addInput(value(INPUT, op.inputShape()));
        g.addInitializer(floats("W", weights));
        NodeProto.Builder node = NodeProto.newBuilder().setName("layer").setOpType(deform ? "DeformConv" : "Conv")
                .addInput(INPUT).addInput("W");
        if (op instanceof DeformConv2d d) {
            g.addInput(value(OFFSET, d.offsetShape()));
            node.addInput(OFFSET);
            // DeformConv's inputs: X, W, offset, B, mask. An empty name leaves B out before a mask;
            // trailing optional inputs are simply not named.
            if (bias != null || d.mask()) {
                node.addInput(bias != null ? "B" : "");
            }
            if (d.mask()) {
                g.addInput(value(MASK, d.maskShape()));
                node.addInput(MASK);
            }
            // DeformConv's offset_group is one INT (a list is refused: "Mismatched attribute type").
            node.addAttribute(AttributeProto.newBuilder().setName("offset_group").setType(AttributeType.INT)
                    .setI(d.offsetGroups()));
        } else if (bias != null) {
            node.addInput("B");
        }
        if (bias != null) {
            g.addInitializer(floats("B", bias));
        }
        node.addOutput(OUTPUT)
                .addAttribute(ints("kernel_shape", op.kh(), op.kw()))
                .addAttribute(ints("strides", op.strideH(), op.strideW()))
                .addAttribute(ints("pads", op.padTop(), op.padLeft(), op.padBottom(), op.padRight()))
                .addAttribute(ints("dilations", op.dilH(), op.dilW()))
                .addAttribute(AttributeProto.newBuilder().setName("group").setType(AttributeType.INT).setI(op.groups()));
        g.addNode(node);
        g.addOutput(value(OUTPUT, op.outputShape()));
        return ModelProto.newBuilder()
                .setIrVersion(deform ? 9 : 8)
                .setProducerName("convcl bench")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(deform ? DEFORM_OPSET : CONV_OPSET))
                .setGraph(g)
                .build()
                .toByteArray();
    }

    private static void check(String what, int[] shape, int[] expected) {
        if (!java.util.Arrays.equals(shape, expected)) {
            throw new IllegalArgumentException(what + " shape " + java.util.Arrays.toString(shape) + " does not match the layer's "
                    + java.util.Arrays.toString(expected));
        }
    }

    private static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    private static ValueInfoProto value(String name, int[] shape) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (int d : shape) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(FLOAT).setShape(s))).build();
    }

    /** A float32 initializer in raw_data, little-endian, as exporters write them. */
    private static TensorProto floats(String name, HostTensor t) {
        ByteBuffer b = ByteBuffer.allocate(t.size() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(t.toArray());
        TensorProto.Builder p = TensorProto.newBuilder().setName(name).setDataType(FLOAT)
                .setRawData(ByteString.copyFrom(b.array()));
        for (int d : t.shape()) {
            p.addDims(d);
        }
        return p.build();
    }
}
