package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Tensor;
import dev.convcl.testing.ForkedJvm;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * An {@link Error} (out of memory, a stack overflow, ...) ends a command like any other failure:
 * one line on stderr saying what ran out and what to do, nothing on stdout, no stack trace, and a
 * file it was writing left as it was.
 */
class ErrorsTest {
    @TempDir
    Path dir;

    /** A command that throws what it is given, to reach Main's handling without filling the heap. */
    @Command(name = "fail")
    static final class Fail implements Callable<Integer> {
        private final Throwable thrown;

        Fail(Throwable thrown) {
            this.thrown = thrown;
        }

        @Override
        public Integer call() throws Exception {
            if (thrown instanceof Error e) {
                throw e;
            }
            throw (Exception) thrown;
        }
    }

    private static Cli.Result runFailing(Throwable thrown, String... options) {
        CommandLine cl = Main.commandLine();
        cl.addSubcommand(new Fail(thrown));
        List<String> args = new ArrayList<>(List.of(options));
        args.add("fail");
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.execute(cl, args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Cli.Result(code, out.toString(), err.toString());
    }

    @Test
    void outOfMemoryIsOneLineSayingWhatRanOutAndWhatToDo() {
        for (Throwable thrown : List.of(new OutOfMemoryError("Java heap space"),
                // as the CPU path's worker threads hand it on
                new IllegalStateException("CPU path failed", new OutOfMemoryError("Java heap space")))) {
            Cli.Result r = runFailing(thrown);
            Cli.assertErrorLine(r, Main.EXIT_OUT_OF_MEMORY);
            String line = r.err().strip();
            assertTrue(line.startsWith("convcl fail: out of memory: the Java heap (at most "), line);
            assertTrue(line.matches(".* [0-9.]+ (GiB|MiB)\\) is too small for this command; give the JVM more, "
                    + "e\\.g\\. JAVA_OPTS=-Xmx.*"), line);
            assertTrue(line.endsWith(" or run a smaller problem"), line);
            assertFalse(line.contains("OutOfMemoryError"), line);
        }
    }

    /**
     * tune --dir is created when missing (TuneOpenClTest), so what is checked before any device
     * work is that it can be: a folder under a file (or a device) is one line, exit 2, and nothing is made.
     */
    @Test
    void tuneRefusesADirThatCannotBeCreated() throws IOException {
        Path file = Files.writeString(dir.resolve("file"), "x");
        Path under = file.resolve("tuning");
        Cli.assertUsageLine(Cli.run("tune", "--quick", "--dir", under.toString()),
                "convcl tune: tuning folder " + under + " (--dir): cannot be created: " + file + " is a file");
        assertEquals(List.of("file"), Cli.names(dir));
        // a relative --dir names the file in its way as typed, relative too (it was made absolute)
        Path typed = Path.of("").toAbsolutePath().relativize(under);
        Cli.assertUsageLine(Cli.run("tune", "--quick", "--dir", typed + "/deeper"), "convcl tune: tuning folder "
                + typed + "/deeper (--dir): cannot be created: " + typed.getParent() + " is a file");
        Cli.assertUsageLine(Cli.run("tune", "--quick", "--dir", "./" + typed), "convcl tune: tuning folder ./"
                + typed + " (--dir): cannot be created: ./" + typed.getParent() + " is a file");
        assertEquals(List.of("file"), Cli.names(dir));
        // an empty --dir is not the current folder
        Cli.assertUsageLine(Cli.run("tune", "--quick", "--dir", ""),
                "convcl tune: tuning folder '' (--dir): is empty; --dir takes a folder");
        Cli.assertUsageLine(Cli.run("tune", "--quick", "--dir", file.toString()),
                "convcl tune: tuning folder " + file + " (--dir): is a file; --dir takes a folder");
        // a device (/dev/null) is no file: named as no folder, above --dir or as --dir
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/dev/null")), "needs /dev/null");
        Cli.assertUsageLine(Cli.run("tune", "--quick", "--dir", "/dev/null/x"),
                "convcl tune: tuning folder /dev/null/x (--dir): cannot be created: /dev/null is not a folder");
        Cli.assertUsageLine(Cli.run("tune", "--quick", "--dir", "/dev/null"),
                "convcl tune: tuning folder /dev/null (--dir): is not a folder; --dir takes a folder");
    }

    /**
     * Permissions do not tell everything: root "may write" /proc, where no folder can be made;
     * tune finds out before any timing (it timed every candidate, then failed to save).
     */
    @Test
    void tuneRefusesADirThatPermissionsAllowButTheFileSystemDoesNot() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux's /proc");
        Cli.Result r = Cli.run("tune", "--quick", "--dir", "/proc/convcl-tuning");
        Cli.assertErrorLine(r, Main.EXIT_USAGE); // nothing on stdout: no class was tuned
        assertTrue(r.err().startsWith("convcl tune: tuning folder /proc/convcl-tuning (--dir): cannot be created or "
                + "written ("), r.toString());
        // a folder that exists and that root's permissions call writable
        Cli.Result existing = Cli.run("tune", "--quick", "--dir", "/proc");
        Cli.assertErrorLine(existing, Main.EXIT_USAGE);
        assertTrue(existing.err().startsWith("convcl tune: tuning folder /proc (--dir): "), existing.toString());
    }

