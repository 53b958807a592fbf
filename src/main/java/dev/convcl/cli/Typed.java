package dev.convcl.cli;

/**
 * The one rule by which a message echoes a value the user typed (a flag's value, a file's path):
 * as typed when it holds no blank, else in single quotes, as a shell would need it
 * ({@code --stride '1, 0'}, {@code output 'a b/y.npy' (--out)}); the empty value is {@code ''}.
 * A quote inside a quoted value is written the shell's way, {@code '\''}. Messages that always
 * quote a value ({@code --batch '1,x'}) already meet the rule for one with blanks.
 */
final class Typed {
    private Typed() {
    }

    /**
     * {@code text} for a message.
     *
     * @param text the value as typed
     * @return it, or it in single quotes when it is empty or holds a blank
     */
    static String shown(String text) {
        if (!text.isEmpty() && text.chars().noneMatch(Character::isWhitespace)) {
            return text;
        }
        return quoted(text);
    }

    /**
     * {@code text} in single quotes whatever it holds, for a message that always quotes a value
     * ({@code --batch '1,x'}): the quoting {@link #shown} uses for a value with blanks.
     *
     * @param text the value as typed
     * @return it in single quotes, a quote inside written {@code '\''}
     */
    static String quoted(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }
}
