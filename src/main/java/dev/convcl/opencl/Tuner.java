package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import dev.convcl.DeviceException;
import dev.convcl.spi.Memory;
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
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Chooses the tile of each tuned kernel family ({@link KernelFamily}: gemm, depthwise,
 * deform-gemm) per problem class by timing candidates on the device, and saves the winners in the
 * device's {@link TuningTable} file, which the implementations then read. The candidates are the
 * family's list ({@link KernelFamily#candidates}, the same the implementations' {@code configs}
 * give, the device's default first; for depthwise, the configs of {@code depthwise} and
 * {@code depthwise-rows} together, so a class's winner may be either kernel), led by the device's
 * defaults as one candidate ({@link TuningTable#DEFAULTS}: each problem what selection runs without
 * a tuning entry, its own default tile, which may differ within a class, or on a GPU the direct
 * kernel where {@link GemmDefaults#gpuPrefersDirect} sends a gemm problem; a class they win is saved
 * as {@code defaults}, so tuning never replaces the device's rule with one worse tile). For each (family, class) present in the given problems,
 * every candidate runs each of the class's problems once on integer data and must reproduce the
 * direct kernel's output exactly (integer sums are exact in float32), otherwise it is discarded;
 * the survivors are timed in interleaved rounds (one run of each per round, after an untimed one of
 * its own, so that load from other work falls on all alike; the weights and bias are bound to the plan once, as a network's
 * plans hold them, so a GEMM's weight packing is not timed), each
 * keeps its least device time, and the one with the best geometric mean of speed relative to the
 * fastest candidate per problem wins, unless the class's tile in the tuning file already (timed as a
 * candidate too), or else the defaults, score within {@link #DEFAULTS_MARGIN} of it (then they keep
 * the class). A problem of the class on which the winner is at least
 * {@link #PER_PROBLEM_MARGIN} times slower than on the problem's fastest candidate keeps that
 * candidate for itself ({@link TuningTable.Entry#perProblem}); problems met later take the class's.
 * A problem that has its own tile in the tuning file keeps it (timed as a candidate too) while no
 * candidate runs it more than {@link #PER_PROBLEM_MARGIN} times faster.
 *
 * <p>A {@link Budget} bounds each class: once its time is spent (building and checking included),
 * no further candidate is tried and no further problem of the class is started; the candidates
 * tried so far are timed and compared as usual. {@code convcl tune} uses {@link Budget#UNLIMITED};
 * automatic tuning ({@link AutoTune}) a few seconds a class.
 *
 * <p>Runs on the calling thread and takes the device for itself; on POCL the quick shapes take
 * a minute or two, mostly kernel compilation.
 */
public final class Tuner {
    /** Timed rounds per problem (after the checking run, which warms up). */
    static final int RUNS = 5;
    /** A candidate this many times slower than the best after a round is not timed further. */
    static final double GIVE_UP_FACTOR = 3.0;
    /**
     * A problem of a class keeps its own tile (its fastest candidate) when the class's winner is
     * at least this many times slower on it: the classes are coarser than what decides the best
     * tile (ResNet-50's 14x14 3x3 and MobileNetV2's 1x1 ran 12-13% slower on their class's winner
     * than on their own default on POCL), and a margin above the spread of the least-of-5 timings
     * keeps noise from splitting a class.
     */
    public static final double PER_PROBLEM_MARGIN = 1.05;

    /**
     * A tile replaces the device's defaults as a class's winner only when its score is at least
     * this many times the defaults' (the margin of {@link #PER_PROBLEM_MARGIN}, for the same
     * reason): within it, the winner moved from tune to tune on POCL (resnet50.res4.3x3's class
     * went to pv 8x32 by 4% in one tune and stayed with the defaults by 3% in the next; with the
     * untimed call, to cm 48x9 by 4% and by 6%), and the device's rule, which picks a tile per
     * problem, is the better guess.
     *
     * <p>The same margin protects the class's tile in the tuning file being rewritten (the
     * incumbent, timed as a candidate whether or not the candidate list still holds it): a tune
     * replaces it only with a tile that beats it by more than the margin, so that tuning again
     * does not move a class between tiles the rounds cannot tell apart ({@code small-strided}
     * depthwise took three different tiles in three tunes on the Zen 5 VM).
     */
    public static final double DEFAULTS_MARGIN = PER_PROBLEM_MARGIN;

    /** What the defaults run where they are the direct kernel (a key among the tiles timed, never a tile). */
    private static final String DIRECT = "direct";

    private Tuner() {
    }

    /**
     * How much tuning one (family, problem class) may take.
     *
     * @param nanosPerClass wall time from the start of a class after which no further candidate or
     *                      problem is started (except the protected candidates, which always start:
     *                      the device's defaults and the tuning file's tiles for the class and its
     *                      problems, so that tuning again never drops them untimed);
     *                      {@link Long#MAX_VALUE} for no limit
     * @param clock         the time source, in nanoseconds ({@code System::nanoTime}; tests count instead)
     */
    public record Budget(long nanosPerClass, java.util.function.LongSupplier clock) {
        /** No limit: every candidate of every problem (what {@code convcl tune} does). */
        public static final Budget UNLIMITED = new Budget(Long.MAX_VALUE, System::nanoTime);

        public Budget {
            if (nanosPerClass <= 0) {
                throw new IllegalArgumentException("tuning budget " + nanosPerClass + " ns must be positive");
            }
        }

        /** A budget of {@code seconds} a class on the system clock. */
        public static Budget seconds(double seconds) {
            if (!(seconds > 0)) {
                throw new IllegalArgumentException("tuning budget " + seconds + " s must be positive");
            }
            return new Budget(seconds >= Long.MAX_VALUE / 1e9 ? Long.MAX_VALUE : (long) (seconds * 1e9), System::nanoTime);
        }

        boolean spent(long start) {
            return nanosPerClass != Long.MAX_VALUE && clock.getAsLong() - start >= nanosPerClass;
        }
    }

    /**
     * One class's outcome.
     *
     * @param family       the kernel family ({@code gemm}, {@code depthwise}, {@code deform-gemm})
     * @param problemClass the class key ({@code dense}, {@code pointwise-smallhw}, {@code large}, ...)
     * @param config       the winner, in its family's text form, or {@link TuningTable#DEFAULTS} (the
     *                     device's default tile of each problem)
     * @param gflops       its speed over the class's problems timed
     * @param candidates   candidates tried (built, checked and timed, or rejected)
     * @param rejected     candidates discarded (wrong output, failed build or launch)
     * @param perProblem   problems of the class (by {@link TuningTable#problemKey}) that ran at least
     *                     {@link #PER_PROBLEM_MARGIN} times faster on another candidate than on
     *                     {@code config}, with that candidate: saved as {@link TuningTable.Entry#perProblem}
     * @param untried      candidates the budget left out, in order: saved as {@link TuningTable.Entry#untried}
     */
    public record Choice(String family, String problemClass, String config, double gflops, int candidates,
                         int rejected, Map<String, String> perProblem, List<String> untried) {
        public Choice {
            untried = List.copyOf(untried == null ? List.of() : untried);
            // in the order the tuner met the problems (what `convcl tune` prints)
            perProblem = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(perProblem == null ? Map.of() : perProblem));
        }

        /** A choice of a class whose every candidate was tried. */
        public Choice(String family, String problemClass, String config, double gflops, int candidates, int rejected,
                      Map<String, String> perProblem) {
            this(family, problemClass, config, gflops, candidates, rejected, perProblem, List.of());
        }

        /** A choice without per-problem tiles. */
        public Choice(String family, String problemClass, String config, double gflops, int candidates, int rejected) {
            this(family, problemClass, config, gflops, candidates, rejected, Map.of());
        }
    }

    /**
     * Tunes the classes of {@code specs} on {@code ctx}'s device, every candidate, and merges the
     * winners into its tuning file in {@link TuningTable#defaultDir()}.
     *
     * @param specs    problems to tune on (any family)
     * @param progress receives one human-readable line per step (may be {@code s -> {}})
     * @return the winner per class tuned
     * @throws UncheckedIOException when the tuning file cannot be written
     */
    public static List<Choice> tune(OpenClContext ctx, List<Convolution> specs, Consumer<String> progress) {
        return tune(ctx, specs, progress, TuningTable.defaultDir());
    }

    /** As {@link #tune(OpenClContext, List, Consumer)}, with the tuning file in {@code dir}. */
    public static List<Choice> tune(OpenClContext ctx, List<Convolution> specs, Consumer<String> progress, Path dir) {
        return tune(ctx, specs, progress, dir, Budget.UNLIMITED);
    }

    /** As {@link #tune(OpenClContext, List, Consumer, Path)}, within {@code budget} per class. */
    public static List<Choice> tune(OpenClContext ctx, List<Convolution> specs, Consumer<String> progress, Path dir,
                                    Budget budget) {
        return tune(ctx, specs, progress, dir, budget, s -> KernelFamily.of(s).candidates(s, ctx.info()),
                (c, s, cfg) -> KernelFamily.of(s).create(c, s, cfg), true);
    }

    /** Makes the plan a candidate is checked and timed with (the real plan, or a test's wrapper). */
    interface PlanFactory {
        Primitive create(OpenClContext ctx, Convolution spec, String config);
    }

    static List<Choice> tune(OpenClContext ctx, List<Convolution> specs, Consumer<String> progress, Path dir,
                             Budget budget, Function<Convolution, List<String>> candidateSource, PlanFactory factory) {
        return tune(ctx, specs, progress, dir, budget, candidateSource, factory, false);
    }

    /**
     * As above; with {@code withDefaults}, the device's defaults (each problem its own,
     * {@link TuningTable#DEFAULTS}) are timed as one more candidate, first, in place of any tile
     * that is every problem's default.
     */
    static List<Choice> tune(OpenClContext ctx, List<Convolution> specs, Consumer<String> progress, Path dir,
                             Budget budget, Function<Convolution, List<String>> candidateSource, PlanFactory factory,
                             boolean withDefaults) {
        return tune(ctx, specs, progress, dir, budget, candidateSource, factory, withDefaults,
                s -> KernelFamily.of(s) == KernelFamily.GEMM && GemmDefaults.untunedPrefersDirect(s, ctx.info()).isPresent());
    }

    /**
     * As above; the defaults run a problem on the direct kernel ({@link DirectConvPlan}, not
     * through {@code factory}) where {@code defaultsRunDirect} holds: what selection does on a GPU
     * where {@link GemmDefaults#gpuPrefersDirect} sends a gemm problem (a test may say so on any device).
     */
    static List<Choice> tune(OpenClContext ctx, List<Convolution> specs, Consumer<String> progress, Path dir,
                             Budget budget, Function<Convolution, List<String>> candidateSource, PlanFactory factory,
                             boolean withDefaults, Predicate<Convolution> defaultsRunDirect) {
        OpenClDeviceInfo device = ctx.info();
        Map<String, List<Convolution>> byClass = new LinkedHashMap<>();
        for (Convolution s : specs) {
            KernelFamily f = KernelFamily.of(s);
            byClass.computeIfAbsent(TuningTable.entryKey(f, f.classKey(s)), k -> new ArrayList<>()).add(s);
        }
        progress.accept("tuning " + byClass.size() + " problem class" + (byClass.size() == 1 ? "" : "es") + " on "
                + device.describe()
                + (budget.nanosPerClass() == Long.MAX_VALUE ? ""
                : String.format(Locale.ROOT, " (at most %.1f s a class)", budget.nanosPerClass() / 1e9)));
        // What the file holds now: each class's entry is timed again and kept within the margin.
        Map<String, TuningTable.Entry> incumbents = TuningTable.load(dir, device).entries();
        List<Choice> choices = new ArrayList<>();
        // Most programs built here are thrown away, so none is written to the disk cache now
        // (writing one made POCL compile it a second time: most of a cold candidate's cost); the
        // winner's is written when a plan asks for it (ProgramCache#deferSaves).
        try (ProgramCache.SaveDeferral deferral = ctx.programs().deferSaves()) {
            for (Map.Entry<String, List<Convolution>> e : byClass.entrySet()) {
                KernelFamily family = KernelFamily.of(e.getValue().get(0));
                TuningTable.Entry before = incumbents.get(e.getKey());
                Optional<String> incumbent = Optional.ofNullable(before).map(TuningTable.Entry::config);
                Map<String, String> ownBefore = before == null ? Map.of() : before.perProblem();
                Choice c = tuneClass(ctx, family, e.getKey(), e.getValue(), budget, candidateSource, factory, withDefaults,
                        defaultsRunDirect, incumbent, ownBefore, before == null ? List.of() : before.untried(), progress);
                if (c == null) {
                    progress.accept(e.getKey() + ": no candidate passed; the class keeps its defaults");
                    continue;
                }
                choices.add(c);
                progress.accept(String.format(Locale.ROOT, "%s: %s at %.1f GFLOP/s (%d candidates, %d rejected%s)",
                        e.getKey(), c.config(), c.gflops(), c.candidates(), c.rejected(),
                        c.untried().isEmpty() ? "" : ", " + c.untried().size() + " left for a later first use"));
            }
        }
        // Read again just before writing, so a file written meanwhile (another process) loses
        // only the classes tuned here.
        TuningTable table = TuningTable.load(dir, device);
        for (Choice c : choices) {
            KernelFamily family = KernelFamily.byKey(c.family()).orElseThrow();
            String basis = byClass.get(TuningTable.entryKey(family, c.problemClass())).stream()
                    .map(Convolution::toString).collect(Collectors.joining("; "));
            table = table.with(family, c.problemClass(), new TuningTable.Entry(c.config(), c.gflops(), basis,
                    c.perProblem(), c.untried()));
        }
        try {
            Path file = table.save(dir);
            progress.accept("saved " + file);
        } catch (IOException ex) {
            throw new UncheckedIOException("writing the tuning file in " + dir, ex);
        }
        return choices;
    }

    private static Choice tuneClass(OpenClContext ctx, KernelFamily family, String cls, List<Convolution> specs,
                                    Budget budget, Function<Convolution, List<String>> candidateSource,
                                    PlanFactory factory, boolean withDefaults,
                                    Predicate<Convolution> defaultsRunDirect, Optional<String> incumbent,
                                    Map<String, String> ownBefore, List<String> untriedBefore, Consumer<String> progress) {
        long start = budget.clock().getAsLong();
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
            return tuneClass(ctx, family, cls, specs, data, expected, budget, start, candidateSource, factory,
                    withDefaults, defaultsRunDirect, incumbent, ownBefore, untriedBefore, progress);
        } finally {
            data.forEach(DeviceArgs::close);
        }
    }

    private static Choice tuneClass(OpenClContext ctx, KernelFamily family, String cls, List<Convolution> specs,
                                    List<DeviceArgs> data, List<float[]> expected, Budget budget, long start,
                                    Function<Convolution, List<String>> candidateSource, PlanFactory factory,
                                    boolean withDefaults, Predicate<Convolution> defaultsRunDirect,
                                    Optional<String> incumbent, Map<String, String> ownBefore,
                                    List<String> untriedBefore, Consumer<String> progress) {
        // Candidates of the class's widest problem (the lists are fitted to their problem: a
        // narrower one's has no tile for the wider rows) that every problem can run as fitted to it.
        Convolution widest = specs.stream().max(java.util.Comparator.comparingInt(Convolution::outW)
                .thenComparingInt(Convolution::outH)).orElseThrow();
        List<String> candidates = new ArrayList<>();
        for (String g : candidateSource.apply(widest)) {
            if (specs.stream().allMatch(s -> family.unsuitable(s, family.fitted(s, g), ctx.info()).isEmpty())) {
                candidates.add(g);
            }
        }
        if (withDefaults) {
            // The device's rule picks a tile per problem, which may be finer than the class: the
            // defaults run as one candidate, so a class entry never replaces a better rule. A tile
            // that is every problem's default is that candidate, unless the defaults run some
            // problem on the direct kernel instead: then the tile is timed on its own too.
            List<Optional<String>> defaults = specs.stream()
                    .map(s -> defaultsRunDirect.test(s) ? Optional.<String>empty() : family.defaultConfig(s, ctx.info()))
                    .toList();
            candidates.removeIf(g -> defaults.stream().allMatch(d -> d.isPresent() && d.get().equals(g)));
            candidates.add(0, TuningTable.DEFAULTS);
        }
        // The tile the tuning file holds for the class runs next; a budget never leaves it out (nor the
        // defaults, nor the file's tiles for single problems, below: the protected candidates).
        String kept = incumbent.flatMap(g -> incumbentCandidate(g, family, specs, ctx.info(), candidates, withDefaults,
                        defaultsRunDirect))
                .orElse(null);
        int next = withDefaults ? 1 : 0;
        if (kept != null && !TuningTable.DEFAULTS.equals(kept)) {
            candidates.remove(kept);
            candidates.add(next++, kept);
        }
        // Then the tiles the file holds for single problems of the class (by problem index).
        Map<Integer, String> keptOwn = new LinkedHashMap<>();
        for (int i = 0; i < specs.size(); i++) {
            String own = ownBefore.get(TuningTable.problemKey(specs.get(i)));
            Optional<String> c = own == null ? Optional.empty()
                    : incumbentCandidate(own, family, specs, ctx.info(), candidates, withDefaults, defaultsRunDirect);
            if (c.isPresent()) {
                keptOwn.put(i, c.get());
                int at = candidates.indexOf(c.get());
                if (!TuningTable.DEFAULTS.equals(c.get()) && !c.get().equals(kept) && (at < 0 || at >= next)) {
                    candidates.remove(c.get());
                    candidates.add(next++, c.get());
                }
            }
        }
        int protectedCandidates = next;
        // The candidates the last tuning's budget left out run next, in their order, so that a class
        // taken up again is not spent on the ones it already tried and lost.
        for (String g : untriedBefore) {
            int at = candidates.indexOf(g);
            if (at >= next) {
                candidates.remove(at);
                candidates.add(next++, g);
            }
        }
        // least milliseconds per candidate, one entry per problem of the class
        Map<String, double[]> times = new LinkedHashMap<>();
        candidates.forEach(g -> times.put(g, new double[specs.size()]));
        int rejected = 0;
        int tried = 0;
        List<String> untried = new ArrayList<>();
        int problems = 0;
        for (int i = 0; i < specs.size(); i++) {
            if (i > 0 && budget.spent(start)) {
                progress.accept(cls + ": budget spent after " + i + " of " + specs.size() + " problems");
                break;
            }
            problems = i + 1;
            Convolution s = specs.get(i);
            DeviceArgs args = data.get(i);
            // Every surviving candidate is built and checked first, then timed in rounds, one
            // run of each per round: load from other work then falls on all of them alike.
            Map<String, Primitive> plans = new LinkedHashMap<>();
            // Candidates that run this problem as the same tile (fitted to it) are built and timed
            // once: the later ones take the first one's time, so noise cannot tell them apart.
            Map<String, String> byConfig = new LinkedHashMap<>(); // config run -> the candidate timed
            Map<String, String> sameAs = new LinkedHashMap<>();   // candidate -> the candidate timed
            try {
                int position = 0;
                for (String g : new ArrayList<>(times.keySet())) {
                    if (i == 0 && position++ >= protectedCandidates && tried > 0 && budget.spent(start)) {
                        // Not tried: leaves the comparison, and is kept for a later tuning.
                        times.remove(g);
                        untried.add(g);
                        continue;
                    }
                    if (i == 0) {
                        tried++;
                    }
                    String failure;
                    Primitive plan = null;
                    String config = null;
                    try {
                        // The defaults are what selection runs without an entry: on a GPU, the direct
                        // kernel where the GPU rule sends the problem there, which a class entry would undo.
                        boolean direct = TuningTable.DEFAULTS.equals(g) && defaultsRunDirect.test(s);
                        config = direct ? DIRECT : TuningTable.DEFAULTS.equals(g) ? family.defaultConfig(s, ctx.info()).orElseThrow(
                                () -> new IllegalStateException("the device has no default tile for " + s))
                                : family.fitted(s, g); // as a plan will run it on this problem
                        String timed = byConfig.get(config);
                        if (timed != null) {
                            sameAs.put(g, timed);
                            continue;
                        }
                        plan = direct ? new DirectConvPlan(ctx, s) : factory.create(ctx, s, config);
                        bindConstants(plan, args);
                        failure = check(plan, s, args, expected.get(i));
                    } catch (DeviceException ex) {
                        failure = ex.kind() + ": " + firstLine(ex.getMessage());
                    } catch (RuntimeException ex) {
                        failure = String.valueOf(ex);
                    }
                    if (failure == null) {
                        plans.put(g, plan);
                        byConfig.put(config, g);
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
                sameAs.forEach((g, timed) -> {
                    double[] t = times.get(g);
                    double[] first = times.get(timed);
                    if (t != null && first != null) {
                        t[problem] = first[problem];
                    }
                });
            } finally {
                plans.values().forEach(Primitive::close);
            }
        }
        // Score: the geometric mean over the class's problems of the speed relative to the
        // fastest candidate on that problem, so a small problem of the class counts as much as
        // a large one.
        int n = problems;
        double flops = specs.subList(0, n).stream().mapToDouble(Convolution::flops).sum();
        double[] fastest = new double[n];
        Arrays.fill(fastest, Double.POSITIVE_INFINITY);
        times.values().forEach(t -> {
            for (int i = 0; i < n; i++) {
                fastest[i] = Math.min(fastest[i], t[i]);
            }
        });
        String best = null;
        double bestScore = 0;
        Map<String, Double> scores = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> e : times.entrySet()) {
            double[] t = Arrays.copyOf(e.getValue(), n);
            double logSum = 0;
            for (int i = 0; i < n; i++) {
                logSum += Math.log(fastest[i] / t[i]); // a candidate that sat out scores low
            }
            double score = Math.exp(logSum / n);
            progress.accept(String.format(Locale.ROOT, "%s: %s %.1f GFLOP/s, %.0f%% of the best per problem",
                    cls, e.getKey(), flops / Arrays.stream(t).sum() / 1e6, 100 * score));
            scores.put(e.getKey(), score);
            if (score > bestScore) {
                bestScore = score;
                best = e.getKey();
            }
        }
        if (best == null) {
            return null;
        }
        // Within the margin, the tuning file's tile keeps the class, else the device's defaults take it.
        double keptScore = kept == null ? 0 : scores.getOrDefault(kept, 0.0);
        double defaultsScore = scores.getOrDefault(TuningTable.DEFAULTS, 0.0);
        if (!best.equals(kept) && keptScore > 0 && bestScore < DEFAULTS_MARGIN * keptScore) {
            progress.accept(String.format(Locale.ROOT, "%s: %s scores %.0f%% of the best per problem, the tuning file's %s "
                    + "%.0f%%: within the margin, the class keeps it", cls, best, 100 * bestScore, kept, 100 * keptScore));
            best = kept;
        } else if (!TuningTable.DEFAULTS.equals(best) && defaultsScore > 0 && bestScore < DEFAULTS_MARGIN * defaultsScore) {
            progress.accept(String.format(Locale.ROOT, "%s: %s scores %.0f%% of the best per problem, the defaults %.0f%%: "
                    + "within the margin, the defaults keep the class", cls, best, 100 * bestScore, 100 * defaultsScore));
            best = TuningTable.DEFAULTS;
        }
        // A problem keeps the tile the file holds for it while that runs it within the margin of its
        // fastest candidate; else a problem the class's winner serves clearly worse than its own
        // fastest candidate keeps that one.
        Map<String, String> perProblem = new LinkedHashMap<>();
        double[] winner = times.get(best);
        for (int i = 0; i < n; i++) {
            int problem = i;
            String before = keptOwn.get(i);
            double[] beforeTimes = before == null ? null : times.get(before);
            String own = null;
            if (beforeTimes != null && beforeTimes[i] <= PER_PROBLEM_MARGIN * fastest[i]) {
                if (!before.equals(best)) {
                    own = before;
                    progress.accept(String.format(Locale.ROOT, "%s: %s keeps the tuning file's %s (its fastest candidate "
                            + "runs it %.0f%% faster: within the margin)", cls, specs.get(i), before,
                            100 * (beforeTimes[i] / fastest[i] - 1)));
                }
            } else if (winner[i] > PER_PROBLEM_MARGIN * fastest[i]) {
                own = times.entrySet().stream().filter(t -> t.getValue()[problem] == fastest[problem])
                        .findFirst().orElseThrow().getKey();
                progress.accept(String.format(Locale.ROOT, "%s: %s runs %.0f%% faster on %s than on %s; it keeps that",
                        cls, specs.get(i), 100 * (winner[i] / fastest[i] - 1), own, best));
            }
            if (own != null) {
                perProblem.put(TuningTable.problemKey(specs.get(i)), own);
            }
        }
        // Taken up again, the class owes only what neither this tuning nor the last one reached: the
        // losers of earlier tunings are not owed again, so the list shrinks to nothing run by run.
        if (!untriedBefore.isEmpty()) {
            untried.retainAll(untriedBefore);
        }
        return new Choice(family.key(), family.classKey(specs.get(0)), best,
                flops / Arrays.stream(Arrays.copyOf(winner, n)).sum() / 1e6, tried, rejected, perProblem, untried);
    }

    /**
     * The candidate that stands for the class's tile {@code incumbent} in the tuning file:
     * {@link TuningTable#DEFAULTS} when it is the defaults (or every problem's default tile, none
     * of them run on the direct kernel by the defaults: an entry of a tile runs the tile, where the
     * defaults would run direct) and they are timed, the tile itself when every problem can still
     * run it as fitted to it (an entry written by another version may not), else empty.
     */
    private static Optional<String> incumbentCandidate(String incumbent, KernelFamily family, List<Convolution> specs,
                                                       OpenClDeviceInfo device, List<String> candidates,
                                                       boolean withDefaults, Predicate<Convolution> defaultsRunDirect) {
        boolean isDefaults = TuningTable.DEFAULTS.equals(incumbent) || withDefaults && specs.stream()
                .allMatch(s -> !defaultsRunDirect.test(s) && family.defaultConfig(s, device).filter(incumbent::equals).isPresent());
        if (isDefaults) {
            return candidates.contains(TuningTable.DEFAULTS) ? Optional.of(TuningTable.DEFAULTS) : Optional.empty();
        }
        return specs.stream().allMatch(s -> family.unsuitable(s, family.fitted(s, incumbent), device).isEmpty())
                ? Optional.of(incumbent) : Optional.empty();
    }

    /**
     * Roles a network's plans bind once ({@link dev.convcl.CompiledGraph} binds a step's
     * constants, the CLI's bench its layer's weights and bias): the tuner binds them too and
     * leaves them out of the timed calls, so that a candidate is timed on what a repeated call
     * costs (a GEMM's weights packed at bind, not on every call).
     */
    static final java.util.Set<Arg> BOUND = java.util.EnumSet.of(Arg.WEIGHTS, Arg.BIAS);

    private static void bindConstants(Primitive plan, DeviceArgs args) {
        args.memory().forEach((role, m) -> {
            if (BOUND.contains(role)) {
                plan.bind(role, m);
            }
        });
    }

    /** The arguments of a call to a plan whose {@link #BOUND} roles are bound. */
    private static Map<Arg, Memory> callArgs(DeviceArgs args) {
        Map<Arg, Memory> m = args.memory();
        m.keySet().removeAll(BOUND);
        return m;
    }

    /** Null when {@code plan} reproduces the direct kernel's output bit for bit, else what differs. */
    private static String check(Primitive plan, Convolution spec, DeviceArgs args, float[] expected) {
        args.poisonOutput();
        plan.execute(callArgs(args));
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
     *
     * <p>In a round each plan runs once untimed, then once timed, as a layer called again and again
     * runs (bench's per-layer lines): timed straight after another candidate, a plan found the
     * caches full of that candidate's weights and columns. On POCL (Zen 5 VM, ResNet-50's 14x14
     * 3x3, docs/performance-notes.md) the rounds without it rated {@code pv 8x32} and the device's
     * {@code cm 32x14} even (257.8 and 247.5 GFLOP/s, then 247.7 and 256.3), where calls after a
     * call of their own ran {@code cm 32x14} 15-25% faster (kernel medians 0.62-0.76 ms against
     * 0.80-0.88).
     */
    private static Map<String, Double> time(Map<String, Primitive> plans, DeviceArgs args) {
        Map<String, Double> least = new LinkedHashMap<>();
        Map<Arg, Memory> call = callArgs(args);
        for (int round = 0; round < RUNS; round++) {
            double best = least.values().stream().mapToDouble(Double::doubleValue).min().orElse(Double.POSITIVE_INFINITY);
            for (Map.Entry<String, Primitive> e : plans.entrySet()) {
                Double sofar = least.get(e.getKey());
                if (sofar != null && sofar > GIVE_UP_FACTOR * best) {
                    continue;
                }
                e.getValue().execute(call); // warms the caches with this plan's own data
                e.getValue().lastDeviceMillis(); // waits for it, so the wall-time fallback below times one call
                long start = System.nanoTime();
                e.getValue().execute(call);
                double ms = e.getValue().lastDeviceMillis();
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
