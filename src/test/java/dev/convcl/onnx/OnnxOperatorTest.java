package dev.convcl.onnx;

import static dev.convcl.onnx.OnnxBuilder.f;
import static dev.convcl.onnx.OnnxBuilder.floatsAttr;
import static dev.convcl.onnx.OnnxBuilder.i;
import static dev.convcl.onnx.OnnxBuilder.in;
import static dev.convcl.onnx.OnnxBuilder.ints;
import static dev.convcl.onnx.OnnxBuilder.out;
import static dev.convcl.onnx.OnnxBuilder.s;
import static dev.convcl.onnx.OnnxBuilder.t;
import static dev.convcl.onnx.OnnxHostileModelTest.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.convcl.Activation;
import dev.convcl.Conv2d;
import dev.convcl.DeformConv2d;
import dev.convcl.Window2d;
import dev.convcl.onnx.proto.OnnxProto.TensorProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Each operator's parsing, attribute and opset forms, folding and patterns, on models built in the test. */
class OnnxOperatorTest {

    private static <T extends Node> T only(OnnxGraph g, Class<T> type) {
        List<T> l = g.nodes(type);
        assertEquals(1, l.size(), g.listing());
        return l.get(0);
    }

    private static Activation activationOf(OnnxGraph g) {
        return only(g, ActivationNode.class).activation();
    }

    // ---- Conv ----------------------------------------------------------------------------------

    @Test
    void convWithAsymmetricPadsStridesDilationsGroupsAndBias() {
        OnnxGraph g = new OnnxBuilder(11).input("x", 2, 4, 9, 10).ramp("w", 6, 2, 3, 3).ramp("b", 6)
                .node("Conv", "conv", in("x", "w", "b"), out("y"), ints("kernel_shape", 3, 3), ints("pads", 1, 0, 2, 1),
                        ints("strides", 2, 1), ints("dilations", 1, 2), i("group", 2)).output("y").read();
        ConvNode c = only(g, ConvNode.class);
        Conv2d d = c.conv();
        assertEquals(new Window2d(3, 3, 2, 1, 1, 0, 2, 1, 1, 2), d.window());
        assertEquals(2, d.groups());
        assertTrue(d.bias());
        assertEquals(0.06f, c.bias().get(5), 1e-7f);
        // (9 + 3 - 3) / 2 + 1 = 5; (10 + 1 - 5) / 1 + 1 = 7
        assertEquals(Shape.of(2, 6, 5, 7), g.shape("y"));
        assertEquals(List.of("x"), c.inputs());
    }

    @ParameterizedTest
    @ValueSource(strings = {"SAME_UPPER", "SAME_LOWER", "VALID"})
    void convAutoPad(String mode) {
        OnnxGraph g = new OnnxBuilder(13).input("x", 1, 1, 6, 6).ramp("w", 1, 1, 4, 4)
                .node("Conv", "conv", in("x", "w"), out("y"), s("auto_pad", mode), ints("strides", 2, 2)).output("y").read();
        Window2d w = only(g, ConvNode.class).conv().window();
        switch (mode) {
            // out = ceil(6/2) = 3, total padding = (3-1)*2 + 4 - 6 = 2
            case "SAME_UPPER", "SAME_LOWER" -> {
                assertEquals(1, w.padTop());
                assertEquals(1, w.padBottom());
                assertEquals(Shape.of(1, 1, 3, 3), g.shape("y"));
            }
            default -> {
                assertEquals(0, w.padTop());
                assertEquals(Shape.of(1, 1, 2, 2), g.shape("y"));
            }
        }
        OnnxGraph odd = new OnnxBuilder(13).input("x", 1, 1, 5, 5).ramp("w", 1, 1, 2, 2)
                .node("Conv", "conv", in("x", "w"), out("y"), s("auto_pad", "SAME_LOWER")).output("y").read();
        Window2d o = only(odd, ConvNode.class).conv().window();
        assertEquals(1, o.padTop());
        assertEquals(0, o.padBottom());
    }

    @Test
    void convKernelShapeMustMatchWeights() {
        fails(new OnnxBuilder(13).input("x", 1, 1, 6, 6).ramp("w", 1, 1, 3, 3)
                .node("Conv", "conv", in("x", "w"), out("y"), ints("kernel_shape", 5, 5)).output("y")::read,
                "Conv 'conv' (kernel_shape [5, 5] does not match weight W [1, 1, 3, 3])");
        fails(new OnnxBuilder(13).input("x", 1, 1, 6, 6).ramp("w", 1, 1, 3, 3)
                .node("Conv", "conv", in("x", "w"), out("y"), ints("pads", -1, 0, 0, 0)).output("y")::read,
                "attribute pads=[-1, 0, 0, 0]");
        fails(new OnnxBuilder(13).input("x", 1, 1, 6).ramp("w", 1, 1, 3)
                .node("Conv", "conv1d", in("x", "w"), out("y")).output("y")::read, "input X has shape [1, 1, 6]",
                "2-D images");
    }

    // ---- DeformConv ----------------------------------------------------------------------------

    @Test
    void deformConvOpset19() {
        // offsets and mask predicted by convs on the same input; asymmetric pads; offset_group 2; no bias.
        OnnxGraph g = new OnnxBuilder(19).input("x", 2, 4, 8, 8).ramp("wo", 36, 4, 3, 3).ramp("wm", 18, 4, 3, 3)
                .ramp("w", 6, 2, 3, 3)
                .node("Conv", "off", in("x", "wo"), out("offset"), ints("pads", 1, 1, 0, 0))
                .node("Conv", "msk", in("x", "wm"), out("m"), ints("pads", 1, 1, 0, 0))
                .node("Sigmoid", "sig", in("m"), out("mask"))
                .node("DeformConv", "dcn", in("x", "w", "offset", "", "mask"), out("y"), ints("pads", 1, 1, 0, 0),
                        i("group", 2), i("offset_group", 2), ints("kernel_shape", 3, 3))
                .output("y").read();
        DeformConvNode d = only(g, DeformConvNode.class);
        DeformConv2d c = d.conv();
        assertEquals(2, c.offsetGroups());
        assertTrue(c.mask());
        assertFalse(c.bias());
        assertNull(d.bias());
        assertEquals(new Window2d(3, 3, 1, 1, 1, 1, 0, 0, 1, 1), c.window());
        assertEquals(List.of("x", "offset", "mask"), d.inputs());
        assertEquals(Shape.of(2, 6, 7, 7), g.shape("y"));
    }

