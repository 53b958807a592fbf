package dev.convcl.peers.onnxruntime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.HostTensor;
import dev.convcl.Operation;
import dev.convcl.Tensor;
import dev.convcl.cli.BenchPeer;
import dev.convcl.cli.Main;
import dev.convcl.reference.Accuracy;
import dev.convcl.reference.ReferenceConv;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The one-node ONNX model of a layer, run by ONNX Runtime, gives convcl's reference output on
 * small layers of every kind the benchmark has; no timing is asserted.
 */
class OnnxRuntimePeerTest {
    private static OnnxRuntimePeer peer;

    @BeforeAll
    static void open() {
        peer = new OnnxRuntimePeer();
        String description = peer.open(1);
        assertTrue(description.startsWith("ONNX Runtime 1."), description);
    }

    @AfterAll
    static void close() {
        peer.close();
    }

    /** Inputs of {@code op} uniform in [-1, 1) (offsets in [-2.5, 2.5) pixels, mask in [0, 1)). */
    static Args data(Convolution op, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Args.Builder b = Args.builder()
                .src(Tensor.of(uniform(r, op.inputSize(), 1), op.inputShape()))
                .weights(Tensor.of(uniform(r, op.weightSize(), 1), op.weightShape()));
        if (op.bias()) {
            b.bias(Tensor.of(uniform(r, op.k(), 1), op.biasShape()));
        }
        if (op instanceof DeformConv2d d) {
            b.offset(Tensor.of(uniform(r, d.offsetSize(), 2.5), d.offsetShape()));
            if (d.mask()) {
                float[] m = uniform(r, d.maskSize(), 0.5);
                for (int i = 0; i < m.length; i++) {
                    m[i] += 0.5f;
                }
                b.mask(Tensor.of(m, d.maskShape()));
            }
        }
        return b.build();
    }

