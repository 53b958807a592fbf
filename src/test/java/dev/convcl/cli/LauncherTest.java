package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/convcl}, the launcher, around a stand-in for {@code java} (so no jar is built): it
 * passes the Vector API module and keeps the JVM's "Using incubator modules" line from the user,
 * while every other line, stdout, the arguments and the exit status pass unchanged.
 */
class LauncherTest {
    private static final String INCUBATOR = "WARNING: Using incubator modules: jdk.incubator.vector";

    @TempDir
    Path root;

    private Path fakeJava;

    /** A copy of the launcher in a tree of its own, with a jar it takes as up to date. */
    @BeforeEach
    void launcherTree() throws IOException {
        Files.createDirectories(root.resolve("scripts"));
        Files.copy(Path.of("scripts/convcl"), root.resolve("scripts/convcl"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.createDirectories(root.resolve("target"));
        Files.writeString(root.resolve("target/convcl-0-cli.jar"), "");
        // Like the JVM: the incubator line first on stderr, then the program's own output.
        fakeJava = script("java", """
                #!/usr/bin/env bash
                for a in "$@"; do [ "$a" = jdk.incubator.vector ] && echo '%s' >&2; done
                echo "args: $*"
                echo "progress line" >&2
                echo "result line"
                printf 'last stderr line without newline' >&2
                exit 3
                """.formatted(INCUBATOR));
    }

    private Path script(String name, String text) throws IOException {
        Path f = root.resolve(name);
        Files.writeString(f, text);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
        return f;
    }

    private record Run(int code, String out, String err) {
    }

    private Run launch(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", root.resolve("scripts/convcl").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("JAVA", fakeJava.toString());
        pb.environment().put("XDG_CACHE_HOME", root.resolve("cache").toString());
        pb.environment().remove("CONVCL_VECTOR");
        pb.environment().remove("JAVA_OPTS");
        pb.environment().putAll(env);
        pb.redirectOutput(root.resolve("stdout").toFile()).redirectError(root.resolve("stderr").toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher did not finish");
        return new Run(p.exitValue(), Files.readString(root.resolve("stdout"), StandardCharsets.UTF_8),
                Files.readString(root.resolve("stderr"), StandardCharsets.UTF_8));
    }

    @Test
    void theIncubatorLineDoesNotReachTheUserAndEverythingElseDoes() throws Exception {
        Run r = launch(Map.of(), "run", "--input", "a b.npy");
        assertFalse(r.err().contains("incubator"), r.toString());
        assertEquals("progress line\nlast stderr line without newline", r.err(), r.toString());
        assertEquals("args: --add-modules jdk.incubator.vector -jar " + root.resolve("target/convcl-0-cli.jar")
                + " run --input a b.npy\nresult line\n", r.out(), r.toString());
        assertEquals(3, r.code(), "java's exit status: " + r);
    }

    @Test
    void withoutTheVectorModuleNothingIsFiltered() throws Exception {
        Run r = launch(Map.of("CONVCL_VECTOR", "0"), "devices");
        assertEquals("progress line\nlast stderr line without newline", r.err(), r.toString());
        assertTrue(r.out().startsWith("args: -jar "), r.toString());
        assertEquals(3, r.code(), r.toString());
    }

    @Test
    void linesBeforeTheWarningAndSuccessPassUnchanged() throws Exception {
        fakeJava = script("java0", """
                #!/usr/bin/env bash
                echo "Picked up JAVA_TOOL_OPTIONS: -Dx=1" >&2
                echo '%s' >&2
                echo ok
                """.formatted(INCUBATOR));
        Run r = launch(Map.of(), "devices");
        assertEquals("Picked up JAVA_TOOL_OPTIONS: -Dx=1\n", r.err(), r.toString());
        assertEquals("ok\n", r.out(), r.toString());
        assertEquals(0, r.code(), r.toString());
    }

    /** A built ONNX Runtime peer in the launcher's tree, newer than convcl's jar (so not rebuilt). */
    private Path builtPeer() throws IOException {
        Path target = Files.createDirectories(root.resolve("peers/onnxruntime/target/lib"));
        Path jar = target.getParent().resolve("convcl-peer-onnxruntime-0.jar");
        Files.writeString(jar, "");
        jar.toFile().setLastModified(root.resolve("target/convcl-0-cli.jar").toFile().lastModified() + 2000);
        return jar;
    }

    @Test
    void benchWithTheOnnxRuntimePeerPutsItsJarsOnTheClassPath() throws Exception {
        Path peer = builtPeer();
        String cp = root.resolve("target/convcl-0-cli.jar") + ":" + peer + ":" + root.resolve("peers/onnxruntime/target/lib") + "/*";
        for (String[] args : List.of(new String[] {"bench", "--peers", "torch,onnxruntime"},
                new String[] {"bench", "--quick", "--peers=ALL"}, new String[] {"bench", "--peers", "torch,\tonnxruntime"},
                new String[] {"bench", "--peers", "torch\n,onnxruntime "})) {
            Run r = launch(Map.of(), args);
            assertEquals("args: --add-modules jdk.incubator.vector -cp " + cp + " dev.convcl.cli.Main " + String.join(" ", args)
                    + "\nresult line\n", r.out(), r.toString());
            assertEquals(3, r.code(), r.toString());
        }
        // Other peers, other commands: the runnable jar as usual.
        for (String[] args : List.of(new String[] {"bench", "--peers", "torch"}, new String[] {"run", "--peers", "all"})) {
            Run r = launch(Map.of(), args);
            assertTrue(r.out().startsWith("args: --add-modules jdk.incubator.vector -jar "), r.toString());
        }
    }

    @Test
    void aPeerThatDoesNotBuildLeavesBenchToSayItIsMissing() throws Exception {
        // No peer jar, and a Maven that fails: one line says so, and bench runs from the jar.
        Path bin = Files.createDirectories(root.resolve("bin"));
        Files.writeString(bin.resolve("mvn"), "#!/usr/bin/env bash\necho 'mvn: cannot reach the repository' >&2\nexit 1\n");
        Files.setPosixFilePermissions(bin.resolve("mvn"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Run r = launch(Map.of("PATH", bin + ":" + System.getenv("PATH")), "bench", "--peers", "all");
        assertTrue(r.out().startsWith("args: --add-modules jdk.incubator.vector -jar "), r.toString());
        assertTrue(r.err().startsWith("convcl: building the ONNX Runtime peer (peers/onnxruntime) ...\n"
                + "mvn: cannot reach the repository\n"
                + "convcl: the ONNX Runtime peer did not build (see above); bench goes on without it\n"), r.toString());
        assertEquals(3, r.code(), r.toString());
    }

    @Test
    void aListWithANameThatIsNoPeerBuildsNothing() throws Exception {
        // No peer jar, and a Maven that would say it ran: bench itself refuses the name at once.
        Path bin = Files.createDirectories(root.resolve("bin"));
        Files.writeString(bin.resolve("mvn"), "#!/usr/bin/env bash\necho 'mvn ran' >&2\nexit 1\n");
        Files.setPosixFilePermissions(bin.resolve("mvn"), PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String[] args : List.of(new String[] {"bench", "--peers", "onnxruntime,nosuchpeer"},
                new String[] {"bench", "--peers", "all,"}, new String[] {"bench", "--peers=ONNXRUNTIME,,torch"},
                new String[] {"bench", "--peers", "*"}, new String[] {"bench", "--peers", "torch", "--peers", "all"})) {
            Run r = launch(Map.of("PATH", bin + ":" + System.getenv("PATH")), args);
            assertTrue(r.out().startsWith("args: --add-modules jdk.incubator.vector -jar "), String.join(" ", args) + ": " + r);
            assertFalse(r.err().contains("mvn ran") || r.err().contains("building"), String.join(" ", args) + ": " + r);
        }
    }

    /**
     * The builds the launcher starts print no terminal escapes into the user's stderr: Maven 3.8
     * (Debian 12's) writes colour resets ({@code ESC[0m}) on stdout and stderr even with -B -q
     * when they are a file or pipe, whatever option it is given. The stand-in Maven does the same.
     */
    @Test
    void theBuildsItStartsPrintNoColourEscapes() throws Exception {
        Files.delete(root.resolve("target/convcl-0-cli.jar"));
        Path bin = Files.createDirectories(root.resolve("bin"));
        Files.writeString(bin.resolve("mvn"), """
                #!/usr/bin/env bash
                printf '\033[0m\033[0m' >&2; printf '\033[0m'
                if [[ " $* " == *" -f peers/pom.xml "* ]]; then
                  mkdir -p peers/onnxruntime/target/lib && touch peers/onnxruntime/target/convcl-peer-onnxruntime-0.jar
                else
                  mkdir -p target && touch target/convcl-0-cli.jar
                fi
                """);
        Files.setPosixFilePermissions(bin.resolve("mvn"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Run r = launch(Map.of("PATH", bin + ":" + System.getenv("PATH")), "bench", "--peers", "all");
        assertFalse(r.err().contains("\033"), "no escape codes: " + r);
        assertTrue(r.err().startsWith("convcl: building the jar (first use) ...\n"
                + "convcl: building the ONNX Runtime peer (peers/onnxruntime) ...\n"), r.toString());
        assertTrue(r.out().startsWith("args: --add-modules jdk.incubator.vector -cp "), "the peer was built: " + r);
    }
}
