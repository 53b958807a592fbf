package dev.convcl.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Activation;
import dev.convcl.CompiledGraph;
import dev.convcl.Engine;
import dev.convcl.Graph;
import dev.convcl.GraphTesting;
import dev.convcl.HostTensor;
import dev.convcl.Nets;
import dev.convcl.Value;
import dev.convcl.Window2d;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Target;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each pass on its own: it fires where it should (the node kinds change as expected), it leaves
 * alone what it must not touch, and it leaves the result unchanged: in float64 up to the float32
 * rounding of the constants it recomputes, and, compiled with only that pass and run in float32,
 * within float32 rounding of the float64 evaluation of the unfused graph.
 */
class PassesTest {
    /** The recomputed constants are rounded to float once: about 1e-7 relative, well under this. */
    static final double FLOAT64_TOLERANCE = 1e-6;
    /** A float32 run through a few layers. */
    static final double FLOAT32_TOLERANCE = 1e-5;
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    /** The class's engine on the cpu target, closed after its tests. */
    private static Engine engine() {
        return ENGINES.get(Target.CPU);
    }

    /** The pass leaves the float64 result unchanged, and the graph compiled with only {@code pass} is right in float32. */
    private static GraphIr check(Graph g, HostTensor x, UnaryOperator<GraphIr> pass, CompiledGraph.Pass only) {
        GraphIr before = GraphTesting.ir(g);
        GraphIr after = pass.apply(before);
        Map<String, HostTensor> in = Map.of("x", x);
        double[] ref = GraphTesting.reference(before, in).get("out");
        double[] passed = GraphTesting.reference(after, in).get("out");
        double e64 = GraphTesting.relativeL2(ref, passed);
        assertTrue(e64 <= FLOAT64_TOLERANCE, "float64 result changed by the pass: relative L2 " + e64);
        try (CompiledGraph net = CompiledGraph.compile(engine(), g, only == null ? EnumSet.noneOf(CompiledGraph.Pass.class)
                : EnumSet.of(only))) {
            double e32 = GraphTesting.relativeL2(ref, net.run(x).toArray());
            assertTrue(e32 <= FLOAT32_TOLERANCE, "compiled with " + only + ": relative L2 " + e32);
        }
        return after;
    }

    private static int count(GraphIr ir, String kind) {
        return ir.kindCounts().getOrDefault(kind, 0);
    }

    @Test
    void foldBatchNormIntoConvolutionsAndLinearLayers() {
        Nets n = new Nets(1);
        Value x = n.input("x", 2, 5, 7, 6);
        Value y = n.bn("bn1", n.conv("conv1", x, 6, 3, 2, 1));
        y = n.bn("bn2", n.conv("conv2", y, 6, 3, 1, 6)); // depthwise
        Value f = n.builder().flatten("flat", n.builder().globalAvgPool("gap", y));
        f = n.builder().linear("fc", f, GraphTesting.weights(n.random(), 6, 4, 6), null);
        Graph g = n.build("out", n.bn("bn3", f));
        GraphIr after = check(g, GraphTesting.random(n.random(), 2, 5, 7, 6), Passes::foldBatchNorm,
                CompiledGraph.Pass.FOLD_BATCH_NORM);
        assertEquals(0, count(after, "batch_norm"), after.toString());
        assertEquals(2, count(after, "conv2d"));
    }

    @Test
    void batchNormWhoseConvolutionOutputIsReadTwiceStays() {
        Nets n = new Nets(2);
        Value x = n.input("x", 1, 4, 6, 6);
        Value c = n.conv("conv", x, 4, 3, 1, 1);
        Graph g = n.build("out", n.builder().add("add", n.bn("bn", c), c));
        GraphIr after = check(g, GraphTesting.random(n.random(), 1, 4, 6, 6), Passes::foldBatchNorm,
                CompiledGraph.Pass.FOLD_BATCH_NORM);
        assertEquals(1, count(after, "batch_norm"), "the convolution's output is also read by the add");
    }