    @Test
    void deformConvOffsetShapeIsChecked() {
        fails(new OnnxBuilder(19).input("x", 1, 2, 6, 6).input("offset", 1, 9, 6, 6).ramp("w", 2, 2, 3, 3).ramp("b", 2)
                .node("DeformConv", "dcn", in("x", "w", "offset", "b"), out("y"), ints("pads", 1, 1, 1, 1)).output("y")::read,
                "DeformConv 'dcn'", "offset 'offset' has shape [1, 9, 6, 6]; expected [1, 18, 6, 6]");
    }

    // ---- BatchNormalization --------------------------------------------------------------------

    @Test
    void batchNormalization() {
        OnnxGraph g = new OnnxBuilder(15).input("x", 1, 2, 3, 3)
                .floats("g", new float[] {2, 3}, 2).floats("b", new float[] {1, -1}, 2)
                .floats("m", new float[] {0.5f, 0}, 2).floats("v", new float[] {4, 9}, 2)
                .node("BatchNormalization", "bn", in("x", "g", "b", "m", "v"), out("y"), f("epsilon", 0f), f("momentum", 0.9f))
                .output("y").read();
        BatchNormNode bn = only(g, BatchNormNode.class);
        assertEquals(1.0, bn.multiplier(0), 1e-12);   // 2 / sqrt(4)
        assertEquals(0.5, bn.shift(0), 1e-12);        // 1 - 0.5 * 1
        assertEquals(1.0, bn.multiplier(1), 1e-12);   // 3 / sqrt(9)
        assertEquals(-1.0, bn.shift(1), 1e-12);
        fails(new OnnxBuilder(15).input("x", 1, 2, 3, 3).ramp("g", 2).ramp("b", 2).ramp("m", 2).ramp("v", 2)
                .node("BatchNormalization", "bn", in("x", "g", "b", "m", "v"), out("y", "rm"), i("training_mode", 1))
                .output("y")::read, "BatchNormalization 'bn' (training_mode=1");
        fails(new OnnxBuilder(15).input("x", 1, 2, 3, 3).ramp("g", 3).ramp("b", 2).ramp("m", 2).ramp("v", 2)
                .node("BatchNormalization", "bn", in("x", "g", "b", "m", "v"), out("y")).output("y")::read,
                "scale float[3] must be float[2]");
    }

    // ---- Activations ---------------------------------------------------------------------------

    private static OnnxGraph unary(int opset, String op, String... extraInputs) {
        OnnxBuilder b = new OnnxBuilder(opset).input("x", 1, 2, 3, 3);
        String[] ins = new String[1 + extraInputs.length];
        ins[0] = "x";
        System.arraycopy(extraInputs, 0, ins, 1, extraInputs.length);
        return b.node(op, "act", ins, out("y")).output("y").read();
    }

    @Test
    void simpleActivations() {
        assertEquals(Activation.relu(), activationOf(unary(13, "Relu")));
        assertEquals(Activation.sigmoid(), activationOf(unary(13, "Sigmoid")));
        assertEquals(Activation.hardswish(), activationOf(unary(14, "HardSwish")));
        assertEquals(Activation.hardsigmoid(0.2f, 0.5f), activationOf(unary(13, "HardSigmoid")));
        OnnxGraph hs = new OnnxBuilder(13).input("x", 1, 2).node("HardSigmoid", "h", in("x"), out("y"),
                f("alpha", 1f / 6), f("beta", 0.5f)).output("y").read();
        assertEquals(Activation.hardsigmoid(), activationOf(hs));
        OnnxGraph lr = new OnnxBuilder(13).input("x", 1, 2).node("LeakyRelu", "l", in("x"), out("y"), f("alpha", 0.1f))
                .output("y").read();
        assertEquals(Activation.leakyRelu(0.1f), activationOf(lr));
    }

    @Test
    void clipAttributesBeforeOpset11() {
        OnnxGraph g = new OnnxBuilder(9).input("x", 1, 2).node("Clip", "c", in("x"), out("y"), f("min", 0), f("max", 6))
                .output("y").read();
        assertEquals(Activation.relu6(), activationOf(g));
        OnnxGraph r = new OnnxBuilder(10).input("x", 1, 2).node("Clip", "c", in("x"), out("y"), f("min", 0)).output("y").read();
        assertEquals(Activation.relu(), activationOf(r));
        // An open end stays open (+inf in, +inf out, as torch.clamp(x, min=0.5)), not the largest float.
        OnnxGraph lo = new OnnxBuilder(10).input("x", 1, 2).node("Clip", "c", in("x"), out("y"), f("min", 0.5f))
                .output("y").read();
        assertEquals(Activation.clip(0.5f, Float.POSITIVE_INFINITY), activationOf(lo));
        OnnxGraph hi = new OnnxBuilder(9).input("x", 1, 2).node("Clip", "c", in("x"), out("y"), f("max", -0.25f))
                .output("y").read();
        assertEquals(Activation.clip(Float.NEGATIVE_INFINITY, -0.25f), activationOf(hi));
    }

