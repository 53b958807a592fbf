package dev.convcl.cli;

import dev.convcl.ConvclException;
import dev.convcl.Graph;
import dev.convcl.Value;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code run --model} and {@code bench --model} share: loading an ONNX model as a
 * {@link Graph} (every failure one line), and the {@code [NAME=]FILE} arguments that tie files
 * to the model's inputs and outputs.
 */
final class ModelFiles {
    private ModelFiles() {
    }

    /** A {@code --input} or {@code --out} argument: {@code x.npy} or {@code name=x.npy}. */
    record Named(String name, Path path, String flag) {
        /** {@code name=path} when the text before the first '=' is not empty, else the whole text as a path. */
        static Named parse(String text, String flag) {
            int eq = text.indexOf('=');
            if (eq > 0) {
                String path = text.substring(eq + 1);
                if (path.isEmpty()) {
                    throw new IllegalArgumentException(flag + " " + text + ": no file after '='; use " + flag
                            + " NAME=FILE or " + flag + " FILE");
                }
                return new Named(text.substring(0, eq), Path.of(path), flag);
            }
            return new Named(null, Path.of(text), flag);
        }

        FileArg file(String role) {
            return new FileArg(role + (name == null ? "" : " '" + name + "'"), flag, path);
        }
    }

    /**
     * The model as a graph: at its declared input shapes, or at {@code shapes} (by input name; the
     * key {@code ""} for the only input) where given, or where the model's are symbolic and
     * {@code fallback} gives them. Every failure is an exception with one line that names the file.
     */
    static Graph load(Path model, Map<String, int[]> shapes, Map<String, int[]> fallback) {
        if (Files.isDirectory(model)) {
            throw new IllegalArgumentException("model " + model + " (--model) is a folder; --model takes an .onnx file");
        }
        if (!Files.isRegularFile(model)) {
            throw new IllegalArgumentException("model " + model + " (--model): no such file");
        }
        try {
            return loadWith(model, shapes);
        } catch (ConvclException e) {
            if (shapes.isEmpty() && !fallback.isEmpty() && String.valueOf(e.getMessage()).contains("symbolic dimension")) {
                return loadWith(model, fallback);
            }
            throw e;
        }
    }

    private static Graph loadWith(Path model, Map<String, int[]> shapes) {
        if (shapes.size() == 1 && shapes.containsKey("")) {
            return Graph.fromOnnx(model, shapes.get(""));
        }
        return Graph.fromOnnx(model, shapes);
    }

    /**
     * Matches the named files to the graph's inputs (or outputs): one unnamed file for a graph with
     * one, else every file named; unknown names and (for inputs) missing ones are errors.
     */
    static Map<String, Named> match(List<Named> files, List<String> names, String what, boolean all) {
        Map<String, Named> out = new LinkedHashMap<>();
        for (Named f : files) {
            String name = f.name();
            if (name == null) {
                if (files.size() != 1 || names.size() != 1) {
                    throw new IllegalArgumentException(f.flag() + " " + f.path() + " gives no " + what + " name, but the "
                            + "model has " + names.size() + " " + what + "s " + names + "; write " + f.flag()
                            + " NAME=FILE for each");
                }
                name = names.get(0);
            } else if (!names.contains(name)) {
                throw new IllegalArgumentException(f.flag() + " " + name + "=" + f.path() + ": the model has no " + what
                        + " '" + name + "'; its " + what + "s are " + names);
            }
            if (out.put(name, f) != null) {
                throw new IllegalArgumentException(f.flag() + " gives " + what + " '" + name + "' twice");
            }
        }
        if (all) {
            List<String> missing = new ArrayList<>(names);
            missing.removeAll(out.keySet());
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("the model's " + what + (missing.size() == 1 ? " " : "s ") + missing
                        + " " + (missing.size() == 1 ? "has" : "have") + " no " + files.get(0).flag() + " NAME=FILE");
            }
        }
        return out;
    }

    /** The graph's input names, in order. */
    static List<String> inputNames(Graph g) {
        return g.inputs().stream().map(Value::name).toList();
    }

    /** {@code 1,3,224,224} as dimensions, each at least 1. */
    static int[] parseShape(String text, String flag) {
        try {
            int[] d = Arrays.stream(text.split(",", -1)).map(String::trim).mapToInt(Integer::parseInt).toArray();
            for (int v : d) {
                if (v < 1) {
                    throw new NumberFormatException();
                }
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " '" + text + "' must be dimensions of at least 1 separated by "
                    + "commas, e.g. 1,3,224,224");
        }
    }
}
