package dev.convcl.testing;

import static org.jocl.CL.CL_CONTEXT_REFERENCE_COUNT;
import static org.jocl.CL.clGetContextInfo;
import static org.jocl.CL.clReleaseContext;
import static org.jocl.CL.clRetainContext;

import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import dev.convcl.Plan;
import dev.convcl.opencl.OpenClContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_context;

/**
 * Run in a forked JVM by {@code OpenClLeakTest} (with {@value NativeMemory#JVM_OPTION}): the
 * cycles whose leaks the test looks for, reported on standard error as {@code RESULT key=value}
 * lines for the test to judge. {@code plans CYCLES EVERY}: plan create, execute, close, after a
 * warm-up; {@code engines CYCLES}: engine create, plan, execute, close.
 */
public final class LeakProbe {
    /** How long a driver reference count may take to come down after the call that used the object returned. */
    static final long SETTLE_MILLIS = 5_000;

    public static final List<Convolution> SPECS = List.of(
            Problems.parse("op=conv2d n=1 c=8 h=16 w=16 k=8 kh=3 kw=3 pad=1 bias=1"),
            Problems.parse("op=conv2d n=1 c=16 h=16 w=16 k=16 kh=3 kw=3 pad=1 groups=16"),
            Problems.parse("op=deform2d n=1 c=4 h=12 w=12 k=4 kh=3 kw=3 pad=1 mask=1"));

    private LeakProbe() {
    }

    public static void main(String[] args) {
        switch (args[0]) {
            case "plans" -> plans(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
            case "engines" -> engines(Integer.parseInt(args[1]));
            default -> throw new IllegalArgumentException("mode plans or engines, got " + args[0]);
        }
    }

    private static void result(String key, Object value) {
        System.err.println("RESULT " + key + "=" + value);
    }

    private static void plans(int cycles, int every) {
        try (Engine engine = Engine.create(DeviceChoice.OPENCL)) {
            OpenClContext ctx = OpenClTestDevice.context(engine);
            List<Args> args = SPECS.stream().map(s -> Tensors.args(s, 3, false, 1.5)).toList();
            cycles(engine, args, cycles / 10, 0, null); // warm-up: programs built, JIT and allocator settled
            int objects = ctx.liveObjects();
            Map<String, Integer> references = steady(ctx::driverReferenceCounts);
            // Can the measures see a leak? What an open plan holds after a call, as each measure counts it.
            List<String> open = new ArrayList<>();
            for (int p = 0; p < SPECS.size(); p++) {
                try (Plan plan = engine.plan(SPECS.get(p))) {
                    plan.execute(args.get(p));
                    engine.finish();
                    Map<String, Integer> counts = ctx.driverReferenceCounts();
                    long programReferences = counts.entrySet().stream().filter(e -> e.getKey().startsWith("program "))
                            .mapToLong(e -> e.getValue() - references.getOrDefault(e.getKey(), 0)).sum();
                    open.add(plan.backend() + ":bytes=" + ctx.liveBytes() + ":objects=" + (ctx.liveObjects() - objects)
                            + ":context=" + (counts.get("context") - references.get("context"))
                            + ":program=" + programReferences);
                }
            }
            result("openPlans", String.join(",", open));
            long launches = ctx.kernelLaunches();
            long[] samples = new long[cycles / every + 1];
            long t0 = System.nanoTime();
            cycles(engine, args, cycles, every, samples);
            result("seconds", String.format("%.1f", (System.nanoTime() - t0) / 1e9));
            result("launches", ctx.kernelLaunches() - launches);
            result("liveBytes", ctx.liveBytes());
            result("liveObjectsGrown", ctx.liveObjects() - objects);
            result("guardViolations", ctx.guardViolations());
            Map<String, Integer> end = settled(ctx::driverReferenceCounts, references);
            result("references", end);
            Map<String, Integer> grown = new TreeMap<>();
            end.forEach((key, n) -> {
                if (n - references.getOrDefault(key, 0) != 0) {
                    grown.put(key, n - references.getOrDefault(key, 0));
                }
            });
            result("referencesGrown", grown);
            result("nativeSamples", Arrays.stream(samples).mapToObj(Long::toString).collect(Collectors.joining(",")));
        }
    }

    private static void cycles(Engine engine, List<Args> args, int count, int every, long[] samples) {
        for (int i = 0; i < count; i++) {
            if (samples != null && i % every == 0) {
                samples[i / every] = NativeMemory.outsideJvmBytes();
            }
            int p = i % SPECS.size();
            try (Plan plan = engine.plan(SPECS.get(p))) {
                plan.execute(args.get(p));
            }
        }
        if (samples != null) {
            samples[samples.length - 1] = NativeMemory.outsideJvmBytes();
        }
    }

    private static void engines(int cycles) {
        Convolution spec = SPECS.get(0);
        Args args = Tensors.args(spec, 2, true, 1);
        for (int i = 0; i < 5; i++) { // warm-up: kernel binaries on disk, JIT
            try (Engine engine = Engine.create(DeviceChoice.OPENCL); Plan plan = engine.plan(spec)) {
                plan.execute(args);
            }
        }
        long[] samples = new long[cycles + 1];
        List<Integer> left = new ArrayList<>();
        List<String> backends = new ArrayList<>();
        samples[0] = NativeMemory.outsideJvmBytes();
        for (int i = 0; i < cycles; i++) {
            cl_context context;
            try (Engine engine = Engine.create(DeviceChoice.OPENCL); Plan plan = engine.plan(spec)) {
                plan.execute(args);
                backends.add(plan.backend());
                context = OpenClTestDevice.context(engine).context();
                clRetainContext(context); // the probe's own reference, so the count can be read after close()
            }
            left.add(contextReferencesLeft(context));
            clReleaseContext(context);
            samples[i + 1] = NativeMemory.outsideJvmBytes();
        }
        result("backends", backends.stream().distinct().toList());
        result("contextReferencesLeft", left.stream().distinct().toList());
        result("nativeSamples", Arrays.stream(samples).mapToObj(Long::toString).collect(Collectors.joining(",")));
    }

    /**
     * The driver's count of references to {@code context} once it has come down to 1 (the
     * caller's own), or what it is after {@value #SETTLE_MILLIS} ms.
     */
    public static int contextReferencesLeft(cl_context context) {
        return settled(() -> referenceCount(context), 1);
    }

    static int referenceCount(cl_context context) {
        int[] count = new int[1];
        clGetContextInfo(context, CL_CONTEXT_REFERENCE_COUNT, Sizeof.cl_uint, Pointer.to(count), null);
        return count[0];
    }

    /**
     * {@code count}'s value once it equals {@code expected}, or after {@value #SETTLE_MILLIS} ms. The
     * driver finishes a command in its own threads and lets go of the objects the command held
     * just after the waiting call returns; a leaked reference never goes.
     */
    static <T> T settled(Supplier<T> count, T expected) {
        long deadline = System.nanoTime() + SETTLE_MILLIS * 1_000_000L;
        T now = count.get();
        while (!now.equals(expected) && System.nanoTime() < deadline) {
            pause();
            now = count.get();
        }
        return now;
    }

    /** {@code count}'s value once it has not changed for 50 ms (at most {@value #SETTLE_MILLIS} ms). */
    static <T> T steady(Supplier<T> count) {
        long deadline = System.nanoTime() + SETTLE_MILLIS * 1_000_000L;
        T now = count.get();
        int same = 0;
        while (same < 10 && System.nanoTime() < deadline) {
            pause();
            T next = count.get();
            same = next.equals(now) ? same + 1 : 0;
            now = next;
        }
        return now;
    }

    private static void pause() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
