package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.reference.ReferenceConv;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code convcl run} on the CPU path: results against the reference, and every kind of bad input. */
class RunCommandTest {
    @TempDir
    Path dir;

    /** Writes the spec's input tensors as .npy files and returns the command line that runs it. */
    static List<String> commandFor(Path dir, Convolution spec, Args args, String device) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("run", "--op", spec.name(), "--device", device));
        cmd.addAll(List.of("--input", save(dir, "x.npy", args.get(Arg.SRC)), "--weight", save(dir, "w.npy",
                args.get(Arg.WEIGHTS))));
        if (args.has(Arg.BIAS)) {
            cmd.addAll(List.of("--bias", save(dir, "b.npy", args.get(Arg.BIAS))));
        }
        if (args.has(Arg.OFFSET)) {
            cmd.addAll(List.of("--offset", save(dir, "o.npy", args.get(Arg.OFFSET))));
        }
        if (args.has(Arg.MASK)) {
            cmd.addAll(List.of("--mask", save(dir, "m.npy", args.get(Arg.MASK))));
        }
        cmd.addAll(List.of("--stride", spec.strideH() + "," + spec.strideW(), "--padding", spec.padTop() + "," + spec.padLeft(),
                "--dilation", spec.dilH() + "," + spec.dilW(), "--out", dir.resolve("y.npy").toString()));
        if (!spec.isDeformable()) {
            cmd.addAll(List.of("--groups", Integer.toString(spec.groups())));
        }
        return cmd;
    }

    private static String save(Path dir, String name, Tensor t) throws IOException {
        Path f = dir.resolve(name);
        Npy.write(f, (HostTensor) t);
        return f.toString();
    }

    /** Runs {@code spec} through the command and checks the output file against the reference. */
    static void assertRunMatchesReference(Path dir, Convolution spec, String device) throws IOException {
        Args args = Tensors.args(spec, 7, false, 2.5);
        ReferenceConv.run(spec, args);
        Cli.Result r = Cli.run(commandFor(dir, spec, args, device).toArray(String[]::new));
        assertEquals(0, r.code(), spec + ": " + r);
        assertTrue(r.out().contains("y.npy"), r.toString());
        HostTensor y = Npy.read(dir.resolve("y.npy"));
        assertArrayEquals(spec.outputShape(), y.shape(), spec.toString());
        double err = Tensors.relativeL2(Tensors.out(args), y.array());
        assertTrue(err <= 1e-5, spec + ": relative L2 " + err);
    }

    @Test
    void conv2dOnCpuMatchesReference() throws IOException {
        assertRunMatchesReference(dir,
                Problems.parse("op=conv2d n=2 c=6 h=9 w=7 k=4 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 bias=1"), "cpu");
    }

    @Test
    void deform2dOnCpuDerivesGroupsAndOffsetGroupsLikeTorchvision() throws IOException {
        // groups = C / weight.shape[1] = 2 and og = offset.shape[1] / (2*kh*kw) = 3 are not passed
        assertRunMatchesReference(dir,
                Problems.parse("op=deform2d n=1 c=6 h=7 w=6 k=4 kh=3 kw=2 stride=1,2 pad=1 dil=1 groups=2 og=3 mask=1 bias=1"),
                "cpu");
        assertRunMatchesReference(dir, Problems.parse("op=deform2d n=2 c=3 h=5 w=5 k=2 kh=3 kw=3 pad=1 og=1 mask=0"), "cpu");
    }

    @Test
    void float64InputsAreConverted() throws IOException {
        Convolution spec = Problems.parse("op=conv2d n=1 c=1 h=3 w=3 k=1 kh=2 kw=2");
        Files.write(dir.resolve("x.npy"), NpyTest.npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 3, 3), }",
                NpyTest.doubles(1, 2, 3, 4, 5, 6, 7, 8, 9)));
        Npy.write(dir.resolve("w.npy"), Tensor.of(new float[] {1, 0, 0, -1}, spec.weightShape()));
        Cli.Result r = Cli.run("run", "--op", "conv2d", "--device", "cpu", "--input", dir.resolve("x.npy").toString(),
                "--weight", dir.resolve("w.npy").toString(), "--out", dir.resolve("y.npy").toString());
        assertEquals(0, r.code(), r.toString());
        // hand-computed: x[i][j] - x[i+1][j+1] = -4 everywhere
        assertArrayEquals(new float[] {-4, -4, -4, -4}, Npy.read(dir.resolve("y.npy")).array());
    }

    /** Files for a valid conv2d call, to be broken one at a time. */
    private List<String> validConv2d() throws IOException {
        Convolution spec = Problems.parse("op=conv2d n=1 c=4 h=6 w=6 k=2 kh=3 kw=3 pad=1 bias=1");
        return commandFor(dir, spec, Tensors.args(spec, 3, true, 1), "cpu");
    }

    private static List<String> with(List<String> cmd, String option, String value) {
        List<String> c = new ArrayList<>(cmd);
        int i = c.indexOf(option);
        if (i < 0) {
            c.addAll(List.of(option, value));
        } else {
            c.set(i + 1, value);
        }
        return c;
    }

    private void assertFailsCleanly(List<String> cmd, String expected) throws IOException {
        Files.deleteIfExists(dir.resolve("y.npy"));
        long before = Cli.filesIn(dir);
        Cli.Result r = Cli.run(cmd.toArray(String[]::new));
        Cli.assertUsageError(r, expected);
        assertFalse(Files.exists(dir.resolve("y.npy")), "no output file after a failure");
        assertEquals(before, Cli.filesIn(dir), "no temporary file left behind");
    }

    /** The usage-error line of {@code convcl run}, exactly. */
    private void assertFailsWith(List<String> cmd, String message) throws IOException {
        Files.deleteIfExists(dir.resolve("y.npy"));
        long before = Cli.filesIn(dir);
        Cli.Result r = Cli.run(cmd.toArray(String[]::new));
        Cli.assertUsageLine(r, "convcl run: " + message);
        assertFalse(Files.exists(dir.resolve("y.npy")), "no output file after a failure");
        assertEquals(before, Cli.filesIn(dir), "no temporary file left behind");
    }

    @Test
    void badInputExitsWithTwoAndOneLine() throws IOException {
        List<String> ok = validConv2d();
        Path nope = dir.resolve("nope.npy");
        assertFailsWith(with(ok, "--input", nope.toString()), "input " + nope + " (--input): no such file");
        Files.write(dir.resolve("be.npy"), NpyTest.npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 4, 6, 6), }",
                new byte[4 * 144]));
        assertFailsCleanly(with(ok, "--input", dir.resolve("be.npy").toString()),
                "input " + dir.resolve("be.npy") + " (--input): dtype '>f4' is not supported");
        Npy.write(dir.resolve("w3.npy"), Tensor.zeros(2, 3, 3, 3));
        assertFailsWith(with(ok, "--weight", dir.resolve("w3.npy").toString()), "weight " + dir.resolve("w3.npy")
                + " (--weight): has shape [2, 3, 3, 3]; this convolution needs [2, 4, 3, 3] [K, C/groups, kh, kw] with groups 1");
        Npy.write(dir.resolve("rank3.npy"), Tensor.zeros(4, 6, 6));
        assertFailsWith(with(ok, "--input", dir.resolve("rank3.npy").toString()), "input " + dir.resolve("rank3.npy")
                + " (--input): has shape [4, 6, 6] (rank 3); expected rank 4 [N, C, H, W]");
        Npy.write(dir.resolve("b5.npy"), Tensor.zeros(5));
        assertFailsWith(with(ok, "--bias", dir.resolve("b5.npy").toString()), "bias " + dir.resolve("b5.npy")
                + " (--bias): has shape [5]; this convolution needs [2] [K], K = the weight's output channels");
        assertFailsWith(with(ok, "--groups", "3"),
                "groups=3 must divide input channels c=4 (groups: --groups; c: the channels of --input)");
        List<String> noGroups = new ArrayList<>(ok);
        noGroups.subList(noGroups.indexOf("--groups"), noGroups.indexOf("--groups") + 2).clear();
        Npy.write(dir.resolve("w2.npy"), Tensor.zeros(2, 2, 3, 3));
        assertFailsCleanly(with(noGroups, "--weight", dir.resolve("w2.npy").toString()),
                "weight " + dir.resolve("w2.npy") + " (--weight): has 2 channels per group");
        assertFailsCleanly(with(noGroups, "--weight", dir.resolve("w2.npy").toString()), "pass --groups 2 for this weight");
        assertFailsCleanly(with(ok, "--stride", "1,x"), "--stride 1,x is not one integer or two");
        assertFailsCleanly(with(ok, "--device", "gpu"), "--device gpu is not one of");
        assertFailsCleanly(with(ok, "--op", "conv3d"), "--op conv3d is not one of");
        assertFailsWith(with(ok, "--offset", dir.resolve("x.npy").toString()),
                "--offset, --mask and --offset-groups are for --op deform2d only");
        assertFailsCleanly(with(ok, "--bogus", "1"), "Unknown option");
        // an RoI flag with a default value is still refused when given, not ignored
        assertFailsWith(with(ok, "--spatial-scale", "0.5"), "--spatial-scale is for the RoI operators only");
        // only the RoI flags given are named, in the usage line's order, not all seven
        assertFailsWith(with(ok, "--max-samples", "5"), "--max-samples is for the RoI operators only");
        List<String> three = with(with(ok, "--max-samples", "5"), "--rois", "r.npy");
        three.add("--aligned=false");
        assertFailsWith(three, "--rois, --max-samples and --aligned are for the RoI operators only");
        List<String> noWeight = new ArrayList<>(ok);
        noWeight.subList(noWeight.indexOf("--weight"), noWeight.indexOf("--weight") + 2).clear();
        assertFailsCleanly(noWeight, "--weight");
    }

    /**
     * {@code NAME=FILE} picks a model's input or output; with {@code --op} it is refused in one line,
     * before any file is read or written, rather than read or written as a file named
     * {@code a=z.npy}. A file whose name holds '=' is given with its folder.
     */
    @Test
    void nameEqualsFileIsForModelsOnly() throws IOException {
        List<String> ok = validConv2d();
        Path stray = Path.of("a=z.npy");   // where the old code wrote it: the working folder
        boolean there = Files.exists(stray);
        try {
            assertFailsWith(with(ok, "--out", "a=z.npy"), "--out a=z.npy: NAME=FILE picks one of a model's outputs "
                    + "(--model); --op writes its output to a file given alone, e.g. --out z.npy (a file whose name holds "
                    + "'=' is given with its folder, e.g. --out ./a=z.npy)");
            assertEquals(there, Files.exists(stray), "no file named a=z.npy written");
        } finally {
            if (!there) {
                Files.deleteIfExists(stray);
            }
        }
        assertFailsWith(with(ok, "--input", "x=in.npy"), "--input x=in.npy: NAME=FILE feeds one of a model's inputs "
                + "(--model); --op reads its input from a file given alone, e.g. --input in.npy (a file whose name holds "
                + "'=' is given with its folder, e.g. --input ./x=in.npy)");
        // the RoI operators too
        assertFailsWith(List.of("run", "--op", "roi_align", "--input", "x.npy", "--out", "y=r.npy"),
                "--out y=r.npy: NAME=FILE picks one of a model's outputs (--model); --op writes its output to a file "
                        + "given alone, e.g. --out r.npy (a file whose name holds '=' is given with its folder, e.g. "
                        + "--out ./y=r.npy)");
        // the text after '=' in another folder is no advice: the folder form only
        assertFailsWith(with(ok, "--out", "we=ird/o.npy"), "--out we=ird/o.npy: NAME=FILE picks one of a model's "
                + "outputs (--model); --op writes its output to a file given alone; a file whose name holds '=' is given "
                + "with its folder, e.g. --out ./we=ird/o.npy");
        // with its folder, a file whose name holds '=' is read and written as named
        Files.copy(Path.of(ok.get(ok.indexOf("--input") + 1)), dir.resolve("in=x.npy"));
        Path out = dir.resolve("a=z.npy");
        Cli.Result r = Cli.run(with(with(ok, "--input", dir.resolve("in=x.npy").toString()), "--out", out.toString())
                .toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        assertArrayEquals(new int[] {1, 2, 6, 6}, Npy.shape(out));
    }

    /** Every flag that feeds a spec field is named as the user typed it, never as the spec's field. */
    @Test
    void specErrorsNameTheFlags() throws IOException {
        List<String> ok = validConv2d();
        assertFailsWith(with(ok, "--stride", "0"), "--stride 0 must be at least 1 (on each axis)");
        assertFailsWith(with(ok, "--stride", "2,0"), "--stride 2,0 must be at least 1 (on each axis)");
        assertFailsWith(with(ok, "--padding", "-1"), "--padding -1 must not be negative");
        assertFailsWith(with(ok, "--padding", "1,-2"), "--padding 1,-2 must not be negative");
        assertFailsWith(with(ok, "--dilation", "0"), "--dilation 0 must be at least 1 (1 = no dilation)");
        assertFailsWith(with(ok, "--groups", "0"), "--groups 0 must be at least 1");
        assertFailsWith(with(ok, "--dilation", "9"), "kernel height kh=3 at dil_h=9 spans 19 rows, more than the padded "
                + "input height h+pad_h+pad_h_end=8 (kh: the kernel height of --weight; dil_h: --dilation; h: the height of --input; "
                + "pad_h: --padding)");
        assertFailsWith(with(with(ok, "--dilation", "1,9"), "--padding", "1,0"), "kernel width kw=3 at dil_w=9 spans 19 "
                + "columns, more than the padded input width w+pad_w+pad_w_end=6 (kw: the kernel width of --weight; dil_w: --dilation; "
                + "w: the width of --input; pad_w: --padding)");
        for (String flag : List.of("--padding=-1", "--dilation=0", "--stride=0", "--stride=1,0", "--dilation=2,0")) {
            String[] kv = flag.split("=");
            String line = Cli.run(with(ok, kv[0], kv[1]).toArray(String[]::new)).err();
            assertFalse(line.matches("(?s).*\\b(pad_h|pad_w|dil_h|dil_w|stride_h|stride_w)=.*"), "no internal field: " + line);
            assertTrue(line.contains(kv[0] + " " + kv[1]), "the flag as typed: " + line);
        }
    }

    @Test
    void everyFileErrorNamesTheFilesRole() throws IOException {
        List<String> ok = validConv2d();
        Path folder = Files.createDirectories(dir.resolve("folder"));
        assertFailsWith(with(ok, "--input", folder.toString()), "input " + folder + " (--input): is a folder; --input takes a file");
        assertFailsWith(with(ok, "--weight", folder.toString()),
                "weight " + folder + " (--weight): is a folder; --weight takes a file");
        assertFailsWith(with(ok, "--bias", folder.toString()), "bias " + folder + " (--bias): is a folder; --bias takes a file");
        assertFailsWith(with(ok, "--out", folder.toString()), "output " + folder + " (--out): is a folder; a file name is needed");
        assertFailsWith(with(ok, "--out", ""), "output '' (--out): is empty; a file name is needed");
        assertFailsWith(with(ok, "--input", ""), "input '' (--input): is empty; --input takes a file");
        assertFailsWith(with(ok, "--weight", ""), "weight '' (--weight): is empty; --weight takes a file");
        Path noDir = dir.resolve("no/such/dir/y.npy");
        assertFailsWith(with(ok, "--out", noDir.toString()),
                "output " + noDir + " (--out): its folder " + dir.resolve("no/such/dir") + " does not exist");
        Path text = Files.writeString(dir.resolve("text.npy"), "not numpy");
        assertFailsWith(with(ok, "--weight", text.toString()),
                "weight " + text + " (--weight): not a .npy file (the magic string \\x93NUMPY is missing)");
    }

    /**
     * An output's folder that is missing is named as typed (a relative path stays relative, as the
     * docs show it), and a folder part that is a file is named as one, not as a missing folder.
     */
    @Test
    void anOutputsFolderIsNamedAsTypedAndAFileInItsWayAsAFile() throws IOException {
        List<String> ok = validConv2d();
        String rel = Path.of("").toAbsolutePath().relativize(dir) + "/no/such/y.npy";
        assertFailsWith(with(ok, "--out", rel),
                "output " + rel + " (--out): its folder " + rel.substring(0, rel.lastIndexOf('/')) + " does not exist");
        String file = Path.of("").toAbsolutePath().relativize(Files.writeString(dir.resolve("f.npy"), "")).toString();
        assertFailsWith(with(ok, "--out", file + "/y.npy"),
                "output " + file + "/y.npy (--out): " + file + " is a file, not a folder");
        assertFailsWith(with(ok, "--out", file + "/a/y.npy"),
                "output " + file + "/a/y.npy (--out): " + file + " is a file, not a folder");
        // a device is no file: named only as no folder
        if (Files.exists(Path.of("/dev/null"))) {
            assertFailsWith(with(ok, "--out", "/dev/null/y.npy"), "output /dev/null/y.npy (--out): /dev/null is not a folder");
        }
        assertFailsWith(List.of("run", "--op", "roi_align", "--input", ok.get(ok.indexOf("--input") + 1), "--rois",
                ok.get(ok.indexOf("--input") + 1), "--output-size", "2", "--out", rel),
                "output " + rel + " (--out): its folder " + rel.substring(0, rel.lastIndexOf('/')) + " does not exist");
    }

    /** A symbolic link as --out: the file it names gets the result, and the link stays a link. */
    @Test
    void outputThroughASymbolicLinkWritesTheFileItNames() throws IOException {
        List<String> ok = validConv2d();
        assertEquals(0, Cli.run(ok.toArray(String[]::new)).code());
        float[] expected = Npy.read(dir.resolve("y.npy")).array();
        Path real = Files.writeString(dir.resolve("real.npy"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.npy"), real.getFileName());
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling.npy"), dir.resolve("new.npy"));
        for (Path out : List.of(link, dangling)) {
            Cli.Result r = Cli.run(with(ok, "--out", out.toString()).toArray(String[]::new));
            assertEquals(0, r.code(), r.toString());
            assertTrue(Files.isSymbolicLink(out), out + " is still a symbolic link");
        }
        assertArrayEquals(expected, Npy.read(real).array());
        assertArrayEquals(expected, Npy.read(dir.resolve("new.npy")).array());
    }

    /**
     * A named pipe (like {@code /dev/stdout} or {@code /dev/null}, something that is not a regular
     * file) as --out: the result is written into it; it is not replaced by a file.
     */
    @Test
    void outputIntoANamedPipeIsWrittenInPlace() throws Exception {
        List<String> ok = validConv2d();
        assertEquals(0, Cli.run(ok.toArray(String[]::new)).code());
        byte[] expected = Files.readAllBytes(dir.resolve("y.npy"));
        Path fifo = dir.resolve("fifo.npy");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor(), "mkfifo");
        java.util.concurrent.CompletableFuture<byte[]> read = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readAllBytes(fifo);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Cli.Result r = Cli.run(with(ok, "--out", fifo.toString()).toArray(String[]::new));
        boolean replaced = Files.isRegularFile(fifo);
        if (replaced) {
            Files.delete(fifo);                      // the reader waits on the pipe's old node: let it go
        }
        assertEquals(0, r.code(), r.toString());
        assertFalse(replaced, "the named pipe was replaced by a regular file");
        assertArrayEquals(expected, read.get(30, java.util.concurrent.TimeUnit.SECONDS));
    }

    @Test
    void deform2dNeedsOffsetsOfAFittingShape() throws IOException {
        Convolution spec = Problems.parse("op=deform2d n=1 c=2 h=5 w=5 k=2 kh=3 kw=3 pad=1 og=1 mask=1");
        List<String> ok = commandFor(dir, spec, Tensors.args(spec, 5, false, 1), "cpu");
        List<String> noOffset = new ArrayList<>(ok);
        noOffset.subList(noOffset.indexOf("--offset"), noOffset.indexOf("--offset") + 2).clear();
        assertFailsWith(noOffset, "--op deform2d needs --offset");
        Path o7 = dir.resolve("o7.npy");
        Npy.write(o7, Tensor.zeros(1, 7, 5, 5));
        assertFailsWith(with(ok, "--offset", o7.toString()), "offset " + o7
                + " (--offset): has 7 channels; deform2d needs a multiple of 2*kh*kw = 18 (kernel 3x3 from the weight)");
        Path o4 = dir.resolve("o4.npy");
        Npy.write(o4, Tensor.zeros(1, 18, 4, 4));
        assertFailsWith(with(ok, "--offset", o4.toString()), "offset " + o4 + " (--offset): has shape [1, 18, 4, 4]; "
                + "this convolution needs [1, 18, 5, 5] [N, 2*og*kh*kw, OH, OW] with og 1 and the output's OH x OW");
        Path m2 = dir.resolve("m2.npy");
        Npy.write(m2, Tensor.zeros(1, 2, 5, 5));
        assertFailsWith(with(ok, "--mask", m2.toString()), "mask " + m2 + " (--mask): has shape [1, 2, 5, 5]; "
                + "this convolution needs [1, 9, 5, 5] [N, og*kh*kw, OH, OW] with og 1 and the output's OH x OW");
        assertFailsWith(with(ok, "--offset-groups", "0"), "--offset-groups 0 must be at least 1");
        assertFailsWith(with(ok, "--offset-groups", "2"), "offset " + dir.resolve("o.npy") + " (--offset): has shape "
                + "[1, 18, 5, 5]; this convolution needs [1, 36, 5, 5] [N, 2*og*kh*kw, OH, OW] with og 2 and the output's OH x OW");
    }

    @Test
    void debugShowsTheStackTrace() throws IOException {
        List<String> cmd = with(validConv2d(), "--input", dir.resolve("nope.npy").toString());
        cmd.add("--debug");
        Cli.Result r = Cli.run(cmd.toArray(String[]::new));
        assertEquals(Main.EXIT_USAGE, r.code(), r.toString());
        assertTrue(Cli.hasFrame(r.err(), "dev.convcl.cli."), "--debug prints the stack trace: " + r);
    }

    /**
     * Without {@code --device}, the CLI takes its device where {@code Engine.create()} does: the
     * property {@code convcl.device}, else the variable {@code CONVCL_DEVICE}, else auto (a blank
     * one counts as unset); an explicit {@code --device} wins, and a bad default names its source.
     * Forked JVMs, for the environment.
     */
    @Test
    void theDeviceDefaultsToThePropertyThenTheEnvironmentVariable() throws IOException {
        Convolution spec = Problems.parse("op=conv2d n=1 c=2 h=5 w=5 k=3 kh=3 kw=3");
        List<String> cmd = commandFor(dir, spec, Tensors.args(spec, 3, false, 1), "cpu");
        int at = cmd.indexOf("--device");
        List<String> noDevice = new ArrayList<>(cmd.subList(0, at));
        noDevice.addAll(cmd.subList(at + 2, cmd.size()));

        dev.convcl.testing.ForkedJvm.Result cpu = forked(List.of(), noDevice, "cpu");
        assertEquals(0, cpu.exitCode(), cpu.toString());
        assertTrue(cpu.out().contains(" on cpu (pure Java"), cpu.toString());
        // a device no machine has: an error naming it, where auto would have run
        dev.convcl.testing.ForkedJvm.Result missing = forked(List.of(), noDevice, "opencl:99");
        assertTrue(missing.exitCode() == 2 && missing.err().contains("device opencl:99 asked for, but ")
                && missing.err().contains("(from $CONVCL_DEVICE; --device overrides it)"), missing.toString());
        dev.convcl.testing.ForkedJvm.Result missingProperty = forked(List.of("-Dconvcl.device=opencl:99"), noDevice, "cpu");
        assertTrue(missingProperty.exitCode() == 2
                && missingProperty.err().contains("(from -Dconvcl.device; --device overrides it)"), missingProperty.toString());
        // typed on the command line, the line names no setting
        List<String> typed99 = new ArrayList<>(noDevice);
        typed99.addAll(List.of("--device", "opencl:99"));
        dev.convcl.testing.ForkedJvm.Result missingTyped = forked(List.of(), typed99, "cpu");
        assertTrue(missingTyped.exitCode() == 2 && missingTyped.err().contains("device opencl:99 asked for, but ")
                && !missingTyped.err().contains("(from "), missingTyped.toString());
        dev.convcl.testing.ForkedJvm.Result bad = forked(List.of(), noDevice, "gpu");
        assertEquals(2, bad.exitCode(), bad.toString());
        assertTrue(bad.err().contains("device 'gpu' is not one of auto, cpu, opencl, opencl:N")
                && bad.err().contains("(from $CONVCL_DEVICE; --device overrides it)")
                && bad.err().lines().filter(l -> !l.startsWith("WARNING: Using incubator")).count() == 1, bad.toString());
        // --device wins over the variable; the property over the variable
        dev.convcl.testing.ForkedJvm.Result given = forked(List.of(), cmd, "gpu");
        assertEquals(0, given.exitCode(), given.toString());
        dev.convcl.testing.ForkedJvm.Result property = forked(List.of("-Dconvcl.device=cpu"), noDevice, "gpu");
        assertEquals(0, property.exitCode(), property.toString());
        assertTrue(property.out().contains(" on cpu (pure Java"), property.toString());
        dev.convcl.testing.ForkedJvm.Result blank = forked(List.of(), noDevice, " ");
        assertEquals(0, blank.exitCode(), blank.toString());
        // a blank property falls through to the variable, which is then the one named
        dev.convcl.testing.ForkedJvm.Result blankProperty = forked(List.of("-Dconvcl.device= "), noDevice, "gpu");
        assertTrue(blankProperty.exitCode() == 2 && blankProperty.err().contains("(from $CONVCL_DEVICE"),
                blankProperty.toString());
        // help whatever the variable holds; a blank --device typed out is refused, not the default
        dev.convcl.testing.ForkedJvm.Result help = forked(List.of(), List.of("run", "--help"), "gpu");
        assertTrue(help.exitCode() == 0 && help.out().contains("--device"), help.toString());
        List<String> blankOption = new ArrayList<>(noDevice);
        blankOption.addAll(List.of("--device", ""));
        dev.convcl.testing.ForkedJvm.Result typedBlank = forked(List.of(), blankOption, "cpu");
        assertTrue(typedBlank.exitCode() == 2 && typedBlank.err().contains("device '' is not one of"),
                typedBlank.toString());
    }

    /**
     * A device that cannot be opened is named as it was written, on the command line or in the
     * setting: {@code opencl:099} was echoed as {@code opencl:99}, the index it reads as. No
     * machine has OpenCL device 99; the reason (no such device, or no OpenCL) is the engine's.
     */
    @Test
    void aDeviceThatCannotBeOpenedIsNamedAsTyped() throws Exception {
        List<String> cmd = with(validConv2d(), "--device", "OpenCL:099");
        Cli.Result typed = Cli.run(cmd.toArray(String[]::new));
        Cli.assertErrorLine(typed, Main.EXIT_USAGE);
        assertTrue(typed.err().startsWith("convcl run: device OpenCL:099 asked for, but "), typed.toString());
        List<String> noDevice = new ArrayList<>(cmd);
        noDevice.remove(cmd.indexOf("--device") + 1);
        noDevice.remove("--device");
        dev.convcl.testing.SystemProperties.run(dev.convcl.DeviceChoice.PROPERTY, " opencl:099 ", () -> {
            Cli.Result set = Cli.run(noDevice.toArray(String[]::new));
            Cli.assertErrorLine(set, Main.EXIT_USAGE);
            assertTrue(set.err().startsWith("convcl run: device opencl:099 asked for, but ")
                    && set.err().strip().endsWith(" (from -Dconvcl.device; --device overrides it)"), set.toString());
        });
    }

    /**
     * Files are named as typed: {@code --out o/} was echoed as {@code o} (a Path drops the '/'),
     * and written as a file {@code o}. A name that ends with '/' names a folder, and is refused as
     * one before any work; a name that works is echoed as typed too ({@code d//y.npy}).
     */
    @Test
    void filesAreNamedAsTypedAndATrailingSlashIsAFolder() throws IOException {
        List<String> cmd = validConv2d();
        String o = dir + "/o/";
        Cli.assertUsageLine(Cli.run(with(cmd, "--out", o).toArray(String[]::new)),
                "convcl run: output " + o + " (--out): ends with '/', which names a folder; a file name is needed");
        assertFalse(Files.exists(dir.resolve("o")), "no file o written for o/");
        Files.createDirectory(dir.resolve("sub"));
        Cli.assertUsageLine(Cli.run(with(cmd, "--out", dir + "/sub/").toArray(String[]::new)),
                "convcl run: output " + dir + "/sub/ (--out): is a folder; a file name is needed");
        String x = cmd.get(cmd.indexOf("--input") + 1);
        Cli.assertUsageLine(Cli.run(with(cmd, "--input", x + "/").toArray(String[]::new)),
                "convcl run: input " + x + "/ (--input): ends with '/', which names a folder; --input takes a file");
        String w = cmd.get(cmd.indexOf("--weight") + 1);
        Cli.assertUsageLine(Cli.run(with(cmd, "--weight", w + "/").toArray(String[]::new)),
                "convcl run: weight " + w + "/ (--weight): ends with '/', which names a folder; --weight takes a file");
        String y = dir + "//y2.npy";
        Cli.Result r = Cli.run(with(cmd, "--out", y).toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith(y + ": [1, 2, 6, 6] float32 = "), r.toString());
        assertTrue(Files.isRegularFile(dir.resolve("y2.npy")), r.toString());
    }

    /**
     * {@code --out /dev/stdout}: stdout holds the .npy file's bytes alone, and the summary line goes
     * to stderr (it used to follow the file's bytes on stdout). In a JVM of its own, whose stdout
     * is a pipe the test reads.
     */
    @Test
    void anOutputOnStdoutHasStdoutToItself() throws IOException {
        List<String> cmd = validConv2d();
        assertEquals(0, Cli.run(cmd.toArray(String[]::new)).code());
        byte[] file = Files.readAllBytes(dir.resolve("y.npy"));
        dev.convcl.testing.ForkedJvm.Result r = forked(List.of(), with(cmd, "--out", "/dev/stdout"), "cpu");
        assertEquals(0, r.exitCode(), r.toString());
        assertArrayEquals(file, r.outBytes(), "stdout is the .npy file, nothing else: " + r);
        assertTrue(r.err().contains("/dev/stdout: [1, 2, 6, 6] float32 = "), r.toString());
    }

    /** {@code --out /dev/null} with stdout on /dev/null too: the summary stays on stdout (thrown away), not on stderr. */
    @Test
    void anOutputOnDevNullLeavesTheLinesOnStdout() throws IOException {
        List<String> cmd = with(validConv2d(), "--out", "/dev/null");
        List<String> command = dev.convcl.testing.ForkedJvm.javaCommand(Main.class, List.of("-Xmx512m"),
                cmd.toArray(String[]::new));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("CONVCL_DEVICE", "cpu");
        Process p = pb.start();
        String err;
        try {
            err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), err);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertFalse(err.contains("/dev/null: [1, 2, 6, 6] float32"), err);
    }

    /** An --out naming one of the input files is refused before anything is read or written. */
    @Test
    void theOutputMustNotOverwriteAnInput() throws IOException {
        List<String> cmd = validConv2d();
        for (String flag : List.of("--input", "--weight", "--bias")) {
            String file = cmd.get(cmd.indexOf(flag) + 1);
            byte[] before = Files.readAllBytes(Path.of(file));
            Cli.assertUsageLine(Cli.run(with(cmd, "--out", file).toArray(String[]::new)),
                    "convcl run: --out " + file + " is the " + flag + " file; an output must not overwrite an input");
            assertArrayEquals(before, Files.readAllBytes(Path.of(file)), flag + " kept");
        }
    }

    private static dev.convcl.testing.ForkedJvm.Result forked(List<String> jvmOptions, List<String> args,
                                                           String variable) {
        List<String> options = new ArrayList<>(List.of("-Xmx512m", "--add-modules", "jdk.incubator.vector"));
        options.addAll(jvmOptions);
        return dev.convcl.testing.ForkedJvm.run(dev.convcl.testing.ForkedJvm.javaCommand(Main.class, options,
                args.toArray(String[]::new)), env -> env.put("CONVCL_DEVICE", variable), 120);
    }
}
