package dev.convcl;

import dev.convcl.testing.OpenClTestDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link DeterminismChecks} on OpenCL, whatever kernel KernelSelector picks. */
class OpenClDeterminismTest extends DeterminismChecks {
    private static ConvEngine engine;

    @BeforeAll
    static void open() {
        OpenClTestDevice.require();
        engine = ConvEngine.create(DeviceChoice.OPENCL);
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    @Override
    ConvEngine engine() {
        return engine;
    }

    @Override
    String expectedBackend() {
        return "opencl";
    }
}
