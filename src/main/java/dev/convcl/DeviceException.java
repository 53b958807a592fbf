package dev.convcl;

/**
 * A device could not build, hold or run a problem. Inside the engine it triggers the fallback to
 * the CPU path; it reaches the caller only when no fallback can help: the device was asked for
 * explicitly, a result already on the device was lost, or the CPU path itself ran out of memory.
 * {@link #kind()} tells which; the message carries the context (kernel, build options and log,
 * the problem's one-line form).
 */
public class DeviceException extends ConvclException {
    private static final long serialVersionUID = 1L;

    /** Why a device failed. */
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

    /** Why the device failed. */
    private final Kind kind;

    /**
     * A device failure.
     *
     * @param kind    why
     * @param message what failed, with its context
     */
    public DeviceException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /**
     * A device failure with its underlying error.
     *
     * @param kind    why
     * @param message what failed, with its context
     * @param cause   the underlying error (a JOCL {@code CLException}, say)
     */
    public DeviceException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /**
     * Why the device failed.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }
}
