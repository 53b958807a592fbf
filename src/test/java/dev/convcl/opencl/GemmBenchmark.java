package dev.convcl.opencl;

import static org.jocl.CL.CL_MEM_READ_WRITE;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import dev.convcl.spi.Memory;
import dev.convcl.testing.Problems;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.jocl.cl_event;

/**
 * A small benchmark of the implicit-GEMM kernels against the direct kernel on the default
 * OpenCL device; not a test. The machine it was written for is shared and noisy, so each timed
 * GEMM run is paired with a run of a plain fma kernel ({@code peak_fma.cl}) and the report shows
 * both medians and their ratio: the ratio is the figure that survives the noise.
 *
 * <pre>
 * mvn -q test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt
 * POCL_SIGFPE_HANDLER=0 java -cp target/classes:target/test-classes:$(cat cp.txt) \
 *     dev.convcl.opencl.GemmBenchmark ../shared/bench/shapes.txt [--only REGEX] [--reps 7]
 *     [--config "cm vw=16 tm=32 tn=14 ls=1"]... [--direct-reps 1] [--no-peak] [--repack]
 * </pre>
 * Without {@code --config} it times the configuration the {@code gemm} implementation uses (tuning
 * file or defaults). Every problem runs with bias=1 on tensors kept on the device; GFLOP/s =
 * 2*MACs / median device time. The weights are bound (packed once), so repeated calls time the
 * GEMM kernel alone; with {@code --repack} every call passes the weights, which packs them, and the
 * time includes the packing. The direct kernel is run {@code --direct-reps} times (it is slow on a
 * CPU).
 */
public final class GemmBenchmark {
    private GemmBenchmark() {
    }

    public static void main(String[] argv) throws IOException {
        if (argv.length == 0) {
            System.err.println("usage: GemmBenchmark SHAPES [--only REGEX] [--reps N] [--direct-reps N] [--config CFG]... [--no-peak] [--repack]");
            System.exit(2);
        }
        Path shapes = Path.of(argv[0]);
        Pattern only = Pattern.compile(".*");
        int reps = 7;
        int directReps = 1;
        boolean withPeak = true;
        boolean repack = false;
        List<GemmConfig> configs = new ArrayList<>();
        for (int i = 1; i < argv.length; i++) {
            switch (argv[i]) {
                case "--only" -> only = Pattern.compile(argv[++i]);
                case "--reps" -> reps = Integer.parseInt(argv[++i]);
                case "--direct-reps" -> directReps = Integer.parseInt(argv[++i]);
                case "--config" -> configs.add(GemmConfig.parse(argv[++i]));
                case "--no-peak" -> withPeak = false;
                case "--repack" -> repack = true;
                default -> throw new IllegalArgumentException("unknown option " + argv[i]);
            }
        }
        OpenClDeviceInfo device = OpenClDiscovery.discover().best().orElseThrow(() -> new IllegalStateException("no OpenCL device"));
        System.out.println("device: " + device.describe());
        System.out.printf(Locale.ROOT, "%-20s %8s %9s %-22s %9s %9s %7s %8s%n", "problem", "GFLOP", "direct",
                "gemm", "GFLOP/s", "peak", "of peak", "x direct");
        try (OpenClBackend backend = new OpenClBackend(device); Peak peak = new Peak(backend.context())) {
            OpenClContext ctx = backend.context();
            for (String line : Files.readAllLines(shapes)) {
                String body = line.split("#", 2)[0].trim();
                if (body.isEmpty()) {
                    continue;
                }
                String name = body.split("\\s+", 2)[0];
                if (!only.matcher(name).find()) {
                    continue;
                }
                Convolution spec = Problems.parse(body).withBias(true);
                if (!GemmConvPlan.handles(spec)) {
                    continue;
                }
                try (DeviceArgs args = DeviceArgs.integers(ctx, spec, 7)) {
                    run(backend, spec, args, name, configs, reps, directReps, withPeak ? peak : null, repack);
                }
            }
        }
    }

    private static void run(OpenClBackend backend, Convolution spec, DeviceArgs args, String name,
                            List<GemmConfig> configs, int reps, int directReps, Peak peak, boolean repack) {
        OpenClContext ctx = backend.context();
        OpenClDeviceInfo device = ctx.info();
        Map<Arg, Memory> all = args.memory();
        double directMs = Double.NaN;
        if (directReps > 0) {
            try (DirectConvPlan direct = new DirectConvPlan(ctx, spec)) {
                direct.execute(all);
                double[] t = new double[directReps];
                for (int r = 0; r < directReps; r++) {
                    direct.execute(all);
                    t[r] = direct.lastKernelMillis();
                }
                directMs = median(t);
            }
        }
        List<GemmConfig> toRun = configs.isEmpty()
                ? List.of(TuningTable.forDevice(device).configFor(spec, device)) : configs;
        Map<Arg, Memory> call = new EnumMap<>(all);
        if (!repack) {
            call.remove(Arg.WEIGHTS); // bound below: packed once
        }
        for (GemmConfig cfg : toRun) {
            if (GemmConvPlan.unsuitableReason(spec, cfg, device).isPresent()) {
                continue;
            }
            try (GemmConvPlan plan = new GemmConvPlan(ctx, spec, cfg)) {
                plan.bind(Arg.WEIGHTS, all.get(Arg.WEIGHTS));
                plan.execute(call);
                double[] t = new double[reps];
                double[] p = new double[reps];
                for (int r = 0; r < reps; r++) {
                    p[r] = peak != null ? peak.gflops() : Double.NaN;
                    plan.execute(call);
                    t[r] = plan.lastKernelMillis();
                }
                double ms = median(t);
                double gf = spec.flops() / ms / 1e6;
                double pk = median(p);
                System.out.printf(Locale.ROOT, "%-20s %8.3f %9.1f %-22s %9.1f %9.1f %6.0f%% %8.1f%n", name,
                        spec.flops() / 1e9, spec.flops() / directMs / 1e6, plan.algorithm(), gf, pk,
                        100 * gf / pk, directMs / ms);
            }
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** The fma yardstick: one run of a few milliseconds on every compute unit. */
    static final class Peak implements AutoCloseable {
        private final OpenClContext ctx;
        private final OpenClKernel kernel;
        private final DeviceBuffer out;
        private final long items;
        private final int iterations;

        Peak(OpenClContext ctx) {
            this.ctx = ctx;
            this.kernel = ctx.programs().kernel("peak_fma.cl", "-cl-std=CL1.2", "peak_fma");
            this.items = 4L * ctx.info().computeUnits();
            this.out = ctx.allocate("peak", items * 4, CL_MEM_READ_WRITE);
            this.iterations = 100000;
            kernel.arg(0, out).arg(1, iterations).arg(2, 0.999f).arg(3, 0.001f);
            gflops();
        }

        double gflops() {
            cl_event ev = kernel.launch(new long[] {items}, new long[] {1});
            ctx.finish();
            double ms = OpenClKernel.elapsedMillisAndRelease(ev);
            return 2.0 * 16 * 24 * iterations * items / ms / 1e6;
        }

        @Override
        public void close() {
            kernel.close();
            out.close();
        }
    }
}
