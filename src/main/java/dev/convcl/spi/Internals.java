package dev.convcl.spi;

import dev.convcl.Engine;
import dev.convcl.Value;

/**
 * The engine's backends, for convcl's own tools (the CLI's peak, tuner and benchmarks) and
 * tests: the exported API never hands out a raw backend, which would skip the fallback. The
 * engine installs the accessor when its class loads (the JDK's "shared secrets" pattern).
 */
public final class Internals {
    /** What the engine exposes to its own tools. */
    public interface Access {
        /** The backend plans try first. */
        Backend primary(Engine engine);

        /** The CPU path. */
        Backend cpu(Engine engine);

        /** A new value that no graph builder owns, for a pass that adds a node. */
        Value value(String name, int[] shape);
    }

    private static volatile Access access;

    private Internals() {
    }

    /** Called once by {@link Engine}'s static initializer. */
    public static void install(Access a) {
        if (access != null) {
            throw new IllegalStateException("the engine accessor is installed already");
        }
        access = a;
    }

    private static Access access() {
        Access a = access;
        if (a == null) {
            try {
                Class.forName(Engine.class.getName(), true, Engine.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            a = access;
        }
        return a;
    }

    /** The backend {@code engine}'s plans try first (its OpenCL device, or the CPU path). */
    public static Backend primary(Engine engine) {
        return access().primary(engine);
    }

    /** {@code engine}'s CPU path. */
    public static Backend cpu(Engine engine) {
        return access().cpu(engine);
    }

    /**
     * A new graph value of {@code shape} named {@code name}, owned by no builder: for the graph
     * passes, which may add nodes (and so values) to the graph they rewrite.
     */
    public static Value value(String name, int[] shape) {
        return access().value(name, shape);
    }
}
