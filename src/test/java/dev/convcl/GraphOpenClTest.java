package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.testing.Engines;
import dev.convcl.testing.Target;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A whole compiled network on the OpenCL device: a ResNet basic block after a standalone batch
 * norm, a squeeze-excitation block, a ShuffleNet unit (split, concat, shuffle), an Inception
 * block (average and max pooling, concat), explicit padding, pooling with ceil_mode and
 * count_include_pad, and a broadcast subtraction of the global average. Every layer must run on
 * the device (no step falls back to the CPU path), so a run moves only the input in and the
 * output out ({@code engine.stats().hostTransfers()}), and none at all with device tensors in and
 * out; the result matches the float64 evaluation of the graph as built.
 */
class GraphOpenClTest {
    /** float32 rounding through the network's layers of random weights, as the CPU path is held to. */
    static final double TOLERANCE = 1e-5;

    @RegisterExtension
    static final Engines ENGINES = new Engines();

    static final int[] INPUT = {2, 8, 13, 11};

    static Graph network(Nets n) {
        Graph.Builder b = n.builder();
        Value x = n.input("x", INPUT);
        Value y = b.relu("stem.relu", n.bn("stem.bn", x)); // no conv before it: a channel affine map with a relu
        y = n.basicBlock("layer1.0", y, 8, 1);
        y = n.seBlock("se", n.bn("se.bn", n.conv("se.conv", y, 8, 3, 1, 1)), y, 4);
        y = n.shuffleUnit("stage2.1", y);
        y = n.inceptionBlock("mixed", y, 4);
        y = b.pad2d("pad", y, 1, 0, 2, 1, -0.5f);
        y = b.maxPool2d("pool1", y, 3, 2, 1, 1, true);
        y = b.avgPool2d("pool2", y, 2, 2, 1, true, true);
        return n.build("out", b.sub("centre", y, b.globalAvgPool("gap", y)));
    }

    @Test
    void withoutChannelCopyFusionTheShuffleRunsOnTheDeviceAndTheResultIsTheSame() {
        Engine engine = ENGINES.get(Target.OPENCL);
        Nets nets = new Nets(21);
        Graph g = network(nets);
        HostTensor input = GraphTesting.random(nets.random(), INPUT);
        double[] expected = GraphTesting.reference(g, Map.of("x", input)).get("out");
        try (CompiledGraph net = CompiledGraph.compile(engine, g,
                EnumSet.complementOf(EnumSet.of(CompiledGraph.Pass.FUSE_CHANNEL_COPIES)))) {
            assertTrue(net.steps().stream().anyMatch(s -> s.operation() instanceof ChannelShuffle
                    && s.backend().equals("opencl")), "a channel shuffle step on the device: " + net.steps());
            double err = GraphTesting.relativeL2(expected, net.run(input).toArray());
            assertTrue(err <= TOLERANCE, "relative L2 error " + err + " against the float64 graph");
        }
    }

    @Test
    void everyLayerRunsOnTheDeviceAndARunMovesOnlyTheInputAndTheOutput() {
        Engine engine = ENGINES.get(Target.OPENCL);
        Nets nets = new Nets(21);
        Graph g = network(nets);
        HostTensor input = GraphTesting.random(nets.random(), INPUT);
        double[] expected = GraphTesting.reference(g, Map.of("x", input)).get("out");
        try (CompiledGraph net = engine.compile(g)) {
            Set<String> kinds = new TreeSet<>();
            for (CompiledGraph.Step s : net.steps()) {
                assertEquals("opencl", s.backend(), "step " + s.name() + " (" + s.operation() + ") runs on "
                        + s.backend() + " " + s.implementation() + ", not on the device");
                kinds.add(s.operation().name());
            }
            // the shuffle unit's channel shuffle is written by its concatenation's copies (dst_step 2);
            // the SE block's pool and 1x1 layers are one squeeze_excitation step
            assertEquals(Set.of("binary", "channel_affine", "channel_copy", "conv2d", "pad2d", "pool2d",
                    "squeeze_excitation"),
                    kinds, "the network should exercise every layer kind: " + net.steps());
            assertTrue(net.steps().stream().anyMatch(s -> s.name().endsWith("stage2.1.shuffle")
                    && s.operation() instanceof ChannelCopy c && c.dstStep() == 2), "the shuffle fused into the copies: "
                    + net.steps());

            for (int run = 1; run <= 2; run++) {
                Engine.Stats before = engine.stats();
                HostTensor out = net.run(input);
                Engine.Stats after = engine.stats();
                assertEquals(2, after.hostTransfers() - before.hostTransfers(),
                        "run " + run + " with host tensors: the input in and the output out, nothing between layers");
                double err = GraphTesting.relativeL2(expected, out.toArray());
                assertTrue(err <= TOLERANCE, "run " + run + ": relative L2 error " + err + " against the float64 graph");
            }

            try (DeviceTensor x = engine.upload(input); DeviceTensor y = engine.allocate(net.outputShapes().get("out"))) {
                Engine.Stats before = engine.stats();
                net.run(Map.of("x", x), Map.of("out", y));
                engine.finish();
                Engine.Stats after = engine.stats();
                assertEquals(0, after.hostTransfers() - before.hostTransfers(),
                        "a run with device tensors in and out moves nothing between host and device");
                assertTrue(after.kernelLaunches() - before.kernelLaunches() >= net.steps().size(),
                        "every step launches its kernel: " + (after.kernelLaunches() - before.kernelLaunches()));
                double err = GraphTesting.relativeL2(expected, y.toArray());
                assertTrue(err <= TOLERANCE, "device tensors: relative L2 error " + err + " against the float64 graph");
            }
        }
    }

