package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.spi.Memory;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TunerOpenClTest {
    static final Convolution DENSE = Problems.parse("op=conv2d n=1 c=6 h=20 w=21 k=20 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=1");
    static final Convolution POINTWISE = Problems.parse("op=conv2d n=2 c=9 h=17 w=19 k=35 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1");
    static final Convolution DEPTHWISE = Problems.parse("op=conv2d n=1 c=4 h=8 w=8 k=4 kh=3 kw=3 stride=1 pad=1 dil=1 groups=4");
    static final Convolution DEFORM = Problems.parse("op=deform2d n=1 c=8 h=9 w=10 k=12 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 og=1 mask=1");
    static final List<String> CANDIDATES = List.of("cm vw=16 tm=32 tn=14 ls=1", "cm vw=8 tm=8 tn=12 ls=1",
            "pv vw=16 tm=4 tn=32 ls=1");

    @TempDir
    Path dir;

    @Test
    void winnersAreSavedReadBackAndRunCorrectly() {
        List<String> progress = new ArrayList<>();
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(DENSE, POINTWISE, DEPTHWISE, DEFORM), progress::add, dir,
                    Tuner.Budget.UNLIMITED, s -> KernelFamily.of(s) == KernelFamily.GEMM ? CANDIDATES
                            : KernelFamily.of(s).candidates(s, ctx.info()),
                    (c, s, cfg) -> KernelFamily.of(s).create(c, s, cfg));
            Map<String, String> chosen = choices.stream()
                    .collect(Collectors.toMap(c -> c.family() + "." + c.problemClass(), Tuner.Choice::config));
            assertEquals(List.of("gemm.dense", "gemm.pointwise", "depthwise.small-smallhw", "deform-gemm.deform-smallhw"),
                    List.copyOf(choices.stream().map(c -> c.family() + "." + c.problemClass()).toList()), progress.toString());
            assertTrue(Files.isRegularFile(TuningTable.fileFor(dir, ctx.info())), progress.toString());

            TuningTable table = TuningTable.load(dir, ctx.info());
            for (Convolution spec : List.of(DEPTHWISE, DEFORM)) {
                KernelFamily f = KernelFamily.of(spec);
                assertEquals(chosen.get(f.key() + "." + f.classKey(spec)), table.tuned(f, spec, ctx.info()).orElseThrow());
            }
            for (Convolution spec : List.of(DENSE, POINTWISE)) {
                GemmConfig cfg = table.configFor(spec, ctx.info());
                assertEquals(chosen.get("gemm." + ProblemClass.keyOf(spec)), cfg.toString(), spec.toString());
                assertTrue(CANDIDATES.contains(cfg.toString()), cfg.toString());
                Args args = Tensors.args(spec, 5, false, 0);
                float[] ref = CrossCheck.reference(spec, args);
                try (GemmConvPlan plan = new GemmConvPlan(ctx, spec, cfg)) {
                    Primitives.run(cl, plan, args);
                }
                double err = Tensors.relativeL2(ref, Tensors.out(args));
                assertTrue(err <= 1e-5, spec + " with tuned " + cfg + ": relative L2 " + err);
            }
            assertEquals(0, ctx.liveObjects());
        }
    }

    @Test
    void aCandidateWithWrongOutputIsNeverChosenHoweverFast() {
        String broken = "cm vw=16 tm=16 tn=28 ls=1";
        String sound = "cm vw=16 tm=32 tn=14 ls=1";
        List<String> progress = new ArrayList<>();
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            Tuner.PlanFactory factory = (c, spec, cfg) -> cfg.equals(broken)
                    ? new OffByOne(new GemmConvPlan(c, spec, GemmConfig.parse(cfg))) : new GemmConvPlan(c, spec, GemmConfig.parse(cfg));
            List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(DENSE), progress::add, dir, Tuner.Budget.UNLIMITED,
                    s -> List.of(broken, sound), factory);
            assertEquals(1, choices.size(), progress.toString());
            assertEquals(sound, choices.get(0).config(), progress.toString());
            assertEquals(1, choices.get(0).rejected(), progress.toString());
            assertTrue(progress.stream().anyMatch(l -> l.contains(broken + " rejected")), progress.toString());
            assertEquals(sound, TuningTable.load(dir, ctx.info()).configFor(DENSE, ctx.info()).toString());
        }
    }

    /**
     * Candidates are checked and timed as a network's plans run: weights and bias bound once,
     * calls without them, so a GEMM's weight packing (which runs on every call that passes the
     * weights) is not part of the time a tile is ranked by.
     */
    @Test
    void candidatesRunWithTheirWeightsBoundAsInANetwork() {
        List<String> progress = new ArrayList<>();
        List<String> events = new ArrayList<>();
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            Tuner.PlanFactory factory = recordingGemm(events);
            List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(DENSE), progress::add, dir, Tuner.Budget.UNLIMITED,
                    s -> CANDIDATES.subList(0, 2), factory);
            assertEquals(1, choices.size(), progress.toString());
            for (String cfg : CANDIDATES.subList(0, 2)) {
                List<String> mine = events.stream().filter(e -> e.startsWith(cfg + ":")).map(e -> e.substring(cfg.length() + 2))
                        .filter(e -> !e.equals("time")).toList();
                assertEquals(List.of("bind weight", "bind bias"), mine.subList(0, 2), cfg + ": " + mine);
                List<String> calls = mine.subList(2, mine.size());
                assertTrue(calls.size() >= 2, cfg + " was checked and timed at least once: " + mine);
                assertTrue(calls.stream().allMatch(e -> e.equals("execute [SRC, DST]")), cfg + ": " + mine);
            }
            assertEquals(0, ctx.liveObjects());
        }
    }

    /**
     * The device's defaults run as one candidate (each problem its own default tile), in place of
     * the tile that is every problem's default; when they win, the class is saved as
     * {@code defaults}: plans use the device's rule, and the class counts as tuned.
     */
    @Test
    void theDefaultsAreACandidateAndAreSavedAsSuchWhenTheyWin() {
        List<String> progress = new ArrayList<>();
        List<String> built = new ArrayList<>();
        Convolution second = Problems.parse("op=conv2d n=1 c=7 h=18 w=16 k=24 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            String d1 = KernelFamily.GEMM.defaultConfig(DENSE, ctx.info()).orElseThrow();
            String d2 = KernelFamily.GEMM.defaultConfig(second, ctx.info()).orElseThrow();
            List<String> offered = new ArrayList<>(List.of("cm vw=8 tm=8 tn=12 ls=1"));
            offered.add(d1);
            // the defaults (each problem's own) claim to be very fast; every other tile is real
            Tuner.PlanFactory factory = (c, spec, cfg) -> {
                built.add(cfg + " for " + spec);
                GemmConvPlan plan = new GemmConvPlan(c, spec, GemmConfig.parse(cfg));
                boolean isDefault = cfg.equals(KernelFamily.GEMM.defaultConfig(spec, c.info()).orElseThrow());
                return isDefault ? new Recording(plan, cfg, new ArrayList<>()) {
                    @Override
                    public double lastKernelMillis() {
                        return 1e-6;
                    }
                } : plan;
            };
            List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(DENSE, second), progress::add, dir,
                    Tuner.Budget.UNLIMITED, s -> offered, factory, true);
            assertEquals(1, choices.size(), progress.toString());
            assertEquals(TuningTable.DEFAULTS, choices.get(0).config(), progress.toString());
            // each problem ran its own default as the defaults candidate; d1 was not timed again
            // on its own when it is both problems' default
            assertTrue(built.contains(d1 + " for " + DENSE) && built.contains(d2 + " for " + second), built.toString());
            long d1Plans = built.stream().filter(b -> b.equals(d1 + " for " + DENSE)).count();
            assertEquals(d1.equals(d2) ? 1 : 2, d1Plans, built.toString());

            TuningTable table = TuningTable.load(dir, ctx.info());
            assertEquals(TuningTable.DEFAULTS, table.entries().get("gemm.dense").config());
            assertTrue(table.tuned(KernelFamily.GEMM, DENSE, ctx.info()).isEmpty());
            assertTrue(table.covers(KernelFamily.GEMM, DENSE, ctx.info()));
            assertEquals(d2, table.configFor(second, ctx.info()).toString());
            assertEquals(0, ctx.liveObjects());
        }
    }

    /**
     * Two problems of one depthwise class whose device defaults differ (the CPU rule halves the
     * vector on rows of 9-16 outputs; on a GPU, where both get one tile, the test does not apply
     * and is skipped): the defaults candidate runs each problem's own tile, and the first
     * problem's default stays an explicit candidate, run on both (once on the first, where it is
     * the defaults' tile).
     */
    @Test
    void theDefaultsCandidateRunsEachProblemsOwnDefault() {
        Convolution narrow = Problems.parse("op=conv2d n=1 c=4 h=40 w=12 k=4 kh=3 kw=3 stride=1 pad=1 dil=1 groups=4");
        Convolution square = Problems.parse("op=conv2d n=1 c=4 h=20 w=20 k=4 kh=3 kw=3 stride=1 pad=1 dil=1 groups=4");
        List<String> progress = new ArrayList<>();
        List<String> built = new ArrayList<>();
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            KernelFamily f = KernelFamily.DEPTHWISE;
            assertEquals(f.classKey(narrow), f.classKey(square));
            String d1 = f.defaultConfig(narrow, ctx.info()).orElseThrow();
            String d2 = f.defaultConfig(square, ctx.info()).orElseThrow();
            // CPU devices halve the vector on short rows; a GPU's rule gives both the same tile,
            // so the case this test is about does not arise there
            assumeTrue(!d1.equals(d2), "the device's rule gives these two problems one tile (" + d1 + ")");
            Tuner.PlanFactory factory = (c, spec, cfg) -> {
                built.add(cfg + " for " + spec);
                return f.create(c, spec, cfg);
            };
            List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(narrow, square), progress::add, dir,
                    Tuner.Budget.UNLIMITED, s -> List.of(d1), factory, true);
            assertEquals(1, choices.size(), progress.toString());
            // on the first problem d1 is the defaults' own tile: built and timed once, for both; on
            // the second it runs fitted to it, as a plan would run the class's tile there
            assertEquals(List.of(d1 + " for " + narrow, d2 + " for " + square, f.fitted(square, d1) + " for " + square),
                    built, "the defaults, then d1, on each problem in turn");
            assertEquals(0, ctx.liveObjects());
        }
    }

    /**
     * A tile takes a class from the device's defaults only by more than {@link Tuner#DEFAULTS_MARGIN}:
     * times made up per call, the defaults 1 ms, the other tile 3% faster (the defaults keep the
     * class) and then 10% faster (the tile wins).
     */
    @Test
    void aTileTakesTheClassFromTheDefaultsOnlyByMoreThanTheMargin() {
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            String d = KernelFamily.GEMM.defaultConfig(DENSE, ctx.info()).orElseThrow();
            String other = CANDIDATES.stream().filter(c -> !c.equals(d)).findFirst().orElseThrow();
            for (double otherMillis : new double[] {0.97, 0.90}) {
                List<String> progress = new ArrayList<>();
                Tuner.PlanFactory factory = madeUpMillis((cfg, spec) -> cfg.equals(d) ? 1.0 : otherMillis);
                List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(DENSE), progress::add, dir, Tuner.Budget.UNLIMITED,
                        s -> List.of(d, other), factory, true);
                assertEquals(1, choices.size(), progress.toString());
                assertEquals(otherMillis * Tuner.DEFAULTS_MARGIN < 1.0 ? other : TuningTable.DEFAULTS, choices.get(0).config(),
                        otherMillis + " ms against 1: " + progress);
                assertTrue(otherMillis < 0.95 || progress.stream().anyMatch(l -> l.contains("the defaults keep the class")),
                        progress.toString());
            }
            assertEquals(0, ctx.liveObjects());
        }
    }

    /**
     * Where selection runs a problem on the direct kernel without a tuning entry (on a GPU,
     * {@link GemmDefaults#gpuPrefersDirect}; here the test says so on any device), the defaults
     * candidate times the direct kernel, and the problem's default tile is timed as a tile of its
     * own: a tile slower than the direct kernel leaves the class to the defaults (so plans keep the
     * rule), one faster takes the class. An entry of the default tile in the tuning file stands
     * for that tile, not for the defaults (an entry of a tile runs the tile). The tiles' times are
     * made up (the default tile 1000 ms a call, the other 1000 ms and then a microsecond); the
     * direct kernel runs for real.
     */
    @Test
    void theDefaultsRunTheDirectKernelWhereSelectionWould() throws Exception {
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            String d = KernelFamily.GEMM.defaultConfig(DENSE, ctx.info()).orElseThrow();
            String other = CANDIDATES.stream().filter(c -> !c.equals(d)).findFirst().orElseThrow();
            for (double otherMillis : new double[] {1000, 1e-3}) {
                List<String> progress = new ArrayList<>();
                List<String> built = new ArrayList<>();
                Tuner.PlanFactory made = madeUpMillis((cfg, spec) -> cfg.equals(d) ? 1000 : otherMillis);
                Tuner.PlanFactory factory = (c, spec, cfg) -> {
                    built.add(cfg);
                    return made.create(c, spec, cfg);
                };
                List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(DENSE), progress::add, dir, Tuner.Budget.UNLIMITED,
                        s -> List.of(d, other), factory, true, s -> true);
                assertEquals(1, choices.size(), progress.toString());
                assertEquals(List.of(d, other), built, "the defaults ran the direct kernel; the default tile ran as a tile");
                assertEquals(otherMillis > 1 ? TuningTable.DEFAULTS : other, choices.get(0).config(),
                        otherMillis + " ms a call against the direct kernel: " + progress);
                TuningTable table = TuningTable.load(dir, ctx.info());
                assertEquals(otherMillis > 1, table.tuned(KernelFamily.GEMM, DENSE, ctx.info()).isEmpty(),
                        "an entry of defaults leaves the problem to the device's rule");
            }
            // the file says: the default tile for the class; tuning again times that tile as the
            // incumbent (not the direct kernel in its name) and keeps it within the margin
            String cls = KernelFamily.GEMM.classKey(DENSE);
            TuningTable.load(dir, ctx.info()).with(KernelFamily.GEMM, cls,
                    new TuningTable.Entry(d, 1.0, DENSE.toString(), Map.of())).save(dir);
            List<String> progress = new ArrayList<>();
            List<String> built = new ArrayList<>();
            Tuner.PlanFactory made = madeUpMillis((cfg, spec) -> 1e-3);
            Tuner.PlanFactory factory = (c, spec, cfg) -> {
                built.add(cfg);
                return made.create(c, spec, cfg);
            };
            List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(DENSE), progress::add, dir, Tuner.Budget.UNLIMITED,
                    s -> List.of(other), factory, true, s -> true);
            assertEquals(List.of(d, other), built, "the incumbent tile, then the candidate: " + progress);
            assertEquals(d, choices.get(0).config(), "a tie keeps the file's tile: " + progress);
            assertEquals(0, ctx.liveObjects());
        }
    }

    /**
     * Tuning again keeps the class's tile in the tuning file unless another beats it by more than
     * {@link Tuner#DEFAULTS_MARGIN}, and times it even when the candidate list no longer holds it:
     * times made up per call, the defaults always 1 ms. A 0.80 and B 0.85: A takes the class from
     * the defaults. Then B 2.5% faster than A: A keeps it. Then B alone in the list, A 0.80 and B
     * 0.78: A is timed and keeps it. Then B 0.70: B takes it.
     */
    @Test
    void tuningAgainKeepsTheFilesTileUnlessAnotherBeatsItByMoreThanTheMargin() {
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            String d = KernelFamily.GEMM.defaultConfig(DENSE, ctx.info()).orElseThrow();
            List<String> others = CANDIDATES.stream().filter(c -> !c.equals(d)).limit(2).toList();
            String a = others.get(0);
            String b = others.get(1);
            record Tune(List<String> list, double aMillis, double bMillis, String winner, String says) {
            }
            List<Tune> tunes = List.of(
                    new Tune(List.of(d, a, b), 0.80, 0.85, a, null),
                    new Tune(List.of(d, a, b), 0.82, 0.80, a, "the tuning file's " + a),
                    new Tune(List.of(d, b), 0.80, 0.78, a, "the tuning file's " + a),
                    new Tune(List.of(d, a, b), 0.80, 0.70, b, null));
            for (Tune t : tunes) {
                List<String> progress = new ArrayList<>();
                List<String> timed = new ArrayList<>();
                Tuner.PlanFactory factory = madeUpMillis((cfg, spec) -> {
                    timed.add(cfg);
                    return cfg.equals(a) ? t.aMillis() : cfg.equals(b) ? t.bMillis() : 1.0;
                });
                List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(DENSE), progress::add, dir, Tuner.Budget.UNLIMITED,
                        s -> t.list(), factory, true);
                assertEquals(1, choices.size(), progress.toString());
                assertEquals(t.winner(), choices.get(0).config(), t + ": " + progress);
                assertEquals(t.winner(), TuningTable.load(dir, ctx.info()).configFor(DENSE, ctx.info()).toString(),
                        t + ": " + progress);
                assertTrue(timed.contains(a), t + ": A was not timed: " + progress);
                assertTrue(t.says() == null ? progress.stream().noneMatch(l -> l.contains("within the margin"))
                        : progress.stream().anyMatch(l -> l.contains(t.says() + " ") && l.contains("the class keeps it")),
                        t + ": " + progress);
            }
            assertEquals(0, ctx.liveObjects());
        }
    }

    /**
     * A problem the class's winner serves clearly worse than its own fastest candidate keeps that
     * candidate: three problems of one class, times made up per (tile, problem); tile A wins the
     * class, the second problem runs twice as fast on B and keeps B, the third only 4% faster
     * (within {@link Tuner#PER_PROBLEM_MARGIN}) and takes A. Plans made from the saved file
     * follow.
     */
    @Test
    void aProblemTheClassWinnerServesClearlyWorseKeepsItsOwnTile() throws Exception {
        Convolution second = Problems.parse("op=conv2d n=1 c=7 h=18 w=16 k=24 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        Convolution third = Problems.parse("op=conv2d n=1 c=5 h=17 w=17 k=16 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        String a = CANDIDATES.get(0);
        String b = CANDIDATES.get(1);
        // milliseconds: A 1, 2, 1.04; B 3, 1, 1 -> A's geometric mean of relative speed 0.78, B's 0.69
        Map<String, Double> millis = Map.of(a + DENSE, 1.0, a + second, 2.0, a + third, 1.04,
                b + DENSE, 3.0, b + second, 1.0, b + third, 1.0);
        List<String> progress = new ArrayList<>();
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            Tuner.PlanFactory factory = madeUpMillis((cfg, spec) -> millis.get(cfg + spec));
            List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(DENSE, second, third), progress::add, dir,
                    Tuner.Budget.UNLIMITED, s -> List.of(a, b), factory);
            assertEquals(1, choices.size(), progress.toString());
            assertEquals(a, choices.get(0).config(), progress.toString());
            assertEquals(Map.of(TuningTable.problemKey(second), b), choices.get(0).perProblem(), progress.toString());
            assertTrue(progress.stream().anyMatch(l -> l.contains(second + " runs 100% faster on " + b)), progress.toString());

            TuningTable table = TuningTable.load(dir, ctx.info());
            assertEquals(Map.of(TuningTable.problemKey(second), b), table.entries().get("gemm.dense").perProblem());
            assertEquals(a, table.configFor(DENSE, ctx.info()).toString());
            assertEquals(b, table.configFor(second, ctx.info()).toString());
            assertEquals(b, table.configFor(Problems.parse(second.toString().replace("bias=0", "bias=1 post=relu")),
                    ctx.info()).toString());
            assertEquals(a, table.configFor(third, ctx.info()).toString());
            assertTrue(Files.readString(TuningTable.fileFor(dir, ctx.info()))
                    .contains("gemm.dense.problems=" + TuningTable.problemKey(second) + " -> " + b));
            assertEquals(0, ctx.liveObjects());
        }
    }

    /**
     * Tuning again keeps a problem's own tile from the tuning file unless another candidate runs
     * it more than {@link Tuner#PER_PROBLEM_MARGIN} times faster: three tunes in a row, times made
     * up per (tile, problem). A wins the class each time. The second problem takes B in the first
     * tune; in the second C runs it 3% faster, and it keeps B, timed although the candidate list
     * no longer holds it; in the third C runs it 11% faster and takes it.
     */
    @Test
    void tuningAgainKeepsAProblemsOwnTileUnlessAnotherBeatsItByMoreThanTheMargin() {
        Convolution second = Problems.parse("op=conv2d n=1 c=7 h=18 w=16 k=24 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        Convolution third = Problems.parse("op=conv2d n=1 c=5 h=17 w=17 k=16 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        String a = CANDIDATES.get(0);
        String b = CANDIDATES.get(1);
        String c = CANDIDATES.get(2);
        record Tune(List<String> list, double cOnSecond, String own, String says) {
        }
        List<Tune> tunes = List.of(
                new Tune(List.of(a, b, c), 1.5, b, null),
                new Tune(List.of(a, c), 0.97, b, "keeps the tuning file's " + b),
                new Tune(List.of(a, b, c), 0.90, c, "runs 122% faster on " + c));
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            for (Tune t : tunes) {
                // milliseconds on (DENSE, second, third): A 1, 2, 1.04; B 3, 1, 1; C 3, t.cOnSecond, 3
                Map<String, Double> millis = Map.of(a + DENSE, 1.0, a + second, 2.0, a + third, 1.04,
                        b + DENSE, 3.0, b + second, 1.0, b + third, 1.0,
                        c + DENSE, 3.0, c + second, t.cOnSecond(), c + third, 3.0);
                List<String> progress = new ArrayList<>();
                Tuner.PlanFactory factory = madeUpMillis((cfg, spec) -> millis.get(cfg + spec));
                List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(DENSE, second, third), progress::add, dir,
                        Tuner.Budget.UNLIMITED, s -> t.list(), factory);
                assertEquals(1, choices.size(), t + ": " + progress);
                assertEquals(a, choices.get(0).config(), t + ": " + progress);
                assertEquals(Map.of(TuningTable.problemKey(second), t.own()), choices.get(0).perProblem(),
                        t + ": " + progress);
                assertEquals(t.own(), TuningTable.load(dir, ctx.info()).configFor(second, ctx.info()).toString(),
                        t + ": " + progress);
                assertTrue(t.says() == null ? progress.stream().noneMatch(l -> l.contains("keeps the tuning file's"))
                        : progress.stream().anyMatch(l -> l.contains(second + " " + t.says())), t + ": " + progress);
            }
            assertEquals(0, ctx.liveObjects());
        }
    }

    /**
     * GEMM plans of the configuration asked for whose timed runs report made-up times:
     * {@code millis} of (configuration, problem), in milliseconds.
     */
    private static Tuner.PlanFactory madeUpMillis(java.util.function.ToDoubleBiFunction<String, Convolution> millis) {
        return (c, spec, cfg) -> new Recording(new GemmConvPlan(c, spec, GemmConfig.parse(cfg)), cfg, new ArrayList<>()) {
            @Override
            public double lastKernelMillis() {
                return millis.applyAsDouble(cfg, spec);
            }
        };
    }

    /** GEMM plans of the configuration asked for, each logging to {@code log} under its configuration's text. */
    private static Tuner.PlanFactory recordingGemm(List<String> log) {
        return (c, spec, cfg) -> new Recording(new GemmConvPlan(c, spec, GemmConfig.parse(cfg)), cfg, log);
    }

    /** A plan that logs what it is bound and called with. */
    private static class Recording implements Primitive {
        private final Primitive inner;
        private final String name;
        private final List<String> log;

        Recording(Primitive inner, String name, List<String> log) {
            this.inner = inner;
            this.name = name;
            this.log = log;
        }

        @Override
        public String algorithm() {
            return inner.algorithm();
        }

        @Override
        public void bind(Arg role, Memory memory) {
            log.add(name + ": bind " + role.displayName());
            inner.bind(role, memory);
        }

        @Override
        public void execute(Map<Arg, Memory> args) {
            log.add(name + ": execute " + new java.util.TreeSet<>(args.keySet()));
            inner.execute(args);
        }

        @Override
        public double lastKernelMillis() {
            log.add(name + ": time");
            return inner.lastKernelMillis();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /**
     * The candidates of a class come from its widest problem, whatever the order the problems are
     * given in: the lists are fitted to their problem, and a narrower problem's has no tile for
     * the wider rows.
     */
    @Test
    void aClassTakesItsCandidatesFromItsWidestProblem() {
        Convolution narrow = Problems.parse("op=conv2d n=1 c=4 h=28 w=28 k=4 kh=3 kw=3 stride=1 pad=1 dil=1 groups=4");
        Convolution wide = Problems.parse("op=conv2d n=1 c=4 h=20 w=112 k=4 kh=3 kw=3 stride=1 pad=1 dil=1 groups=4");
        List<Convolution> asked = new ArrayList<>();
        List<String> progress = new ArrayList<>();
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            KernelFamily f = KernelFamily.DEPTHWISE;
            assertEquals(f.classKey(narrow), f.classKey(wide));
            List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(narrow, wide), progress::add, dir, Tuner.Budget.UNLIMITED,
                    s -> {
                        asked.add(s);
                        return f.candidates(s, ctx.info()).subList(0, 2);
                    }, (c, s, cfg) -> f.create(c, s, cfg), true);
            assertEquals(1, choices.size(), progress.toString());
            assertEquals(List.of(wide), asked, progress.toString());
            assertEquals(0, ctx.liveObjects());
        }
    }

    /**
     * In the interleaved rounds each candidate's timed call comes straight after an untimed call
     * of its own, so it finds the caches holding its own weights and columns, as a layer called
     * again and again does, not the previous candidate's.
     */
    @Test
    void eachTimedCallFollowsAnUntimedCallOfTheSameCandidate() {
        List<String> progress = new ArrayList<>();
        List<String> events = new ArrayList<>();
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            Tuner.PlanFactory factory = recordingGemm(events);
            List<String> two = CANDIDATES.subList(0, 2);
            Tuner.tune(ctx, List.of(DENSE), progress::add, dir, Tuner.Budget.UNLIMITED, s -> two, factory);
            List<String> calls = events.stream().filter(e -> e.endsWith("execute [SRC, DST]"))
                    .map(e -> e.substring(0, e.indexOf(':'))).toList();
            // each built and checked once, in order; then the rounds
            assertEquals(two, calls.subList(0, 2), calls.toString());
            List<String> rounds = calls.subList(2, calls.size());
            assertTrue(rounds.size() >= 4 && rounds.size() % 2 == 0, rounds.toString());
            for (int i = 0; i < rounds.size(); i += 2) {
                assertEquals(rounds.get(i), rounds.get(i + 1), "call " + i + " of the rounds: " + rounds);
            }
            assertTrue(java.util.stream.IntStream.range(1, rounds.size() / 2)
                    .anyMatch(i -> !rounds.get(2 * i).equals(rounds.get(2 * i - 2))), "interleaved: " + rounds);
            // in the rounds every call is waited for (its time read) before the next starts, the
            // untimed one too, so that a timed call (or its wall-time fallback) is one call
            int firstRound = 0;
            for (int seen = 0; seen < 2; firstRound++) {
                if (events.get(firstRound).endsWith("execute [SRC, DST]")) {
                    seen++;
                }
            }
            List<String> after = events.subList(firstRound, events.size()).stream()
                    .filter(e -> e.endsWith("execute [SRC, DST]") || e.endsWith(": time"))
                    .map(e -> e.endsWith(": time") ? "time" : "execute").toList();
            int checkTimes = (int) after.stream().takeWhile(e -> e.equals("time")).count(); // the checks' own reads
            List<String> pattern = after.subList(checkTimes, after.size());
            for (int i = 0; i < pattern.size(); i++) {
                assertEquals(i % 2 == 0 ? "execute" : "time", pattern.get(i), "event " + i + " of the rounds: " + pattern);
            }
            assertEquals(0, ctx.liveObjects());
        }
    }

    /**
     * The budget bounds the candidates tried, counted, not timed: each plan built advances a
     * made-up clock by one second, so a budget of 2.5 s lets exactly three of the six depthwise
     * candidates start, and the second problem of the class is not started at all.
     */
    @Test
    void tuningStopsTryingCandidatesOnceItsBudgetIsSpent() {
        List<String> progress = new ArrayList<>();
        long[] now = {0};
        List<String> built = new ArrayList<>();
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            List<String> six = KernelFamily.DEPTHWISE.candidates(DEPTHWISE, ctx.info()).subList(0, 6);
            Convolution second = Problems.parse("op=conv2d n=1 c=3 h=9 w=7 k=3 kh=3 kw=3 stride=1 pad=1 dil=1 groups=3");
            Tuner.Budget budget = new Tuner.Budget(2_500_000_000L, () -> now[0]);
            List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(DEPTHWISE, second), progress::add, dir, budget,
                    s -> six, (c, s, cfg) -> {
                        built.add(cfg + " for " + s);
                        now[0] += 1_000_000_000L;
                        return KernelFamily.DEPTHWISE.create(c, s, cfg);
                    });
            assertEquals(1, choices.size(), progress.toString());
            assertEquals(3, choices.get(0).candidates(), progress.toString());
            assertEquals(six.subList(0, 3).stream().map(c -> c + " for " + DEPTHWISE).toList(), built, progress.toString());
            assertTrue(six.subList(0, 3).contains(choices.get(0).config()), choices.toString());
            assertTrue(progress.stream().anyMatch(l -> l.contains("budget spent after 1 of 2 problems")), progress.toString());
            // the three left out are saved with the entry, in their order
            assertEquals(six.subList(3, 6), choices.get(0).untried(), progress.toString());
            TuningTable.Entry saved = TuningTable.load(dir, ctx.info()).get(KernelFamily.DEPTHWISE,
                    KernelFamily.DEPTHWISE.classKey(DEPTHWISE)).orElseThrow();
            assertEquals(six.subList(3, 6), saved.untried());

            // Taken up again with the same budget: the file's tile first, then the ones left out.
            Tuner.PlanFactory counting = (c, s, cfg) -> {
                built.add(cfg);
                now[0] += 1_000_000_000L;
                return KernelFamily.DEPTHWISE.create(c, s, cfg);
            };
            String first = choices.get(0).config();
            built.clear();
            progress.clear();
            List<Tuner.Choice> again = Tuner.tune(ctx, List.of(DEPTHWISE), progress::add, dir, budget, s -> six, counting);
            assertEquals(List.of(first, six.get(3), six.get(4)), built, progress.toString());
            // owed now: only what neither tuning reached (the first one's losers are not owed again)
            assertEquals(List.of(six.get(5)), again.get(0).untried(), progress.toString());

            // A third time: the file's tile, the one still owed, then one more before the budget
            // runs out; nothing is owed any longer, so the entry is complete.
            String secondWinner = again.get(0).config();
            built.clear();
            progress.clear();
            List<Tuner.Choice> third = Tuner.tune(ctx, List.of(DEPTHWISE), progress::add, dir, budget, s -> six, counting);
            assertEquals(3, built.size(), progress.toString());
            assertEquals(secondWinner, built.get(0), progress.toString());
            if (!secondWinner.equals(six.get(5))) {
                assertEquals(six.get(5), built.get(1), progress.toString());
            }
            assertEquals(List.of(), third.get(0).untried(), progress.toString());
            assertTrue(TuningTable.load(dir, ctx.info()).complete(KernelFamily.DEPTHWISE, DEPTHWISE));
            assertEquals(0, ctx.liveObjects());
        }
    }

    /**
     * However small the budget, a tuning with the device's defaults also times the tile the tuning
     * file holds for the class: the budget cannot make it drop the file's winner untimed.
     */
    @Test
    void theBudgetNeverLeavesOutTheDefaultsOrTheFilesTile() {
        List<String> progress = new ArrayList<>();
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            List<String> six = KernelFamily.DEPTHWISE.candidates(DEPTHWISE, ctx.info()).subList(0, 6);
            String defaults = KernelFamily.DEPTHWISE.defaultConfig(DEPTHWISE, ctx.info()).orElseThrow();
            String winner = six.stream().filter(c -> !c.equals(defaults)).findFirst().orElseThrow();
            // the file's tile for the class: a tune of that one candidate alone
            Tuner.tune(ctx, List.of(DEPTHWISE), progress::add, dir, Tuner.Budget.UNLIMITED, s -> List.of(winner),
                    (c, s, cfg) -> KernelFamily.DEPTHWISE.create(c, s, cfg));
            assertEquals(winner, TuningTable.load(dir, ctx.info()).get(KernelFamily.DEPTHWISE,
                    KernelFamily.DEPTHWISE.classKey(DEPTHWISE)).orElseThrow().config(), progress.toString());

            long[] now = {0};
            List<String> built = new ArrayList<>();
            List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(DEPTHWISE), progress::add, dir,
                    new Tuner.Budget(1, () -> now[0]), s -> six, (c, s, cfg) -> {
                        built.add(cfg);
                        now[0] += 1_000_000_000L;
                        return KernelFamily.DEPTHWISE.create(c, s, cfg);
                    }, true);
            assertEquals(List.of(defaults, KernelFamily.DEPTHWISE.fitted(DEPTHWISE, winner)), built, progress.toString());
            assertEquals(2, choices.get(0).candidates(), progress.toString());
            assertEquals(six.size() - (six.contains(defaults) ? 2 : 1), choices.get(0).untried().size(), progress.toString());
            assertEquals(0, ctx.liveObjects());
        }
    }

    /** A plan that claims to be very fast and gets one output wrong. */
    private static final class OffByOne implements Primitive {
        private final Primitive inner;

        OffByOne(Primitive inner) {
            this.inner = inner;
        }

        @Override
        public String algorithm() {
            return inner.algorithm();
        }

        @Override
        public void bind(Arg role, Memory memory) {
            inner.bind(role, memory);
        }

        @Override
        public void execute(Map<Arg, Memory> args) {
            inner.execute(args);
            DeviceBuffer dst = (DeviceBuffer) args.get(Arg.DST);
            HostTensor out = Tensor.zeros((int) (dst.bytes() / 4));
            dst.read(out);
            out.array()[out.size() / 2] += 1;
            dst.write(out);
        }

        @Override
        public double lastKernelMillis() {
            return 1e-6;
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
