package dev.convcl.onnx;

import static dev.convcl.onnx.OnnxBuilder.i;
import static dev.convcl.onnx.OnnxBuilder.in;
import static dev.convcl.onnx.OnnxBuilder.ints;
import static dev.convcl.onnx.OnnxBuilder.out;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.CompiledGraph;
import dev.convcl.ConvclException;
import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import dev.convcl.Graph;
import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.cli.Main;
import dev.convcl.cli.Npy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Graph#fromOnnx}: the importer's nodes lowered onto {@link Graph.Builder} under their ONNX
 * names; nodes the builder cannot express listed, all of them, in one line; and {@code convcl run
 * --model} with several named inputs and outputs.
 */
class OnnxGraphLoweringTest {
    @TempDir
    Path dir;

    private Path save(OnnxBuilder b, String name) throws IOException {
        return b.save(dir.resolve(name));
    }

    @Test
    void nodesKeepTheirOnnxNamesAndTheModelsInputAndOutputNames() throws IOException {
        OnnxBuilder b = new OnnxBuilder(13).input("image", 1, 3, 8, 8).ramp("w", 4, 3, 3, 3)
                .node("Conv", "stem.conv", in("image", "w"), out("c"), ints("pads", 1, 1, 1, 1))
                .node("Relu", "stem.relu", in("c"), out("r"))
                .node("GlobalAveragePool", "head.pool", in("r"), out("features")).output("features");
        Graph g = Graph.fromOnnx(save(b, "m.onnx"));
        assertEquals("image", g.inputs().get(0).name());
        assertArrayEquals(new int[] {1, 3, 8, 8}, g.inputs().get(0).shape());
        assertEquals(List.of("features"), List.copyOf(g.outputs().keySet()));
        assertArrayEquals(new int[] {1, 4, 1, 1}, g.outputs().get("features").shape());
        String listing = g.toString();
        for (String name : List.of("stem.conv", "stem.relu", "head.pool")) {
            assertTrue(listing.contains(name), name + " missing from\n" + listing);
        }
        assertEquals(3, g.nodeCount(), listing);
    }