    @Test
    void clipInputsFromOpset11() {
        OnnxGraph g = new OnnxBuilder(11).input("x", 1, 2).scalar("lo", 0).scalar("hi", 6)
                .node("Clip", "c", in("x", "lo", "hi"), out("y")).output("y").read();
        assertEquals(Activation.relu6(), activationOf(g));
        OnnxGraph r = new OnnxBuilder(13).input("x", 1, 2).scalar("lo", 0).node("Clip", "c", in("x", "lo"), out("y"))
                .output("y").read();
        assertEquals(Activation.relu(), activationOf(r));
        OnnxGraph hi = new OnnxBuilder(13).input("x", 1, 2).scalar("hi", 1).node("Clip", "c", in("x", "", "hi"), out("y"))
                .output("y").read();
        assertEquals(Activation.clip(Float.NEGATIVE_INFINITY, 1), activationOf(hi));
        // torch.clamp(x, min=0.5) exports Clip(x, min, ''): no maximum, so +inf stays +inf.
        OnnxGraph lo = new OnnxBuilder(17).input("x", 1, 2).scalar("lo", 0.5f).node("Clip", "c", in("x", "lo", ""), out("y"))
                .output("y").read();
        assertEquals(Activation.clip(0.5f, Float.POSITIVE_INFINITY), activationOf(lo));
        fails(new OnnxBuilder(13).input("x", 1, 2).scalar("lo", Float.POSITIVE_INFINITY)
                .node("Clip", "c", in("x", "lo"), out("y")).output("y")::read, "Clip 'c' (min Infinity and max Infinity");
        fails(new OnnxBuilder(13).input("x", 1, 2).scalar("lo", 2).scalar("hi", 1)
                .node("Clip", "c", in("x", "lo", "hi"), out("y")).output("y")::read, "Clip 'c' (min 2.0 and max 1.0");
    }

    @Test
    void geluOpset20() {
        OnnxGraph g = new OnnxBuilder(20).input("x", 1, 2).node("Gelu", "g", in("x"), out("y")).output("y").read();
        assertEquals(Activation.gelu(), activationOf(g));
    }

