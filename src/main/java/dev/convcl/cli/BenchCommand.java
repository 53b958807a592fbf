package dev.convcl.cli;

import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import dev.convcl.cpu.CpuBackend;
import dev.convcl.opencl.OpenClContext;
import dev.convcl.spi.Internals;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code convcl bench}: times a suite of problems on the device and on the CPU path. */
@Command(name = "bench", sortOptions = false, description = {
        "Times each problem of a shapes file on the chosen device and on the CPU path.",
        "The default shapes file is the bundled suite of published network layers. Each result is first "
                + "checked against the CPU path and the reference; a result that does not match is FAIL and "
                + "is not timed. Each problem is timed on host arrays and on device tensors, with its weights "
                + "bound once. --chain times a fixed chain of " + BenchChain.LAYER_COUNT + " layers on device "
                + "tensors instead. Progress goes to stderr, a table to stdout. Exits 1 if any result FAILed."})
final class BenchCommand extends CliCommand {

    @Option(names = "--chain", description = "Time the fixed chain of " + BenchChain.LAYER_COUNT + " network layers on "
            + "device tensors (input in, every layer on the device, output out) instead of a shapes file.")
    boolean chain;

    @Option(names = "--shapes", paramLabel = "FILE",
            description = "Shapes file: a name then key=value fields a line (default: the bundled suite).")
    Path shapes;

    @Option(names = "--quick", description = "Only the problems marked quick=1 (a few minutes on a 2-core CPU).")
    boolean quick;

    @Option(names = "--filter", paramLabel = "REGEX", description = "Only problems whose name contains a match.")
    String filter;

    @Option(names = "--batch", paramLabel = "N[,N...]",
            description = "Time each problem at each of these batch sizes (its n replaced), e.g. 1,8,32, and print "
                    + "how GFLOP/s and the time per image change with the batch.")
    String batch;

