package dev.convcl;

import java.util.Locale;

/**
 * Which backend an engine runs on: {@code auto} (the best OpenCL device: GPU, then accelerator,
 * then CPU device; the CPU path when there is none), {@code cpu} (the pure-Java path),
 * {@code opencl} (the best OpenCL device, an error if none) or {@code opencl:N} (device N in
 * the order {@code convcl devices} lists them).
 *
 * @param kind        what was asked for
 * @param deviceIndex the device index for {@code opencl:N}, otherwise -1
 */
public record DeviceChoice(Kind kind, int deviceIndex) {

    /** The three kinds of choice. */
    public enum Kind { AUTO, CPU, OPENCL }

    /** The system property that overrides the environment variable. */
    public static final String PROPERTY = "convcl.device";
    /** The environment variable read when the property is not set. */
    public static final String ENVIRONMENT = "CONVCL_DEVICE";

    public static final DeviceChoice AUTO = new DeviceChoice(Kind.AUTO, -1);
    public static final DeviceChoice CPU = new DeviceChoice(Kind.CPU, -1);
    public static final DeviceChoice OPENCL = new DeviceChoice(Kind.OPENCL, -1);

    public DeviceChoice {
        if (kind == null) {
            throw new IllegalArgumentException("device kind must not be null");
        }
        if (kind != Kind.OPENCL && deviceIndex != -1 || deviceIndex < -1) {
            throw new IllegalArgumentException("device index " + deviceIndex + " is only valid as opencl:N with N >= 0");
        }
    }

    /** Parses {@code auto}, {@code cpu}, {@code opencl} or {@code opencl:N}. */
    public static DeviceChoice parse(String s) {
        String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "auto":
                return AUTO;
            case "cpu":
                return CPU;
            case "opencl":
                return OPENCL;
            default:
                if (v.startsWith("opencl:")) {
                    try {
                        int idx = Integer.parseInt(v.substring("opencl:".length()));
                        if (idx >= 0) {
                            return new DeviceChoice(Kind.OPENCL, idx);
                        }
                    } catch (NumberFormatException ignored) {
                        // falls through to the error below
                    }
                }
                throw new IllegalArgumentException("device '" + s + "' is not one of auto, cpu, opencl, opencl:N (N >= 0)");
        }
    }

    /** The choice from {@value #PROPERTY}, else {@value #ENVIRONMENT}, else {@code auto}. */
    public static DeviceChoice fromEnvironment() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) {
            v = System.getenv(ENVIRONMENT);
        }
        return v == null || v.isBlank() ? AUTO : parse(v);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case AUTO -> "auto";
            case CPU -> "cpu";
            case OPENCL -> deviceIndex < 0 ? "opencl" : "opencl:" + deviceIndex;
        };
    }
}
