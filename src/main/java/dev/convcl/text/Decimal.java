package dev.convcl.text;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Decimal numbers as people type them, for the one-line problem form's float fields
 * ({@code scale=0.25}) and the command-line tool's number options. {@link Double#parseDouble}
 * takes {@code 1e400} as Infinity, {@code 1e-400} as 0, and Java's own spellings ({@code 2f},
 * {@code 0x1p3}); a rule would then echo a number the user never typed. This takes decimal numbers
 * ({@code 2}, {@code -0.5}, {@code .5}, {@code 1e-3}) and refuses, in words that name the text as
 * typed, one that is no number and one the type cannot hold (beyond its range, or so close to 0
 * that it would be read as 0). {@code NaN} and {@code Infinity} (also {@code inf}, any case,
 * signed) are read as such, so that the caller's own rule refuses them in its words.
 *
 * <p>Internal (the package is not exported): shared by {@code dev.convcl} and {@code dev.convcl.cli}.
 */
public final class Decimal {
    private Decimal() {
    }

    /** A number the type cannot hold; not a plain {@link IllegalArgumentException}, so callers tell the two apart. */
    public static final class OutOfRange extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        /** The rule, without the value: {@code is out of range for a number (...)}. */
        private final String rule;

        OutOfRange(String value, String rule) {
            super("'" + value + "' " + rule);
            this.rule = rule;
        }

        /** @return the rule the value breaks, without the value, e.g. {@code is out of range for a number (at most about 1.8e308 in size)} */
        public String rule() {
            return rule;
        }
    }

    /** A decimal number: sign, digits with an optional point (or a point and digits), optional exponent. */
    private static final Pattern DECIMAL = Pattern.compile("[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?");
    /** A spelling of NaN or of an infinity. */
    private static final Pattern NOT_FINITE = Pattern.compile("(?i)[+-]?(nan|inf|infinity)");
    /** A mantissa with a digit other than 0: its number is not 0, however small. */
    private static final Pattern NONZERO_MANTISSA = Pattern.compile("^[+-]?[0-9.]*[1-9]");

    /**
     * {@code text}, blanks around it ignored, as a double.
     *
     * @param text    what the user typed
     * @param isFloat whether the value is a float, whose range is narrower
     * @return the number ({@code (float)} exact when {@code isFloat})
     * @throws OutOfRange              when it is a number the type cannot hold, e.g.
     *                                  {@code '1e400' is out of range for a number (at most about 1.8e308 in size)}
     * @throws IllegalArgumentException when it is no number: {@code 'x' is not a number}
     */
    public static double parse(String text, boolean isFloat) {
        String t = text.strip();
        if (NOT_FINITE.matcher(t).matches()) {
            double v = t.toLowerCase(Locale.ROOT).contains("nan") ? Double.NaN : Double.POSITIVE_INFINITY;
            return t.startsWith("-") ? -v : v;
        }
        if (!DECIMAL.matcher(t).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a number");
        }
        double v = Double.parseDouble(t);
        double largest = isFloat ? Float.MAX_VALUE : Double.MAX_VALUE;
        if (Double.isInfinite(v) || Math.abs(v) > largest) {
            throw new OutOfRange(t, "is out of range for a number (at most about "
                    + (isFloat ? "3.4e38" : "1.8e308") + " in size)");
        }
        float asFloat = (float) v;
        if ((isFloat ? asFloat == 0 : v == 0) && NONZERO_MANTISSA.matcher(t).find()) {
            throw new OutOfRange(t, "is too close to 0 for a number (at least about "
                    + (isFloat ? "1.4e-45" : "4.9e-324") + " in size, or 0)");
        }
        return isFloat ? asFloat : v;
    }

    /** {@link #parse} of a float. */
    public static float parseFloat(String text) {
        return (float) parse(text, true);
    }
}
