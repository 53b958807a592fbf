package dev.convcl.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.convcl.Engine;
import dev.convcl.Operation;
import dev.convcl.Plan;
import java.util.List;
import java.util.function.Consumer;
import org.opentest4j.AssertionFailedError;

/**
 * Walks the list selection walks: for one problem, every implementation of the engine's device
 * that accepts it ({@link Engine#implementations}), each compiled with
 * {@link Engine#plan(Operation, String, String)} (no fallback, so every check really runs on the
 * target) and checked in turn. A failure names the implementation.
 */
public final class Implementations {
    private Implementations() {
    }

    /**
     * Runs {@code check} on a plan of every implementation of {@code engine} that accepts
     * {@code op}, then checks that the closed plan left nothing behind (the engine holds what it
     * held before the plan, {@link Engines#holdings}).
     *
     * @param target where {@code engine} runs; every plan must report it as its backend
     */
    public static void check(Engine engine, Target target, Operation op, Consumer<Plan> check) {
        List<String> names = engine.implementations(op);
        assertFalse(names.isEmpty(), "no implementation on " + target + " accepts " + op);
        for (String name : names) {
            try {
                String before = Engines.holdings(engine);
                try (Plan plan = engine.plan(op, name, null)) {
                    assertEquals(target.toString(), plan.backend(), name + " on " + op);
                    assertEquals(name, plan.implementation(), op.toString());
                    check.accept(plan);
                }
                Engines.assertHolds(engine, before, "a closed plan of " + name + " on " + op);
            } catch (AssertionFailedError e) {
                throw new AssertionFailedError("[" + target + " " + name + "] " + e.getMessage(), e.getExpected(),
                        e.getActual(), e);
            }
        }
    }
}