    /** PyTorch's GELU at opsets 11-17: x * 0.5 * (1 + erf(x / sqrt 2)), in the orders exporters write. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void geluPatternsBecomeOneActivation(int variant) {
        OnnxBuilder b = new OnnxBuilder(13).input("x", 2, 3, 4, 4).scalar("one", 1).scalar("half", 0.5f);
        if (variant == 3) {
            b.scalar("rsqrt2", (float) (1 / Math.sqrt(2))).node("Mul", "div", in("rsqrt2", "x"), out("u"));
        } else {
            b.scalar("sqrt2", (float) Math.sqrt(2)).node("Div", "div", in("x", "sqrt2"), out("u"));
        }
        b.node("Erf", "erf", in("u"), out("e")).node("Add", "add", in("e", "one"), out("p"));
        switch (variant) {
            case 0, 3 -> b.node("Mul", "m1", in("x", "p"), out("q")).node("Mul", "m2", in("q", "half"), out("y"));
            case 1 -> b.node("Mul", "h", in("x", "half"), out("xh")).node("Mul", "m1", in("xh", "p"), out("y"));
            default -> b.node("Mul", "m1", in("p", "half"), out("q")).node("Mul", "m2", in("x", "q"), out("y"));
        }
        OnnxGraph g = b.output("y").read();
        ActivationNode a = only(g, ActivationNode.class);
        assertEquals(1, g.nodes().size(), g.listing());
        assertEquals(Activation.gelu(), a.activation());
        assertEquals("x", a.input());
        assertEquals("y", a.output());
        assertEquals("div", a.name());
    }

    @Test
    void erfOutsideGeluIsUnsupported() {
        fails(new OnnxBuilder(13).input("x", 1, 2).node("Erf", "erf", in("x"), out("y")).output("y")::read,
                "Erf 'erf' (Erf is supported only inside GELU");
        // A GELU whose intermediate is also read elsewhere is not fused: the Erf is reported.
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2).scalar("one", 1).scalar("half", 0.5f)
                .scalar("sqrt2", (float) Math.sqrt(2)).node("Div", "div", in("x", "sqrt2"), out("u"))
                .node("Erf", "erf", in("u"), out("e")).node("Add", "add", in("e", "one"), out("p"))
                .node("Mul", "m1", in("x", "p"), out("q")).node("Mul", "m2", in("q", "half"), out("y"))
                .output("y").output("e");
        fails(b::read, "Erf 'erf'");
    }

    @Test
    void siluAndHardswishPatterns() {
        OnnxGraph g = new OnnxBuilder(13).input("x", 1, 2, 3, 3).node("Sigmoid", "s", in("x"), out("s"))
                .node("Mul", "m", in("x", "s"), out("y")).output("y").read();
        assertEquals(Activation.silu(), activationOf(g));
        OnnxGraph h = new OnnxBuilder(13).input("x", 1, 2, 3, 3).node("HardSigmoid", "s", in("x"), out("s"),
                f("alpha", 1f / 6), f("beta", 0.5f)).node("Mul", "m", in("s", "x"), out("y")).output("y").read();
        assertEquals(Activation.hardswish(), activationOf(h));
        // The SE scale, x * sigmoid(s) with s another value, stays a sigmoid and a multiplication.
        OnnxGraph se = new OnnxBuilder(13).input("x", 1, 2, 3, 3).input("z", 1, 2, 1, 1).node("Sigmoid", "s", in("z"), out("s"))
                .node("Mul", "m", in("x", "s"), out("y")).output("y").read();
        assertEquals(Activation.sigmoid(), activationOf(se));
        assertTrue(only(se, BinaryNode.class).right().isPerChannel(Shape.of(1, 2, 3, 3)));
    }

    // ---- Arithmetic ----------------------------------------------------------------------------

    @Test
    void binaryBroadcastOverChannels() {
        OnnxGraph g = new OnnxBuilder(13).input("x", 2, 3, 4, 4).input("s", 2, 3, 1, 1).floats("c", new float[] {1, 2, 3}, 3, 1, 1)
                .node("Mul", "se", in("x", "s"), out("a"))
                .node("Sub", "sub", in("a", "c"), out("b"))
                .node("Div", "div", in("c", "b"), out("y")).output("y").read();
        List<BinaryNode> bs = g.nodes(BinaryNode.class);
        assertEquals(3, bs.size());
        assertEquals(BinaryNode.Kind.MUL, bs.get(0).kind());
        assertEquals(Shape.of(2, 3, 1, 1), bs.get(0).right().shape());
        BinaryNode sub = bs.get(1);
        assertEquals(BinaryNode.Kind.SUB, sub.kind());
        BinaryNode.Constant c = (BinaryNode.Constant) sub.right();
        assertEquals(Shape.of(1, 3, 1, 1), c.shape());
        assertEquals(3f, c.tensor().get(2));
        assertTrue(c.isPerChannel(sub.shape()));
        assertTrue(bs.get(2).left() instanceof BinaryNode.Constant);
        assertEquals(List.of("b"), bs.get(2).inputs());
        assertEquals(Shape.of(2, 3, 4, 4), g.shape("y"));
    }

    @Test
    void constantArithmeticFolds() {
        // (2 + 3) * w folded to one constant operand of the runtime Add.
        OnnxGraph g = new OnnxBuilder(13).input("x", 1, 2).scalar("a", 2).scalar("b", 3).floats("w", new float[] {1, 10}, 2)
                .node("Add", "ab", in("a", "b"), out("c")).node("Mul", "cw", in("c", "w"), out("d"))
                .node("Add", "xd", in("x", "d"), out("y")).output("y").read();
        BinaryNode add = only(g, BinaryNode.class);
        BinaryNode.Constant c = (BinaryNode.Constant) add.right();
        assertEquals(5f, c.tensor().get(0));
        assertEquals(50f, c.tensor().get(1));
    }

    // ---- Concat, Split, Slice ------------------------------------------------------------------

    @Test
    void concatChannels() {
        OnnxGraph g = new OnnxBuilder(13).input("a", 1, 2, 3, 3).input("b", 1, 5, 3, 3)
                .node("Concat", "cat", in("a", "b"), out("y"), i("axis", -3)).output("y").read();
        ConcatNode c = only(g, ConcatNode.class);
        assertEquals(1, c.axis());
        assertEquals(Shape.of(1, 7, 3, 3), c.outputShape());
        assertEquals(List.of("a", "b"), c.inputs());
    }

    @Test
    void splitOpset11Attribute() {
        OnnxGraph g = new OnnxBuilder(11).input("x", 1, 6, 2, 2)
                .node("Split", "sp", in("x"), out("a", "b"), i("axis", 1), ints("split", 2, 4)).output("a").output("b").read();
        List<SliceNode> s = g.nodes(SliceNode.class);
        assertEquals(2, s.size());
        assertEquals(0, s.get(0).start());
        assertEquals(2, s.get(1).start());
        assertEquals(Shape.of(1, 4, 2, 2), s.get(1).outputShape());
        assertEquals("sp", s.get(0).name());
        assertEquals("sp#1", s.get(1).name());
    }

    @Test
    void splitOpset13InputAndEqualDefault() {
        OnnxGraph g = new OnnxBuilder(13).input("x", 1, 6, 2, 2).vector("split", 3, 3)
                .node("Split", "sp", in("x", "split"), out("a", "b"), i("axis", 1)).output("a").output("b").read();
        assertEquals(2, g.nodes(SliceNode.class).size());
        OnnxGraph eq = new OnnxBuilder(13).input("x", 1, 6, 2, 2)
                .node("Split", "sp", in("x"), out("a", "b", "c"), i("axis", 1)).output("c").read();
        SliceNode c = only(eq, SliceNode.class);
        assertEquals(4, c.start());
        assertEquals(Shape.of(1, 2, 2, 2), c.outputShape());
        fails(new OnnxBuilder(13).input("x", 1, 5, 2, 2).node("Split", "sp", in("x"), out("a", "b"), i("axis", 1))
                .output("a")::read, "Split 'sp' (axis 1 of size 5 does not split evenly into 2 outputs)");
    }

    @Test
    void splitOpset18NumOutputs() {
        OnnxGraph g = new OnnxBuilder(18).input("x", 1, 7, 2, 2)
                .node("Split", "sp", in("x"), out("a", "b", "c"), i("axis", 1), i("num_outputs", 3))
                .output("a").output("b").output("c").read();
        List<SliceNode> s = g.nodes(SliceNode.class);
        assertEquals(3, s.get(0).outputShape().dim(1));
        assertEquals(3, s.get(1).outputShape().dim(1));
        assertEquals(1, s.get(2).outputShape().dim(1));
        assertEquals(6, s.get(2).start());
    }

    @Test
    void sliceOpset9Attributes() {
        OnnxGraph g = new OnnxBuilder(9).input("x", 1, 8, 4, 4)
                .node("Slice", "sl", in("x"), out("y"), ints("starts", 2), ints("ends", 5), ints("axes", 1)).output("y").read();
        SliceNode s = only(g, SliceNode.class);
        assertEquals(2, s.start());
        assertEquals(Shape.of(1, 3, 4, 4), s.outputShape());
    }

    @Test
    void sliceOpset13InputsClampStepsAndSeveralAxes() {
        OnnxGraph g = new OnnxBuilder(13).input("x", 1, 8, 6, 6)
                .vector("starts", -6, 1).vector("ends", Long.MAX_VALUE, 100).vector("axes", 1, 3).vector("steps", 2, 1)
                .node("Slice", "sl", in("x", "starts", "ends", "axes", "steps"), out("y")).output("y").read();
        List<SliceNode> s = g.nodes(SliceNode.class);
        assertEquals(2, s.size(), g.listing());
        assertEquals(1, s.get(0).axis());
        assertEquals(2, s.get(0).start());
        assertEquals(2, s.get(0).step());
        assertEquals(3, s.get(0).outputShape().dim(1));   // 2, 4, 6
        assertEquals(3, s.get(1).axis());
        assertEquals(Shape.of(1, 3, 6, 5), g.shape("y"));
        assertEquals(s.get(0).output(), s.get(1).input());
    }

    /** Bounds computed from the input's shape: Shape -> Gather -> Div -> Unsqueeze -> Slice, as chunk() exports. */
    @Test
    void sliceBoundsComputedFromShape() {
        OnnxGraph g = new OnnxBuilder(13).input("x", 2, 8, 3, 3)
                .node("Shape", "shape", in("x"), out("s"))
                .constInts("one", 1).constInts("two", 2).constInts("zero", 0).constInts("axis", 1)
                .node("Gather", "gc", in("s", "one"), out("c"), i("axis", 0))
                .node("Div", "half", in("c", "two"), out("h"))
                .node("Slice", "sl", in("x", "zero", "h", "axis"), out("y")).output("y").read();
        assertEquals(Shape.of(2, 4, 3, 3), g.shape("y"));
        assertEquals(1, g.nodes().size());
    }

