package dev.convcl.opencl;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The text form of tile configurations, {@code [word] key=value ...}: an optional first word that
 * names the kind of tile (e.g. {@code plane}, {@code rows}), then the tile's fields in a fixed
 * order, separated by white space. Every tile record prints itself and reads itself back with
 * these helpers, so the tuning table and the {@code --tile} option share one form.
 */
final class TileKeys {
    private TileKeys() {
    }

    /**
     * The text {@code word k0=v0 k1=v1 ...} ({@code k0=v0 ...} when {@code word} is empty).
     *
     * @param word   the first word, or empty for none
     * @param keys   the field names, in order
     * @param values one value a key, in the same order (printed with {@code String.valueOf})
     * @throws IllegalArgumentException when the counts of keys and values differ
     */
    static String format(String word, List<String> keys, Object... values) {
        if (keys.size() != values.length) {
            throw new IllegalArgumentException(keys.size() + " keys " + keys + " but " + values.length + " values");
        }
        StringBuilder b = new StringBuilder(word);
        for (int i = 0; i < values.length; i++) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(keys.get(i)).append('=').append(values[i]);
        }
        return b.toString();
    }

    /** Whether the first word of {@code text} (leading and trailing white space ignored) is {@code word}. */
    static boolean startsWith(String text, String word) {
        return text.trim().split("\\s+", 2)[0].equals(word);
    }

    /**
     * Reads {@link #format}'s form with whole-number values: the values of {@code keys}, in their
     * order, from {@code text}, which must start with the word {@code word} (unless it is empty)
     * and then have exactly those fields (in any order).
     *
     * @param what names the kind of tile in the messages, e.g. {@code depthwise-plane}
     * @throws IllegalArgumentException naming the text and the rule it breaks
     */
    static int[] numbers(String text, String word, String what, List<String> keys) {
        if (!word.isEmpty() && !startsWith(text, word)) {
            throw new IllegalArgumentException(what + " tile '" + text + "' must start with '" + word + "'");
        }
        Map<String, String> f = fields(text.trim().substring(word.length()), keys.toArray(String[]::new));
        int[] v = new int[keys.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = number(text, f.get(keys.get(i)));
        }
        return v;
    }

    /** The fields of {@code text}, which must be exactly {@code keys}. */
    static Map<String, String> fields(String text, String... keys) {
        Map<String, String> f = new HashMap<>();
        for (String token : text.trim().split("\\s+")) {
            int eq = token.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("tile '" + text + "': '" + token + "' is not key=value");
            }
            f.put(token.substring(0, eq), token.substring(eq + 1));
        }
        if (!f.keySet().equals(Set.of(keys))) {
            throw new IllegalArgumentException("tile '" + text + "' must have exactly the fields " + String.join(", ", keys));
        }
        return f;
    }

    static int number(String text, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tile '" + text + "': '" + v + "' is not an integer");
        }
    }
}