    @Test
    void activationsJoinTheProducersEpilogue() {
        Nets n = new Nets(3);
        Value x = n.input("x", 1, 6, 5, 7);
        Value y = n.builder().silu("silu", n.conv("conv", x, 6, 3, 1, 1));
        y = n.builder().hardswish("hswish", y); // a chain: both activations join the conv
        Value z = n.builder().relu6("relu6", n.builder().mul("mul", y, n.builder().sigmoid("gate",
                n.conv("gate_conv", x, 6, 1, 1, 1))));
        Value p = n.builder().relu("after_pool", n.builder().maxPool2d("pool", z, 3, 1, 1)); // stays standalone
        Graph g = n.build("out", p);
        GraphIr after = check(g, GraphTesting.random(n.random(), 1, 6, 5, 7), ir -> Passes.fuseActivation(
                Passes.batchNormToAffine(ir)), CompiledGraph.Pass.FUSE_ACTIVATION);
        assertEquals(1, count(after, "relu"), "the activation after pooling stays a node");
        assertEquals(0, count(after, "silu") + count(after, "hardswish") + count(after, "sigmoid")
                + count(after, "clip"), after.toString());
        Layer.Conv conv = (Layer.Conv) after.nodes().get(0).layer();
        assertEquals("silu+hardswish", conv.post().toString());
    }

    @Test
    void residualAddAndReluJoinTheLastConvolution() {
        Nets n = new Nets(4);
        Value x = n.input("x", 2, 8, 6, 5);
        Graph g = n.build("out", n.basicBlock("block", x, 8, 1));
        UnaryOperator<GraphIr> all = ir -> Passes.fuseSum(Passes.fuseActivation(Passes.batchNormToAffine(
                Passes.foldBatchNorm(ir))));
        GraphIr after = check(g, GraphTesting.random(n.random(), 2, 8, 6, 5), all, null);
        assertEquals(2, after.nodes().size(), after.toString());
        Layer.Conv last = (Layer.Conv) after.nodes().get(1).layer();
        assertEquals("sum+relu", last.post().toString());
        // and on its own, compiled with only the sum fusion
        check(g, GraphTesting.random(n.random(), 2, 8, 6, 5), Passes::fuseSum, CompiledGraph.Pass.FUSE_SUM);
    }

    @Test
    void subtractionFusesOnlyIntoItsFirstOperand() {
        Nets n = new Nets(5);
        Value x = n.input("x", 1, 3, 5, 5);
        Value a = n.conv("a", x, 3, 3, 1, 1);
        Value b = n.conv("b", x, 3, 1, 1, 1);
        Graph g = n.build("out", n.builder().sub("sub", a, b));
        GraphIr after = check(g, GraphTesting.random(n.random(), 1, 3, 5, 5), Passes::fuseSum, CompiledGraph.Pass.FUSE_SUM);
        assertEquals(2, after.nodes().size());
        Node fused = after.nodes().stream().filter(nd -> nd.name().equals("a+sub")).findFirst().orElseThrow();
        assertEquals("sum:-1.0", ((Layer.Conv) fused.layer()).post().toString());
        // a - b with b computed later: the fused node moves to the subtraction's place, after b
        assertEquals("a+sub", after.nodes().get(1).name());
    }

    @Test
    void seScaleTakesTheResidualAddAndRelu() {
        Nets n = new Nets(6);
        Value x = n.input("x", 2, 8, 5, 6);
        Graph g = n.build("out", n.seBlock("se", n.bn("bn", n.conv("conv", x, 8, 3, 1, 1)), x, 2));
        GraphIr after = check(g, GraphTesting.random(n.random(), 2, 8, 5, 6), ir -> Passes.fuseSum(
                Passes.fuseActivation(ir)), CompiledGraph.Pass.FUSE_SUM);
        Node mul = after.nodes().get(after.nodes().size() - 1);
        assertEquals("mul", mul.layer().kind());
        assertEquals("sum+relu", ((Layer.Elementwise) mul.layer()).post().toString());
        assertEquals(0, count(after, "add") + count(after, "relu"));
    }

