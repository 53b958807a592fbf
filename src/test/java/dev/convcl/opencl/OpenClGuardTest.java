package dev.convcl.opencl;

import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.SystemProperties;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.jocl.cl_event;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The runtime's guards. The guard mode that the whole test suite runs in (surefire sets
 * {@value OpenClContext#GUARD_PROPERTY}): a real kernel that writes one element past the end of its
 * output buffer is caught on read-back, and on release when nobody reads the buffer back. And a
 * kernel object shared by threads: refused rather than raced on.
 */
class OpenClGuardTest {
    private static final int N = 37;
    private static OpenClContext ctx;

    @BeforeAll
    static void open() {
        OpenClDeviceInfo device = OpenClTestDevice.require();
        ctx = SystemProperties.with(OpenClContext.GUARD_PROPERTY, "64", () -> new OpenClContext(device));
    }

    @AfterAll
    static void close() {
        if (ctx != null) {
            ctx.close();
        }
    }

    @Test
    void theTestSuiteRunsInGuardMode() {
        assertTrue(Integer.getInteger(OpenClContext.GUARD_PROPERTY, 0) > 0,
                "surefire should set " + OpenClContext.GUARD_PROPERTY + " so every plan class runs with guard regions");
    }

    /** Launches write_past_end over a buffer of N floats, writing N + extra elements. */
    private static void writePastEnd(OpenClKernel kernel, DeviceBuffer out, int extra) {
        kernel.arg(0, out).arg(1, N).arg(2, extra);
        cl_event ev = kernel.launch(new long[] {64}, new long[] {64});
        OpenClKernel.elapsedMillisAndRelease(ev);
    }

    @Test
    void inBoundsWritesPassAndOverrunsAreCaughtOnRead() {
        try (OpenClKernel kernel = ctx.programs().kernel("guard_probe.cl", "-cl-std=CL1.2", "write_past_end");
             DeviceBuffer out = ctx.allocate("output", N * 4L, CL_MEM_READ_WRITE)) {
            assertEquals(64, ctx.guardBytes());
            long before = ctx.guardViolations();
            HostTensor t = Tensor.zeros(N);
            writePastEnd(kernel, out, 0);
            out.read(t);
            float[] ones = new float[N];
            Arrays.fill(ones, 1f);
            assertArrayEquals(ones, t.array());
            assertEquals(before, ctx.guardViolations(), "an in-bounds kernel tripped the guard");

            writePastEnd(kernel, out, 1);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> out.read(t));
            assertTrue(e.getMessage().contains("guard region of device buffer 'output' (148 bytes) overwritten")
                    && e.getMessage().contains("the first at byte 148"), e.getMessage());
            assertEquals(before + 1, ctx.guardViolations());
        }
    }

    @Test
    void overrunOfABufferNeverReadIsCaughtOnRelease() {
        long before = ctx.guardViolations();
        try (OpenClKernel kernel = ctx.programs().kernel("guard_probe.cl", "-cl-std=CL1.2", "write_past_end");
             DeviceBuffer scratch = ctx.allocate("scratch", N * 4L, CL_MEM_READ_WRITE)) {
            writePastEnd(kernel, scratch, 3);
        }
        assertEquals(before + 1, ctx.guardViolations(), "closing an overrun buffer should count a guard violation");
        assertEquals(0, ctx.liveBytes());
    }

    /**
     * The runtime's own guard: every caller gets its own kernel object, and threads that do share
     * one (a bug in a plan class) get an IllegalStateException instead of racing on
     * clSetKernelArg. Hammers one kernel from four threads until the overlap is seen (bounded).
     */
    @Test
    void aKernelSharedByThreadsIsRefused() throws InterruptedException {
        try (OpenClKernel a = ctx.programs().kernel("guard_probe.cl", "-cl-std=CL1.2", "write_past_end");
             OpenClKernel b = ctx.programs().kernel("guard_probe.cl", "-cl-std=CL1.2", "write_past_end")) {
            assertNotSame(a, b, "each caller must get its own kernel object");
            AtomicReference<IllegalStateException> refused = new AtomicReference<>();
            long deadline = System.nanoTime() + 20_000_000_000L;
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    while (refused.get() == null && System.nanoTime() < deadline) {
                        try {
                            a.arg(1, N).arg(2, 0).arg(1, N);
                        } catch (IllegalStateException e) {
                            refused.compareAndSet(null, e);
                        }
                    }
                }, "arg-setter-" + t);
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            assertTrue(refused.get() != null, "four threads setting one kernel's arguments for 20 s were never refused");
            assertTrue(refused.get().getMessage().contains("at once"), refused.get().getMessage());
        }
    }
}
