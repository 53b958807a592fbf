package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.opencl.OpenClBackend;
import dev.convcl.spi.CompiledConv;
import dev.convcl.testing.OpenClTestDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The OpenCL backend's conv2d against the reference; see {@link Conv2dContract}. Plans come from
 * {@link OpenClBackend#compile} directly, so every case really runs on the device (the engine
 * would fall back to the CPU path on a device failure); each closed plan must leave no buffer or
 * kernel alive.
 */
class OpenClConv2dTest extends Conv2dContract {
    private static OpenClBackend backend;

    @BeforeAll
    static void open() {
        backend = new OpenClBackend(OpenClTestDevice.require());
    }

    @AfterAll
    static void close() {
        if (backend != null) {
            backend.close();
        }
    }

    @Override
    protected CompiledConv compile(ConvSpec spec) {
        return backend.compile(spec);
    }

    @Override
    protected void afterPlanClosed(ConvSpec spec) {
        assertEquals(0, backend.context().liveObjects(), spec + ": OpenCL buffers or kernels left alive after close");
    }
}