    // ---- Pad -----------------------------------------------------------------------------------

    @Test
    void padFoldsIntoAveragePoolCountingThePadding() {
        // PyTorch's avg_pool2d(x, 3, 1, 1) with count_include_pad at opset 11: Pad then AveragePool.
        OnnxGraph g = new OnnxBuilder(11).input("x", 1, 2, 5, 5).vector("pads", 0, 0, 1, 1, 0, 0, 1, 1).scalar("v", 0)
                .node("Pad", "pad", in("x", "pads", "v"), out("p"), s("mode", "constant"))
                .node("AveragePool", "pool", in("p"), out("y"), ints("kernel_shape", 3, 3), ints("strides", 1, 1))
                .output("y").read();
        PoolNode p = only(g, PoolNode.class);
        assertEquals(1, g.nodes().size(), g.listing());
        assertEquals(new Window2d(3, 3, 1, 1, 1, 1, 1, 1, 1, 1), p.window());
        assertTrue(p.countIncludePad());
        assertEquals("x", p.input());
        assertEquals(Shape.of(1, 2, 5, 5), p.outputShape());
    }

    @Test
    void padOpset9AttributesFoldsIntoConv() {
        OnnxGraph g = new OnnxBuilder(9).input("x", 1, 1, 4, 4).ramp("w", 1, 1, 3, 3)
                .node("Pad", "pad", in("x"), out("p"), ints("pads", 0, 0, 2, 1, 0, 0, 0, 1))
                .node("Conv", "conv", in("p", "w"), out("y")).output("y").read();
        ConvNode c = only(g, ConvNode.class);
        assertEquals(1, g.nodes().size());
        assertEquals(new Window2d(3, 3, 1, 1, 2, 1, 0, 1, 1, 1), c.conv().window());
        assertEquals(4, c.conv().h());
        assertEquals(Shape.of(1, 1, 4, 4), g.shape("y"));
    }

    @Test
    void padBeforeMaxPoolStays() {
        OnnxGraph g = new OnnxBuilder(13).input("x", 1, 1, 4, 4).vector("pads", 0, 0, 1, 1, 0, 0, 1, 1)
                .node("Pad", "pad", in("x", "pads"), out("p"))
                .node("MaxPool", "pool", in("p"), out("y"), ints("kernel_shape", 2, 2)).output("y").read();
        PadNode p = only(g, PadNode.class);
        assertEquals(Shape.of(1, 1, 6, 6), p.outputShape());
        assertEquals(0f, p.value());
        fails(new OnnxBuilder(13).input("x", 1, 1, 4, 4).vector("pads", 0, 1, 0, 0, 0, 0, 0, 0)
                .node("Pad", "pad", in("x", "pads"), out("y")).output("y")::read, "pad axis 1");
    }

    // ---- Reshape, Transpose, Flatten, Squeeze, Unsqueeze ----------------------------------------

    @Test
    void channelShuffleWithConstantShapes() {
        OnnxGraph g = new OnnxBuilder(13).input("x", 2, 6, 3, 3).vector("s1", 2, 3, 2, 3, 3).vector("s2", 2, -1, 3, 3)
                .node("Reshape", "r1", in("x", "s1"), out("a"))
                .node("Transpose", "t", in("a"), out("b"), ints("perm", 0, 2, 1, 3, 4))
                .node("Reshape", "r2", in("b", "s2"), out("y")).output("y").read();
        ChannelShuffleNode c = only(g, ChannelShuffleNode.class);
        assertEquals(1, g.nodes().size());
        assertEquals(3, c.groups());
        assertEquals(Shape.of(2, 6, 3, 3), c.shape());
        assertEquals("r1", c.name());
    }

    /** The shuffle with shapes computed from the input (a symbolic batch), as torchvision's ShuffleNetV2 exports. */
    @Test
    void channelShuffleWithComputedShapes() {
        OnnxBuilder b = new OnnxBuilder(11).symbolicInput("x", "batch", 4, 2, 2)
                .node("Shape", "sh", in("x"), out("s")).constInt("i0", 0)
                .node("Gather", "g0", in("s", "i0"), out("n"), i("axis", 0))
                .node("Unsqueeze", "u0", in("n"), out("n1"), ints("axes", 0))
                .constInts("rest", 2, 2, 2, 2).constInts("tail", -1, 2, 2)
                .node("Concat", "c1", in("n1", "rest"), out("s1"), i("axis", 0))
                .node("Concat", "c2", in("n1", "tail"), out("s2"), i("axis", 0))
                .node("Cast", "cast", in("s2"), out("s2c"), i("to", 7))
                .node("Reshape", "r1", in("x", "s1"), out("a"))
                .node("Transpose", "t", in("a"), out("b2"), ints("perm", 0, 2, 1, 3, 4))
                .node("Reshape", "r2", in("b2", "s2c"), out("y")).output("y");
        OnnxGraph g = b.read(OnnxImporter.Options.defaults().withInputShape(3, 4, 2, 2));
        assertEquals(1, g.nodes().size(), g.listing());
        assertEquals(2, only(g, ChannelShuffleNode.class).groups());
        assertEquals(Shape.of(3, 4, 2, 2), g.shape("y"));
    }

    @Test
    void transposeThatMovesDataIsUnsupportedButSize1MovesAreViews() {
        OnnxGraph g = new OnnxBuilder(13).input("x", 2, 5, 1, 1)
                .node("Transpose", "t", in("x"), out("y"), ints("perm", 0, 2, 3, 1)).output("y").read();
        ReshapeNode r = only(g, ReshapeNode.class);
        assertEquals(Shape.of(2, 1, 1, 5), r.outputShape());
        fails(new OnnxBuilder(13).input("x", 2, 5, 3, 3)
                .node("Transpose", "t", in("x"), out("y"), ints("perm", 0, 2, 3, 1)).output("y")::read,
                "Transpose 't' (perm [0, 2, 3, 1] on [2, 5, 3, 3] moves data");
    }

