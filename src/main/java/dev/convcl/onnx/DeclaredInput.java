package dev.convcl.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A runtime input of an ONNX model (a graph input without an initializer) as the file declares it,
 * before any shape is given: its name and its dimensions, each a fixed size or symbolic (a
 * {@code dim_param} such as {@code batch}, or nothing). The importer accepts any shape given in
 * {@link OnnxImporter.Options}; a caller that must hold data to the model's declaration (a file
 * fed to a model whose batch alone is dynamic) compares it with {@link #fits}.
 *
 * @param name the input's name
 * @param dims its dimensions in order, or null when the model declares no shape (any rank)
 */
public record DeclaredInput(String name, List<Dim> dims) {

    /**
     * One declared dimension.
     *
     * @param size   the fixed size ({@code dim_value}), or -1 when the dimension is symbolic
     * @param symbol the {@code dim_param} name of a symbolic dimension ("" when it has none or is fixed)
     */
    public record Dim(long size, String symbol) {
        /** Whether the model fixes this dimension's size. */
        public boolean isFixed() {
            return size >= 0;
        }

        /** The size, or the symbol's name ({@code ?} for a symbolic dimension without one). */
        @Override
        public String toString() {
            return isFixed() ? Long.toString(size) : symbol.isEmpty() ? "?" : symbol;
        }
    }

    /** Copies {@code dims}. */
    public DeclaredInput {
        dims = dims == null ? null : List.copyOf(dims);
    }

    /** Whether the model declares a shape and every dimension of it is fixed. */
    public boolean isFixed() {
        return dims != null && dims.stream().allMatch(Dim::isFixed);
    }

    /** The declared rank, or -1 when the model declares no shape. */
    public int rank() {
        return dims == null ? -1 : dims.size();
    }

    /** The symbolic dimensions, as written ({@code [batch]}); empty when every one is fixed. */
    public List<String> symbols() {
        List<String> out = new ArrayList<>();
        if (dims != null) {
            for (Dim d : dims) {
                if (!d.isFixed()) {
                    out.add(d.toString());
                }
            }
        }
        return out;
    }

    /**
     * Why {@code shape} does not fit the declaration (another rank, or another size where a
     * dimension is fixed), e.g. {@code "dimension 2 is 13 where the model fixes 224"}; null when it
     * fits: the rank is the declared one and every fixed dimension has its size (symbolic ones take
     * any size), or the model declares no shape.
     */
    public String misfit(int[] shape) {
        if (dims == null) {
            return null;
        }
        if (shape.length != dims.size()) {
            return shape.length + " dimension" + (shape.length == 1 ? "" : "s") + " where the model declares " + dims.size();
        }
        for (int i = 0; i < shape.length; i++) {
            Dim d = dims.get(i);
            if (d.isFixed() && d.size() != shape[i]) {
                return "dimension " + i + " is " + shape[i] + " where the model fixes " + d.size();
            }
        }
        return null;
    }

    /** The declared shape as {@code [batch, 3, 224, 224]}, or {@code [no shape declared]}. */
    public String shapeText() {
        return dims == null ? "[no shape declared]" : dims.stream().map(Dim::toString).collect(Collectors.joining(", ", "[", "]"));
    }
}
