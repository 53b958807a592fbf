package dev.convcl.text;

/**
 * The one wording of a device asked for explicitly ({@code opencl} or {@code opencl:N}) that
 * cannot be opened: {@code dev.convcl.DeviceUnavailableException}'s message, and the command-line
 * tool's line for the same refusal, which names the device as the user typed it and the setting
 * that asked for it.
 *
 * <p>Internal (the package is not exported): shared by {@code dev.convcl} and {@code dev.convcl.cli}.
 */
public final class DeviceWording {
    private DeviceWording() {
    }

    /**
     * The refusal in words.
     *
     * @param asked    the device as it was asked for, e.g. {@code opencl:7} or {@code opencl:07} as typed
     * @param reason   why it cannot be opened, e.g. {@code no OpenCL device 7 (there are 1)}
     * @param source   the setting that asked for it, e.g. {@code $CONVCL_DEVICE}, or null when it was
     *                 asked for directly
     * @param override what overrides that setting, e.g. {@code --device}, or null; ignored when
     *                 {@code source} is null
     * @return e.g. {@code device opencl:07 asked for, but no OpenCL device 7 (there are 1) (from
     *         $CONVCL_DEVICE; --device overrides it)}
     */
    public static String unavailable(String asked, String reason, String source, String override) {
        return "device " + asked + " asked for, but " + reason + (source == null ? ""
                : " (from " + source + (override == null ? "" : "; " + override + " overrides it") + ")");
    }
}
