package dev.convcl;

import dev.convcl.setting.Setting;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The one folder where convcl keeps what it learns about a machine, so that a later process
 * need not learn it again: compiled kernel binaries ({@link #kernels()}), the GEMM tiles chosen by
 * {@code convcl tune} ({@link #tuning()}) and the measured peaks that {@code convcl bench} rates
 * results against ({@link #peak()}). Everything in it can be deleted at any time; it is only
 * measured or compiled again.
 *
 * <p>The root is, in order: the system property {@value #PROPERTY}; else the environment variable
 * {@value #ENV}; else {@code $XDG_CACHE_HOME/convcl} (the XDG base-directory rule: a relative
 * {@code XDG_CACHE_HOME} is ignored); else {@code ~/.cache/convcl}. The subfolders are the same
 * whichever way the root was chosen. The folders are resolved on every call (nothing is created
 * here); callers create them when they write, and treat a folder that cannot be written as a
 * lost speed-up, not an error.
 */
public final class CacheDir {
    /** Environment variable naming the cache root. */
    public static final String ENV = "CONVCL_CACHE_DIR";
    /** System property naming the cache root; it overrides {@value #ENV} (tests, embedding applications). */
    public static final String PROPERTY = "convcl.cacheDir";

    private CacheDir() {
    }

    /**
     * The cache root of this process, chosen as the class comment says.
     *
     * @return the root folder; it need not exist
     */
    public static Path root() {
        return root(System::getProperty, System::getenv);
    }

    /**
     * The folder of compiled OpenCL program binaries.
     *
     * @return {@code <root>/kernels}; it need not exist
     */
    public static Path kernels() {
        return root().resolve("kernels");
    }

    /**
     * The folder of tuning files, one a device.
     *
     * @return {@code <root>/tuning}; it need not exist
     */
    public static Path tuning() {
        return root().resolve("tuning");
    }

    /**
     * The folder of measured peaks, one file a device and one for the Java CPU path.
     *
     * @return {@code <root>/peak}; it need not exist
     */
    public static Path peak() {
        return root().resolve("peak");
    }

    /**
     * The cache root from the given lookups, which return null for an unset name.
     *
     * @param properties system properties by name ({@value #PROPERTY} and {@code user.home} are read)
     * @param env        environment variables by name ({@value #ENV} and {@code XDG_CACHE_HOME} are read)
     * @return the root folder; it need not exist
     */
    static Path root(UnaryOperator<String> properties, UnaryOperator<String> env) {
        return chosen(properties, env).path();
    }

    /** The root and the setting that chose it, by the one rule {@link #root()} and {@link #rootSource()} share. */
    private record Chosen(Path path, String source) {
    }

    private static Chosen chosen(UnaryOperator<String> properties, UnaryOperator<String> env) {
        Optional<Setting> explicit = Setting.of(PROPERTY, ENV, properties, env);
        if (explicit.isPresent()) {
            return new Chosen(Paths.get(explicit.get().value()), explicit.get().source());
        }
        String xdg = env.apply("XDG_CACHE_HOME");
        if (isSet(xdg) && Paths.get(xdg).isAbsolute()) {
            return new Chosen(Paths.get(xdg, "convcl"), "$XDG_CACHE_HOME");
        }
        String home = properties.apply("user.home");
        return new Chosen(Paths.get(isSet(home) ? home : ".", ".cache", "convcl"), "the default under the home folder");
    }

    /**
     * Why files cannot be kept in {@code folder}: the nearest path on it that exists and is not a
     * folder (a cache root set to a file's name, say), with the setting that chose the root.
     *
     * @param folder a folder under {@link #root()}, which need not exist
     * @return e.g. {@code /tmp/x, the cache root from $CONVCL_CACHE_DIR, is a file, not a folder} ({@code is
     *         not a folder} for a device such as {@code /dev/null}, a pipe or a socket),
     *         or empty when every existing path on it is a folder
     */
    public static Optional<String> blocked(Path folder) {
        Path root = root().toAbsolutePath();
        for (Path p = folder.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p)) {
                return Optional.empty();
            }
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                // a regular file is named as one; a device (/dev/null), a pipe or a socket only as no folder
                String what = Files.isSymbolicLink(p) && !Files.exists(p) ? "is a link to nothing, not a folder"
                        : Files.isRegularFile(p) ? "is a file, not a folder" : "is not a folder";
                String where = p.equals(root) ? ", the cache root from " + rootSource()
                        : root.startsWith(p) ? ", on the path of the cache root " + root + " from " + rootSource()
                        : ", under the cache root " + root + " from " + rootSource();
                return Optional.of(p + where + ", " + what);
            }
        }
        return Optional.empty();
    }

    /**
     * Which setting chose {@link #root()}, as a user would set it, for messages.
     *
     * @return {@code -Dconvcl.cacheDir}, {@code $CONVCL_CACHE_DIR}, {@code $XDG_CACHE_HOME} or
     *         {@code the default under the home folder}
     */
    public static String rootSource() {
        return chosen(System::getProperty, System::getenv).source();
    }

    private static boolean isSet(String value) {
        return value != null && !value.isBlank();
    }
}
