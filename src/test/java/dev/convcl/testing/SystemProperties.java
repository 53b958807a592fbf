package dev.convcl.testing;

import java.util.function.Supplier;

/** Runs code with one system property set, and puts the property back as it was (unset included) afterwards. */
public final class SystemProperties {
    private SystemProperties() {
    }

    /** A test's body, which may throw what a test method may. */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
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
            restore(key, before);
        }
    }

    /** As {@link #with}, for a body that returns nothing and may throw a checked exception. */
    public static void run(String key, String value, Body body) throws Exception {
        String before = System.getProperty(key);
        System.setProperty(key, value);
        try {
            body.run();
        } finally {
            restore(key, before);
        }
    }

    private static void restore(String key, String before) {
        if (before == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, before);
        }
    }
}
