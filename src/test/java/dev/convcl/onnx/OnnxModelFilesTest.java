package dev.convcl.onnx;

import static dev.convcl.onnx.OnnxHostileModelTest.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Activation;
import dev.convcl.Conv2d;
import dev.convcl.onnx.proto.OnnxProto.GraphProto;
import dev.convcl.onnx.proto.OnnxProto.ModelProto;
import dev.convcl.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.convcl.onnx.proto.OnnxProto.TensorProto;
import dev.convcl.testing.ModelsTxt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The committed models of scripts/onnx/make_models.py (one per network family, exported by
 * PyTorch 1.13): each imports, and its IR agrees with what the script counted on the PyTorch module
 * tree (convolutions, linear layers, deformable convolutions, batch norms, each convolution's output
 * shape) and with the shapes of the input and expected output arrays; then family by family, the
 * structures that make the family (channel shuffles, dilations, large kernels, GELU ...).
 */
class OnnxModelFilesTest {
    static final Path DIR = Path.of("src/test/resources/onnx");

    /** One line of models.txt in {@code dir}. */
    record Model(Path dir, String name, Map<String, String> fields) {
        @Override
        public String toString() {
            return name;
        }

        String get(String key) {
            String v = fields.get(key);
            if (v == null) {
                throw new IllegalStateException(name + " has no " + key);
            }
            return v;
        }

        int module(String kind) {
            for (String kv : get("modules").split(",")) {
                String[] p = kv.split(":");
                if (p[0].equals(kind)) {
                    return Integer.parseInt(p[1]);
                }
            }
            throw new IllegalStateException(name + " has no module count " + kind);
        }

        int[] shape(String key) {
            return Arrays.stream(get(key).split("x")).mapToInt(Integer::parseInt).toArray();
        }

        Path file() {
            return dir.resolve(get("file"));
        }

        OnnxGraph read() {
            OnnxImporter.Options o = OnnxImporter.Options.defaults();
            if (get("symbolic_batch").equals("1")) {
                o = o.withInputShape(shape("input_shape"));
            }
            return OnnxImporter.read(file(), o);
        }
    }

    static List<Model> models() throws IOException {
        return models(DIR);
    }

    static List<Model> models(Path dir) throws IOException {
        return ModelsTxt.read(dir).stream().map(f -> new Model(dir, f.get("name"), f)).toList();
    }

    static Stream<Model> eachModel() throws IOException {
        return models().stream();
    }

    static Model model(String name) throws IOException {
        return models().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
    }

