package dev.convcl.setting;

import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A value read from a "system property, else environment variable" setting, with where it came
 * from as a user would set it ({@code -Dconvcl.device} or {@code $CONVCL_DEVICE}), so that every
 * message about a setting names its source the same way. A blank property or variable counts as
 * unset.
 *
 * <p>Internal (the package is not exported): shared by {@code dev.convcl}, {@code dev.convcl.opencl}
 * and {@code dev.convcl.cli}.
 *
 * @param value  the value as set (not stripped), not blank
 * @param source {@code -D<property>} or {@code $<variable>}
 */
public record Setting(String value, String source) {

    /**
     * The system property {@code property} when it is set and not blank, else the environment
     * variable {@code variable} when it is, else empty. Read on every call.
     *
     * @param property the system property's name, e.g. {@code convcl.device}
     * @param variable the environment variable's name, e.g. {@code CONVCL_DEVICE}
     * @return the value and its source, or empty when neither is set
     */
    public static Optional<Setting> of(String property, String variable) {
        return of(property, variable, System::getProperty, System::getenv);
    }

    /**
     * As {@link #of(String, String)}, from the given lookups, which return null for an unset name.
     *
     * @param property    the system property's name
     * @param variable    the environment variable's name
     * @param properties  system properties by name
     * @param environment environment variables by name
     * @return the value and its source, or empty when neither is set
     */
    public static Optional<Setting> of(String property, String variable, UnaryOperator<String> properties,
            UnaryOperator<String> environment) {
        String p = properties.apply(property);
        if (p != null && !p.isBlank()) {
            return Optional.of(new Setting(p, "-D" + property));
        }
        String v = environment.apply(variable);
        if (v != null && !v.isBlank()) {
            return Optional.of(new Setting(v, "$" + variable));
        }
        return Optional.empty();
    }
}
