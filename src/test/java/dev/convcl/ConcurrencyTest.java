package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.convcl.opencl.OpenClContext;
import dev.convcl.testing.Engines;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Target;
import dev.convcl.testing.Tensors;
import dev.convcl.testing.WarnCapture;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Many threads through one shared engine, on every backend: one-shot calls ({@link Engine#conv2d},
 * {@link Engine#deformConv2d}, {@link Engine#execute}) and plans shared by all threads, on a
 * mix of tiny problems, 8 threads x 500 calls. Every result must be bitwise equal to the
 * single-threaded result, no call may fall back to the CPU path, and the whole run must end within
 * a time limit (a deadlock fails with the threads' stacks instead of hanging the build). Once the
 * engine (and with it the plan cache of the one-shot calls) is closed, no device memory or OpenCL
 * object is left.
 */
class ConcurrencyTest {
    @RegisterExtension
    static final Engines ENGINES = new Engines();
    static final int THREADS = 8;
    static final int CALLS_PER_THREAD = 500;
    private static final List<Convolution> SPECS = List.of(
            Problems.parse("op=conv2d n=1 c=4 h=6 w=6 k=4 kh=3 kw=3 pad=1 bias=1"),
            Problems.parse("op=conv2d n=1 c=6 h=5 w=5 k=6 kh=3 kw=3 pad=1 groups=6"),
            Problems.parse("op=conv2d n=2 c=4 h=5 w=5 k=3 kh=1 kw=1 stride=2 bias=1"),
            Problems.parse("op=conv2d n=1 c=4 h=7 w=7 k=4 kh=3 kw=3 pad=2 dil=2 groups=2"),
            Problems.parse("op=deform2d n=1 c=4 h=5 w=5 k=2 kh=3 kw=3 pad=1 og=2 mask=1 bias=1"),
            Problems.parse("op=deform2d n=1 c=2 h=4 w=4 k=2 kh=2 kw=2"));

    /** The limit for the whole multi-threaded run. */
    private static long timeLimitSeconds(Target target) {
        return target == Target.CPU ? 120 : 300;
    }

    /** One call of problem {@code p} in one of three ways on {@code e}; returns the output. */
    private static HostTensor call(Engine e, int p, int way, Args a, Plan[] plans) {
        Convolution s = SPECS.get(p);
        switch (way) {
            case 0: { // a plan shared by all threads
                HostTensor out = Tensor.zeros(s.outputShape());
                plans[p].execute(a.with(Arg.DST, out));
                return out;
            }
            case 1: { // one-shot with a descriptor
                HostTensor out = Tensor.zeros(s.outputShape());
                e.execute(s, a.with(Arg.DST, out));
                return out;
            }
            default: // one-shot, PyTorch style (these problems have one stride/padding/dilation for both axes)
                return s.isDeformable()
                        ? e.deformConv2d(a.get(Arg.SRC), a.get(Arg.OFFSET), a.get(Arg.WEIGHTS), a.get(Arg.BIAS),
                                s.strideH(), s.padTop(), s.dilH(), a.get(Arg.MASK))
                        : e.conv2d(a.get(Arg.SRC), a.get(Arg.WEIGHTS), a.get(Arg.BIAS), s.strideH(), s.padTop(), s.dilH(),
                                s.groups());
        }
    }

    private static int[] bits(HostTensor t) {
        float[] a = t.array();
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToRawIntBits(a[i]);
        }
        return b;
    }

    @ParameterizedTest(name = "[{0}]")
    @EnumSource(Target.class)
    void sharedEngineGivesSingleThreadedResultsBitwise(Target target) throws Exception {
        Engine engine = ENGINES.get(target);
        String expectedBackend = target.toString();
        int callsPerThread = CALLS_PER_THREAD;
        List<Args> args = new ArrayList<>();
        List<int[]> expected = new ArrayList<>();
        Plan[] plans = new Plan[SPECS.size()];
        try (WarnCapture warnings = WarnCapture.on(Engine.class)) {
            for (int p = 0; p < SPECS.size(); p++) {
                Convolution s = SPECS.get(p);
                args.add(Tensors.args(s, 1000 + p, false, 1.5));
                plans[p] = engine.plan(s);
                assertEquals(expectedBackend, plans[p].backend(), s.toString());
                int[] single = bits(call(engine, p, 0, args.get(p), plans));
                for (int way = 1; way <= 2; way++) {
                    assertArrayEquals(single, bits(call(engine, p, way, args.get(p), plans)),
                            "single-threaded calls disagree between ways 0 and " + way + ": " + s);
                }
                expected.add(single);
            }

            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicLong calls = new AtomicLong();
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            long t0 = System.nanoTime();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                pool.execute(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < callsPerThread && failures.size() < 10; i++) {
                            int p = (thread + i) % SPECS.size();
                            int way = (thread * 31 + i) % 3;
                            int[] got = bits(call(engine, p, way, args.get(p), plans));
                            calls.incrementAndGet();
                            if (!Arrays.equals(expected.get(p), got)) {
                                failures.add("thread " + thread + " call " + i + " way " + way + ": differs from the "
                                        + "single-threaded result: " + SPECS.get(p));
                            }
                        }
                    } catch (Throwable e) {
                        failures.add("thread " + thread + ": " + e);
                    }
                });
            }
            start.countDown();
            pool.shutdown();
            if (!pool.awaitTermination(timeLimitSeconds(target), TimeUnit.SECONDS)) {
                String dump = Arrays.toString(ManagementFactory.getThreadMXBean().dumpAllThreads(true, true));
                pool.shutdownNow();
                fail("not finished after " + timeLimitSeconds(target) + " s (" + calls.get() + " calls done): deadlock or "
                        + "far too slow; threads: " + dump);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("%s: %d threads x %d calls on %s in %.1f s%n", "ConcurrencyTest", THREADS,
                    callsPerThread, engine.deviceName(), seconds);
            assertEquals(List.of(), List.copyOf(failures));
            assertEquals((long) THREADS * callsPerThread, calls.get());
            for (Plan plan : plans) {
                assertEquals(expectedBackend, plan.backend(), "a shared plan moved: " + plan.operation());
            }
            assertEquals(List.of(), warnings.warnings(), "no call may have fallen back");
        } finally {
            for (Plan plan : plans) {
                if (plan != null) {
                    plan.close();
                }
            }
        }
        // The one-shot calls' plans stay in the engine's plan cache until the engine closes.
        long guardViolations = target == Target.OPENCL ? OpenClTestDevice.context(engine).guardViolations() : 0;
        String device = engine.deviceName();
        ENGINES.close(target);
        Engine.Stats closed = engine.stats();
        assertEquals(0, closed.openPlans(), "plans left open after the engine closed: " + device);
        assertEquals(0, closed.deviceBytes(), "device memory left after all calls, plans and the engine: " + device);
        if (target == Target.OPENCL) {
            OpenClContext ctx = OpenClTestDevice.context(engine);
            assertEquals(0, ctx.liveObjects(), "OpenCL objects left after all calls, plans and the engine");
            assertEquals(0, guardViolations);
            assertEquals(0, ctx.guardViolations());
        }
    }
}