    private static float[] uniform(SplittableRandom r, long n, double bound) {
        float[] a = new float[Math.toIntExact(n)];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextDouble(-bound, bound);
        }
        return a;
    }

    private static HostTensor reference(Convolution op, Args data) {
        HostTensor y = Tensor.zeros(op.outputShape());
        ReferenceConv.run(op, data.with(Arg.DST, y));
        return y;
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "op=conv2d n=1 c=8 h=9 w=9 k=6 kh=3 kw=3 pad=1 bias=1",                      // dense 3x3
        "op=conv2d n=2 c=6 h=11 w=10 k=4 kh=3 kw=3 pad=2 dil=2 bias=1",              // dilated, batch 2
        "op=conv2d n=1 c=8 h=10 w=9 k=12 kh=3 kw=3 stride=2 pad=1 groups=4 bias=1",  // grouped, strided
        "op=conv2d n=1 c=6 h=12 w=12 k=6 kh=5 kw=5 pad=2 groups=6 bias=1",           // depthwise 5x5
        "op=conv2d n=1 c=5 h=7 w=9 k=4 kh=1 kw=7 pad=0,3 bias=1",                    // 1x7
        "op=conv2d n=1 c=5 h=8 w=8 k=3 kh=3 kw=2 pad=1,0,2,1 bias=0",                // asymmetric pads, no bias
        "op=conv2d n=3 c=16 h=6 w=6 k=8 kh=1 kw=1 bias=1",                           // 1x1, batch 3
    })
    void aOneNodeConvModelGivesTheReferenceOutput(String line) throws Exception {
        Convolution op = (Convolution) Operation.parse(line);
        Args data = data(op, line.hashCode());
        assertEquals(java.util.Optional.empty(), peer.unsupported(op));
        try (BenchPeer.Layer layer = peer.prepare(op, data)) {
            assertEquals("Conv node", layer.algorithm());
            layer.call();
            HostTensor y = layer.output();
            assertEquals(List.of(op.outputShape()[0], op.outputShape()[1], op.outputShape()[2], op.outputShape()[3]),
                    java.util.Arrays.stream(y.shape()).boxed().toList());
            double err = Accuracy.relativeL2(reference(op, data).toArray(), y.toArray());
            assertTrue(err < 1e-5, line + ": relative L2 " + err);
            // A second call writes the same values into the same output.
            layer.call();
            assertEquals(0.0, Accuracy.relativeL2(y.toArray(), layer.output().toArray()), line);
        }
    }

    /**
     * ONNX Runtime's CPU provider has DeformConv from 1.23 on (opset 19): where it is there, it
     * must agree with the reference (v1 and v2, offset groups, stride); the benchmark's rows are
     * "n/a", not FAIL, where a version lacks it.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "op=deform2d n=1 c=4 h=7 w=7 k=5 kh=3 kw=3 pad=1 og=1 mask=0 bias=1",
        "op=deform2d n=2 c=4 h=8 w=7 k=4 kh=3 kw=3 stride=2 pad=1 og=2 mask=1 bias=1",
    })
    void aOneNodeDeformConvModelGivesTheReferenceOutput(String line) throws Exception {
        Convolution op = (Convolution) Operation.parse(line);
        Args data = data(op, line.hashCode());
        try (BenchPeer.Layer layer = peer.prepare(op, data)) {
            assertEquals("DeformConv node", layer.algorithm());
            layer.call();
            double err = Accuracy.relativeL2(reference(op, data).toArray(), layer.output().toArray());
            assertTrue(err < 1e-5, line + ": relative L2 " + err);
        }
    }

    @Test
    void postOpsAreNotPartOfTheOneNodeModel() {
        Convolution op = (Convolution) Operation.parse("op=conv2d n=1 c=2 h=4 w=4 k=2 kh=3 kw=3 pad=1 bias=1 post=relu");
        assertTrue(peer.unsupported(op).orElseThrow().contains("post-ops"));
    }

    @Test
    void serviceLoaderFindsThePeer() {
        List<String> names = ServiceLoader.load(BenchPeer.class).stream().map(p -> p.get().name()).toList();
        assertTrue(names.contains(OnnxRuntimePeer.NAME), names.toString());
    }

    /** The peer through the CLI: rows beside convcl's CPU path, checked and timed, in the JSON. */
    @Test
    void benchTimesThePeerBesideConvcl(@TempDir Path dir) throws Exception {
        Path shapes = dir.resolve("shapes.txt");
        Files.writeString(shapes, "tiny.3x3 op=conv2d n=1 c=8 h=10 w=10 k=8 kh=3 kw=3 pad=1\n");
        Path json = dir.resolve("bench.json");
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.execute(new String[] {"bench", "--device", "cpu", "--shapes", shapes.toString(), "--no-peak",
            "--peers", "onnxruntime", "--peer-threads", "1", "--batch", "1,2", "--iters", "3", "--seconds", "0",
            "--warmup-seconds", "0", "--json", json.toString()}, new PrintWriter(out, true), new PrintWriter(err, true));
        String all = "stdout:\n" + out + "\nstderr:\n" + err;
        assertEquals(0, code, all);
        assertTrue(out.toString().contains("peer onnxruntime: ONNX Runtime 1."), all);
        // On --device cpu convcl has one row a problem (the CPU path), the peer another: 2 batches x 2.
        assertTrue(out.toString().contains("4 results ok, 0 FAIL"), all);
        String text = Files.readString(json);
        assertTrue(text.contains("\"backend\": \"onnxruntime\""), text);
        assertTrue(text.contains("\"algorithm\": \"Conv node\""), text);
        assertTrue(text.contains("\"batch\": 2"), text);
        // Only the peer's own two rows lack a ratio to the best peer; convcl's two have one.
        assertEquals(2, text.split("\"vs_best_peer\": null", -1).length - 1, text);
    }

    /** A committed tiny network of the family models (scripts/onnx/make_models.py), from this module's folder. */
    private static Path committedModel(String name) {
        Path p = Path.of("../../src/test/resources/onnx", name + ".onnx");
        assertTrue(Files.isRegularFile(p), p.toAbsolutePath() + " is missing");
        return p;
    }

    private static int benchModel(Path model, Path json, StringWriter out, StringWriter err, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("bench", "--model", model.toString(), "--device", "cpu",
                "--peers", "onnxruntime", "--peer-threads", "1", "--iters", "3", "--seconds", "0", "--warmup-seconds", "0",
                "--json", json.toString()));
        args.addAll(List.of(more));
        return Main.execute(args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
    }

    /**
     * The whole network in ONNX Runtime beside convcl, checked against the CPU path, in the table
     * and the JSON: at the model's declared batch (2), and at batch 1 through --input-shape on a
     * model whose batch is symbolic ('batch'), which the peer's session must then take too (a fixed
     * dimension --input-shape contradicts is refused before anything runs).
     */
    @ParameterizedTest
    @CsvSource({"resnet_tiny,", "shufflenet_v2_tiny,'1,3,48,48'"})
    void benchModelTimesTheWholeNetworkInTheSameRun(String name, String inputShape, @TempDir Path dir) throws Exception {
        Path json = dir.resolve("model.json");
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = benchModel(committedModel(name), json, out, err,
                inputShape == null ? new String[0] : new String[] {"--input-shape", inputShape});
        String all = "stdout:\n" + out + "\nstderr:\n" + err;
        assertEquals(0, code, all);
        assertTrue(out.toString().contains("peer onnxruntime: ONNX Runtime 1."), all);
        assertTrue(out.toString().contains("2 results ok, 0 FAIL"), all);
        java.util.regex.Matcher row = java.util.regex.Pattern.compile("(?m)^onnxruntime +- +- +([0-9.]+) +(\\d+) .*"
                + "relative L2 ([0-9.e+-]+) vs the CPU path").matcher(out.toString());
        assertTrue(row.find(), all);
        assertTrue(Double.parseDouble(row.group(1)) > 0, all);
        assertTrue(Double.parseDouble(row.group(3)) <= 1e-4, all);
        String text = Files.readString(json);
        java.util.regex.Matcher median = java.util.regex.Pattern.compile("\"onnxruntime_median_ms\": ([0-9.eE+-]+)")
                .matcher(text);
        assertTrue(median.find(), text);
        assertTrue(Double.parseDouble(median.group(1)) > 0, text);
        java.util.regex.Matcher peerRow = java.util.regex.Pattern.compile("\"backend\": \"onnxruntime\",[^}]*?\"ok\": true,"
                + "[^}]*?\"rel_l2_vs_cpu\": ([0-9.eE+-]+)").matcher(text);
        assertTrue(peerRow.find(), text);
        assertTrue(Double.parseDouble(peerRow.group(1)) <= 1e-4, text);
    }

    /**
     * A network ONNX Runtime cannot load is "n/a" with ONNX Runtime's reason on one line, and
     * convcl's figures still print: a Conv model whose opset import is newer than any ONNX
     * Runtime knows.
     */
    @Test
    void benchModelSaysNotApplicableWhereOnnxRuntimeRefusesTheNetwork(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("refused.onnx");
        Files.write(model, refusedModel());
        Path json = dir.resolve("model.json");
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = benchModel(model, json, out, err);
        String all = "stdout:\n" + out + "\nstderr:\n" + err;
        assertEquals(0, code, all);
        assertTrue(out.toString().contains("1 result ok, 0 FAIL, 1 n/a"), all);
        assertTrue(out.toString().matches("(?s).*\ncpu +[0-9.]+ .*"), all);
        java.util.regex.Matcher na = java.util.regex.Pattern.compile("(?m)^onnxruntime  n/a: (ONNX Runtime 1\\.[^\\n]+)$")
                .matcher(out.toString());
        assertTrue(na.find(), all);
        String text = Files.readString(json);
        assertTrue(text.contains("\"unsupported\": true"), text);
    }

    /**
     * A one-conv model convcl runs but ONNX Runtime refuses to load: it claims an ONNX IR version
     * far above any ONNX Runtime reads (convcl reads the graph, not the IR version).
     */
    private static byte[] refusedModel() throws Exception {
        Convolution op = (Convolution) Operation.parse("op=conv2d n=1 c=3 h=8 w=8 k=4 kh=3 kw=3 pad=1 bias=1");
        Args data = data(op, 7);
        byte[] bytes = dev.convcl.cli.OnnxLayerModel.write(op, (HostTensor) data.get(Arg.WEIGHTS),
                (HostTensor) data.get(Arg.BIAS));
        return dev.convcl.onnx.proto.OnnxProto.ModelProto.parseFrom(bytes).toBuilder().setIrVersion(99).build().toByteArray();
    }
}
