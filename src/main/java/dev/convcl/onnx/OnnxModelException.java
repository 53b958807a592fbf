package dev.convcl.onnx;

import dev.convcl.ConvclException;

/**
 * An ONNX model that convcl cannot import: the file is not a readable model, breaks a rule of the
 * format (a cycle, a value nobody writes, a tensor whose declared size does not match its data, an
 * external-data path outside the model's folder ...), or uses operators or attributes convcl does
 * not support. The message is one line naming the node (operator type and name), the value and
 * the rule; an unsupported model's message lists every unsupported node. Thrown before anything
 * runs and before any large allocation.
 */
public class OnnxModelException extends ConvclException {
    private static final long serialVersionUID = 1L;

    /** @param message one line: what is wrong, naming the node, value and rule */
    public OnnxModelException(String message) {
        super(message);
    }

    /**
     * @param message one line: what is wrong
     * @param cause   the underlying failure (a protobuf parse error, an I/O error)
     */
    public OnnxModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
