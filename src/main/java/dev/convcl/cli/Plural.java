package dev.convcl.cli;

/** Counts in the tool's output, with the noun singular for one: "1 call", "3 calls". */
final class Plural {
    private Plural() {
    }

    /** {@code n} and {@code noun}, the noun singular for 1 and with an "s" otherwise: "1 step", "0 steps". */
    static String of(long n, String noun) {
        return n + " " + noun(n, noun);
    }

    /** {@code noun} as it goes with {@code n}: as given for 1, with an "s" otherwise (for a table's column). */
    static String noun(long n, String noun) {
        return n == 1 ? noun : noun + "s";
    }
}
