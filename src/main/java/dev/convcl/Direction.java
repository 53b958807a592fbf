package dev.convcl;

/**
 * Which pass of an operation a descriptor describes. Only the forward (inference) pass exists
 * today; the backward passes (data and weights gradients, oneDNN's {@code backward_data} and
 * {@code backward_weights}) are planned and will be added here.
 */
public enum Direction {
    /** The forward pass: outputs from inputs. */
    FORWARD("fwd");

    private final String token;

    Direction(String token) {
        this.token = token;
    }

    /**
     * The name in one-line problem forms ({@code dir=}).
     *
     * @return e.g. {@code fwd}
     */
    public String token() {
        return token;
    }

    /**
     * The direction named {@code s} (case-insensitive): its {@link #token()} or its constant's name.
     *
     * @param s e.g. {@code fwd} or {@code forward}
     * @return the direction
     * @throws IllegalArgumentException naming the value and the known directions
     */
    public static Direction parse(String s) {
        return OneLine.constant(values(), Direction::token, s, "direction '" + s + "'");
    }
}