    /**
     * At batch 1 an Inception block's branches, and a nested concatenation's, write their channels
     * of the concatenation in place (OpenCL sub-buffers; 8x8 maps make every channel offset a
     * multiple of 256 bytes, which meets any base alignment up to that): no copy step, the same
     * result, run after run, and the sub-buffers released with the compiled graph.
     */
    @Test
    void atBatchOneConcatenationPartsAreWrittenInPlaceWithTheSameResult() {
        Engine engine = ENGINES.get(Target.OPENCL);
        long alignment = dev.convcl.testing.OpenClTestDevice.context(engine).regionAlignment();
        Nets nets = new Nets(23);
        Graph.Builder b = nets.builder();
        int[] shape = {1, 6, 8, 8};
        Value x = nets.input("x", shape);
        Value y = nets.inceptionBlock("mixed", x, 4);
        Value inner = b.concat("inner", nets.conv("p", y, 3, 1, 1, 1), nets.conv("q", y, 2, 3, 1, 1));
        Graph g = nets.build("out", b.relu("relu", b.concat("outer", nets.conv("r", y, 5, 1, 1, 1), inner)));
        HostTensor input = GraphTesting.random(nets.random(), shape);
        double[] expected = GraphTesting.reference(g, Map.of("x", input)).get("out");
        long bytesBefore = engine.stats().deviceBytes();
        int objectsBefore = dev.convcl.testing.OpenClTestDevice.context(engine).liveObjects();
        try (CompiledGraph net = engine.compile(g)) {
            long copies = net.steps().stream().filter(s -> s.operation() instanceof ChannelCopy).count();
            // the block's max-pool branch reads the input but is a layer of its own: in place too
            if (alignment > 0 && alignment <= 256) {
                assertEquals(0, copies, "copy steps with a " + alignment + "-byte base alignment: " + net.steps());
            }
            for (int run = 1; run <= 2; run++) {
                double err = GraphTesting.relativeL2(expected, net.run(input).toArray());
                assertTrue(err <= TOLERANCE, "run " + run + ": relative L2 error " + err + " against the float64 graph");
            }
            try (DeviceTensor dx = engine.upload(input); DeviceTensor dy = engine.allocate(net.outputShapes().get("out"))) {
                net.run(Map.of("x", dx), Map.of("out", dy));
                double err = GraphTesting.relativeL2(expected, dy.toArray());
                assertTrue(err <= TOLERANCE, "device tensors: relative L2 error " + err + " against the float64 graph");
            }
        }
        assertEquals(bytesBefore, engine.stats().deviceBytes(), "device memory left after closing the graph");
        assertEquals(objectsBefore, dev.convcl.testing.OpenClTestDevice.context(engine).liveObjects(),
                "OpenCL objects (the sub-buffers) left after closing the graph");
    }

