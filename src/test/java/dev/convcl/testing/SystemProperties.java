package dev.convcl.testing;

import java.util.function.Supplier;

/** Runs code with one system property set, and puts the property back as it was (unset included) afterwards. */
public final class SystemProperties {
    private SystemProperties() {
    }

    /**
     * Sets {@code key} to {@code value}, returns what {@code body} returns, and restores the
     * property's earlier value (clearing it when it had none), also when {@code body} throws.
     */
    public static <T> T with(String key, String value, Supplier<T> body) {
        String before = System.getProperty(key);
        System.setProperty(key, value);
        try {
            return body.get();
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }
}
