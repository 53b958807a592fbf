package dev.convcl.onnx;

import dev.convcl.onnx.proto.OnnxProto.ModelProto;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads an ONNX model into an {@link OnnxGraph} of convcl layers. A model file is input from
 * elsewhere: everything is checked before anything large is allocated, and every failure is an
 * {@link OnnxModelException} with a one-line message (naming the node, value and rule), never an
 * {@link OutOfMemoryError} or a stack overflow. A model that uses operators, attributes or
 * patterns convcl does not support gives one exception listing every such node.
 *
 * <p>Supported: the standard ONNX domain at opsets 9 to 20 (PyTorch writes 11 to 17, and 19 for
 * DeformConv), float32 inputs of fixed shape (from the model, or given in {@link Options}), and
 * the operators PyTorch's exporter writes for convolutional networks; the package description
 * lists them with their attributes.
 */
public final class OnnxImporter {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OnnxImporter.class);

    private OnnxImporter() {
    }

    /**
     * Reads a model file with default options; external data is read relative to its folder.
     *
     * @throws OnnxModelException       when the model cannot be read or imported
     * @throws IllegalArgumentException never for a bad model; only for bad options
     */
    public static OnnxGraph read(Path file) {
        return read(file, Options.defaults());
    }

    /**
     * Reads a model file; external data is read relative to its folder.
     *
     * @throws InputShapeNeededException when an input's shape is neither fixed by the model nor given
     *                                    (its message gives no advice: the caller words it)
     * @throws OnnxModelException       when the model cannot be read or imported
     * @throws IllegalArgumentException when an option names an input the model does not have
     */
    public static OnnxGraph read(Path file, Options options) {
        ModelProto model = ModelFile.read(file);
        Path dir = file.toAbsolutePath().getParent();
        return new Lowering(file.getFileName().toString(), dir, options).run(model);
    }

    /**
     * What a model file declares: its runtime inputs (graph inputs without an initializer), in
     * order, with their declared dimensions (fixed or symbolic), and its graph outputs' names, in
     * order, read in one pass without its tensors: a few milliseconds even for a model of hundreds
     * of MB. Nothing else of the model is checked. Each read is logged at DEBUG.
     *
     * @param file the model file
     * @return the declared inputs and output names
     * @throws OnnxModelException when the file is not readable or not an ONNX model
     */
    public static ModelDeclaration declaration(Path file) {
        long t0 = System.nanoTime();
        ModelDeclaration d = ModelFile.declaration(file);
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: read the declared inputs {} and outputs {} (without the tensors) in {} ms", file.getFileName(),
                    d.inputNames(), d.outputNames(), String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e6));
        }
        return d;
    }

    /**
     * Reads a model from bytes; a model whose tensors live in external files is refused (there is no
     * folder to read them from).
     *
     * @throws OnnxModelException       when the model cannot be read or imported
     * @throws IllegalArgumentException when an option names an input the model does not have
     */
    public static OnnxGraph read(byte[] model, Options options) {
        return new Lowering("<bytes>", null, options).run(ModelFile.parse(model, "<bytes>"));
    }

    /**
     * Import options: input shapes that replace the model's (a symbolic batch size, another image
     * size), and the cap on the model's constants. Immutable; each {@code with} method returns a new
     * instance.
     */
    public static final class Options {
        /** The default cap on all constants together: 4 GiB. */
        public static final long DEFAULT_MAX_CONSTANT_BYTES = 4L << 30;

        private final Map<String, int[]> inputShapes;
        private final int[] onlyInput;
        private final long maxConstantBytes;

        private Options(Map<String, int[]> inputShapes, int[] onlyInput, long maxConstantBytes) {
            this.inputShapes = inputShapes;
            this.onlyInput = onlyInput;
            this.maxConstantBytes = maxConstantBytes;
        }

        /** No input shapes given, constants capped at {@link #DEFAULT_MAX_CONSTANT_BYTES}. */
        public static Options defaults() {
            return new Options(Collections.emptyMap(), null, DEFAULT_MAX_CONSTANT_BYTES);
        }

        /**
         * The shape of input {@code name}, replacing the model's (which may be symbolic). Every name
         * is an input's, the empty one too: the model's only input is given with
         * {@link #withInputShape(int...)}.
         *
         * @throws IllegalArgumentException naming the input when the name or the shape is null, the
         *                                  shape has no dimension, a dimension is below 1, or it
         *                                  has more than 2^31-1 elements
         */
        public Options withInputShape(String name, int... dims) {
            if (name == null) {
                throw new IllegalArgumentException("an input shape is given for a null input name");
            }
            int[] shape = checked("the shape given for input " + Problem.quote(name), dims);
            Map<String, int[]> m = new LinkedHashMap<>(inputShapes);
            m.put(name, shape);
            return new Options(Collections.unmodifiableMap(m), onlyInput, maxConstantBytes);
        }

        /**
         * The shape of the model's only input.
         *
         * @throws IllegalArgumentException when the shape is null or has no dimension, a dimension
         *                                  is below 1, or it has more than 2^31-1 elements
         */
        public Options withInputShape(int... dims) {
            return new Options(inputShapes, checked("the input shape", dims), maxConstantBytes);
        }

        private static int[] checked(String which, int[] dims) {
            if (dims == null) {
                throw new IllegalArgumentException(which + " is null; give its dimensions, e.g. [1, 3, 224, 224]");
            }
            try {
                Shape.of(dims);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(which + ": " + e.getMessage(), e);
            }
            return dims.clone();
        }

        /**
         * The cap on the bytes of all constants together (initializers, Constant nodes and folded
         * values, counted as float32 or int64 in memory).
         *
         * @throws IllegalArgumentException when {@code bytes} is not positive
         */
        public Options withMaxConstantBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxConstantBytes=" + bytes + " must be positive");
            }
            return new Options(inputShapes, onlyInput, bytes);
        }

        /** The cap on all constants together, in bytes. */
        public long maxConstantBytes() {
            return maxConstantBytes;
        }

        /** The input shapes given by name. */
        Map<String, int[]> inputShapes() {
            return inputShapes;
        }

        /** Whether any input shape is given, by name or for the only input. */
        boolean givesShapes() {
            return !inputShapes.isEmpty() || onlyInput != null;
        }

        /** The shape given for input {@code name} in a model with {@code inputCount} inputs, or null. */
        int[] shapeFor(String name, int inputCount) {
            int[] s = inputShapes.get(name);
            if (s == null && inputCount == 1) {
                s = onlyInput;
            }
            return s;
        }

        boolean givesOnlyInput() {
            return onlyInput != null;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("Options[");
            if (onlyInput != null) {
                sb.append("input=").append(Arrays.toString(onlyInput)).append(' ');
            }
            inputShapes.forEach((k, v) -> sb.append(Problem.quote(k)).append('=').append(Arrays.toString(v)).append(' '));
            return sb.append("maxConstantBytes=").append(maxConstantBytes).append(']').toString();
        }
    }
}
