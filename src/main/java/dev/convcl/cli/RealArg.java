package dev.convcl.cli;

import dev.convcl.text.Decimal;
import picocli.CommandLine.ITypeConverter;

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
    /** The rule a value that is no number breaks ({@link Decimal#parse}'s words). */
    static final String NOT_A_NUMBER = "is not a number";

    private RealArg() {
    }

    /** A number the type cannot hold ({@link Decimal.OutOfRange}). */
    static final class OutOfRange extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        /** The rule, without the value. */
        private final String rule;

        OutOfRange(Decimal.OutOfRange e) {
            super(e.getMessage());
            this.rule = e.rule();
        }

        /** The rule the value breaks, without the value, e.g. {@code is out of range for a number (...)}. */
        String rule() {
            return rule;
        }
    }

    /**
     * {@code text}, blanks around it ignored, as a double: {@link Decimal#parse}, shared with the
     * library's one-line problem form.
     *
     * @param text    what the user typed
     * @param isFloat whether the option is a float, whose range is narrower
     * @throws OutOfRange              when it is a number the type cannot hold, e.g.
     *                                  {@code '1e400' is out of range for a number (at most about 1.8e308 in size)}
     * @throws IllegalArgumentException when it is no number: {@code 'x' is not a number}
     */
    static double parse(String text, boolean isFloat) {
        try {
            return Decimal.parse(text, isFloat);
        } catch (Decimal.OutOfRange e) {
            throw new OutOfRange(e);
        }
    }

    /** The converter of {@code double} and {@code Double} options: {@link #parse}'s message for a value it refuses. */
    static final class DoubleConverter implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            try {
                return parse(value, false);
            } catch (OutOfRange e) {
                throw BadValue.rule(value, e.rule());
            } catch (IllegalArgumentException e) {
                throw BadValue.rule(value, NOT_A_NUMBER);
            }
        }
    }

    /** The converter of {@code float} and {@code Float} options: {@link #parse}'s message for a value it refuses. */
    static final class FloatConverter implements ITypeConverter<Float> {
        @Override
        public Float convert(String value) {
            try {
                return (float) parse(value, true);
            } catch (OutOfRange e) {
                throw BadValue.rule(value, e.rule());
            } catch (IllegalArgumentException e) {
                throw BadValue.rule(value, NOT_A_NUMBER);
            }
        }
    }
}
