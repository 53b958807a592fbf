package dev.convcl;

import dev.convcl.testing.OpenClTestDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link DeterminismChecks} on OpenCL, whatever kernel KernelSelector picks. */
class OpenClDeterminismTest extends DeterminismChecks {
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
}
