package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;
import dev.convcl.Tensor;
import dev.convcl.reference.ReferenceConv;
import dev.convcl.testing.Tensors;
import java.io.IOException;
import java.nio.file.Files;
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
    static List<String> commandFor(Path dir, ConvSpec spec, ConvArgs args, String device) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("run", "--op", spec.op().token(), "--device", device));
        cmd.addAll(List.of("--input", save(dir, "x.npy", args.input()), "--weight", save(dir, "w.npy", args.weight())));
        if (args.bias() != null) {
            cmd.addAll(List.of("--bias", save(dir, "b.npy", args.bias())));
        }
        if (args.offset() != null) {
            cmd.addAll(List.of("--offset", save(dir, "o.npy", args.offset())));
        }
        if (args.mask() != null) {
            cmd.addAll(List.of("--mask", save(dir, "m.npy", args.mask())));
        }
        cmd.addAll(List.of("--stride", spec.strideH() + "," + spec.strideW(), "--padding", spec.padH() + "," + spec.padW(),
                "--dilation", spec.dilH() + "," + spec.dilW(), "--out", dir.resolve("y.npy").toString()));
        if (!spec.isDeformable()) {
            cmd.addAll(List.of("--groups", Integer.toString(spec.groups())));
        }
        return cmd;
    }

    private static String save(Path dir, String name, Tensor t) throws IOException {
        Path f = dir.resolve(name);
        Npy.write(f, t);
        return f.toString();
    }

    /** Runs {@code spec} through the command and checks the output file against the reference. */
    static void assertRunMatchesReference(Path dir, ConvSpec spec, String device) throws IOException {
        ConvArgs args = Tensors.args(spec, 7, false, 2.5);
        ReferenceConv.run(spec, args);
        Cli.Result r = Cli.run(commandFor(dir, spec, args, device).toArray(String[]::new));
        assertEquals(0, r.code(), spec + ": " + r);
        assertTrue(r.out().contains("y.npy"), r.toString());
        Tensor y = Npy.read(dir.resolve("y.npy"));
        assertArrayEquals(spec.outputShape(), y.shape(), spec.toString());
        double err = Tensors.relativeL2(args.output().array(), y.array());
        assertTrue(err <= 1e-5, spec + ": relative L2 " + err);
    }

    @Test
    void conv2dOnCpuMatchesReference() throws IOException {
        assertRunMatchesReference(dir,
                ConvSpec.parse("op=conv2d n=2 c=6 h=9 w=7 k=4 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 bias=1"), "cpu");
    }

    @Test
    void deform2dOnCpuDerivesGroupsAndOffsetGroupsLikeTorchvision() throws IOException {
        // groups = C / weight.shape[1] = 2 and og = offset.shape[1] / (2*kh*kw) = 3 are not passed
        assertRunMatchesReference(dir,
                ConvSpec.parse("op=deform2d n=1 c=6 h=7 w=6 k=4 kh=3 kw=2 stride=1,2 pad=1 dil=1 groups=2 og=3 mask=1 bias=1"),
                "cpu");
        assertRunMatchesReference(dir, ConvSpec.parse("op=deform2d n=2 c=3 h=5 w=5 k=2 kh=3 kw=3 pad=1 og=1 mask=0"), "cpu");
    }

    @Test
    void float64InputsAreConverted() throws IOException {
        ConvSpec spec = ConvSpec.parse("op=conv2d n=1 c=1 h=3 w=3 k=1 kh=2 kw=2");
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
        ConvSpec spec = ConvSpec.parse("op=conv2d n=1 c=4 h=6 w=6 k=2 kh=3 kw=3 pad=1 bias=1");
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

    @Test
    void badInputExitsWithTwoAndOneLine() throws IOException {
        List<String> ok = validConv2d();
        assertFailsCleanly(with(ok, "--input", dir.resolve("nope.npy").toString()), "nope.npy: no such file");
        Files.write(dir.resolve("be.npy"), NpyTest.npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 4, 6, 6), }",
                new byte[4 * 144]));
        assertFailsCleanly(with(ok, "--input", dir.resolve("be.npy").toString()), "be.npy: dtype '>f4' is not supported");
        Npy.write(dir.resolve("w3.npy"), Tensor.zeros(2, 3, 3, 3));
        assertFailsCleanly(with(ok, "--weight", dir.resolve("w3.npy").toString()), "weight shape [2, 3, 3, 3]");
        Npy.write(dir.resolve("rank3.npy"), Tensor.zeros(4, 6, 6));
        assertFailsCleanly(with(ok, "--input", dir.resolve("rank3.npy").toString()), "expected rank 4");
        Npy.write(dir.resolve("b5.npy"), Tensor.zeros(5));
        assertFailsCleanly(with(ok, "--bias", dir.resolve("b5.npy").toString()), "bias shape [5]");
        assertFailsCleanly(with(ok, "--groups", "3"), "groups=3 must divide input channels c=4");
        List<String> noGroups = new ArrayList<>(ok);
        noGroups.subList(noGroups.indexOf("--groups"), noGroups.indexOf("--groups") + 2).clear();
        Npy.write(dir.resolve("w2.npy"), Tensor.zeros(2, 2, 3, 3));
        assertFailsCleanly(with(noGroups, "--weight", dir.resolve("w2.npy").toString()), "pass --groups 2 for this weight");
        assertFailsCleanly(with(ok, "--stride", "0"), "stride_h=0 must be at least 1");
        assertFailsCleanly(with(ok, "--stride", "1,x"), "'1,x' is not one integer or two");
        assertFailsCleanly(with(ok, "--padding", "-1"), "pad_h=-1 must not be negative");
        assertFailsCleanly(with(ok, "--dilation", "9"), "spans 19 rows");
        assertFailsCleanly(with(ok, "--device", "gpu"), "device 'gpu' is not one of");
        assertFailsCleanly(with(ok, "--op", "conv3d"), "op 'conv3d' is not one of");
        assertFailsCleanly(with(ok, "--offset", dir.resolve("x.npy").toString()), "for --op deform2d only");
        assertFailsCleanly(with(ok, "--out", dir.resolve("no/such/dir/y.npy").toString()), "does not exist");
        assertFailsCleanly(with(ok, "--bogus", "1"), "Unknown option");
        List<String> noWeight = new ArrayList<>(ok);
        noWeight.subList(noWeight.indexOf("--weight"), noWeight.indexOf("--weight") + 2).clear();
        assertFailsCleanly(noWeight, "--weight");
    }

    @Test
    void deform2dNeedsOffsetsOfAFittingShape() throws IOException {
        ConvSpec spec = ConvSpec.parse("op=deform2d n=1 c=2 h=5 w=5 k=2 kh=3 kw=3 pad=1 og=1 mask=1");
        List<String> ok = commandFor(dir, spec, Tensors.args(spec, 5, false, 1), "cpu");
        List<String> noOffset = new ArrayList<>(ok);
        noOffset.subList(noOffset.indexOf("--offset"), noOffset.indexOf("--offset") + 2).clear();
        assertFailsCleanly(noOffset, "--op deform2d needs --offset");
        Npy.write(dir.resolve("o7.npy"), Tensor.zeros(1, 7, 5, 5));
        assertFailsCleanly(with(ok, "--offset", dir.resolve("o7.npy").toString()), "multiple of 2*kh*kw = 18");
        Npy.write(dir.resolve("m2.npy"), Tensor.zeros(1, 2, 5, 5));
        assertFailsCleanly(with(ok, "--mask", dir.resolve("m2.npy").toString()), "mask shape [1, 2, 5, 5]");
    }

    @Test
    void debugShowsTheStackTrace() throws IOException {
        List<String> cmd = with(validConv2d(), "--input", dir.resolve("nope.npy").toString());
        cmd.add("--debug");
        Cli.Result r = Cli.run(cmd.toArray(String[]::new));
        assertEquals(Main.EXIT_USAGE, r.code(), r.toString());
        assertTrue(r.err().contains("\tat dev.convcl.cli."), "--debug prints the stack trace: " + r);
    }
}
