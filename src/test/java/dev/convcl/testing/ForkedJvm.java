package dev.convcl.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs a main class of the test classpath in a new JVM, with an environment of the caller's
 * choosing, and collects its exit code, standard output and standard error apart. For what a
 * test JVM cannot show: a process without a variable surefire sets, or a library missing from the
 * file system (through a command prefix such as {@code unshare}).
 */
public final class ForkedJvm {
    private ForkedJvm() {
    }

    /** What the JVM did. */
    public record Result(int exitCode, String out, String err, byte[] outBytes) {
        /** Standard output as bytes, e.g. a binary file written to {@code /dev/stdout}. */
        @Override
        public byte[] outBytes() {
            return outBytes.clone();
        }

        /** The value of the {@code RESULT key=value} line on standard error, or null. */
        public String result(String key) {
            String prefix = "RESULT " + key + "=";
            return err.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length()))
                    .reduce((a, b) -> b).orElse(null);
        }

        /** Exit code, standard error, and standard output (its first {@value #SHOWN} characters). */
        @Override
        public String toString() {
            String shown = out.length() <= SHOWN ? out : out.substring(0, SHOWN) + "\n... (" + out.length() + " characters)";
            return "exit " + exitCode + "\n--- stderr ---\n" + err + "\n--- stdout ---\n" + shown;
        }

        private static final int SHOWN = 2000;
    }

    /** The command that starts this JVM's {@code java} with the test classpath and {@code jvmOptions}, running {@code main}. */
    public static List<String> javaCommand(Class<?> main, List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * A class path holding everything this test JVM can load: the test classes, the library and
     * every dependency. Surefire runs the tests on the module path (the library in
     * {@code jdk.module.path}, the test classes patched into its module, JUnit on the class path);
     * a forked JVM gets all of it on the class path, where the library's module descriptor is
     * ignored, as it is for an application on the class path.
     */
    public static String classPath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String mp = System.getProperty("jdk.module.path");
        return mp == null || mp.isEmpty() ? cp : cp + File.pathSeparator + mp;
    }

    /**
     * Runs {@code command} with this process's environment changed by {@code environment} and waits
     * up to {@code timeoutSeconds}.
     *
     * @throws AssertionError when it does not end in time (it is killed)
     */
    public static Result run(List<String> command, Consumer<Map<String, String>> environment, long timeoutSeconds) {
        ProcessBuilder pb = new ProcessBuilder(command);
        environment.accept(pb.environment());
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            CompletableFuture<byte[]> out = drain(p.getInputStream());
            CompletableFuture<byte[]> err = drain(p.getErrorStream());
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("forked JVM still running after " + timeoutSeconds + " s: " + command
                        + "\n--- stderr so far ---\n" + new String(err.getNow(new byte[0]), StandardCharsets.UTF_8));
            }
            byte[] o = out.join();
            return new Result(p.exitValue(), new String(o, StandardCharsets.UTF_8),
                    new String(err.join(), StandardCharsets.UTF_8), o);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Reads a stream to its end on a thread of its own (the common pool may have one thread only). */
    private static CompletableFuture<byte[]> drain(InputStream in) {
        CompletableFuture<byte[]> text = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (in) {
                text.complete(in.readAllBytes());
            } catch (IOException e) {
                text.complete(("(unreadable: " + e + ")").getBytes(StandardCharsets.UTF_8));
            }
        }, "forked-jvm-reader");
        reader.setDaemon(true);
        reader.start();
        return text;
    }
}
