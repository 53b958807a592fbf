package dev.convcl.opencl;

import dev.convcl.Convolution;
import dev.convcl.DeviceException;
import dev.convcl.spi.Primitive;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Chooses the implicit-GEMM tile per {@link ProblemClass} by timing candidates on the device, and
 * saves the winners in the device's {@link TuningTable} file, which the {@code gemm} implementation then
 * reads. For each class present in the given problems, every candidate of
 * {@code GemmDefaults.candidates} runs each of the class's problems once on integer data and must
 * reproduce the direct kernel's output exactly (integer sums are exact in float32), otherwise it
 * is discarded; the survivors are timed in interleaved rounds (one run of each per round, so
 * that load from other work falls on all alike; the weights are packed by then, as in repeated
 * inference), each keeps its least device time, and the one with the best geometric mean of
 * speed relative to the fastest candidate per problem wins.
 *
 * <p>Runs on the calling thread and takes the device for itself; on POCL the quick shapes take
 * a minute or two, mostly kernel compilation.
 */
public final class Tuner {
    /** Timed rounds per problem (after the checking run, which warms up). */
    static final int RUNS = 5;
    /** A candidate this many times slower than the best after a round is not timed further. */
    static final double GIVE_UP_FACTOR = 3.0;

    private Tuner() {
    }

    /**
     * One class's outcome.
     *
     * @param problemClass the class key ({@code dense}, {@code pointwise-smallhw}, ...)
     * @param config       the winner
     * @param gflops       its speed over the class's problems
     * @param candidates   candidates tried
     * @param rejected     candidates discarded (wrong output, failed build or launch)
     */
    public record Choice(String problemClass, GemmConfig config, double gflops, int candidates, int rejected) {
    }

    /**
     * Tunes the classes of {@code specs} on {@code ctx}'s device and merges the winners into its
     * tuning file in {@link TuningTable#defaultDir()}.
     *
     * @param specs    problems to tune on; depthwise and deformable ones are skipped (not GEMM)
     * @param progress receives one human-readable line per step (may be {@code s -> {}})
     * @return the winner per class tuned
     * @throws UncheckedIOException when the tuning file cannot be written
     */
    public static List<Choice> tune(OpenClContext ctx, List<Convolution> specs, Consumer<String> progress) {
        return tune(ctx, specs, progress, TuningTable.defaultDir());
    }

    /** As {@link #tune(OpenClContext, List, Consumer)}, with the tuning file in {@code dir}. */
    public static List<Choice> tune(OpenClContext ctx, List<Convolution> specs, Consumer<String> progress, Path dir) {
        boolean cpuLike = GemmDefaults.cpuLike(ctx.info());
        int width = GemmDefaults.nativeWidth(ctx.info());
        return tune(ctx, specs, progress, dir, s -> GemmDefaults.candidates(s, cpuLike, width), GemmConvPlan::new);
    }

    /** Makes the plan a candidate is checked and timed with (the real plan, or a test's wrapper). */
    interface PlanFactory {
        Primitive create(OpenClContext ctx, Convolution spec, GemmConfig config);
    }

    static List<Choice> tune(OpenClContext ctx, List<Convolution> specs, Consumer<String> progress, Path dir,
                             Function<Convolution, List<GemmConfig>> candidateSource, PlanFactory factory) {
        OpenClDeviceInfo device = ctx.info();
        Map<String, List<Convolution>> byClass = new LinkedHashMap<>();
        for (Convolution s : specs) {
            if (GemmConvPlan.handles(s)) {
                byClass.computeIfAbsent(ProblemClass.keyOf(s), k -> new ArrayList<>()).add(s);
            } else {
                progress.accept("skip (not an implicit-GEMM problem): " + s);
            }
        }
        progress.accept("tuning " + byClass.size() + " problem classes on " + device.describe());
        TuningTable table = TuningTable.load(dir, device);
        List<Choice> choices = new ArrayList<>();
        for (Map.Entry<String, List<Convolution>> e : byClass.entrySet()) {
            Choice c = tuneClass(ctx, e.getKey(), e.getValue(), candidateSource, factory, progress);
            if (c == null) {
                progress.accept(e.getKey() + ": no candidate passed; the class keeps its defaults");
                continue;
            }
            choices.add(c);
            String basis = e.getValue().stream().map(Convolution::toString).collect(Collectors.joining("; "));
            table = table.with(c.problemClass(), new TuningTable.Entry(c.config(), c.gflops(), basis));
            progress.accept(String.format(Locale.ROOT, "%s: %s at %.1f GFLOP/s (%d candidates, %d rejected)",
                    c.problemClass(), c.config(), c.gflops(), c.candidates(), c.rejected()));
        }
        try {
            Path file = table.save(dir);
            progress.accept("saved " + file);
        } catch (IOException ex) {
            throw new UncheckedIOException("writing the tuning file in " + dir, ex);
        }
        return choices;
    }

    private static Choice tuneClass(OpenClContext ctx, String cls, List<Convolution> specs,
                                    Function<Convolution, List<GemmConfig>> candidateSource, PlanFactory factory,
                                    Consumer<String> progress) {
        List<DeviceArgs> data = new ArrayList<>();
        List<float[]> expected = new ArrayList<>();
        try {
            for (Convolution s : specs) {
                DeviceArgs a = DeviceArgs.integers(ctx, s, 20240601L + data.size());
                data.add(a);
                try (DirectConvPlan direct = new DirectConvPlan(ctx, s)) {
                    direct.execute(a.memory());
                }
                expected.add(a.output());
            }
            return tuneClass(ctx, cls, specs, data, expected, candidateSource, factory, progress);
        } finally {
            data.forEach(DeviceArgs::close);
        }
    }

