package dev.convcl.cli;

import dev.convcl.spi.Internals;

import dev.convcl.Engine;
import dev.convcl.DeviceChoice;
import dev.convcl.cpu.CpuBackend;
import dev.convcl.opencl.OpenClBackend;
import dev.convcl.opencl.OpenClContext;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code convcl peak}: the measured fp32 FMA rate and memory bandwidth of the device and of the CPU path. */
@Command(name = "peak", sortOptions = false, description = {
        "Measures the fp32 FMA rate and the memory bandwidth of the device and of the CPU path.",
        "GFLOP/s count 2 flops an FMA; GB/s count the bytes a triad x + s*y reads plus writes. The "
                + "OpenCL device runs the kernels of peak.cl, shaped for the device's vector width and "
                + "register count; the CPU path runs Java loops of the same shape.",
        "Each figure is repeated. When the repeats agree it is cached for 'convcl bench', which reports "
                + "its results as shares of it; when they do not (a busy machine) it is shown but not cached."})
final class PeakCommand extends CliCommand {

    @Option(names = "--device", paramLabel = "auto|cpu|opencl|opencl:N", defaultValue = "auto",
            description = "The OpenCL device to measure (default: ${DEFAULT-VALUE}; "
                    + DEVICE_DEFAULT_HELP + "); cpu measures the Java path only.")
    DeviceChoice device;

    @Option(names = "--fma-limit", paramLabel = "GFLOPS",
            description = "The fp32 FMA rate a plain C loop reaches on this machine's CPU (bench/fma_limit.c "
                    + "prints it), at least 0.001 (1 MFLOP/s); the CPU figures are then also shown as shares of it. "
                    + "Only bench measures it (bench --fma-limit measure); peak takes a figure.")
    String fmaLimitText;

    /** {@code --fma-limit}'s figure, or null when not given. */
    private Double fmaLimit;

    @Override
    public Integer call() {
        device = device(device);
        // text, checked by bench's own check, so that a bad value gets bench's line
        fmaLimit = fmaLimitText == null ? null : FmaLimit.figure(fmaLimitText);
        PeakCache cache = PeakCache.standard();
        try (Engine engine = Engine.create(device)) {
            Optional<OpenClContext> ctx = openClContext(engine);
            if (ctx.isPresent()) {
                String key = PeakCache.key(ctx.get().info());
                Peak.Measured m = Peak.measure(ctx.get());
                print(out(), m, keep(cache, key, m), ctx.get().info().isCpu() ? fmaLimit : null);
            }
            CpuBackend cpu = (CpuBackend) Internals.cpu(engine);
            String key = PeakCache.javaKey(cpu.threads());
            Peak.Measured m = Peak.measureJava(cpu.deviceName(), cpu.threads());
            print(out(), m, keep(cache, key, m), fmaLimit);
        }
        return 0;
    }

    /** The engine's OpenCL context, when its primary backend is an OpenCL device. */
    static Optional<OpenClContext> openClContext(Engine engine) {
        return Internals.primary(engine) instanceof OpenClBackend cl ? Optional.of(cl.context()) : Optional.empty();
    }

    /** Caches {@code m} when it is stable; where it went, or what it says instead ("not cached: ..."). */
    static String keep(PeakCache cache, String key, Peak.Measured m) {
        if (!m.stable()) {
            return "not cached: " + whyUnstable(m) + "; the next 'convcl peak' or 'convcl bench' measures again";
        }
        cache.put(key, m);
        return "cached in  " + cache.file(key);
    }

    private static String whyUnstable(Peak.Measured m) {
        StringBuilder why = new StringBuilder();
        if (!m.fma().stable()) {
            why.append("the FMA rate's repeats: ").append(m.fma().reason());
        }
        if (!m.bandwidth().stable()) {
            why.append(why.length() > 0 ? "; " : "").append("the bandwidth's repeats: ").append(m.bandwidth().reason());
        }
        return why.toString();
    }

    /**
     * The cached peak of {@code key}, else one measured now: cached when stable, and used either way
     * (an unstable one with a line on {@code progress} saying why it was not cached).
     */
    static Peak.Result cachedOrMeasured(PeakCache cache, String key, Supplier<Peak.Measured> measure, PrintWriter progress) {
        Optional<Peak.Result> cached = cache.get(key);
        if (cached.isPresent()) {
            return cached.get();
        }
        return measureAndKeep(cache, key, measure, progress);
    }

    /** A fresh peak, cached when stable; a line on {@code progress} when it was not. */
    static Peak.Result measureAndKeep(PeakCache cache, String key, Supplier<Peak.Measured> measure, PrintWriter progress) {
        Peak.Measured m = measure.get();
        String kept = keep(cache, key, m);
        if (!m.stable()) {
            progress.printf(Locale.ROOT, "peak of %s: %.1f GFLOP/s, %s%n", m.result().device(), m.result().gflops(), kept);
            progress.flush();
        }
        return m.result();
    }

    static void print(PrintWriter out, Peak.Measured m, String kept, Double fmaLimit) {
        Peak.Result r = m.result();
        out.println(r.device());
        out.printf(Locale.ROOT, "  fp32 FMA   %10.1f GFLOP/s  (%s)%n", r.gflops(), r.fmaConfig());
        out.println("    tried        " + m.tried());
        out.println("    repeats      " + m.fma().describe("GFLOP/s"));
        if (fmaLimit != null) {
            out.printf(Locale.ROOT, "    vs C loop    %.1f%% of %s GFLOP/s, the plain C FMA loop's rate given with --fma-limit%n",
                    100 * r.gflops() / fmaLimit, FmaLimit.text(fmaLimit));
        }
        out.printf(Locale.ROOT, "  bandwidth  %10.1f GB/s     (triad dst = x + s*y, bytes read + written)%n", r.gbPerS());
        out.println("    repeats      " + m.bandwidth().describe("GB/s"));
        out.println("  " + kept);
        out.flush();
    }
}
