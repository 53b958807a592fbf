package dev.convcl.spi;

/**
 * A backend could not compile or run a problem. The {@link Kind} tells the engine whether falling
 * back to another backend makes sense; the message carries the context (kernel, build options,
 * build log, the problem's one-line form).
 */
public class BackendException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why a backend failed. */
    public enum Kind {
        /** No device, no platform, no ICD loader. */
        UNAVAILABLE,
        /** A kernel did not compile or link. */
        BUILD_FAILED,
        /** The device ran out of memory or resources, or a buffer exceeds its maximum allocation. */
        OUT_OF_RESOURCES,
        /** Any other error reported by the device or its queue. */
        DEVICE_ERROR
    }

    private final Kind kind;

    public BackendException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public BackendException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
