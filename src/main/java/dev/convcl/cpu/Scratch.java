package dev.convcl.cpu;

import dev.convcl.ConvSpec;
import dev.convcl.spi.BackendException;

/** Sizes of the scratch arrays the algorithms allocate, checked against what a Java array holds. */
final class Scratch {
    /** The largest array length every JVM allocates. */
    static final long MAX_FLOATS = Integer.MAX_VALUE - 8;

    private Scratch() {
    }

    /**
     * {@code floats} as an array length.
     *
     * @throws BackendException (out of resources) when a Java array cannot hold that many
     */
    static int length(long floats, String what, ConvSpec spec) {
        if (floats > MAX_FLOATS) {
            throw new BackendException(BackendException.Kind.OUT_OF_RESOURCES, what + " would need " + floats
                    + " floats, more than a Java array holds (" + MAX_FLOATS + "): " + spec);
        }
        return (int) floats;
    }
}
