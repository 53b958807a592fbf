package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every row of {@link BadInputCases} on the CPU path: IllegalArgumentException naming the value. */
class BadInputTest {
    private static Engine engine;

    @BeforeAll
    static void open() {
        engine = Engine.create(DeviceChoice.CPU);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    static java.util.List<BadInputCases.Case> cases() {
        return BadInputCases.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rejected(BadInputCases.Case c) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.call().accept(engine), c.name());
        assertTrue(e.getMessage().contains(c.expected()),
                c.name() + ": message should contain \"" + c.expected() + "\" but was: " + e.getMessage());
    }
}
