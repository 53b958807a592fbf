package dev.convcl.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ExtensionRegistryLite;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.convcl.onnx.proto.OnnxProto.GraphProto;
import dev.convcl.onnx.proto.OnnxProto.ModelProto;
import dev.convcl.onnx.proto.OnnxProto.TensorProto;
import dev.convcl.onnx.proto.OnnxProto.TensorShapeProto;
import dev.convcl.onnx.proto.OnnxProto.TypeProto;
import dev.convcl.onnx.proto.OnnxProto.ValueInfoProto;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the protobuf of a model file with protobuf-java's own limits: a message nested deeper than
 * its recursion limit (100) or a length that runs past the end of the input is a parse error, not a
 * stack overflow or a large allocation. The file is read whole (protobuf's 2 GiB limit applies);
 * large tensors belong in external data files, read later one tensor at a time.
 */
final class ModelFile {
    /** Protobuf messages are limited to 2 GiB. */
    static final long MAX_FILE_BYTES = Integer.MAX_VALUE;

    private ModelFile() {
    }

    static ModelProto read(Path file) {
        String name = String.valueOf(file.getFileName());
        long size;
        try {
            if (!Files.isRegularFile(file)) {
                throw new OnnxModelException(name + ": not a readable file (" + file + ")");
            }
            size = Files.size(file);
        } catch (IOException e) {
            throw new OnnxModelException(name + ": cannot read: " + e.getMessage(), e);
        }
        if (size > MAX_FILE_BYTES) {
            throw new OnnxModelException(name + " is " + size + " bytes, more than protobuf's limit of " + MAX_FILE_BYTES
                    + "; a model that large keeps its tensors in external data files");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new OnnxModelException(name + ": cannot read: " + e.getMessage(), e);
        }
        return parse(bytes, name);
    }

    static ModelProto parse(byte[] bytes, String name) {
        if (bytes.length == 0) {
            throw new OnnxModelException(name + " is empty, not an ONNX model");
        }
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        // Tensor bytes stay views of the file's array instead of copies.
        in.enableAliasing(true);
        ModelProto model;
        try {
            model = ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxModelException(name + " is not a readable ONNX model (protobuf: " + oneLine(e.getMessage()) + ")", e);
        } catch (IOException e) {
            throw new OnnxModelException(name + ": cannot read: " + oneLine(e.getMessage()), e);
        }
        if (!model.hasGraph()) {
            throw new OnnxModelException(name + " is not an ONNX model: it has no graph");
        }
        return model;
    }

    /** ModelProto.graph, GraphProto.initializer, .input and .output, TensorProto.name: the fields {@link #declaration} reads. */
    private static final int GRAPH = tag(ModelProto.GRAPH_FIELD_NUMBER);
    private static final int INITIALIZER = tag(GraphProto.INITIALIZER_FIELD_NUMBER);
    private static final int INPUT = tag(GraphProto.INPUT_FIELD_NUMBER);
    private static final int OUTPUT = tag(GraphProto.OUTPUT_FIELD_NUMBER);
    private static final int TENSOR_NAME = tag(TensorProto.NAME_FIELD_NUMBER);

    /** The tag of a length-delimited field (a message, a string): field number, then wire type 2. */
    private static int tag(int field) {
        return field << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
    }

    /**
     * The runtime inputs {@code file} declares (graph inputs that no initializer names) and its
     * graph outputs' names, in order, read without the model's tensors: the file is streamed and
     * every other field skipped, so a model of 100 MB costs a few milliseconds rather than the
     * second that {@link #read} takes. The same protobuf limits apply (a nested message deeper than
     * 100, a length past the end of the file: a parse error).
     */
    static ModelDeclaration declaration(Path file) {
        return declared(file);
    }

    private static ModelDeclaration declared(Path file) {
        String name = String.valueOf(file.getFileName());
        if (!Files.isRegularFile(file)) {
            throw new OnnxModelException(name + ": not a readable file (" + file + ")");
        }
        List<ValueInfoProto> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Set<String> initializers = new HashSet<>();
        boolean graph = false;
        try {
            if (Files.size(file) == 0) {
                throw new OnnxModelException(name + " is empty, not an ONNX model");
            }
        } catch (IOException e) {
            throw new OnnxModelException(name + ": cannot read: " + e.getMessage(), e);
        }
        try (InputStream s = new BufferedInputStream(Files.newInputStream(file))) {
            CodedInputStream in = CodedInputStream.newInstance(s);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                if (tag == GRAPH) {
                    int limit = in.pushLimit(in.readRawVarint32());
                    readGraph(in, inputs, outputs, initializers);
                    in.popLimit(limit);
                    graph = true;
                } else if (!in.skipField(tag)) {
                    break;
                }
            }
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxModelException(name + " is not a readable ONNX model (protobuf: " + oneLine(e.getMessage()) + ")", e);
        } catch (IOException e) {
            throw new OnnxModelException(name + ": cannot read: " + oneLine(e.getMessage()), e);
        }
        if (!graph) {
            throw new OnnxModelException(name + " is not an ONNX model: it has no graph");
        }
        List<DeclaredInput> out = new ArrayList<>();
        for (ValueInfoProto v : inputs) {
            if (!initializers.contains(v.getName())) {
                out.add(declared(v));
            }
        }
        return new ModelDeclaration(out, outputs);
    }

    private static void readGraph(CodedInputStream in, List<ValueInfoProto> inputs, List<String> outputs,
                                  Set<String> initializers) throws IOException {
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (tag == INPUT) {
                ValueInfoProto.Builder v = ValueInfoProto.newBuilder();
                in.readMessage(v, ExtensionRegistryLite.getEmptyRegistry());
                inputs.add(v.build());
            } else if (tag == OUTPUT) {
                ValueInfoProto.Builder v = ValueInfoProto.newBuilder();
                in.readMessage(v, ExtensionRegistryLite.getEmptyRegistry());
                outputs.add(v.getName());
            } else if (tag == INITIALIZER) {
                int limit = in.pushLimit(in.readRawVarint32());
                String tensor = "";
                for (int t = in.readTag(); t != 0; t = in.readTag()) {
                    if (t == TENSOR_NAME) {
                        tensor = in.readString();
                    } else if (!in.skipField(t)) {
                        break;
                    }
                }
                in.popLimit(limit);
                initializers.add(tensor);
            } else if (!in.skipField(tag)) {
                return;
            }
        }
    }

    private static DeclaredInput declared(ValueInfoProto v) {
        TypeProto t = v.getType();
        if (!t.hasTensorType() || !t.getTensorType().hasShape()) {
            return new DeclaredInput(v.getName(), null);
        }
        List<DeclaredInput.Dim> dims = new ArrayList<>();
        for (TensorShapeProto.Dimension d : t.getTensorType().getShape().getDimList()) {
            dims.add(d.hasDimValue() ? new DeclaredInput.Dim(d.getDimValue(), "") : new DeclaredInput.Dim(-1, d.getDimParam()));
        }
        return new DeclaredInput(v.getName(), dims);
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }
}
