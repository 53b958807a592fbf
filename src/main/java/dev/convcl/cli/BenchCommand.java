package dev.convcl.cli;

import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import dev.convcl.Graph;
import dev.convcl.HostTensor;
import dev.convcl.RoiAlign;
import dev.convcl.Value;
import dev.convcl.cpu.CpuBackend;
import dev.convcl.onnx.DeclaredInput;
import dev.convcl.onnx.InputShapeNeededException;
import dev.convcl.opencl.HostCaches;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code convcl bench}: times a suite of problems on the device and on the CPU path. */
@Command(name = "bench", sortOptions = false, description = {
        "Times each problem of a shapes file, or a whole ONNX network (--model), on the chosen device and on "
                + "the CPU path.",
        "The default shapes file is the bundled suite of published network layers. Each result is first "
                + "checked against the CPU path and the reference; a result that does not match is FAIL and "
                + "is not timed. Each problem is timed on host arrays and on device tensors, with its weights "
                + "bound once. --chain times a fixed chain of " + BenchChain.LAYER_COUNT + " layers on device "
                + "tensors instead. A shapes file may hold RoI lines (op=roi_align, ps_roi_align, deform_roi_pool): "
                + "they get a table of their own, in milliseconds and bilinear samples a second; --roi times the "
                + "bundled RoI suite of detection heads. Progress goes to stderr, a table to stdout. Exits 1 if any "
                + "result FAILed.",
        "--peers times other libraries on the same problems and data in the same run (ONNX Runtime Java, "
                + "PyTorch), each checked against the reference first; --batch times every problem at several "
                + "batch sizes; --fma-limit rates every row against the machine's FMA limit."})
final class BenchCommand extends CliCommand {

    @Option(names = "--chain", description = "Time the fixed chain of " + BenchChain.LAYER_COUNT + " network layers on "
            + "device tensors (input in, every layer on the device, output out) instead of a shapes file.")
    boolean chain;

    @Option(names = "--model", paramLabel = "M.onnx", description = "Time a whole ONNX network on the device and on "
            + "the CPU path instead of a shapes file (inputs: seeded random values).")
    Path model;

    @Option(names = "--input-shape", paramLabel = "[NAME=]N,C,H,W", description = "--model: the shape of the model's "
            + "input (NAME= for one of several): its symbolic dimensions (a dynamic batch) take these sizes, its fixed "
            + "ones must match; repeatable.")
    List<String> inputShapes = new ArrayList<>();

    @Option(names = "--layers", description = "--model: also each step's (layer's) time, the median and the least "
            + "over up to 9 more calls on device tensors, within --seconds (--iters does not apply).")
    boolean layers;

    @Option(names = "--shapes", paramLabel = "FILE",
            description = "Shapes file: a name then key=value fields a line (default: the bundled suite).")
    Path shapes;

    @Option(names = "--roi", description = "Time the bundled RoI suite (detection heads: roi_align, ps_roi_align, "
            + "deform_roi_pool at 300 RoIs over a 1x256x50x68 map, scale 1/16) instead of the convolution suite.")
    boolean roi;

    // MainTest#helpSaysWhatTheOptionsDo counts the bundled suite's quick=1 lines: keep the 8 in step with them
    @Option(names = "--quick", description = "Only the problems marked quick=1 (8 in the bundled suite). A first run "
            + "also compiles the OpenCL kernels and measures the peak; one such run took 50 s on a 2-core CPU.")
    boolean quick;

    @Option(names = "--filter", paramLabel = "REGEX",
            description = "Only problems whose name contains a match (not empty: leave it out for all).")
    String filter;

    @Option(names = "--batch", paramLabel = "N[,N...]",
            description = "Time each problem at each of these batch sizes (its n replaced), e.g. 1,8,32, and print "
                    + "how GFLOP/s and the time per image change with the batch. Convolutions only: an RoI line "
                    + "chosen is refused (its RoIs name their images).")
    String batch;

    @Option(names = "--max-samples", paramLabel = "N", converter = IntArg.CountConverter.class,
            description = "RoI lines: the most bilinear samples (RoIs x output channels x bins x samples a bin) a "
                    + "line's call may take, as run's --max-samples; a line of more is refused before any line runs "
                    + "(default: 2^30 = 1073741824).")
    Long maxSamples;

