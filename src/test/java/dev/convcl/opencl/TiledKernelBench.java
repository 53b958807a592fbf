package dev.convcl.opencl;

import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.Problems;
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
 *     ../shared/bench/shapes.txt 'mobilenetv2.dw|replknet31b|dcnv' [options]
 *   --all-tiles      every candidate tile instead of the default one
 *   --tiles=A;B      the listed tiles, each as its comma-separated record components (depthwise:
 *                    5 numbers for depthwise.cl's staged tile, 4 for a depthwise-rows tile, p and 4
 *                    for a depthwise-plane tile: p16,14,14,1; deformable: 7 for deform2d_gemm.cl's tile,
 *                    6 for deform2d_cm.cl's: vw,mv,tn,npt,nkt,cc)
 *   --alt=FILE.cl    also each tile built from a variant kernel file on the classpath (A/B tests)
 *   --no-direct      leave the direct kernel out
 * </pre>
 *
 * Every problem runs with bias=1. Per problem all its plans run round-robin, after a warm-up
 * call each, for at least 5 rounds and 0.5 s (-Dbench.millis=N for N ms); a plan slower than 0.2 s a call stops after 3
 * timed calls, so the others' rounds are not spent waiting on it. Per plan it prints the median
 * kernel time (OpenCL profiling, transfers excluded), its GFLOP/s, the fastest and slowest call,
 * the speed-up over the first plan, and the relative L2 difference from the first plan's output.
 * The machine may be shared: compare plans of one run, not runs.
 */
public final class TiledKernelBench {
    private TiledKernelBench() {
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length < 1) {
            System.err.println("usage: TiledKernelBench SHAPES_FILE [NAME_REGEX] [--all-tiles | --tiles=A;B] [--alt=F.cl] [--no-direct]");
            System.exit(2);
        }
        Pattern filter = Pattern.compile(argv.length > 1 && !argv[1].startsWith("--") ? argv[1] : ".*");
        List<String> flags = Arrays.asList(argv);
        boolean allTiles = flags.contains("--all-tiles");
        boolean direct = !flags.contains("--no-direct");
        List<int[]> explicit = new ArrayList<>();
        String alt = null;
        for (String a : argv) {
            if (a.startsWith("--tiles=")) {
                for (String t : a.substring(8).split(";")) {
                    boolean plane = t.startsWith("p");
                    int[] n = Arrays.stream((plane ? t.substring(1) : t).split(",")).mapToInt(Integer::parseInt).toArray();
                    if (plane) { // a plane tile: -1 first, then vw, th, xc, cb
                        int[] m = new int[n.length + 1];
                        m[0] = -1;
                        System.arraycopy(n, 0, m, 1, n.length);
                        n = m;
                    }
                    explicit.add(n);
                }
            } else if (a.startsWith("--alt=")) {
                alt = a.substring(6);
            }
        }
        OpenClDeviceInfo device = OpenClDiscovery.discover().best().orElseThrow();
        System.out.println("device: " + device.describe());
        try (OpenClBackend backend = new OpenClBackend(device)) {
            OpenClContext ctx = backend.context();
            for (String line : Files.readAllLines(Path.of(argv[0]))) {
                String l = line.replaceAll("#.*", "").trim();
                if (l.isEmpty() || !filter.matcher(l.split("\\s+")[0]).find()) {
                    continue;
                }
                String name = l.split("\\s+")[0];
                Convolution spec = Problems.parse(l).withBias(true);
                if (!DepthwisePlan.supports(spec) && !DeformGemmPlan.supports(spec)) {
                    continue;
                }
                List<String> labels = new ArrayList<>();
                List<Primitive> plans = new ArrayList<>();
                if (direct) {
                    labels.add("direct");
                    plans.add(new DirectConvPlan(ctx, spec));
                }
                for (int[] t : tiles(spec, device, allTiles, explicit)) {
                    for (String file : alt == null ? new String[] {null} : new String[] {null, alt}) {
                        Primitive p = plan(ctx, spec, t, file);
                        labels.add((file == null ? "" : file + " ") + p.algorithm());
                        plans.add(p);
                    }
                }
                try {
                    race(backend, name, spec, labels, plans);
                } finally {
                    plans.forEach(Primitive::close);
                }
            }
        }
    }

    private static List<int[]> tiles(Convolution spec, OpenClDeviceInfo device, boolean all, List<int[]> explicit) {
        if (!explicit.isEmpty()) {
            return explicit;
        }
        List<int[]> out = new ArrayList<>();
        if (DepthwisePlan.supports(spec)) {
            for (DepthwisePlan.Tile t : all ? DepthwisePlan.candidates(spec, device)
                    : List.of(DepthwisePlan.defaultTile(spec, device).orElseThrow())) {
                out.add(new int[] {t.vw(), t.nv(), t.th(), t.wgx(), t.wgy()});
            }
            for (DepthwisePlanePlan.Tile t : all ? DepthwisePlanePlan.candidates(spec, device) : List.<DepthwisePlanePlan.Tile>of()) {
                out.add(new int[] {-1, t.vw(), t.th(), t.xc(), t.cb()});
            }
        } else {
            DeviceProfile p = DeviceProfile.of(device);
            for (KernelTile k : all ? p.deformCandidates(spec) : List.of(p.deform(spec).orElseThrow())) {
                if (k instanceof DeformCmPlan.Tile t) {
                    out.add(new int[] {t.vw(), t.mv(), t.tn(), t.npt(), t.nkt(), t.cc()});
                } else if (k instanceof DeformGemmPlan.Tile t) {
                    out.add(new int[] {t.vw(), t.pv(), t.npt(), t.kt(), t.nkt(), t.cc(), t.wgs()});
                }
            }
        }
        return out;
    }

    private static Primitive plan(OpenClContext ctx, Convolution spec, int[] t, String file) {
        if (DepthwisePlan.supports(spec) && t[0] == -1) {
            DepthwisePlanePlan.Tile tile = new DepthwisePlanePlan.Tile(t[1], t[2], t[3], t[4]);
            return file == null ? new DepthwisePlanePlan(ctx, spec, tile) : new DepthwisePlanePlan(ctx, spec, tile, file);
        }
        if (DepthwisePlan.supports(spec) && t.length == 4) {
            DepthwiseRowsPlan.Tile tile = new DepthwiseRowsPlan.Tile(t[0], t[1], t[2], t[3]);
            return file == null ? new DepthwiseRowsPlan(ctx, spec, tile) : new DepthwiseRowsPlan(ctx, spec, tile, file);
        }
        if (DepthwisePlan.supports(spec)) {
            DepthwisePlan.Tile tile = new DepthwisePlan.Tile(t[0], t[1], t[2], t[3], t[4]);
            return file == null ? new DepthwisePlan(ctx, spec, tile) : new DepthwisePlan(ctx, spec, tile, file);
        }
        if (t.length == 6) {
            // deform2d_cm.cl: vw, mv, tn, npt, nkt, cc
            DeformCmPlan.Tile tile = new DeformCmPlan.Tile(t[0], t[1], t[2], t[3], t[4], t[5]);
            return file == null ? new DeformCmPlan(ctx, spec, tile) : new DeformCmPlan(ctx, spec, tile, file);
        }
        DeformGemmPlan.Tile tile = new DeformGemmPlan.Tile(t[0], t[1], t[2], t[3], t[4], t[5], t[6]);
        return file == null ? new DeformGemmPlan(ctx, spec, tile) : new DeformGemmPlan(ctx, spec, tile, file);
    }

    private static void race(OpenClBackend backend, String name, Convolution spec, List<String> labels,
                             List<Primitive> plans) {
        Args args = Tensors.args(spec, 7, false, 2.0);
        List<Args> outs = new ArrayList<>();
        List<List<Double>> times = new ArrayList<>();
        for (Primitive p : plans) {
            Args a = Tensors.withFreshOutput(args, spec);
            Primitives.run(backend, p, a);
            outs.add(a);
            times.add(new ArrayList<>());
        }
        long start = System.nanoTime();
        int rounds = 0;
        long budget = Long.getLong("bench.millis", 500L) * 1_000_000L;
        while (rounds < 5 || System.nanoTime() - start < budget) {
            for (int i = 0; i < plans.size(); i++) {
                List<Double> t = times.get(i);
                if (t.size() < 3 || median(t) < 200) {
                    Primitives.run(backend, plans.get(i), outs.get(i));
                    t.add(plans.get(i).lastKernelMillis());
                }
            }
            rounds++;
        }
        double base = median(times.get(0));
        for (int i = 0; i < plans.size(); i++) {
            List<Double> t = times.get(i);
            double med = median(t);
            System.out.println(String.format(Locale.ROOT,
                    "%-20s %8.3f ms %6.1f GFLOP/s  min %7.3f max %7.3f  x%5.1f  diff %.0e  %s",
                    name, med, spec.flops() / med / 1e6, t.stream().mapToDouble(Double::doubleValue).min().orElse(0),
                    t.stream().mapToDouble(Double::doubleValue).max().orElse(0), base / med,
                    Tensors.relativeL2(Tensors.out(outs.get(0)), Tensors.out(outs.get(i))), labels.get(i)));
        }
    }

    private static double median(List<Double> v) {
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s[s.length / 2];
    }
}
