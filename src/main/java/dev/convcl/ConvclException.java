package dev.convcl;

/**
 * A request that cannot be met as asked, e.g. {@code --device opencl} where no OpenCL device
 * exists. Bad arguments are {@link IllegalArgumentException}s instead.
 */
public class ConvclException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConvclException(String message) {
        super(message);
    }

    public ConvclException(String message, Throwable cause) {
        super(message, cause);
    }
}
