package dev.convcl;

/**
 * The root of convcl's exceptions: something other than a bad argument went wrong (a device
 * asked for that does not exist, a device failure the CPU path could not absorb, a model that
 * cannot be read). Bad arguments (shapes, values breaking a rule) are
 * {@link IllegalArgumentException}s, thrown before any work starts, as the JDK does.
 */
public class ConvclException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong, naming the value or device concerned */
    public ConvclException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong
     * @param cause   the underlying failure
     */
    public ConvclException(String message, Throwable cause) {
        super(message, cause);
    }
}
