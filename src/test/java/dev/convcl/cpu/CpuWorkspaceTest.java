package dev.convcl.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.HostTensor;
import dev.convcl.NetworkProblems;
import dev.convcl.Operation;
import dev.convcl.Pool2d;
import dev.convcl.reference.Accuracy;
import dev.convcl.reference.ReferenceOps;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CPU path's tasks take their tiles from {@link Workspace}: a plan called again allocates
 * next to nothing (its tiles are the last call's), and a tile that held another plan's data, even
 * NaN, never shows through in the next plan's output. The same holds for {@code cpu-pool2d}'s
 * scratch rows and padded planes.
 */
class CpuWorkspaceTest {
    @RegisterExtension
    static final CpuBackends BACKENDS = new CpuBackends(new int[] {1, 3}, 1, 2);

    /**
     * Calls before the measured ones: 100 calls of 40 kernel calls (cpu-depthwise-cover's problem)
     * pass C2's thresholds (about 5000 invocations, or 600 with 15000 loop iterations) with time
     * to spare for the compile; a plan that allocates its tiles per call still does afterwards.
     */
    private static final int WARM_UP_CALLS = 100;

    /** One problem per algorithm whose tiles are the bulk of what a call would allocate. */
    static Stream<String[]> algorithms() {
        return Stream.of(
                new String[] {"cpu-1x1", "op=conv2d n=1 c=16 h=40 w=40 k=96 kh=1 kw=1 bias=1 relu=1"},
                new String[] {"cpu-gemm", "op=conv2d n=1 c=24 h=30 w=30 k=48 kh=3 kw=3 stride=2 pad=1 bias=1"},
                new String[] {"cpu-implicit-gemm", "op=conv2d n=1 c=16 h=40 w=40 k=32 kh=3 kw=3 pad=1 bias=1"},
                new String[] {"cpu-depthwise", "op=conv2d n=1 c=64 h=40 w=40 k=64 kh=3 kw=3 pad=1 groups=64 bias=1"},
                new String[] {"cpu-depthwise-flat", "op=conv2d n=2 c=48 h=14 w=14 k=48 kh=3 kw=3 pad=1 groups=48 bias=1"},
                new String[] {"cpu-depthwise-blocked", "op=conv2d n=1 c=40 h=9 w=9 k=40 kh=9 kw=9 pad=4 groups=40 bias=1"},
                new String[] {"cpu-depthwise-cover", "op=conv2d n=1 c=40 h=7 w=7 k=40 kh=13 kw=13 pad=6 groups=40 bias=1"},
                new String[] {"cpu-deform-gemm", "op=deform2d n=1 c=16 h=24 w=24 k=32 kh=3 kw=3 pad=1 og=2 mask=1 bias=1"},
                new String[] {"cpu-deform-gemm", "op=deform2d n=1 c=8 h=20 w=20 k=24 kh=3 kw=3 pad=1 og=1 mask=0"},
                new String[] {"cpu-deform-lanes", "op=deform2d n=1 c=16 h=24 w=24 k=32 kh=3 kw=3 pad=1 og=2 mask=1 bias=1"},
                new String[] {"cpu-deform-lanes", "op=deform2d n=1 c=8 h=20 w=20 k=24 kh=3 kw=3 pad=1 og=1 mask=0"});
    }

    /**
     * On one thread (every task on the caller), a plan's later calls allocate less than an eighth of
     * the output's bytes: no tile per call. Before {@link Workspace}, every call allocated its C
     * tiles (the whole output's worth) and its panels or padded planes again.
     */
    @ParameterizedTest
    @MethodSource("algorithms")
    void laterCallsAllocateNoTiles(String algorithm, String line) throws InterruptedException {
        Convolution spec = Problems.parse(line);
        for (CpuBackend backend : BACKENDS) {
            if (backend.threads() != 1) {
                continue;
            }
            try (CpuPlan plan = backend.compile(spec, algorithm)) {
                assertEquals(algorithm, plan.algorithm());
                Args args = Tensors.args(spec, 3, false, 1);
                float[] out = Tensors.out(args);
                // A Vector API kernel not yet compiled by C2 allocates every vector. A plan that
                // calls its kernel a few dozen times a call (cpu-depthwise-cover: once per channel)
                // relies on KernelWarmup, which may still be running, or on calls of its own when
                // the JIT has thrown compiled code away: enough calls for C2 to compile it again.
                KernelWarmup.awaitAll();
                for (int i = 0; i < WARM_UP_CALLS; i++) {
                    Arrays.fill(out, Float.NaN);
                    Primitives.run(backend, plan, args);
                }
                long outputBytes = 4 * spec.outputSize();
                long perCall = allocatedPerCall(() -> Primitives.run(backend, plan, args), outputBytes / 8);
                assertTrue(perCall < outputBytes / 8, algorithm + " (" + backend.kernelName() + ") allocated " + perCall
                        + " bytes a call, an eighth of the output is " + outputBytes / 8 + ": " + spec);
                float[] ref = CrossCheck.reference(spec, args);
                assertTrue(Tensors.relativeL2(ref, out) < 1e-5, algorithm + " after reuse differs from the reference: " + spec);
            }
        }
    }

    /**
     * One pooling problem per path of {@code cpu-pool2d}: stride-1 max and average with padding and a
     * stride-2 average and max (the staged block and the block's outputs of its phased path:
     * ShuffleNet's max, Inception's average, ResNet's stem max), a global average (column sums), and
     * stride 3, output row by output row: an average (window-row sums and double accumulators) and a
     * max (no scratch at all). Each path with scratch is sized so that a call which allocated it anew
     * (as every call did before {@link Workspace}: 24 to 36 KB here) would be several times
     * {@link #POOL_BYTES_PER_CALL}.
     */
    static Stream<String> pools() {
        return Stream.of(
                "op=pool2d kind=max n=1 c=16 h=32 w=32 kh=3 kw=3 stride=1 pad=1",
                "op=pool2d kind=avg n=1 c=16 h=32 w=32 kh=3 kw=3 stride=1 pad=1 cip=0",
                "op=pool2d kind=avg n=1 c=16 h=6 w=1024 kh=3 kw=3 stride=2 pad=1",
                "op=pool2d kind=avg n=1 c=8 h=4 w=8192 kh=4 kw=8192",
                "op=pool2d kind=max n=1 c=16 h=56 w=56 kh=3 kw=3 stride=2 pad=1",
                "op=pool2d kind=avg n=1 c=16 h=6 w=1024 kh=3 kw=3 stride=3 pad=1",
                "op=pool2d kind=max n=1 c=16 h=56 w=56 kh=3 kw=3 stride=3 pad=1");
    }

    /**
     * What a later pooling call must allocate less than: the call's own few objects (the argument maps,
     * the memory wrappers, the task lambdas; a few hundred bytes even interpreted) and no scratch
     * array. A fixed bound, not an eighth of the output as for convolutions: a global average's
     * output is one float a plane, smaller than the call's own objects.
     */
    private static final long POOL_BYTES_PER_CALL = 4096;

    /**
     * On one thread, a pooling plan's later calls allocate less than {@link #POOL_BYTES_PER_CALL} a
     * call: its scratch rows, accumulators and padded planes come from {@link Workspace}; the outputs
     * still match the reference (max bit for bit).
     */
    @ParameterizedTest
    @MethodSource("pools")
    void laterPoolCallsAllocateNoScratch(String line) {
        Pool2d op = (Pool2d) Operation.parse(line);
        for (CpuBackend backend : BACKENDS) {
            if (backend.threads() != 1) {
                continue;
            }
            try (Primitive plan = Primitives.named(backend, "cpu-pool2d").create(op, null)) {
                Args args = NetworkProblems.randomArgs(op, 5);
                float[] out = ((HostTensor) args.get(Arg.DST)).array();
                for (int i = 0; i < WARM_UP_CALLS; i++) {
                    Arrays.fill(out, Float.NaN);
                    Primitives.run(backend, plan, args);
                }
                long perCall = allocatedPerCall(() -> Primitives.run(backend, plan, args), POOL_BYTES_PER_CALL);
                assertTrue(perCall < POOL_BYTES_PER_CALL, "cpu-pool2d allocated " + perCall + " bytes a call, less than "
                        + POOL_BYTES_PER_CALL + " expected (no scratch array): " + op);
                Args ref = NetworkProblems.copy(args);
                ReferenceOps.run(op, ref);
                float[] expected = ((HostTensor) ref.get(Arg.DST)).toArray();
                if (op.kind() == Pool2d.Kind.MAX) {
                    int bad = Tensors.firstMismatch(expected, out);
                    assertEquals(-1, bad, () -> "cpu-pool2d after reuse: element " + bad + " is " + out[bad]
                            + ", reference " + expected[bad] + ": " + op);
                } else {
                    double err = Accuracy.relativeL2(expected, out);
                    assertTrue(err <= 1e-6, "cpu-pool2d after reuse: relative L2 error " + err + ": " + op);
                }
            }
        }
    }

    /**
     * Plans of different shapes alternate on the same threads, the first fed NaN everywhere so its
     * tiles are left full of NaN: every output of the others still matches the reference exactly
     * (integer data), so nothing of a reused tile beyond what the call wrote is ever read.
     */
    @Test
    void tilesLeftFullOfNanNeverShowThrough() {
        String[] lines = {
            "op=conv2d n=1 c=16 h=40 w=40 k=96 kh=1 kw=1",
            "op=conv2d n=1 c=64 h=40 w=40 k=64 kh=3 kw=3 pad=1 groups=64",
            "op=conv2d n=1 c=8 h=13 w=11 k=8 kh=3 kw=3 stride=2 pad=2,1 groups=8 bias=1",
            "op=conv2d n=1 c=20 h=6 w=5 k=20 kh=7 kw=7 pad=3 groups=20",
            "op=conv2d n=1 c=20 h=4 w=5 k=20 kh=7 kw=9 pad=3,4 groups=20",
            "op=conv2d n=1 c=16 h=40 w=40 k=32 kh=3 kw=3 pad=1",
            "op=conv2d n=2 c=6 h=9 w=17 k=10 kh=3 kw=3 pad=3 dil=2 bias=1",
            "op=conv2d n=1 c=24 h=30 w=30 k=48 kh=3 kw=3 stride=2 pad=1",
            "op=conv2d n=1 c=5 h=7 w=9 k=7 kh=1 kw=1 bias=1",
            "op=deform2d n=1 c=6 h=11 w=9 k=5 kh=3 kw=3 pad=1 og=2 mask=1",
            "op=deform2d n=2 c=4 h=7 w=7 k=4 kh=3 kw=3 stride=2 pad=2 dil=2 groups=2 og=1 mask=0 bias=1"};
        for (CpuBackend backend : BACKENDS) {
            for (String algorithm : new String[] {"cpu-1x1", "cpu-gemm", "cpu-implicit-gemm", "cpu-depthwise",
                "cpu-depthwise-flat", "cpu-depthwise-blocked", "cpu-depthwise-cover", "cpu-deform-gemm",
                "cpu-deform-lanes"}) {
                for (String line : lines) {
                    Convolution poisoner = Problems.parse(lines[0].equals(line) ? lines[1] : lines[0]);
                    Convolution spec = Problems.parse(line);
                    CpuPlan nanPlan = compileOrNull(backend, poisoner, CpuBackend.algorithmFor(poisoner));
                    CpuPlan plan = compileOrNull(backend, spec, algorithm);
                    if (plan == null) {
                        continue;
                    }
                    try (nanPlan; plan) {
                        Args nan = Tensors.args(poisoner, 1, true, 1);
                        Arrays.fill(Tensors.array(nan, Arg.SRC), Float.NaN);
                        Arrays.fill(Tensors.array(nan, Arg.WEIGHTS), Float.NaN);
                        Primitives.run(backend, nanPlan, nan);
                        Args ints = Tensors.args(spec, 2, true, 1);
                        float[] ref = CrossCheck.reference(spec, ints);
                        float[] out = Primitives.output(backend, plan, spec, ints);
                        int bad = Tensors.firstMismatch(ref, out);
                        assertEquals(-1, bad, () -> algorithm + " (" + backend.kernelName() + " x" + backend.threads()
                                + ") after a NaN call of " + poisoner + ": element " + bad + " is " + out[bad]
                                + ", reference " + ref[bad] + ": " + spec);
                    }
                }
            }
        }
    }

    /**
     * How long {@link #allocatedPerCall} goes on measuring while every round is over its limit: on a
     * loaded 2-core machine C2's queue can hold a kernel back for seconds, and until it is compiled
     * a Vector API kernel allocates every vector (cpu-depthwise-cover's did, 3 MB a call, after
     * {@link #WARM_UP_CALLS} calls at a load of 3.8).
     */
    private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(10);

    /**
     * Bytes the current thread allocates a call of {@code call}: the least over rounds of five
     * calls, at least three rounds and then more until a round allocates less than {@code limit} a
     * call or {@link #SETTLE_NANOS} have passed. A plan that allocates its scratch per call does so
     * in every round and fails however long it runs; what happens once (a soft reference the
     * collector cleared, a deoptimisation rebuilding objects, a kernel not compiled yet) spoils only
     * the rounds it falls in.
     */
    private static long allocatedPerCall(Runnable call, long limit) {
        int calls = 5;
        long least = Long.MAX_VALUE;
        long start = System.nanoTime();
        for (int round = 0; round < 3 || least >= limit && System.nanoTime() - start < SETTLE_NANOS; round++) {
            long before = allocatedBytes();
            for (int i = 0; i < calls; i++) {
                call.run();
            }
            least = Math.min(least, (allocatedBytes() - before) / calls);
        }
        return least;
    }

    /**
     * Bytes the current thread has allocated so far ({@code com.sun.management.ThreadMXBean}, read by
     * reflection: the test module does not read jdk.management).
     */
    private static long allocatedBytes() {
        try {
            Method m = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
            long bytes = (long) m.invoke(ManagementFactory.getThreadMXBean());
            assertTrue(bytes >= 0, "this JVM does not count allocated bytes");
            return bytes;
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("this JVM does not count allocated bytes", e);
        }
    }

    private static CpuPlan compileOrNull(CpuBackend backend, Convolution spec, String algorithm) {
        try {
            return backend.compile(spec, algorithm);
        } catch (IllegalArgumentException cannotRunThisKind) {
            return null;
        }
    }
}
