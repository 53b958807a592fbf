package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Activation;
import dev.convcl.Conv2d;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.HostTensor;
import dev.convcl.PostOps;
import dev.convcl.Tensor;
import dev.convcl.onnx.ConvNode;
import dev.convcl.onnx.DeformConvNode;
import dev.convcl.onnx.OnnxGraph;
import dev.convcl.onnx.OnnxImporter;
import dev.convcl.onnx.proto.OnnxProto.AttributeProto;
import dev.convcl.onnx.proto.OnnxProto.AttributeProto.AttributeType;
import dev.convcl.onnx.proto.OnnxProto.ModelProto;
import dev.convcl.onnx.proto.OnnxProto.NodeProto;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The one-node ONNX model of a benchmark layer ({@link OnnxLayerModel}, what the ONNX Runtime peer
 * runs): read back by convcl's own ONNX importer, it is the same layer with the same weights, on
 * the benchmark's kinds of layer (asymmetric padding, stride, dilation, groups, no bias,
 * deformable v1 and v2); its attributes have the types the ONNX operators define. That ONNX
 * Runtime computes the same numbers from it is {@code peers/onnxruntime}'s own test.
 */
class OnnxLayerModelTest {

    private static HostTensor ramp(int[] shape) {
        int size = 1;
        for (int d : shape) {
            size *= d;
        }
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = (i % 13 - 6) / 8f;
        }
        return Tensor.of(v, shape);
    }

    private static byte[] model(Convolution op) {
        return OnnxLayerModel.write(op, ramp(op.weightShape()), op.bias() ? ramp(op.biasShape()) : null);
    }

    @Test
    void convModelsReadBackAsTheSameLayer() {
        List<Conv2d> layers = List.of(
                Conv2d.builder().input(1, 8, 9, 7).output(6).kernel(3, 3).padding(1).bias(true).build(),
                Conv2d.builder().input(2, 8, 10, 11).output(4).kernel(1, 7).padding(0, 3, 0, 3).stride(2).groups(2).build(),
                Conv2d.builder().input(1, 6, 12, 12).output(6).kernel(3, 3).padding(0, 1, 2, 3).dilation(2).groups(6)
                        .bias(true).build());
        for (Conv2d op : layers) {
            OnnxGraph g = OnnxImporter.read(model(op), OnnxImporter.Options.defaults());
            assertEquals(1, g.nodes().size(), op.toString());
            ConvNode node = g.nodes(ConvNode.class).get(0);
            assertEquals(op, node.conv(), "the imported layer");
            assertArrayEquals(ramp(op.weightShape()).toArray(), node.weights().toArray(), 0f);
            if (op.bias()) {
                assertArrayEquals(ramp(op.biasShape()).toArray(), node.bias().toArray(), 0f);
            } else {
                assertNull(node.bias());
            }
            assertEquals(OnnxLayerModel.INPUT, g.inputs().get(0).name());
            assertEquals(OnnxLayerModel.OUTPUT, g.outputs().get(0).name());
            assertEquals(OnnxLayerModel.CONV_OPSET, g.opset());
        }
    }

    @Test
    void deformModelsReadBackAsTheSameLayer() {
        for (boolean mask : new boolean[] {false, true}) {
            DeformConv2d op = DeformConv2d.builder().input(1, 8, 7, 7).output(4).kernel(3, 3).padding(1).stride(2)
                    .offsetGroups(2).mask(mask).bias(true).build();
            OnnxGraph g = OnnxImporter.read(model(op), OnnxImporter.Options.defaults());
            DeformConvNode node = g.nodes(DeformConvNode.class).get(0);
            assertEquals(op, node.conv());
            assertEquals(OnnxLayerModel.OFFSET, node.offset());
            assertEquals(mask ? OnnxLayerModel.MASK : null, node.mask());
            assertArrayEquals(ramp(op.weightShape()).toArray(), node.weights().toArray(), 0f);
            assertEquals(OnnxLayerModel.DEFORM_OPSET, g.opset());
        }
    }

    @Test
    void attributesHaveTheTypesTheOperatorsDefine() throws Exception {
        DeformConv2d op = DeformConv2d.builder().input(1, 4, 5, 5).output(4).kernel(3, 3).padding(1).offsetGroups(2)
                .mask(true).bias(true).build();
        NodeProto node = ModelProto.parseFrom(model(op)).getGraph().getNode(0);
        assertEquals("DeformConv", node.getOpType());
        // X, W, offset, B, mask: DeformConv's input order.
        assertEquals(List.of("x", "W", "offset", "B", "mask"), node.getInputList());
        Map<String, AttributeProto> a = node.getAttributeList().stream()
                .collect(Collectors.toMap(AttributeProto::getName, Function.identity()));
        assertEquals(AttributeType.INT, a.get("group").getType());
        assertEquals(AttributeType.INT, a.get("offset_group").getType());
        assertEquals(2, a.get("offset_group").getI());
        for (String ints : List.of("kernel_shape", "strides", "pads", "dilations")) {
            assertEquals(AttributeType.INTS, a.get(ints).getType(), ints);
        }
        assertEquals(List.of(1L, 1L, 1L, 1L), a.get("pads").getIntsList());

        DeformConv2d noBias = DeformConv2d.builder().input(1, 4, 5, 5).output(4).kernel(3, 3).padding(1).build();
        NodeProto v1 = ModelProto.parseFrom(model(noBias)).getGraph().getNode(0);
        assertEquals(List.of("x", "W", "offset"), v1.getInputList());
        DeformConv2d maskNoBias = DeformConv2d.builder().input(1, 4, 5, 5).output(4).kernel(3, 3).padding(1).mask(true)
                .build();
        NodeProto v2 = ModelProto.parseFrom(model(maskNoBias)).getGraph().getNode(0);
        assertEquals(List.of("x", "W", "offset", "", "mask"), v2.getInputList(), "an empty name leaves B out");
    }

    @Test
    void layersWithPostOpsOrMismatchedTensorsAreRefusedByName() {
        Conv2d relu = Conv2d.builder().input(1, 4, 5, 5).output(4).kernel(3, 3).postOps(PostOps.of(Activation.relu())).build();
        assertTrue(OnnxLayerModel.unsupported(relu).orElseThrow().startsWith("post-ops (relu)"),
                OnnxLayerModel.unsupported(relu).toString());
        assertThrows(IllegalArgumentException.class, () -> model(relu));
        Conv2d op = Conv2d.builder().input(1, 4, 5, 5).output(4).kernel(3, 3).bias(true).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxLayerModel.write(op, ramp(new int[] {4, 4, 3, 2}), ramp(op.biasShape())));
        assertEquals("weight shape [4, 4, 3, 2] does not match the layer's [4, 4, 3, 3]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OnnxLayerModel.write(op, ramp(op.weightShape()), null));
    }
}