    @Test
    void repLkNetLargeAndSmallKernelsMergeIntoOne() {
        Nets n = new Nets(7);
        Value x = n.input("x", 2, 4, 33, 31);
        Graph g = n.build("out", n.repLk("lk", x, 31, 5));
        assertBranchesMergeIntoOne(n, g, Window2d.of(31, 31, 1, 1, 15, 15, 1, 1), 2, 4, 33, 31);
    }

    @Test
    void uniRepLkNetDilatedBranchesMergeIntoOne() {
        Nets n = new Nets(8);
        Value x = n.input("x", 1, 3, 21, 19);
        Graph g = n.build("out", n.dilatedReparam("block", x, 13, new int[] {5, 7, 3, 3, 3}, new int[] {1, 2, 3, 4, 5}));
        assertBranchesMergeIntoOne(n, g, Window2d.of(13, 13, 1, 1, 6, 6, 1, 1), 1, 3, 21, 19);
    }

    /**
     * Batch-norm folding then re-parameterisation leave one convolution with {@code window}, equal
     * on random input of {@code shape} (drawn from {@code n}) to the graph without the passes, and
     * the merged graph compiles to the same output as the unmerged one.
     */
    private static void assertBranchesMergeIntoOne(Nets n, Graph g, Window2d window, int... shape) {
        GraphIr after = check(g, GraphTesting.random(n.random(), shape), ir -> Passes.reparameterize(
                Passes.foldBatchNorm(ir)), CompiledGraph.Pass.REPARAMETERIZE);
        assertEquals(1, after.nodes().size(), after.toString());
        Layer.Conv m = (Layer.Conv) after.nodes().get(0).layer();
        assertEquals(window, m.window());
        mergedEqualsUnmerged(g, GraphTesting.random(n.random(), shape));
    }

    @Test
    void repVggAndAsymmetricBranchesMerge() {
        Nets n = new Nets(9);
        Value x = n.input("x", 1, 6, 9, 8);
        Value a = n.conv("k3", x, 5, 3, 3, 1, 1, 1, 1, 1, true);
        Value b = n.conv("k1", x, 5, 1, 1, 1, 0, 0, 1, 1, true);
        Value c = n.conv("k1x3", x, 5, 1, 3, 1, 0, 1, 1, 1, false);
        Graph g = n.build("out", n.builder().add("add2", n.builder().add("add1", a, b), c));
        GraphIr after = check(g, GraphTesting.random(n.random(), 1, 6, 9, 8), Passes::reparameterize,
                CompiledGraph.Pass.REPARAMETERIZE);
        assertEquals(1, after.nodes().size(), after.toString());
        assertEquals(Window2d.of(3, 3, 1, 1, 1, 1, 1, 1), ((Layer.Conv) after.nodes().get(0).layer()).window());
    }

    @Test
    void branchesThatCannotMergeStay() {
        Nets n = new Nets(10);
        Value x = n.input("x", 1, 4, 8, 8);
        Value a = n.conv("s2", x, 4, 3, 2, 4);
        Value b = n.conv("s2b", x, 4, 3, 3, 2, 1, 1, 1, 2, false); // other groups
        Value c = n.conv("c", x, 4, 3, 1, 4);
        Value d = n.conv("d", x, 4, 3, 1, 4);
        Value sum = n.builder().add("cd", c, d);
        Value e = n.builder().add("reuse", sum, d); // d is read twice: c + d cannot merge
        Value both = n.builder().add("ab", a, b);
        Graph g = n.build("out", n.builder().add("out_add", n.builder().maxPool2d("pool", e, 2, 2, 0), both));
        GraphIr after = check(g, GraphTesting.random(n.random(), 1, 4, 8, 8), Passes::reparameterize,
                CompiledGraph.Pass.REPARAMETERIZE);
        assertEquals(4, count(after, "conv2d"), after.toString());
    }