    @Test
    void reshapeToFlattenAndViews() {
        OnnxGraph g = new OnnxBuilder(14).input("x", 2, 3, 4, 4).vector("s", 0, -1)
                .node("Reshape", "r", in("x", "s"), out("y")).output("y").read();
        FlattenNode f = only(g, FlattenNode.class);
        assertEquals(Shape.of(2, 48), f.outputShape());
        OnnxGraph v = new OnnxBuilder(14).input("x", 2, 3, 4, 4).vector("s", 2, 12, 4)
                .node("Reshape", "r", in("x", "s"), out("y")).output("y").read();
        assertEquals(Shape.of(2, 12, 4), only(v, ReshapeNode.class).outputShape());
        fails(new OnnxBuilder(14).input("x", 2, 3, 4, 4).vector("s", 5, -1)
                .node("Reshape", "r", in("x", "s"), out("y")).output("y")::read, "Reshape 'r' (cannot reshape");
        fails(new OnnxBuilder(14).input("x", 2, 3, 4, 4).vector("s", 0, -1)
                .node("Reshape", "r", in("x", "s"), out("y"), i("allowzero", 1)).output("y")::read, "Reshape 'r'");
    }

    @Test
    void flattenAxes() {
        OnnxGraph g = new OnnxBuilder(13).input("x", 2, 3, 4, 4).node("Flatten", "f", in("x"), out("y")).output("y").read();
        assertEquals(Shape.of(2, 48), only(g, FlattenNode.class).outputShape());
        OnnxGraph a2 = new OnnxBuilder(13).input("x", 2, 3, 4, 4).node("Flatten", "f", in("x"), out("y"), i("axis", -2))
                .output("y").read();
        assertEquals(Shape.of(6, 16), only(a2, ReshapeNode.class).outputShape());
        // Flatten of [N, C] is no node at all.
        OnnxGraph same = new OnnxBuilder(13).input("x", 2, 3).node("Flatten", "f", in("x"), out("y")).output("y").read();
        assertEquals(0, same.nodes().size());
        assertEquals("x", same.outputs().get(0).value());
    }

    @Test
    void squeezeAndUnsqueezeBothOpsetForms() {
        OnnxGraph g11 = new OnnxBuilder(11).input("x", 2, 3, 1, 1)
                .node("Squeeze", "sq", in("x"), out("a"), ints("axes", 2, 3))
                .node("Unsqueeze", "us", in("a"), out("y"), ints("axes", 1)).output("y").read();
        assertEquals(Shape.of(2, 1, 3), g11.shape("y"));
        OnnxGraph g13 = new OnnxBuilder(13).input("x", 2, 3, 1, 1).vector("ax", -1, -2).vector("ax1", 1)
                .node("Squeeze", "sq", in("x", "ax"), out("a"))
                .node("Unsqueeze", "us", in("a", "ax1"), out("y")).output("y").read();
        assertEquals(Shape.of(2, 1, 3), g13.shape("y"));
        assertEquals(2, g13.nodes(ReshapeNode.class).size() + g13.nodes(FlattenNode.class).size());
    }

    // ---- Pooling -------------------------------------------------------------------------------

    @Test
    void maxPoolCeilModeUsesPyTorchsRule() {
        // 5 + 1 + 1 = 7 padded, kernel 2, stride 2: rounding up gives 4 windows, but the fourth would start
        // at 6, in the bottom padding (>= 5 + 1), so PyTorch drops it: 3.
        OnnxGraph g = new OnnxBuilder(13).input("x", 1, 1, 5, 5)
                .node("MaxPool", "mp", in("x"), out("y"), ints("kernel_shape", 2, 2), ints("strides", 2, 2),
                        ints("pads", 1, 1, 1, 1), i("ceil_mode", 1)).output("y").read();
        PoolNode p = only(g, PoolNode.class);
        assertEquals(PoolNode.Kind.MAX, p.kind());
        assertTrue(p.ceilMode());
        assertEquals(Shape.of(1, 1, 3, 3), p.outputShape());
        // 8 wide, kernel 3, stride 2, no padding: floor gives 3, ceil 4 (the last window starts at 6 < 8).
        assertEquals(4, PoolNode.outputSize(8, 3, 2, 0, 0, 1, true));
        assertEquals(3, PoolNode.outputSize(8, 3, 2, 0, 0, 1, false));
    }

    @Test
    void averagePoolAttributesAndDilationsAtOpset19() {
        OnnxGraph g = new OnnxBuilder(19).input("x", 1, 1, 9, 9)
                .node("AveragePool", "ap", in("x"), out("y"), ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                        ints("pads", 1, 1, 1, 1), ints("dilations", 2, 2), i("count_include_pad", 0)).output("y").read();
        PoolNode p = only(g, PoolNode.class);
        assertEquals(PoolNode.Kind.AVERAGE, p.kind());
        assertFalse(p.countIncludePad());
        assertEquals(2, p.window().dilH());
        // (9 + 2 - 5) / 2 + 1 = 4
        assertEquals(Shape.of(1, 1, 4, 4), p.outputShape());
        fails(new OnnxBuilder(13).input("x", 1, 1, 9, 9)
                .node("MaxPool", "mp", in("x"), out("y", "idx"), ints("kernel_shape", 2, 2)).output("y").output("idx")::read,
                "MaxPool 'mp' (its output #1 (indices) 'idx' is used");
        fails(new OnnxBuilder(13).input("x", 1, 1, 9, 9)
                .node("MaxPool", "mp", in("x"), out("y"), ints("kernel_shape", 2, 2), ints("pads", 2, 2, 2, 2)).output("y")::read,
                "MaxPool 'mp' (pads 2,2,2,2 exceed half the window's span");
    }