    @Test
    void everyNodeTheBuilderCannotExpressIsListedInOneLine() throws IOException {
        // Both import (the IR has a slice and a concat on any axis), neither is a channel operation.
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 6, 6).vector("starts", 1).vector("ends", 4)
                .vector("axes", 2)
                .node("Slice", "crop_rows", in("x", "starts", "ends", "axes"), out("s"))
                .node("Relu", "after_crop", in("s"), out("r"))
                .node("Concat", "side_by_side", in("x", "x"), out("wide"), i("axis", 3))
                .output("r").output("wide");
        Path m = save(b, "m.onnx");
        ConvclException e = assertThrows(ConvclException.class, () -> Graph.fromOnnx(m));
        String msg = e.getMessage();
        assertEquals(1, msg.lines().count(), msg);
        assertTrue(msg.startsWith("m.onnx: 2 nodes cannot run"), msg);
        assertTrue(msg.contains("Slice 'crop_rows': slice of axis 2"), msg);
        assertTrue(msg.contains("Concat 'side_by_side': concatenation on axis 3"), msg);
        assertTrue(!msg.contains("after_crop"), "a node reading an unsupported one is not reported again: " + msg);
    }

    /** An input the graph cannot hold is named once: "input 'x': shape=...", not "input 'x': input 'x': ...". */
    @Test
    void anInputOfRankFiveIsNamedOnce() throws IOException {
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 3, 8, 8, 8).node("Relu", "act", in("x"), out("y")).output("y");
        Path m = save(b, "r5.onnx");
        ConvclException e = assertThrows(ConvclException.class, () -> Graph.fromOnnx(m));
        assertEquals("r5.onnx: 1 node cannot run on convcl's graph runtime: input 'x': shape=[1, 3, 8, 8, 8] must have "
                + "rank 1 to 4", e.getMessage());
    }

    @Test
    void runModelWithNamedInputsAndOutputs() throws IOException {
        OnnxBuilder b = new OnnxBuilder(13).input("a", 1, 2, 3, 3).input("b", 1, 2, 3, 3)
                .node("Add", "plus", in("a", "b"), out("sum"))
                .node("Mul", "times", in("a", "b"), out("prod"))
                .output("sum").output("prod");
        Path m = save(b, "two.onnx");
        float[] av = new float[18];
        float[] bv = new float[18];
        for (int k = 0; k < 18; k++) {
            av[k] = k * 0.5f - 3;
            bv[k] = 2 - k * 0.25f;
        }
        Npy.write(dir.resolve("a.npy"), Tensor.of(av, 1, 2, 3, 3));
        Npy.write(dir.resolve("b.npy"), Tensor.of(bv, 1, 2, 3, 3));
        String[] ok = {"run", "--model", m.toString(), "--device", "cpu", "--input", "b=" + dir.resolve("b.npy"),
            "--input", "a=" + dir.resolve("a.npy"), "--out", "prod=" + dir.resolve("p.npy"), "--out",
            "sum=" + dir.resolve("s.npy")};
        String[] r = cli(ok);
        assertEquals("0", r[0], r[1] + r[2]);
        HostTensor s = Npy.read(dir.resolve("s.npy"));
        HostTensor p = Npy.read(dir.resolve("p.npy"));
        for (int k = 0; k < 18; k++) {
            assertEquals(av[k] + bv[k], s.get(k), 0f);
            assertEquals(av[k] * bv[k], p.get(k), 0f);
        }

        // A file without a name for a model of two inputs: one line naming them, nothing written.
        Files.delete(dir.resolve("s.npy"));
        r = cli("run", "--model", m.toString(), "--device", "cpu", "--input", dir.resolve("a.npy").toString(),
                "--out", "sum=" + dir.resolve("s.npy"));
        assertEquals("2", r[0], r[1] + r[2]);
        assertEquals(1, r[2].strip().lines().count(), r[2]);
        assertTrue(r[2].contains("[a, b]"), r[2]);
        assertTrue(!Files.exists(dir.resolve("s.npy")));
        // An input missing, or an output the model does not have.
        r = cli("run", "--model", m.toString(), "--device", "cpu", "--input", "a=" + dir.resolve("a.npy"),
                "--out", "sum=" + dir.resolve("s.npy"));
        assertEquals("2", r[0], r[1] + r[2]);
        assertTrue(r[2].contains("input [b] has no --input"), r[2]);
        r = cli("run", "--model", m.toString(), "--device", "cpu", "--input", "a=" + dir.resolve("a.npy"),
                "--input", "b=" + dir.resolve("b.npy"), "--out", "difference=" + dir.resolve("s.npy"));
        assertEquals("2", r[0], r[1] + r[2]);
        assertTrue(r[2].contains("no output 'difference'; its outputs are [sum, prod]"), r[2]);
        assertTrue(!Files.exists(dir.resolve("s.npy")));
    }

    @Test
    void lowersWhatCompiledGraphRunsLikeTheImportersIr() {
        // A 1x1 conv with a bias on a [1, 2, 1, 1] input: y = w x + b by hand.
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 1, 1)
                .floats("w", new float[] {1, 2, 3, 4}, 2, 2, 1, 1).floats("bias", new float[] {10, 20}, 2)
                .node("Conv", "c", in("x", "w", "bias"), out("y")).output("y");
        try (Engine e = Engine.create(DeviceChoice.CPU)) {
            Graph g;
            try {
                Path m = save(b, "c.onnx");
                g = Graph.fromOnnx(m);
            } catch (IOException io) {
                throw new IllegalStateException(io);
            }
            try (CompiledGraph net = e.compile(g)) {
                HostTensor y = net.run(Map.of("x", Tensor.of(new float[] {5, 7}, 1, 2, 1, 1))).get("y");
                assertArrayEquals(new float[] {1 * 5 + 2 * 7 + 10, 3 * 5 + 4 * 7 + 20}, y.toArray());
            }
        }
    }

    /**
     * Two inputs whose first dimension has one name ({@code batch}) filled with two sizes: refused
     * at import, naming the dimension and both inputs, not blamed on the first node that mixes them.
     * The same size for both imports.
     */
    @Test
    void oneSymbolicDimensionFilledWithTwoSizesIsRefusedByName() {
        OnnxBuilder b = new OnnxBuilder(13).symbolicInput("a", "batch", 2, 1, 1).symbolicInput("b", "batch", 2, 1, 1)
                .node("Add", "add", in("a", "b"), out("y")).output("y");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> b.read(OnnxImporter.Options.defaults().withInputShape("a", 1, 2, 1, 1).withInputShape("b", 2, 2, 1, 1)));
        assertTrue(e.getMessage().startsWith("the shapes given fill the model's dimension 'batch' with 1 for input 'a' "
                + "[1, 2, 1, 1] and 2 for input 'b' [2, 2, 1, 1] in ") && e.getMessage().endsWith(
                "; a dimension of one name has one size"), e.getMessage());
        OnnxGraph g = b.read(OnnxImporter.Options.defaults().withInputShape("a", 3, 2, 1, 1).withInputShape("b", 3, 2, 1, 1));
        assertEquals(Shape.of(3, 2, 1, 1), g.outputs().get(0).shape());
    }

    /**
     * A classifier head as torchvision exports it with a dynamic batch: input {@code x} declared
     * [batch, 3, 4, 4], a 1x1 Conv and a GlobalAveragePool, so any H x W would compute something.
     */
    private Path symbolicBatchModel() throws IOException {
        return save(new OnnxBuilder(13).symbolicInput("x", "batch", 3, 4, 4).ramp("w", 2, 3, 1, 1)
                .node("Conv", "conv", in("x", "w"), out("c"))
                .node("GlobalAveragePool", "pool", in("c"), out("y")).output("y"), "head.onnx");
    }

    /** A one-line refusal: exit 2, nothing on stdout, one line on stderr holding {@code parts}, no stack trace. */
    private static void assertRefused(String[] r, String... parts) {
        String all = "exit " + r[0] + "\n--- stdout\n" + r[1] + "--- stderr\n" + r[2];
        assertEquals("2", r[0], all);
        assertEquals("", r[1], all);
        assertEquals(1, r[2].strip().lines().count(), all);
        assertTrue(!r[2].contains("\tat "), all);
        for (String p : parts) {
            assertTrue(r[2].contains(p), "stderr should hold '" + p + "': " + all);
        }
    }

    /**
     * run --model on a model whose batch alone is symbolic: the file's batch is taken, but its C, H
     * and W must be the model's; a file that differs is one line naming the input, the declared
     * shape with its symbolic name and the file's, before anything runs (it used to run a 13x17
     * image through a 224x224 model, and a 4-channel one to fail as a Conv import error).
     */
    @Test
    void runModelHoldsAFileToTheFixedDimensionsOfASymbolicInput() throws IOException {
        Path m = symbolicBatchModel();
        Path y = dir.resolve("y.npy");
        Npy.write(dir.resolve("ok.npy"), Tensor.zeros(5, 3, 4, 4));
        String[] r = cli("run", "--model", m.toString(), "--device", "cpu", "--input", dir.resolve("ok.npy").toString(),
                "--out", y.toString());
        assertEquals("0", r[0], r[1] + r[2]);
        assertArrayEquals(new int[] {5, 2, 1, 1}, Npy.read(y).shape());
        Files.delete(y);
        Object[][] bad = {
            {new int[] {1, 3, 5, 7}, "dimension 2 is 5 where the model fixes 4"},
            {new int[] {1, 4, 4, 4}, "dimension 1 is 4 where the model fixes 3"},
            {new int[] {3, 4, 4}, "3 dimensions where the model declares 4"}};
        for (Object[] c : bad) {
            int[] shape = (int[]) c[0];
            Path x = dir.resolve("bad.npy");
            Npy.write(x, Tensor.zeros(shape));
            r = cli("run", "--model", m.toString(), "--device", "cpu", "--input", x.toString(), "--out", y.toString());
            assertRefused(r, "input " + x + " (--input): has shape " + java.util.Arrays.toString(shape)
                    + "; model head.onnx takes input 'x' of shape [batch, 3, 4, 4] (" + c[1]
                    + "; only its symbolic dimension batch takes the file's size)");
            assertTrue(!Files.exists(y), "nothing written");
        }
    }

    /** With several symbolic dimensions the refusal says they "take" the file's size (it said "takes"). */
    @Test
    void runModelSaysSymbolicDimensionsTakeTheFilesSizeInThePlural() throws IOException {
        Path m = save(new OnnxBuilder(13).inputDims("x", "batch", 3, "h", "w").ramp("w", 2, 3, 1, 1)
                .node("Conv", "conv", in("x", "w"), out("c"))
                .node("GlobalAveragePool", "pool", in("c"), out("y")).output("y"), "sym.onnx");
        Path x = dir.resolve("x4.npy");
        Npy.write(x, Tensor.zeros(1, 4, 5, 5));
        String[] r = cli("run", "--model", m.toString(), "--device", "cpu", "--input", x.toString(), "--out",
                dir.resolve("y.npy").toString());
        assertRefused(r, "input " + x + " (--input): has shape [1, 4, 5, 5]; model sym.onnx takes input 'x' of shape "
                + "[batch, 3, h, w] (dimension 1 is 4 where the model fixes 3; only its symbolic dimensions batch, h, w "
                + "take the file's size)");
    }

    /**
     * The input names of run --model, checked against the model before it is loaded: an unknown
     * NAME= is "no input 'foo'" with the model's inputs (it used to read "an input shape is given
     * for 'foo'"), and several unnamed files for a model of one input give it twice.
     */
    @Test
    void runModelNamesAnUnknownInputAndAsksForNamesWhenSeveralFilesAreGiven() throws IOException {
        Path m = symbolicBatchModel();
        Path x = dir.resolve("x.npy");
        Npy.write(x, Tensor.zeros(1, 3, 4, 4));
        Path y = dir.resolve("y.npy");
        String[] r = cli("run", "--model", m.toString(), "--device", "cpu", "--input", "foo=" + x, "--out", y.toString());
        assertRefused(r, "--input foo=" + x + ": the model has no input 'foo'; its only input is 'x'");
        r = cli("run", "--model", m.toString(), "--device", "cpu", "--input", x.toString(), "--input", x.toString(),
                "--out", y.toString());
        // the model has one input, so both files give it: that is the mistake, not a missing name
        assertRefused(r, "--input " + x + " and --input " + x + " both give input 'x', the model's only input; give "
                + "each input once");
        assertTrue(!Files.exists(y), "nothing written");
    }

    /**
     * bench --model --input-shape by the same rule: symbolic dimensions take the sizes given, fixed
     * ones must match; a value that is not N,C,H,W (rank 3) is a bad --input-shape, not a Conv
     * import error; an unknown NAME= names the model's inputs.
     */
    @Test
    void benchModelInputShapeFillsSymbolicDimensionsOnly() throws IOException {
        Path m = symbolicBatchModel();
        String[] r = cli("bench", "--model", m.toString(), "--device", "cpu", "--input-shape", "6,3,4,4", "--warmup", "0",
                "--warmup-seconds", "0", "--iters", "1", "--seconds", "0");
        assertEquals("0", r[0], r[1] + r[2]);
        assertTrue(r[1].contains("input 'x' [6, 3, 4, 4]"), r[1]);
        assertRefused(cli("bench", "--model", m.toString(), "--device", "cpu", "--input-shape", "1,3,4"),
                "--input-shape '1,3,4' has 3 dimensions; model head.onnx takes input 'x' of shape [batch, 3, 4, 4]: "
                        + "give 4 comma-separated positive integers N,C,H,W");
        assertRefused(cli("bench", "--model", m.toString(), "--device", "cpu", "--input-shape", "1,3,224,224"),
                "--input-shape 1,3,224,224: model head.onnx takes input 'x' of shape [batch, 3, 4, 4] (dimension 2 is "
                        + "224 where the model fixes 4; only its symbolic dimension batch may be given another size)");
        assertRefused(cli("bench", "--model", m.toString(), "--device", "cpu", "--input-shape", "foo=1,3,4,4"),
                "--input-shape foo=1,3,4,4: the model has no input 'foo'; its only input is 'x'");
        assertRefused(cli("bench", "--model", m.toString(), "--device", "cpu", "--input-shape", "1,3,x,4"),
                "--input-shape '1,3,x,4' must be comma-separated positive integers, N,C,H,W for an image input");
        assertRefused(cli("bench", "--model", m.toString(), "--device", "cpu", "--input-shape", "1,3,99999999999,4"),
                "--input-shape '1,3,99999999999,4': '99999999999' is out of range for an int (at most 2147483647)");
    }

    /** x [1, 1, 2, 4] with +inf, -inf and NaN among ordinary values, for {@link #openClipModel}. */
    static final float[] CLIP_INPUT = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, -1, 0.25f, 0.5f, 0.75f, 3};

    /**
     * Clips with one open end, as {@code torch.clamp(x, min=0.5)} and {@code torch.clamp(x, max=-0.25)}
     * export (opset 17: {@code Clip(x, min, '')}, {@code Clip(x, '', max)}): {@code lo} clips a 1x1
     * convolution of weight 1 (the clip joins its epilogue), {@code hi} clips the graph input itself.
     */
    static OnnxBuilder openClipModel() {
        return new OnnxBuilder(17).input("x", 1, 1, 2, 4).floats("w", new float[] {1}, 1, 1, 1, 1)
                .scalar("min", 0.5f).scalar("max", -0.25f)
                .node("Conv", "conv", in("x", "w"), out("c"))
                .node("Clip", "clip_min", in("c", "min", ""), out("lo"))
                .node("Clip", "clip_max", in("x", "", "max"), out("hi"))
                .output("lo").output("hi");
    }

    /**
     * Checks {@link #openClipModel}'s outputs: the reference definition
     * ({@link dev.convcl.Activation#apply}) of each clip on {@link #CLIP_INPUT}, which is PyTorch's
     * (an infinite input on the open side stays infinite, NaN stays NaN), bit for bit.
     */
    static void assertOpenClips(Map<String, HostTensor> y, String where) {
        float[] lo = new float[CLIP_INPUT.length];
        float[] hi = new float[CLIP_INPUT.length];
        for (int i = 0; i < lo.length; i++) {
            lo[i] = (float) dev.convcl.Activation.clip(0.5f, Float.POSITIVE_INFINITY).apply(CLIP_INPUT[i]);
            hi[i] = (float) dev.convcl.Activation.clip(Float.NEGATIVE_INFINITY, -0.25f).apply(CLIP_INPUT[i]);
        }
        // torch.clamp's values, written out: the reference must agree with them.
        assertArrayEquals(new float[] {Float.POSITIVE_INFINITY, 0.5f, Float.NaN, 0.5f, 0.5f, 0.5f, 0.75f, 3}, lo);
        assertArrayEquals(new float[] {-0.25f, Float.NEGATIVE_INFINITY, Float.NaN, -1, -0.25f, -0.25f, -0.25f, -0.25f}, hi);
        assertArrayEquals(lo, y.get("lo").toArray(), where + ": Clip(x, min=0.5, no max) on "
                + java.util.Arrays.toString(CLIP_INPUT));
        assertArrayEquals(hi, y.get("hi").toArray(), where + ": Clip(x, no min, max=-0.25) on "
                + java.util.Arrays.toString(CLIP_INPUT));
    }

    @Test
    void clipWithAnOpenEndKeepsInfinitiesOnTheCpuPath() throws IOException {
        Graph g = Graph.fromOnnx(save(openClipModel(), "clip.onnx"));
        try (Engine cpu = Engine.create(DeviceChoice.CPU); CompiledGraph net = cpu.compile(g)) {
            assertOpenClips(net.run(Map.of("x", Tensor.of(CLIP_INPUT.clone(), 1, 1, 2, 4))), "cpu " + net);
        }
    }

    static String[] cli(String... args) {
        StringWriter o = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(o, true), new PrintWriter(err, true));
        return new String[] {Integer.toString(code), o.toString(), err.toString()};
    }
}
