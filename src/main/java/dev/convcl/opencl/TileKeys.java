package dev.convcl.opencl;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** Reads the {@code key=value ...} form of tile configurations. */
final class TileKeys {
    private TileKeys() {
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
