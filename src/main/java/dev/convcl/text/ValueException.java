package dev.convcl.text;

/**
 * A value refused by a rule that needs no field of a descriptor, e.g. a device choice: it carries
 * the value as given and what follows it in the message, so that a caller that knows the value by
 * another name (the command-line tool's {@code --device}) words the same rule in its own terms
 * instead of editing the library's text.
 *
 * <p>The library's message is {@code noun 'value' rule} ({@code device 'gpu' is not one of ...}),
 * or {@code noun 'value': detail} where the rule is about a part of the value
 * ({@code device 'opencl:99999999999': N=99999999999 is out of range ...}).
 *
 * <p>Internal (the package is not exported): thrown by {@code dev.convcl}, reworded by
 * {@code dev.convcl.cli}; a library user sees an {@link IllegalArgumentException}.
 */
public final class ValueException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The value as given. */
    private final String value;
    /** {@code " "} before a rule, {@code ": "} before a detail about a part of the value. */
    private final String separator;
    /** The rule, without the value. */
    private final String rule;

    private ValueException(String noun, String value, String separator, String rule) {
        super(noun + " '" + value + "'" + separator + rule);
        this.value = value;
        this.separator = separator;
        this.rule = rule;
    }

    /**
     * {@code noun 'value' rule}.
     *
     * @param noun  what the value is, e.g. {@code device}
     * @param value the value as given
     * @param rule  the rule it breaks, e.g. {@code is not one of auto, cpu}
     * @return the exception
     */
    public static ValueException rule(String noun, String value, String rule) {
        return new ValueException(noun, value, " ", rule);
    }

    /**
     * {@code noun 'value': detail}, for a rule about a part of the value.
     *
     * @param noun   what the value is, e.g. {@code device}
     * @param value  the value as given
     * @param detail the part and its rule, e.g. {@code N=99999999999 is out of range ...}
     * @return the exception
     */
    public static ValueException part(String noun, String value, String detail) {
        return new ValueException(noun, value, ": ", detail);
    }

    /** @return the value as given */
    public String value() {
        return value;
    }

    /** @return whether the rule is about a part of the value ({@code noun 'value': detail}) */
    public boolean aboutPart() {
        return separator.equals(": ");
    }

    /** @return the rule, or the detail about a part, without the value: {@code is not one of ...}, {@code N=... is out of range ...} */
    public String rule() {
        return rule;
    }
}
