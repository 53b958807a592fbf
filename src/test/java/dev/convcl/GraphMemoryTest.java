package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.graph.GraphIr;
import dev.convcl.graph.Node;
import dev.convcl.testing.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Memory planning on a ResNet-50-sized network (torchvision's layout, random weights, a small
 * input): the device memory the engine holds for the compiled network, measured by the engine's
 * counters after compiling and after a run, stays below its weights plus twice its two largest
 * activations; and the result matches the float64 evaluation. On the CPU path and on the OpenCL
 * device (where the weights, the activations and whatever the plans allocate are device buffers,
 * and a run moves only the input in and the logits out).
 */
class GraphMemoryTest {

    /** Bytes of the two largest values the graph computes, as built. */
    static long twoLargestActivationBytes(Graph g) {
        List<Long> sizes = new ArrayList<>();
        for (Node n : GraphTesting.ir(g).nodes()) {
            sizes.add(n.output().size() * 4);
        }
        sizes.sort(null);
        return sizes.get(sizes.size() - 1) + sizes.get(sizes.size() - 2);
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("dev.convcl.testing.Target#all")
    void resNet50StaysBelowWeightsPlusTwiceTheTwoLargestActivations(Target target) {
        Nets nets = new Nets(50);
        Graph g = nets.build("logits", nets.resnet50(nets.input("image", 1, 3, 64, 64)));
        GraphIr ir = GraphTesting.ir(g);
        assertEquals(53, ir.kindCounts().get("conv2d"), "ResNet-50 has 53 convolutions");
        long weights = nets.parameterBytes();
        assertTrue(weights > 100_000_000L, "25.6 million parameters: " + weights + " bytes");
        long bound = weights + 2 * twoLargestActivationBytes(g);
        HostTensor image = GraphTesting.random(nets.random(), 1, 3, 64, 64);
        try (Engine engine = target.open()) {
            long before = engine.stats().deviceBytes();
            try (CompiledGraph net = engine.compile(g)) {
                long compiled = engine.stats().deviceBytes() - before;
                long transfers = engine.stats().hostTransfers();
                HostTensor out = net.run(image);
                long afterRun = engine.stats().deviceBytes() - before;
                if (target == Target.OPENCL) {
                    assertEquals(2, engine.stats().hostTransfers() - transfers,
                            "the image in and the logits out, nothing between layers: " + net.steps());
                }
                long peak = Math.max(compiled, afterRun);
                assertTrue(peak < bound, "device bytes " + peak + " (activations " + net.activationBytes()
                        + ") exceed weights " + weights + " + 2 x the two largest activations = " + bound);
                assertTrue(net.activationBytes() <= 2 * twoLargestActivationBytes(g), "activation buffers "
                        + net.activationBytes());
                double err = GraphTesting.relativeL2(GraphTesting.reference(g, Map.of("image", image)).get("logits"),
                        out.toArray());
                assertTrue(err <= 1e-4, "ResNet-50 logits: relative L2 " + err);
            }
            assertEquals(before, engine.stats().deviceBytes(), "closing the compiled graph releases its memory");
        }
    }
}
