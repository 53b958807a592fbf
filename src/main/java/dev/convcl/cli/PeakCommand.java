package dev.convcl.cli;

import dev.convcl.ConvEngine;
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
                + "OpenCL device runs the kernels of peak.cl, the CPU path plain Java loops. The results are "
                + "cached for 'convcl bench', which reports its results as shares of them."})
final class PeakCommand extends CliCommand {

    @Option(names = "--device", paramLabel = "auto|cpu|opencl|opencl:N", defaultValue = "auto",
            description = "The OpenCL device to measure (default: ${DEFAULT-VALUE}); cpu measures the Java path only.")
    DeviceChoice device;

    @Override
    public Integer call() {
        PeakCache cache = PeakCache.standard();
        try (ConvEngine engine = ConvEngine.create(device)) {
            Optional<OpenClContext> ctx = openClContext(engine);
            if (ctx.isPresent()) {
                String key = PeakCache.key(ctx.get().info());
                print(out(), measureAndCache(cache, key, () -> Peak.measure(ctx.get())), cache.file(key).toString());
            }
            CpuBackend cpu = (CpuBackend) engine.cpuBackend();
            String key = PeakCache.javaKey(cpu.threads());
            print(out(), measureAndCache(cache, key, () -> Peak.measureJava(cpu.deviceName(), cpu.threads())),
                    cache.file(key).toString());
        }
        return 0;
    }

    /** The engine's OpenCL context, when its primary backend is an OpenCL device. */
    static Optional<OpenClContext> openClContext(ConvEngine engine) {
        return engine.primaryBackend() instanceof OpenClBackend cl ? Optional.of(cl.context()) : Optional.empty();
    }

    private Peak.Result measureAndCache(PeakCache cache, String key, Supplier<Peak.Result> measure) {
        Peak.Result r = measure.get();
        cache.put(key, r);
        return r;
    }

    /** The cached peak of {@code key}, else one measured now (and cached); the caller says so first. */
    static Peak.Result cachedOrMeasured(PeakCache cache, String key, Supplier<Peak.Result> measure) {
        Optional<Peak.Result> cached = cache.get(key);
        if (cached.isPresent()) {
            return cached.get();
        }
        Peak.Result r = measure.get();
        cache.put(key, r);
        return r;
    }

    static void print(PrintWriter out, Peak.Result r, String cachedIn) {
        out.println(r.device());
        out.printf(Locale.ROOT, "  fp32 FMA   %10.1f GFLOP/s  (%s)%n", r.gflops(), r.fmaConfig());
        out.printf(Locale.ROOT, "  bandwidth  %10.1f GB/s     (triad dst = x + s*y, bytes read + written)%n", r.gbPerS());
        out.println("  cached in  " + cachedIn);
    }
}
