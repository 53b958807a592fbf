package dev.convcl.opencl;

import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.testing.OpenClTestDevice;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link OpenClKernel} sets an argument only when it changes: the same buffer object or an equal
 * scalar again makes no driver call, a different one does, and every launch still reads the
 * arguments last asked for (the kernel writes ones into whichever buffer argument 0 names).
 */
class OpenClKernelArgsTest {
    private static final int N = 19;
    private static OpenClContext ctx;

    @BeforeAll
    static void open() {
        ctx = new OpenClContext(OpenClTestDevice.require());
    }

    @AfterAll
    static void close() {
        if (ctx != null) {
            ctx.close();
        }
    }

    @Test
    void unchangedArgumentsAreNotSetAgain() {
        try (OpenClKernel k = ctx.programs().kernel("guard_probe.cl", "-cl-std=CL1.2", "write_past_end");
             DeviceBuffer a = ctx.allocate("a", N * 4L, CL_MEM_READ_WRITE);
             DeviceBuffer b = ctx.allocate("b", N * 4L, CL_MEM_READ_WRITE)) {
            long c0 = k.driverSetCalls();
            launch(k.arg(0, a).arg(1, N).arg(2, 0));
            assertEquals(3, k.driverSetCalls() - c0, "the first call sets every argument");
            assertWritten(a, true);

            zero(a);
            long c1 = k.driverSetCalls();
            launch(k.arg(0, a).arg(1, N).arg(2, 0));
            assertEquals(0, k.driverSetCalls() - c1, "the same buffer and values again: nothing to set");
            assertWritten(a, true);

            zero(a);
            long c2 = k.driverSetCalls();
            launch(k.arg(0, b).arg(1, N).arg(2, 0));
            assertEquals(1, k.driverSetCalls() - c2, "another buffer: that argument alone is set");
            assertWritten(b, true);
            assertWritten(a, false);

            long c3 = k.driverSetCalls();
            launch(k.arg(0, a).arg(1, N - 1).arg(2, 0));
            assertEquals(2, k.driverSetCalls() - c3, "back to a, and another n");
            HostTensor t = Tensor.zeros(N);
            a.read(t);
            float[] expected = new float[N];
            Arrays.fill(expected, 0, N - 1, 1f);
            assertArrayEquals(expected, t.array(), "the launch must use the arguments last asked for");
        }
    }

    private static void launch(OpenClKernel k) {
        OpenClKernel.elapsedMillisAndRelease(k.launch(new long[] {64}, new long[] {64}));
    }

    private static void zero(DeviceBuffer buf) {
        buf.write(Tensor.zeros(N));
    }

    private static void assertWritten(DeviceBuffer buf, boolean ones) {
        HostTensor t = Tensor.zeros(N);
        buf.read(t);
        float[] expected = new float[N];
        Arrays.fill(expected, ones ? 1f : 0f);
        assertArrayEquals(expected, t.array(), "buffer " + (ones ? "should" : "should not") + " have been written");
    }
}
