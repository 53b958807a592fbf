package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.opencl.OpenClContext;
import dev.convcl.testing.ForkedJvm;
import dev.convcl.testing.LeakProbe;
import dev.convcl.testing.NativeMemory;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jocl.CL;
import org.jocl.cl_context;
import org.junit.jupiter.api.Test;

/**
 * No leaks, measured where a leak would be, not in the resident set (which the Java heap and the
 * JIT dominate). 10,000 cycles of plan create, execute, close must return
 * <ul>
 *   <li>the device memory the library holds to zero and its count of live OpenCL objects
 *       (buffers, kernels, launch events) to the baseline: the library's own accounting;</li>
 *   <li>the driver's reference counts of the context, the queue and every cached program to the
 *       baseline ({@link OpenClContext#driverReferenceCounts()}): each live buffer, event and
 *       kernel holds one, so a release call missing inside a {@code close()} shows here even when
 *       the accounting above was updated;</li>
 *   <li>native memory held outside the JVM's own bookkeeping ({@link NativeMemory}: what the
 *       driver, JOCL, JNA and direct buffers keep) to a typical growth below
 *       {@value #NATIVE_BYTES_PER_CYCLE} bytes a cycle. A cycle creates a kernel, three or more
 *       buffers and an event; forgetting any of them costs more than that (on POCL about 1 KiB a
 *       kernel, a buffer's size and more), while a correct run's typical growth is zero.</li>
 * </ul>
 * Engines likewise: after {@code close()} no reference to the context is left but the test's
 * own, and native memory does not grow by an engine's worth. The cycles run in a forked JVM
 * ({@link LeakProbe}) that tracks its own native memory, so the same bounds hold alone, inside
 * the suite and on any machine. Closing the engine is idempotent and releases the plans still open.
 */
class OpenClLeakTest {
    static final int CYCLES = 10_000;
    /** Native memory is sampled every this many cycles: 20 intervals. */
    static final int SAMPLE_EVERY = 500;
    /** Typical growth of native memory allowed per plan cycle; a forgotten kernel, buffer or event costs more. */
    static final long NATIVE_BYTES_PER_CYCLE = 256;
    static final int ENGINE_CYCLES = 40;
    /** Typical growth of native memory allowed per engine cycle: less than the buffers of its plan (about 19 KiB). */
    static final long NATIVE_BYTES_PER_ENGINE = 16 * 1024;

    private static ForkedJvm.Result probe(String... args) {
        List<String> options = new ArrayList<>(List.of(NativeMemory.JVM_OPTION, "-Xmx512m"));
        String guard = System.getProperty(OpenClContext.GUARD_PROPERTY);
        if (guard != null) {
            options.add("-D" + OpenClContext.GUARD_PROPERTY + "=" + guard);
        }
        ForkedJvm.Result r = ForkedJvm.run(ForkedJvm.javaCommand(LeakProbe.class, options, args), env -> { }, 600);
        assertEquals(0, r.exitCode(), r.toString());
        return r;
    }

    private static long[] samples(ForkedJvm.Result r) {
        return Arrays.stream(r.result("nativeSamples").split(",")).mapToLong(Long::parseLong).toArray();
    }