    @Option(names = "--device", paramLabel = "auto|cpu|opencl|opencl:N", defaultValue = "auto",
            description = "Device under test (default: ${DEFAULT-VALUE}; "
                    + DEVICE_DEFAULT_HELP + "); cpu times the CPU path alone.")
    DeviceChoice device;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1",
            description = "Untimed calls after the checking call, at least (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "0.5",
            description = "Untimed calls go on until this long has passed and, in windows of "
                    + BenchPeer.Budget.WINDOW + " calls, the calls stopped getting faster, up to " + BenchRunner.MAX_WARMUP
                    + " calls, so the JIT has compiled the CPU path; 0: only --warmup's calls (default: ${DEFAULT-VALUE}).")
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

    @Option(names = "--no-peak", description = "Skip the share of the measured peak (saves measuring it once); "
            + "--batch's notes still use a memory bandwidth the peak cache holds.")
    boolean noPeak;

    @Option(names = "--peers", paramLabel = "NAME[,NAME...]",
            description = "Also time these libraries on every problem, on the same data, side by side with convcl's"
                    + " calls (torch on its own, after them): onnxruntime "
                    + "(ONNX Runtime Java, a one-node model a layer; its jar must be on the class path, as "
                    + "'scripts/convcl bench --peers ...' arranges), torch (PyTorch through bench/torch_peer.py in a "
                    + "child process), or all. A peer that cannot run here is named on stderr and left out.")
    String peers;

    @Option(names = "--peer-threads", paramLabel = "N",
            description = "Threads each peer may use (default: the number of CPU cores, ${DEFAULT-VALUE}).")
    int peerThreads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--fma-limit", paramLabel = "GFLOPS|measure",
            description = "The machine's fp32 FMA limit, the rate a plain C FMA loop reaches on every core "
                    + "(bench/fma_limit.c): a figure, or 'measure' to build and run that loop now with the C "
                    + "compiler. A figure is at least 0.001 (1 MFLOP/s). Every row then shows its share of it.")
    String fmaLimit;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON.")
    Path json;

    @Option(names = "--csv", paramLabel = "FILE", description = "Write the results as CSV.")
    Path csv;

    @Option(names = "--plot", paramLabel = "FILE", description = "Write a bar chart: self-contained SVG, or an HTML page holding it if FILE ends in .html.")
    Path plot;

    @Override
    public Integer call() throws IOException {
        device = device(device);
        // each value as typed: --seconds -1, not -1.0
        if (!(warmupSeconds >= 0) || Double.isInfinite(warmupSeconds)) {
            throw new IllegalArgumentException("--warmup-seconds " + typed("--warmup-seconds", warmupSeconds)
                    + " must be a finite number of seconds, 0 or more");
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("--warmup " + typed("--warmup", warmup) + " must not be negative");
        }
        if (iters < 1) {
            throw new IllegalArgumentException("--iters " + typed("--iters", iters) + " must be at least 1");
        }
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
            throw new IllegalArgumentException("--seconds " + typed("--seconds", seconds)
                    + " must be a finite number of seconds, 0 or more");
        }
        if (!(referenceMflop > 0) || Double.isInfinite(referenceMflop)) {
            throw new IllegalArgumentException("--reference-mflop " + typed("--reference-mflop", referenceMflop)
                    + " must be a finite positive number of MFLOP");
        }
        if (peerThreads < 1) {
            throw new IllegalArgumentException("--peer-threads " + typed("--peer-threads", peerThreads)
                    + " must be at least 1");
        }
        RoiRun.checkMaxSamples(maxSamples, typed("--max-samples", maxSamples));
        List<Integer> batches = batch == null ? null : BenchBatches.parse(batch);
        Double limitGiven = fmaLimit == null ? null : FmaLimit.parse(fmaLimit);
        String compiler = null;
        if (fmaLimit != null && limitGiven == null) {
            compiler = FmaLimit.compiler();
            if (compiler == null) {
                throw new IllegalArgumentException("--fma-limit measure builds bench/fma_limit.c with a C compiler, and "
                        + "there is no cc or gcc on the PATH; give the figure instead, e.g. --fma-limit 190");
            }
        }
        if (model != null) {
            return runModel();
        }
        if (!inputShapes.isEmpty() || layers) {   // name only the flags given
            throw new IllegalArgumentException(inputShapes.isEmpty() ? "--layers is for --model"
                    : layers ? "--input-shape and --layers are for --model" : "--input-shape is for --model");
        }
        if (chain) {
            return runChain();
        }
        Map<String, java.util.function.Supplier<BenchPeer>> available = peers == null ? Map.of() : BenchPeers.available();
        List<String> peerNames = peers == null ? List.of() : BenchPeers.parse(peers, BenchPeers.known(available));
        Pattern pattern = BenchSuite.filter(filter);
        if (roi && shapes != null) {
            throw new IllegalArgumentException("--roi times the bundled RoI suite; a --shapes file takes RoI lines "
                    + "itself (op=roi_align ...), so give one or the other");
        }
        List<BenchSuite.Problem> selected = BenchSuite.select(BenchSuite.load(shapes == null ? null
                : file("shapes file", "--shapes", shapes), roi ? BenchSuite.BUNDLED_ROI : BenchSuite.BUNDLED),
                quick, pattern);
        List<BenchSuite.Problem> problems = selected.stream().filter(p -> p.roi() == null).toList();
        List<BenchSuite.Problem> roiProblems = selected.stream().filter(p -> p.roi() != null).toList();
        if (!roiProblems.isEmpty() && batches != null) {
            BenchSuite.Problem first = roiProblems.get(0);
            throw new IllegalArgumentException(first.named() + " is " + first.op().name() + "; --batch applies to "
                    + "convolutions only, since an RoI line's RoIs name their images (its n is set in the line): "
                    + "time RoI lines without --batch");
        }
        if (maxSamples != null && roiProblems.isEmpty()) {
            throw new IllegalArgumentException("--max-samples limits the work of RoI lines (op=roi_align, ps_roi_align, "
                    + "deform_roi_pool); the problems chosen are convolutions only");
        }
        for (BenchSuite.Problem p : roiProblems) {
            String why = ProblemData.imageProblem(p.roi(), p.typed("scale"));
            if (why != null) { // found now, not after the lines before it were timed
                throw new IllegalArgumentException(p.named() + ": " + why);
            }
            checkWork(p);
        }
        if (problems.isEmpty() && (plot != null || fmaLimit != null)) {
            throw new IllegalArgumentException("--plot and --fma-limit rate GFLOP/s of convolutions; the problems "
                    + "chosen are RoI operators only");
        }
        if (batches != null) {
            problems = BenchBatches.expand(problems, batches);
        }
        // Found out now rather than after minutes of timing.
        checkReports();
        FmaLimit limit = null;
        if (limitGiven != null) {
            limit = new FmaLimit(limitGiven, "given with --fma-limit");
        } else if (compiler != null) {
            err().println("bench: measuring the machine's FMA limit (bench/fma_limit.c, best of " + FmaLimit.RUNS + " runs) ...");
            err().flush();
            limit = FmaLimit.measure(compiler);
            err().printf(Locale.ROOT, "bench: FMA limit %s GFLOP/s (%s)%n", FmaLimit.text(limit.gflops()), limit.source());
        }
        try (BenchPeers opened = peerNames.isEmpty() ? BenchPeers.none()
                : BenchPeers.open(peerNames, available, peerThreads, err());
             Engines engines = Engines.open(device)) {
            Engine engine = engines.engine(), cpuEngine = engines.separateCpu(), cpu = engines.cpu();
            Optional<OpenClContext> ctx = PeakCommand.openClContext(engine);
            if (ctx.isEmpty() && device.kind() != DeviceChoice.Kind.CPU) {
                err().println("bench: no OpenCL device in use; timing the CPU path only");
            }
            err().println("bench: " + timedCount(problems.size() + roiProblems.size(), batches) + " on " + engine.deviceName()
                    + (cpuEngine != null ? " and the CPU path" : "") + "; " + describeTiming());
            err().flush();
            Peak.Result devicePeak = null, cpuPeak = null;
            PeakCache cache = PeakCache.standard();
            CpuBackend cpuPath = (CpuBackend) Internals.cpu(cpu);
            String cpuKey = PeakCache.javaKey(cpuPath.threads());
            String deviceKey = ctx.map(c -> PeakCache.key(c.info())).orElse(null);
            // What the cache held before this run: a peak used below that equals its entry was read
            // from it, not measured now (bench --batch's note says which, and when).
            PeakCache.Entry deviceEntry = deviceKey == null ? null : cache.entry(deviceKey).orElse(null);
            PeakCache.Entry cpuEntry = cache.entry(cpuKey).orElse(null);
            // This run's measurements the cache refused (repeats that disagree), by key, for --batch's note.
            Map<String, Peak.Measured> refused = new java.util.HashMap<>();
            if (!noPeak && !problems.isEmpty()) {
                // One line for whatever is not cached yet (the device, the CPU path or both).
                List<String> uncached = new ArrayList<>();
                if (deviceKey != null && deviceEntry == null) {
                    uncached.add(engine.deviceName());
                }
                if (cpuEntry == null) {
                    uncached.add("the CPU path");
                }
                if (!uncached.isEmpty()) {
                    err().println("bench: measuring the peak of " + String.join(" and ", uncached)
                            + " (cached when its repeats agree; 'convcl peak' measures again) ...");
                    err().flush();
                }
                if (deviceKey != null) {
                    devicePeak = PeakCommand.cachedOrMeasured(cache, deviceKey,
                            noted(refused, deviceKey, () -> Peak.measure(ctx.get())), err());
                }
                cpuPeak = PeakCommand.cachedOrMeasured(cache, cpuKey,
                        noted(refused, cpuKey, () -> Peak.measureJava(cpuPath.deviceName(), cpuPath.threads())), err());
            }
            List<BenchRunner.OpenPeer> timedPeers = new ArrayList<>();
            for (BenchPeer p : opened.open()) {
                String description = opened.statuses().stream().filter(st -> st.name().equals(p.name())).findFirst()
                        .map(BenchPeers.Status::description).orElse(p.name());
                timedPeers.add(new BenchRunner.OpenPeer(p, description));
            }
            BenchRunner runner = new BenchRunner(engine, cpu, settings(), err(), timedPeers);
            // With --batch, a problem's batch sizes (consecutive after expand) are timed together.
            List<BenchRow> measured = problems.isEmpty() ? List.of()
                    : runner.run(problems, batches == null ? 1 : batches.size());
            Map<String, Double> othersCores = runner.othersCores();
            List<BenchRoi.Row> roiRows = new BenchRoi(engine, cpu, settings(), err(), timedPeers)
                    .run(roiProblems, 0, roiProblems.size());
            // No share above 100%: a result faster than its peak has the peak measured again.
            PeakShares.Outcome shares = PeakShares.settle(measured, devicePeak, cpuPeak, backend -> {
                boolean onCpu = PeakShares.CPU.equals(backend);
                err().println("bench: a result on " + backend + " ran above the measured peak; measuring the peak again ...");
                err().flush();
                return onCpu ? PeakCommand.measureAndKeep(cache, cpuKey,
                        noted(refused, cpuKey, () -> Peak.measureJava(cpuPath.deviceName(), cpuPath.threads())), err())
                        : ctx.isEmpty() ? null : PeakCommand.measureAndKeep(cache, deviceKey,
                                noted(refused, deviceKey, () -> Peak.measure(ctx.get())), err());
            });
            // The FMA limit is the ceiling: a row above it means the limit was measured low (a busy
            // machine), so a measured limit is measured once more; no share above 100% is shown.
            List<String> limitNotes = new ArrayList<>();
            BenchRow over = BenchPeers.aboveLimit(shares.rows(), limit);
            if (over != null && compiler != null) {
                err().printf(Locale.ROOT, "bench: %s on %s ran at %.1f GFLOP/s, above the FMA limit %s measured before "
                        + "the run; measuring it again ...%n", over.name(), over.backend(), over.gflops(),
                        FmaLimit.text(limit.gflops()));
                err().flush();
                FmaLimit again = FmaLimit.measure(compiler);
                if (again.gflops() > limit.gflops()) {
                    limit = new FmaLimit(again.gflops(), again.source() + ", measured again after the run");
                }
                over = BenchPeers.aboveLimit(shares.rows(), limit);
            }
            if (over != null) {
                limitNotes.add(String.format(Locale.ROOT, "%s on %s ran at %.1f GFLOP/s, above the FMA limit %s GFLOP/s; "
                        + "rows above the limit show no share (a limit measured while the machine was busy is low)",
                        over.name(), over.backend(), over.gflops(), FmaLimit.text(limit.gflops())));
            }
            List<String> peerOrder = opened.statuses().stream().map(BenchPeers.Status::name).toList();
            List<BenchRow> rows = BenchPeers.compared(shares.rows(), limit, peerOrder);
            devicePeak = shares.devicePeak();
            cpuPeak = shares.cpuPeak();

            out().println("device: " + engine.deviceName());
            if (devicePeak != null) {
                out().printf(Locale.ROOT, "device peak: %.1f GFLOP/s fp32 FMA, %.1f GB/s (%s)%n", devicePeak.gflops(),
                        devicePeak.gbPerS(), peakSource(devicePeak, deviceEntry, refused.get(deviceKey)));
            }
            if (cpuPeak != null) {
                out().printf(Locale.ROOT, "CPU path peak: %.1f GFLOP/s fp32 FMA, %.1f GB/s (%s; %s)%n", cpuPeak.gflops(),
                        cpuPeak.gbPerS(), cpuPeak.device(), peakSource(cpuPeak, cpuEntry, refused.get(cpuKey)));
            }
            out().println("times: " + describeTiming() + (problems.isEmpty() ? ";" : "; weights and bias bound once; then "
                    + "the host-array calls, the device-tensor calls and each peer in this process timed side by side, a"
                    + " turn each per round (torch, in a child process, on its own after them);"));
            out().println("host-array ms: a call on host arrays (input and output copied); device-tensor ms: a call on"
                    + " device tensors (no copies)" + (problems.isEmpty() ? "" : "; GFLOP/s from host-array ms;"));
            if (!problems.isEmpty()) {
                out().println(noPeak ? "peak: not measured (--no-peak)"
                        : "peak: kernel GFLOP/s (wall GFLOP/s on the CPU path) / the measured FMA peak");
            }
            if (!roiProblems.isEmpty()) {
                out().println("RoI rows: Msample/s = bilinear samples (4 taps each) a call takes, counted from its RoIs,"
                        + " / host-array ms (no GFLOP/s: an RoI operator is a gather); vs cpu: CPU path ms / this ms");
            }
            if (limit != null) {
                out().printf(Locale.ROOT, "limit: GFLOP/s (host arrays) / the machine's FMA limit, %s GFLOP/s (%s)%n", FmaLimit.text(limit.gflops()),
                        limit.source());
            }
            for (BenchPeers.Status st : opened.statuses()) {
                out().println("peer " + st.name() + ": " + (st.unavailable() == null ? st.description()
                        : "not available: " + st.unavailable()));
            }
            if (!opened.statuses().isEmpty()) {
                out().println("best peer ms: the fastest peer on the same problem and batch, and its median; vs best "
                        + "peer: GFLOP/s / that peer's (RoI rows: its ms / this ms; host arrays; device tensors in the JSON);"
                        + " compile ms on a peer's row: its layer prepared (ONNX Runtime: model made and session created;"
                        + " torch: the data written to files and loaded in its process)");
            }
            if (!rows.isEmpty()) {
                BenchReport.table(rows, out());
            }
            if (!roiRows.isEmpty()) {
                BenchRoi.table(roiRows, out());
            }
            if (batches == null) {
                busyNote(othersCores).ifPresent(out()::println);
            }
            Map<String, Object> batchScaling = null;
            if (batches != null) {
                Map<String, Long> bytesPerCall = BenchBatches.bytesPerCall(problems);
                // The host's cache says nothing about a GPU's lines.
                boolean gpu = ctx.isPresent() && !ctx.get().info().isCpu();
                // The host's memory bandwidth: this run's peaks, else those cached by an earlier run
                // (--no-peak measures nothing); the faster of a CPU device's and the Java path's.
                BenchBatches.Bandwidth stream = BenchBatches.Bandwidth.fastest(
                        gpu ? null : triad("OpenCL device", devicePeak, deviceEntry, refused.get(deviceKey)),
                        triad("Java path", cpuPeak, cpuEntry, refused.get(cpuKey)));
                if (!stream.known()) {
                    stream = BenchBatches.Bandwidth.unknown(noPeak ? "--no-peak, none cached"
                            : "no triad measured or cached for the host");
                }
                HostCaches.LastLevel lastLevel = HostCaches.lastLevel();
                java.util.function.Predicate<String> onHostCpu = backend -> !(gpu && backend.equals("opencl"));
                BenchBatches.print(rows, batches, othersCores, bytesPerCall, lastLevel, stream, onHostCpu, out());
                batchScaling = BenchBatches.fields(rows, othersCores, bytesPerCall, lastLevel, stream, onHostCpu);
            }
            for (String note : shares.notes()) {
                out().println("peak: " + note);
            }
            for (String note : limitNotes) {
                out().println("limit: " + note);
            }
            // One list of (name, backend, failed, unsupported, error, spec) for both tables.
            List<Outcome> outcomes = new ArrayList<>();
            rows.forEach(r -> outcomes.add(new Outcome(r.name(), r.backend(), r.failed(), r.unsupported(), r.error(), r.spec())));
            roiRows.forEach(r -> outcomes.add(new Outcome(r.name(), r.backend(), r.failed(), r.unsupported(), r.error(),
                    r.op().toString())));
            long failed = outcomes.stream().filter(Outcome::failed).count();
            long notApplicable = outcomes.stream().filter(Outcome::unsupported).count();
            for (Outcome r : outcomes) {
                if (r.failed()) {
                    out().println("FAIL " + r.name() + " on " + r.backend() + ": " + r.error() + "  [" + r.spec() + "]");
                }
            }
            for (Outcome r : outcomes) {
                if (r.unsupported()) {
                    out().println("n/a " + r.name() + " on " + r.backend() + ": " + r.error());
                }
            }
            out().println(Plural.of(outcomes.size() - failed - notApplicable, "result") + " ok, " + failed + " FAIL"
                    + (notApplicable > 0 ? ", " + notApplicable + " n/a (a peer cannot run the problem)" : ""));
            out().flush();
            writeFiles(engine.deviceName(), devicePeak, cpuPeak, limit, limitNotes, batches, batchScaling,
                    opened.statuses(), rows, roiRows, othersCores);
            return failed == 0 ? 0 : Main.EXIT_FAILED_CHECK;
        }
    }

    /**
     * The engine under test and, when that does not run on the CPU path, one on the CPU path
     * (the backend every result is compared with); closed together.
     *
     * @param engine      the engine on {@code --device}
     * @param separateCpu an engine on the CPU path, or null when {@code engine} runs there
     */
    private record Engines(Engine engine, Engine separateCpu) implements AutoCloseable {
        static Engines open(DeviceChoice device) {
            Engine engine = Engine.create(device);
            try {
                return new Engines(engine, Internals.primary(engine) == Internals.cpu(engine) ? null
                        : Engine.create(DeviceChoice.CPU));
            } catch (RuntimeException | Error e) {
                engine.close();
                throw e;
            }
        }

        /** The engine on the CPU path. */
        Engine cpu() {
            return separateCpu == null ? engine : separateCpu;
        }

        @Override
        public void close() {
            try {
                if (separateCpu != null) {
                    separateCpu.close();
                }
            } finally {
                engine.close();
            }
        }
    }

    /** A row of either table, for the FAIL and n/a lines and the count. */
    private record Outcome(String name, String backend, boolean failed, boolean unsupported, String error, String spec) {
    }

    /**
     * The options of a shapes-file run that were given, in the order of the usage line: what
     * {@code --chain} refuses, and with {@code forModel} also {@code --chain} and {@code --csv},
     * what {@code --model} refuses.
     */
    private List<String> suiteOptionsGiven(boolean forModel) {
        Map<String, Boolean> given = new LinkedHashMap<>();
        if (forModel) {
            given.put("--chain", chain);
        }
        given.put("--shapes", shapes != null);
        given.put("--roi", roi);
        given.put("--quick", quick);
        given.put("--filter", filter != null);
        if (forModel) {
            given.put("--csv", csv != null);
        }
        given.put("--plot", plot != null);
        if (!forModel) {
            given.put("--peers", peers != null);
        }
        given.put("--batch", batch != null);
        given.put("--max-samples", maxSamples != null);
        given.put("--fma-limit", fmaLimit != null);
        return given.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey).toList();
    }

    /**
     * Refuses an RoI line whose call would take more bilinear samples than {@code --max-samples}
     * (2^30 unless given), counted on the RoIs its run will draw, by run's rule
     * ({@link RoiRun#tooMuchWork}): before any line runs, rather than minutes without a word.
     */
    private void checkWork(BenchSuite.Problem p) {
        RoiAlign op = p.roi();
        // with a fixed ratio the count does not depend on the RoIs: none are drawn
        float[] rois = op.samplingRatio() > 0 ? new float[op.rois() * 5]
                : ProblemData.rois(op, BenchRoi.seed(p.name()));
        String sr = p.typed("sr"), scale = p.typed("scale");
        String refusal = RoiRun.tooMuchWork(op, rois, maxSamples == null ? RoiRun.MAX_SAMPLES : maxSamples,
                RoiRun.limitNamed("bench", maxSamples == null ? null : typed("--max-samples", maxSamples)),
                p.named() + ": sr=" + (sr != null ? sr : op.samplingRatio()),
                p.named() + ": adaptive sampling on its drawn RoIs at scale=" + (scale != null ? scale : op.spatialScale()));
        if (refusal != null) {
            throw new IllegalArgumentException(refusal);
        }
    }

    /** {@code --chain}: the chain on the device and on the CPU path, a table, and the report files. */
    private int runChain() throws IOException {
        List<String> notWith = suiteOptionsGiven(false);
        if (!notWith.isEmpty()) {
            throw new IllegalArgumentException("--chain times its fixed chain of " + BenchChain.LAYER_COUNT
                    + " layers; it takes no " + String.join(", ", notWith));
        }
        checkReports();
        try (Engines engines = Engines.open(device)) {
            Engine engine = engines.engine(), cpuEngine = engines.separateCpu(), cpu = engines.cpu();
            if (engine.backend().equals("cpu") && device.kind() != DeviceChoice.Kind.CPU) {
                err().println("bench: no OpenCL device in use; timing the CPU path only");
            }
            err().println("bench: the chain of " + BenchChain.LAYER_COUNT + " layers on " + engine.deviceName()
                    + (cpuEngine != null ? " and the CPU path" : "") + "; " + describeTiming());
            err().flush();
            List<BenchChain.Row> rows = new BenchChain(engine, cpu, settings(), err()).run();
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
            out().println(Plural.of(rows.size() - failed, "result") + " ok, " + failed + " FAIL");
            out().flush();
            List<Map<String, Object>> fields = BenchChain.fields(rows);
            if (json != null) {
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("date", Instant.now().toString());
                extra.put("warmup", warmup);
                extra.put("iters", iters);
                extra.put("seconds", seconds);
                String text = BenchReport.jsonOf(engine.deviceName(), extra, fields);
                FileArg file = file("JSON report", "--json", json);
                file.write(o -> o.write(text.getBytes(StandardCharsets.UTF_8)));
                err().println("bench: wrote " + file.text());
            }
            if (csv != null) {
                String text = BenchReport.csvOf(fields);
                FileArg file = file("CSV report", "--csv", csv);
                file.write(o -> o.write(text.getBytes(StandardCharsets.UTF_8)));
                err().println("bench: wrote " + file.text());
            }
            return failed == 0 ? 0 : Main.EXIT_FAILED_CHECK;
        }
    }

    /**
     * The shapes {@code --input-shape} gives ({@code given}, by input name, {@code ""} for the only
     * input; {@code typed}: each as typed), checked against the model's declared inputs: a named
     * input must exist, the rank must be the declared one, and a fixed dimension must keep its
     * size; only symbolic dimensions (a dynamic batch) take the size given. A shape given for a
     * fully fixed declaration (then equal to it) is left out: the model's own, whose declared
     * outputs the importer then checks.
     */
    private Map<String, int[]> shapesFor(List<DeclaredInput> declared, Map<String, int[]> given, Map<String, String> typed) {
        List<String> names = declared.stream().map(DeclaredInput::name).toList();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : given.entrySet()) {
            String text = typed.get(e.getKey());
            String name = e.getKey();
            if (name.isEmpty()) {
                if (names.size() != 1) {
                    throw new IllegalArgumentException("--input-shape " + Typed.shown(text) + " gives no input name, but the model has "
                            + ModelFiles.count(names, "input") + "; write --input-shape NAME=N,C,H,W for each");
                }
                name = names.get(0);
            } else if (!names.contains(name)) {
                throw new IllegalArgumentException("--input-shape " + Typed.shown(text) + ": the model has no input '" + name + "'; "
                        + (names.size() == 1 ? "its only input is '" + names.get(0) + "'" : "its inputs are " + names));
            }
            DeclaredInput d = declared.get(names.indexOf(name));
            int[] shape = e.getValue();
            if (d.rank() >= 0 && shape.length != d.rank()) {
                throw new IllegalArgumentException("--input-shape '" + text + "' has " + shape.length + " dimension"
                        + (shape.length == 1 ? "" : "s") + "; model " + model.getFileName() + " takes input '" + name
                        + "' of shape " + d.shapeText() + ": give " + d.rank() + " comma-separated positive integers"
                        + (d.rank() == 4 ? " N,C,H,W" : ""));
            }
            String misfit = ModelFiles.misfit(model, d, shape, "may be given another size");
            if (misfit != null) {
                throw new IllegalArgumentException("--input-shape " + Typed.shown(text) + ": " + misfit);
            }
            if (!d.isFixed()) {
                shapes.put(name, shape);
            }
        }
        ModelFiles.sameSymbolSizes(model, declared, shapes, name -> "--input-shape " + Typed.shown(typed.get(
                given.containsKey(name) ? name : "")));
        return shapes;
    }

    /**
     * The form of an {@code --input-shape} value for an input declared {@code declared} (null: no
     * shape): {@code N,C,H,W} for four dimensions (the option's own label), else {@code D0,D1,...}.
     */
    private static String shapeForm(List<String> declared) {
        if (declared == null) {
            return "N,C,H,W";
        }
        // the sizes the model fixes as they are; the others as letters: N,C,H,W for 4-D, else D0, D1, ...
        String[] letters = {"N", "C", "H", "W"};
        List<String> d = new ArrayList<>();
        for (int i = 0; i < declared.size(); i++) {
            String v = declared.get(i);
            d.add(v.matches("[0-9]+") ? v : declared.size() == 4 ? letters[i] : "D" + i);
        }
        return String.join(",", d);
    }

    /** {@code text} as a shell word: as is when it holds only safe characters, else in single quotes. */
    private static String shellWord(String text) {
        return text.matches("[A-Za-z0-9_.,:/=+@%-]+") ? text : "'" + text.replace("'", "'\\''") + "'";
    }

    /** {@code --model}: the network on the device and on the CPU path, a table, and the JSON report. */
    private int runModel() {
        List<String> notWith = suiteOptionsGiven(true);
        if (!notWith.isEmpty()) {
            throw new IllegalArgumentException("--model times one network; it takes no " + String.join(", ", notWith));
        }
        Map<String, int[]> given = new LinkedHashMap<>();
        Map<String, String> typed = new LinkedHashMap<>();
        // NAME=SHAPE splits after a name of the model's where one fits (a name may hold '='); the
        // names are read once, and a model that cannot be read is reported where it is loaded.
        ModelFiles.Declared declaration = ModelFiles.declared(model);
        List<String> inputNames = declaration.inputNamesIfRead();
        for (String text : inputShapes) {
            int eq = ModelFiles.nameEnd(text, inputNames);
            if (eq == 0) { // '=1,3,8,8': a NAME left out, as run's --input =x.npy says
                throw new IllegalArgumentException("--input-shape " + Typed.shown(text) + ": no name before '='; use --input-shape "
                        + "NAME=N,C,H,W or --input-shape N,C,H,W");
            }
            String name = eq > 0 ? text.substring(0, eq) : "";
            if (eq > 0 && text.substring(eq + 1).isBlank()) { // 'x=': the shape left out
                throw new IllegalArgumentException("--input-shape " + Typed.shown(text) + ": no shape after '='; use --input-shape "
                        + "NAME=N,C,H,W or --input-shape N,C,H,W");
            }
            String before = typed.put(name, text);
            if (given.put(name, ModelFiles.parseShape(eq > 0 ? text.substring(eq + 1) : text, "--input-shape",
                    text)) != null) { // both values, as typed: which one was meant is the user's to say
                throw new IllegalArgumentException("--input-shape " + Typed.shown(before) + " and --input-shape " + Typed.shown(text) + " both give "
                        + (name.isEmpty() ? "the input (no NAME=)" : "input '" + name + "'") + "; give each input once");
            }
        }
        if (given.containsKey("") && given.size() > 1) {
            String unnamed = typed.get("");
            String named = typed.entrySet().stream().filter(e -> !e.getKey().isEmpty()).findFirst().orElseThrow()
                    .getValue();
            throw new IllegalArgumentException("--input-shape " + Typed.shown(unnamed) + " names no input, beside "
                    + "--input-shape " + Typed.shown(named) + ": name every input (NAME=N,C,H,W) when giving several");
        }
        checkReports();
        Graph g;
        try {
            g = ModelFiles.load(model, shapesFor(declaration.get().inputs(), given, typed));
        } catch (InputShapeNeededException e) { // what is missing, in the library's words of how to give it: ours
            throw new IllegalArgumentException(e.problem() + "; give its shape with --input-shape "
                    + shellWord((e.inputs().size() == 1 ? "" : e.input() + "=") + shapeForm(e.declared())), e);
        }
        Map<String, java.util.function.Supplier<BenchPeer>> available = peers == null ? Map.of() : BenchPeers.available();
        List<String> peerNames = peers == null ? List.of() : BenchPeers.parse(peers, BenchPeers.known(available));
        for (String name : peerNames) {
            java.util.function.Supplier<BenchPeer> s = available.get(name);
            java.util.Optional<String> why = s == null ? java.util.Optional.empty() : s.get().unsupportedModel();
            if (why.isPresent()) {
                throw new IllegalArgumentException("--model --peers " + name + ": " + why.get());
            }
        }
        BenchRunner.Settings settings = settings();
        Map<String, HostTensor> in = BenchModel.inputs(g);
        try (Engines engines = Engines.open(device);
             BenchPeers open = BenchPeers.open(peerNames, available, peerThreads, err())) {
            Engine engine = engines.engine(), cpuEngine = engines.separateCpu(), cpu = engines.cpu();
            if (engine.backend().equals("cpu") && device.kind() != DeviceChoice.Kind.CPU) {
                err().println("bench: no OpenCL device in use; timing the CPU path only");
            }
            err().println("bench: " + model.getFileName() + " on " + engine.deviceName()
                    + (cpuEngine != null ? " and the CPU path" : "") + "; " + describeTiming()
                    + "; then every call form (device tensors, host arrays, each peer) timed side by side, a turn each"
                    + " per round");
            err().flush();
            BenchModel bench = new BenchModel(settings, layers, err());
            List<Engine> timed = cpuEngine != null ? List.of(engine, cpu) : List.of(cpu);
            List<BenchModel.Peer> peerList = new ArrayList<>();
            for (BenchPeer p : open.open()) {
                String description = open.statuses().stream().filter(st -> st.name().equals(p.name()))
                        .map(BenchPeers.Status::description).findFirst().orElse(null);
                peerList.add(new BenchModel.Peer(p, description));
            }
            // The CPU path's outputs check the device's and the peers'; a CPU-path-only run needs none.
            Map<String, HostTensor> reference = cpuEngine != null || !peerList.isEmpty()
                    ? BenchModel.outputs(cpu, g, in) : null;
            BenchModel.Result result = bench.measure(timed, g, in, reference, peerList, model);
            List<BenchModel.Row> rows = result.rows();
            List<BenchModel.PeerRow> peerRows = result.peers();
            out().println("device: " + engine.deviceName());
            for (BenchPeers.Status st : open.statuses()) {
                out().println("peer " + st.name() + ": " + (st.unavailable() == null ? st.description()
                        : "not available: " + st.unavailable()));
            }
            BenchModel.print(model, g, rows, peerRows, out());
            long failed = rows.stream().filter(r -> !r.ok()).count()
                    + peerRows.stream().filter(r -> !r.ok() && !r.unsupported()).count();
            long na = peerRows.stream().filter(BenchModel.PeerRow::unsupported).count();
            out().println(Plural.of(rows.size() + peerRows.size() - failed - na, "result") + " ok, " + failed + " FAIL"
                    + (na == 0 ? "" : ", " + na + " n/a (a peer cannot run the network)"));
            out().flush();
            if (json != null) {
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("date", Instant.now().toString());
                extra.put("model", model.getFileName().toString());
                Map<String, Object> shapesOut = new LinkedHashMap<>();
                for (Value v : g.inputs()) {
                    shapesOut.put(v.name(), Arrays.stream(v.shape()).boxed().toList());
                }
                extra.put("inputs", shapesOut);
                extra.put("warmup", warmup);
                extra.put("iters", iters);
                extra.put("seconds", seconds);
                List<Object> peerFields = new ArrayList<>();
                for (BenchPeers.Status st : open.statuses()) {
                    peerFields.add(st.fields());
                }
                extra.put("peers", peerFields);
                List<Map<String, Object>> fields = BenchModel.fields(rows, peerRows);
                String text = BenchReport.jsonOf(engine.deviceName(), extra, fields);
                FileArg file = file("JSON report", "--json", json);
                file.write(o -> o.write(text.getBytes(StandardCharsets.UTF_8)));
                err().println("bench: wrote " + file.text());
            }
            return failed == 0 ? 0 : Main.EXIT_FAILED_CHECK;
        }
    }

    /**
     * What stderr says is timed: {@code 3 problems}, or with {@code --batch} the problems before
     * expansion and the runs, {@code 1 problem at batch 1,8 (2 runs)}.
     *
     * @param runs    the problems to time, each batch size counted ({@link BenchBatches#expand})
     * @param batches the batch sizes, or null without {@code --batch}
     */
    static String timedCount(int runs, List<Integer> batches) {
        if (batches == null) {
            return Plural.of(runs, "problem");
        }
        return Plural.of(runs / batches.size(), "problem") + " at batch " + joined(batches) + " ("
                + Plural.of(runs, "run") + ")";
    }

    private static String joined(List<Integer> batches) {
        return String.join(",", batches.stream().map(String::valueOf).toList());
    }

    /**
     * Each report file writable, and no two naming one file (the later write would replace the
     * earlier report): found out before any timing.
     */
    private void checkReports() {
        List<FileArg> files = reports();
        outputFiles(files.stream().map(FileArg::path).toList());
        for (int i = 0; i < files.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (AtomicFiles.sameFile(files.get(j).path(), files.get(i).path())) {
                    throw new IllegalArgumentException(files.get(j).flag() + " " + files.get(j).path() + " and "
                            + files.get(i).flag() + " " + files.get(i).path() + " name the same file; each report needs its own");
                }
            }
            files.get(i).checkWritable();
        }
    }

    /** The report files asked for. */
    private List<FileArg> reports() {
        List<FileArg> files = new ArrayList<>();
        if (json != null) {
            files.add(file("JSON report", "--json", json));
        }
        if (csv != null) {
            files.add(file("CSV report", "--csv", csv));
        }
        if (plot != null) {
            files.add(file("plot", "--plot", plot));
        }
        return files;
    }

    /** The timing and checking options as the runners take them. */
    private BenchRunner.Settings settings() {
        return new BenchRunner.Settings(warmup, warmupSeconds, iters, seconds, referenceMflop * 1e6);
    }

    private String describeTiming() {
        int fewest = Math.min(BenchRunner.MIN_TIMED, iters);
        String timed = String.format(Locale.ROOT, "median of %s (%.3g s budget) after a checking call and ",
                fewest == iters ? Plural.of(iters, "call") : fewest + " to " + iters + " calls", seconds);
        if (warmupSeconds <= 0) {
            return timed + warmup + " warm-up";
        }
        return timed + String.format(Locale.ROOT, "a warm-up (at least %s and %.3g s) that goes on in windows of %d "
                + "until a window's median is within %.0f%% of the previous one (at most %d calls)",
                Plural.of(warmup, "call"), warmupSeconds, BenchPeer.Budget.WINDOW, 100 * BenchPeer.Budget.SETTLED,
                BenchRunner.MAX_WARMUP);
    }

    /**
     * One side's triad for {@code bench --batch}'s notes (combined by
     * {@link BenchBatches.Bandwidth#fastest}, which takes the faster of a CPU device's and the Java
     * path's, as docs/PERFORMANCE.md's roofline does; leave a GPU's out: its memory is not the host's).
     *
     * @param whose   the side, as the note names it ({@code OpenCL device}, {@code Java path})
     * @param thisRun the peak this run used (measured now, or read from the cache); null with
     *                {@code --no-peak} or when none was had
     * @param cached  the side's cache entry as it was before this run measured anything; null if none
     * @return the triad (GB/s) of {@code thisRun}, cached with the entry's time when it is the
     *         entry's peak and measured otherwise; else the entry's, cached; null when neither is there
     */
    static BenchBatches.Triad triad(String whose, Peak.Result thisRun, PeakCache.Entry cached) {
        return triad(whose, thisRun, cached, null);
    }

    /**
     * As {@link #triad(String, Peak.Result, PeakCache.Entry)}, where {@code refused} is this run's
     * last measurement of the side when the cache refused it (its repeats disagree; null otherwise).
     * When {@code thisRun} is that measurement, the triad says it was not cached and why; and when
     * a cached entry exists, the entry's triad is used instead (a refused figure is the less
     * trustworthy), saying it was preferred to this run's.
     */
    static BenchBatches.Triad triad(String whose, Peak.Result thisRun, PeakCache.Entry cached, Peak.Measured refused) {
        if (thisRun != null && refused != null && !refused.stable() && refused.result().equals(thisRun)
                && (cached == null || !cached.result().equals(thisRun))) {
            String why = "not cached (" + (refused.bandwidth().stable()
                    ? "the FMA rate measured with it: " + refused.fma().reason()
                    : "its repeats: " + refused.bandwidth().reason()) + ")";
            if (cached != null) {
                return new BenchBatches.Triad(whose, cached.result().gbPerS(), true, cached.measured(), String.format(
                        Locale.ROOT, "preferred to this run's %.1f GB/s, %s", thisRun.gbPerS(), why));
            }
            return new BenchBatches.Triad(whose, thisRun.gbPerS(), false, null, why);
        }
        if (thisRun != null) {
            boolean fromCache = cached != null && cached.result().equals(thisRun);
            return new BenchBatches.Triad(whose, thisRun.gbPerS(), fromCache, fromCache ? cached.measured() : null);
        }
        return cached == null ? null : new BenchBatches.Triad(whose, cached.result().gbPerS(), true, cached.measured());
    }

    /**
     * Where a peak this run uses came from, for its line: {@code cached, measured <time> UTC} (or
     * {@code cached (its cache entry has no date)}) when it is the cache entry read before the run,
     * {@code measured in this run, not cached (<why>)} when the cache refused this run's
     * measurement (its repeats disagreed), else {@code measured in this run}.
     *
     * @param used    the peak the shares are taken against (not null)
     * @param entry   the side's cache entry as it was before this run measured anything; null if none
     * @param refused this run's last measurement of the side when the cache refused it; null otherwise
     */
    static String peakSource(Peak.Result used, PeakCache.Entry entry, Peak.Measured refused) {
        boolean fromCache = entry != null && entry.result().equals(used);
        String remark = null;
        if (!fromCache && refused != null && !refused.stable() && refused.result().equals(used)) {
            remark = "not cached (" + (refused.fma().stable() ? "its bandwidth repeats: " + refused.bandwidth().reason()
                    : "its FMA repeats: " + refused.fma().reason()) + ")";
        }
        return new BenchBatches.Triad("", used.gbPerS(), fromCache, fromCache ? entry.measured() : null, remark)
                .provenance();
    }

    /** {@code measure}, noting in {@code refused} under {@code key} whether the cache will refuse what it measured. */
    private static java.util.function.Supplier<Peak.Measured> noted(Map<String, Peak.Measured> refused, String key,
                                                                     java.util.function.Supplier<Peak.Measured> measure) {
        return () -> {
            Peak.Measured m = measure.get();
            if (m.stable()) {
                refused.remove(key);
            } else {
                refused.put(key, m);
            }
            return m;
        };
    }

    /**
     * The line saying which problems were timed while other processes used more than
     * {@link BenchBatches#BUSY_CORES} cores on average ({@link MachineLoad}: Linux), or empty: a
     * busy machine gives a longer call a smaller share of the cores, so those figures may read low.
     */
    static java.util.Optional<String> busyNote(Map<String, Double> othersCores) {
        List<String> busy = new ArrayList<>();
        othersCores.forEach((name, cores) -> {
            if (cores > BenchBatches.BUSY_CORES) {
                busy.add(String.format(Locale.ROOT, "%s %.2f", name, cores));
            }
        });
        if (busy.isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("busy: other processes used more than " + BenchBatches.BUSY_CORES
                + " cores on average while " + Plural.of(busy.size(), "problem") + " ran (cores: " + String.join(", ", busy)
                + "); their figures may read low (the rows of one problem were timed side by side and compare fairly)");
    }

    /** {@code row} with {@code others_cores} after {@code status}, where the row's outcome fields end. */
    private static Map<String, Object> withOthersCores(Map<String, Object> row, double cores) {
        Map<String, Object> m = new LinkedHashMap<>();
        row.forEach((k, v) -> {
            m.put(k, v);
            if (k.equals("status")) {
                m.put("others_cores", cores);
            }
        });
        m.putIfAbsent("others_cores", cores);
        return m;
    }

    private void writeFiles(String deviceName, Peak.Result devicePeak, Peak.Result cpuPeak, FmaLimit limit,
                            List<String> limitNotes, List<Integer> batches, Map<String, Object> batchScaling,
                            List<BenchPeers.Status> peerStatuses, List<BenchRow> rows,
                            List<BenchRoi.Row> roiRows, Map<String, Double> othersCores) throws IOException {
        List<Map<String, Object>> fields = new ArrayList<>();
        rows.forEach(r -> fields.add(withOthersCores(r.fields(), othersCores.getOrDefault(r.name(), Double.NaN))));
        // not measured on RoI lines
        roiRows.forEach(r -> fields.add(withOthersCores(r.fields(), Double.NaN)));
        if (json != null) {
            FileArg file = file("JSON report", "--json", json);
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("date", Instant.now().toString());
            extra.put("warmup", warmup);
            extra.put("iters", iters);
            extra.put("seconds", seconds);
            extra.put("device_peak_gflops", devicePeak == null ? null : devicePeak.gflops());
            extra.put("device_peak_gb_per_s", devicePeak == null ? null : devicePeak.gbPerS());
            extra.put("cpu_peak_gflops", cpuPeak == null ? null : cpuPeak.gflops());
            extra.put("cpu_peak_gb_per_s", cpuPeak == null ? null : cpuPeak.gbPerS());
            extra.put("fma_limit_gflops", limit == null ? null : limit.gflops());
            extra.put("fma_limit_source", limit == null ? null : limit.source());
            extra.put("fma_limit_notes", new ArrayList<Object>(limitNotes));
            extra.put("batches", new ArrayList<Object>(batches == null ? List.of() : batches));
            List<Object> peerFields = new ArrayList<>();
            for (BenchPeers.Status st : peerStatuses) {
                peerFields.add(st.fields());
            }
            extra.put("peers", peerFields);
            // --batch's summary (BenchBatches.fields); null without --batch
            extra.put("batch_scaling", batchScaling);
            String text = BenchReport.jsonOf(deviceName, extra, fields);
            file.write(out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
            err().println("bench: wrote " + file.text());
        }
        if (csv != null) {
            String text = BenchReport.csvOf(fields);
            FileArg file = file("CSV report", "--csv", csv);
            file.write(out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
            err().println("bench: wrote " + file.text());
        }
        if (plot != null && !rows.isEmpty()) {
            String svg = BenchReport.svg("convcl bench: GFLOP/s, higher is better",
                    List.of(deviceName, Instant.now().toString().substring(0, 16).replace('T', ' ') + " UTC; "
                            + describeTiming() + "; bias on every problem"), rows);
            String name = plot.getFileName().toString().toLowerCase(Locale.ROOT);
            String text = name.endsWith(".html") || name.endsWith(".htm") ? BenchReport.html(svg) : svg;
            FileArg file = file("plot", "--plot", plot);
            file.write(out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
            err().println("bench: wrote " + file.text());
        }
    }
}