    @Test
    void globalPoolsAndReduceMean() {
        OnnxGraph g = new OnnxBuilder(13).input("x", 2, 3, 5, 7)
                .node("GlobalAveragePool", "gap", in("x"), out("a"))
                .node("GlobalMaxPool", "gmp", in("x"), out("b"))
                .node("ReduceMean", "rm", in("x"), out("c"), ints("axes", -1, -2), i("keepdims", 0))
                .output("a").output("b").output("c").read();
        List<PoolNode> p = g.nodes(PoolNode.class);
        assertEquals(PoolNode.Kind.GLOBAL_AVERAGE, p.get(0).kind());
        assertEquals(PoolNode.Kind.GLOBAL_MAX, p.get(1).kind());
        assertEquals(new Window2d(5, 7, 1, 1, 0, 0, 0, 0, 1, 1), p.get(0).window());
        assertEquals(Shape.of(2, 3, 1, 1), g.shape("a"));
        assertEquals(Shape.of(2, 3), g.shape("c"));
        assertEquals(PoolNode.Kind.GLOBAL_AVERAGE, p.get(2).kind());
        OnnxGraph g18 = new OnnxBuilder(18).input("x", 2, 3, 5, 7).vector("axes", 2, 3)
                .node("ReduceMean", "rm", in("x", "axes"), out("y")).output("y").read();
        assertEquals(Shape.of(2, 3, 1, 1), only(g18, PoolNode.class).outputShape());
        fails(new OnnxBuilder(13).input("x", 2, 3, 5, 7).node("ReduceMean", "rm", in("x"), out("y"), ints("axes", 1))
                .output("y")::read, "ReduceMean 'rm' (ReduceMean over axes [1]");
    }

    // ---- Linear layers -------------------------------------------------------------------------

