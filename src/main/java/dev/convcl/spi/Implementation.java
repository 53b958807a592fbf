package dev.convcl.spi;

import dev.convcl.Operation;
import java.util.List;
import java.util.Optional;

/**
 * One way to run operations on one backend (oneDNN's implementation-list entry): a name, a
 * side-effect-free {@link #validate} that says whether it can run a descriptor, its tunable
 * configurations, and {@link #create} that compiles a {@link Primitive}. Selection, the tuner,
 * the tests, {@code bench} and {@code verify} all walk the same ordered list
 * ({@link Backend#implementations()}).
 */
public interface Implementation {

    /** The name, e.g. {@code depthwise}, {@code gemm}, {@code direct}; unique within a backend. */
    String name();

    /**
     * Empty when this implementation can run {@code op} on its device, otherwise the reason in a
     * short phrase. Never throws, allocates or compiles.
     */
    Optional<String> validate(Operation op);

    /**
     * Whether {@code op} is of the kind of operation this implementation runs (oneDNN's primitive
     * kind: a conv2d, a deform2d, a pooling, ...), whether or not {@link #validate} accepts this
     * one. When no implementation of a device takes an operation, the engine's warning gives the
     * reasons of those of its kind alone, not "not Pool2d" from every other kernel. The default:
     * every kind (an implementation whose {@code validate} names any other reason first).
     */
    default boolean handlesKind(Operation op) {
        return true;
    }

    /**
     * The configurations (tile shapes) worth trying for {@code op}, as keys {@link #create}
     * accepts, the default first; empty when the implementation has none to tune. Only called
     * when {@link #validate} accepts {@code op}.
     */
    default List<String> configs(Operation op) {
        return List.of();
    }

    /**
     * Compiles a primitive for {@code op}: kernels built (through the cache), scratch allocated.
     *
     * @param config a key from {@link #configs}, or null for the tuned or default configuration
     * @throws dev.convcl.DeviceException when the device cannot build or hold it
     * @throws IllegalArgumentException   when {@link #validate} rejects {@code op} or the key is unknown
     */
    Primitive create(Operation op, String config);
}
