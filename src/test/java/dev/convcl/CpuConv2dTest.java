package dev.convcl;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The CPU path's conv2d against the reference; see {@link Conv2dContract}. */
class CpuConv2dTest extends Conv2dContract {
    private static Engine engine;

    @BeforeAll
    static void open() {
        engine = Engine.create(DeviceChoice.CPU);
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    @Override
    protected Plan compile(Convolution spec) {
        return engine.plan(spec);
    }
}
