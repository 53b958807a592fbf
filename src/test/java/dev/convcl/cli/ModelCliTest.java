package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.onnx.OnnxImporter;
import dev.convcl.onnx.proto.OnnxProto.ModelProto;
import dev.convcl.testing.WarnCapture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convcl run --model} and {@code convcl bench --model} on the CPU path with a committed
 * family model (scripts/onnx/make_models.py): the output matches PyTorch's float64 result; a bad
 * model (truncated file, unknown operator, missing initializer) or an input of the wrong shape is
 * one line on stderr, exit 2, and nothing written.
 */
class ModelCliTest {
    static final Path MODELS = Path.of("src/test/resources/onnx");
    static final Path MODEL = MODELS.resolve("resnet_tiny.onnx");
    static final Path INPUT = MODELS.resolve("resnet_tiny.input.npy");

    @TempDir
    Path dir;

    @Test
    void runMatchesPyTorch() throws IOException {
        Path y = dir.resolve("y.npy");
        Cli.Result r = Cli.run("run", "--model", MODEL.toString(), "--input", INPUT.toString(), "--out", y.toString(),
                "--device", "cpu");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith(y + ": output 'output' [2, 10] float32"), r.toString());
        HostTensor out = Npy.read(y);
        HostTensor expected = Npy.read(MODELS.resolve("resnet_tiny.expected.npy"));
        assertArrayEquals(expected.shape(), out.shape());
        double num = 0, den = 0;
        for (int i = 0; i < out.size(); i++) {
            double d = out.get(i) - (double) expected.get(i);
            num += d * d;
            den += (double) expected.get(i) * expected.get(i);
        }
        assertTrue(Math.sqrt(num / den) < 1e-4, "relative L2 " + Math.sqrt(num / den));
    }

    /** An output file is named as typed, after its NAME= too; one that ends with '/' names a folder (it wrote a file). */
    @Test
    void outputFilesAreNamedAsTyped() {
        String q = dir + "/q/";
        Cli.assertUsageLine(Cli.run("run", "--model", MODEL.toString(), "--input", INPUT.toString(), "--out", q,
                "--device", "cpu"), "convcl run: output " + q + " (--out): ends with '/', which names a folder; a file "
                + "name is needed");
        Cli.assertUsageLine(Cli.run("run", "--model", MODEL.toString(), "--input", INPUT.toString(), "--out",
                "output=" + q, "--device", "cpu"), "convcl run: output 'output' " + q + " (--out): ends with '/', "
                + "which names a folder; a file name is needed");
        assertFalse(Files.exists(dir.resolve("q")));
        // a missing folder as typed after NAME=, relative as given
        String rel = Path.of("").toAbsolutePath().relativize(dir) + "/nodir/ym.npy";
        Cli.assertUsageLine(Cli.run("run", "--model", MODEL.toString(), "--input", INPUT.toString(), "--out",
                "output=" + rel, "--device", "cpu"), "convcl run: output 'output' " + rel + " (--out): its folder "
                + rel.substring(0, rel.lastIndexOf('/')) + " does not exist");
        Cli.assertUsageLine(Cli.run("bench", "--model", MODEL.toString(), "--json", rel), "convcl bench: JSON report "
                + rel + " (--json): its folder " + rel.substring(0, rel.lastIndexOf('/')) + " does not exist");
        String y = dir + "//y.npy";
        Cli.Result r = Cli.run("run", "--model", MODEL.toString(), "--input", INPUT.toString(), "--out", y, "--device",
                "cpu");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith(y + ": output 'output' [2, 10] float32"), r.toString());
    }

    /** An operator's flag beside --model is refused, also one with a default value (--padding, --spatial-scale). */
    @Test
    void operatorFlagsBesideAModelAreRefused() {
        for (String[] flag : new String[][] {{"--padding", "3"}, {"--dilation", "4"}, {"--stride", "1"},
            {"--spatial-scale", "0.5"}, {"--groups", "2"}}) {
            Path y = dir.resolve("y.npy");
            Cli.Result r = Cli.run("run", "--model", MODEL.toString(), "--input", INPUT.toString(), "--out", y.toString(),
                    "--device", "cpu", flag[0], flag[1]);
            Cli.assertUsageError(r, "--model runs the model's own layers; --op and its flags");
            assertTrue(r.err().contains(flag[0]), "the refusal should list " + flag[0] + ": " + r);
            assertFalse(Files.exists(y), "nothing written: " + r);
        }
    }

    /** Two --out naming one file, or an --out naming the model, are refused before anything is run or written. */
    @Test
    void outputsThatWouldOverwriteEachOtherOrTheModelAreRefused() throws IOException {
        Path model = dir.resolve("m.onnx");
        Files.copy(MODEL, model);
        byte[] before = Files.readAllBytes(model);
        Cli.Result same = Cli.run("run", "--model", model.toString(), "--input", INPUT.toString(), "--out",
                "output=" + dir.resolve("y.npy"), "--out", "output=" + dir.resolve("./y.npy"), "--device", "cpu");
        Cli.assertUsageError(same, "name the same file; each output needs its own");
        Cli.Result overModel = Cli.run("run", "--model", model.toString(), "--input", INPUT.toString(), "--out",
                dir.resolve("./m.onnx").toString(), "--device", "cpu");
        Cli.assertUsageError(overModel, "is the --model file; an output must not overwrite the model");
        assertArrayEquals(before, Files.readAllBytes(model), "the model was changed");
        assertEquals(List.of("m.onnx"), Cli.names(dir), "nothing written");
        Path x = dir.resolve("x.npy");
        Files.copy(INPUT, x);
        byte[] input = Files.readAllBytes(x);
        Cli.Result overInput = Cli.run("run", "--model", model.toString(), "--input", x.toString(), "--out",
                dir.resolve("./x.npy").toString(), "--device", "cpu");
        Cli.assertUsageLine(overInput, "convcl run: --out " + dir.resolve("./x.npy") + " is the file of --input " + x
                + "; an output must not overwrite an input");
        assertArrayEquals(input, Files.readAllBytes(x), "the input was changed");
    }

    /** What counts as one file: links (also to a file not made yet) and ./ forms do; /dev/null, written in place, never. */
    @Test
    void sameFileFollowsLinksAndLetsOutputsShareDevNull() throws IOException {
        Path y = dir.resolve("y.npy");
        Path link = dir.resolve("link.npy");
        Files.createSymbolicLink(link, y.getFileName()); // dangling: y.npy is not made yet
        assertTrue(AtomicFiles.sameFile(y, link));
        assertTrue(AtomicFiles.sameFile(dir.resolve("sub/../y.npy"), y));
        assertFalse(AtomicFiles.sameFile(y, dir.resolve("z.npy")));
        assertFalse(AtomicFiles.sameFile(Path.of("/dev/null"), Path.of("/dev/null")));
    }

    @Test
    void truncatedModel() throws IOException {
        byte[] all = Files.readAllBytes(MODEL);
        Path m = dir.resolve("truncated.onnx");
        Files.write(m, Arrays.copyOf(all, all.length / 2));
        assertRefused(m, INPUT, "truncated.onnx");
    }

    @Test
    void unknownOperator() throws IOException {
        ModelProto.Builder p = ModelProto.parseFrom(Files.readAllBytes(MODEL)).toBuilder();
        String name = p.getGraph().getNode(0).getName();
        p.getGraphBuilder().getNodeBuilder(0).setOpType("FancyConv");
        Path m = dir.resolve("unknown.onnx");
        Files.write(m, p.build().toByteArray());
        String err = assertRefused(m, INPUT, "FancyConv");
        assertTrue(err.contains(name), err);
    }

    @Test
    void missingInitializer() throws IOException {
        ModelProto.Builder p = ModelProto.parseFrom(Files.readAllBytes(MODEL)).toBuilder();
        String weight = p.getGraph().getInitializer(0).getName();
        p.getGraphBuilder().removeInitializer(0);
        Path m = dir.resolve("missing.onnx");
        Files.write(m, p.build().toByteArray());
        String err = assertRefused(m, INPUT, weight);
        assertTrue(err.contains("missing.onnx"), err);
    }

    @Test
    void wrongInputShape() throws IOException {
        Path x = dir.resolve("x.npy");
        Npy.write(x, Tensor.zeros(2, 3, 40, 48));
        String err = assertRefused(MODEL, x, "has shape [2, 3, 40, 48]");
        assertTrue(err.contains("'input' of shape [2, 3, 48, 48]"), err);
    }

    /** Runs the model, expects the one-line refusal naming {@code expected}, and no file written. */
    private String assertRefused(Path model, Path input, String expected) throws IOException {
        List<String> before = Cli.names(dir);
        Path y = dir.resolve("y.npy");
        Cli.Result r = Cli.run("run", "--model", model.toString(), "--input", input.toString(), "--out", y.toString(),
                "--device", "cpu");
        Cli.assertUsageError(r, expected);
        assertEquals(before, Cli.names(dir), "nothing written: " + r);
        if (!model.equals(MODEL)) {   // a bad model file: bench refuses it the same way
            Path json = dir.resolve("b.json");
            Cli.Result b = Cli.run("bench", "--model", model.toString(), "--device", "cpu", "--json", json.toString());
            Cli.assertUsageError(b, expected);
            assertEquals(before, Cli.names(dir), "nothing written by bench: " + b);
        }
        return r.err();
    }

    @Test
    void benchWritesLatencyAndHostTransfers() throws IOException {
        Path json = dir.resolve("bench.json");
        Cli.Result r = Cli.run("bench", "--model", MODEL.toString(), "--device", "cpu", "--json", json.toString(),
                "--layers", "--warmup", "0", "--warmup-seconds", "0", "--iters", "3", "--seconds", "0");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("model: resnet_tiny.onnx, input 'input' [2, 3, 48, 48]"), r.toString());
        // --seconds 0: the steps' times of the one call --layers always takes
        assertTrue(r.out().contains("layers on cpu (ms of one call, in both columns:"), r.toString());
        // the columns are named on the line after it
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+median\\s+least\\s+backend\\s+algorithm\\s+step \\(its ONNX nodes\\)")),
                r.toString());
        // each step on a line of its own: median and least time, backend, algorithm (on the CPU path the
        // implementation's name), node
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+[0-9.]+\\s+[0-9.]+\\s+cpu\\s+cpu-\\S+.*\\S+")),
                r.toString());
        // Steps that fell back to the CPU path: nothing to count on the cpu backend, "-" (JSON null).
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("cpu ") && l.endsWith(" -")), r.toString());
        String text = Files.readString(json, StandardCharsets.UTF_8);
        for (String field : List.of("\"model\": \"resnet_tiny.onnx\"", "\"median_ms\"", "\"host_transfers\": 0",
                "\"layers\"", "\"kernel_ms\"", "\"algorithm\"", "\"steps_on_cpu_path\": null")) {
            assertTrue(text.contains(field), field + " missing from\n" + text);
        }
        // each layer closes with the least of its times and the calls they were taken over
        assertTrue(Pattern.compile("\"kernel_ms_min\": [0-9.]+, \"calls\": 1}").matcher(text).find(), text);
        // --input-shape sizes a symbolic dimension only: shufflenet_v2_tiny's batch is symbolic,
        // resnet_tiny's [2, 3, 48, 48] is fixed throughout.
        Cli.Result s = Cli.run("bench", "--model", MODELS.resolve("shufflenet_v2_tiny.onnx").toString(), "--device", "cpu",
                "--input-shape", "1,3,48,48", "--warmup", "0", "--warmup-seconds", "0", "--iters", "1", "--seconds", "0");
        assertEquals(0, s.code(), s.toString());
        assertTrue(s.out().contains("input 'input' [1, 3, 48, 48]"), s.toString());
        // Without it, the symbolic batch is one line naming the CLI's option, not the library's call,
        // with the sizes the model fixes filled in.
        Cli.assertUsageError(Cli.run("bench", "--model", MODELS.resolve("shufflenet_v2_tiny.onnx").toString(), "--device",
                "cpu"), "convcl bench: shufflenet_v2_tiny.onnx: graph input 'input' has a symbolic dimension 0 ('batch'); "
                + "give its shape with --input-shape N,3,48,48");
        Cli.Result fixed = Cli.run("bench", "--model", MODEL.toString(), "--device", "cpu", "--input-shape", "1,3,32,32");
        Cli.assertUsageError(fixed, "convcl bench: --input-shape 1,3,32,32: model resnet_tiny.onnx takes input 'input' "
                + "of shape [2, 3, 48, 48] (dimension 0 is 1 where the model fixes 2)");
    }

    /**
     * run --model and bench --model read what the model declares (its inputs and outputs) once and
     * pass it along, rather than once for each use; {@link OnnxImporter#declaration} logs each read
     * at DEBUG, which {@code --debug} lets through.
     */
    @Test
    void theModelsDeclarationIsReadOnce() {
        String read = "resnet_tiny.onnx: read the declared inputs [input] and outputs [output]";
        try (WarnCapture log = WarnCapture.on(OnnxImporter.class)) {
            Cli.Result r = Cli.run("run", "--model", MODEL.toString(), "--input", INPUT.toString(), "--out",
                    dir.resolve("y.npy").toString(), "--device", "cpu", "--debug");
            assertEquals(0, r.code(), r.toString());
            assertEquals(1, log.messages().stream().filter(m -> m.startsWith(read)).count(), "run: " + log.messages());
        }
        try (WarnCapture log = WarnCapture.on(OnnxImporter.class)) {
            Cli.Result r = Cli.run("bench", "--model", MODEL.toString(), "--device", "cpu", "--warmup", "0",
                    "--warmup-seconds", "0", "--iters", "1", "--seconds", "0", "--debug");
            assertEquals(0, r.code(), r.toString());
            assertEquals(1, log.messages().stream().filter(m -> m.startsWith(read)).count(), "bench: " + log.messages());
        }
    }

    /** PyTorch's peer runs single layers: --model --peers torch is one line, exit 2, before any timing. */
    @Test
    void benchModelRefusesTheTorchPeer() {
        Cli.Result r = Cli.run("bench", "--model", MODEL.toString(), "--device", "cpu", "--peers", "onnxruntime,torch");
        Cli.assertUsageError(r, "convcl bench: --model --peers torch: the torch peer runs single layers through "
                + "torch.nn.functional (bench/torch_peer.py); PyTorch cannot run an ONNX file");
    }
}
