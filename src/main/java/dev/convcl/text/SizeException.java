package dev.convcl.text;

import java.math.BigInteger;

/**
 * A tensor that would have more elements than 32-bit indexing allows (2^31-1), refused before any
 * work. It carries the tensor's name as the library knows it (e.g. {@code output}) and its exact
 * element count, so that a caller whose user gave the sizes under other names (the command-line
 * tool's {@code --output-size}) words the refusal in its own terms instead of editing the
 * library's text.
 *
 * <p>The library's message is {@code <tensor> would have <elements> elements, more than the
 * 2^31-1 that 32-bit indexing allows}.
 *
 * <p>Internal (the package is not exported): thrown by {@code dev.convcl}, reworded by
 * {@code dev.convcl.cli}; a library user sees an {@link IllegalArgumentException}.
 */
public final class SizeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The tensor's name as the library knows it. */
    private final String tensor;
    /** Its exact element count, above 2^31-1. */
    private final BigInteger elements;

    /**
     * @param tensor   the tensor's name as the library knows it, e.g. {@code output}
     * @param elements its exact element count, above 2^31-1
     */
    public SizeException(String tensor, BigInteger elements) {
        super(tensor + " would have " + elements + " elements, " + RULE);
        this.tensor = tensor;
        this.elements = elements;
    }

    /** The rule, without the tensor's name and size. */
    public static final String RULE = "more than the 2^31-1 that 32-bit indexing allows";

    /** @return the tensor's name as the library knows it, e.g. {@code output} */
    public String tensor() {
        return tensor;
    }

    /** @return its exact element count */
    public BigInteger elements() {
        return elements;
    }
}
