import dev.convcl.Arg;
import dev.convcl.ArgSpec;
import dev.convcl.Args;
import dev.convcl.Engine;
import dev.convcl.HostTensor;
import dev.convcl.Operation;
import dev.convcl.Plan;
import dev.convcl.Tensor;
import dev.convcl.cli.BenchSuite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * Per-call wall times of the CPU path on the problems of a shapes file, for profiling it
 * (docs/performance-notes.md, "CPU path on small maps"): for each problem, the first calls one by
 * one (how long the JIT takes to reach compiled code), then after WARMUP seconds of calls the median
 * and min of the calls of SECONDS more. Calls on device tensors (the CPU path's arrays, no copies).
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -Dconvcl.device=cpu \
 *       -cp target/convcl-0.1.0-SNAPSHOT-cli.jar bench/CpuLayers.java shapes.txt REGEX WARMUP SECONDS
 * </pre>
 */
public final class CpuLayers {
    private CpuLayers() {
    }

    public static void main(String[] a) throws Exception {
        if (a.length != 4) {
            System.err.println("usage: CpuLayers SHAPES_FILE REGEX WARMUP_S SECONDS");
            System.exit(2);
        }
        Pattern filter = Pattern.compile(a[1]);
        double warmup = Double.parseDouble(a[2]), seconds = Double.parseDouble(a[3]);
        List<String[]> problems = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(a[0]))) {
            line = line.trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String name = line.split("\\s+", 2)[0];
            if (filter.matcher(name).find()) {
                // quick=1 is the shapes file's field, not the operator's: Operation.parse refuses it
                problems.add(new String[] {name, BenchSuite.withoutQuick(line.substring(name.length()))});
            }
        }
        try (Engine engine = Engine.create()) {
            System.out.println("# " + engine.deviceName());
            Random random = new Random(42);
            for (String[] p : problems) {
                Operation op = Operation.parse(p[1]);
                Plan plan = engine.plan(op);
                Args.Builder args = Args.builder();
                for (ArgSpec s : op.arguments()) {
                    if (s.arg() == Arg.DST) {
                        args.set(Arg.DST, engine.allocate(s.shape()));
                        continue;
                    }
                    HostTensor t = Tensor.of(uniform(random, s.shape()), s.shape());
                    if (s.arg() == Arg.WEIGHTS || s.arg() == Arg.BIAS) {
                        plan.bind(s.arg(), t);
                    } else {
                        args.set(s.arg(), engine.upload(t));
                    }
                }
                Args in = args.build();
                StringBuilder first = new StringBuilder();
                for (int i = 0; i < 8; i++) {
                    long t0 = System.nanoTime();
                    plan.execute(in);
                    engine.finish();
                    first.append(String.format(Locale.ROOT, " %.2f", (System.nanoTime() - t0) / 1e6));
                }
                long end = System.nanoTime() + (long) (warmup * 1e9);
                int warm = 0;
                while (System.nanoTime() < end) {
                    plan.execute(in);
                    engine.finish();
                    warm++;
                }
                List<Double> ms = new ArrayList<>();
                end = System.nanoTime() + (long) (seconds * 1e9);
                while (ms.size() < 5 || System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    plan.execute(in);
                    engine.finish();
                    ms.add((System.nanoTime() - t0) / 1e6);
                }
                double[] v = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                System.out.printf(Locale.ROOT, "%-22s %-16s median %.3f ms  min %.3f  (%d calls after %d warm-up)  first:%s%n",
                        p[0], plan.algorithm(), v[v.length / 2], v[0], v.length, warm, first);
            }
        }
    }

    private static float[] uniform(Random random, int[] shape) {
        long size = 1;
        for (int d : shape) {
            size *= d;
        }
        float[] v = new float[Math.toIntExact(size)];
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextFloat() * 2 - 1;
        }
        return v;
    }
}