    @Test
    void planCyclesReturnMemoryAndObjectsToBaseline() {
        OpenClTestDevice.require();
        ForkedJvm.Result r = probe("plans", Integer.toString(CYCLES), Integer.toString(SAMPLE_EVERY));
        long[] samples = samples(r);
        long perCycle = NativeMemory.typicalGrowth(samples) / SAMPLE_EVERY;
        System.out.printf("OpenClLeakTest: %d plan cycles in %s s; native memory outside the JVM: typical growth %d "
                + "bytes a cycle (overall %+d KiB); driver references %s%n", CYCLES, r.result("seconds"), perCycle,
                (samples[samples.length - 1] - samples[0]) / 1024, r.result("references"));

        // The measures can see a leak: each open plan ran on the device and held device memory,
        // library objects, driver references to the context (buffers) and to a program (kernels).
        for (String open : r.result("openPlans").split(",")) {
            assertTrue(open.startsWith("opencl:") && !open.contains("=0:") && !open.endsWith("=0"),
                    "an open plan, as each measure sees it (backend:bytes:objects:context:program): " + open);
        }
        // At least one launch a cycle (a plan may also launch a weight-packing kernel): every call
        // really ran on the device, none fell back to the CPU path.
        assertTrue(Long.parseLong(r.result("launches")) >= CYCLES, "launches over " + CYCLES + " cycles: " + r);
        assertEquals("0", r.result("liveBytes"), "device memory still held after every plan closed");
        assertEquals("0", r.result("liveObjectsGrown"), "live OpenCL objects (buffers, kernels, events) above the baseline");
        assertEquals("{}", r.result("referencesGrown"),
                "driver references above the baseline after every plan closed (a release call missing?)");
        assertEquals("0", r.result("guardViolations"));
        assertTrue(perCycle < NATIVE_BYTES_PER_CYCLE, "native memory outside the JVM grew by " + perCycle
                + " bytes a cycle (median over intervals of " + SAMPLE_EVERY + " cycles), above the bound of "
                + NATIVE_BYTES_PER_CYCLE + "; samples in KiB: " + NativeMemory.kib(samples));
    }

    @Test
    void engineCreateCloseCyclesDoNotLeak() {
        OpenClTestDevice.require();
        ForkedJvm.Result r = probe("engines", Integer.toString(ENGINE_CYCLES));
        long[] samples = samples(r);
        long perEngine = NativeMemory.typicalGrowth(samples);
        System.out.printf("OpenClLeakTest: %d engine cycles; native memory outside the JVM: typical growth %d bytes an "
                + "engine (overall %+d KiB)%n", ENGINE_CYCLES, perEngine, (samples[ENGINE_CYCLES] - samples[0]) / 1024);
        assertEquals("[opencl]", r.result("backends"), r.toString());
        // The queue and every program, buffer and kernel hold the context: only the probe's reference may be left.
        assertEquals("[1]", r.result("contextReferencesLeft"),
                "references to the context left after an engine closed, besides the probe's own");
        assertTrue(perEngine < NATIVE_BYTES_PER_ENGINE, "native memory outside the JVM grew by " + perEngine
                + " bytes an engine (median), above the bound of " + NATIVE_BYTES_PER_ENGINE + "; samples in KiB: "
                + NativeMemory.kib(samples));
    }

    @Test
    void engineCloseIsIdempotentAndReleasesContextAndOpenPlans() {
        OpenClTestDevice.require();
        Engine engine = Engine.create(DeviceChoice.OPENCL);
        OpenClContext ctx = OpenClTestDevice.context(engine);
        Convolution spec = LeakProbe.SPECS.get(0);
        Plan open = engine.plan(spec); // left open on purpose: close() must release it
        open.execute(Tensors.args(spec, 1, true, 1));
        assertTrue(ctx.liveBytes() > 0);
        cl_context context = ctx.context();
        CL.clRetainContext(context); // the test's own reference, so the count can be read after close()
        engine.close();
        assertTrue(engine.isClosed());
        assertTrue(ctx.isClosed(), "the engine's close() must release its OpenCL context");
        assertEquals(0, ctx.liveBytes(), "the open plan's buffers were not released");
        assertEquals(0, ctx.liveObjects(), "the open plan's kernel was not released");
        int left = LeakProbe.contextReferencesLeft(context);
        CL.clReleaseContext(context);
        assertEquals(1, left, "references to the context left after the engine closed, besides the test's own");
        engine.close(); // idempotent: nothing happens, nothing throws
        open.close();
        assertThrows(IllegalStateException.class, () -> open.execute(Tensors.args(spec, 1, true, 1)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> engine.plan(spec));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}