    @Test
    void mergeNeedsEqualOutputShapes() {
        Nets n = new Nets(11);
        Value x = n.input("x", 1, 2, 9, 9);
        Value a = n.conv("a", x, 2, 3, 3, 2, 1, 1, 1, 1, false);
        Value b = n.conv("b", x, 2, 1, 1, 2, 0, 0, 1, 1, false);
        Graph g = n.build("out", n.builder().add("add", a, b));
        List<Node> nodes = GraphTesting.ir(g).nodes();
        assertTrue(Passes.merge(nodes.get(0), nodes.get(1), nodes.get(2)) != null, "same stride 2: merges");
        Value c = n.conv("c", x, 2, 3, 3, 1, 1, 1, 1, 1, false);
        Value d = n.conv("d", x, 2, 3, 3, 1, 1, 1, 2, 1, false); // dilation 2, pad 1: output 7x7, not 9x9
        assertFalse(java.util.Arrays.equals(c.shape(), d.shape()));
        List<Node> all = GraphTesting.ir(n.builder().build()).nodes();
        assertNull(Passes.merge(all.get(0), all.get(3), all.get(2)), "outputs of other shapes do not merge");
    }

    /** Re-parameterised equals not re-parameterised, both compiled and run in float32, within 1e-5 relative. */
    private static void mergedEqualsUnmerged(Graph g, HostTensor x) {
        try (CompiledGraph merged = CompiledGraph.compile(engine(), g, EnumSet.allOf(CompiledGraph.Pass.class));
             CompiledGraph unmerged = CompiledGraph.compile(engine(), g, EnumSet.complementOf(
                     EnumSet.of(CompiledGraph.Pass.REPARAMETERIZE)))) {
            assertEquals(1, merged.steps().size());
            assertTrue(unmerged.steps().size() > 1);
            float[] a = merged.run(x).toArray(), b = unmerged.run(x).toArray();
            double[] bd = new double[b.length];
            for (int i = 0; i < b.length; i++) {
                bd[i] = b[i];
            }
            double err = GraphTesting.relativeL2(bd, a);
            assertTrue(err <= 1e-5, "merged vs unmerged: relative L2 " + err);
        }
    }