    /**
     * A DenseNet-like chain (each concatenation the input of the next and of a layer whose output
     * joins it, one of them also a graph output), concatenations nested three deep and a flatten:
     * at batch 1 with parts in place, the same as the float64 graph on every output.
     */
    @Test
    void denseChainsAndNestedConcatenationsInPlaceMatchTheGraph() {
        Engine engine = ENGINES.get(Target.OPENCL);
        Nets n = new Nets(25);
        Graph.Builder b = n.builder();
        int[] shape = {1, 4, 8, 8};
        Value x = n.input("x", shape);
        Value c = x;
        for (int i = 0; i < 4; i++) {
            c = b.concat("cat" + i, c, b.relu("f" + i, n.conv("conv" + i, c, 2, 3, 1, 1)));
            if (i == 1) {
                b.output("mid", c);
            }
        }
        Value n1 = b.concat("n1", n.conv("na", c, 2, 1, 1, 1), n.conv("nb", c, 2, 1, 1, 1));
        Value n2 = b.concat("n2", n1, n.conv("nc", c, 2, 1, 1, 1));
        Value n3 = b.concat("n3", n.conv("nd", c, 2, 1, 1, 1), n2);
        Graph g = n.build("out", b.flatten("flat", b.concat("last", n3, n.conv("ne", n3, 2, 1, 1, 1))));
        HostTensor input = GraphTesting.random(n.random(), shape);
        Map<String, double[]> expected = GraphTesting.reference(g, Map.of("x", input));
        try (CompiledGraph net = engine.compile(g)) {
            long alignment = dev.convcl.testing.OpenClTestDevice.context(engine).regionAlignment();
            long copies = net.steps().stream().filter(s -> s.operation() instanceof ChannelCopy).count();
            if (alignment > 0 && alignment <= 256) {
                // f0..f3, na..ne and the nested n1, n2 in place; x, cat0..cat2 and n3 are read by a
                // convolution too (x is also the graph's input): 5 copies
                assertEquals(5, copies, "copies: " + net.steps());
            }
            for (int run = 1; run <= 2; run++) {
                Map<String, HostTensor> out = net.run(Map.of("x", input));
                for (Map.Entry<String, double[]> e : expected.entrySet()) {
                    double err = GraphTesting.relativeL2(e.getValue(), out.get(e.getKey()).toArray());
                    assertTrue(err <= TOLERANCE, "run " + run + ", output " + e.getKey() + ": relative L2 error " + err);
                }
            }
        }
    }

    /**
     * ShuffleNetV2 units at stride 2 and 1 and an Inception block at batch 2, where a part's
     * channels of each image are apart and no part is one region: each convolution computing a
     * part writes it through a channel window (every other channel of the shuffled output, or a
     * run of the concatenation's channels in each image), and the stride-1 unit's branch reads its
     * half of the unit's input in place (an input window), so only the parts that no convolution
     * computes are copied: the stride-1 unit's first half and the block's max pool. The same result
     * as the float64 graph, run after run, with host and with device tensors.
     */
    @Test
    void convolutionsWriteTheirPartsAndReadTheirSlicesThroughChannelWindowsWithTheSameResult() {
        Engine engine = ENGINES.get(Target.OPENCL);
        Nets nets = new Nets(29);
        int[] shape = {2, 6, 10, 9};
        Graph g = nets.shuffleUnitsAndInception(shape);
        HostTensor input = GraphTesting.random(nets.random(), shape);
        double[] expected = GraphTesting.reference(g, Map.of("x", input)).get("out");
        try (CompiledGraph net = engine.compile(g)) {
            List<String> copies = net.steps().stream().filter(s -> s.operation() instanceof ChannelCopy)
                    .map(CompiledGraph.Step::name).toList();
            assertEquals(List.of("stage2.1.chunk:0+stage2.1.cat[0]+stage2.1.shuffle", "mixed.cat[3]"),
                    copies, "copy steps, of " + net.steps().stream().map(CompiledGraph.Step::name).toList());
            for (CompiledGraph.Step s : net.steps()) {
                assertEquals("opencl", s.backend(), "step " + s.name() + " runs on " + s.backend());
            }
            for (int run = 1; run <= 2; run++) {
                double err = GraphTesting.relativeL2(expected, net.run(input).toArray());
                assertTrue(err <= TOLERANCE, "run " + run + ": relative L2 error " + err + " against the float64 graph");
            }
            try (DeviceTensor dx = engine.upload(input); DeviceTensor dy = engine.allocate(net.outputShapes().get("out"))) {
                net.run(Map.of("x", dx), Map.of("out", dy));
                double err = GraphTesting.relativeL2(expected, dy.toArray());
                assertTrue(err <= TOLERANCE, "device tensors: relative L2 error " + err + " against the float64 graph");
            }
        }
    }

    /** Closing the engine with a compiled graph still open releases the graph's sub-buffers too. */
    @Test
    void closingTheEngineReleasesTheSubBuffersOfAGraphLeftOpen() {
        Engine engine = dev.convcl.testing.OpenClTestDevice.engine();
        dev.convcl.opencl.OpenClContext ctx = dev.convcl.testing.OpenClTestDevice.context(engine);
        try {
            Nets nets = new Nets(27);
            Value x = nets.input("x", 1, 6, 8, 8);
            CompiledGraph net = engine.compile(nets.build("out", nets.inceptionBlock("mixed", x, 4)));
            assertTrue(net.steps().stream().noneMatch(s -> s.operation() instanceof ChannelCopy)
                    || ctx.regionAlignment() > 256 || ctx.regionAlignment() == 0, "parts in place: " + net.steps());
            net.run(GraphTesting.random(nets.random(), 1, 6, 8, 8));
        } finally {
            engine.close();
        }
        assertEquals(0, ctx.liveObjects(), "OpenCL objects left after closing the engine with the graph open");
        assertEquals(0, ctx.liveBytes(), "device memory left after closing the engine with the graph open");
    }
}
