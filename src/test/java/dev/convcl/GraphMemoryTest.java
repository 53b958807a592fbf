package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.graph.GraphIr;
import dev.convcl.graph.Node;
import dev.convcl.testing.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Memory planning on a ResNet-50-sized network (torchvision's layout, random weights, a small
 * input): the device memory the engine holds for the compiled network, measured by the engine's
 * counters after compiling and after a run, stays below its weights plus twice its two largest
 * activations; and the result matches the float64 evaluation. On the CPU path and on the OpenCL
 * device (where the weights, the activations and whatever the plans allocate are device buffers,
 * and a run moves only the input in and the logits out).
 */
class GraphMemoryTest {
    /** ResNet-50's parameters as Nets builds them (weights, biases, batch-norm vectors), float32. */
    static final long RESNET50_PARAMETER_BYTES = 102_440_608L;

    /** Bytes of the two largest values the graph computes, as built. */
    static long twoLargestActivationBytes(Graph g) {
        List<Long> sizes = new ArrayList<>();
        for (Node n : GraphTesting.ir(g).nodes()) {
            sizes.add(n.output().size() * 4);
        }
        sizes.sort(null);
        return sizes.get(sizes.size() - 1) + sizes.get(sizes.size() - 2);
    }

    @Test
    void resNet50StaysBelowWeightsPlusTwiceTheTwoLargestActivations() {
        check(Target.CPU, 0);
    }

    /**
     * On OpenCL every constant is on the device once (a GEMM plan packs its bound weights and
     * releases the upload: before, both stayed, 206 MB for 102 MB of weights), and the scratch a
     * plan needs only while it runs (a GEMM plan's zero-padded input copy) is one workspace shared
     * by every plan of the compiled graph, not one per plan (before: about 1 MB over the bound
     * here); a run moves only the image in and the logits out.
     */
    @Test
    void resNet50OnOpenClStaysBelowWeightsPlusTwiceTheTwoLargestActivations() {
        check(Target.OPENCL, 0);
    }

    private static void check(Target target, long slack) {
        Nets nets = new Nets(50);
        Graph g = nets.build("logits", nets.resnet50(nets.input("image", 1, 3, 64, 64)));
        GraphIr ir = GraphTesting.ir(g);
        assertEquals(53, ir.kindCounts().get("conv2d"), "ResNet-50 has 53 convolutions");
        long weights = nets.parameterBytes();
        assertEquals(RESNET50_PARAMETER_BYTES, weights, "25.6 million parameters");
        long bound = weights + 2 * twoLargestActivationBytes(g) + slack;
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
                assertTrue(peak < bound, "[" + target + "] device bytes " + peak + " (activations "
                        + net.activationBytes() + ", scratchpad " + net.scratchpadBytes() + ") exceed weights " + weights
                        + " + 2 x the two largest activations" + (slack > 0 ? " + " + slack : "") + " = " + bound);
                assertTrue(net.activationBytes() <= 2 * twoLargestActivationBytes(g), "activation buffers "
                        + net.activationBytes());
                double err = GraphTesting.relativeL2(GraphTesting.reference(g, Map.of("image", image)).get("logits"),
                        out.toArray());
                assertTrue(err <= 1e-4, "[" + target + "] ResNet-50 logits: relative L2 " + err);
            }
            assertEquals(before, engine.stats().deviceBytes(), "closing the compiled graph releases its memory");
        }
    }
}
