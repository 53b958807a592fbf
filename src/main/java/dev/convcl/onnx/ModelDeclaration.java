package dev.convcl.onnx;

import java.util.List;

/**
 * What a model file declares about its interface, read without its tensors
 * ({@link OnnxImporter#declaration}): its runtime inputs (graph inputs that no initializer names)
 * with their declared dimensions, and the names of its graph outputs, each in the file's order.
 *
 * @param inputs      the runtime inputs, in declared order
 * @param outputNames the graph outputs' names, in declared order
 */
public record ModelDeclaration(List<DeclaredInput> inputs, List<String> outputNames) {
    /** Copies both lists. */
    public ModelDeclaration {
        inputs = List.copyOf(inputs);
        outputNames = List.copyOf(outputNames);
    }

    /**
     * The runtime inputs' names.
     *
     * @return the names, in declared order
     */
    public List<String> inputNames() {
        return inputs.stream().map(DeclaredInput::name).toList();
    }
}