    @Test
    void deadNodesAreDropped() {
        Nets n = new Nets(12);
        Value x = n.input("x", 1, 2, 4, 4);
        n.conv("unused", x, 3, 3, 1, 1);
        Value y = n.builder().activation("act", x, Activation.leakyRelu(0.2f));
        Graph g = n.build("out", y);
        GraphIr after = check(g, GraphTesting.random(new Random(1), 1, 2, 4, 4), Passes::deadNodes, null);
        assertEquals(1, after.nodes().size());
    }
    /**
     * Inception's branch_pool (3x3 average at stride 1 counting the padding, then a 1x1 to fewer
     * channels with bias and ReLU) becomes the 1x1 without bias, the pool over its output and a
     * channel-affine map with the bias and the ReLU. Left as they are: pools that do not count
     * the padding, shrink the map, stride or are read twice, max pools, and 1x1s to as many
     * channels.
     */
    @Test
    void averagePoolsMoveAfterThePointwiseConvolutionReadingThem() {
        Nets n = new Nets(9);
        Value x = n.input("x", 2, 12, 7, 9);
        Graph.Builder b = n.builder();
        Value branch = b.relu("relu", n.conv("pool_conv", b.avgPool2d("pool", x, 3, 1, 1), 5, 1, 1, 1, 0, 0, 1, 1, true));
        Value exclude = n.conv("exclude_conv", b.avgPool2d("exclude", x, 3, 1, 1, false, false), 4, 1, 1, 1, 0, 0, 1,
                1, true);
        Value max = n.conv("max_conv", b.maxPool2d("max", x, 3, 1, 1), 4, 1, 1, 1, 0, 0, 1, 1, true);
        Value wide = n.conv("wide_conv", b.avgPool2d("wide", x, 3, 1, 1), 12, 1, 1, 1, 0, 0, 1, 1, true);
        Value twice = b.avgPool2d("twice", x, 3, 1, 1);
        Value twiceConv = n.conv("twice_conv", twice, 4, 1, 1, 1, 0, 0, 1, 1, true);
        Value shrunk = n.conv("shrunk_conv", b.avgPool2d("shrunk", x, 3, 1, 0), 4, 1, 1, 1, 0, 0, 1, 1, false);
        Value strided = n.conv("strided_conv", b.avgPool2d("strided", x, 3, 2, 1), 4, 1, 1, 1, 0, 0, 1, 1, true);
        Value scaled = b.mul("scaled", b.pad2d("padded", shrunk, 1, 1, 1, 1, 0f), b.globalAvgPool("gap", strided));
        Graph g = n.build("out", b.concat("cat", branch, exclude, max, wide, twiceConv, twice, scaled));
        UnaryOperator<GraphIr> all = ir -> Passes.poolAfterPointwise(Passes.fuseActivation(Passes.batchNormToAffine(ir)));
        GraphIr after = check(g, GraphTesting.random(n.random(), 2, 12, 7, 9), all, CompiledGraph.Pass.POOL_AFTER_POINTWISE);
        List<String> moved = new java.util.ArrayList<>();
        for (Node node : after.nodes()) {
            if (node.layer() instanceof Layer.Pool && !node.name().equals("gap") && node.input(0).dim(1) != 12) {
                moved.add(node.name());
            }
        }
        assertEquals(List.of("pool"), moved, after.toString());
        assertEquals(1, count(after, "channel_affine"), "pool_conv's bias and ReLU after its pool: " + after);
        Layer.Conv first = (Layer.Conv) after.nodes().stream().filter(m -> m.name().startsWith("pool_conv")).findFirst()
                .orElseThrow().layer();
        assertTrue(first.bias() == null && first.post().isEmpty(), "the moved 1x1 keeps neither bias nor post-ops");
    }
    /**
     * The pass's other forms on both backends, against the float64 evaluation of the unmoved graph:
     * a 1x1 without bias or post-ops (the pool then writes the 1x1's output, here also a graph
     * output), a 2x2 pool padded only above and left, and a 5x5 pool whose 1x1 has a ReLU but no
     * bias.
     */
    @Test
    void movedPoolsMatchTheReferenceOnBothBackends() {
        Nets n = new Nets(3);
        Value x = n.input("x", 2, 12, 7, 9);
        Graph.Builder b = n.builder();
        Value plain = n.conv("plain_conv", b.avgPool2d("plain_pool", x, 3, 1, 1), 5, 1, 1, 1, 0, 0, 1, 1, false);
        b.output("plain", plain);
        Value asym = n.conv("asym_conv", b.avgPool2d("asym_pool", x, new Window2d(2, 2, 1, 1, 1, 1, 0, 0, 1, 1), false,
                true), 4, 1, 1, 1, 0, 0, 1, 1, true);
        Value relu = b.relu("relu", n.conv("relu_conv", b.avgPool2d("relu_pool", x, 5, 1, 2), 3, 1, 1, 1, 0, 0, 1, 1,
                false));
        Value cat = b.concat("cat", plain, asym, relu);
        Graph g = n.build("out", b.add("twice", cat, cat));
        GraphIr after = Passes.run(GraphTesting.ir(g), java.util.Set.of(Passes.Pass.values()));
        assertEquals(3, after.nodes().stream().filter(m -> m.layer() instanceof Layer.Pool && m.input(0).dim(1) < 12)
                .count(), "every pool moved: " + after);
        HostTensor in = GraphTesting.random(n.random(), 2, 12, 7, 9);
        Map<String, double[]> ref = GraphTesting.reference(g, Map.of("x", in));
        for (Target target : Target.values()) {
            for (EnumSet<CompiledGraph.Pass> passes : List.of(EnumSet.of(CompiledGraph.Pass.POOL_AFTER_POINTWISE),
                    EnumSet.allOf(CompiledGraph.Pass.class))) {
                try (CompiledGraph net = CompiledGraph.compile(ENGINES.get(target), g, passes)) {
                    Map<String, HostTensor> out = net.run(Map.of("x", in));
                    for (String name : ref.keySet()) {
                        double e = GraphTesting.relativeL2(ref.get(name), out.get(name).toArray());
                        assertTrue(e <= FLOAT32_TOLERANCE, target + " with " + passes + ", output " + name
                                + ": relative L2 " + e);
                    }
                }
            }
        }
    }

