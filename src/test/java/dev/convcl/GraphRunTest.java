package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.testing.Engines;
import dev.convcl.testing.Target;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Running a compiled graph: by name, with device tensors, several inputs and outputs, repeated runs, bad arguments. */
class GraphRunTest {
    private final Random r = new Random(9);

    @RegisterExtension
    static final Engines ENGINES = new Engines();

    /** The class's engine on the cpu target, closed after its tests. */
    private static Engine engine() {
        return ENGINES.get(Target.CPU);
    }

    /** Two inputs, three outputs: one a reshape view, one also read by a later layer, one a constant's sum. */
    private Graph twoByThree() {
        Graph.Builder b = Graph.builder();
        Value x = b.input("x", 2, 4, 5, 5);
        Value y = b.input("y", 2, 4, 1, 1);
        Value c = b.conv2d("conv", x, GraphTesting.random(r, 4, 4, 3, 3), GraphTesting.random(r, 4), 1, 1, 1, 1);
        Value s = b.mul("scale", c, y);
        Value t = b.relu("relu", b.add("bias", s, b.constant("k", GraphTesting.random(r, 1, 4, 1, 1))));
        Value cat = b.concat("cat", t, s, x);
        b.output("features", s);
        b.output("flat", b.flatten("flatten", b.globalAvgPool("gap", cat)));
        b.output("cat", cat);
        return b.build();
    }

    private static void assertClose(double[] ref, float[] out, String what) {
        double err = GraphTesting.relativeL2(ref, out);
        assertTrue(err <= 1e-6, what + ": relative L2 " + err);
    }

    @Test
    void severalInputsAndOutputsByName() {
        Graph g = twoByThree();
        Map<String, HostTensor> in = new LinkedHashMap<>();
        in.put("x", GraphTesting.random(r, 2, 4, 5, 5));
        in.put("y", GraphTesting.random(r, 2, 4, 1, 1));
        Map<String, double[]> ref = GraphTesting.reference(g, in);
        try (CompiledGraph net = engine().compile(g)) {
            assertEquals(List.of("features", "flat", "cat"), List.copyOf(net.outputShapes().keySet()));
            assertArrayEquals(new int[] {2, 12}, net.outputShapes().get("flat"));
            assertEquals(net.steps().size(), net.lastRunMillis().size());
            for (int run = 0; run < 2; run++) { // the buffers are reused: a second run gives the same
                Map<String, HostTensor> out = net.run(in);
                for (String name : ref.keySet()) {
                    assertClose(ref.get(name), out.get(name).toArray(), name + " run " + run);
                }
            }
            List<Double> ms = net.lastRunMillis();
            for (int i = 0; i < ms.size(); i++) { // CPU-path steps report the wall time of their call
                assertTrue(ms.get(i) >= 0 && Double.isFinite(ms.get(i)), net.steps().get(i) + ": " + ms.get(i) + " ms");
            }
        }
    }

    @Test
    void deviceTensorsInAndOut() {
        Graph g = twoByThree();
        HostTensor x = GraphTesting.random(r, 2, 4, 5, 5), y = GraphTesting.random(r, 2, 4, 1, 1);
        Map<String, double[]> ref = GraphTesting.reference(g, Map.of("x", x, "y", y));
        try (CompiledGraph net = engine().compile(g);
             DeviceTensor dx = engine().upload(x);
             DeviceTensor dflat = engine().allocate(2, 12)) {
            HostTensor cat = Tensor.zeros(2, 12, 5, 5);
            net.run(Map.of("x", dx, "y", y), Map.of("flat", dflat, "cat", cat));
            assertClose(ref.get("flat"), dflat.toArray(), "flat (device)");
            assertClose(ref.get("cat"), cat.toArray(), "cat (host)");
        }
    }

    @Test
    void oneInputOneOutput() {
        Graph.Builder b = Graph.builder();
        Value x = b.input("image", 1, 3, 8, 8);
        b.output("out", b.hardswish("act", b.maxPool2d("pool", x, 2, 2, 0)));
        Graph g = b.build();
        HostTensor in = GraphTesting.random(r, 1, 3, 8, 8);
        try (CompiledGraph net = engine().compile(g)) {
            assertClose(GraphTesting.reference(g, Map.of("image", in)).get("out"), net.run(in).toArray(), "out");
        }
    }

    @Test
    void badArgumentsAreNamedBeforeAnythingRuns() {
        Graph g = twoByThree();
        try (CompiledGraph net = engine().compile(g)) {
            HostTensor x = GraphTesting.random(r, 2, 4, 5, 5);
            assertEquals("input 'y' is missing; the graph's inputs are x [2, 4, 5, 5], y [2, 4, 1, 1]",
                    assertThrows(IllegalArgumentException.class, () -> net.run(Map.of("x", x))).getMessage());
            assertEquals("input 'y' has shape [2, 4]; the graph's is [2, 4, 1, 1]",
                    assertThrows(IllegalArgumentException.class, () -> net.run(Map.of("x", x, "y",
                            Tensor.zeros(2, 4)))).getMessage());
            assertEquals("the graph has no input 'z'; its inputs are x [2, 4, 5, 5], y [2, 4, 1, 1]",
                    assertThrows(IllegalArgumentException.class, () -> net.run(Map.of("z", x))).getMessage());
            assertEquals("the graph has 2 inputs and 3 outputs; run(HostTensor) needs one of each, use run(Map)",
                    assertThrows(IllegalArgumentException.class, () -> net.run(x)).getMessage());
            try (Engine other = Engine.create(DeviceChoice.CPU); DeviceTensor d = other.allocate(2, 12)) {
                assertEquals("output 'flat' is a device tensor of another engine (" + other.deviceName() + ")",
                        assertThrows(IllegalArgumentException.class, () -> net.run(Map.of("x", x, "y",
                                Tensor.zeros(2, 4, 1, 1)), Map.of("flat", d))).getMessage());
            }
        }
        CompiledGraph closed = engine().compile(g);
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.run(Map.of()));
    }
}
