package dev.convcl.cli;

import picocli.CommandLine;

/**
 * A value an option's converter refuses, carrying what follows the value in the message: a rule
 * ({@code is not an integer}, {@code is not one of conv2d, ...}) or, for a rule about a part of a
 * list, {@code : '-99999999999' is out of range for an int ...}. {@link Main#badValue} names the
 * option and the value as typed ({@link Typed#shown}) before it, with no text to re-parse. Its own
 * message, for picocli where no option is known, is {@code 'value' rule}.
 */
final class BadValue extends CommandLine.TypeConversionException {
    private static final long serialVersionUID = 1L;

    /** {@code " "} before a rule, {@code ": "} before a detail about a part of the value. */
    private final String separator;
    /** The rule, without the value. */
    private final String rule;

    private BadValue(String value, String separator, String rule) {
        super("'" + value + "'" + separator + rule);
        this.separator = separator;
        this.rule = rule;
    }

    /** {@code value} breaks {@code rule}, e.g. {@code is not an integer}. */
    static BadValue rule(String value, String rule) {
        return new BadValue(value, " ", rule);
    }

    /** A part of {@code value} breaks a rule: {@code detail} names the part and the rule. */
    static BadValue part(String value, String detail) {
        return new BadValue(value, ": ", detail);
    }

    /** The words after the value: {@code " is not an integer"}, {@code ": '-9...' is out of range ..."}. */
    String after() {
        return separator + rule;
    }
}
