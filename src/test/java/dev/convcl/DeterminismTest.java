package dev.convcl;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link DeterminismChecks} on the CPU path. */
class DeterminismTest extends DeterminismChecks {
    private static Engine engine;

    @BeforeAll
    static void open() {
        engine = Engine.create(DeviceChoice.CPU);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Override
    Engine engine() {
        return engine;
    }

    @Override
    String expectedBackend() {
        return "cpu";
    }
}