    /**
     * A folder tune made for its --dir probe is removed again when the command then fails before
     * writing its tuning file (a device index no machine has); one that was there stays.
     */
    @Test
    void tuneRemovesTheDirItMadeWhenItFails() throws IOException {
        Path made = dir.resolve("new").resolve("tuning");
        Cli.Result r = Cli.run("tune", "--quick", "--dir", made.toString(), "--device", "opencl:999");
        Cli.assertErrorLine(r, Main.EXIT_USAGE);
        assertTrue(r.err().contains("opencl:999"), r.toString());
        assertEquals(List.of(), Cli.names(dir), "no folder left behind: " + r);
        Path existing = Files.createDirectory(dir.resolve("existing"));
        Cli.assertErrorLine(Cli.run("tune", "--quick", "--dir", existing.toString(), "--device", "opencl:999"),
                Main.EXIT_USAGE);
        assertEquals(List.of("existing"), Cli.names(dir), "a folder that was there is not the command's to remove");
        // a path through a folder that does not exist: the folder made is the one the path names
        Path dotted = dir.resolve("gone").resolve("..").resolve("made");
        Cli.assertErrorLine(Cli.run("tune", "--quick", "--dir", dotted.toString(), "--device", "opencl:999"),
                Main.EXIT_USAGE);
        assertEquals(List.of("existing"), Cli.names(dir), "no folder left behind by " + dotted);
    }

    /**
     * A typo in a tuning setting is one line before any progress line, on every device and every
     * command that opens one (it was refused at the first plan, after progress lines, and not
     * read at all with {@code --device cpu}).
     */
    @Test
    void aBadTuningSettingIsRefusedBeforeAnyWork() {
        System.setProperty("convcl.autotune", "yes");
        try {
            for (String[] args : List.of(new String[] {"bench", "--quick", "--device", "cpu"},
                    new String[] {"bench", "--quick", "--device", "auto"}, new String[] {"peak", "--device", "cpu"},
                    new String[] {"verify", "--device", "cpu"})) {
                Cli.Result r = Cli.run(args);
                Cli.assertUsageLine(r, "convcl " + args[0] + ": -Dconvcl.autotune 'yes' must be on, true or 1"
                        + " (tune on first use), or off, false or 0");
                assertEquals("", r.out(), String.join(" ", args));
            }
        } finally {
            System.clearProperty("convcl.autotune");
        }
        // from the environment, the variable is the one named
        ForkedJvm.Result r = ForkedJvm.run(ForkedJvm.javaCommand(Main.class, List.of("-Xmx512m", "--add-modules",
                "jdk.incubator.vector"), "bench", "--quick", "--device", "cpu"), env -> env.put("CONVCL_AUTOTUNE", "yes"), 120);
        assertTrue(r.exitCode() == 2 && r.err().contains("convcl bench: $CONVCL_AUTOTUNE 'yes' must be on, true or 1")
                && r.out().isEmpty(), r.toString());
    }

