package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.testing.Engines;
import dev.convcl.testing.Target;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Small networks built in code, compiled with every pass and with none, run on the CPU path and
 * compared with the float64 evaluation of the graph as built (no fusion, no rounding between
 * layers): the compiled network, its fusions included, is right within float32 rounding.
 */
class GraphNetworksTest {
    /** float32 rounding through a few layers of random weights. */
    static final double TOLERANCE = 1e-5;
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    /** The class's engine on the cpu target, closed after its tests. */
    private static Engine engine() {
        return ENGINES.get(Target.CPU);
    }

    /** A network: a name, its input shape, and the function that builds it. */
    record Net(String name, int[] input, Function<Nets, Value> body) {
        Graph graph(Nets nets) {
            return nets.build("out", body.apply(nets));
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Net> networks() {
        return Stream.of(
                new Net("resnet basic block", new int[] {2, 8, 9, 11}, n -> n.basicBlock("layer1.0", n.input("x", 2, 8, 9,
                        11), 8, 1)),
                new Net("resnet basic block, downsample", new int[] {1, 6, 10, 9},
                        n -> n.basicBlock("layer2.0", n.input("x", 1, 6, 10, 9), 12, 2)),
                new Net("se block", new int[] {2, 16, 7, 9}, n -> {
                    Value x = n.input("x", 2, 16, 7, 9);
                    Value y = n.bn("bn", n.conv("conv", x, 16, 3, 1, 1));
                    return n.seBlock("se", y, x, 4);
                }),
                new Net("inverted residual", new int[] {1, 8, 11, 10}, n -> n.invertedResidual("features.3",
                        n.input("x", 1, 8, 11, 10), 8, 1, 6)),
                new Net("shufflenet unit", new int[] {2, 12, 9, 7}, n -> n.shuffleUnit("stage2.1", n.input("x", 2, 12, 9,
                        7))),
                // the second unit's concatenation reads the first unit's shuffled output through a slice
                new Net("shufflenet units, chained", new int[] {2, 20, 6, 5}, n -> n.shuffleUnit("stage2.2",
                        n.shuffleUnit("stage2.1", n.input("x", 2, 20, 6, 5)))),
                // shuffles of three groups: after a concatenation with a part across two groups (kept), after one
                // whose parts each lie within a group (fused, dst_step 3)
                new Net("shuffle of a concatenation, 3 groups", new int[] {1, 5, 7, 6}, n -> {
                    Value x = n.input("x", 1, 5, 7, 6);
                    Value cat = n.builder().concat("cat", n.conv("a", x, 4, 1, 1, 1), n.conv("b", x, 8, 3, 1, 1));
                    Value y = n.builder().channelShuffle("shuffle", cat, 3);
                    Value cat2 = n.builder().concat("cat2", n.conv("c", y, 3, 1, 1, 1), n.conv("d", y, 3, 1, 1, 1),
                            n.conv("e", y, 3, 1, 1, 1));
                    return n.builder().channelShuffle("shuffle2", cat2, 3);
                }),
                new Net("inception block", new int[] {1, 6, 9, 10}, n -> n.inceptionBlock("Mixed_6b", n.input("x", 1, 6,
                        9, 10), 4)),
                new Net("dcnv2 layer", new int[] {1, 5, 9, 8}, n -> n.dcnv2("dcn", n.input("x", 1, 5, 9, 8), 7)),
                new Net("replknet large kernel", new int[] {1, 4, 33, 35}, n -> n.repLk("stages.0.blocks.0.large_kernel",
                        n.input("x", 1, 4, 33, 35), 31, 5)),
                new Net("unireplknet dilated block", new int[] {1, 3, 19, 17}, n -> n.dilatedReparam("dilated", n.input("x",
                        1, 3, 19, 17), 13, new int[] {5, 7, 3, 3, 3}, new int[] {1, 2, 3, 4, 5})),
                new Net("explicit padding, global max pool", new int[] {1, 3, 7, 6}, n -> {
                    Value x = n.input("x", 1, 3, 7, 6);
                    Value p = n.builder().pad2d("pad", x, 1, 0, 2, 1, -0.25f);
                    Value y = n.bn("bn", n.conv("conv", p, 5, 3, 3, 1, 0, 0, 1, 1, false));
                    return n.builder().add("res", n.builder().globalMaxPool("gmp", y), n.builder().globalAvgPool("gap",
                            y));
                }),
                new Net("head", new int[] {2, 10, 5, 6}, n -> {
                    Nets m = n;
                    Value x = m.input("x", 2, 10, 5, 6);
                    Value f = m.builder().flatten("flatten", m.builder().globalAvgPool("gap", x));
                    HostTensor w = GraphTesting.weights(m.random(), 10, 7, 10);
                    return m.builder().relu("relu", m.builder().linear("fc", f, w, GraphTesting.random(m.random(), 7)));
                }));
    }

    /** Builds {@code net} with weights from {@code seed}, compiles it with {@code passes} and checks it against float64. */
    private static void assertMatchesTheFloat64Graph(Net net, long seed, EnumSet<CompiledGraph.Pass> passes) {
        Nets nets = new Nets(seed);
        Graph g = net.graph(nets);
        HostTensor input = GraphTesting.random(nets.random(), net.input());
        Map<String, double[]> ref = GraphTesting.reference(g, Map.of("x", input));
        try (CompiledGraph compiled = CompiledGraph.compile(engine(), g, passes)) {
            double err = GraphTesting.relativeL2(ref.get("out"), compiled.run(input).toArray());
            assertTrue(err <= TOLERANCE, net + ": relative L2 error " + err);
        }
    }

    @ParameterizedTest
    @MethodSource("networks")
    void compiledWithEveryPassMatchesTheFloat64Graph(Net net) {
        assertMatchesTheFloat64Graph(net, 11, EnumSet.allOf(CompiledGraph.Pass.class));
    }

    @ParameterizedTest
    @MethodSource("networks")
    void compiledWithoutPassesMatchesTheFloat64Graph(Net net) {
        assertMatchesTheFloat64Graph(net, 12, EnumSet.noneOf(CompiledGraph.Pass.class));
    }

    @Test
    void passesFuseTheBlocksAsExpected() {
        Nets nets = new Nets(3);
        Graph g = nets.build("out", nets.basicBlock("layer1.0", nets.input("x", 1, 8, 9, 9), 8, 1));
        try (CompiledGraph net = engine().compile(g)) {
            List<String> names = net.steps().stream().map(CompiledGraph.Step::name).collect(Collectors.toList());
            assertEquals(List.of("layer1.0.conv1+layer1.0.bn1+layer1.0.relu1",
                    "layer1.0.conv2+layer1.0.bn2+layer1.0.add+layer1.0.relu2"), names);
            Conv2d last = (Conv2d) net.steps().get(1).operation();
            assertEquals("sum+relu", last.postOps().toString());
            assertTrue(last.bias(), "the folded batch norm's shift is the bias");
        }
    }

    @Test
    void seBlockIsItsScaleThenOneMultiplyWithTheResidualAndReluInItsEpilogue() {
        Nets nets = new Nets(4);
        Value x = nets.input("x", 1, 8, 5, 5);
        Graph g = nets.build("out", nets.seBlock("se", nets.bn("bn", nets.conv("conv", x, 8, 3, 1, 1)), x, 2));
        try (CompiledGraph net = engine().compile(g)) {
            List<String> ops = new ArrayList<>();
            for (CompiledGraph.Step s : net.steps()) {
                ops.add(s.operation().name() + (s.operation() instanceof Binary b ? ":" + b.kind().token() + ":"
                        + b.postOps() : ""));
            }
            // the pool and the two 1x1 layers on 1x1 maps are one squeeze_excitation step
            assertEquals(List.of("conv2d", "squeeze_excitation", "binary:mul:sum+relu"), ops);
        }
    }
}
