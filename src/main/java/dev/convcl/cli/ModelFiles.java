package dev.convcl.cli;

import dev.convcl.Graph;
import dev.convcl.Value;
import dev.convcl.onnx.DeclaredInput;
import dev.convcl.onnx.ModelDeclaration;
import dev.convcl.onnx.OnnxImporter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
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

    /**
     * A {@code --input} or {@code --out} argument: {@code x.npy} or {@code name=x.npy}; {@code text}
     * as typed.
     */
    record Named(String name, Path path, String flag, String text) {
        /** {@link #parse(String, String, Collection)} without the model's names. */
        static Named parse(String text, String flag) {
            return parse(text, flag, null);
        }

        /**
         * {@code name=path}: where {@code names} (the model's, or null where they are not known)
         * holds a name that the text starts with, followed by '=', the split is there (the longest
         * such name), so that a name holding '=' can be given; else the name is the text before the
         * first '=', which must not be empty; without '=' the whole text is a path.
         */
        static Named parse(String text, String flag, Collection<String> names) {
            int eq = nameEnd(text, names);
            if (eq == 0) { // '=y.npy': a NAME left out, more likely than a file named so
                throw new IllegalArgumentException(flag + " " + Typed.shown(text) + ": no name before '='; use " + flag
                        + " NAME=FILE or " + flag + " FILE (a file whose name starts with '=' is given after a name, "
                        + flag + " " + Typed.shown("NAME=./" + text) + ")");
            }
            if (eq > 0) {
                String path = text.substring(eq + 1);
                if (path.isEmpty()) {
                    throw new IllegalArgumentException(flag + " " + Typed.shown(text) + ": no file after '='; use " + flag
                            + " NAME=FILE or " + flag + " FILE");
                }
                return new Named(text.substring(0, eq), Path.of(path), flag, text);
            }
            return new Named(null, Path.of(text), flag, text);
        }

        FileArg file(String role) {
            // the path as typed, after NAME= (o/, which the Path holds as o)
            return new FileArg(role + (name == null ? "" : " '" + name + "'"), flag, path,
                    name == null ? text : text.substring(name.length() + 1));
        }
    }

    /**
     * What the model declares (its runtime inputs, with their fixed and symbolic dimensions, and its
     * output names), read once, before the model is loaded (without its tensors: milliseconds), so
     * that the files and shapes given are checked against them first. A model that cannot be read
     * is kept as its failure, thrown by {@link Declared#get()} where the command reports it, so that
     * the arguments checked before that point are refused first.
     */
    static Declared declared(Path model) {
        try {
            checkModelFile(model);
            return new Declared(OnnxImporter.declaration(model), null);
        } catch (RuntimeException e) {
            return new Declared(null, e);
        }
    }

    /**
     * The model's declaration, or why it could not be read (one line that names the file).
     *
     * @param declaration what the model declares, or null when it could not be read
     * @param failure     why not, or null
     */
    record Declared(ModelDeclaration declaration, RuntimeException failure) {
        /** The declaration; throws the failure when the model could not be read. */
        ModelDeclaration get() {
            if (failure != null) {
                throw failure;
            }
            return declaration;
        }

        /** The input names, or null when the model could not be read (not yet reported). */
        List<String> inputNamesIfRead() {
            return declaration == null ? null : declaration.inputNames();
        }

        /** The output names, or null when the model could not be read (not yet reported). */
        List<String> outputNamesIfRead() {
            return declaration == null ? null : declaration.outputNames();
        }
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
                if (files.size() != 1 && names.size() == 1) {
                    // Every other file names the only one, or none: the mistake is giving it twice,
                    // not a missing name (a file naming another is refused when its turn comes).
                    for (Named other : files) {
                        if (other != f && (other.name() == null || other.name().equals(names.get(0)))) {
                            boolean otherFirst = files.indexOf(other) < files.indexOf(f);
                            throw twice(otherFirst ? other : f, otherFirst ? f : other, what, names.get(0),
                                    ", the model's only " + what);
                        }
                    }
                } else if (files.size() != 1) {
                    throw new IllegalArgumentException(f.flag() + " " + Typed.shown(f.text()) + " gives no " + what + " name: "
                            + "several " + f.flag() + " files need " + f.flag() + " NAME=FILE each; the model has "
                            + count(names, what));
                }
                if (names.size() != 1) {
                    throw new IllegalArgumentException(f.flag() + " " + Typed.shown(f.text()) + " gives no " + what + " name, but the "
                            + "model has " + count(names, what) + "; write " + f.flag() + " NAME=FILE for each");
                }
                name = names.get(0);
            } else if (!names.contains(name)) {
                String form = f.flag() + " " + Typed.shown((names.size() == 1 ? names.get(0) : "NAME") + "=" + f.text());
                throw new IllegalArgumentException(f.flag() + " " + Typed.shown(f.text()) + ": the model has no " + what
                        + " '" + name + "'; " + (names.size() == 1 ? "its only " + what + " is '" + names.get(0) + "'"
                        : "its " + what + "s are " + names) + (looksLikeFile(name, f.text())
                        ? "; a file whose name holds '=' is given with the " + what + "'s name, e.g. " + form : ""));
            }
            Named before = out.put(name, f);
            if (before != null) {
                throw twice(before, f, what, name, "");
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

    /**
     * Refuses shapes given (by input name) that fill one symbolic dimension (a dim_param, e.g.
     * {@code batch}) of two inputs with different sizes: ONNX gives a name one size. The message
     * names both arguments as typed ({@code given}: the flag and value that gave an input's shape).
     */
    static void sameSymbolSizes(Path model, List<DeclaredInput> declared, Map<String, int[]> shapes,
                                java.util.function.Function<String, String> given) {
        Map<String, int[]> first = new LinkedHashMap<>(); // symbol -> {size, index of the input in declared}
        for (int k = 0; k < declared.size(); k++) {
            DeclaredInput d = declared.get(k);
            int[] shape = shapes.get(d.name());
            if (shape == null || d.dims() == null) {
                continue;
            }
            for (int i = 0; i < d.dims().size() && i < shape.length; i++) {
                String symbol = d.dims().get(i).symbol();
                if (d.dims().get(i).isFixed() || symbol.isEmpty()) {
                    continue;
                }
                int[] before = first.putIfAbsent(symbol, new int[] {shape[i], k});
                if (before != null && before[0] != shape[i]) {
                    DeclaredInput a = declared.get(before[1]);
                    throw new IllegalArgumentException(given.apply(a.name()) + " gives " + Arrays.toString(shapes.get(
                            a.name())) + " and " + given.apply(d.name()) + " gives " + Arrays.toString(shape)
                            + ", but model " + model.getFileName() + " declares input '" + a.name() + "' "
                            + a.shapeText() + " and input '" + d.name() + "' " + d.shapeText() + ": its dimension '"
                            + symbol + "' has one size, " + before[0] + " or " + shape[i]);
                }
            }
        }
    }

    /**
     * Where the name of a {@code NAME=VALUE} argument ends: after the longest of {@code names} (the
     * model's; null where not known) that {@code text} starts with, followed by '='; else at the
     * first '=' (-1 when there is none).
     */
    static int nameEnd(String text, Collection<String> names) {
        int end = -1;
        if (names != null) {
            for (String n : names) {
                if (!n.isEmpty() && n.length() > end && text.startsWith(n + "=")) {
                    end = n.length();
                }
            }
        }
        return end >= 0 ? end : text.indexOf('=');
    }

    private static IllegalArgumentException twice(Named first, Named second, String what, String name, String note) {
        return new IllegalArgumentException(first.flag() + " " + Typed.shown(first.text()) + " and " + second.flag() + " "
                + Typed.shown(second.text()) + " both give " + what + " '" + name + "'" + note + "; give each " + what + " once");
    }

    /**
     * Whether {@code NAME=...} was more likely meant as a file: the name holds a folder separator,
     * or the whole text names an existing file.
     */
    private static boolean looksLikeFile(String name, String text) {
        if (name.indexOf('/') >= 0 || name.indexOf(java.io.File.separatorChar) >= 0) {
            return true;
        }
        try {
            return Files.exists(Path.of(text));
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
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
        return parseShape(text, flag, text);
    }

    /** {@link #parseShape(String, String)}, the messages naming {@code typed}, the value as typed (e.g. {@code a=1,3,8,8}). */
    static int[] parseShape(String text, String flag, String typed) {
        try {
            int[] d = Arrays.stream(text.split(",", -1)).mapToInt(IntArg::parse).toArray();
            for (int v : d) {
                if (v < 1) {
                    throw new NumberFormatException();
                }
            }
            java.math.BigInteger size = java.math.BigInteger.ONE;
            for (int v : d) {
                size = size.multiply(java.math.BigInteger.valueOf(v));
            }
            if (size.compareTo(java.math.BigInteger.valueOf(Integer.MAX_VALUE)) > 0) {
                throw new IllegalArgumentException(flag + " '" + typed + "' has " + size + " elements, more than the "
                        + "2^31-1 a tensor may have");
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " '" + typed + "' must be comma-separated positive integers, "
                    + "N,C,H,W for an image input, e.g. 1,3,224,224");
        } catch (IntArg.OutOfRange e) {
            throw new IllegalArgumentException(flag + " '" + typed + "': " + e.getMessage());
        }
    }
}
