package dev.convcl.cli;

import dev.convcl.Engine;
import dev.convcl.Plan;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeviceChoice;
import dev.convcl.reference.ProblemCorpus;
import dev.convcl.reference.ReferenceConv;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.TreeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code convcl verify}: the chosen device against the reference, on the suite's problems made small and on random ones. */
@Command(name = "verify", sortOptions = false, description = {
        "Checks the chosen device against the reference (plain loops, double accumulation).",
        "The problems:",
        "- every problem of the bundled suite, shrunk to batch 1, height and width <= 12, <= 4 groups of "
                + "<= 8 input and output channels (depthwise stays depthwise), bias on;",
        "- the library's hand-picked odd cases (dev.convcl.reference.ProblemCorpus: sizes 1 to 33, 31x31 kernels, "
                + "torchvision's own deform_conv2d test problem, ...);",
        "- N random problems of each family: dense, dilated, grouped, depthwise, depthwise multiplier, 1x1, "
                + "asymmetric, large kernel, deform v1, deform v2.",
        "A problem passes when relative L2 <= 1e-4 and every output element was written. Prints one line a "
                + "family, each failure with its one-line problem, and last 'N passed, M failed'. "
                + "Exits 1 on any failure."})
final class VerifyCommand extends CliCommand {

    @Option(names = "--device", paramLabel = "auto|cpu|opencl|opencl:N", defaultValue = "auto",
            description = "Device to check (default: ${DEFAULT-VALUE}; "
                    + DEVICE_DEFAULT_HELP + ").")
    DeviceChoice device;

    @Option(names = "--count", paramLabel = "N", defaultValue = "10",
            description = "Random problems a family, at least 1 (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the random problems and data (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws IOException {
        device = device(device);
        if (count < 1) {   // 0 would leave each family a row of nothing: "0 passed, 0 failed ... ran on: "
            throw new IllegalArgumentException("--count " + typed("--count", count) + " must be at least 1");
        }
        List<BenchSuite.Problem> suite = BenchSuite.load(null);
        int passed = 0, failed = 0;
        try (Engine engine = Engine.create(device)) {
            out().printf(Locale.ROOT, "verify on %s: relative L2 <= %.0e against the reference, seed %d%n",
                    engine.deviceName(), ProblemData.TOLERANCE, seed);
            SplittableRandom data = new SplittableRandom(seed);
            List<Convolution> shrunk = new ArrayList<>();
            for (BenchSuite.Problem p : suite) {
                shrunk.add(SpecFamily.shrink(p.spec().withBias(true)));
            }
            Tally t = check(engine, "suite, shrunk", shrunk, data);
            passed += t.passed;
            failed += t.failed;
            t = check(engine, "hand-picked", handPicked(), data);
            passed += t.passed;
            failed += t.failed;
            SplittableRandom specs = new SplittableRandom(seed);
            for (SpecFamily family : SpecFamily.values()) {
                SplittableRandom familySpecs = specs.split();
                List<Convolution> random = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    random.add(family.random(familySpecs));
                }
                t = check(engine, family.label(), random, data);
                passed += t.passed;
                failed += t.failed;
            }
        }
        out().println(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : Main.EXIT_FAILED_CHECK;
    }

    /** The library's own corpus of odd cases (sizes 1 and 33, torchvision's deform_conv2d test problem, ...). */
    static List<Convolution> handPicked() {
        List<Convolution> specs = new ArrayList<>(ProblemCorpus.conv2d().values());
        specs.addAll(ProblemCorpus.deform2d().values());
        return specs;
    }

    private static final class Tally {
        int passed;
        int failed;
        double worst;
        final TreeSet<String> ranOn = new TreeSet<>();
    }

    private Tally check(Engine engine, String label, List<Convolution> specs, SplittableRandom data) {
        Tally t = new Tally();
        for (Convolution spec : specs) {
            Args args = ProblemData.random(spec, data.nextLong());
            Args ref = ProblemData.freshOutput(args, spec);
            ReferenceConv.run(spec, ref);
            double err;
            try (Plan plan = engine.plan(spec)) {
                plan.execute(args);
                t.ranOn.add(plan.backend() + " " + plan.algorithm());
            }
            err = ProblemData.relativeL2(ProblemData.output(ref), ProblemData.output(args));
            if (err <= ProblemData.TOLERANCE) {
                t.passed++;
                t.worst = Math.max(t.worst, err);
            } else {
                t.failed++;
                out().printf(Locale.ROOT, "  FAIL %s: relative L2 %.2e%n", spec, err);
            }
        }
        out().printf(Locale.ROOT, "%-22s %4d passed, %d failed   worst relative L2 %.1e   ran on: %s%n", label,
                t.passed, t.failed, t.worst, String.join(", ", t.ranOn));
        out().flush();
        return t;
    }
}
