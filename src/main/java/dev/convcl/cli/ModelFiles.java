package dev.convcl.cli;

import dev.convcl.Graph;
import dev.convcl.Value;
import dev.convcl.onnx.DeclaredInput;
import dev.convcl.onnx.OnnxImporter;

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
     * The runtime inputs the model declares, with their fixed and symbolic dimensions, read before
     * the model is loaded (without its tensors: milliseconds), so that the files and shapes given
     * are checked against them first. Every failure is an exception with one line that names the file.
     */
    static List<DeclaredInput> declaredInputs(Path model) {
        checkModelFile(model);
        return OnnxImporter.declaredInputs(model);
    }

    /**
     * The model as a graph: at its declared input shapes, or at {@code shapes} (by input name) where
     * given. Every failure is an exception with one line that names the file.
     */
    static Graph load(Path model, Map<String, int[]> shapes) {
        checkModelFile(model);
        return Graph.fromOnnx(model, shapes);
    }

    private static void checkModelFile(Path model) {
        if (Files.isDirectory(model)) {
            throw new IllegalArgumentException("model " + model + " (--model) is a folder; --model takes an .onnx file");
        }
        if (!Files.isRegularFile(model)) {
            throw new IllegalArgumentException("model " + model + " (--model): no such file");
        }
    }

    /**
     * Why {@code shape} does not fit {@code input} as the model declares it, e.g. {@code model
     * m.onnx takes input 'input' of shape [batch, 3, 224, 224] (dimension 2 is 13 where the model
     * fixes 224; only its symbolic dimension batch SYMBOLIC_TAKES)}, or null when it fits
     * ({@link DeclaredInput#misfit}: the declared rank, and every fixed dimension's size).
     */
    static String misfit(Path model, DeclaredInput input, int[] shape, String symbolicTakes) {
        String why = input.misfit(shape);
        if (why == null) {
            return null;
        }
        List<String> symbols = input.symbols();
        return "model " + model.getFileName() + " takes input '" + input.name() + "' of shape " + input.shapeText()
                + " (" + why + (symbols.isEmpty() ? "" : "; only " + (symbols.size() == 1 ? "its symbolic dimension "
                + symbols.get(0) : "its symbolic dimensions " + String.join(", ", symbols)) + " " + symbolicTakes) + ")";
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
                if (files.size() != 1) {
                    throw new IllegalArgumentException(f.flag() + " " + f.path() + " gives no " + what + " name: "
                            + "several " + f.flag() + " files need " + f.flag() + " NAME=FILE each; the model has "
                            + count(names, what));
                }
                if (names.size() != 1) {
                    throw new IllegalArgumentException(f.flag() + " " + f.path() + " gives no " + what + " name, but the "
                            + "model has " + count(names, what) + "; write " + f.flag() + " NAME=FILE for each");
                }
                name = names.get(0);
            } else if (!names.contains(name)) {
                throw new IllegalArgumentException(f.flag() + " " + name + "=" + f.path() + ": the model has no " + what
                        + " '" + name + "'; " + (names.size() == 1 ? "its only " + what + " is '" + names.get(0) + "'"
                        : "its " + what + "s are " + names));
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

    /** {@code 1 input [x]}, {@code 2 inputs [a, b]}. */
    static String count(List<String> names, String what) {
        return names.size() + " " + what + (names.size() == 1 ? " " : "s ") + names;
    }

    /** The graph's input names, in order. */
    static List<String> inputNames(Graph g) {
        return g.inputs().stream().map(Value::name).toList();
    }

    /** {@code 1,3,224,224} as dimensions, each at least 1. */
    static int[] parseShape(String text, String flag) {
        try {
            int[] d = Arrays.stream(text.split(",", -1)).mapToInt(IntArg::parse).toArray();
            for (int v : d) {
                if (v < 1) {
                    throw new NumberFormatException();
                }
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " '" + text + "' must be comma-separated positive integers, "
                    + "N,C,H,W for an image input, e.g. 1,3,224,224");
        } catch (IntArg.OutOfRange e) {
            throw new IllegalArgumentException(flag + " '" + text + "': " + e.getMessage());
        }
    }
}
