package dev.convcl;

import dev.convcl.setting.Setting;
import dev.convcl.text.ValueException;
import java.util.Locale;
import java.util.Optional;

/**
 * Which backend an engine runs on: {@code auto} (the best OpenCL device: GPU, then accelerator,
 * then CPU device; the CPU path when there is none), {@code cpu} (the pure-Java path),
 * {@code opencl} (the best OpenCL device, an error if none) or {@code opencl:N} (device N in
 * the order {@code convcl devices} lists them).
 *
 * <pre>{@code
 * Engine engine = Engine.create(DeviceChoice.parse("opencl:1"));   // or -Dconvcl.device=opencl:1
 * }</pre>
 *
 * @param kind        what was asked for
 * @param deviceIndex the device index for {@code opencl:N}, otherwise -1
 */
public record DeviceChoice(Kind kind, int deviceIndex) {

    /** The kinds of choice. */
    public enum Kind {
        /** The best OpenCL device, else the CPU path (with a WARN). */
        AUTO,
        /** The pure-Java CPU path. */
        CPU,
        /** An OpenCL device: the best one, or the one at {@link #deviceIndex()}; no fallback at creation. */
        OPENCL
    }

    /** The system property that overrides the environment variable. */
    public static final String PROPERTY = "convcl.device";
    /** The environment variable read when the property is not set. */
    public static final String ENVIRONMENT = "CONVCL_DEVICE";

    /** {@code auto}: the best OpenCL device, else the CPU path. */
    public static final DeviceChoice AUTO = new DeviceChoice(Kind.AUTO, -1);
    /** {@code cpu}: the pure-Java CPU path. */
    public static final DeviceChoice CPU = new DeviceChoice(Kind.CPU, -1);
    /** {@code opencl}: the best OpenCL device; {@link Engine#create(DeviceChoice)} fails without one. */
    public static final DeviceChoice OPENCL = new DeviceChoice(Kind.OPENCL, -1);

    /**
     * Checks that only {@link Kind#OPENCL} carries a device index.
     *
     * @param kind        what is asked for, not null
     * @param deviceIndex the device index (0 or more) for {@code opencl:N}, otherwise -1
     * @throws IllegalArgumentException when the kind is null or the index does not fit the kind
     */
    public DeviceChoice {
        if (kind == null) {
            throw new IllegalArgumentException("device kind must not be null");
        }
        if (kind != Kind.OPENCL && deviceIndex != -1 || deviceIndex < -1) {
            throw new IllegalArgumentException("device index " + deviceIndex + " is only valid as opencl:N with N >= 0");
        }
    }

    /**
     * Reads a choice, case-insensitive, surrounding blanks ignored.
     *
     * @param s {@code auto}, {@code cpu}, {@code opencl} or {@code opencl:N} with N at least 0
     * @return the choice
     * @throws IllegalArgumentException naming the value and the accepted forms, or the
     *                                  index N and its range when N is beyond an int
     */
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
                if (v.startsWith("opencl:") && v.substring("opencl:".length()).matches("[0-9]+")) {
                    try {
                        int idx = Integer.parseInt(v.substring("opencl:".length()));
                        if (idx >= 0) {
                            return new DeviceChoice(Kind.OPENCL, idx);
                        }
                    } catch (NumberFormatException ignored) {
                        String n = v.substring("opencl:".length());
                        if (n.matches("[0-9]+")) {
                            throw ValueException.part("device", s, "N=" + n
                                    + " is out of range for a device index (at most " + Integer.MAX_VALUE + ")");
                        }
                        // otherwise falls through to the error below
                    }
                }
                throw ValueException.rule("device", s, "is not one of auto, cpu, opencl, opencl:N (N >= 0)");
        }
    }

    /**
     * The choice from the system property {@value #PROPERTY}, else the environment variable
     * {@value #ENVIRONMENT}, else {@code auto}.
     *
     * @return the choice
     * @throws IllegalArgumentException when the property or variable is set to something
     *                                  {@link #parse} refuses (the message names which)
     */
    public static DeviceChoice fromEnvironment() {
        return fromEnvironment(setting());
    }

    /** {@link #fromEnvironment()} from a setting already read ({@link #setting()}). */
    static DeviceChoice fromEnvironment(Optional<Setting> setting) {
        if (setting.isEmpty()) {
            return AUTO;
        }
        try {
            return parse(setting.get().value());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (from " + setting.get().source() + ")", e);
        }
    }

    /**
     * The setting {@link #fromEnvironment()} reads: {@value #PROPERTY} when the property is set and
     * not blank, else {@value #ENVIRONMENT} when the variable is, else empty.
     */
    static Optional<Setting> setting() {
        return Setting.of(PROPERTY, ENVIRONMENT);
    }

    /**
     * The choice as {@link #parse} reads it.
     *
     * @return {@code auto}, {@code cpu}, {@code opencl} or {@code opencl:N}
     */
    @Override
    public String toString() {
        return switch (kind) {
            case AUTO -> "auto";
            case CPU -> "cpu";
            case OPENCL -> deviceIndex < 0 ? "opencl" : "opencl:" + deviceIndex;
        };
    }
}
