package dev.convcl.graph;

import dev.convcl.CompiledGraph;
import dev.convcl.DeviceChoice;
import dev.convcl.DeviceTensor;
import dev.convcl.Engine;
import dev.convcl.Graph;
import dev.convcl.GraphTesting;
import dev.convcl.Nets;
import dev.convcl.Value;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Times structural re-parameterisation; not a test. A RepLKNet large-kernel layer (depthwise 31x31
 * and 5x5, each with batch norm, summed) and a UniRepLKNet dilated re-param block (depthwise 13x13
 * plus 5x5, 7x7 at dilation 2, 3x3 at dilations 3, 4, 5, each with batch norm) are compiled with
 * every pass and with every pass but {@code REPARAMETERIZE}, then run on device tensors: the
 * median of {@code --reps} runs after {@code --warmup} runs, each followed by a wait.
 *
 * <pre>
 * mvn -q test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt
 * POCL_SIGFPE_HANDLER=0 java --add-modules jdk.incubator.vector \
 *     -cp target/classes:target/test-classes:$(cat cp.txt) dev.convcl.graph.ReparamBenchmark \
 *     [--device cpu|opencl|auto] [--channels 64] [--size 56] [--reps 9] [--warmup 2]
 * </pre>
 */
public final class ReparamBenchmark {
    private ReparamBenchmark() {
    }

    public static void main(String[] args) {
        String device = "auto";
        int channels = 64, size = 56, reps = 9, warmup = 2;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--device" -> device = args[i + 1];
                case "--channels" -> channels = Integer.parseInt(args[i + 1]);
                case "--size" -> size = Integer.parseInt(args[i + 1]);
                case "--reps" -> reps = Integer.parseInt(args[i + 1]);
                case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        int c = channels, s = size;
        List<Map.Entry<String, Function<Nets, Value>>> blocks = List.of(
                Map.entry("replknet 31x31+5x5", n -> n.repLk("lk", n.input("x", 1, c, s, s), 31, 5)),
                Map.entry("unireplknet 13x13 + dilated", n -> n.dilatedReparam("dil", n.input("x", 1, c, s, s), 13,
                        new int[] {5, 7, 3, 3, 3}, new int[] {1, 2, 3, 4, 5})));
        try (Engine engine = Engine.create(DeviceChoice.parse(device))) {
            System.out.println("reparam-benchmark: " + engine.deviceName() + ", input [1, " + c + ", " + s + ", " + s
                    + "], median of " + reps + " runs");
            for (Map.Entry<String, Function<Nets, Value>> b : blocks) {
                Nets nets = new Nets(1);
                Graph g = nets.build("out", b.getValue().apply(nets));
                double merged = time(engine, g, EnumSet.allOf(CompiledGraph.Pass.class), reps, warmup);
                double unmerged = time(engine, g, EnumSet.complementOf(EnumSet.of(CompiledGraph.Pass.REPARAMETERIZE)),
                        reps, warmup);
                System.out.printf(Locale.ROOT, "%-30s merged %8.2f ms   unmerged %8.2f ms   speed-up %.2fx%n", b.getKey(),
                        merged, unmerged, unmerged / merged);
            }
        }
    }

    private static double time(Engine engine, Graph g, EnumSet<CompiledGraph.Pass> passes, int reps, int warmup) {
        try (CompiledGraph net = CompiledGraph.compile(engine, g, passes);
             DeviceTensor x = engine.upload(GraphTesting.random(new java.util.Random(2), g.inputs().get(0).shape()));
             DeviceTensor y = engine.allocate(net.outputShapes().get("out"))) {
            double[] ms = new double[reps];
            for (int i = -warmup; i < reps; i++) {
                long t0 = System.nanoTime();
                net.run(Map.of("x", x), Map.of("out", y));
                engine.finish();
                if (i >= 0) {
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
            Arrays.sort(ms);
            return ms[reps / 2];
        }
    }
}
