package dev.convcl.opencl;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;
import dev.convcl.spi.CompiledConv;
import dev.convcl.testing.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Benchmark of the depthwise and deformable tiled kernels against the direct kernels, on the
 * OpenCL device {@code auto} picks. Not a test: run it by hand after {@code mvn test-compile},
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(deps) dev.convcl.opencl.TiledKernelBench \
 *     ../shared/bench/shapes.txt 'mobilenetv2.dw|replknet31b|dcnv' [--all-tiles]
 * </pre>
 *
 * Every problem runs with bias=1. Per problem the direct plan and the tiled plan (the default
 * tile, or with {@code --all-tiles} every candidate tile) run alternately, after two warm-up
 * calls each, for at least 5 rounds and 0.5 s; it prints the median kernel time (OpenCL
 * profiling, transfers excluded), its GFLOP/s and the spread (min-max), and the relative L2
 * difference between the two outputs.
 */
public final class TiledKernelBench {
    private TiledKernelBench() {
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length < 1) {
            System.err.println("usage: TiledKernelBench SHAPES_FILE [NAME_REGEX] [--all-tiles]");
            System.exit(2);
        }
        Pattern filter = Pattern.compile(argv.length > 1 && !argv[1].startsWith("--") ? argv[1] : ".*");
        boolean allTiles = Arrays.asList(argv).contains("--all-tiles");
        OpenClDeviceInfo device = OpenClDiscovery.discover().best().orElseThrow();
        System.out.println("device: " + device.describe());
        try (OpenClContext ctx = new OpenClContext(device)) {
            for (String line : Files.readAllLines(Path.of(argv[0]))) {
                String l = line.replaceAll("#.*", "").trim();
                if (l.isEmpty() || !filter.matcher(l.split("\\s+")[0]).find()) {
                    continue;
                }
                String name = l.split("\\s+")[0];
                ConvSpec spec = ConvSpec.parse(l).withBias(true);
                List<CompiledConv> tiled = new ArrayList<>();
                if (DepthwisePlan.supports(spec)) {
                    for (DepthwisePlan.Tile t : allTiles ? DepthwisePlan.candidates(spec, device)
                            : List.of(DepthwisePlan.defaultTile(spec, device).orElseThrow())) {
                        tiled.add(new DepthwisePlan(ctx, spec, t));
                    }
                } else if (DeformGemmPlan.supports(spec)) {
                    for (DeformGemmPlan.Tile t : allTiles ? DeformGemmPlan.candidates(spec, device)
                            : List.of(DeformGemmPlan.defaultTile(spec, device).orElseThrow())) {
                        tiled.add(new DeformGemmPlan(ctx, spec, t));
                    }
                } else {
                    continue;
                }
                try (DirectConvPlan direct = new DirectConvPlan(ctx, spec)) {
                    ConvArgs args = Tensors.args(spec, 7, false, 2.0);
                    for (CompiledConv plan : tiled) {
                        compare(name, spec, direct, plan, args);
                        plan.close();
                    }
                }
            }
        }
    }

    private static void compare(String name, ConvSpec spec, CompiledConv direct, CompiledConv plan, ConvArgs args) {
        ConvArgs a = Tensors.withFreshOutput(args, spec);
        ConvArgs b = Tensors.withFreshOutput(args, spec);
        for (int i = 0; i < 2; i++) {
            direct.execute(a);
            plan.execute(b);
        }
        double diff = Tensors.relativeL2(a.output().array(), b.output().array());
        List<Double> td = new ArrayList<>();
        List<Double> tp = new ArrayList<>();
        long start = System.nanoTime();
        while (td.size() < 5 || System.nanoTime() - start < 500_000_000L) {
            direct.execute(a);
            td.add(direct.lastDeviceMillis());
            plan.execute(b);
            tp.add(plan.lastDeviceMillis());
        }
        System.out.println(String.format(Locale.ROOT, "%-22s direct %s | %-14s %s | x%.2f  diff %.1e  %s",
                name, stats(spec, td), plan.algorithm().replaceAll("\\[.*", ""), stats(spec, tp),
                median(td) / median(tp), diff, plan.algorithm().replaceAll(".*\\[|\\]", "")));
    }

    private static String stats(ConvSpec spec, List<Double> ms) {
        double med = median(ms);
        return String.format(Locale.ROOT, "%8.3f ms %7.1f GFLOP/s (%.3f-%.3f)", med, spec.flops() / med / 1e6,
                ms.stream().mapToDouble(Double::doubleValue).min().orElse(0),
                ms.stream().mapToDouble(Double::doubleValue).max().orElse(0));
    }

    private static double median(List<Double> v) {
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s[s.length / 2];
    }
}
