package dev.convcl.cli;

import dev.convcl.CompiledGraph;
import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import dev.convcl.Graph;
import dev.convcl.HostTensor;
import dev.convcl.Value;
import dev.convcl.onnx.DeclaredInput;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code convcl run --model}: an ONNX model on .npy files. Every check (files readable and
 * writable, the model readable and supported, each input present and of the model's shape) comes
 * before the device is opened; the outputs are written only after the whole run succeeded, each
 * at once ({@link AtomicFiles}).
 */
final class ModelRun {
    private final Path model;
    private final List<String> inputTexts;
    private final List<String> outTexts;
    private List<ModelFiles.Named> inputs;
    private List<ModelFiles.Named> outs;
    private final DeviceChoice device;
    private PrintWriter out;
    private final PrintWriter err;

    ModelRun(Path model, List<String> inputs, List<String> outs, DeviceChoice device, PrintWriter out, PrintWriter err) {
        this.model = model;
        this.inputTexts = inputs;
        this.outTexts = outs;
        this.device = device;
        this.out = out;
        this.err = err;
    }

    int call() {
        // NAME=FILE splits after a name of the model's where one fits (a name may hold '='); the
        // names are read once, without the model's tensors, and a model that cannot be read is
        // reported in its turn below.
        ModelFiles.Declared declaration = ModelFiles.declared(model);
        List<String> in = declaration.inputNamesIfRead();
        List<String> on = declaration.outputNamesIfRead();
        inputs = inputTexts.stream().map(t -> ModelFiles.Named.parse(t, "--input", in)).toList();
        outs = outTexts.stream().map(t -> ModelFiles.Named.parse(t, "--out", on)).toList();
        for (int i = 0; i < outs.size(); i++) {
            ModelFiles.Named o = outs.get(i);
            if (AtomicFiles.sameFile(o.path(), model)) {
                throw new IllegalArgumentException("--out " + o.text() + " is the --model file; an output must not"
                        + " overwrite the model");
            }
            for (ModelFiles.Named input : inputs) {
                if (AtomicFiles.sameFile(o.path(), input.path())) {
                    throw new IllegalArgumentException("--out " + o.text() + " is the file of --input " + input.text()
                            + "; an output must not overwrite an input");
                }
            }
            if (AtomicFiles.isStandardOutput(o.path())) {
                out = err; // stdout holds that output's bytes alone
            }
            for (int j = 0; j < i; j++) {
                if (AtomicFiles.sameFile(o.path(), outs.get(j).path())) {
                    throw new IllegalArgumentException("--out " + outs.get(j).text() + " and --out " + o.text()
                            + " name the same file; each output needs its own");
                }
            }
            o.file("output").checkWritable();
        }
        // The model's declared inputs first: names and shapes are checked before anything large is read.
        List<DeclaredInput> declared = declaration.get().inputs();
        Map<String, ModelFiles.Named> byInput = ModelFiles.match(inputs, declared.stream().map(DeclaredInput::name)
                .toList(), "input", true);
        Map<String, HostTensor> feed = new LinkedHashMap<>();
        // Where the model's shape is symbolic (a dynamic batch) the file's size is taken; a fixed
        // dimension must be the file's.
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (DeclaredInput d : declared) {
            ModelFiles.Named f = byInput.get(d.name());
            HostTensor t = f.file("input").read(Npy::read);
            // "only its symbolic dimension batch takes", "... dimensions batch, h, w take"
            String misfit = ModelFiles.misfit(model, d, t.shape(), (d.symbols().size() == 1 ? "takes" : "take")
                    + " the file's size");
            if (misfit != null) {
                throw f.file("input").error("has shape " + Arrays.toString(t.shape()) + "; " + misfit);
            }
            if (!d.isFixed()) {
                shapes.put(d.name(), t.shape());
            }
            feed.put(d.name(), t);
        }
        ModelFiles.sameSymbolSizes(model, declared, shapes, name -> "--input " + byInput.get(name).text());
        Graph g = ModelFiles.load(model, shapes);
        Map<String, ModelFiles.Named> byOutput = ModelFiles.match(outs, new ArrayList<>(g.outputs().keySet()), "output",
                false);
        for (Value v : g.inputs()) {
            HostTensor t = feed.get(v.name());
            if (t == null || !Arrays.equals(t.shape(), v.shape())) {
                throw new IllegalStateException("graph input '" + v.name() + "' " + Arrays.toString(v.shape())
                        + " does not match the file checked against the model's declaration");
            }
        }
        try (Engine engine = Engine.create(device); CompiledGraph net = engine.compile(g)) {
            long t0 = System.nanoTime();
            Map<String, HostTensor> results = net.run(feed);
            double ms = (System.nanoTime() - t0) / 1e6;
            long onCpu = net.steps().stream().filter(s -> !s.backend().equals(engine.backend())).count();
            for (Map.Entry<String, ModelFiles.Named> e : byOutput.entrySet()) {
                HostTensor y = results.get(e.getKey());
                e.getValue().file("output").write(stream -> Npy.write(stream, y));
            }
            for (Map.Entry<String, ModelFiles.Named> e : byOutput.entrySet()) {
                out.printf(Locale.ROOT, "%s: output '%s' %s float32%n", e.getValue().file("output").text(), e.getKey(),
                        Arrays.toString(results.get(e.getKey()).shape()));
            }
            out.printf(Locale.ROOT, "%s: %s on %s%s, %.3f ms (first run, after the graph was compiled%s)%n",
                    model.getFileName(), Plural.of(net.steps().size(), "step"), engine.deviceName(),
                    onCpu == 0 || engine.backend().equals("cpu") ? "" : " (" + onCpu + " on the CPU path)", ms,
                    engine.backend().equals("cpu") ? ""
                            : "; a driver that builds a kernel at its first launch, as POCL does, spends that time here");
        }
        return 0;
    }
}