    private static Choice tuneClass(OpenClContext ctx, String cls, List<Convolution> specs, List<DeviceArgs> data,
                                    List<float[]> expected, Function<Convolution, List<GemmConfig>> candidateSource,
                                    PlanFactory factory, Consumer<String> progress) {
        // Candidates of the first problem that every problem of the class can run.
        List<GemmConfig> candidates = new ArrayList<>();
        for (GemmConfig g : candidateSource.apply(specs.get(0))) {
            if (specs.stream().allMatch(s -> GemmConvPlan.unsuitableReason(s, g, ctx.info()).isEmpty())) {
                candidates.add(g);
            }
        }
        double flops = specs.stream().mapToDouble(Convolution::flops).sum();
        // least milliseconds per candidate, one entry per problem of the class
        Map<GemmConfig, double[]> times = new LinkedHashMap<>();
        candidates.forEach(g -> times.put(g, new double[specs.size()]));
        int rejected = 0;
        for (int i = 0; i < specs.size(); i++) {
            Convolution s = specs.get(i);
            DeviceArgs args = data.get(i);
            // Every surviving candidate is built and checked first, then timed in rounds, one
            // run of each per round: load from other work then falls on all of them alike.
            Map<GemmConfig, Primitive> plans = new LinkedHashMap<>();
            try {
                for (GemmConfig g : new ArrayList<>(times.keySet())) {
                    String failure;
                    Primitive plan = null;
                    try {
                        plan = factory.create(ctx, s, g);
                        failure = check(plan, s, args, expected.get(i));
                    } catch (DeviceException ex) {
                        failure = ex.kind() + ": " + firstLine(ex.getMessage());
                    } catch (RuntimeException ex) {
                        failure = String.valueOf(ex);
                    }
                    if (failure == null) {
                        plans.put(g, plan);
                    } else {
                        if (plan != null) {
                            plan.close();
                        }
                        times.remove(g);
                        rejected++;
                        progress.accept(cls + ": " + g + " rejected: " + failure);
                    }
                }
                int problem = i;
                time(plans, args).forEach((g, ms) -> times.get(g)[problem] = ms);
            } finally {
                plans.values().forEach(Primitive::close);
            }
        }
        // Score: the geometric mean over the class's problems of the speed relative to the
        // fastest candidate on that problem, so a small problem of the class counts as much as
        // a large one.
        double[] fastest = new double[specs.size()];
        Arrays.fill(fastest, Double.POSITIVE_INFINITY);
        times.values().forEach(t -> {
            for (int i = 0; i < t.length; i++) {
                fastest[i] = Math.min(fastest[i], t[i]);
            }
        });
        GemmConfig best = null;
        double bestScore = 0;
        for (Map.Entry<GemmConfig, double[]> e : times.entrySet()) {
            double[] t = e.getValue();
            double logSum = 0;
            for (int i = 0; i < t.length; i++) {
                logSum += Math.log(fastest[i] / t[i]); // a candidate that sat out scores low
            }
            double score = Math.exp(logSum / t.length);
            progress.accept(String.format(Locale.ROOT, "%s: %s %.1f GFLOP/s, %.0f%% of the best per problem",
                    cls, e.getKey(), flops / Arrays.stream(t).sum() / 1e6, 100 * score));
            if (score > bestScore) {
                bestScore = score;
                best = e.getKey();
            }
        }
        return best == null ? null : new Choice(cls, best, flops / Arrays.stream(times.get(best)).sum() / 1e6,
                candidates.size(), rejected);
    }

    /** Null when {@code plan} reproduces the direct kernel's output bit for bit, else what differs. */
    private static String check(Primitive plan, Convolution spec, DeviceArgs args, float[] expected) {
        args.poisonOutput();
        plan.execute(args.memory());
        float[] out = args.output();
        for (int i = 0; i < out.length; i++) {
            if (Float.compare(out[i], expected[i]) != 0 && !(out[i] == 0f && expected[i] == 0f)) {
                return "output " + i + " is " + out[i] + ", the direct kernel gives " + expected[i] + " for " + spec;
            }
        }
        return null;
    }

    /**
     * The least device milliseconds of each plan over {@link #RUNS} rounds (each plan already
     * ran once, in its check): on a shared machine other work only ever slows a run down, so the
     * fastest run is the one closest to the kernel's own speed. A plan that after the first round
     * is {@link #GIVE_UP_FACTOR} times slower than the best sits out the remaining rounds.
     */
    private static Map<GemmConfig, Double> time(Map<GemmConfig, Primitive> plans, DeviceArgs args) {
        Map<GemmConfig, Double> least = new LinkedHashMap<>();
        for (int round = 0; round < RUNS; round++) {
            double best = least.values().stream().mapToDouble(Double::doubleValue).min().orElse(Double.POSITIVE_INFINITY);
            for (Map.Entry<GemmConfig, Primitive> e : plans.entrySet()) {
                Double sofar = least.get(e.getKey());
                if (sofar != null && sofar > GIVE_UP_FACTOR * best) {
                    continue;
                }
                long start = System.nanoTime();
                e.getValue().execute(args.memory());
                double ms = e.getValue().lastKernelMillis();
                if (!(ms >= 0)) {
                    ms = (System.nanoTime() - start) / 1e6; // no profiling information: wall time
                }
                least.merge(e.getKey(), ms, Math::min);
            }
        }
        return least;
    }

    private static String firstLine(String s) {
        int nl = s == null ? -1 : s.indexOf('\n');
        return nl < 0 ? String.valueOf(s) : s.substring(0, nl);
    }
}