    @Option(names = "--device", paramLabel = "auto|cpu|opencl|opencl:N", defaultValue = "auto",
            description = "Device under test (default: ${DEFAULT-VALUE}); cpu times the CPU path alone.")
    DeviceChoice device;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1",
            description = "Untimed calls after the checking call, at least (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "0.5",
            description = "Untimed calls go on until this long has passed, up to " + BenchRunner.MAX_WARMUP
                    + " calls, so the JIT has compiled the CPU path (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--iters", paramLabel = "N", defaultValue = "10",
            description = "Timed calls at most (default: ${DEFAULT-VALUE}).")
    int iters;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "2",
            description = "Time budget of a problem on a backend: timing stops after it once "
                    + BenchRunner.MIN_TIMED + " calls are timed (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--reference-mflop", paramLabel = "M", defaultValue = "20",
            description = "Most MFLOP the slow reference spends on a problem; larger ones are checked on a slice "
                    + "of their output channels (default: ${DEFAULT-VALUE}).")
    double referenceMflop;

    @Option(names = "--no-peak", description = "Skip the share of the measured peak (saves measuring it once).")
    boolean noPeak;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON.")
    Path json;

    @Option(names = "--csv", paramLabel = "FILE", description = "Write the results as CSV.")
    Path csv;

    @Option(names = "--plot", paramLabel = "FILE", description = "Write a bar chart: self-contained SVG, or an HTML page holding it if FILE ends in .html.")
    Path plot;

    @Override
    public Integer call() throws IOException {
        if (!(warmupSeconds >= 0)) {
            throw new IllegalArgumentException("--warmup-seconds " + warmupSeconds + " must not be negative");
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("--warmup " + warmup + " must not be negative");
        }
        if (iters < 1) {
            throw new IllegalArgumentException("--iters " + iters + " must be at least 1");
        }
        if (!(seconds >= 0)) {
            throw new IllegalArgumentException("--seconds " + seconds + " must not be negative");
        }
        if (!(referenceMflop > 0)) {
            throw new IllegalArgumentException("--reference-mflop " + referenceMflop + " must be positive");
        }
        List<Integer> batches = batch == null ? null : BenchBatches.parse(batch);
        if (chain) {
            if (batches != null) {
                throw new IllegalArgumentException("--chain times its fixed chain at its own batch; it takes no --batch");
            }
            return runChain();
        }
        Pattern pattern;
        try {
            pattern = filter == null ? null : Pattern.compile(filter);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("--filter '" + filter + "' is not a regular expression: "
                    + e.getDescription());
        }
        List<BenchSuite.Problem> problems = BenchSuite.select(
                BenchSuite.load(shapes == null ? null : new FileArg("shapes file", "--shapes", shapes)), quick, pattern);
        if (batches != null) {
            problems = BenchBatches.expand(problems, batches);
        }
        // Found out now rather than after minutes of timing.
        for (FileArg f : reports()) {
            f.checkWritable();
        }
        try (Engine engine = Engine.create(device);
             Engine cpuEngine = Internals.primary(engine) == Internals.cpu(engine) ? null : Engine.create(DeviceChoice.CPU)) {
            Engine cpu = cpuEngine == null ? engine : cpuEngine;
            Optional<OpenClContext> ctx = PeakCommand.openClContext(engine);
            if (ctx.isEmpty() && device.kind() != DeviceChoice.Kind.CPU) {
                err().println("bench: no OpenCL device in use; timing the CPU path only");
            }
            err().println("bench: " + problems.size() + (problems.size() == 1 ? " problem on " : " problems on ") + engine.deviceName()
                    + (cpuEngine != null ? " and the CPU path" : "") + "; " + describeTiming());
            err().flush();
            Peak.Result devicePeak = null, cpuPeak = null;
            PeakCache cache = PeakCache.standard();
            CpuBackend cpuPath = (CpuBackend) Internals.cpu(cpu);
            String cpuKey = PeakCache.javaKey(cpuPath.threads());
            String deviceKey = ctx.map(c -> PeakCache.key(c.info())).orElse(null);
            if (!noPeak) {
                // One line for whatever is not cached yet (the device, the CPU path or both).
                List<String> uncached = new ArrayList<>();
                if (deviceKey != null && cache.get(deviceKey).isEmpty()) {
                    uncached.add(engine.deviceName());
                }
                if (cache.get(cpuKey).isEmpty()) {
                    uncached.add("the CPU path");
                }
                if (!uncached.isEmpty()) {
                    err().println("bench: measuring the peak of " + String.join(" and ", uncached)
                            + " (cached when its repeats agree; 'convcl peak' measures again) ...");
                    err().flush();
                }
                if (deviceKey != null) {
                    devicePeak = PeakCommand.cachedOrMeasured(cache, deviceKey, () -> Peak.measure(ctx.get()), err());
                }
                cpuPeak = PeakCommand.cachedOrMeasured(cache, cpuKey,
                        () -> Peak.measureJava(cpuPath.deviceName(), cpuPath.threads()), err());
            }
            BenchRunner runner = new BenchRunner(engine, cpu, new BenchRunner.Settings(warmup, warmupSeconds, iters, seconds, referenceMflop * 1e6),
                    err());
            List<BenchRow> measured = runner.run(problems);
            // No share above 100%: a result faster than its peak has the peak measured again.
            PeakShares.Outcome shares = PeakShares.settle(measured, devicePeak, cpuPeak, backend -> {
                boolean onCpu = PeakShares.CPU.equals(backend);
                err().println("bench: a result on " + backend + " ran above the measured peak; measuring the peak again ...");
                err().flush();
                return onCpu ? PeakCommand.measureAndKeep(cache, cpuKey,
                        () -> Peak.measureJava(cpuPath.deviceName(), cpuPath.threads()), err())
                        : ctx.isEmpty() ? null : PeakCommand.measureAndKeep(cache, deviceKey, () -> Peak.measure(ctx.get()), err());
            });
            List<BenchRow> rows = shares.rows();
            devicePeak = shares.devicePeak();
            cpuPeak = shares.cpuPeak();

            out().println("device: " + engine.deviceName());
            if (devicePeak != null) {
                out().printf(Locale.ROOT, "device peak: %.1f GFLOP/s fp32 FMA, %.1f GB/s%n", devicePeak.gflops(), devicePeak.gbPerS());
            }
            if (cpuPeak != null) {
                out().printf(Locale.ROOT, "CPU path peak: %.1f GFLOP/s fp32 FMA, %.1f GB/s (%s)%n", cpuPeak.gflops(),
                        cpuPeak.gbPerS(), cpuPeak.device());
            }
            out().println("times: " + describeTiming() + "; weights and bias bound once;");
            out().println("host-array ms: a call on host arrays (input and output copied); device-tensor ms: a call on"
                    + " device tensors (no copies); GFLOP/s from host-array ms;");
            out().println("peak: kernel GFLOP/s (wall GFLOP/s on the CPU path) / the measured FMA peak");
            BenchReport.table(rows, out());
            if (batches != null) {
                BenchBatches.print(rows, batches, out());
            }
            for (String note : shares.notes()) {
                out().println("peak: " + note);
            }
            long failed = rows.stream().filter(r -> !r.ok()).count();
            for (BenchRow r : rows) {
                if (!r.ok()) {
                    out().println("FAIL " + r.name() + " on " + r.backend() + ": " + r.error() + "  [" + r.spec() + "]");
                }
            }
            out().println(rows.size() - failed + " results ok, " + failed + " FAIL");
            out().flush();
            writeFiles(engine.deviceName(), devicePeak, cpuPeak, rows);
            return failed == 0 ? 0 : Main.EXIT_FAILED_CHECK;
        }
    }

    /** {@code --chain}: the chain on the device and on the CPU path, a table, and the report files. */
    private int runChain() throws IOException {
        List<String> notWith = new ArrayList<>();
        if (shapes != null) {
            notWith.add("--shapes");
        }
        if (quick) {
            notWith.add("--quick");
        }
        if (filter != null) {
            notWith.add("--filter");
        }
        if (plot != null) {
            notWith.add("--plot");
        }
        if (!notWith.isEmpty()) {
            throw new IllegalArgumentException("--chain times its fixed chain of " + BenchChain.LAYER_COUNT
                    + " layers; it takes no " + String.join(", ", notWith));
        }
        for (FileArg f : reports()) {
            f.checkWritable();
        }
        try (Engine engine = Engine.create(device);
             Engine cpuEngine = Internals.primary(engine) == Internals.cpu(engine) ? null : Engine.create(DeviceChoice.CPU)) {
            Engine cpu = cpuEngine == null ? engine : cpuEngine;
            if (engine.backend().equals("cpu") && device.kind() != DeviceChoice.Kind.CPU) {
                err().println("bench: no OpenCL device in use; timing the CPU path only");
            }
            err().println("bench: the chain of " + BenchChain.LAYER_COUNT + " layers on " + engine.deviceName()
                    + (cpuEngine != null ? " and the CPU path" : "") + "; " + describeTiming());
            err().flush();
            List<BenchChain.Row> rows = new BenchChain(engine, cpu, new BenchRunner.Settings(warmup, warmupSeconds,
                    iters, seconds, referenceMflop * 1e6), err()).run();
            out().println("device: " + engine.deviceName());
            out().println("chain: " + BenchChain.LAYER_COUNT + " layers shaped after ResNet-50, MobileNetV2, DRN, DCNv2, "
                    + "ResNeXt-50, RepLKNet-31B and Inception-v3 at 28x28, input "
                    + Arrays.toString(BenchChain.LAYERS.get(0).op().inputShape()) + ", weights and bias bound once");
            out().println("times: " + describeTiming() + "; wall ms: one call (input upload, every layer, output "
                    + "download); kernel ms: the layers' profiled kernel times in one call, summed; host transfers: "
                    + "host-device copies in one call");
            BenchChain.print(rows, out());
            long failed = rows.stream().filter(r -> !r.ok()).count();
            for (BenchChain.Row r : rows) {
                if (!r.ok()) {
                    out().println("FAIL chain on " + r.backend() + ": " + r.error());
                }
            }
            out().println(rows.size() - failed + " results ok, " + failed + " FAIL");
            out().flush();
            List<Map<String, Object>> fields = BenchChain.fields(rows);
            if (json != null) {
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("date", Instant.now().toString());
                extra.put("warmup", warmup);
                extra.put("iters", iters);
                extra.put("seconds", seconds);
                String text = BenchReport.jsonOf(engine.deviceName(), extra, fields);
                new FileArg("JSON report", "--json", json).write(o -> o.write(text.getBytes(StandardCharsets.UTF_8)));
                err().println("bench: wrote " + json);
            }
            if (csv != null) {
                String text = BenchReport.csvOf(fields);
                new FileArg("CSV report", "--csv", csv).write(o -> o.write(text.getBytes(StandardCharsets.UTF_8)));
                err().println("bench: wrote " + csv);
            }
            return failed == 0 ? 0 : Main.EXIT_FAILED_CHECK;
        }
    }

    /** The report files asked for. */
    private List<FileArg> reports() {
        List<FileArg> files = new ArrayList<>();
        if (json != null) {
            files.add(new FileArg("JSON report", "--json", json));
        }
        if (csv != null) {
            files.add(new FileArg("CSV report", "--csv", csv));
        }
        if (plot != null) {
            files.add(new FileArg("plot", "--plot", plot));
        }
        return files;
    }

    private String describeTiming() {
        return String.format(Locale.ROOT, "median of %d to %d calls (%.3g s budget) after a checking call and %d warm-up",
                Math.min(BenchRunner.MIN_TIMED, iters), iters, seconds, warmup);
    }

    private void writeFiles(String deviceName, Peak.Result devicePeak, Peak.Result cpuPeak, List<BenchRow> rows)
            throws IOException {
        if (json != null) {
            FileArg file = new FileArg("JSON report", "--json", json);
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("date", Instant.now().toString());
            extra.put("warmup", warmup);
            extra.put("iters", iters);
            extra.put("seconds", seconds);
            extra.put("device_peak_gflops", devicePeak == null ? null : devicePeak.gflops());
            extra.put("device_peak_gb_per_s", devicePeak == null ? null : devicePeak.gbPerS());
            extra.put("cpu_peak_gflops", cpuPeak == null ? null : cpuPeak.gflops());
            extra.put("cpu_peak_gb_per_s", cpuPeak == null ? null : cpuPeak.gbPerS());
            String text = BenchReport.json(deviceName, extra, rows);
            file.write(out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
            err().println("bench: wrote " + json);
        }
        if (csv != null) {
            String text = BenchReport.csv(rows);
            new FileArg("CSV report", "--csv", csv).write(out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
            err().println("bench: wrote " + csv);
        }
        if (plot != null) {
            String svg = BenchReport.svg("convcl bench: GFLOP/s, higher is better",
                    List.of(deviceName, Instant.now().toString().substring(0, 16).replace('T', ' ') + " UTC; "
                            + describeTiming() + "; bias on every problem"), rows);
            String name = plot.getFileName().toString().toLowerCase(Locale.ROOT);
            String text = name.endsWith(".html") || name.endsWith(".htm") ? BenchReport.html(svg) : svg;
            new FileArg("plot", "--plot", plot).write(out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
            err().println("bench: wrote " + plot);
        }
    }
}
