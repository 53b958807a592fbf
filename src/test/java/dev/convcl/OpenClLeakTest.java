package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.opencl.OpenClBackend;
import dev.convcl.opencl.OpenClContext;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * No leaks: 10,000 cycles of plan create, execute, close return the device memory the library holds
 * to zero and the live OpenCL objects (buffers, kernels, launch events) to their baseline (programs
 * are cached on purpose and counted apart), and the process's resident memory grows by less than
 * {@value #RSS_BOUND_MIB} MiB. Closing the engine is idempotent and releases its context and the
 * plans still open.
 */
class OpenClLeakTest {
    static final int CYCLES = 10_000;
    /** Resident-memory growth allowed over the cycles; a leak of one plan's buffers per cycle would be ~400 MiB. */
    static final long RSS_BOUND_MIB = 64;

    private static final List<ConvSpec> SPECS = List.of(
            ConvSpec.parse("op=conv2d n=1 c=8 h=16 w=16 k=8 kh=3 kw=3 pad=1 bias=1"),
            ConvSpec.parse("op=conv2d n=1 c=16 h=16 w=16 k=16 kh=3 kw=3 pad=1 groups=16"),
            ConvSpec.parse("op=deform2d n=1 c=4 h=12 w=12 k=4 kh=3 kw=3 pad=1 mask=1"));

    /** VmRSS of this process in KiB, from /proc/self/status. */
    static long residentKib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/status", e);
        }
        throw new IllegalStateException("no VmRSS line in /proc/self/status");
    }

    private static void cycles(ConvEngine engine, OpenClContext ctx, List<ConvArgs> args, int count) {
        for (int i = 0; i < count; i++) {
            int p = i % SPECS.size();
            try (ConvPlan plan = engine.plan(SPECS.get(p))) {
                if (i < SPECS.size()) {
                    assertEquals("opencl", plan.backend(), SPECS.get(p).toString());
                    assertTrue(ctx.liveBytes() >= SPECS.get(p).inputSize() * 4, "an open plan holds no device memory?");
                }
                plan.execute(args.get(p));
            }
        }
    }

    @Test
    void planCyclesReturnMemoryAndObjectsToBaseline() {
        OpenClTestDevice.require();
        try (ConvEngine engine = ConvEngine.create(DeviceChoice.OPENCL)) {
            OpenClContext ctx = ((OpenClBackend) engine.primaryBackend()).context();
            List<ConvArgs> args = SPECS.stream().map(s -> Tensors.args(s, 3, false, 1.5)).toList();
            cycles(engine, ctx, args, 1_000); // warm-up: programs built, JIT and allocator settled
            int objects = ctx.liveObjects();
            int programs = ctx.programs().size();
            long launches = ctx.kernelLaunches();
            System.gc();
            long rss0 = residentKib();
            long t0 = System.nanoTime();
            cycles(engine, ctx, args, CYCLES);
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.gc();
            long growthKib = residentKib() - rss0;
            System.out.printf("OpenClLeakTest: %d cycles in %.1f s; resident memory grew by %d KiB%n", CYCLES, seconds,
                    growthKib);
            // At least one launch a cycle (a plan may also launch a weight-packing kernel): every
            // call really ran on the device, none fell back to the CPU path.
            assertTrue(ctx.kernelLaunches() - launches >= CYCLES, "launches over " + CYCLES + " cycles: "
                    + (ctx.kernelLaunches() - launches));
            assertEquals(0, ctx.liveBytes(), "device memory still held after every plan closed");
            assertEquals(objects, ctx.liveObjects(), "live OpenCL objects (buffers, kernels, events) above the baseline");
            assertEquals(programs, ctx.programs().size(), "programs should be built once and cached");
            assertEquals(0, ctx.guardViolations());
            assertTrue(growthKib < RSS_BOUND_MIB * 1024, "resident memory grew by " + growthKib + " KiB over " + CYCLES
                    + " cycles, above the bound of " + RSS_BOUND_MIB + " MiB");
        }
    }

    @Test
    void engineCloseIsIdempotentAndReleasesContextAndOpenPlans() {
        OpenClTestDevice.require();
        ConvEngine engine = ConvEngine.create(DeviceChoice.OPENCL);
        OpenClContext ctx = ((OpenClBackend) engine.primaryBackend()).context();
        ConvSpec spec = SPECS.get(0);
        ConvPlan open = engine.plan(spec); // left open on purpose: close() must release it
        open.execute(Tensors.args(spec, 1, true, 1));
        assertTrue(ctx.liveBytes() > 0);
        engine.close();
        assertTrue(engine.isClosed());
        assertTrue(ctx.isClosed(), "the engine's close() must release its OpenCL context");
        assertEquals(0, ctx.liveBytes(), "the open plan's buffers were not released");
        assertEquals(0, ctx.liveObjects(), "the open plan's kernel was not released");
        engine.close(); // idempotent: nothing happens, nothing throws
        open.close();
        assertThrows(IllegalStateException.class, () -> open.execute(Tensors.args(spec, 1, true, 1)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> engine.plan(spec));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void engineCreateCloseCyclesDoNotLeak() {
        OpenClTestDevice.require();
        ConvSpec spec = SPECS.get(0);
        ConvArgs args = Tensors.args(spec, 2, true, 1);
        for (int i = 0; i < 5; i++) { // warm-up
            try (ConvEngine engine = ConvEngine.create(DeviceChoice.OPENCL)) {
                engine.run(spec, args);
            }
        }
        System.gc();
        long rss0 = residentKib();
        for (int i = 0; i < 50; i++) {
            try (ConvEngine engine = ConvEngine.create(DeviceChoice.OPENCL); ConvPlan plan = engine.plan(spec)) {
                assertEquals("opencl", plan.backend(), spec.toString());
                plan.execute(args);
            }
        }
        System.gc();
        long growthKib = residentKib() - rss0;
        System.out.printf("OpenClLeakTest: 50 engine cycles; resident memory grew by %d KiB%n", growthKib);
        assertTrue(growthKib < RSS_BOUND_MIB * 1024, "resident memory grew by " + growthKib + " KiB over 50 engines");
    }
}