    /** {@code x * scale(x)}: the pool, fc1 with an activation, fc2 with the scale's activation, the multiply. */
    private static Value seBlock(Nets n, String name, Value x, int squeeze, boolean bias, Activation act,
            Activation scale) {
        Graph.Builder b = n.builder();
        Value z = n.conv(name + ".fc1", b.globalAvgPool(name + ".pool", x), squeeze, 1, 1, 1, 0, 0, 1, 1, bias);
        z = act == null ? z : b.activation(name + ".act", z, act);
        Value s = n.conv(name + ".fc2", z, x.dim(1), 1, 1, 1, 0, 0, 1, 1, bias);
        s = b.activation(name + ".scale_act", s, scale);
        return b.mul(name + ".mul", x, s);
    }

    /**
     * Squeeze-and-excitation scales (MobileNetV3's ReLU and hardsigmoid with bias, RegNetY's ReLU
     * and sigmoid, here without bias, and one without an activation after fc1) become one node
     * each. Left as they are: a block whose fc1 output is read twice, whose pool is read
     * twice, whose fc2 does not return to the pool's channels, whose fc1 has two activations, and
     * one with more than 4096 pooled and squeezed values.
     */
    @Test
    void squeezeExcitationScalesBecomeOneNode() {
        Nets n = new Nets(17);
        Value x = n.input("x", 2, 12, 5, 7);
        Graph.Builder b = n.builder();
        Value y = seBlock(n, "v3", x, 4, true, Activation.relu(), Activation.hardsigmoid());
        y = seBlock(n, "regnet", y, 3, false, Activation.relu(), Activation.sigmoid());
        y = seBlock(n, "linear", y, 5, true, null, Activation.sigmoid());
        // fc1's output read twice
        Value pool = b.globalAvgPool("twice.pool", y);
        Value z = b.relu("twice.act", n.conv("twice.fc1", pool, 4, 1, 1, 1, 0, 0, 1, 1, true));
        Value s = b.sigmoid("twice.scale_act", n.conv("twice.fc2", z, 12, 1, 1, 1, 0, 0, 1, 1, true));
        y = b.add("twice.add", b.mul("twice.mul", y, s), b.mul("twice.mul2", y, b.concat("twice.cat", z, z, z)));
        // the pool read twice
        Value pool2 = b.globalAvgPool("pool2.pool", y);
        Value s2 = b.sigmoid("pool2.scale_act", n.conv("pool2.fc2", b.relu("pool2.act", n.conv("pool2.fc1", pool2, 4,
                1, 1, 1, 0, 0, 1, 1, true)), 12, 1, 1, 1, 0, 0, 1, 1, true));
        y = b.add("pool2.add", b.mul("pool2.mul", y, s2), pool2);
        // two activations after fc1
        Value pool3 = b.globalAvgPool("two.pool", y);
        Value z3 = b.relu("two.act2", b.hardsigmoid("two.act", n.conv("two.fc1", pool3, 4, 1, 1, 1, 0, 0, 1, 1, true)));
        y = b.mul("two.mul", y, b.sigmoid("two.scale_act", n.conv("two.fc2", z3, 12, 1, 1, 1, 0, 0, 1, 1, true)));
        // fc2 to other channels than the pool's: the product broadcasts over channels
        Value pool4 = b.globalAvgPool("other.pool", y);
        Value z4 = b.relu("other.act", n.conv("other.fc1", pool4, 4, 1, 1, 1, 0, 0, 1, 1, true));
        y = b.mul("other.mul", y, b.sigmoid("other.scale_act", n.conv("other.fc2", z4, 1, 1, 1, 1, 0, 0, 1, 1, true)));
        Graph g = n.build("out", y);
        UnaryOperator<GraphIr> all = ir -> Passes.squeezeExcitation(Passes.fuseActivation(Passes.batchNormToAffine(ir)));
        GraphIr after = check(g, GraphTesting.random(n.random(), 2, 12, 5, 7), all, CompiledGraph.Pass.SQUEEZE_EXCITATION);
        List<String> fused = new java.util.ArrayList<>();
        for (Node node : after.nodes()) {
            if (node.layer() instanceof Layer.SqueezeExcite) {
                fused.add(node.name().substring(0, node.name().indexOf('.')));
            }
        }
        assertEquals(List.of("v3", "regnet", "linear"), fused, after.toString());
        assertEquals(4, count(after, "avg_pool2d"), "the pools of the four blocks left alone: " + after);
        // each fused block's multiply joined it (apply): of the blocks' multiplies only the four left alone remain
        for (Node node : after.nodes()) {
            if (node.layer() instanceof Layer.SqueezeExcite se) {
                assertTrue(se.apply() && node.name().endsWith(".mul"), node.toString());
                assertEquals(4, node.output().rank(), node.toString());
            }
        }
        assertEquals(5, count(after, "mul"), "twice (2), pool2, two, other: " + after);

        // more than 4096 pooled and squeezed values: left alone
        Nets wide = new Nets(5);
        Value xw = wide.input("x", 1, 4000, 1, 2);
        Graph gw = wide.build("out", seBlock(wide, "wide", xw, 97, true, Activation.relu(), Activation.sigmoid()));
        GraphIr w = all.apply(GraphTesting.ir(gw));
        assertEquals(0, count(w, "squeeze_excitation"), w.toString());
        // a block on a 1x1 map, whose global pool POOL_AFTER_POINTWISE would otherwise take for one it can move
        Nets one = new Nets(6);
        Value x1 = one.input("x", 2, 12, 1, 1);
        Graph g1 = one.build("out", seBlock(one, "one", x1, 4, true, Activation.relu(), Activation.sigmoid()));
        GraphIr o = Passes.all(GraphTesting.ir(g1));
        assertEquals(1, count(o, "squeeze_excitation"), o.toString());
        Nets fits = new Nets(5);
        Value xf = fits.input("x", 1, 4000, 1, 2);
        Graph gf = fits.build("out", seBlock(fits, "fits", xf, 96, true, Activation.relu(), Activation.sigmoid()));
        assertEquals(1, count(all.apply(GraphTesting.ir(gf)), "squeeze_excitation"));
    }

