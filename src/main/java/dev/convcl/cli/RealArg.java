package dev.convcl.cli;

import java.util.Locale;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Numbers with a fraction typed on the command line, for every {@code double} and {@code float}
 * option (registered in {@link Main#commandLine()}). {@link Double#parseDouble} takes
 * {@code 1e400} as Infinity, {@code 1e-400} as 0, and Java's own spellings ({@code 2f},
 * {@code 0x1p3}); an option's rule would then echo a number the user never typed. This takes
 * decimal numbers ({@code 2}, {@code -0.5}, {@code .5}, {@code 1e-3}) and refuses, in words that
 * name the text as typed, one that is no number and one the type cannot hold (beyond its range, or
 * so close to 0 that it would be read as 0). {@code NaN} and {@code Infinity} (also {@code inf},
 * any case, signed) are read as such, so that the option's own rule refuses them in its words
 * ({@code --seconds NaN must be a finite number of seconds, 0 or more}): every command's rules
 * refuse values that are not finite, and report the value as typed ({@link CliCommand#typed}).
 */
final class RealArg {
    private RealArg() {
    }

    /** A number the type cannot hold; not a plain {@link IllegalArgumentException}, so callers tell the two apart. */
    static final class OutOfRange extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        OutOfRange(String message) {
            super(message);
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
     * @param isFloat whether the option is a float, whose range is narrower
     * @throws OutOfRange              when it is a number the type cannot hold, e.g.
     *                                  {@code '1e400' is out of range for a number (at most about 1.8e308 in size)}
     * @throws IllegalArgumentException when it is no number: {@code 'x' is not a number}
     */
    static double parse(String text, boolean isFloat) {
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
            throw new OutOfRange("'" + t + "' is out of range for a number (at most about "
                    + (isFloat ? "3.4e38" : "1.8e308") + " in size)");
        }
        float asFloat = (float) v;
        if ((isFloat ? asFloat == 0 : v == 0) && NONZERO_MANTISSA.matcher(t).find()) {
            throw new OutOfRange("'" + t + "' is too close to 0 for a number (at least about "
                    + (isFloat ? "1.4e-45" : "4.9e-324") + " in size, or 0)");
        }
        return isFloat ? asFloat : v;
    }

    /** The converter of {@code double} and {@code Double} options: {@link #parse}'s message for a value it refuses. */
    static final class DoubleConverter implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            try {
                return parse(value, false);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** The converter of {@code float} and {@code Float} options: {@link #parse}'s message for a value it refuses. */
    static final class FloatConverter implements ITypeConverter<Float> {
        @Override
        public Float convert(String value) {
            try {
                return (float) parse(value, true);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
