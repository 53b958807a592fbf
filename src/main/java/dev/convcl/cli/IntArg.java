package dev.convcl.cli;

import picocli.CommandLine.ITypeConverter;

/**
 * Integers typed on the command line, for every int option and list of ints. {@link Integer#parseInt}
 * fails the same way on {@code x} and on {@code 99999999999}; this tells an integer outside an
 * int's range from a value that is no integer, so the message names the rule the value breaks.
 */
final class IntArg {
    /** The rule a value that is no integer breaks. */
    static final String NOT_AN_INTEGER = "is not an integer";

    private IntArg() {
    }

    /** An integer that does not fit an int; not a {@link NumberFormatException}, so callers tell the two apart. */
    static final class OutOfRange extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        /** The rule, without the value: {@code is out of range for an int (at most 2147483647)}. */
        private final String rule;

        OutOfRange(String value, String rule) {
            super("'" + value + "' " + rule);
            this.rule = rule;
        }

        /** The rule the value breaks, without the value. */
        String rule() {
            return rule;
        }
    }

    /**
     * {@code text}, blanks around it ignored, as an int.
     *
     * @throws OutOfRange            when it is an integer outside an int's range:
     *                               {@code '99999999999' is out of range for an int (at most 2147483647)}
     * @throws NumberFormatException when it is no integer at all
     */
    static int parse(String text) {
        String t = text.trim();
        try {
            return Integer.parseInt(t);
        } catch (NumberFormatException e) {
            if (isInteger(t)) {
                throw new OutOfRange(t, outOfRange(t, "an int", Integer.MIN_VALUE, Integer.MAX_VALUE));
            }
            throw e;
        }
    }

    /**
     * The converter of {@code int} and {@code Integer} options (registered in {@link Main#commandLine()}):
     * {@code 'x' is not an integer} for a value that is no integer, and
     * {@link #parse}'s for one out of range.
     */
    static final class Converter implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                return parse(value);
            } catch (NumberFormatException e) {
                throw BadValue.rule(value, NOT_AN_INTEGER);
            } catch (OutOfRange e) {
                throw BadValue.rule(value, e.rule());
            }
        }
    }

    /**
     * The converter of {@code long} and {@code Long} options (registered in {@link Main#commandLine()},
     * e.g. {@code verify --seed}): {@code 'x' is not an integer} for a value that is no integer,
     * and, for one beyond a long's range, the bound it passes in the option's terms, not the
     * type's: {@code must be at most 9223372036854775807}, {@code must be at least -9223372036854775808}
     * ({@link #least()} for an option with a bound of its own below).
     */
    static class LongConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            String t = value.trim();
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException e) {
                if (isInteger(t)) {
                    throw BadValue.rule(value, t.startsWith("-") ? "must be at least " + least()
                            : "must be at most " + Long.MAX_VALUE);
                }
                throw BadValue.rule(value, NOT_AN_INTEGER);
            }
        }

        /** The least value the option takes, named for a value below a long's range. */
        long least() {
            return Long.MIN_VALUE;
        }
    }

    /**
     * {@link LongConverter} for a count of at least 1 ({@code --max-samples}): a value below a
     * long's range breaks that rule, and is named by it ({@code must be at least 1}), as 0 is by
     * the option's own check.
     */
    static final class CountConverter extends LongConverter {
        @Override
        long least() {
            return 1;
        }
    }

    /** Whether {@code t} is written as an integer (a sign, then digits), whatever its size. */
    private static boolean isInteger(String t) {
        return t.matches("[+-]?[0-9]+");
    }

    /** {@code is out of range for an int (at most 2147483647)}: the bound on {@code t}'s side. */
    private static String outOfRange(String t, String type, long min, long max) {
        return "is out of range for " + type + " ("
                + (t.startsWith("-") ? "at least " + min : "at most " + max) + ")";
    }
}