    /**
     * A squeeze-and-excitation head whose scale is the graph's output (the model ends with it, with
     * or without its activation): fused without a multiply (the output has no reader; this threw
     * a NullPointerException, found by a new user's trial with such an ONNX export).
     */
    @Test
    void aScaleThatIsTheGraphsOutputIsFusedWithoutAMultiply() {
        for (boolean act : new boolean[] {true, false}) {
            Nets n = new Nets(31);
            Value x = n.input("x", 1, 8, 6, 6);
            Graph.Builder b = n.builder();
            Value z = b.relu("head.act", n.conv("head.fc1", b.globalAvgPool("head.pool", x), 4, 1, 1, 1, 0, 0, 1, 1, true));
            Value s = n.conv("head.fc2", z, 8, 1, 1, 1, 0, 0, 1, 1, true);
            Graph g = n.build("out", act ? b.sigmoid("head.scale_act", s) : s);
            GraphIr after = check(g, GraphTesting.random(n.random(), 1, 8, 6, 6), Passes::all,
                    CompiledGraph.Pass.SQUEEZE_EXCITATION);
            assertEquals(1, count(after, "squeeze_excitation"), after.toString());
            for (Node node : after.nodes()) {
                if (node.layer() instanceof Layer.SqueezeExcite se) {
                    assertFalse(se.apply(), node.toString());
                }
            }
        }
    }

