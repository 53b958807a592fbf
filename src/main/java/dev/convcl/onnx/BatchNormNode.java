package dev.convcl.onnx;

import dev.convcl.HostTensor;

import java.util.List;

/**
 * Batch normalization in inference mode (ONNX {@code BatchNormalization}): per channel {@code c}
 * (dimension 1), {@code y = (x - mean[c]) / sqrt(variance[c] + epsilon) * gamma[c] + beta[c]}.
 *
 * @param name     the node's name
 * @param input    the input value
 * @param output   the output value, of the input's shape
 * @param shape    the input's and output's shape, rank at least 2, channels at dimension 1
 * @param gamma    the scale, {@code [C]}
 * @param beta     the shift, {@code [C]}
 * @param mean     the running mean, {@code [C]}
 * @param variance the running variance, {@code [C]}
 * @param epsilon  added to the variance
 */
public record BatchNormNode(String name, String input, String output, Shape shape, HostTensor gamma, HostTensor beta,
                            HostTensor mean, HostTensor variance, float epsilon) implements ShapePreservingNode {
    /** Checks the statistics' sizes against the channels. */
    public BatchNormNode {
        int c = shape.dim(1);
        for (HostTensor t : List.of(gamma, beta, mean, variance)) {
            if (t.size() != c) {
                throw new IllegalArgumentException(name + ": statistics of " + t.size() + " values for " + c + " channels");
            }
        }
    }

    /** Channels. */
    public int channels() {
        return shape.dim(1);
    }

    /** The per-channel multiplier {@code gamma / sqrt(variance + epsilon)}, in double. */
    public double multiplier(int c) {
        return gamma.get(c) / Math.sqrt((double) variance.get(c) + epsilon);
    }

    /** The per-channel shift {@code beta - mean * multiplier}, in double. */
    public double shift(int c) {
        return beta.get(c) - mean.get(c) * multiplier(c);
    }

    @Override
    public String describe() {
        return "BatchNorm '" + name + "' " + input + " -> " + output + " " + shape + " eps=" + epsilon;
    }
}
