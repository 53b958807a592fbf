package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.DataType;
import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.spi.Memory;
import java.util.EnumMap;
import java.util.Map;
import dev.convcl.Convolution;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Benchmark of GEMM tiles ({@link GemmConvPlan}) on one problem after another: the default tile
 * against the tiles listed, on the OpenCL device {@code auto} picks. Not a test: run it by hand
 * after {@code mvn test-compile},
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(deps) dev.convcl.opencl.GemmTileBench \
 *     SHAPES_FILE [NAME_REGEX] ['cm vw=16 tm=32 tn=14 ls=1;pv vw=16 tm=4 tn=64 ls=1']
 * </pre>
 *
 * Every problem runs with bias=1, and with the post-ops -Dbench.post=CHAIN (e.g. {@code sum+relu}, a
 * residual read by the epilogue; {@link dev.convcl.PostOps#parse}) when given. Per problem its plans run round-robin, after a warm-up call
 * each, for at least 5 rounds and 0.5 s (-Dbench.millis=N for N ms; -Dbench.evictMB=N writes N MB on
 * two threads before every call, so the call starts with cold caches, as a network's layers do). Per plan it prints the
 * median kernel time (OpenCL profiling), its GFLOP/s, the speed-up over the default tile, the median time of
 * the kernels and the copy into the padded layout (device time), the median time of a whole call (the wait
 * included) and the
 * relative L2 difference from its output. The machine may be shared: compare plans of one run.
 */
public final class GemmTileBench {
    private GemmTileBench() {
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length < 1) {
            System.err.println("usage: GemmTileBench SHAPES_FILE [NAME_REGEX] ['CONFIG;CONFIG']");
            System.exit(2);
        }
        Pattern filter = Pattern.compile(argv.length > 1 ? argv[1] : ".*");
        List<GemmConfig> extra = new ArrayList<>();
        if (argv.length > 2 && !argv[2].isBlank()) {
            for (String t : argv[2].split(";")) {
                extra.add(GemmConfig.parse(t));
            }
        }
        OpenClDeviceInfo device = OpenClDiscovery.discover().best().orElseThrow();
        System.out.println("device: " + device.describe());
        DeviceProfile profile = DeviceProfile.of(device);
        try (OpenClBackend backend = new OpenClBackend(device)) {
            OpenClContext ctx = backend.context();
            for (String line : Files.readAllLines(Path.of(argv[0]))) {
                String l = line.replaceAll("#.*", "").trim();
                if (l.isEmpty() || !filter.matcher(l.split("\\s+")[0]).find()) {
                    continue;
                }
                String name = l.split("\\s+")[0];
                Convolution spec = Problems.parse(l).withBias(true);
                if (!POST.isEmpty()) {
                    spec = spec.withPostOps(POST);
                }
                if (!GemmConvPlan.handles(spec)) {
                    continue;
                }
                List<GemmConfig> configs = new ArrayList<>();
                configs.add(profile.gemm(spec));
                for (GemmConfig c : extra) {
                    if (!configs.contains(c) && GemmConvPlan.unsuitableReason(spec, c, device).isEmpty()) {
                        configs.add(c);
                    }
                }
                List<String> labels = new ArrayList<>();
                List<Primitive> plans = new ArrayList<>();
                for (GemmConfig c : configs) {
                    GemmConvPlan p = new GemmConvPlan(ctx, spec, c);
                    labels.add(c + " [" + GemmConvPlan.Geometry.of(spec, c).tileName + "]");
                    plans.add(p);
                }
                try {
                    race(backend, name, spec, labels, plans);
                } finally {
                    plans.forEach(Primitive::close);
                }
            }
        }
    }

    private static void race(OpenClBackend backend, String name, Convolution spec, List<String> labels,
                             List<Primitive> plans) {
        Args args = Tensors.args(spec, 7, false, 2.0);
        List<Memory> mems = new ArrayList<>();
        Map<Arg, Memory> call = new EnumMap<>(Arg.class);
        Memory dst = null;
        for (Map.Entry<Arg, Tensor> e : args.asMap().entrySet()) {
            HostTensor h = (HostTensor) e.getValue();
            Memory m = backend.allocate(e.getKey().displayName(), (long) h.size() * DataType.F32.bytes());
            mems.add(m);
            if (e.getKey().isOutput()) {
                dst = m;
            } else {
                backend.write(m, h);
            }
            if (e.getKey() == Arg.SRC || e.getKey().isOutput()) {
                call.put(e.getKey(), m);
            } else {
                for (Primitive p : plans) {
                    p.bind(e.getKey(), m);
                }
            }
        }
        List<float[]> outs = new ArrayList<>();
        List<List<Double>> times = new ArrayList<>();
        List<List<Double>> walls = new ArrayList<>();
        List<List<Double>> devs = new ArrayList<>();
        for (Primitive p : plans) {
            p.execute(call);
            backend.finish();
            Args fresh = Tensors.withFreshOutput(args, spec);
            backend.read(dst, (HostTensor) fresh.asMap().get(Arg.DST));
            outs.add(Tensors.out(fresh));
            times.add(new ArrayList<>());
            walls.add(new ArrayList<>());
            devs.add(new ArrayList<>());
        }
        long start = System.nanoTime();
        int rounds = 0;
        long budget = Long.getLong("bench.millis", 500L) * 1_000_000L;
        while (rounds < 5 || System.nanoTime() - start < budget) {
            for (int i = 0; i < plans.size(); i++) {
                evictCaches();
                long t0 = System.nanoTime();
                plans.get(i).execute(call);
                backend.finish();
                walls.get(i).add((System.nanoTime() - t0) / 1e6);
                times.get(i).add(plans.get(i).lastKernelMillis());
                devs.get(i).add(plans.get(i).lastDeviceMillis());
            }
            rounds++;
        }
        mems.forEach(Memory::close);
        double base = median(times.get(0));
        for (int i = 0; i < plans.size(); i++) {
            double med = median(times.get(i));
            double wall = median(walls.get(i));
            System.out.println(String.format(Locale.ROOT,
                    "%-22s %8.4f ms %6.1f GFLOP/s  x%5.2f  device %8.4f ms  call %8.4f ms %6.1f GFLOP/s  diff %.0e  %s",
                    name, med, spec.flops() / med / 1e6, base / med, median(devs.get(i)), wall, spec.flops() / wall / 1e6,
                    Tensors.relativeL2(outs.get(0), outs.get(i)), labels.get(i)));
        }
    }

    /** -Dbench.post=CHAIN: the post-ops every problem runs with (none by default). */
    private static final dev.convcl.PostOps POST = dev.convcl.PostOps.parse(System.getProperty("bench.post", ""));

    /** -Dbench.evictMB=N: floats the host writes on every core before each call (0: none). */
    private static final float[] EVICT = new float[Integer.getInteger("bench.evictMB", 0) * 262_144];

    /**
     * Writes {@link #EVICT} in two halves on two threads before a timed call, so the call finds
     * its weights and input in memory, not in a cache, as a layer of a network does when the
     * layers before it moved more data than the last-level cache holds.
     */
    private static void evictCaches() {
        if (EVICT.length == 0) {
            return;
        }
        IntStream.range(0, 2).parallel().forEach(h -> {
            int from = h * (EVICT.length / 2), to = from + EVICT.length / 2;
            for (int i = from; i < to; i += 16) {
                EVICT[i] += 1f;
            }
        });
    }

    private static double median(List<Double> v) {
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s[s.length / 2];
    }
}
