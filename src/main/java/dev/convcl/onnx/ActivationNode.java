package dev.convcl.onnx;

import dev.convcl.Activation;

/**
 * An element-wise activation: ONNX {@code Relu}, {@code Clip}, {@code LeakyRelu}, {@code Sigmoid},
 * {@code HardSigmoid}, {@code HardSwish}, {@code Gelu}, and the patterns PyTorch writes for GELU
 * ({@code x * 0.5 * (1 + Erf(x / sqrt(2)))}), SiLU ({@code x * Sigmoid(x)}) and hardswish
 * ({@code x * HardSigmoid(x)}).
 *
 * @param name       the node's name
 * @param input      the input value
 * @param output     the output value, of the input's shape
 * @param shape      the input's and output's shape
 * @param activation the function
 */
public record ActivationNode(String name, String input, String output, Shape shape, Activation activation)
        implements ShapePreservingNode {
    @Override
    public String describe() {
        return "Activation '" + name + "' " + input + " -> " + output + " " + shape + " " + activation;
    }
}