    /** The shape in a .npy file's header. */
    static int[] npyShape(Path p) throws IOException {
        byte[] b = Files.readAllBytes(p);
        int headerLen = (b[8] & 0xff) | (b[9] & 0xff) << 8;
        String header = new String(b, 10, headerLen, StandardCharsets.ISO_8859_1);
        String s = header.substring(header.indexOf("'shape': (") + 10);
        s = s.substring(0, s.indexOf(')'));
        return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).mapToInt(Integer::parseInt).toArray();
    }

    @Test
    void everyFamilyIsCommitted() throws IOException {
        List<String> names = models().stream().map(Model::name).toList();
        for (String family : List.of("resnet_tiny", "resnext_tiny", "resnet_dilated_tiny", "mobilenet_v2_tiny",
                "mobilenet_v3_small_tiny", "shufflenet_v2_tiny", "inception_tiny", "regnet_y_tiny", "senet_tiny", "drn_tiny",
                "dcnv2_tiny", "replknet_stage_tiny", "unireplknet_block_tiny")) {
            assertTrue(names.contains(family), family + " missing from models.txt");
        }
        long bytes = 0;
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                bytes += Files.size(p);
            }
        }
        assertTrue(bytes < 4_000_000, "committed ONNX test data is " + bytes + " bytes");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("eachModel")
    void importsWithTheModulesPyTorchRan(Model m) throws IOException {
        checkAgainstManifest(m);
    }

    static void checkAgainstManifest(Model m) throws IOException {
        OnnxGraph g = m.read();
        String listing = m.name() + "\n" + g.listing();
        assertEquals(Integer.parseInt(m.get("opset")), g.opset());
        assertEquals(1, g.inputs().size());
        assertEquals(Shape.of(m.shape("input_shape")), g.inputs().get(0).shape());
        assertEquals(Shape.of(npyShape(m.dir().resolve(m.get("input")))), g.inputs().get(0).shape());
        assertEquals(1, g.outputs().size());
        assertEquals(Shape.of(m.shape("output_shape")), g.outputs().get(0).shape());
        assertEquals(Shape.of(npyShape(m.dir().resolve(m.get("expected")))), g.outputs().get(0).shape());

        assertEquals(m.module("conv"), g.nodes(ConvNode.class).size(), listing);
        assertEquals(m.module("linear"), g.nodes(LinearNode.class).size(), listing);
        assertEquals(m.module("deform"), g.nodes(DeformConvNode.class).size(), listing);
        int bn = g.nodes(BatchNormNode.class).size();
        if (m.get("batchnorm_kept").equals("1")) {
            assertEquals(m.module("batchnorm"), bn, listing);
        } else {
            // Exported in eval mode: PyTorch folds every BN that follows a Conv; one after a DeformConv stays.
            assertEquals(m.module("deform"), bn, listing);
        }
        List<String> want = new ArrayList<>(Arrays.asList(m.get("conv_output_shapes").split(";")));
        List<String> got = new ArrayList<>();
        for (ConvNode c : g.nodes(ConvNode.class)) {
            got.add(String.join("x", Arrays.stream(c.conv().outputShape()).mapToObj(Integer::toString).toList()));
        }
        want.sort(null);
        got.sort(null);
        assertEquals(want, got, listing);
        // Every value is written before it is read, and nothing is left unused.
        Map<String, Integer> uses = new HashMap<>();
        for (Node n : g.nodes()) {
            for (String v : n.inputs()) {
                uses.merge(v, 1, Integer::sum);
            }
        }
        for (Node n : g.nodes()) {
            assertTrue(uses.containsKey(n.output()) || g.outputs().get(0).value().equals(n.output()), n.describe());
        }
    }

    private static long count(OnnxGraph g, Predicate<Node> p) {
        return g.nodes().stream().filter(p).count();
    }

    private static boolean is(Node n, Activation.Kind k) {
        return n instanceof ActivationNode a && a.activation().kind() == k;
    }

    /**
     * {@link OnnxImporter#declaration}, which streams past the tensors, finds the inputs and outputs
     * the full import finds: the same names in order, the fixed sizes where the model fixes them,
     * and ShuffleNet's symbolic batch by its name.
     */
    @ParameterizedTest
    @MethodSource("eachModel")
    void declaredInputsAreTheImportersInputs(Model m) {
        ModelDeclaration declaration = OnnxImporter.declaration(m.file());
        List<DeclaredInput> declared = declaration.inputs();
        OnnxGraph g = m.read();
        assertEquals(g.outputs().stream().map(OnnxGraph.Output::name).toList(), declaration.outputNames(), m.name());
        assertEquals(g.inputs().stream().map(OnnxGraph.Input::name).toList(),
                declared.stream().map(DeclaredInput::name).toList(), m.name());
        for (int i = 0; i < declared.size(); i++) {
            DeclaredInput d = declared.get(i);
            int[] shape = g.inputs().get(i).shape().dims();
            assertEquals(null, d.misfit(shape), m.name() + " " + d);
            assertEquals(m.get("symbolic_batch").equals("1") ? List.of("batch") : List.of(), d.symbols(), m.name());
            assertEquals(d.symbols().isEmpty(), d.isFixed(), m.name());
        }
    }

    @Test
    void shuffleNetHasItsShufflesWithASymbolicBatch() throws IOException {
        Model m = model("shufflenet_v2_tiny");
        fails(() -> OnnxImporter.read(m.file()), "graph input 'input'", "symbolic dimension 0 ('batch')");
        OnnxGraph g = m.read();
        // stages of 2, 2 and 1 blocks: every block shuffles.
        assertEquals(5, g.nodes(ChannelShuffleNode.class).size(), g.listing());
        assertEquals(5, g.nodes(ConcatNode.class).size());
        assertTrue(g.nodes(ChannelShuffleNode.class).stream().allMatch(c -> c.groups() == 2));
        // the stride-1 blocks split the channels in two halves (chunk -> Slice)
        assertEquals(4, g.nodes(SliceNode.class).size());
        assertTrue(g.nodes(SliceNode.class).stream().allMatch(s -> s.axis() == 1 && s.step() == 1));
        // ReduceMean over [2, 3] without keepdims
        assertEquals(1, count(g, n -> n instanceof PoolNode p && p.kind() == PoolNode.Kind.GLOBAL_AVERAGE));
        OnnxGraph five = OnnxImporter.read(m.file(), OnnxImporter.Options.defaults().withInputShape(5, 3, 48, 48));
        assertEquals(Shape.of(5, 10), five.outputs().get(0).shape());
    }

    @Test
    void mobileNetV3HardswishFromBothOpsets() throws IOException {
        OnnxGraph g14 = model("mobilenet_v3_small_tiny").read();
        OnnxGraph g13 = model("mobilenet_v3_small_tiny_opset13").read();
        long hs14 = count(g14, n -> is(n, Activation.Kind.HARDSWISH));
        assertTrue(hs14 > 0);
        assertEquals(hs14, count(g13, n -> is(n, Activation.Kind.HARDSWISH)), g13.listing());
        assertEquals(count(g14, n -> is(n, Activation.Kind.HARDSIGMOID)), count(g13, n -> is(n, Activation.Kind.HARDSIGMOID)));
        assertEquals(g14.nodes().size(), g13.nodes().size());
        // SE scale: x * hardsigmoid(s) with s [N, C, 1, 1]
        assertTrue(g14.nodes(BinaryNode.class).stream().anyMatch(b -> b.kind() == BinaryNode.Kind.MUL
                && b.right().isPerChannel(b.shape()) && !b.right().isFull(b.shape())
                || b.left().isPerChannel(b.shape()) && !b.left().isFull(b.shape())));
    }

    @Test
    void mobileNetV2Relu6AndDepthwise() throws IOException {
        OnnxGraph g = model("mobilenet_v2_tiny").read();
        assertTrue(count(g, n -> n instanceof ActivationNode a && a.activation().equals(Activation.relu6())) > 5);
        assertTrue(g.nodes(ConvNode.class).stream().anyMatch(c -> c.conv().isDepthwise() && c.conv().c() > 1));
    }

    @Test
    void dilatedBackbonesKeepTheirDilations() throws IOException {
        OnnxGraph r = model("resnet_dilated_tiny").read();
        assertTrue(r.nodes(ConvNode.class).stream().anyMatch(c -> c.conv().dilH() == 2));
        assertTrue(r.nodes(ConvNode.class).stream().anyMatch(c -> c.conv().dilH() == 4));
        OnnxGraph drn = model("drn_tiny").read();
        assertTrue(drn.nodes(ConvNode.class).stream().anyMatch(c -> c.conv().dilH() == 4 && c.conv().padTop() == 4));
        assertEquals(4, drn.outputs().get(0).shape().rank(), "DRN's output is dense");
    }

    @Test
    void resnextHasGroupedConvolutions() throws IOException {
        OnnxGraph g = model("resnext_tiny").read();
        assertTrue(g.nodes(ConvNode.class).stream().anyMatch(c -> c.conv().groups() == 4 && !c.conv().isDepthwise()));
        assertEquals(1, count(g, n -> n instanceof PoolNode p && p.kind() == PoolNode.Kind.MAX));
    }

    @Test
    void inceptionFactorisedKernelsConcatAndPaddedAveragePools() throws IOException {
        OnnxGraph g = model("inception_tiny").read();
        assertTrue(g.nodes(ConvNode.class).stream().anyMatch(c -> c.conv().kh() == 1 && c.conv().kw() == 7
                && c.conv().padLeft() == 3 && c.conv().padTop() == 0));
        assertTrue(g.nodes(ConvNode.class).stream().anyMatch(c -> c.conv().kh() == 7 && c.conv().kw() == 1));
        assertEquals(3, g.nodes(ConcatNode.class).size());
        assertTrue(g.nodes(ConcatNode.class).stream().allMatch(c -> c.axis() == 1));
        // avg_pool2d(x, 3, 1, 1) counting the padding: PyTorch's Pad + AveragePool, folded back into one pool.
        assertEquals(0, g.nodes(PadNode.class).size(), g.listing());
        List<PoolNode> avg = g.nodes(PoolNode.class).stream().filter(p -> p.kind() == PoolNode.Kind.AVERAGE).toList();
        assertEquals(2, avg.size());
        assertTrue(avg.stream().allMatch(p -> p.countIncludePad() && p.window().padTop() == 1 && p.window().padRight() == 1));
    }

    @Test
    void squeezeExcitationScales() throws IOException {
        for (String name : List.of("senet_tiny", "regnet_y_tiny")) {
            OnnxGraph g = model(name).read();
            List<BinaryNode> scales = g.nodes(BinaryNode.class).stream().filter(b -> b.kind() == BinaryNode.Kind.MUL)
                    .toList();
            assertTrue(!scales.isEmpty(), name);
            for (BinaryNode b : scales) {
                assertTrue(b.left().isPerChannel(b.shape()) || b.right().isPerChannel(b.shape()), b.describe());
            }
        }
        // senet's second block runs its SE on [N, 1, C]: MatMul + Add became linear layers with a bias.
        OnnxGraph g = model("senet_tiny").read();
        assertTrue(g.nodes(LinearNode.class).stream().allMatch(l -> l.bias() != null));
        assertTrue(g.nodes(LinearNode.class).stream().anyMatch(l -> l.inputShape().rank() == 3));
    }

    @Test
    void dcnv2HasDeformableConvolutionsWithMasks() throws IOException {
        OnnxGraph g = model("dcnv2_tiny").read();
        List<DeformConvNode> d = g.nodes(DeformConvNode.class);
        assertEquals(19, g.opset());
        assertTrue(d.stream().allMatch(x -> x.conv().mask() && x.mask() != null && x.bias() != null));
        assertEquals(List.of(1, 2), d.stream().map(x -> x.conv().offsetGroups()).toList());
        assertEquals(2, d.get(1).conv().dilH());
        assertEquals(2, d.get(1).conv().strideH());
        // the mask is the sigmoid of a slice of the offset conv's output
        Node maskProducer = g.nodes().stream().filter(n -> n.output().equals(d.get(0).mask())).findFirst().orElseThrow();
        assertTrue(is(maskProducer, Activation.Kind.SIGMOID));
    }

    @Test
    void repLkNetStageHasParallelLargeAndSmallKernelsEachWithBatchNorm() throws IOException {
        OnnxGraph g = model("replknet_stage_tiny").read();
        Conv2d large = g.nodes(ConvNode.class).stream().map(ConvNode::conv).filter(c -> c.kh() == 31).findFirst().orElseThrow();
        assertTrue(large.isDepthwise());
        assertEquals(15, large.padTop());
        assertTrue(g.nodes(ConvNode.class).stream().anyMatch(c -> c.conv().kh() == 5 && c.conv().isDepthwise()));
        assertEquals(1, count(g, n -> is(n, Activation.Kind.GELU)), g.listing());
        assertEquals(9, g.nodes(BatchNormNode.class).size());
    }

    @Test
    void uniRepLkNetBlockHasTheDilatedBranches() throws IOException {
        OnnxGraph g = model("unireplknet_block_tiny").read();
        List<Conv2d> dw = g.nodes(ConvNode.class).stream().map(ConvNode::conv).filter(Conv2d::isDepthwise).toList();
        assertEquals(6, dw.size());
        assertEquals(List.of("13:1", "5:1", "7:2", "3:3", "3:4", "3:5"),
                dw.stream().map(c -> c.kh() + ":" + c.dilH()).toList());
        assertTrue(dw.stream().allMatch(c -> c.outH() == c.h()));
        assertEquals(1, count(g, n -> is(n, Activation.Kind.GELU)));
    }

    /** The same network with its weights moved to an external data file, as onnx.save_model writes large models. */
    @Test
    void committedModelWithExternalData(@TempDir Path tmp) throws IOException {
        Model m = model("resnet_tiny");
        ModelProto original = ModelProto.parseFrom(Files.readAllBytes(m.file()));
        GraphProto.Builder graph = original.getGraph().toBuilder();
        java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
        for (TensorProto.Builder t : graph.getInitializerBuilderList()) {
            if (t.getRawData().size() < 64) {
                continue;
            }
            long offset = data.size();
            t.getRawData().writeTo(data);
            t.clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(entry("location", "weights/resnet.data"))
                    .addExternalData(entry("offset", Long.toString(offset)))
                    .addExternalData(entry("length", Integer.toString(data.size() - (int) offset)));
        }
        Files.createDirectories(tmp.resolve("weights"));
        Files.write(tmp.resolve("weights/resnet.data"), data.toByteArray());
        Path f = tmp.resolve("resnet_external.onnx");
        Files.write(f, original.toBuilder().setGraph(graph).build().toByteArray());
        assertTrue(Files.size(f) < Files.size(m.file()) / 4);
        OnnxGraph ext = OnnxImporter.read(f);
        OnnxGraph in = m.read();
        assertEquals(in.listing(), ext.listing());
        List<ConvNode> a = in.nodes(ConvNode.class), b = ext.nodes(ConvNode.class);
        for (int k = 0; k < a.size(); k++) {
            assertArrayEquals(a.get(k).weights().toArray(), b.get(k).weights().toArray());
        }
        assertArrayEquals(in.nodes(LinearNode.class).get(0).weights().toArray(),
                ext.nodes(LinearNode.class).get(0).weights().toArray());
    }

    private static StringStringEntryProto entry(String k, String v) {
        return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    /** Another input size (the caller's) flows through every shape. */
    @Test
    void inputShapeOverride() throws IOException {
        OnnxGraph g = OnnxImporter.read(model("resnet_tiny").file(),
                OnnxImporter.Options.defaults().withInputShape(1, 3, 96, 64));
        assertEquals(Shape.of(1, 10), g.outputs().get(0).shape());
        assertEquals(Shape.of(1, 16, 48, 32), g.nodes(ConvNode.class).get(0).outputShape());
        OnnxGraph drn = OnnxImporter.read(model("drn_tiny").file(),
                OnnxImporter.Options.defaults().withInputShape("input", 3, 3, 64, 80));
        assertEquals(Shape.of(3, 5, 8, 10), drn.outputs().get(0).shape());
    }

    /** No recursion on the graph's depth: a chain of 20,000 nodes imports. */
    @Test
    void deepChainOfNodes() {
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 2, 2);
        String prev = "x";
        for (int k = 0; k < 20_000; k++) {
            String next = "v" + k;
            b.node(k % 2 == 0 ? "Relu" : "Sigmoid", "n" + k, OnnxBuilder.in(prev), OnnxBuilder.out(next));
            prev = next;
        }
        OnnxGraph g = b.output(prev).read();
        assertEquals(20_000, g.nodes().size());
    }
}
