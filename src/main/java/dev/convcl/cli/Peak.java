package dev.convcl.cli;

import static org.jocl.CL.CL_MEM_READ_ONLY;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_MEM_WRITE_ONLY;

import dev.convcl.cpu.VectorModule;
import dev.convcl.opencl.DeviceBuffer;
import dev.convcl.opencl.OpenClContext;
import dev.convcl.opencl.OpenClDeviceInfo;
import dev.convcl.opencl.OpenClKernel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.jocl.cl_event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures what a device can do at best: the fp32 FMA rate (GFLOP/s) and the memory bandwidth
 * (GB/s), on an OpenCL device with {@code opencl-kernels/peak.cl} and on the Java CPU path with
 * loops of the same shape. Benchmarks report each result as a share of these.
 *
 * <p>The FMA rate is only a peak if the loop is shaped for the hardware: as many independent
 * accumulators as hide the FMA latency on every FMA unit, each one vector register wide, and no
 * more than the register file holds (16 ymm registers on AVX2, 32 zmm on AVX-512: 16
 * {@code float16} accumulators need 32 ymm registers on AVX2, spill, and reach a third of the
 * limit). So a small family of (vector width, accumulators) shapes derived from what the device
 * reports ({@link #fmaConfigs}) is timed, and the best kept. Each figure is then repeated
 * ({@link PeakRepeats}) to tell whether the machine was quiet enough for it to be cached.
 */
final class Peak {
    private static final Logger LOG = LoggerFactory.getLogger(Peak.class);
    /** Milliseconds a timed kernel or loop should run, so launch overhead and timer resolution vanish. */
    private static final double TARGET_MS = 50;
    /** Round-robin passes over the shapes after calibration; each shape keeps its best. */
    private static final int SHAPE_ROUNDS = 2;
    /** Rounds a Java loop runs before it counts as compiled: C2 compiles the Vector API loop only after many. */
    private static final long JIT_ROUNDS = 1L << 18;

    private Peak() {
    }

    /**
     * One device's measured limits, as cached.
     *
     * @param device    the device, as {@link OpenClDeviceInfo#describe()} or the CPU path's name
     * @param gflops    fp32 FMA rate, 2 flops per FMA
     * @param gbPerS    bytes read plus bytes written per second, in 1e9
     * @param fmaConfig how the FMA rate was reached (vector width, accumulators, sizes)
     */
    record Result(String device, double gflops, double gbPerS, String fmaConfig) {
    }

    /**
     * A fresh measurement: the result and what its repeats say.
     *
     * @param result    the highest repeats
     * @param fma       the FMA rate's repeats
     * @param bandwidth the bandwidth's repeats
     * @param tried     every FMA shape tried and what it reached, e.g. {@code float8 x 8: 150.2, ...}
     */
    record Measured(Result result, PeakRepeats.Verdict fma, PeakRepeats.Verdict bandwidth, String tried) {
        /** Whether both figures are stable, so the result may be cached. */
        boolean stable() {
            return fma.stable() && bandwidth.stable();
        }
    }

    // ---------------------------------------------------------------- OpenCL

    /**
     * One shape of the {@code peak_fma} kernel.
     *
     * @param vec    accumulator width (floatN)
     * @param acc    independent accumulators per work-item
     * @param global work-items
     * @param local  work-group size, 0 for the driver's choice
     */
    record FmaConfig(int vec, int acc, long global, long local) {
        String describe() {
            return "float" + vec + " x " + acc + " accumulators, " + global + " work-items"
                    + (local > 0 ? " in groups of " + local : "");
        }

        String shortName() {
            return "float" + vec + " x " + acc;
        }
    }

    /**
     * How many vector registers a CPU device has, guessed from its native float width, which is
     * the register width: 16 floats is AVX-512 (32 zmm registers); otherwise 16 registers (AVX,
     * AVX2 and SSE on x86-64; ARM's NEON has 32, so 16 only under-fills it a little).
     */
    static int vectorRegisters(int nativeFloats) {
        return nativeFloats >= 16 ? 32 : 16;
    }

    /**
     * The {@code peak_fma} shapes worth timing on {@code info}. On a CPU: the native float width
     * (else the preferred one, else 4), and the driver's preferred width where it differs, each
     * with three accumulator counts that fit the register file with room to spare (two registers
     * hold the FMA's other operands): float8 x 8, 10, 12 on AVX2; float16 x 12, 16, 24 on
     * AVX-512. One work-item per group (POCL would otherwise widen the explicit vectors across
     * work-items), 8 per compute unit so that a core held up by something else does not hold the
     * whole launch up. On a GPU: a few thousand work-items per compute unit, in groups of up to
     * 256, with float4 and float8 accumulators (vectors only add independent FMAs there).
     */
    static List<FmaConfig> fmaConfigs(OpenClDeviceInfo info) {
        long units = Math.max(1, info.computeUnits());
        List<FmaConfig> configs = new ArrayList<>();
        if (!info.isCpu()) {
            long local = Math.max(1, Math.min(256, info.maxWorkGroup()));
            configs.add(new FmaConfig(4, 8, units * 2048, local));
            configs.add(new FmaConfig(8, 8, units * 1024, local));
            return configs;
        }
        int nativeWidth = floatWidth(info.nativeVectorWidthFloat(), floatWidth(info.preferredVectorWidthFloat(), 4));
        int registers = vectorRegisters(nativeWidth);
        List<Integer> widths = new ArrayList<>(List.of(nativeWidth));
        int preferred = floatWidth(info.preferredVectorWidthFloat(), nativeWidth);
        if (preferred != nativeWidth) {
            widths.add(preferred);
        }
        for (int vec : widths) {
            int perAccumulator = Math.max(1, vec / nativeWidth);
            int fits = (registers - 4) / perAccumulator;
            List<Integer> accs = new ArrayList<>();
            for (int acc : new int[] {24, 16, 12, 10, 8, 6, 4}) {
                if (acc <= fits && accs.size() < 3) {
                    accs.add(acc);
                }
            }
            for (int i = accs.size() - 1; i >= 0; i--) {
                configs.add(new FmaConfig(vec, accs.get(i), units * 8, 1));
            }
        }
        return configs;
    }

    /** {@code reported} rounded down to a width peak.cl builds (1, 2, 4, 8 or 16), or {@code otherwise} if not positive. */
    private static int floatWidth(int reported, int otherwise) {
        if (reported <= 0) {
            return otherwise;
        }
        return Math.min(16, Integer.highestOneBit(reported));
    }

    /** FMA rate and bandwidth of the context's device; a few seconds (more the first time: kernel builds). */
    static Measured measure(OpenClContext ctx) {
        OpenClDeviceInfo info = ctx.info();
        CpuClock clock = info.isCpu() ? CpuClock.process(Math.max(1, info.computeUnits())) : CpuClock.NONE;
        List<FmaConfig> configs = fmaConfigs(info);
        List<FmaRun> runs = new ArrayList<>();
        try {
            for (FmaConfig c : configs) {
                FmaRun run = new FmaRun(ctx, c, clock);
                runs.add(run);
                run.calibrate();
            }
            // Round robin, so that a moment of interference does not decide between two shapes.
            for (int round = 0; round < SHAPE_ROUNDS; round++) {
                for (FmaRun run : runs) {
                    run.sample();
                }
            }
            List<String> tried = new ArrayList<>();
            FmaRun best = runs.get(0);
            for (FmaRun run : runs) {
                LOG.debug("peak_fma {}: {} GFLOP/s", run.c.describe(), run.best());
                tried.add(String.format(Locale.ROOT, "%s: %.1f", run.c.shortName(), run.best()));
                best = run.best() > best.best() ? run : best;
            }
            // The chosen shape's runs so far count as its first repeats.
            PeakRepeats.Verdict fma = PeakRepeats.repeat(best.samples, best::sample);
            PeakRepeats.Verdict bandwidth = triad(ctx, clock);
            return new Measured(new Result(info.describe(), fma.value(), bandwidth.value(), best.c.describe()), fma,
                    bandwidth, String.join(", ", tried) + " GFLOP/s");
        } finally {
            runs.forEach(FmaRun::close);
        }
    }

    /** One shape of peak_fma on one context: calibrates the rounds a launch runs, then times launches. */
    private static final class FmaRun implements AutoCloseable {
        private final OpenClContext ctx;
        private final FmaConfig c;
        private final CpuClock clock;
        private final OpenClKernel kernel;
        private final DeviceBuffer out;
        private final List<PeakRepeats.Sample> samples = new ArrayList<>();
        private int rounds = 64;

        FmaRun(OpenClContext ctx, FmaConfig c, CpuClock clock) {
            this.ctx = ctx;
            this.c = c;
            this.clock = clock;
            this.kernel = ctx.programs().kernel("peak.cl", "-cl-std=CL1.2 -DVEC=" + c.vec() + " -DACC=" + c.acc(), "peak_fma");
            try {
                this.out = ctx.allocate("peak_fma.out", c.global() * 4, CL_MEM_WRITE_ONLY);
            } catch (RuntimeException e) {
                kernel.close();
                throw e;
            }
            kernel.arg(0, out).arg(2, 0.9999f).arg(3, 1e-4f);
        }

        /** Grows the rounds until one launch runs about {@link #TARGET_MS}, then takes a sample. */
        void calibrate() {
            double ms = launch().millis();
            while (ms < TARGET_MS && rounds < (1 << 24)) {
                rounds = (int) Math.min(1 << 24, Math.max(rounds * 2L, (long) (rounds * TARGET_MS / Math.max(ms, 1e-3))));
                ms = launch().millis();
            }
            sample();
        }

        /** One timed launch at the calibrated rounds, kept in {@link #samples}. */
        PeakRepeats.Sample sample() {
            Launch l = launch();
            PeakRepeats.Sample s = new PeakRepeats.Sample(rate(l.millis()), l.cpuShare());
            samples.add(s);
            return s;
        }

        /** The highest sample so far. */
        double best() {
            return samples.stream().mapToDouble(PeakRepeats.Sample::rate).max().orElse(0);
        }

        private double rate(double ms) {
            return 2.0 * c.vec() * c.acc() * c.global() * rounds / (ms * 1e6);
        }

        private Launch launch() {
            kernel.arg(1, rounds);
            return time(ctx, kernel, new long[] {c.global()}, c.local() > 0 ? new long[] {c.local()} : null, clock);
        }

        @Override
        public void close() {
            try {
                out.close();
            } finally {
                kernel.close();
            }
        }
    }

    private static PeakRepeats.Verdict triad(OpenClContext ctx, CpuClock clock) {
        OpenClDeviceInfo info = ctx.info();
        // Large enough to leave every cache behind, small enough for any device's allocation limit.
        long want = info.isCpu() ? 64L << 20 : 256L << 20;
        long bytes = Math.min(want, Math.min(info.maxAllocBytes(), info.globalMemBytes() / 8));
        bytes = bytes / 4096 * 4096;
        int n = (int) (bytes / 16);
        long local = Math.min(info.isCpu() ? 64 : 256, info.maxWorkGroup());
        long[] g = {(n + local - 1) / local * local};
        long[] l = {local};
        try (OpenClKernel k = ctx.programs().kernel("peak.cl", "-cl-std=CL1.2 -DVEC=4 -DACC=1", "peak_triad");
             DeviceBuffer dst = ctx.allocate("peak_triad.dst", bytes, CL_MEM_WRITE_ONLY);
             DeviceBuffer x = ctx.allocate("peak_triad.x", bytes, CL_MEM_READ_ONLY);
             DeviceBuffer y = ctx.allocate("peak_triad.y", bytes, CL_MEM_READ_WRITE)) {
            x.fill(1f);
            y.fill(2f);
            k.arg(0, dst).arg(1, x).arg(2, y).arg(3, 0.5f).arg(4, n);
            time(ctx, k, g, l, clock); // the first launch also touches every page
            double gb = 3.0 * 16 * n / 1e6;
            return PeakRepeats.repeat(() -> {
                // The best of a few launches is one repeat: a single short launch is at the timer's mercy.
                Launch best = time(ctx, k, g, l, clock);
                for (int i = 0; i < 2; i++) {
                    Launch next = time(ctx, k, g, l, clock);
                    best = next.millis < best.millis ? next : best;
                }
                return new PeakRepeats.Sample(gb / best.millis, best.cpuShare);
            });
        }
    }

    /** A launch's kernel milliseconds (from its profiling event) and the CPU share it got. */
    private record Launch(double millis, double cpuShare) {
    }

    private static Launch time(OpenClContext ctx, OpenClKernel k, long[] global, long[] local, CpuClock clock) {
        long cpu0 = clock.nanos();
        long wall0 = System.nanoTime();
        cl_event ev = k.launch(global, local);
        ctx.finish();
        double share = clock.share(cpu0, System.nanoTime() - wall0);
        double ms = OpenClKernel.elapsedMillisAndRelease(ev);
        if (!(ms > 0)) {
            throw new IllegalStateException("kernel " + k.name() + " has no profiling time (" + ms + " ms)");
        }
        return new Launch(ms, share);
    }

    /**
     * The process's CPU time, to tell whether an OpenCL CPU device's threads had their cores:
     * over a launch, CPU time / (wall time x compute units) is about 1 on a quiet machine. Read
     * from Linux's per-thread scheduler statistics ({@code /proc/self/task/}{@code *}{@code /schedstat},
     * nanoseconds on the CPU), which count the driver's native threads too; the JVM's own process
     * CPU time counts in 10 ms ticks, too coarse for a 50 ms launch. Elsewhere the share is unknown.
     */
    private record CpuClock(int cores) {
        static final CpuClock NONE = new CpuClock(0);

        static CpuClock process(int cores) {
            return processCpuNanos() >= 0 ? new CpuClock(cores) : NONE;
        }

        long nanos() {
            return cores > 0 ? processCpuNanos() : -1;
        }

        double share(long cpuBefore, long wallNanos) {
            long now = nanos();
            return cpuBefore < 0 || now < 0 || wallNanos <= 0 ? Double.NaN : (now - cpuBefore) / ((double) wallNanos * cores);
        }

        private static long processCpuNanos() {
            long sum = 0;
            try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Paths.get("/proc/self/task"))) {
                for (Path task : tasks) {
                    try {
                        String stat = Files.readString(task.resolve("schedstat"));
                        sum += Long.parseLong(stat.substring(0, stat.indexOf(' ')));
                    } catch (NoSuchFileException e) {
                        // the thread ended meanwhile
                    }
                }
                return sum;
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }
    }

    // ---------------------------------------------------------------- Java

    /**
     * An FMA loop of the Java path: {@code run(reps)} does {@code reps} rounds and returns the
     * flops done (2 an FMA). Implementations keep their accumulators in registers or in L1, so only
     * the FMA rate limits them.
     */
    interface FmaLoop {
        String describe();

        double run(long reps);
    }

    /**
     * The loops worth timing on the Java path: Math.fma chains that C2 vectorizes across a
     * float[1024] (eight dependent FMAs per element per round, so loads and stores do not limit
     * it), and, when the JVM has {@code jdk.incubator.vector}, 12 independent
     * {@code FloatVector} accumulators of the preferred width.
     */
    static List<FmaLoop> javaLoops() {
        List<FmaLoop> loops = new ArrayList<>();
        loops.add(new ArrayFmaLoop());
        if (VectorModule.readable()) {
            try {
                // By name, so that this class links without the incubator module.
                loops.add((FmaLoop) Class.forName("dev.convcl.cli.VectorFmaLoop").getDeclaredConstructor().newInstance());
            } catch (ReflectiveOperationException | LinkageError e) {
                LOG.debug("the Vector API FMA loop is unavailable ({}); timing plain Java only", e.toString());
            }
        }
        return loops;
    }

    /** FMA rate and bandwidth of plain Java loops on {@code threads} threads; a second or two. */
    static Measured measureJava(String device, int threads) {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "convcl-peak");
            t.setDaemon(true);
            return t;
        });
        try {
            List<String> tried = new ArrayList<>();
            FmaLoop loop = null;
            long reps = 0;
            List<PeakRepeats.Sample> bestSamples = List.of();
            double bestRate = -1;
            for (FmaLoop candidate : javaLoops()) {
                long r = calibrate(pool, threads, candidate);
                List<PeakRepeats.Sample> samples = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    samples.add(runAll(pool, threads, t -> timed(candidate, r)).sample());
                }
                double g = samples.stream().mapToDouble(PeakRepeats.Sample::rate).max().orElse(0);
                LOG.debug("Java FMA loop {}: {} GFLOP/s", candidate.describe(), g);
                tried.add(String.format(Locale.ROOT, "%s: %.1f", candidate.describe(), g));
                if (g > bestRate) {
                    bestRate = g;
                    loop = candidate;
                    reps = r;
                    bestSamples = samples;
                }
            }
            FmaLoop chosen = loop;
            long chosenReps = reps;
            // The chosen loop's runs so far count as its first repeats.
            PeakRepeats.Verdict fma = PeakRepeats.repeat(bestSamples,
                    () -> runAll(pool, threads, t -> timed(chosen, chosenReps)).sample());
            // 16 MiB a thread, three arrays: far beyond any cache.
            int perThread = 4 << 20;
            float[][][] arrays = new float[threads][3][perThread];
            for (float[][] a : arrays) {
                Arrays.fill(a[1], 1f);
                Arrays.fill(a[2], 2f);
            }
            for (int i = 0; i < 3; i++) {
                runAll(pool, threads, t -> javaTriad(arrays[t])); // the JIT, and first touch of every page
            }
            PeakRepeats.Verdict bandwidth = PeakRepeats.repeat(() -> runAll(pool, threads, t -> javaTriad(arrays[t])).sample());
            String config = chosen.describe() + ", " + threads + " threads";
            return new Measured(new Result(device, fma.value(), bandwidth.value(), config), fma, bandwidth,
                    String.join(", ", tried) + " GFLOP/s");
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Warms the JIT up on {@code loop} and returns the rounds that take about {@link #TARGET_MS}:
     * the rounds grow until a run lasts that long, and runs go on until {@link #JIT_ROUNDS} rounds
     * are done and a run is no faster than the one before (C2 compiles the loop in the middle of a
     * run; the Vector API's runs a thousand times slower until it has).
     */
    private static long calibrate(ExecutorService pool, int threads, FmaLoop loop) {
        long reps = 1000;
        long done = 0;
        double previous = 0;
        for (int run = 0; run < 40; run++) {
            long r = reps;
            Together t = runAll(pool, threads, i -> timed(loop, r));
            done += reps;
            double ms = t.slowestNs() / 1e6;
            if (ms < TARGET_MS) {
                reps = Math.min(1L << 40, Math.max(reps * 2, (long) (reps * TARGET_MS / Math.max(ms, 1e-3))));
                continue;
            }
            if (done >= JIT_ROUNDS && t.rate() < previous * 1.1) {
                return reps;
            }
            previous = t.rate();
        }
        return reps;
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** {units of work, wall nanoseconds, CPU nanoseconds (negative if unknown)} of one thread's run. */
    private static double[] timed(FmaLoop loop, long reps) {
        long cpu0 = threadCpu();
        long t0 = System.nanoTime();
        double flops = loop.run(reps);
        long ns = System.nanoTime() - t0;
        long cpu1 = threadCpu();
        return new double[] {flops, ns, cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0};
    }

    private static long threadCpu() {
        try {
            return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
        } catch (UnsupportedOperationException e) {
            return -1;
        }
    }

    /**
     * What all threads did together in one run.
     *
     * @param units     the sum of the threads' units of work (flops or bytes)
     * @param slowestNs the slowest thread's wall time
     * @param cpuShare  the threads' CPU time over their wall time, NaN if unknown
     */
    private record Together(double units, double slowestNs, double cpuShare) {
        double rate() {
            return units / slowestNs;
        }

        PeakRepeats.Sample sample() {
            return new PeakRepeats.Sample(rate(), cpuShare);
        }
    }

    /**
     * Runs {@code work} on every thread at once. Each task returns {units of work, wall
     * nanoseconds, CPU nanoseconds or negative}.
     */
    private static Together runAll(ExecutorService pool, int threads, IntFunction<double[]> work) {
        List<Future<double[]>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            parts.add(pool.submit(() -> work.apply(id)));
        }
        double units = 0;
        double slowestNs = 0;
        double cpuNs = 0;
        double wallNs = 0;
        boolean cpuKnown = true;
        try {
            for (Future<double[]> f : parts) {
                double[] r = f.get();
                units += r[0];
                slowestNs = Math.max(slowestNs, r[1]);
                wallNs += r[1];
                cpuKnown &= r[2] >= 0;
                cpuNs += r[2];
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring the peak", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("measuring the peak failed: " + e.getCause(), e.getCause());
        }
        return new Together(units, slowestNs, cpuKnown && wallNs > 0 ? cpuNs / wallNs : Double.NaN);
    }

    private static volatile float sink;

    /**
     * Math.fma over a float[1024] that C2 vectorizes: eight dependent FMAs on each element per
     * round, so the 64 to 128 independent vectors of a round keep every FMA unit busy while loads
     * and stores stay a small part of the work.
     */
    static final class ArrayFmaLoop implements FmaLoop {
        @Override
        public String describe() {
            return "Math.fma, 8-deep chains on a float[1024] (auto-vectorized)";
        }

        @Override
        public double run(long reps) {
            float[] acc = new float[1024];
            Arrays.fill(acc, 1f);
            float a = 0.9999f;
            float b = 1e-4f;
            for (long r = 0; r < reps; r++) {
                for (int i = 0; i < acc.length; i++) {
                    float x = acc[i];
                    x = Math.fma(x, a, b);
                    x = Math.fma(x, a, b);
                    x = Math.fma(x, a, b);
                    x = Math.fma(x, a, b);
                    x = Math.fma(x, a, b);
                    x = Math.fma(x, a, b);
                    x = Math.fma(x, a, b);
                    x = Math.fma(x, a, b);
                    acc[i] = x;
                }
            }
            sink = acc[0];
            return 16.0 * reps * acc.length;
        }
    }

    private static double[] javaTriad(float[][] a) {
        float[] dst = a[0], x = a[1], y = a[2];
        long cpu0 = threadCpu();
        long t0 = System.nanoTime();
        for (int i = 0; i < dst.length; i++) {
            dst[i] = x[i] + 0.5f * y[i];
        }
        long ns = System.nanoTime() - t0;
        long cpu1 = threadCpu();
        sink = dst[dst.length - 1];
        return new double[] {3.0 * 4 * dst.length, ns, cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0};
    }
}
