package dev.convcl;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The CPU path's deform2d against the reference; see {@link Deform2dContract}. */
class CpuDeform2dTest extends Deform2dContract {
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