    /**
     * An integer option (or list of integers) given a value beyond an int says so, naming the
     * value and the bound; a value that is no integer keeps its own message.
     */
    @Test
    void anIntegerOutOfRangeIsNamedAsSuch() {
        Cli.assertUsageLine(Cli.run("run", "--padding", "99999999999"), "convcl run: --padding 99999999999 is out of "
                + "range for an int (at most 2147483647)");
        Cli.assertUsageError(Cli.run("run", "--stride", "1,-99999999999"),
                "--stride 1,-99999999999: '-99999999999' is out of range for an int (at least -2147483648)");
        Cli.assertUsageError(Cli.run("run", "--groups", "99999999999"),
                "--groups 99999999999 is out of range for an int (at most 2147483647)");
        Cli.assertUsageError(Cli.run("bench", "--iters", "99999999999"),
                "--iters 99999999999 is out of range for an int (at most 2147483647)");
        Cli.assertUsageLine(Cli.run("bench", "--batch", "1,99999999999"),
                "convcl bench: --batch '1,99999999999': '99999999999' is larger than the largest batch, 2147483647");
        Cli.assertUsageLine(Cli.run("bench", "--batch", "-99999999999"),
                "convcl bench: --batch '-99999999999': '-99999999999' must be at least 1");
        // a batch an int holds but a problem's tensors cannot: --batch, the size, the problem and the most it allows
        Cli.assertUsageLine(Cli.run("bench", "--filter", "^mobilenetv2\\.dw3$", "--device", "cpu", "--no-peak",
                "--batch", "1,4756"), "convcl bench: --batch 4756: mobilenetv2.dw3 at n=4756: input would have "
                + "2147733504 elements, more than the 2^31-1 that 32-bit indexing allows (at most n=4755 for this problem)");
        Cli.assertUsageError(Cli.run("verify", "--count", "99999999999"),
                "--count 99999999999 is out of range for an int (at most 2147483647)");
        Cli.assertUsageError(Cli.run("verify", "--seed", "99999999999999999999"),
                "--seed 99999999999999999999 must be at most 9223372036854775807");
        // a long option names its bound in its own terms, not a Java type's
        Cli.assertUsageLine(Cli.run("verify", "--seed", "-99999999999999999999"),
                "convcl verify: --seed -99999999999999999999 must be at least -9223372036854775808");
        Cli.assertUsageLine(Cli.run("run", "--max-samples", "99999999999999999999"),
                "convcl run: --max-samples 99999999999999999999 must be at most 9223372036854775807");
        Cli.assertUsageLine(Cli.run("bench", "--max-samples", "-99999999999999999999"),
                "convcl bench: --max-samples -99999999999999999999 must be at least 1");
        // not integers at all
        Cli.assertUsageError(Cli.run("verify", "--seed", "x"), "--seed x is not an integer");
        Cli.assertUsageError(Cli.run("run", "--padding", "1.5"), "--padding 1.5 is not one integer or two separated by a comma");
        Cli.assertUsageError(Cli.run("bench", "--iters", "ten"), "--iters ten is not an integer");
        Cli.assertUsageError(Cli.run("bench", "--batch", "1,x"), "--batch '1,x': 'x' is not a whole number");
    }

    /**
     * Every option that takes a number with a fraction, of every command, refuses a value that is
     * not finite (NaN, an infinity, or a number beyond the type's range) before any work, in one line
     * that echoes the value as typed. A new such option joins the list here, with the arguments its
     * command needs to reach the check. ({@code --fma-limit}, of bench and peak, is text, checked by
     * one check of its own: PeakAndVerifyTest.)
     */
    @Test
    void everyFractionalOptionRefusesValuesThatAreNotFiniteAsTyped() {
        java.util.Map<String, List<String>> needs = new java.util.TreeMap<>(java.util.Map.of(
                "bench --warmup-seconds", List.of("--device", "cpu"),
                "bench --seconds", List.of("--device", "cpu"),
                "bench --reference-mflop", List.of("--device", "cpu"),
                "run --spatial-scale", List.of("--op", "roi_align", "--input", "x.npy", "--out", "y.npy"),
                "run --gamma", List.of("--op", "deform_roi_pool", "--input", "x.npy", "--out", "y.npy")));
        List<String> found = new ArrayList<>();
        for (CommandLine sub : Main.commandLine().getSubcommands().values()) {
            for (CommandLine.Model.OptionSpec o : sub.getCommandSpec().options()) {
                Class<?> t = o.type();
                if (t == double.class || t == Double.class || t == float.class || t == Float.class) {
                    found.add(sub.getCommandName() + " " + o.longestName());
                }
            }
        }
        assertEquals(needs.keySet(), new java.util.TreeSet<>(found), "the fractional options and what this test gives them");
        for (var e : needs.entrySet()) {
            String[] commandAndFlag = e.getKey().split(" ");
            for (String bad : List.of("NaN", "Infinity", "-inf", "1e400", "-1e999")) {
                List<String> args = new ArrayList<>(List.of(commandAndFlag[0]));
                args.addAll(e.getValue());
                args.addAll(List.of(commandAndFlag[1], bad));
                Cli.Result r = Cli.run(args.toArray(String[]::new));
                Cli.assertErrorLine(r, Main.EXIT_USAGE);
                boolean tooLarge = bad.contains("e");
                assertTrue(r.err().contains(tooLarge ? commandAndFlag[1] + " " + bad + " is out of range for a number"
                        : commandAndFlag[1] + " " + bad + " must be a finite"), r.toString());
            }
        }
    }

