package dev.convcl.testing;

import dev.convcl.Convolution;
import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import dev.convcl.Plan;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Run in a forked JVM by {@code ConcurrentEngineCreateTest}: {@code args[1]} threads, released
 * together, each create the process's first engines on device {@code args[0]} at the same moment,
 * plan a grouped convolution and check it against the reference; then reports on standard error
 * {@code RESULT backends=...} (each thread's plan backend, in thread order) and
 * {@code RESULT divide=ArithmeticException} (the JVM still throws on {@code 1 / 0}).
 */
public final class ConcurrentCreateProbe {
    private ConcurrentCreateProbe() {
    }

    public static void main(String[] args) throws Exception {
        DeviceChoice choice = DeviceChoice.parse(args[0]);
        int threads = Integer.parseInt(args[1]);
        Convolution spec = Problems.parse("op=conv2d n=1 c=8 h=12 w=12 k=8 kh=3 kw=3 pad=1 groups=2 bias=1");
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<String>> done = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            done.add(pool.submit(() -> {
                start.await();
                try (Engine engine = Engine.create(choice); Plan plan = engine.plan(spec)) {
                    CrossCheck.integersExact(spec, 1, plan::execute);
                    return plan.backend();
                }
            }));
        }
        List<String> backends = new ArrayList<>();
        for (Future<String> f : done) {
            backends.add(f.get(240, TimeUnit.SECONDS));
        }
        pool.shutdown();
        System.err.println("RESULT backends=" + String.join(",", backends));
        int zero = backends.size() - threads;
        String divide;
        try {
            divide = "returned " + (1 / zero);
        } catch (ArithmeticException e) {
            divide = "ArithmeticException";
        }
        System.err.println("RESULT divide=" + divide);
    }
}
