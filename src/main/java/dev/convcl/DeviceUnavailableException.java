package dev.convcl;

import dev.convcl.text.DeviceWording;

/**
 * The device asked for explicitly ({@code opencl} or {@code opencl:N}) cannot be opened:
 * {@link Engine#create(DeviceChoice)} throws it instead of falling back to the CPU path, which
 * only {@code auto} does. The message reads {@code device opencl:7 asked for, but no OpenCL device
 * 7 (there are 1)}; {@link Engine#create()} adds the property or variable that asked for it.
 */
public final class DeviceUnavailableException extends ConvclException {
    private static final long serialVersionUID = 1L;

    /** Not serialised: a choice is a value of this process. */
    private final transient DeviceChoice choice;
    /** Why it cannot be opened, in words. */
    private final String reason;

    /**
     * An exception for {@code choice}, which could not be opened for {@code reason}.
     *
     * @param choice what was asked for
     * @param reason why it cannot be opened, e.g. {@code no OpenCL device 7 (there are 1)}
     * @param cause  the failure it wraps, or null
     */
    DeviceUnavailableException(DeviceChoice choice, String reason, Throwable cause) {
        this(choice, choice.toString(), reason, null, cause);
    }

    /**
     * An exception for {@code choice}, named in the message as {@code asked}: the setting's text
     * ({@code opencl:01}), which {@link DeviceChoice#parse} reads as {@code opencl:1}, and the
     * setting that asked for it.
     *
     * @param choice what was asked for
     * @param asked  the choice as it was written, for the message
     * @param reason why it cannot be opened
     * @param source the property or variable that asked for it, e.g. {@code $CONVCL_DEVICE}; null for none
     * @param cause  the failure it wraps, or null
     */
    DeviceUnavailableException(DeviceChoice choice, String asked, String reason, String source, Throwable cause) {
        super(DeviceWording.unavailable(asked, reason, source, null), cause);
        this.choice = choice;
        this.reason = reason;
    }

    /**
     * What was asked for.
     *
     * @return the choice, {@code opencl} or {@code opencl:N}
     */
    public DeviceChoice choice() {
        return choice;
    }

    /**
     * Why it cannot be opened, without the choice: no ICD loader, no platform, no device N, a
     * device that failed to open.
     *
     * @return the reason, in words
     */
    public String reason() {
        return reason;
    }
}
