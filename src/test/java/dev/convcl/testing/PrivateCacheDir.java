package dev.convcl.testing;

import dev.convcl.CacheDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A cache root of the test's own ({@link CacheDir#PROPERTY}) for each test, so peaks, tuning tables
 * and kernel binaries never reach the user's cache or another test's: annotate the class with
 * {@code @ExtendWith(PrivateCacheDir.class)}. Before each test it creates an empty folder and
 * points the property at it; after, it clears the property and deletes the folder. (The property
 * is global to the JVM, so the tests that use it run one at a time, as surefire runs them.)
 */
public final class PrivateCacheDir implements BeforeEachCallback, AfterEachCallback {
    private static volatile Path root;

    /** The current test's cache root (empty when the test starts). */
    public static Path root() {
        return root;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        root = Files.createTempDirectory("convcl-cache");
        System.setProperty(CacheDir.PROPERTY, root.toString());
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        System.clearProperty(CacheDir.PROPERTY);
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
