package dev.convcl;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link ConcurrencyChecks} on the CPU path: 8 threads x 500 calls. */
class ConcurrencyTest extends ConcurrencyChecks {
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

    @Override
    int callsPerThread() {
        return 500;
    }

    @Override
    long timeLimitSeconds() {
        return 120;
    }
}