    /**
     * The converters refuse a value with a {@link BadValue} that carries the rule alone (or, for a
     * part of a list, the part and its rule); {@link Main#badValue} puts the option and the value as
     * typed before it, with no message to re-parse.
     */
    @Test
    void convertersCarryTheRuleAlone() {
        BadValue e = assertThrows(BadValue.class, () -> new IntArg.Converter().convert(" ten"));
        assertEquals(" is not an integer", e.after());
        e = assertThrows(BadValue.class, () -> new IntArg.LongConverter().convert("-99999999999999999999"));
        assertEquals(" must be at least -9223372036854775808", e.after());
        e = assertThrows(BadValue.class, () -> new IntArg.CountConverter().convert("-99999999999999999999"));
        assertEquals(" must be at least 1", e.after());
        e = assertThrows(BadValue.class, () -> new RealArg.FloatConverter().convert("1e39"));
        assertEquals(" is out of range for a number (at most about 3.4e38 in size)", e.after());
        e = assertThrows(BadValue.class, () -> new RunCommand.PairConverter().convert("1,-99999999999"));
        assertEquals(": '-99999999999' is out of range for an int (at least -2147483648)", e.after());
        e = assertThrows(BadValue.class, () -> new RunCommand.OpConverter().convert("conv3d"));
        assertEquals(" is not one of conv2d, deform2d, roi_align, ps_roi_align, deform_roi_pool", e.after());
        Cli.assertUsageError(Cli.run("run", "--device", "g pu"),
                "--device 'g pu' is not one of auto, cpu, opencl, opencl:N (N >= 0)");
        Cli.assertUsageError(Cli.run("run", "--device", " opencl:99999999999"),
                "--device opencl:99999999999: N=99999999999 is out of range for a device index (at most 2147483647)");
    }

    /**
     * One rule for every comma list of numbers, as for a number given alone: blanks around each
     * number are ignored ({@code --batch 1, 8}, {@code --stride 2, 1}, {@code --input-shape
     * a=1, 3,8,8}), a blank inside one is refused naming the value, and a message echoes the value
     * as typed, blanks and all, in quotes ({@link Typed#shown}). (A new user found {@code --input-shape "a=1, 3,8,8"} taken; so is
     * {@code --batch "1, 8"}, and refusing one but not the other would be two rules.)
     */
    @Test
    void commaListsIgnoreBlanksAroundEachNumber() {
        assertEquals(BenchBatches.parse("1,8"), BenchBatches.parse("1, 8"));
        Cli.assertUsageLine(Cli.run("bench", "--batch", "1 8"), "convcl bench: --batch '1 8': '1 8' is not a whole number");
        Cli.assertUsageLine(Cli.run("bench", "--batch", "1, 0"), "convcl bench: --batch '1, 0': 0 must be at least 1");
        // blanks around the whole value and around each size are dropped from the echo, as for every option
        Cli.assertUsageLine(Cli.run("bench", "--batch", " 1, x"), "convcl bench: --batch '1, x': 'x' is not a whole number");
        Cli.assertUsageLine(Cli.run("bench", "--batch", " 1, 99999999999 "),
                "convcl bench: --batch '1, 99999999999': '99999999999' is larger than the largest batch, 2147483647");
        Cli.assertUsageLine(Cli.run("run", "--op", "conv2d", "--stride", "1, 0", "--input", "x.npy", "--weight", "w.npy",
                "--out", "y.npy"), "convcl run: --stride '1, 0' must be at least 1 (on each axis)");
        // read as 1,3,32,32 (checked against the model's fixed [2, 3, 48, 48]) and named as typed
        String model = ModelCliTest.MODEL.toString();
        Cli.assertUsageLine(Cli.run("bench", "--model", model, "--device", "cpu", "--input-shape", "1, 3,32,32"),
                "convcl bench: --input-shape '1, 3,32,32': model resnet_tiny.onnx takes input 'input' of shape "
                + "[2, 3, 48, 48] (dimension 0 is 1 where the model fixes 2)");
        Cli.assertUsageLine(Cli.run("bench", "--model", model, "--device", "cpu", "--input-shape", "2,3,48,4 8"),
                "convcl bench: --input-shape '2,3,48,4 8' must be comma-separated positive integers, N,C,H,W for an "
                + "image input, e.g. 1,3,224,224");
    }