    /**
     * The block's multiply joins the fused node only as the scale's only reader, without an
     * epilogue of its own: a residual added into it (FUSE_SUM's {@code x * s + r}, SE-ResNet) or a
     * scale read twice leaves it a node of its own, reading the fused scale.
     */
    @Test
    void theMultiplyJoinsOnlyAsTheScalesOnlyReaderWithoutAnEpilogue() {
        Nets n = new Nets(29);
        Value x = n.input("x", 2, 12, 5, 7);
        Graph.Builder b = n.builder();
        Value z = b.relu("res.act", n.conv("res.fc1", b.globalAvgPool("res.pool", x), 4, 1, 1, 1, 0, 0, 1, 1, true));
        Value s = b.sigmoid("res.scale_act", n.conv("res.fc2", z, 12, 1, 1, 1, 0, 0, 1, 1, true));
        Value y = b.relu("res.relu", b.add("res.add", b.mul("res.mul", x, s), x));
        Value z2 = b.relu("two.act", n.conv("two.fc1", b.globalAvgPool("two.pool", y), 4, 1, 1, 1, 0, 0, 1, 1, true));
        Value s2 = b.sigmoid("two.scale_act", n.conv("two.fc2", z2, 12, 1, 1, 1, 0, 0, 1, 1, true));
        y = b.add("two.add", b.mul("two.mul", y, s2), b.mul("two.mul2", x, s2));
        Graph g = n.build("out", y);
        GraphIr after = check(g, GraphTesting.random(n.random(), 2, 12, 5, 7), Passes::all,
                CompiledGraph.Pass.SQUEEZE_EXCITATION);
        int blocks = 0;
        for (Node node : after.nodes()) {
            if (node.layer() instanceof Layer.SqueezeExcite se) {
                assertFalse(se.apply(), node.toString());
                blocks++;
            }
        }
        assertEquals(2, blocks, after.toString());
        assertEquals(3, count(after, "mul"), "res.mul (with the residual), two.mul and two.mul2: " + after);
    }

    /** The fused scales on both backends, with every pass and with this one alone, against the float64 evaluation of the unfused graph. */
    @Test
    void fusedScalesMatchTheReferenceOnBothBackends() {
        Nets n = new Nets(23);
        Value x = n.input("x", 3, 24, 9, 11);
        Value y = seBlock(n, "a", x, 6, true, Activation.relu(), Activation.hardsigmoid());
        y = seBlock(n, "b", n.builder().relu("r", y), 8, false, Activation.silu(), Activation.sigmoid());
        Graph g = n.build("out", y);
        assertEquals(2, count(Passes.run(GraphTesting.ir(g), java.util.Set.of(Passes.Pass.values())),
                "squeeze_excitation"));
        HostTensor in = GraphTesting.random(n.random(), 3, 24, 9, 11);
        double[] ref = GraphTesting.reference(g, Map.of("x", in)).get("out");
        for (Target target : Target.values()) {
            for (EnumSet<CompiledGraph.Pass> passes : List.of(EnumSet.of(CompiledGraph.Pass.FUSE_ACTIVATION,
                    CompiledGraph.Pass.SQUEEZE_EXCITATION), EnumSet.allOf(CompiledGraph.Pass.class))) {
                try (CompiledGraph net = CompiledGraph.compile(ENGINES.get(target), g, passes)) {
                    double e = GraphTesting.relativeL2(ref, net.run(in).toArray());
                    assertTrue(e <= FLOAT32_TOLERANCE, target + " with " + passes + ": relative L2 " + e);
                }
            }
        }
    }
}
