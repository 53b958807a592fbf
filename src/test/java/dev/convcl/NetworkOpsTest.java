package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.reference.ReferenceOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every operation the graph runtime added (channel affine, binary with broadcasting, pooling,
 * channel copy, channel shuffle) against its double-precision reference, on every CPU
 * implementation that accepts it, through host and device tensors; hand-picked edge cases
 * (ceil_mode's last-window rule, count_include_pad at the far border, broadcasting of every kind)
 * and seeded random shapes.
 */
class NetworkOpsTest {
    private static Engine engine;

    @BeforeAll
    static void open() {
        engine = Engine.create(DeviceChoice.CPU);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    static Stream<Operation> problems() {
        return NetworkProblems.all().stream();
    }

    @ParameterizedTest
    @MethodSource("problems")
    void everyImplementationMatchesTheReference(Operation op) {
        List<String> impls = engine.implementations(op);
        assertFalse(impls.isEmpty(), "no CPU implementation accepts " + op);
        for (String impl : impls) {
            NetworkProblems.check(engine, op, impl, 7);
        }
    }

    @ParameterizedTest
    @MethodSource("problems")
    void oneLineFormReadsBack(Operation op) {
        assertEquals(op, Operation.parse(op.toString()));
        assertEquals(op.toString(), Operation.parse(op.toString()).toString());
    }
}
