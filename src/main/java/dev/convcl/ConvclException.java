package dev.convcl;

/**
 * The root of convcl's own exceptions: something other than a bad argument went wrong. Its
 * subclasses: {@link DeviceUnavailableException} when a device asked for explicitly cannot be
 * opened ({@link Engine#create(DeviceChoice)}), {@link DeviceException} when a device fails in a
 * way the CPU path could not absorb. All are unchecked.
 *
 * <p>The rest follows the JDK's conventions: bad arguments (shapes, values breaking a rule)
 * are {@link IllegalArgumentException}s, thrown before any work starts, with one line
 * naming the value and the rule; using an engine, plan or device tensor after {@code close()}
 * is an {@link IllegalStateException}.
 */
public class ConvclException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with a message.
     *
     * @param message what went wrong, naming the value or device concerned
     */
    public ConvclException(String message) {
        super(message);
    }

    /**
     * An exception with a message and a cause.
     *
     * @param message what went wrong
     * @param cause   the underlying failure
     */
    public ConvclException(String message, Throwable cause) {
        super(message, cause);
    }
}