    @Test
    void gemmTransBAlphaBeta() {
        OnnxGraph g = new OnnxBuilder(13).input("x", 2, 3).floats("w", new float[] {1, 2, 3, 4, 5, 6}, 2, 3)
                .floats("b", new float[] {1, -1}, 2)
                .node("Gemm", "fc", in("x", "w", "b"), out("y"), i("transB", 1), f("alpha", 2), f("beta", 3)).output("y").read();
        LinearNode l = only(g, LinearNode.class);
        assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12}, l.weights().toArray());
        assertArrayEquals(new float[] {3, -3}, l.bias().toArray());
        assertEquals(Shape.of(2, 2), l.outputShape());
        // transB = 0: B is [K, N] and is transposed to PyTorch's [N, K].
        OnnxGraph g0 = new OnnxBuilder(13).input("x", 2, 3).floats("w", new float[] {1, 2, 3, 4, 5, 6}, 3, 2)
                .scalar("c", 0.5f).node("Gemm", "fc", in("x", "w", "c"), out("y")).output("y").read();
        LinearNode l0 = only(g0, LinearNode.class);
        assertArrayEquals(new float[] {1, 3, 5, 2, 4, 6}, l0.weights().toArray());
        assertArrayEquals(new float[] {0.5f, 0.5f}, l0.bias().toArray());
        fails(new OnnxBuilder(13).input("x", 3, 2).ramp("w", 3, 2)
                .node("Gemm", "fc", in("x", "w"), out("y"), i("transA", 1)).output("y")::read, "Gemm 'fc' (transA=1");
    }

    @Test
    void matMulAddBecomesALinearLayerWithBias() {
        OnnxGraph g = new OnnxBuilder(13).input("x", 2, 1, 3).floats("w", new float[] {1, 2, 3, 4, 5, 6}, 3, 2)
                .floats("b", new float[] {7, 8}, 2)
                .node("MatMul", "mm", in("x", "w"), out("m")).node("Add", "add", in("b", "m"), out("y")).output("y").read();
        LinearNode l = only(g, LinearNode.class);
        assertEquals(1, g.nodes().size());
        assertArrayEquals(new float[] {1, 3, 5, 2, 4, 6}, l.weights().toArray());
        assertArrayEquals(new float[] {7, 8}, l.bias().toArray());
        assertEquals(Shape.of(2, 1, 2), g.shape("y"));
        fails(new OnnxBuilder(13).input("x", 3, 2).ramp("w", 2, 3)
                .node("MatMul", "mm", in("w", "x"), out("y")).output("y")::read, "MatMul 'mm' (MatMul is supported as a linear layer");
    }

    // ---- Identity, Dropout, Constant, Cast, ConstantOfShape --------------------------------------

    @Test
    void identityAndDropoutAreAliases() {
        OnnxGraph g = new OnnxBuilder(11).input("x", 1, 2).node("Identity", "id", in("x"), out("a"))
                .node("Dropout", "do", in("a"), out("b"), f("ratio", 0.5f)).node("Relu", "r", in("b"), out("y")).output("y").read();
        assertEquals("x", only(g, ActivationNode.class).input());
        OnnxBuilder b12 = new OnnxBuilder(13).input("x", 1, 2).scalar("ratio", 0.1f);
        b12.graph.addInitializer(TensorProto.newBuilder().setName("train").setDataType(9).addInt32Data(0));
        OnnxGraph g12 = b12.node("Dropout", "do", in("x", "ratio", "train"), out("y")).output("y").read();
        assertEquals(0, g12.nodes().size());
        assertEquals(new OnnxGraph.Output("y", "x", Shape.of(1, 2)), g12.outputs().get(0));
        OnnxBuilder t = new OnnxBuilder(13).input("x", 1, 2).scalar("ratio", 0.1f);
        t.graph.addInitializer(TensorProto.newBuilder().setName("train").setDataType(9).addInt32Data(1));
        fails(t.node("Dropout", "do", in("x", "ratio", "train"), out("y")).output("y")::read, "Dropout 'do' (training_mode is true");
        fails(new OnnxBuilder(11).input("x", 1, 2).node("Dropout", "do", in("x"), out("y", "mask")).output("y").output("mask")::read,
                "Dropout 'do' (its output #1 (mask) 'mask' is used");
    }

    @Test
    void constantForms() {
        OnnxGraph g = new OnnxBuilder(13).input("x", 1, 3)
                .node("Constant", "c1", in(), out("a"), f("value_float", 2))
                .node("Constant", "c2", in(), out("b"), floatsAttr("value_floats", 1, 2, 3))
                .node("Constant", "c3", in(), out("n"), i("value_int", 3))
                .node("Constant", "c4", in(), out("shape"), ints("value_ints", 1, 3))
                .node("Cast", "cast", in("n"), out("nf"), i("to", 1))
                .node("Mul", "m1", in("a", "b"), out("ab"))
                .node("Mul", "m2", in("ab", "nf"), out("abn"))
                .node("Reshape", "r", in("abn", "shape"), out("k"))
                .node("Add", "add", in("x", "k"), out("y")).output("y").read();
        BinaryNode add = only(g, BinaryNode.class);
        assertArrayEquals(new float[] {6, 12, 18}, ((BinaryNode.Constant) add.right()).tensor().toArray());
        fails(new OnnxBuilder(13).input("x", 1, 3).node("Constant", "c", in(), out("a"), s("value_string", "hi"))
                .node("Add", "add", in("x", "a"), out("y")).output("y")::read, "Constant 'c' (unsupported attribute 'value_string'");
    }

    @Test
    void castOfRuntimeValues() {
        OnnxGraph g = new OnnxBuilder(13).input("x", 1, 3).node("Cast", "c", in("x"), out("y"), i("to", 1)).output("y").read();
        assertEquals(0, g.nodes().size());
        fails(new OnnxBuilder(13).input("x", 1, 3).node("Cast", "c", in("x"), out("y"), i("to", 7)).output("y")::read,
                "Cast 'c' (Cast of a runtime value to INT64");
    }

    @Test
    void constantOfShape() {
        TensorProto one = OnnxBuilder.rawFloats("", new float[] {1.5f}, 1);
        OnnxGraph g = new OnnxBuilder(13).input("x", 2, 3).vector("shape", 1, 3)
                .node("ConstantOfShape", "cos", in("shape"), out("c"), t("value", one))
                .node("Mul", "m", in("x", "c"), out("y")).output("y").read();
        assertArrayEquals(new float[] {1.5f, 1.5f, 1.5f}, ((BinaryNode.Constant) only(g, BinaryNode.class).right()).tensor().toArray());
    }

    // ---- Initializer encodings -----------------------------------------------------------------

    @Test
    void initializerEncodings() {
        float[] want = {0.5f, -1.25f, 3f};
        TensorProto typed = TensorProto.newBuilder().setName("w").setDataType(1).addDims(3).addFloatData(0.5f)
                .addFloatData(-1.25f).addFloatData(3f).build();
        TensorProto dbl = TensorProto.newBuilder().setName("w").setDataType(11).addDims(3).addDoubleData(0.5)
                .addDoubleData(-1.25).addDoubleData(3).build();
        ByteBuffer half = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
        half.putShort((short) 0x3800).putShort((short) 0xbd00).putShort((short) 0x4200);
        TensorProto f16 = TensorProto.newBuilder().setName("w").setDataType(10).addDims(3)
                .setRawData(ByteString.copyFrom(half.array())).build();
        TensorProto f16typed = TensorProto.newBuilder().setName("w").setDataType(10).addDims(3)
                .addInt32Data(0x3800).addInt32Data(0xbd00).addInt32Data(0x4200).build();
        for (TensorProto w : List.of(OnnxBuilder.rawFloats("w", want, 3), typed, dbl, f16, f16typed)) {
            OnnxGraph g = new OnnxBuilder(13).input("x", 1, 3).initializer(w).node("Mul", "m", in("x", "w"), out("y"))
                    .output("y").read();
            assertArrayEquals(want, ((BinaryNode.Constant) only(g, BinaryNode.class).right()).tensor().toArray(),
                    "data type " + w.getDataType());
        }
        // Integer initializers in int32_data and raw int64 feed shape arithmetic.
        ByteBuffer raw = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0).putLong(-1);
        TensorProto shape64 = TensorProto.newBuilder().setName("s").setDataType(7).addDims(2)
                .setRawData(ByteString.copyFrom(raw.array())).build();
        OnnxGraph r = new OnnxBuilder(13).input("x", 2, 3, 2).initializer(shape64).node("Reshape", "r", in("x", "s"), out("y"))
                .output("y").read();
        assertEquals(Shape.of(2, 6), r.shape("y"));
        TensorProto shape32 = TensorProto.newBuilder().setName("i").setDataType(6).addDims(1).addInt32Data(1).build();
        OnnxGraph gi = new OnnxBuilder(13).input("x", 2, 3, 2).initializer(shape32).node("Shape", "sh", in("x"), out("s"))
                .node("Gather", "ga", in("s", "i"), out("c")).node("Cast", "ca", in("c"), out("cf"), i("to", 1))
                .node("Mul", "m", in("x", "cf"), out("y")).output("y").read();
        assertArrayEquals(new float[] {3}, ((BinaryNode.Constant) only(gi, BinaryNode.class).right()).tensor().toArray());
        fails(new OnnxBuilder(13).input("x", 1, 3).initializer(TensorProto.newBuilder().setName("w").setDataType(8)
                .addDims(1).addStringData(ByteString.copyFromUtf8("a")).build())
                .node("Mul", "m", in("x", "w"), out("y")).output("y")::read, "initializer 'w' has element type STRING");
    }

    @Test
    void graphInputsWithInitializersAreConstants() {
        // IR version 3 style: every initializer is also listed as a graph input.
        OnnxGraph g = new OnnxBuilder(9).input("x", 1, 2, 4, 4).input("w", 3, 2, 3, 3).ramp("w", 3, 2, 3, 3)
                .node("Conv", "conv", in("x", "w"), out("y")).output("y").read();
        assertEquals(1, g.inputs().size());
        assertEquals(1, g.nodes(ConvNode.class).size());
    }

    @Test
    void deadBranchesAreDropped() {
        OnnxGraph g = new OnnxBuilder(13).input("x", 1, 2).node("Relu", "used", in("x"), out("y"))
                .node("Sigmoid", "unused", in("x"), out("z")).output("y").read();
        assertEquals(1, g.nodes().size());
        assertEquals("used", g.nodes().get(0).name());
    }
}