    @Test
    void theOutOfMemoryMessageNamesTheMemoryThatRanOut() {
        assertEquals("out of memory: the Java heap (at most 512 MiB) is too small for this command; give the JVM more, "
                        + "e.g. JAVA_OPTS=-Xmx2g for scripts/convcl (java -Xmx2g -jar ...), or run a smaller problem",
                Main.outOfMemory(new OutOfMemoryError("Java heap space"), 512L << 20));
        assertTrue(Main.outOfMemory(new OutOfMemoryError("Java heap space"), 4L << 30).contains("-Xmx8g"));
        // A small heap in MiB, not rounded to "0.0 GiB"; GiB from 1 GiB up.
        assertTrue(Main.outOfMemory(new OutOfMemoryError("Java heap space"), 40L << 20).contains("(at most 40 MiB)"));
        assertEquals("1023 MiB", Main.heapSize((1L << 30) - (1L << 20)));
        assertEquals("1.0 GiB", Main.heapSize(1L << 30));
        assertEquals("3.9 GiB", Main.heapSize(4_200_000_000L));
        assertTrue(Main.outOfMemory(new OutOfMemoryError("Direct buffer memory"), 1L << 30)
                .contains("direct buffer memory ran out"));
        assertTrue(Main.outOfMemory(new OutOfMemoryError("unable to create native thread: possibly out of memory"),
                1L << 30).contains("refused another thread"));
    }

    @Test
    void otherErrorsAreOneLineAndDebugShowsTheTrace() {
        Cli.Result r = runFailing(new StackOverflowError());
        Cli.assertErrorLine(r, Main.EXIT_FAILED_CHECK);
        assertEquals("convcl fail: internal error: java.lang.StackOverflowError (run with --debug for the stack trace)",
                r.err().strip());
        Cli.Result debug = runFailing(new StackOverflowError(), "--debug");
        assertEquals(Main.EXIT_FAILED_CHECK, debug.code(), debug.toString());
        assertTrue(Cli.hasFrame(debug.err(), "dev.convcl.cli.ErrorsTest."), "--debug prints the stack trace: " + debug);
    }

