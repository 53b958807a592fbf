package dev.convcl.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.convcl.onnx.proto.OnnxProto.ModelProto;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }
}
