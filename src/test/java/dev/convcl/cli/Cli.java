package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.opencl.OpenClDeviceInfo;
import dev.convcl.testing.OpenClTestDevice;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Runs the tool in-process, as the launcher would, with stdout and stderr captured. */
final class Cli {
    private Cli() {
    }

    /** What a command line did. */
    record Result(int code, String out, String err) {
        /** The last non-empty line of stdout. */
        String lastLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1].strip();
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    /**
     * A command run on the OpenCL test device.
     *
     * @param device the device
     * @param result what the command did
     */
    record DeviceRun(OpenClDeviceInfo device, Result result) {
    }

    /**
     * {@code COMMAND --device opencl:N OPTIONS} on the OpenCL test device
     * ({@link OpenClTestDevice#require}: the test skips, or fails, where there is none).
     */
    static DeviceRun onDevice(String command, String... options) {
        OpenClDeviceInfo device = OpenClTestDevice.require();
        List<String> args = new ArrayList<>(List.of(command, "--device", "opencl:" + device.index()));
        args.addAll(List.of(options));
        return new DeviceRun(device, run(args.toArray(String[]::new)));
    }

    /**
     * A {@code bench} run on the OpenCL test device.
     *
     * @param device the device
     * @param result what the command did
     * @param json   its {@code --json} report (absent if the run failed before writing it)
     */
    record BenchRun(OpenClDeviceInfo device, Result result, Path json) {
        String jsonText() throws IOException {
            return Files.readString(json);
        }
    }

    /**
     * {@code bench --device opencl:N --shapes DIR/shapes.txt OPTIONS --json DIR/out.json} on the
     * OpenCL test device ({@link #onDevice}), the shapes file holding {@code shapes}.
     */
    static BenchRun benchOnDevice(Path dir, String shapes, String... options) throws IOException {
        Path file = Files.writeString(dir.resolve("shapes.txt"), shapes);
        Path json = dir.resolve("out.json");
        List<String> args = new ArrayList<>(List.of("--shapes", file.toString()));
        args.addAll(List.of(options));
        args.addAll(List.of("--json", json.toString()));
        DeviceRun r = onDevice("bench", args.toArray(String[]::new));
        return new BenchRun(r.device(), r.result(), json);
    }

    /**
     * Asserts the usage-error contract: exit 2, one line on stderr naming {@code expected}, nothing
     * on stdout, no stack trace.
     */
    static void assertUsageError(Result r, String expected) {
        assertErrorLine(r, Main.EXIT_USAGE);
        assertTrue(r.err().contains(expected), "stderr should name '" + expected + "': " + r);
    }

    /**
     * Whether {@code text} holds a stack frame of a method in {@code classPrefix}, e.g.
     * {@code dev.convcl.cli.}: {@code \tat dev.convcl.cli.Main.run(...)} on the class path,
     * {@code \tat dev.convcl@0.1.0/dev.convcl.cli.Main.run(...)} in the named module.
     */
    static boolean hasFrame(String text, String classPrefix) {
        return text.lines().anyMatch(l -> l.matches("\\tat ([\\w.]+@[^/]*/)?" + java.util.regex.Pattern.quote(classPrefix) + ".*"));
    }

    /** Asserts the usage-error contract with the exact line: {@code convcl CMD: MESSAGE}. */
    static void assertUsageLine(Result r, String line) {
        assertErrorLine(r, Main.EXIT_USAGE);
        assertEquals(line, r.err().strip(), r.toString());
    }

    /** Exit {@code code}, exactly one line on stderr, nothing on stdout, no stack trace or exception names. */
    static void assertErrorLine(Result r, int code) {
        assertEquals(code, r.code(), r.toString());
        assertEquals("", r.out(), "nothing on stdout after an error: " + r);
        assertFalse(r.err().contains("\tat "), "no stack trace without --debug: " + r);
        assertFalse(r.err().contains("Exception"), "no exception class names without --debug: " + r);
        assertEquals(1, r.err().strip().lines().count(), "one line on stderr: " + r);
        assertTrue(r.err().startsWith("convcl"), "the line names the command: " + r);
    }

    /** How many entries a folder has, to check that nothing (not even a temporary file) was left. */
    static long filesIn(Path dir) throws IOException {
        return names(dir).size();
    }

    /** The sorted names in a folder. */
    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
