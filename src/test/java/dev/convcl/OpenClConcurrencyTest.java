package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.opencl.OpenClContext;
import dev.convcl.opencl.OpenClKernel;
import dev.convcl.testing.OpenClTestDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link ConcurrencyChecks} on OpenCL: 8 threads x 500 calls through one context and queue;
 * once the engine (and with it the plan cache of the one-shot calls) is closed, no device memory
 * or OpenCL object is left.
 */
class OpenClConcurrencyTest extends ConcurrencyChecks {
    private static Engine engine;

    @BeforeAll
    static void open() {
        engine = OpenClTestDevice.engine();
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    @Override
    Engine engine() {
        return engine;
    }

    @Override
    String expectedBackend() {
        return "opencl";
    }

    @Override
    int callsPerThread() {
        return 500;
    }

    @Override
    long timeLimitSeconds() {
        return 300;
    }

    @Override
    void afterRun() {
        OpenClContext ctx = OpenClTestDevice.context(engine);
        assertEquals(0, ctx.guardViolations());
        // The one-shot calls' plans stay in the engine's plan cache until the engine closes.
        engine.close();
        assertEquals(0, ctx.liveBytes(), "device memory left after all calls and plans");
        assertEquals(0, ctx.liveObjects(), "OpenCL objects left after all calls and plans");
        assertEquals(0, ctx.guardViolations());
        engine = OpenClTestDevice.engine();
    }

    /**
     * The runtime's own guard: every caller gets its own kernel object, and threads that do share
     * one (a bug in a plan class) get an IllegalStateException instead of racing on
     * clSetKernelArg. Hammers one kernel from four threads until the overlap is seen (bounded).
     */
    @Test
    void aKernelSharedByThreadsIsRefused() throws InterruptedException {
        OpenClContext ctx = OpenClTestDevice.context(engine);
        String options = "-cl-std=CL1.2 -DKH=1 -DKW=1 -DSH=1 -DSW=1 -DPH=0 -DPW=0 -DDH=1 -DDW=1 -DCG=1 -DKG=1"
                + " -DHAS_BIAS=0 -DRELU=0";
        try (OpenClKernel a = ctx.programs().kernel("conv2d_direct.cl", options, "conv2d_direct");
             OpenClKernel b = ctx.programs().kernel("conv2d_direct.cl", options, "conv2d_direct")) {
            assertNotSame(a, b, "each caller must get its own kernel object");
            AtomicReference<IllegalStateException> refused = new AtomicReference<>();
            long deadline = System.nanoTime() + 20_000_000_000L;
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    while (refused.get() == null && System.nanoTime() < deadline) {
                        try {
                            a.arg(6, 1).arg(7, 2).arg(8, 3);
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