    /**
     * The real thing: {@code convcl run} on a 1x1 input with padding 3000 needs a 6001x6001 output
     * (137 MiB), in a JVM of its own with a 64 MiB heap.
     */
    @Test
    void aRunThatDoesNotFitTheHeapSaysSoAndWritesNothing() throws IOException, InterruptedException {
        Npy.write(dir.resolve("x.npy"), Tensor.of(new float[] {1}, 1, 1, 1, 1));
        Npy.write(dir.resolve("w.npy"), Tensor.of(new float[] {2}, 1, 1, 1, 1));
        Path y = dir.resolve("y.npy");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-cp", ForkedJvm.classPath(), Main.class.getName(), "run", "--op", "conv2d",
                "--device", "cpu", "--input", dir.resolve("x.npy").toString(), "--weight", dir.resolve("w.npy").toString(),
                "--padding", "3000", "--out", y.toString());
        Path out = dir.resolve("stdout.txt"), err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the forked run did not finish");
        Cli.Result r = new Cli.Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        Cli.assertErrorLine(r, Main.EXIT_OUT_OF_MEMORY);
        assertTrue(r.err().startsWith("convcl run: out of memory: the Java heap (at most "), r.toString());
        assertTrue(r.err().matches("(?s).*\\(at most [1-9][0-9]* MiB\\).*"), "-Xmx64m in MiB: " + r);
        assertTrue(r.err().contains("-Xmx"), r.toString());
        assertFalse(Files.exists(y), "no output after a failure");
        assertEquals(List.of("stderr.txt", "stdout.txt", "w.npy", "x.npy"), Cli.names(dir), "no temporary file left");
    }
    /**
     * A line that names a value and its rule ends at the rule, whether the value was refused while
     * parsing (its type) or after (its option's rule): {@code (see 'convcl run --help')} follows
     * only the usage errors that name no rule, an unknown option or a missing one.
     */
    @Test
    void aBadValueLineEndsAtItsRuleAndOtherUsageErrorsPointToTheHelp() {
        Cli.assertUsageLine(Cli.run("run", "--padding", "x"),
                "convcl run: --padding x is not one integer or two separated by a comma");
        Cli.assertUsageLine(Cli.run("run", "--op", "conv2d", "--input", "x.npy", "--weight", "w.npy", "--out", "y.npy",
                "--padding", "-1"), "convcl run: --padding -1 must not be negative");
        Cli.assertUsageLine(Cli.run("bench", "--iters", "ten"), "convcl bench: --iters ten is not an integer");
        Cli.assertUsageLine(Cli.run("bench", "--iters", "0", "--device", "cpu"),
                "convcl bench: --iters 0 must be at least 1");
        Cli.Result unknown = Cli.run("bench", "--itres", "3");
        Cli.assertErrorLine(unknown, Main.EXIT_USAGE);
        assertTrue(unknown.err().strip().endsWith(" (see 'convcl bench --help')"), unknown.toString());
        Cli.Result missing = Cli.run("run", "--op", "conv2d");
        Cli.assertErrorLine(missing, Main.EXIT_USAGE);
        assertTrue(missing.err().strip().endsWith(" (see 'convcl run --help')"), missing.toString());
    }

    /**
     * A value an option's type cannot take is named as every other bad value is, option, value
     * and rule, not in picocli's "Invalid value for option" words; and a value with blanks is
     * echoed in single quotes by every message, one without as typed (Typed.shown).
     */
    @Test
    void badValuesAreNamedOneWayAndBlanksAreQuoted() {
        Cli.assertUsageLine(Cli.run("run", "--aligned=maybe"),
                "convcl run: --aligned maybe must be true or false (or the flag alone)");
        Cli.assertUsageLine(Cli.run("run", "--op", "conv 3d"), "convcl run: --op 'conv 3d' is not one of conv2d, "
                + "deform2d, roi_align, ps_roi_align, deform_roi_pool");
        Cli.assertUsageLine(Cli.run("run", "--device", "gpu"), "convcl run: --device gpu is not one of auto, cpu, "
                + "opencl, opencl:N (N >= 0)");
        Cli.assertUsageLine(Cli.run("bench", "--seconds", "1 0"),
                "convcl bench: --seconds '1 0' is not a number");
        Cli.assertUsageLine(Cli.run("peak", "--fma-limit", "a b"),
                "convcl peak: --fma-limit 'a b' must be a finite number of GFLOP/s, at least 0.001 (1 MFLOP/s)");
        Path missing = dir.resolve("my out");
        Cli.assertUsageLine(Cli.run("run", "--op", "conv2d", "--input", "x.npy", "--weight", "w.npy", "--out",
                missing + "/y.npy"), "convcl run: output '" + missing + "/y.npy' (--out): its folder '" + missing
                + "' does not exist");
        Cli.assertUsageLine(Cli.run("run", "--op", "conv2d", "--input", "a b=x.npy", "--weight", "w.npy", "--out",
                "y.npy"), "convcl run: --input 'a b=x.npy': NAME=FILE feeds one of a model's inputs (--model); --op "
                + "reads its input from a file given alone, e.g. --input x.npy (a file whose name holds '=' is given "
                + "with its folder, e.g. --input './a b=x.npy')");
    }
}
